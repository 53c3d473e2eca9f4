// The autoscaler: cron schedules, settings validation and the decision rule
// (see autoscaler.h), and CloudCore::AutoscaleLocked.
#include "cloud/autoscaler.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"
#include "server/metrics.h"

namespace cove::cloud {
namespace {

// Every valid CU size, increasing.
const std::vector<int>& CuSizes() {
  static const auto* sizes = [] {
    auto* v = new std::vector<int>;
    for (int n = 1; n <= 256; ++n) {
      if (IsValidCuSize(n)) v->push_back(n);
    }
    return v;
  }();
  return *sizes;
}

// One cron field into `bits` (indices lo..hi); `star` tells whether it was
// an unrestricted "*".
template <size_t N>
absl::Status ParseCronField(const std::string& field, absl::string_view name,
                            absl::string_view text, int lo, int hi,
                            std::bitset<N>* bits, bool* star) {
  auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": the ", name, " field '", text, "' ", what,
                     " (expected ", "*, a number ", lo, "-", hi,
                     ", a range a-b, a list a,b or a step /n)"));
  };
  *star = text == "*";
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    int step = 1;
    absl::string_view range = item;
    const size_t slash = item.find('/');
    if (slash != absl::string_view::npos) {
      range = item.substr(0, slash);
      if (!absl::SimpleAtoi(item.substr(slash + 1), &step) || step < 1 ||
          step > hi) {
        return error("has a bad step");
      }
    }
    int a = lo, b = hi;
    if (range != "*") {
      const size_t dash = range.find('-');
      if (dash == absl::string_view::npos) {
        if (!absl::SimpleAtoi(range, &a)) return error("has a bad number");
        b = slash == absl::string_view::npos ? a : hi;
      } else if (!absl::SimpleAtoi(range.substr(0, dash), &a) ||
                 !absl::SimpleAtoi(range.substr(dash + 1), &b)) {
        return error("has a bad range");
      }
    }
    if (a < lo || b > hi || a > b) return error("is out of range");
    for (int v = a; v <= b; v += step) bits->set(static_cast<size_t>(v));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CronSpec> CronSpec::Parse(const std::string& field,
                                         const std::string& text) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(text, ' ', absl::SkipWhitespace());
  if (parts.size() != 5) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ": expected 5 fields 'minute hour day-of-month month "
                     "day-of-week' (got '",
                     text, "')"));
  }
  CronSpec spec;
  bool star = false;
  COVE_RETURN_IF_ERROR(
      ParseCronField(field, "minute", parts[0], 0, 59, &spec.minute_, &star));
  COVE_RETURN_IF_ERROR(
      ParseCronField(field, "hour", parts[1], 0, 23, &spec.hour_, &star));
  COVE_RETURN_IF_ERROR(ParseCronField(field, "day-of-month", parts[2], 1, 31,
                                      &spec.dom_, &spec.dom_star_));
  COVE_RETURN_IF_ERROR(
      ParseCronField(field, "month", parts[3], 1, 12, &spec.month_, &star));
  std::bitset<8> dow;
  COVE_RETURN_IF_ERROR(ParseCronField(field, "day-of-week", parts[4], 0, 7,
                                      &dow, &spec.dow_star_));
  for (int d = 0; d < 7; ++d) spec.dow_[d] = dow[d];
  if (dow[7]) spec.dow_[0] = true;  // 7 is Sunday too
  return spec;
}

bool CronSpec::Matches(const absl::CivilMinute& t) const {
  if (!minute_[t.minute()] || !hour_[t.hour()] || !month_[t.month()]) {
    return false;
  }
  int wd = 0;
  switch (absl::GetWeekday(absl::CivilDay(t))) {
    case absl::Weekday::sunday:
      wd = 0;
      break;
    case absl::Weekday::monday:
      wd = 1;
      break;
    case absl::Weekday::tuesday:
      wd = 2;
      break;
    case absl::Weekday::wednesday:
      wd = 3;
      break;
    case absl::Weekday::thursday:
      wd = 4;
      break;
    case absl::Weekday::friday:
      wd = 5;
      break;
    case absl::Weekday::saturday:
      wd = 6;
      break;
  }
  const bool dom = dom_[t.day()];
  const bool dow = dow_[wd];
  // cron: with both day fields restricted, either matches.
  if (!dom_star_ && !dow_star_) return dom || dow;
  return dom && dow;
}

