// Versions and upgrades (issue 19): the release catalog, the version of
// every cluster, UpgradeCluster (now, or in the maintenance window) and
// maintenance windows of clusters and projects.
//
// A release is this build's data plane reporting the release's version
// (hosting::DataPlaneOptions::release); a release flagged broken fails its
// health check. The upgrade itself is hosting::RollingUpgrade (one replica
// at a time: the new release's instance started beside the running ones on
// the same ports and data, health check, then the replica's old instance
// drained; on a failure the new instance is drained and the replicas
// already upgraded go back to the old release: the rollback; the endpoint
// never refuses connections), stepped here one replica per scheduler pass
// for cross-account clusters, and run by cove-agent for agent-mode ones
// (AgentUpgradeCluster).
#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"
#include "cove/version.h"

namespace cove::cloud {
namespace {

// "2.10.1" after "2.9.0": numeric parts compare as numbers.
bool VersionLess(const std::string& a, const std::string& b) {
  std::vector<absl::string_view> pa = absl::StrSplit(a, '.');
  std::vector<absl::string_view> pb = absl::StrSplit(b, '.');
  for (size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
    int64_t na = 0, nb = 0;
    if (absl::SimpleAtoi(pa[i], &na) && absl::SimpleAtoi(pb[i], &nb)) {
      if (na != nb) return na < nb;
    } else if (pa[i] != pb[i]) {
      return pa[i] < pb[i];
    }
  }
  return pa.size() < pb.size();
}

absl::Status CheckVersion(const std::string& field, const std::string& v) {
  bool ok = !v.empty() && v.size() <= 32 && absl::ascii_isalnum(v[0]);
  for (char ch : v) {
    if (!absl::ascii_isalnum(ch) && ch != '.' && ch != '-' && ch != '+' &&
        ch != '_')
      ok = false;
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": expected a version of 1 to 32 letters, digits, '.', '-', '+' or "
        "'_' starting with a letter or digit (got '",
        v, "')"));
  }
  return absl::OkStatus();
}

constexpr const char* kDays[] = {"MONDAY", "TUESDAY",  "WEDNESDAY", "THURSDAY",
                                 "FRIDAY", "SATURDAY", "SUNDAY"};
constexpr absl::Weekday kWeekdays[] = {
    absl::Weekday::monday,   absl::Weekday::tuesday, absl::Weekday::wednesday,
    absl::Weekday::thursday, absl::Weekday::friday,  absl::Weekday::saturday,
    absl::Weekday::sunday};

struct Window {
  absl::Weekday day;
  int hour = 0, minute = 0;
  absl::Duration duration;
  absl::TimeZone zone;
};

// The window of `w` (InvalidArgument naming `field`.x), and `*canonical`
// its stored form.
absl::StatusOr<Window> ParseWindow(const std::string& field,
                                   const v1::MaintenanceWindow& w,
                                   v1::MaintenanceWindow* canonical) {
  Window out;
  const std::string day = absl::AsciiStrToUpper(w.day_of_week());
  int index = -1;
  for (int i = 0; i < 7; ++i) {
    if (day == kDays[i]) index = i;
  }
  if (index < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".day_of_week: expected MONDAY .. SUNDAY (got '",
                     w.day_of_week(), "')"));
  }
  out.day = kWeekdays[index];
  std::vector<std::string> hm = absl::StrSplit(w.start_time(), ':');
  if (hm.size() != 2 || hm[0].size() != 2 || hm[1].size() != 2 ||
      !absl::SimpleAtoi(hm[0], &out.hour) ||
      !absl::SimpleAtoi(hm[1], &out.minute) || out.hour < 0 || out.hour > 23 ||
      out.minute < 0 || out.minute > 59) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".start_time: expected HH:MM, 00:00 to 23:59 (got '",
        w.start_time(), "')"));
  }
  out.duration = FromProtoDuration(w.duration());
  if (out.duration < absl::Minutes(30) || out.duration > absl::Hours(24) ||
      out.duration % absl::Minutes(1) != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ".duration: expected whole minutes from 30 minutes to 24 hours (got ",
        absl::FormatDuration(out.duration), ")"));
  }
  const std::string zone = w.time_zone().empty() ? "UTC" : w.time_zone();
  if (!absl::LoadTimeZone(zone, &out.zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ".time_zone: expected an IANA time zone such as "
                     "'Europe/Paris' (got '",
                     w.time_zone(), "')"));
  }
  if (canonical != nullptr) {
    canonical->set_day_of_week(kDays[index]);
    canonical->set_start_time(w.start_time());
    *canonical->mutable_duration() = ToProtoDuration(out.duration);
    canonical->set_time_zone(zone);
  }
  return out;
}

