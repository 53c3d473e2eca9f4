// Usage counters of a data-plane server (see metrics.h).
#include "server/metrics.h"

#include <algorithm>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/prometheus.h"

namespace cove::server {
namespace {

constexpr uint64_t kCountBits = 24;
constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;

}  // namespace

absl::StatusOr<int64_t> CountEntities(Connection& connection) {
  COVE_ASSIGN_OR_RETURN(auto dbs, connection.ListDatabases(CallOptions{}));
  int64_t total = 0;
  for (const std::string& db : dbs) {
    CallOptions call;
    call.db_name = db;
    COVE_ASSIGN_OR_RETURN(auto collections, connection.ListCollections(call));
    for (const std::string& c : collections) {
      COVE_ASSIGN_OR_RETURN(auto stats, connection.GetCollectionStats(c, call));
      total += stats.row_count;
    }
  }
  return total;
}

int64_t DirectoryBytes(const std::string& dir) {
  if (dir.empty() || dir == ":memory:") return 0;
  std::error_code ec;
  int64_t total = 0;
  std::filesystem::recursive_directory_iterator it(
      dir, std::filesystem::directory_options::skip_permission_denied, ec);
  for (; !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code fec;
    if (it->is_regular_file(fec)) {
      const auto size = it->file_size(fec);
      if (!fec) total += static_cast<int64_t>(size);
    }
  }
  return total;
}

const char* RpcKindName(RpcKind kind) {
  switch (kind) {
    case RpcKind::kSearch:
      return "search";
    case RpcKind::kQuery:
      return "query";
    case RpcKind::kInsert:
      return "insert";
    case RpcKind::kUpsert:
      return "upsert";
    case RpcKind::kDelete:
      return "delete";
    case RpcKind::kOther:
      return "other";
  }
  return "other";
}

RpcKind RpcKindOf(absl::string_view name) {
  if (name == "SearchRequest" || name == "HybridSearchRequest") {
    return RpcKind::kSearch;
  }
  if (name == "QueryRequest") return RpcKind::kQuery;
  if (name == "InsertRequest") return RpcKind::kInsert;
  if (name == "UpsertRequest") return RpcKind::kUpsert;
  if (name == "DeleteRequest") return RpcKind::kDelete;
  return RpcKind::kOther;
}

const std::vector<double>& LatencyBucketBounds() {
  static const auto* b = new std::vector<double>{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return *b;
}

double HistogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<uint64_t>& counts) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0 || bounds.empty()) return 0;
  q = std::min(std::max(q, 0.0), 1.0);
  const double rank = q * static_cast<double>(total);
  double below = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double in = static_cast<double>(counts[i]);
    if (in > 0 && below + in >= rank) {
      if (i >= bounds.size()) return bounds.back();
      const double lo = i == 0 ? 0 : bounds[i - 1];
      const double hi = bounds[i];
      return lo + (hi - lo) * std::max(0.0, rank - below) / in;
    }
    below += in;
  }
  return bounds.back();
}

uint64_t ServerMetrics::KindSnapshot::requests() const {
  uint64_t n = 0;
  for (uint64_t c : by_code) n += c;
  return n;
}

uint64_t ServerMetrics::KindSnapshot::errors() const {
  return requests() - by_code[0];
}

ServerMetrics::ServerMetrics() : start_(std::chrono::steady_clock::now()) {
  for (Kind& k : kinds_) {
    k.buckets =
        std::vector<std::atomic<uint64_t>>(LatencyBucketBounds().size() + 1);
  }
}

int64_t ServerMetrics::SecondNow() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now() - start_)
      .count();
}

void ServerMetrics::Record(RpcKind kind, absl::StatusCode code,
                           absl::Duration latency) {
  Kind& k = kinds_[static_cast<int>(kind)];
  int c = static_cast<int>(code);
  if (c < 0 || c >= kCodes) c = static_cast<int>(absl::StatusCode::kUnknown);
  k.by_code[c].fetch_add(1, std::memory_order_relaxed);
  const double seconds = absl::ToDoubleSeconds(latency);
  const std::vector<double>& bounds = LatencyBucketBounds();
  const size_t b = static_cast<size_t>(
      std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
  k.buckets[b].fetch_add(1, std::memory_order_relaxed);
  k.latency_sum_ns.fetch_add(static_cast<uint64_t>(std::max<int64_t>(
                                 0, absl::ToInt64Nanoseconds(latency))),
                             std::memory_order_relaxed);
  const uint64_t second = static_cast<uint64_t>(SecondNow());
  std::atomic<uint64_t>& slot = k.ring[second % kWindowSeconds];
  uint64_t v = slot.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    if ((v >> kCountBits) == second) {
      next = (v & kCountMask) == kCountMask ? v : v + 1;
    } else {
      next = (second << kCountBits) | 1;
    }
  } while (!slot.compare_exchange_weak(v, next, std::memory_order_relaxed));
}

