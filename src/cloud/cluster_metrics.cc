// ControlPlane.GetClusterMetrics and the control plane's own Prometheus
// exposition (requests per RPC, operations by verb and state, clusters by
// state).
#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"
#include "server/metrics.h"
#include "server/prometheus.h"

namespace cove::cloud {
namespace {

constexpr int kDefaultWindowSeconds = 60;

void FillKind(const server::ServerMetrics::KindSnapshot& k, double qps,
              const std::string& kind, v1::RequestKindMetrics* out) {
  const std::vector<double>& bounds = server::LatencyBucketBounds();
  out->set_kind(kind);
  out->set_requests(static_cast<int64_t>(k.requests()));
  out->set_errors(static_cast<int64_t>(k.errors()));
  out->set_qps(qps);
  out->set_latency_p50_ms(1000 *
                          server::HistogramQuantile(0.50, bounds, k.buckets));
  out->set_latency_p95_ms(1000 *
                          server::HistogramQuantile(0.95, bounds, k.buckets));
  out->set_latency_p99_ms(1000 *
                          server::HistogramQuantile(0.99, bounds, k.buckets));
}

// An agent's report of one request kind as a snapshot (only the request and
// error counts and the histogram are known).
server::ServerMetrics::KindSnapshot FromAgent(const v1::AgentRequestKind& k) {
  server::ServerMetrics::KindSnapshot out;
  const int64_t errors = std::max<int64_t>(0, k.errors());
  out.by_code[0] =
      static_cast<uint64_t>(std::max<int64_t>(0, k.requests() - errors));
  out.by_code[static_cast<int>(absl::StatusCode::kUnknown)] =
      static_cast<uint64_t>(errors);
  out.buckets.assign(server::LatencyBucketBounds().size() + 1, 0);
  for (int i = 0;
       i < k.latency_buckets_size() && i < static_cast<int>(out.buckets.size());
       ++i) {
    out.buckets[i] =
        static_cast<uint64_t>(std::max<int64_t>(0, k.latency_buckets(i)));
  }
  return out;
}

}  // namespace

void CloudCore::CountRpc(const char* method, absl::StatusCode code) {
  absl::MutexLock lock(&rpc_mu_);
  ++rpc_counts_[{method, static_cast<int>(code)}];
}

void CloudCore::FillClusterMetricsLocked(const v1::Cluster& cluster, int window,
                                         v1::ClusterMetrics* out) {
  const v1::Cluster view = ClusterViewLocked(cluster);
  v1::ClusterMetrics& m = *out;
  m.set_cluster(view.name());
  *m.mutable_time() = ToProto(NowLocked());
  m.set_window_seconds(window);
  m.set_cu_size(view.cu_size());
  m.set_replicas(view.replicas());
  m.set_capacity_vectors(view.capacity_vectors());
  m.set_vector_count(view.used_vectors());
  // CU usage: vectors or storage bytes, whichever is fuller.
  m.set_cu_usage(
      std::max(view.capacity_vectors() <= 0
                   ? 0.0
                   : static_cast<double>(view.used_vectors()) /
                         static_cast<double>(view.capacity_vectors()),
               view.capacity_bytes() <= 0
                   ? 0.0
                   : static_cast<double>(view.used_bytes()) /
                         static_cast<double>(view.capacity_bytes())));
  if (IsAgentEnvironmentLocked(view.environment())) {
    // Agent mode: from the agent's heartbeats (the data plane and its
    // directory are the agent's; the control plane never reads them).
    const AgentUsageSamples* u = AgentUsageLocked(view.name());
    if (u == nullptr) return;
    m.set_storage_bytes(u->latest.storage_bytes());
    if (!u->running || view.state() != v1::Cluster::RUNNING) return;
    m.set_serving(true);
    m.set_metrics_endpoint(view.metrics_endpoint());
    server::ServerMetrics::KindSnapshot all;
    all.buckets.assign(server::LatencyBucketBounds().size() + 1, 0);
    for (int i = 0; i < u->latest.kinds_size(); ++i) {
      const auto k = FromAgent(u->latest.kinds(i));
      for (int c = 0; c < server::ServerMetrics::kCodes; ++c) {
        all.by_code[c] += k.by_code[c];
      }
      for (size_t b = 0; b < k.buckets.size(); ++b) {
        all.buckets[b] += k.buckets[b];
      }
      FillKind(
          k, static_cast<double>(AgentRequestsInWindow(*u, window, i)) / window,
          u->latest.kinds(i).kind(), m.add_kinds());
    }
    v1::RequestKindMetrics total;
    FillKind(
        all,
        static_cast<double>(AgentRequestsInWindow(*u, window, -1)) / window,
        "all", &total);
    m.set_qps(total.qps());
    m.set_requests(total.requests());
    m.set_errors(total.errors());
    m.set_latency_p50_ms(total.latency_p50_ms());
    m.set_latency_p95_ms(total.latency_p95_ms());
    m.set_latency_p99_ms(total.latency_p99_ms());
    return;
  }
  m.set_storage_bytes(server::DirectoryBytes(DataDirLocked(view)));
  auto rt = runtimes_.find(view.name());
  if (rt == runtimes_.end()) return;
  m.set_serving(true);
  m.set_metrics_endpoint(view.metrics_endpoint());
  const server::ServerMetrics& sm = *rt->second.plane->metrics();
  const server::ServerMetrics::Snapshot snap = sm.Read();
  server::ServerMetrics::KindSnapshot all;
  all.buckets.assign(server::LatencyBucketBounds().size() + 1, 0);
  for (int i = 0; i < server::kRpcKinds; ++i) {
    const auto& k = snap.kinds[i];
    const auto kind = static_cast<server::RpcKind>(i);
    for (int c = 0; c < server::ServerMetrics::kCodes; ++c) {
      all.by_code[c] += k.by_code[c];
    }
    for (size_t b = 0; b < k.buckets.size(); ++b) {
      all.buckets[b] += k.buckets[b];
    }
    FillKind(k, static_cast<double>(sm.RequestsInWindow(window, kind)) / window,
             server::RpcKindName(kind), m.add_kinds());
  }
  v1::RequestKindMetrics total;
  FillKind(all, static_cast<double>(sm.RequestsInWindow(window)) / window,
           "all", &total);
  m.set_qps(total.qps());
  m.set_requests(total.requests());
  m.set_errors(total.errors());
  m.set_latency_p50_ms(total.latency_p50_ms());
  m.set_latency_p95_ms(total.latency_p95_ms());
  m.set_latency_p99_ms(total.latency_p99_ms());
  return;
}

absl::Status CloudCore::GetClusterMetrics(
    const RequestContext& ctx, const v1::GetClusterMetricsRequest& req,
    v1::ClusterMetrics* resp) {
  return Handle(
      ctx, "GetClusterMetrics", "clusters.getMetrics", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(),
                      {"organizations", "projects", "clusters"})
                .status());
        if (req.window_seconds() < 0 ||
            req.window_seconds() > server::ServerMetrics::kWindowSeconds) {
          return absl::InvalidArgumentError(absl::StrCat(
              "window_seconds: expected 1..",
              server::ServerMetrics::kWindowSeconds, " (0: ",
              kDefaultWindowSeconds, ") (got ", req.window_seconds(), ")"));
        }
        const int window = req.window_seconds() == 0 ? kDefaultWindowSeconds
                                                     : req.window_seconds();
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "clusters.getMetrics", req.name()));
        auto it = clusters_.find(req.name());
        if (it == clusters_.end()) {
          return absl::NotFoundError(
              absl::StrCat("cluster '", req.name(), "' not found"));
        }
        FillClusterMetricsLocked(it->second, window, resp);
        return absl::OkStatus();
      });
}