// The opening of the window that contains `t` (`*open` true), else the
// next opening after `t`.
absl::Time WindowStart(const Window& w, absl::Time t, bool* open) {
  const absl::CivilDay today = absl::ToCivilDay(t, w.zone);
  std::optional<absl::Time> next;
  for (int d = -2; d <= 8; ++d) {
    const absl::CivilDay day = today + d;
    if (absl::GetWeekday(day) != w.day) continue;
    const absl::Time start =
        w.zone
            .At(absl::CivilSecond(day.year(), day.month(), day.day(), w.hour,
                                  w.minute, 0))
            .pre;
    if (start <= t && t < start + w.duration) {
      *open = true;
      return start;
    }
    if (start > t && (!next.has_value() || start < *next)) next = start;
  }
  *open = false;
  return *next;
}

}  // namespace

// ---- the catalog
// -------------------------------------------------------------------

void CloudCore::InitReleasesLocked() {
  releases_.clear();
  std::vector<CloudRelease> list = options_.releases;
  if (list.empty()) {
    CloudRelease build;
    build.version = VersionString();
    build.release_notes = "The data plane of this build.";
    build.is_default = true;
    list.push_back(build);
  }
  bool any_default = false;
  for (const CloudRelease& r : list) any_default |= r.is_default;
  for (size_t i = 0; i < list.size(); ++i) {
    v1::Release out;
    out.set_version(list[i].version);
    out.set_release_notes(list[i].release_notes);
    for (const std::string& f : list[i].upgrades_from) out.add_upgrades_from(f);
    out.set_is_default(list[i].is_default || (!any_default && i == 0));
    out.set_broken(list[i].broken);
    releases_[out.version()] = out;
  }
}

std::string CloudCore::DefaultReleaseLocked() const {
  for (const auto& [v, r] : releases_) {
    if (r.is_default()) return v;
  }
  return VersionString();
}

std::vector<std::string> CloudCore::UpgradesOfLocked(
    const std::string& version) const {
  std::vector<std::string> out;
  for (const auto& [v, r] : releases_) {
    if (std::find(r.upgrades_from().begin(), r.upgrades_from().end(),
                  version) != r.upgrades_from().end())
      out.push_back(v);
  }
  std::sort(out.begin(), out.end(), VersionLess);
  return out;
}

std::string CloudCore::BrokenReasonLocked(const std::string& version) const {
  auto it = releases_.find(version);
  if (it == releases_.end() || !it->second.broken()) return "";
  return absl::StrCat("release '", version,
                      "' is flagged broken in the emulator's release catalog");
}

absl::Status CloudCore::UpdateReleasesLocked(
    const google::protobuf::RepeatedPtrField<v1::Release>& in, bool apply) {
  for (int i = 0; i < in.size(); ++i) {
    const std::string field = absl::StrCat("releases[", i, "]");
    COVE_RETURN_IF_ERROR(
        CheckVersion(absl::StrCat(field, ".version"), in[i].version()));
    for (int j = 0; j < in[i].upgrades_from_size(); ++j) {
      COVE_RETURN_IF_ERROR(
          CheckVersion(absl::StrCat(field, ".upgrades_from[", j, "]"),
                       in[i].upgrades_from(j)));
    }
    if (in[i].release_notes().size() > 4096) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".release_notes: expected at most 4096 bytes (got ",
          in[i].release_notes().size(), ")"));
    }
  }
  if (!apply) return absl::OkStatus();
  for (const v1::Release& r : in) {
    if (r.is_default()) {
      for (auto& [v, old] : releases_) old.set_is_default(false);
    }
    releases_[r.version()] = r;
  }
  return absl::OkStatus();
}

void CloudCore::FillReleasesLocked(v1::EmulatorSettings* settings) const {
  std::vector<const v1::Release*> sorted;
  for (const auto& [v, r] : releases_) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const v1::Release* a, const v1::Release* b) {
              return VersionLess(a->version(), b->version());
            });
  for (const v1::Release* r : sorted) *settings->add_releases() = *r;
}

void CloudCore::UpgradeViewLocked(v1::Cluster* view) const {
  if (view->version().empty()) return;  // never started yet
  view->clear_available_upgrades();
  for (const std::string& v : UpgradesOfLocked(view->version()))
    view->add_available_upgrades(v);
}