ServerMetrics::Snapshot ServerMetrics::Read() const {
  Snapshot s;
  for (int i = 0; i < kRpcKinds; ++i) {
    const Kind& k = kinds_[i];
    KindSnapshot& out = s.kinds[i];
    for (int c = 0; c < kCodes; ++c) {
      out.by_code[c] = k.by_code[c].load(std::memory_order_relaxed);
    }
    out.buckets.reserve(k.buckets.size());
    for (const auto& b : k.buckets) {
      out.buckets.push_back(b.load(std::memory_order_relaxed));
    }
    out.latency_sum_seconds =
        static_cast<double>(k.latency_sum_ns.load(std::memory_order_relaxed)) /
        1e9;
  }
  s.uptime_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
  return s;
}

uint64_t ServerMetrics::RequestsInWindow(int seconds, RpcKind kind) const {
  seconds = std::min(std::max(seconds, 1), kWindowSeconds);
  const int64_t now = SecondNow();
  uint64_t n = 0;
  for (const auto& slot : kinds_[static_cast<int>(kind)].ring) {
    const uint64_t v = slot.load(std::memory_order_relaxed);
    const int64_t second = static_cast<int64_t>(v >> kCountBits);
    if (second > now - seconds && second <= now) n += v & kCountMask;
  }
  return n;
}

uint64_t ServerMetrics::RequestsInWindow(int seconds) const {
  uint64_t n = 0;
  for (int i = 0; i < kRpcKinds; ++i) {
    n += RequestsInWindow(seconds, static_cast<RpcKind>(i));
  }
  return n;
}

std::string ServerMetrics::PrometheusText(const DataPlaneUsage& usage) const {
  const Snapshot s = Read();
  prometheus::TextWriter w;
  w.Family("cove_dataplane_requests_total", prometheus::Type::kCounter,
           "Requests served, by RPC kind and result code (business errors "
           "that Milvus replies carry in their status count with their "
           "code).");
  for (int i = 0; i < kRpcKinds; ++i) {
    for (int c = 0; c < kCodes; ++c) {
      const uint64_t n = s.kinds[i].by_code[c];
      // Every kind shows its OK series, even at zero; other codes when seen.
      if (n == 0 && c != 0) continue;
      w.Sample({{"kind", RpcKindName(static_cast<RpcKind>(i))},
                {"code",
                 absl::StatusCodeToString(static_cast<absl::StatusCode>(c))}},
               static_cast<double>(n));
    }
  }
  w.Family("cove_dataplane_request_duration_seconds",
           prometheus::Type::kHistogram,
           "Time from receiving a request to its reply, by RPC kind.");
  for (int i = 0; i < kRpcKinds; ++i) {
    w.Histogram({{"kind", RpcKindName(static_cast<RpcKind>(i))}},
                LatencyBucketBounds(), s.kinds[i].buckets,
                s.kinds[i].latency_sum_seconds);
  }
  w.Family("cove_dataplane_vectors", prometheus::Type::kGauge,
           "Entities (one vector each) held over every database.");
  w.Sample({}, static_cast<double>(usage.vectors));
  w.Family("cove_dataplane_storage_bytes", prometheus::Type::kGauge,
           "Bytes under the data directory (0 in memory).");
  w.Sample({}, static_cast<double>(usage.storage_bytes));
  if (usage.capacity_vectors >= 0) {
    w.Family("cove_dataplane_capacity_vectors", prometheus::Type::kGauge,
             "Entities the data plane admits (cluster capacity).");
    w.Sample({}, static_cast<double>(usage.capacity_vectors));
  }
  w.Family("cove_dataplane_uptime_seconds", prometheus::Type::kGauge,
           "Seconds since the server started.");
  w.Sample({}, s.uptime_seconds);
  return w.Take();
}

}  // namespace cove::server
