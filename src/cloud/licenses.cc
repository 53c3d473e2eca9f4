// Licenses and cost (issue 19): a project's license caps the total CUs and
// replicas of its clusters (CreateCluster, ScaleCluster, RestoreCluster,
// RestoreBackup into a new cluster and the autoscaler respect it); the
// vendor sets it with Emulator.SetProjectLicense. EstimateCost prices a
// cluster spec from the emulator's price table (EmulatorSettings).
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "cloud/autoscaler.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"
#include "common/status_macros.h"

namespace cove::cloud {
namespace {

// "organizations/o/projects/p/clusters/c" -> "organizations/o/projects/p".
std::string ProjectOfCluster(const std::string& cluster) {
  const size_t at = cluster.find("/clusters/");
  return at == std::string::npos ? cluster : cluster.substr(0, at);
}

std::string LicenseLabel(const v1::License& l) {
  return l.license_id().empty() ? std::string("(no id)")
                                : absl::StrCat("'", l.license_id(), "'");
}

}  // namespace

CloudCore::LicenseUse CloudCore::LicenseUseLocked(
    const std::string& project, const std::string& except) const {
  // Scales in flight: their targets count when larger.
  std::map<std::string, std::pair<int, int>> scaling;
  for (const auto& [op_name, p] : pending_) {
    auto op = operations_.find(op_name);
    if (op == operations_.end() || op->second.verb() != "ScaleCluster")
      continue;
    auto& t = scaling[op->second.target()];
    t.first = std::max(t.first, p.cu_size);
    t.second = std::max(t.second, p.replicas);
  }
  LicenseUse use;
  const std::string prefix = absl::StrCat(project, "/clusters/");
  for (auto it = clusters_.lower_bound(prefix);
       it != clusters_.end() &&
       it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    const v1::Cluster& c = it->second;
    if (it->first == except || c.state() == v1::Cluster::DELETED) continue;
    int cu = c.cu_size(), r = c.replicas();
    auto s = scaling.find(it->first);
    if (s != scaling.end()) {
      cu = std::max(cu, s->second.first);
      r = std::max(r, s->second.second);
    }
    use.cus += int64_t{cu} * r;
    use.replicas += r;
  }
  return use;
}

absl::Status CloudCore::CheckLicenseLocked(const std::string& project,
                                           const std::string& cluster,
                                           int cu_size, int replicas,
                                           const std::string& verb) const {
  auto p = projects_.find(project);
  if (p == projects_.end() || !p->second.has_license()) return absl::OkStatus();
  const v1::License& l = p->second.license();
  const LicenseUse others = LicenseUseLocked(project, cluster);
  const LicenseUse all = LicenseUseLocked(project, "");
  const int64_t want_cus = int64_t{cu_size} * replicas;
  const std::string what =
      absl::StrCat(verb, " of '", cluster, "' (", cu_size, " CU x ", replicas,
                   replicas == 1 ? " replica" : " replicas", ")");
  const std::string own_cus =
      all.cus > others.cus
          ? absl::StrCat(" (", all.cus - others.cus, " by this cluster)")
          : "";
  const std::string own_replicas =
      all.replicas > others.replicas
          ? absl::StrCat(" (", all.replicas - others.replicas,
                         " by this cluster)")
          : "";
  if (l.max_cus() > 0 && others.cus + want_cus > l.max_cus() &&
      others.cus + want_cus > all.cus) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "license ", LicenseLabel(l), " of project '", project, "': max_cus ",
        l.max_cus(), " exceeded: ", all.cus, " CUs in use", own_cus, ", ", what,
        " needs ", want_cus, " (expected a total of at most ", l.max_cus(),
        " CUs, got ", others.cus + want_cus, ")"));
  }
  if (l.max_replicas() > 0 && others.replicas + replicas > l.max_replicas() &&
      others.replicas + replicas > all.replicas) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "license ", LicenseLabel(l), " of project '", project,
        "': max_replicas ", l.max_replicas(), " exceeded: ", all.replicas,
        " replicas in use", own_replicas, ", ", what, " needs ", replicas,
        " (expected a total of at most ", l.max_replicas(), " replicas, got ",
        others.replicas + replicas, ")"));
  }
  return absl::OkStatus();
}

v1::Project CloudCore::ProjectViewLocked(const v1::Project& p) const {
  v1::Project out = p;
  if (out.has_license()) {
    const LicenseUse use = LicenseUseLocked(p.name(), "");
    out.mutable_license()->set_used_cus(static_cast<int32_t>(use.cus));
    out.mutable_license()->set_used_replicas(
        static_cast<int32_t>(use.replicas));
  }
  return out;
}

bool CloudCore::CapToLicenseLocked(const v1::Cluster& c, int* cu_size,
                                   int* replicas, std::string* refusal) const {
  const std::string project = ProjectOfCluster(c.name());
  absl::Status s =
      CheckLicenseLocked(project, c.name(), *cu_size, *replicas, "autoscaling");
  if (s.ok()) return true;
  // The largest size (then replicas) between the current ones and the
  // decision's that fits.
  const int lo_cu = std::min(c.cu_size(), *cu_size);
  const int lo_r = std::min(c.replicas(), *replicas);
  for (int cu = *cu_size; cu >= lo_cu; --cu) {
    if (!IsValidCuSize(cu)) continue;
    for (int r = *replicas; r >= lo_r; --r) {
      if (cu == c.cu_size() && r == c.replicas()) continue;
      if (!CheckClusterSize(cu, r).ok()) continue;
      if (CheckLicenseLocked(project, c.name(), cu, r, "autoscaling").ok()) {
        *cu_size = cu;
        *replicas = r;
        *refusal = std::string(s.message());
        return true;
      }
    }
  }
  *refusal = std::string(s.message());
  return false;
}