const v1::MaintenanceWindow* CloudCore::WindowOfLocked(
    const v1::Cluster& c, std::string* source) const {
  if (c.has_maintenance_window()) {
    *source = "cluster";
    return &c.maintenance_window();
  }
  auto p = projects_.find(c.name().substr(0, c.name().find("/clusters/")));
  if (p != projects_.end() && p->second.has_maintenance_window()) {
    *source = "project";
    return &p->second.maintenance_window();
  }
  source->clear();
  return nullptr;
}

// ---- the scheduler's side
// ------------------------------------------------------------

bool CloudCore::UpgradeMayRunLocked(const std::string& op_name,
                                    v1::Cluster* c) {
  Pending& p = pending_[op_name];
  if (!p.scheduled) return true;
  const absl::Time now = NowLocked();
  auto fail = [&](const absl::Status& status) {
    c->clear_scheduled_upgrade();
    c->set_etag(NewEtag());
    (void)Persist("cluster", c->name(), *c);
    auto op = operations_.find(op_name);
    if (op != operations_.end()) FinishOperationLocked(&op->second, status, c);
  };
  if (c->state() == v1::Cluster::DELETING ||
      c->state() == v1::Cluster::DELETED) {
    fail(absl::FailedPreconditionError(
        absl::StrCat("scheduled upgrade of cluster '", c->name(), "' to '",
                     p.version, "': the cluster was deleted")));
    return false;
  }
  std::string source;
  const v1::MaintenanceWindow* mw = WindowOfLocked(*c, &source);
  auto window = mw == nullptr ? absl::StatusOr<Window>(absl::NotFoundError(""))
                              : ParseWindow("maintenance_window", *mw, nullptr);
  if (!window.ok()) {
    fail(absl::FailedPreconditionError(absl::StrCat(
        "scheduled upgrade of cluster '", c->name(), "' to '", p.version,
        "': the cluster and its project have no maintenance window any "
        "more; upgrade it now or schedule it again")));
    return false;
  }
  bool open = false;
  absl::Time start = WindowStart(*window, now, &open);
  if (open && c->state() != v1::Cluster::RUNNING) {
    // Busy (or suspended) through this window: the next one.
    start = WindowStart(*window, start + window->duration, &open);
    open = false;
  }
  if (!open) {
    p.due = start;
    *c->mutable_scheduled_upgrade()->mutable_start_time() = ToProto(start);
    (void)Persist("cluster", c->name(), *c);
    return false;
  }
  p.scheduled = false;
  p.prev_state = v1::Cluster::RUNNING;
  c->set_state(v1::Cluster::MODIFYING);
  c->clear_scheduled_upgrade();
  *c->mutable_update_time() = ToProto(now);
  c->set_etag(NewEtag());
  (void)Persist("cluster", c->name(), *c);
  (void)PersistPendingLocked(op_name);
  return true;
}

bool CloudCore::UpgradeStepLocked(v1::Operation* op, v1::Cluster* c,
                                  const Pending& p, absl::Status* status) {
  auto rt = runtimes_.find(c->name());
  auto it = rolling_.find(op->name());
  if (rt == runtimes_.end()) {
    if (it != rolling_.end()) rolling_.erase(it);
    *status = absl::FailedPreconditionError(
        absl::StrCat("UpgradeCluster of '", c->name(),
                     "': its data plane is not running (resume it first)"));
    return true;
  }
  if (it == rolling_.end()) {
    hosting::RollingUpgrade::Options o;
    o.to.release = p.version;
    o.to.unhealthy_reason = BrokenReasonLocked(p.version);
    o.running_release = c->version();
    o.fail_replica = p.fail_replica;
    o.fail_reason = p.fail_message;
    it = rolling_
             .emplace(op->name(), std::make_unique<hosting::RollingUpgrade>(
                                      rt->second.plane, o))
             .first;
  }
  hosting::RollingUpgrade& upgrade = *it->second;
  upgrade.Step();
  if (!upgrade.done()) {
    // Between replicas: mu_ is released (the operation shows the replicas
    // done) and the next pass upgrades the next one at once.
    op->set_progress_percent(std::min(99, upgrade.progress_percent()));
    (void)Persist("operation", op->name(), *op);
    rerun_ = true;
    return false;
  }
  *status = upgrade.status();
  rolling_.erase(it);
  // (A data plane started before it had a release name runs the cluster's
  // version.)
  const std::string serving = rt->second.plane->release();
  if (!serving.empty()) c->set_version(serving);
  return true;
}

