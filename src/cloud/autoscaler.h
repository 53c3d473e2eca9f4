// The autoscaler of the cloud emulator: cron schedules, the validation of
// Autoscaling settings, and the decision rule (a pure function, so that it
// is tested without a server). CloudCore::AutoscaleLocked (autoscaler.cc)
// applies the rule to every RUNNING cluster on each scheduler pass and turns
// decisions into ScaleCluster operations and audit events.
//
// The rule (docs/control-plane.md#autoscaling), with fill = used vectors /
// capacity at the current size:
//   1. replicas outside min_replicas..max_replicas: scale them into range;
//   2. cu_size below the effective minimum (min_cu_size raised by active
//      schedules): scale up to it;
//   3. fill >= scale_up_fill_percent (default 80) and cu_size < max: scale
//      up to the smallest valid size whose fill is below the threshold (or
//      the maximum);
//   4. fill < scale_down_fill_percent (default 50) for the whole cool-down
//      (default 600 s, counted from the last size change too) and cu_size
//      above the effective minimum: scale down to the smallest valid size
//      >= the minimum at which the fill stays <= the scale-down threshold
//      (and within the 80% guard);
//   otherwise nothing. Then, with target_qps_per_replica > 0 and a measured
//   QPS (requests per second over the last kQpsWindowSeconds):
//   5. QPS / replicas > target: replicas up to ceil(QPS / target), at most
//      max_replicas (0: 8);
//   6. QPS / replicas < kScaleDownQpsPercent of the target for the whole
//      cool-down (counted from the last change of size or replicas too):
//      replicas down to max(min_replicas (0: 1), ceil(QPS / target)).
//   Every target also obeys the sizing rules (replicas > 1 need >= 8 CU;
//   CU x replicas <= 256): the size decision comes first, and the replicas
//   from load are cut to what the sizing rules allow at that size.
#ifndef COVE_SRC_CLOUD_AUTOSCALER_H_
#define COVE_SRC_CLOUD_AUTOSCALER_H_

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cove/control/v1/resources.pb.h"

namespace cove::cloud {

namespace v1 = ::cove::control::v1;

inline constexpr int kDefaultScaleUpFillPercent = 80;
inline constexpr int kDefaultScaleDownFillPercent = 50;
inline constexpr int kDefaultCoolDownSeconds = 600;
inline constexpr int kDefaultScheduleMinutes = 60;
/// The QPS that drives replicas is measured over this window (the default
/// window of GetClusterMetrics).
inline constexpr int kQpsWindowSeconds = 60;
/// Replicas scale down when QPS / replicas stays below this percentage of
/// target_qps_per_replica for the cool-down.
inline constexpr int kScaleDownQpsPercent = 50;
inline constexpr int kMaxReplicas = 8;

/// The sizing rules of control_clusters.cc.
bool IsValidCuSize(int cu_size);
absl::Status CheckClusterSize(int cu_size, int replicas);

/// A parsed five-field cron expression.
class CronSpec {
 public:
  /// InvalidArgument naming `field` and the part that is wrong.
  static absl::StatusOr<CronSpec> Parse(const std::string& field,
                                        const std::string& text);
  /// True when the civil minute matches (weekday from the date).
  bool Matches(const absl::CivilMinute& t) const;

 private:
  std::bitset<60> minute_;
  std::bitset<24> hour_;
  std::bitset<32> dom_;    // 1..31
  std::bitset<13> month_;  // 1..12
  std::bitset<7> dow_;     // 0..6, Sunday = 0
  bool dom_star_ = true;
  bool dow_star_ = true;
};

/// True when `schedule` is active at `now`: its cron matched a minute in
/// (now - duration_minutes, now] in its time zone. The schedule must have
/// passed ValidateAutoscaling.
bool ScheduleActive(const v1::AutoscalingSchedule& schedule, absl::Time now);

/// InvalidArgument naming the field under `prefix` (e.g.
/// "cluster.autoscaling") for bad settings: min/max CU sizes when enabled,
/// replicas bounds, thresholds, cool-down, target_qps_per_replica, schedules
/// (cron, time zone, min_cu_size, duration).
absl::Status ValidateAutoscaling(const std::string& prefix,
                                 const v1::Autoscaling& as);

/// What the autoscaler sees of one cluster.
struct AutoscaleInput {
  int cu_size = 1;
  int replicas = 1;
  int64_t used_vectors = 0;
  int64_t vectors_per_cu = 0;  // capacity = vectors_per_cu x cu_size
  absl::Time now;
  /// Since when the fill has been below the scale-down threshold (counted
  /// from the last size change at the latest); nullopt: it is not.
  std::optional<absl::Time> below_since;
  /// Requests per second over the last kQpsWindowSeconds; nullopt: not
  /// measured (replicas are then not driven by load).
  std::optional<double> qps;
  /// Since when QPS / replicas has been below kScaleDownQpsPercent of the
  /// target (counted from the last change of size or replicas at the
  /// latest); nullopt: it is not.
  std::optional<absl::Time> qps_below_since;
};

struct AutoscaleDecision {
  bool scale = false;
  int cu_size = 0;
  int replicas = 0;
  std::string reason;  // for the audit event; set when scale
};

/// The rule above. `as` must be enabled and valid.
AutoscaleDecision DecideAutoscale(const v1::Autoscaling& as,
                                  const AutoscaleInput& in);

/// True when QPS / replicas is below kScaleDownQpsPercent of the target
/// (false when replicas are not driven by load).
bool QpsBelowScaleDown(const v1::Autoscaling& as, double qps, int replicas);

/// The fill level in percent (0 without capacity).
double FillPercent(int64_t used, int64_t capacity);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_AUTOSCALER_H_