bool ScheduleActive(const v1::AutoscalingSchedule& schedule, absl::Time now) {
  auto spec = CronSpec::Parse("cron", schedule.cron());
  if (!spec.ok()) return false;
  absl::TimeZone tz = absl::UTCTimeZone();
  if (!schedule.time_zone().empty() &&
      !absl::LoadTimeZone(schedule.time_zone(), &tz)) {
    return false;
  }
  const int minutes = schedule.duration_minutes() == 0
                          ? kDefaultScheduleMinutes
                          : schedule.duration_minutes();
  const absl::Time minute = absl::FromUnixSeconds(
      absl::ToUnixSeconds(now) - ((absl::ToUnixSeconds(now) % 60) + 60) % 60);
  for (int k = 0; k < minutes; ++k) {
    if (spec->Matches(absl::ToCivilMinute(minute - absl::Minutes(k), tz))) {
      return true;
    }
  }
  return false;
}

absl::Status ValidateAutoscaling(const std::string& prefix,
                                 const v1::Autoscaling& as) {
  if (as.enabled()) {
    if (!IsValidCuSize(as.min_cu_size()) || !IsValidCuSize(as.max_cu_size()) ||
        as.min_cu_size() > as.max_cu_size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix,
          ".min_cu_size/max_cu_size: expected valid CU sizes (1, 2, "
          "4, 8, 12, ..., 256) with min <= max (got ",
          as.min_cu_size(), "..", as.max_cu_size(), ")"));
    }
  }
  if (as.min_replicas() < 0 || as.min_replicas() > 8 || as.max_replicas() < 0 ||
      as.max_replicas() > 8 ||
      (as.min_replicas() > 0 && as.max_replicas() > 0 &&
       as.min_replicas() > as.max_replicas())) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix,
        ".min_replicas/max_replicas: expected 0 (no bound) or 1..8 "
        "with min <= max (got ",
        as.min_replicas(), "..", as.max_replicas(), ")"));
  }
  const int up = as.scale_up_fill_percent() == 0 ? kDefaultScaleUpFillPercent
                                                 : as.scale_up_fill_percent();
  const int down = as.scale_down_fill_percent() == 0
                       ? kDefaultScaleDownFillPercent
                       : as.scale_down_fill_percent();
  if (as.scale_up_fill_percent() < 0 || as.scale_up_fill_percent() > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ".scale_up_fill_percent: expected 1..100 (0: ",
                     kDefaultScaleUpFillPercent, ") (got ",
                     as.scale_up_fill_percent(), ")"));
  }
  if (as.scale_down_fill_percent() < 0 || down >= up) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix,
                     ".scale_down_fill_percent: expected 1 up to below the "
                     "scale-up threshold ",
                     up, "% (got ", down, "%)"));
  }
  if (as.cool_down_seconds() < 0 || as.cool_down_seconds() > 7 * 86400) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ".cool_down_seconds: expected 0..604800 (got ",
                     as.cool_down_seconds(), ")"));
  }
  if (!std::isfinite(as.target_qps_per_replica()) ||
      as.target_qps_per_replica() < 0 || as.target_qps_per_replica() > 1e9) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix,
        ".target_qps_per_replica: expected 0 (replicas not driven by load) "
        "or a positive number of requests per second up to 1e9 (got ",
        as.target_qps_per_replica(), ")"));
  }
  for (int i = 0; i < as.schedules_size(); ++i) {
    const v1::AutoscalingSchedule& s = as.schedules(i);
    const std::string field = absl::StrCat(prefix, ".schedules[", i, "]");
    COVE_RETURN_IF_ERROR(CronSpec::Parse(field + ".cron", s.cron()).status());
    absl::TimeZone tz;
    if (!s.time_zone().empty() && !absl::LoadTimeZone(s.time_zone(), &tz)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field,
                       ".time_zone: expected an IANA time zone such as "
                       "Europe/Paris (got '",
                       s.time_zone(), "')"));
    }
    if (!IsValidCuSize(s.min_cu_size()) ||
        (as.enabled() && s.min_cu_size() > as.max_cu_size())) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".min_cu_size: expected a valid CU size up to max_cu_size ",
          as.max_cu_size(), " (got ", s.min_cu_size(), ")"));
    }
    if (s.duration_minutes() < 0 || s.duration_minutes() > 10080) {
      return absl::InvalidArgumentError(
          absl::StrCat(field,
                       ".duration_minutes: expected 0 (60) to 10080 "
                       "(got ",
                       s.duration_minutes(), ")"));
    }
  }
  return absl::OkStatus();
}