void CloudCore::AbortRollingUpgradeLocked(const std::string& op_name) {
  auto it = rolling_.find(op_name);
  if (it == rolling_.end()) return;
  it->second->Abort(absl::CancelledError("cancelled"));
  rolling_.erase(it);
}

// ---- the RPCs
// ----------------------------------------------------------------------

absl::Status CloudCore::ListReleases(const RequestContext& ctx,
                                     const v1::ListReleasesRequest& req,
                                     v1::ListReleasesResponse* resp) {
  return Handle(
      ctx, "ListReleases", "clusters.get", false, req.cluster(), "",
      [&](Call& call) -> absl::Status {
        v1::EmulatorSettings all;
        FillReleasesLocked(&all);
        if (req.cluster().empty()) {
          *resp->mutable_releases() = all.releases();
          return absl::OkStatus();
        }
        COVE_RETURN_IF_ERROR(
            ParseName("cluster", req.cluster(),
                      {"organizations", "projects", "clusters"})
                .status());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "clusters.get", req.cluster()));
        COVE_ASSIGN_OR_RETURN(v1::Cluster * c,
                              FindClusterLocked(req.cluster()));
        const std::vector<std::string> to = UpgradesOfLocked(c->version());
        for (const v1::Release& r : all.releases()) {
          if (std::find(to.begin(), to.end(), r.version()) != to.end())
            *resp->add_releases() = r;
        }
        return absl::OkStatus();
      });
}