std::string CloudCore::ControlPlaneMetricsText() {
  prometheus::TextWriter w;
  w.Family("cove_control_requests_total", prometheus::Type::kCounter,
           "ControlPlane and Emulator requests, by RPC and result code.");
  {
    absl::MutexLock lock(&rpc_mu_);
    for (const auto& [key, n] : rpc_counts_) {
      w.Sample({{"method", key.first},
                {"code", absl::StatusCodeToString(
                             static_cast<absl::StatusCode>(key.second))}},
               static_cast<double>(n));
    }
  }
  absl::MutexLock lock(&mu_);
  std::map<std::pair<std::string, std::string>, int64_t> ops;
  for (const auto& [name, op] : operations_) {
    const std::string state = !op.done()             ? "RUNNING"
                              : op.error_code() == 0 ? "SUCCEEDED"
                                                     : "FAILED";
    ++ops[{op.verb(), state}];
  }
  w.Family("cove_control_operations", prometheus::Type::kGauge,
           "Operations kept, by verb and state (RUNNING, SUCCEEDED, FAILED).");
  for (const auto& [key, n] : ops) {
    w.Sample({{"verb", key.first}, {"state", key.second}},
             static_cast<double>(n));
  }
  std::map<std::string, int64_t> states;
  for (int s = v1::Cluster::State_MIN; s <= v1::Cluster::State_MAX; ++s) {
    if (v1::Cluster::State_IsValid(s) && s != v1::Cluster::STATE_UNSPECIFIED) {
      states[v1::Cluster::State_Name(static_cast<v1::Cluster::State>(s))] = 0;
    }
  }
  for (const auto& [name, c] : clusters_) {
    ++states[v1::Cluster::State_Name(c.state())];
  }
  w.Family("cove_control_clusters", prometheus::Type::kGauge,
           "Clusters, by state.");
  for (const auto& [state, n] : states) {
    w.Sample({{"state", state}}, static_cast<double>(n));
  }
  int64_t autoscaled = 0;
  for (const auto& [name, c] : clusters_) {
    if (c.autoscaling().enabled()) ++autoscaled;
  }
  w.Family("cove_control_autoscaled_clusters", prometheus::Type::kGauge,
           "Clusters with autoscaling enabled.");
  w.Sample({}, static_cast<double>(autoscaled));
  w.Family("cove_control_audit_events_total", prometheus::Type::kCounter,
           "Audit events written since the state was created.");
  w.Sample({}, static_cast<double>(next_audit_id_ - 1));
  return w.Take();
}

}  // namespace cove::cloud