double FillPercent(int64_t used, int64_t capacity) {
  return capacity <= 0 ? 0.0
                       : 100.0 * static_cast<double>(used) /
                             static_cast<double>(capacity);
}

bool QpsBelowScaleDown(const v1::Autoscaling& as, double qps, int replicas) {
  const double target = as.target_qps_per_replica();
  if (!(target > 0) || replicas < 1) return false;
  return qps / replicas < target * kScaleDownQpsPercent / 100.0;
}

AutoscaleDecision DecideAutoscale(const v1::Autoscaling& as,
                                  const AutoscaleInput& in) {
  AutoscaleDecision d;
  const int up = as.scale_up_fill_percent() == 0 ? kDefaultScaleUpFillPercent
                                                 : as.scale_up_fill_percent();
  const int down = as.scale_down_fill_percent() == 0
                       ? kDefaultScaleDownFillPercent
                       : as.scale_down_fill_percent();
  const absl::Duration cool =
      absl::Seconds(as.cool_down_seconds() == 0 ? kDefaultCoolDownSeconds
                                                : as.cool_down_seconds());
  const int max_cu = as.max_cu_size();
  int min_cu = as.min_cu_size();
  std::string min_reason = absl::StrCat("min_cu_size ", min_cu);
  for (int i = 0; i < as.schedules_size(); ++i) {
    const v1::AutoscalingSchedule& s = as.schedules(i);
    const int m = std::min(s.min_cu_size(), max_cu);
    if (m > min_cu && ScheduleActive(s, in.now)) {
      min_cu = m;
      min_reason = absl::StrCat("schedule ", i, " '", s.cron(), "' (",
                                s.time_zone().empty() ? "UTC" : s.time_zone(),
                                ") sets the minimum to ", m, " CU");
    }
  }
  int replicas = in.replicas;
  std::string replica_reason;
  if (as.min_replicas() > 0 && replicas < as.min_replicas()) {
    replicas = as.min_replicas();
    replica_reason = absl::StrCat("replicas ", in.replicas,
                                  " below min_replicas ", as.min_replicas());
  } else if (as.max_replicas() > 0 && replicas > as.max_replicas()) {
    replicas = as.max_replicas();
    replica_reason = absl::StrCat("replicas ", in.replicas,
                                  " above max_replicas ", as.max_replicas());
  }
  auto capacity = [&](int cu) { return in.vectors_per_cu * cu; };
  auto fits = [&](int cu) {  // the 80% guard of ScaleCluster
    return in.used_vectors * 10 <= capacity(cu) * 8;
  };
  const double fill = FillPercent(in.used_vectors, capacity(in.cu_size));
  const std::string fill_text =
      absl::StrFormat("fill %.1f%% (%d of %d vectors at %d CU)", fill,
                      in.used_vectors, capacity(in.cu_size), in.cu_size);
  int cu = in.cu_size;
  std::string reason;
  if (in.cu_size < min_cu) {
    cu = min_cu;
    reason = absl::StrCat(min_reason, "; scaling up from ", in.cu_size, " CU");
  } else if (in.cu_size > max_cu && fits(max_cu)) {
    cu = max_cu;
    reason =
        absl::StrCat("cu_size ", in.cu_size, " above max_cu_size ", max_cu);
  } else if (in.vectors_per_cu > 0 && fill >= up && in.cu_size < max_cu) {
    cu = 0;
    for (int s : CuSizes()) {
      if (s <= in.cu_size || s > max_cu) continue;
      if (!CheckClusterSize(s, replicas).ok()) continue;
      cu = s;
      if (FillPercent(in.used_vectors, capacity(s)) < up) break;
    }
    if (cu == 0) cu = in.cu_size;
    reason = absl::StrCat(fill_text, " >= scale-up threshold ", up, "%");
  } else if (in.vectors_per_cu > 0 && fill < down && in.cu_size > min_cu &&
             in.below_since.has_value() && in.now - *in.below_since >= cool) {
    for (int s : CuSizes()) {
      if (s < min_cu || s >= in.cu_size) continue;
      if (!CheckClusterSize(s, replicas).ok() || !fits(s)) continue;
      if (FillPercent(in.used_vectors, capacity(s)) <= down) {
        cu = s;
        break;
      }
    }
    reason =
        absl::StrCat(fill_text, " below scale-down threshold ", down, "% for ",
                     absl::FormatDuration(in.now - *in.below_since),
                     " (cool-down ", absl::FormatDuration(cool), ")");
  }
  if (cu == in.cu_size) reason.clear();
  // Replicas driven by load (rules 5 and 6), after the size decision.
  const double target = as.target_qps_per_replica();
  if (target > 0 && in.qps.has_value() && in.replicas >= 1) {
    const double qps = std::max(0.0, *in.qps);
    const int min_r = as.min_replicas() > 0 ? as.min_replicas() : 1;
    const int max_r = as.max_replicas() > 0 ? as.max_replicas() : kMaxReplicas;
    // The replicas this load needs (a tiny slack so that an exact multiple
    // of the target is not rounded up by floating-point error).
    const double need_d = std::ceil(qps / target - 1e-9);
    const int need =
        need_d > kMaxReplicas ? kMaxReplicas + 1 : static_cast<int>(need_d);
    const double per = qps / in.replicas;
    const std::string qps_text = absl::StrFormat(
        "QPS %.2f over %d s = %.2f per replica at %d replica%s", qps,
        kQpsWindowSeconds, per, in.replicas, in.replicas == 1 ? "" : "s");
    std::string qps_reason;
    int want = replicas;
    if (per > target) {
      want = std::max(replicas, std::min(max_r, need));
      // Cut to what the sizing rules allow at the chosen size.
      while (want > replicas && !CheckClusterSize(cu, want).ok()) --want;
      qps_reason = absl::StrCat(qps_text, " > target_qps_per_replica ", target);
      if (std::min(max_r, need) > want || need > max_r) {
        absl::StrAppend(&qps_reason, " (needs ",
                        need > kMaxReplicas ? absl::StrCat("> ", kMaxReplicas)
                                            : absl::StrCat(need),
                        ", bounded to ", want, ")");
      }
    } else if (QpsBelowScaleDown(as, qps, in.replicas) &&
               in.qps_below_since.has_value() &&
               in.now - *in.qps_below_since >= cool) {
      want = std::min(replicas, std::max(min_r, need));
      qps_reason =
          absl::StrCat(qps_text, " below ", kScaleDownQpsPercent,
                       "% of target_qps_per_replica ", target, " for ",
                       absl::FormatDuration(in.now - *in.qps_below_since),
                       " (cool-down ", absl::FormatDuration(cool), ")");
    }
    if (want != replicas) {
      replicas = want;
      replica_reason = replica_reason.empty()
                           ? qps_reason
                           : absl::StrCat(replica_reason, "; ", qps_reason);
    }
  }
  if (replicas != in.replicas) {
    reason = reason.empty() ? replica_reason
                            : absl::StrCat(reason, "; ", replica_reason);
  }
  if ((cu == in.cu_size && replicas == in.replicas) ||
      !CheckClusterSize(cu, replicas).ok()) {
    return d;
  }
  d.scale = true;
  d.cu_size = cu;
  d.replicas = replicas;
  d.reason = absl::StrCat("autoscaler: ", in.cu_size, " CU x ", in.replicas,
                          " -> ", cu, " CU x ", replicas, ": ", reason);
  return d;
}