// ---- the RPCs ---------------------------------------------------------------

absl::Status CloudCore::SetProjectLicense(
    const RequestContext& ctx, const v1::SetProjectLicenseRequest& req,
    v1::Project* resp) {
  return Handle(
      ctx, "SetProjectLicense", "emulator.setProjectLicense", true,
      req.project(), "", [&](Call& call) -> absl::Status {
        if (!call.principal.admin) {
          call.denied = true;
          return absl::PermissionDeniedError(absl::StrCat(
              "permission denied: ", call.principal.actor, " may not use ",
              call.action, " (only the emulator's admin key may)"));
        }
        COVE_RETURN_IF_ERROR(
            ParseName("project", req.project(), {"organizations", "projects"})
                .status());
        const v1::License& in = req.license();
        if (in.max_cus() < 0 || in.max_replicas() < 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "license.max_cus/max_replicas: expected 0 (no limit) or more "
              "(got ",
              in.max_cus(), "/", in.max_replicas(), ")"));
        }
        if (in.license_id().size() > 128) {
          return absl::InvalidArgumentError(absl::StrCat(
              "license.license_id: expected at most 128 bytes (got ",
              in.license_id().size(), ")"));
        }
        if (in.used_cus() != 0 || in.used_replicas() != 0 ||
            in.has_update_time()) {
          return absl::InvalidArgumentError(
              "license.used_cus/used_replicas/update_time: output only "
              "(expected unset)");
        }
        auto it = projects_.find(req.project());
        if (it == projects_.end()) return NotFound("project", req.project());
        v1::Project p = it->second;
        const absl::Time now = NowLocked();
        if (req.has_license()) {
          v1::License l;
          l.set_license_id(in.license_id());
          l.set_max_cus(in.max_cus());
          l.set_max_replicas(in.max_replicas());
          *l.mutable_update_time() = ToProto(now);
          *p.mutable_license() = l;
          call.audit_message = absl::StrCat(
              "license ", LicenseLabel(l), ": max_cus ", l.max_cus(),
              ", max_replicas ", l.max_replicas(), " (0: no limit)");
        } else {
          p.clear_license();
          call.audit_message = "license removed (no limit)";
        }
        *p.mutable_update_time() = ToProto(now);
        p.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist("project", req.project(), p));
        it->second = p;
        *resp = ProjectViewLocked(p);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::EstimateCost(const RequestContext& ctx,
                                     const v1::EstimateCostRequest& req,
                                     v1::CostEstimate* resp) {
  return Handle(
      ctx, "EstimateCost", "projects.estimateCost", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations", "projects"})
                .status());
        const std::string cu_type =
            req.cu_type().empty() ? "performance" : req.cu_type();
        if (cu_type != "performance" && cu_type != "capacity") {
          return absl::InvalidArgumentError(
              absl::StrCat("cu_type: expected performance or capacity (got '",
                           req.cu_type(), "')"));
        }
        const int replicas = req.replicas() == 0 ? 1 : req.replicas();
        COVE_RETURN_IF_ERROR(CheckClusterSize(req.cu_size(), replicas));
        if (req.storage_gib() < 0 || req.storage_gib() > (int64_t{1} << 40)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "storage_gib: expected 0 to 2^40 (got ", req.storage_gib(), ")"));
        }
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "projects.estimateCost", req.parent()));
        auto p = projects_.find(req.parent());
        if (p == projects_.end()) return NotFound("project", req.parent());
        const std::string region =
            req.region().empty() ? p->second.region() : req.region();
        const v1::PriceTable& t = price_table_;
        auto price = t.cu_hour().find(cu_type);
        if (price == t.cu_hour().end()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "price table: no cu_hour price for cu_type '", cu_type, "'"));
        }
        auto f = t.region_factor().find(region);
        const double factor = f == t.region_factor().end() ? 1.0 : f->second;
        const double hours = t.hours_per_month();
        resp->set_currency(t.currency());
        resp->set_hours_per_month(hours);
        resp->set_region(region);
        resp->set_region_factor(factor);
        resp->set_cu_type(cu_type);

        v1::CostEstimate::Item* compute = resp->add_items();
        compute->set_item("compute");
        compute->set_quantity(static_cast<double>(req.cu_size()) * replicas);
        compute->set_unit("CU-hour");
        compute->set_unit_price(price->second * factor);
        compute->set_per_hour(compute->quantity() * compute->unit_price());
        compute->set_per_month(compute->per_hour() * hours);

        v1::CostEstimate::Item* storage = resp->add_items();
        storage->set_item("storage");
        storage->set_quantity(static_cast<double>(req.storage_gib()));
        storage->set_unit("GiB-month");
        storage->set_unit_price(t.storage_gib_month() * factor);
        storage->set_per_month(storage->quantity() * storage->unit_price());
        storage->set_per_hour(storage->per_month() / hours);

        resp->set_per_hour(compute->per_hour() + storage->per_hour());
        resp->set_per_month(compute->per_month() + storage->per_month());
        return absl::OkStatus();
      });
}

}  // namespace cove::cloud
