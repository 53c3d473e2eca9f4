// Usage counters of a data-plane server (cove-server, the cloud's data
// planes): requests by RPC kind and result code, a latency histogram with
// fixed buckets per kind, and requests per second of the last minutes. The
// hot path is a few relaxed atomic increments; readers take snapshots.
//
// Exposed as Prometheus text (ServerMetrics::PrometheusText) on the
// server's optional metrics endpoint, and read in-process by the cloud
// emulator for its GetClusterMetrics API.
#ifndef COVE_SRC_SERVER_METRICS_H_
#define COVE_SRC_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cove/connection.h"

namespace cove::server {

/// What an RPC does, for counting.
enum class RpcKind { kSearch, kQuery, kInsert, kUpsert, kDelete, kOther };
inline constexpr int kRpcKinds = 6;
const char* RpcKindName(RpcKind kind);
/// The kind of a Milvus request message ("SearchRequest" -> kSearch; hybrid
/// search is a search; everything not listed is kOther).
RpcKind RpcKindOf(absl::string_view request_message_name);

/// Upper bounds (seconds) of the finite latency buckets.
const std::vector<double>& LatencyBucketBounds();

/// The q-quantile (0 < q < 1) of a histogram: `counts` per bucket (not
/// cumulative, one more than `bounds` for +Inf), interpolated linearly
/// inside the bucket as Prometheus' histogram_quantile does; the +Inf
/// bucket answers the largest finite bound; 0 for an empty histogram.
double HistogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<uint64_t>& counts);

/// What the data plane holds, filled in by its owner when scraped.
struct DataPlaneUsage {
  int64_t vectors = 0;            // entities over every database and collection
  int64_t storage_bytes = 0;      // bytes under the data directory
  int64_t capacity_vectors = -1;  // -1: no capacity limit
};

/// Entities over every database and collection of `connection`.
absl::StatusOr<int64_t> CountEntities(Connection& connection);
/// Bytes of the regular files under `dir` (0 for "", ":memory:" or a
/// missing directory; files that vanish while walking are skipped).
int64_t DirectoryBytes(const std::string& dir);

/// Thread safety: Record() and every reader may run concurrently.
class ServerMetrics {
 public:
  /// Requests per second are kept for this many seconds.
  static constexpr int kWindowSeconds = 600;
  static constexpr int kCodes = 17;  // absl::StatusCode 0..16

  ServerMetrics();

  /// Counts one request that took `latency` and ended with `code`.
  void Record(RpcKind kind, absl::StatusCode code, absl::Duration latency);

  struct KindSnapshot {
    std::array<uint64_t, kCodes> by_code{};
    std::vector<uint64_t> buckets;  // LatencyBucketBounds().size() + 1
    double latency_sum_seconds = 0;
    uint64_t requests() const;
    uint64_t errors() const;  // every code but OK
  };
  struct Snapshot {
    std::array<KindSnapshot, kRpcKinds> kinds;
    double uptime_seconds = 0;
  };
  Snapshot Read() const;

  /// Requests (every kind, or one kind) finished in the last `seconds`
  /// seconds of real time, clamped to 1..kWindowSeconds.
  uint64_t RequestsInWindow(int seconds) const;
  uint64_t RequestsInWindow(int seconds, RpcKind kind) const;

  /// The Prometheus exposition: cove_dataplane_requests_total{kind,code},
  /// cove_dataplane_request_duration_seconds{kind} (histogram),
  /// cove_dataplane_uptime_seconds, and from `usage`:
  /// cove_dataplane_vectors, cove_dataplane_storage_bytes and (when
  /// limited) cove_dataplane_capacity_vectors.
  std::string PrometheusText(const DataPlaneUsage& usage) const;

 private:
  struct Kind {
    std::array<std::atomic<uint64_t>, kCodes> by_code{};
    std::vector<std::atomic<uint64_t>> buckets;
    std::atomic<uint64_t> latency_sum_ns{0};
    // Per-second ring: (second << 24) | count; the count saturates.
    std::array<std::atomic<uint64_t>, kWindowSeconds> ring{};
  };
  int64_t SecondNow() const;

  const std::chrono::steady_clock::time_point start_;
  std::array<Kind, kRpcKinds> kinds_;
};

}  // namespace cove::server

#endif  // COVE_SRC_SERVER_METRICS_H_