absl::Status CloudCore::UpgradeCluster(const RequestContext& ctx,
                                       const v1::UpgradeClusterRequest& req,
                                       v1::Operation* resp) {
  return Handle(
      ctx, "UpgradeCluster", "clusters.upgrade", true, req.name(),
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(),
                      {"organizations", "projects", "clusters"})
                .status());
        if (!v1::UpgradeClusterRequest::Action_IsValid(req.action())) {
          return absl::InvalidArgumentError(
              absl::StrCat("action: expected ACTION_UNSPECIFIED, DEFER or "
                           "RUN_NOW (got ",
                           req.action(), ")"));
        }
        if (req.action() != v1::UpgradeClusterRequest::ACTION_UNSPECIFIED &&
            req.schedule()) {
          return absl::InvalidArgumentError(
              "schedule: expected false with action DEFER or RUN_NOW (they "
              "act on the upgrade already scheduled)");
        }
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "clusters.upgrade", req.name()));
        COVE_ASSIGN_OR_RETURN(bool replayed,
                              ReplayOperationLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        COVE_ASSIGN_OR_RETURN(v1::Cluster * c, FindClusterLocked(req.name()));
        COVE_RETURN_IF_ERROR(CheckEtag(
            absl::StrCat("cluster '", req.name(), "'"), req.etag(), c->etag()));
        const absl::Time now = NowLocked();

        // DEFER / RUN_NOW: the upgrade already scheduled.
        if (req.action() != v1::UpgradeClusterRequest::ACTION_UNSPECIFIED) {
          const std::string op_name = c->scheduled_upgrade().operation();
          auto op = operations_.find(op_name);
          auto pit = pending_.find(op_name);
          if (!c->has_scheduled_upgrade() || op == operations_.end() ||
              pit == pending_.end() || !pit->second.scheduled) {
            return absl::FailedPreconditionError(absl::StrCat(
                "cluster '", req.name(),
                "' has no scheduled upgrade (expected one for action ",
                v1::UpgradeClusterRequest::Action_Name(req.action()), ")"));
          }
          if (!req.version().empty() &&
              req.version() != c->scheduled_upgrade().version()) {
            return absl::InvalidArgumentError(absl::StrCat(
                "version: expected the scheduled upgrade's version '",
                c->scheduled_upgrade().version(), "' or none (got '",
                req.version(), "')"));
          }
          Pending& p = pit->second;
          if (req.action() == v1::UpgradeClusterRequest::DEFER) {
            std::string source;
            const v1::MaintenanceWindow* mw = WindowOfLocked(*c, &source);
            if (mw == nullptr) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "cluster '", req.name(),
                  "' has no maintenance window (neither its own nor its "
                  "project's) to defer to"));
            }
            COVE_ASSIGN_OR_RETURN(
                Window w, ParseWindow("maintenance_window", *mw, nullptr));
            bool open = false;
            const absl::Time after = std::max(p.due, now);
            absl::Time start = WindowStart(w, after, &open);
            // The opening after the one it was waiting for.
            start = WindowStart(w, start + w.duration, &open);
            p.due = start;
            auto* su = c->mutable_scheduled_upgrade();
            *su->mutable_start_time() = ToProto(start);
            su->set_deferrals(su->deferrals() + 1);
          } else {
            if (c->state() != v1::Cluster::RUNNING) {
              return absl::FailedPreconditionError(
                  absl::StrCat("cluster '", req.name(), "' is ",
                               v1::Cluster::State_Name(c->state()),
                               "; RUN_NOW needs RUNNING"));
            }
            p.scheduled = false;
            p.prev_state = v1::Cluster::RUNNING;
            p.due = now;
            c->set_state(v1::Cluster::MODIFYING);
            c->clear_scheduled_upgrade();
            wake_ = true;
          }
          *c->mutable_update_time() = ToProto(now);
          c->set_etag(NewEtag());
          COVE_RETURN_IF_ERROR(Persist("cluster", c->name(), *c));
          COVE_RETURN_IF_ERROR(PersistPendingLocked(op_name));
          *op->second.mutable_cluster() = ClusterViewLocked(*c);
          *resp = OperationViewLocked(op->second, call.principal);
          return RememberLocked(call, req, *resp, *resp);
        }

        // A new upgrade.
        COVE_RETURN_IF_ERROR(CheckVersion("version", req.version()));
        if (c->has_scheduled_upgrade()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cluster '", req.name(), "' already has an upgrade to '",
              c->scheduled_upgrade().version(), "' scheduled (operation ",
              c->scheduled_upgrade().operation(),
              "); run it now (action RUN_NOW), defer it (DEFER) or cancel "
              "its operation first"));
        }
        if (c->state() != v1::Cluster::RUNNING) {
          return absl::FailedPreconditionError(
              absl::StrCat("cluster '", req.name(), "' is ",
                           v1::Cluster::State_Name(c->state()),
                           "; UpgradeCluster needs RUNNING"));
        }
        auto release = releases_.find(req.version());
        if (release == releases_.end()) {
          std::vector<std::string> known;
          for (const auto& [v, r] : releases_) known.push_back(v);
          return absl::NotFoundError(
              absl::StrCat("version: release '", req.version(),
                           "' is not in the release catalog (expected one of ",
                           absl::StrJoin(known, ", "), ")"));
        }
        if (req.version() == c->version()) {
          return absl::FailedPreconditionError(
              absl::StrCat("cluster '", req.name(), "' already runs release '",
                           req.version(), "'"));
        }
        const std::vector<std::string> to = UpgradesOfLocked(c->version());
        if (std::find(to.begin(), to.end(), req.version()) == to.end()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cluster '", req.name(), "' runs release '", c->version(),
              "'; release '", req.version(), "' upgrades from ",
              release->second.upgrades_from().empty()
                  ? std::string("no release")
                  : absl::StrCat(
                        "'",
                        absl::StrJoin(release->second.upgrades_from(), "', '"),
                        "'"),
              " (available upgrades: ",
              to.empty() ? std::string("none") : absl::StrJoin(to, ", "), ")"));
        }
        Pending p;
        p.version = req.version();
        if (!req.schedule()) {
          COVE_ASSIGN_OR_RETURN(
              v1::Operation op,
              StartOperationLocked(call, c, v1::Cluster::MODIFYING, p));
          *resp = OperationViewLocked(op, call.principal);
          return RememberLocked(call, req, op, op);
        }
        std::string source;
        const v1::MaintenanceWindow* mw = WindowOfLocked(*c, &source);
        if (mw == nullptr) {
          return absl::FailedPreconditionError(absl::StrCat(
              "schedule: cluster '", req.name(),
              "' has no maintenance window (neither its own nor its "
              "project's); set one with SetMaintenanceWindow or upgrade now"));
        }
        COVE_ASSIGN_OR_RETURN(Window w,
                              ParseWindow("maintenance_window", *mw, nullptr));
        bool open = false;
        const absl::Time start = WindowStart(w, now, &open);
        p.scheduled = true;
        // The cluster stays RUNNING until the window opens.
        COVE_ASSIGN_OR_RETURN(
            v1::Operation op,
            StartOperationLocked(call, c, v1::Cluster::RUNNING, p));
        pending_[op.name()].due = open ? now : start;
        auto* su = c->mutable_scheduled_upgrade();
        su->set_version(req.version());
        su->set_operation(op.name());
        *su->mutable_start_time() = ToProto(open ? now : start);
        COVE_RETURN_IF_ERROR(Persist("cluster", c->name(), *c));
        *op.mutable_cluster() = ClusterViewLocked(*c);
        operations_[op.name()] = op;
        COVE_RETURN_IF_ERROR(Persist("operation", op.name(), op));
        *resp = OperationViewLocked(op, call.principal);
        return RememberLocked(call, req, op, op);
      });
}