// ---- CloudCore
// ---------------------------------------------------------------

std::optional<double> CloudCore::QpsLocked(const v1::Cluster& c, absl::Time now,
                                           AutoscaleState& st) {
  constexpr int kWindow = kQpsWindowSeconds;
  if (IsAgentEnvironmentLocked(c.environment())) {
    // Agent mode: the requests of the agent's heartbeats (its clock), as
    // GetClusterMetrics reports them.
    const AgentUsageSamples* u = AgentUsageLocked(c.name());
    if (u == nullptr || !u->running) return std::nullopt;
    return static_cast<double>(AgentRequestsInWindow(*u, kWindow, -1)) /
           kWindow;
  }
  auto rt = runtimes_.find(c.name());
  if (rt == runtimes_.end()) return std::nullopt;
  const std::shared_ptr<server::ServerMetrics>& sm =
      rt->second.plane->metrics();
  if (sm == nullptr) return std::nullopt;
  const server::ServerMetrics::Snapshot snap = sm->Read();
  int64_t total = 0;
  for (const auto& k : snap.kinds) total += static_cast<int64_t>(k.requests());
  if (st.metrics.lock() != sm || st.requests.empty() ||
      total < st.requests.back().second || now < st.requests.back().first) {
    // A new data plane (or a clock set back): start counting again. A data
    // plane younger than the window counts every request it served.
    st.metrics = sm;
    st.requests.clear();
    st.requests.emplace_back(now, snap.uptime_seconds <= kWindow ? 0 : total);
  }
  if (st.requests.size() > 1 && st.requests.back().first == now) {
    // Another pass at the same time (the manual clock stood still).
    st.requests.back().second = total;
  } else {
    st.requests.emplace_back(now, total);
  }
  // The newest sample at or before the window's start (else the oldest):
  // older ones are not needed any more.
  const absl::Time start = now - absl::Seconds(kWindow);
  while (st.requests.size() > 1 && st.requests[1].first <= start) {
    st.requests.pop_front();
  }
  const int64_t base = st.requests.front().second;
  return static_cast<double>(std::max<int64_t>(0, total - base)) / kWindow;
}