absl::Status CloudCore::SetMaintenanceWindow(
    const RequestContext& ctx, const v1::SetMaintenanceWindowRequest& req,
    v1::MaintenanceWindowInfo* resp) {
  const bool is_cluster = req.name().find("/clusters/") != std::string::npos;
  const char* action = is_cluster ? "clusters.update" : "projects.update";
  return Handle(
      ctx, "SetMaintenanceWindow", action, true, req.name(), req.request_id(),
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName(
                "name", req.name(),
                is_cluster
                    ? std::vector<std::string>{"organizations", "projects",
                                               "clusters"}
                    : std::vector<std::string>{"organizations", "projects"})
                .status());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, action, req.name()));
        COVE_ASSIGN_OR_RETURN(bool replayed, ReplayLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        v1::MaintenanceWindow canonical;
        std::optional<Window> window;
        if (req.has_window()) {
          COVE_ASSIGN_OR_RETURN(
              window, ParseWindow("window", req.window(), &canonical));
        }
        const absl::Time now = NowLocked();
        if (is_cluster) {
          COVE_ASSIGN_OR_RETURN(v1::Cluster * c, FindClusterLocked(req.name()));
          if (req.has_window()) {
            *c->mutable_maintenance_window() = canonical;
          } else {
            c->clear_maintenance_window();
          }
          *c->mutable_update_time() = ToProto(now);
          c->set_etag(NewEtag());
          COVE_RETURN_IF_ERROR(Persist("cluster", c->name(), *c));
        } else {
          auto p = projects_.find(req.name());
          if (p == projects_.end()) return NotFound("project", req.name());
          if (req.has_window()) {
            *p->second.mutable_maintenance_window() = canonical;
          } else {
            p->second.clear_maintenance_window();
          }
          *p->second.mutable_update_time() = ToProto(now);
          p->second.set_etag(NewEtag());
          COVE_RETURN_IF_ERROR(Persist("project", p->first, p->second));
        }
        if (window.has_value()) {
          *resp->mutable_window() = canonical;
          resp->set_source(is_cluster ? "cluster" : "project");
          bool open = false;
          *resp->mutable_next_start_time() =
              ToProto(WindowStart(*window, now, &open));
        }
        // Scheduled upgrades wait for the window in force now.
        wake_ = true;
        return RememberLocked(call, req, *resp, *resp);
      });
}

absl::Status CloudCore::GetMaintenanceWindow(
    const RequestContext& ctx, const v1::GetMaintenanceWindowRequest& req,
    v1::MaintenanceWindowInfo* resp) {
  const bool is_cluster = req.name().find("/clusters/") != std::string::npos;
  const char* action = is_cluster ? "clusters.get" : "projects.get";
  return Handle(
      ctx, "GetMaintenanceWindow", action, false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName(
                "name", req.name(),
                is_cluster
                    ? std::vector<std::string>{"organizations", "projects",
                                               "clusters"}
                    : std::vector<std::string>{"organizations", "projects"})
                .status());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, action, req.name()));
        const v1::MaintenanceWindow* mw = nullptr;
        std::string source;
        if (is_cluster) {
          COVE_ASSIGN_OR_RETURN(v1::Cluster * c, FindClusterLocked(req.name()));
          mw = WindowOfLocked(*c, &source);
        } else {
          auto p = projects_.find(req.name());
          if (p == projects_.end()) return NotFound("project", req.name());
          if (p->second.has_maintenance_window()) {
            mw = &p->second.maintenance_window();
            source = "project";
          }
        }
        if (mw == nullptr) return absl::OkStatus();
        COVE_ASSIGN_OR_RETURN(Window w,
                              ParseWindow("maintenance_window", *mw, nullptr));
        *resp->mutable_window() = *mw;
        resp->set_source(source);
        bool open = false;
        *resp->mutable_next_start_time() =
            ToProto(WindowStart(w, NowLocked(), &open));
        return absl::OkStatus();
      });
}

}  // namespace cove::cloud