void CloudCore::AutoscaleLocked() {
  const absl::Time now = NowLocked();
  for (auto& [name, c] : clusters_) {
    // Agent mode: the usage comes from the agent's heartbeats; it is acted
    // on while the agent is connected and reports the data plane running.
    const bool observed =
        runtimes_.count(name) != 0 ||
        (IsAgentEnvironmentLocked(c.environment()) && AgentUsageFreshLocked(c));
    if (!c.autoscaling().enabled() || c.state() != v1::Cluster::RUNNING ||
        !observed) {
      if (c.state() != v1::Cluster::MODIFYING) autoscale_.erase(name);
      continue;
    }
    const v1::Autoscaling& as = c.autoscaling();
    if (!ValidateAutoscaling("autoscaling", as).ok()) continue;
    const int64_t used = ClusterViewLocked(c).used_vectors();
    const int64_t per_cu = CapacityLocked(c.cu_type(), 1);
    const int down = as.scale_down_fill_percent() == 0
                         ? kDefaultScaleDownFillPercent
                         : as.scale_down_fill_percent();
    AutoscaleState& st = autoscale_[name];
    if (st.cu_size != c.cu_size() || st.replicas != c.replicas()) {
      // A change of size or replicas restarts the cool-downs.
      st.cu_size = c.cu_size();
      st.replicas = c.replicas();
      st.below_since.reset();
      st.qps_below_since.reset();
    }
    if (FillPercent(used, per_cu * c.cu_size()) < down) {
      if (!st.below_since.has_value()) st.below_since = now;
    } else {
      st.below_since.reset();
    }
    std::optional<double> qps;
    if (as.target_qps_per_replica() > 0) {
      qps = QpsLocked(c, now, st);
      if (qps.has_value() && QpsBelowScaleDown(as, *qps, c.replicas())) {
        if (!st.qps_below_since.has_value()) st.qps_below_since = now;
      } else {
        st.qps_below_since.reset();
      }
    } else {
      st.requests.clear();
      st.metrics.reset();
      st.qps_below_since.reset();
    }
    AutoscaleInput in;
    in.cu_size = c.cu_size();
    in.replicas = c.replicas();
    in.used_vectors = used;
    in.vectors_per_cu = per_cu;
    in.now = now;
    in.below_since = st.below_since;
    in.qps = qps;
    in.qps_below_since = st.qps_below_since;
    AutoscaleDecision d = DecideAutoscale(as, in);
    if (!d.scale) continue;
    // The project's license (issue 19) caps what the autoscaler may grow to.
    std::string refusal;
    if (!CapToLicenseLocked(c, &d.cu_size, &d.replicas, &refusal)) {
      if (st.license_refusal != refusal) {
        st.license_refusal = refusal;
        Call call;
        call.method = "ScaleCluster";
        call.action = "clusters.autoscale";
        call.resource = name;
        call.mutation = true;
        call.principal.actor = "system:autoscaler";
        call.audit_message = d.reason;
        AuditLocked(call, absl::ResourceExhaustedError(refusal));
      }
      continue;
    }
    st.license_refusal.clear();
    if (!refusal.empty()) {
      d.reason = absl::StrCat("autoscaler: ", c.cu_size(), " CU x ",
                              c.replicas(), " -> ", d.cu_size, " CU x ",
                              d.replicas, " (capped by the license): ",
                              d.reason.substr(d.reason.find(": ", 12) + 2),
                              "; wanted more but ", refusal);
    }
    Call call;
    call.method = "ScaleCluster";
    call.action = "clusters.autoscale";
    call.resource = name;
    call.mutation = true;
    call.principal.actor = "system:autoscaler";
    call.audit_message = d.reason;
    Pending p;
    p.cu_size = d.cu_size;
    p.replicas = d.replicas;
    auto op = StartOperationLocked(call, &c, v1::Cluster::MODIFYING, p);
    if (op.ok())
      call.audit_message = absl::StrCat(d.reason, " (", op->name(), ")");
    AuditLocked(call, op.status());
  }
}

}  // namespace cove::cloud
