// The core's clusters and operations: the cluster verbs, the scheduler
// that completes operations on the emulator clock. Hosting the data planes
// themselves is cluster_hosting.cc.
#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloud/autoscaler.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"
#include "embedded/embedded_connection.h"
#include "hosting/backup_format.h"
#include "hosting/private_files.h"
#include "nlohmann/json.hpp"

namespace cove::cloud {
namespace {

using State = v1::Cluster::State;

// The transition table of the cluster verbs: the states a verb starts from
// and the state the cluster is in while the operation runs.
struct Transition {
  const char* verb;
  std::vector<State> from;
  State during;
};

const std::vector<Transition>& Transitions() {
  static const auto* t = new std::vector<Transition>{
      {"SuspendCluster",
       {v1::Cluster::RUNNING, v1::Cluster::IDLE},
       v1::Cluster::SUSPENDING},
      {"ResumeCluster",
       {v1::Cluster::SUSPENDED, v1::Cluster::IDLE},
       v1::Cluster::RESUMING},
      {"ScaleCluster", {v1::Cluster::RUNNING}, v1::Cluster::MODIFYING},
      {"DeleteCluster",
       {v1::Cluster::RUNNING, v1::Cluster::SUSPENDED, v1::Cluster::FAILED,
        v1::Cluster::IDLE},
       v1::Cluster::DELETING},
      {"RestoreCluster", {v1::Cluster::DELETED}, v1::Cluster::RESUMING},
      {"PurgeCluster", {v1::Cluster::DELETED}, v1::Cluster::DELETED},
  };
  return *t;
}

absl::Status CheckTransition(const v1::Cluster& c, const Transition& t) {
  for (State s : t.from) {
    if (c.state() == s) return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (State s : t.from) names.push_back(v1::Cluster::State_Name(s));
  return absl::FailedPreconditionError(absl::StrCat(
      "cluster '", c.name(), "' is ", v1::Cluster::State_Name(c.state()), "; ",
      t.verb, " needs ", absl::StrJoin(names, " or ")));
}

bool ValidCuSize(int n) {
  return n == 1 || n == 2 || n == 4 || n == 8 ||
         (n > 8 && n <= 256 && n % 4 == 0);
}

// The scaling rules: CU sizes 1, 2, 4, 8, then multiples of 4 up to 256;
// 1 to 8 replicas, more than one needing 8 CU or more; at most 256 CU in
// all (cu_size x replicas).
absl::Status CheckSize(int cu_size, int replicas) {
  if (!ValidCuSize(cu_size)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cu_size: expected 1, 2, 4, 8 or a multiple of 4 from 12 to 256 (got ",
        cu_size, ")"));
  }
  if (replicas < 1 || replicas > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("replicas: expected 1 to 8 (got ", replicas, ")"));
  }
  if (replicas > 1 && cu_size < 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "replicas: more than 1 replica needs cu_size >= 8 (got cu_size ",
        cu_size, " with ", replicas, " replicas)"));
  }
  if (cu_size * replicas > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("cu_size x replicas: expected at most 256 (got ", cu_size,
                     " x ", replicas, " = ", cu_size * replicas, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- helpers
// -----------------------------------------------------------------

int64_t CloudCore::CapacityLocked(const std::string& cu_type,
                                  int cu_size) const {
  auto it = vectors_per_cu_.find(cu_type);
  return it == vectors_per_cu_.end() ? 0 : it->second * cu_size;
}

int64_t CloudCore::CapacityBytesLocked(const std::string& cu_type,
                                       int cu_size) const {
  auto it = bytes_per_cu_.find(cu_type);
  return it == bytes_per_cu_.end() ? 0 : it->second * cu_size;
}

absl::StatusOr<v1::Cluster*> CloudCore::FindClusterLocked(
    const std::string& name) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) return NotFound("cluster", name);
  return &it->second;
}

v1::Cluster CloudCore::ClusterViewLocked(const v1::Cluster& c) {
  v1::Cluster out = c;
  auto rt = runtimes_.find(c.name());
  if (rt != runtimes_.end()) {
    auto used = rt->second.plane->connection()->CountEntities();
    if (used.ok()) out.set_used_vectors(*used);
    out.set_used_bytes(rt->second.plane->connection()->StorageBytes());
  }
  out.clear_admin_password();
  // A disabled public endpoint is not shown (its port stays the cluster's).
  if (out.public_endpoint_disabled()) out.clear_endpoint();
  UpgradeViewLocked(&out);  // upgrades.cc
  return out;
}

v1::Operation CloudCore::OperationViewLocked(const v1::Operation& op,
                                             const Principal& p) const {
  v1::Operation out = op;
  if (out.has_cluster()) out.mutable_cluster()->clear_admin_password();
  auto pw = op_passwords_.find(op.name());
  auto creator = op_creators_.find(op.name());
  if (pw != op_passwords_.end() && creator != op_creators_.end() &&
      creator->second == p.actor && out.has_cluster() && op.error_code() == 0) {
    out.mutable_cluster()->set_admin_password(pw->second);
  }
  return out;
}

// ---- once-shown passwords
// ------------------------------------------------------------

absl::StatusOr<const internal::Cipher*> CloudCore::SealingCipherLocked() {
  if (!sealing_cipher_.has_value()) {
    // A key of the state directory (0600), apart from the database: a copy
    // of cloud.db alone reveals no password.
    COVE_ASSIGN_OR_RETURN(
        internal::Cipher c,
        hosting::LoadOrCreateDataKey(options_.state_dir + "/sealing.key"));
    sealing_cipher_ = c;
  }
  return &*sealing_cipher_;
}

absl::Status CloudCore::SealPasswordLocked(const std::string& op) {
  auto pw = op_passwords_.find(op);
  if (pw == op_passwords_.end()) return absl::OkStatus();
  COVE_ASSIGN_OR_RETURN(const internal::Cipher* cipher, SealingCipherLocked());
  COVE_ASSIGN_OR_RETURN(std::string sealed,
                        cipher->Seal(pw->second, "cove-op-password:" + op));
  nlohmann::json j = {{"creator", op_creators_[op]},
                      {"sealed", absl::Base64Escape(sealed)}};
  return store_->Put("oppassword", op, j.dump());
}

void CloudCore::DropSealedPasswordLocked(const std::string& op) {
  (void)store_->Delete("oppassword", op);
}

absl::Status CloudCore::LoadSealedPasswordsLocked() {
  COVE_ASSIGN_OR_RETURN(auto rows, store_->LoadKind("oppassword"));
  for (const auto& [op, data] : rows) {
    nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
    std::string sealed;
    if (j.is_discarded() || !j.is_object() ||
        !absl::Base64Unescape(j.value("sealed", ""), &sealed)) {
      return absl::DataLossError(absl::StrCat(
          "state database: the sealed password of '", op, "' is corrupt"));
    }
    COVE_ASSIGN_OR_RETURN(const internal::Cipher* cipher,
                          SealingCipherLocked());
    auto password = cipher->Open(sealed, "cove-op-password:" + op);
    if (!password.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "state directory: the sealed password of '", op,
          "' does not open with sealing.key (", password.status().message(),
          "); was the key replaced?"));
    }
    op_passwords_[op] = *std::move(password);
    op_creators_[op] = j.value("creator", "");
  }
  return absl::OkStatus();
}

v1::Operation CloudCore::RevealLocked(const v1::Operation& op,
                                      const Principal& p) {
  v1::Operation out = OperationViewLocked(op, p);
  if (op.done() && out.has_cluster() && !out.cluster().admin_password().empty())
    DropSealedPasswordLocked(op.name());
  return out;
}

absl::Status CloudCore::PurgeLocked(const std::string& cluster_name) {
  auto it = clusters_.find(cluster_name);
  if (it == clusters_.end()) return absl::OkStatus();
  if (IsAgentEnvironmentLocked(it->second.environment())) {
    // The data lives with the agent: it deletes it.
    AgentForgetClusterLocked(it->second);
    COVE_RETURN_IF_ERROR(Unpersist("cluster", cluster_name));
    clusters_.erase(it);
    return absl::OkStatus();
  }
  StopDataPlaneLocked(&it->second);
  ports_.erase(cluster_name);
  const std::string dir = DataDirLocked(it->second);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "data directory '", dir, "': cannot remove (", ec.message(), ")"));
  }
  COVE_RETURN_IF_ERROR(Unpersist("cluster", cluster_name));
  clusters_.erase(it);
  return absl::OkStatus();
}

// ---- operations
// ------------------------------------------------------------------

absl::StatusOr<v1::Operation> CloudCore::StartOperationLocked(
    Call& call, v1::Cluster* cluster, v1::Cluster::State transitional,
    Pending pending) {
  const absl::Time now = NowLocked();
  COVE_ASSIGN_OR_RETURN(std::string id, RandomHex(8));
  v1::Operation op;
  op.set_name("operations/o" + id);
  op.set_verb(call.method);
  op.set_target(cluster->name());
  *op.mutable_create_time() = ToProto(now);
  op.set_request_id(call.request_id);
  v1::Fault fault;
  if (TakeFaultLocked(call.method, v1::Fault::FAIL, &fault)) {
    pending.fail_message =
        fault.message().empty() ? "injected fault" : fault.message();
    if (fault.replica() > 0 && call.method == "UpgradeCluster") {
      // The upgrade runs; one replica's health check fails (upgrades.cc).
      pending.fail_replica = fault.replica();
    } else {
      pending.fail = true;
      pending.fail_code = fault.code() == 0 ? 13 : fault.code();
    }
  }
  if (TakeFaultLocked(call.method, v1::Fault::STALL, &fault)) {
    pending.stalled = true;
  }
  pending.prev_state = cluster->state();
  pending.due = now + transition_delay_;
  cluster->set_state(transitional);
  cluster->set_state_message("");
  *cluster->mutable_update_time() = ToProto(now);
  cluster->set_etag(NewEtag());
  *op.mutable_cluster() = ClusterViewLocked(*cluster);
  COVE_RETURN_IF_ERROR(Persist("cluster", cluster->name(), *cluster));
  COVE_RETURN_IF_ERROR(Persist("operation", op.name(), op));
  operations_[op.name()] = op;
  pending_[op.name()] = pending;
  COVE_RETURN_IF_ERROR(PersistPendingLocked(op.name()));
  op_creators_[op.name()] = call.principal.actor;
  wake_ = true;
  return op;
}

void CloudCore::FinishOperationLocked(v1::Operation* op,
                                      const absl::Status& status,
                                      const v1::Cluster* result) {
  op->set_done(true);
  op->set_progress_percent(100);
  op->set_error_code(static_cast<int>(status.code()));
  op->set_error_message(std::string(status.message()));
  *op->mutable_end_time() = ToProto(NowLocked());
  if (result != nullptr) *op->mutable_cluster() = ClusterViewLocked(*result);
  // A failed create never shows its password.
  if (!status.ok()) DropSealedPasswordLocked(op->name());
  if (op->verb() == "RestoreBackup")
    (void)store_->Delete("restorejob", op->name());
  (void)Persist("operation", op->name(), *op);
  pending_.erase(op->name());
  (void)PersistPendingLocked(op->name());
}

void CloudCore::ExecuteLocked(const std::string& op_name) {
  auto oit = operations_.find(op_name);
  auto pit = pending_.find(op_name);
  if (oit == operations_.end() || pit == pending_.end()) return;
  v1::Operation* op = &oit->second;
  const Pending p = pit->second;
  auto cit = clusters_.find(op->target());
  if (cit == clusters_.end()) {
    FinishOperationLocked(op,
                          absl::NotFoundError(absl::StrCat(
                              "cluster '", op->target(), "' is gone")),
                          nullptr);
    return;
  }
  v1::Cluster* c = &cit->second;
  // A scheduled upgrade waits for its maintenance window (upgrades.cc).
  if (op->verb() == "UpgradeCluster" && !p.fail &&
      !UpgradeMayRunLocked(op_name, c)) {
    return;
  }
  const absl::Time now = NowLocked();
  const std::string& verb = op->verb();
  absl::Status status;
  if (!p.fail && IsAgentEnvironmentLocked(c->environment())) {
    AgentExecuteLocked(op_name);  // the agent carries it out
    return;
  }
  if (p.fail) {
    status = absl::Status(static_cast<absl::StatusCode>(p.fail_code),
                          absl::StrCat(verb, ": ", p.fail_message));
    if (verb == "CreateCluster") {
      c->set_state(v1::Cluster::FAILED);
    } else {
      c->set_state(static_cast<State>(p.prev_state));
    }
    c->set_state_message(std::string(status.message()));
  } else if (verb == "CreateCluster" || verb == "ResumeCluster" ||
             verb == "RestoreCluster") {
    status = StartDataPlaneLocked(c, 0);
    if (status.ok()) {
      c->set_state(v1::Cluster::RUNNING);
      c->clear_delete_time();
      c->clear_purge_time();
    } else {
      c->set_state(v1::Cluster::FAILED);
      c->set_state_message(std::string(status.message()));
    }
  } else if (verb == "ResetClusterPassword") {
    auto pw = op_passwords_.find(op_name);
    status = pw == op_passwords_.end()
                 ? absl::FailedPreconditionError(absl::StrCat(
                       "ResetClusterPassword of '", c->name(),
                       "': the new password was lost (a state written by an "
                       "older version); reset it again"))
                 : SetRootPasswordLocked(*c, pw->second);
    c->set_state(static_cast<State>(p.prev_state));
  } else if (verb == "SuspendCluster") {
    StopDataPlaneLocked(c);
    c->set_state(v1::Cluster::SUSPENDED);
  } else if (verb == "DeleteCluster") {
    StopDataPlaneLocked(c);
    c->set_state(v1::Cluster::DELETED);
    *c->mutable_delete_time() = ToProto(now);
    *c->mutable_purge_time() = ToProto(now + retention_);
  } else if (verb == "ScaleCluster") {
    c->set_cu_size(p.cu_size);
    c->set_replicas(p.replicas);
    c->set_capacity_vectors(CapacityLocked(c->cu_type(), c->cu_size()));
    c->set_capacity_bytes(CapacityBytesLocked(c->cu_type(), c->cu_size()));
    auto rt = runtimes_.find(c->name());
    if (rt != runtimes_.end()) {
      rt->second.plane->connection()->set_capacity(c->capacity_vectors());
      rt->second.plane->connection()->set_capacity_bytes(c->capacity_bytes());
      // One data-plane server instance per replica (hosting/data_plane.h).
      status = rt->second.plane->SetReplicas(std::max(1, c->replicas()));
      if (!status.ok()) {
        // The replicas that serve.
        c->set_replicas(rt->second.plane->replicas());
        c->set_state_message(std::string(status.message()));
      }
    }
    c->set_state(v1::Cluster::RUNNING);
  } else if (verb == "UpgradeCluster") {
    // One replica per pass (upgrades.cc); rolled back on failure: RUNNING
    // on the release serving.
    if (!UpgradeStepLocked(op, c, p, &status)) return;
    c->set_state(runtimes_.count(c->name()) != 0 ? v1::Cluster::RUNNING
                                                 : v1::Cluster::FAILED);
    c->set_state_message(std::string(status.message()));
  } else if (verb == "PurgeCluster") {
    v1::Cluster last = *c;
    last.set_endpoint("");
    last.clear_private_endpoint();
    last.clear_metrics_endpoint();
    status = PurgeLocked(c->name());
    FinishOperationLocked(op, status, &last);
    return;
  }
  *c->mutable_update_time() = ToProto(now);
  c->set_etag(NewEtag());
  (void)Persist("cluster", c->name(), *c);
  FinishOperationLocked(op, status, c);
}

void CloudCore::RunDueLocked() {
  const absl::Time now = NowLocked();
  std::vector<std::pair<absl::Time, std::string>> due;
  for (const auto& [name, p] : pending_) {
    if (!p.stalled && p.due <= now) due.emplace_back(p.due, name);
  }
  std::sort(due.begin(), due.end());
  for (const auto& [t, name] : due) ExecuteLocked(name);
  IdleTickLocked();  // cluster_idle.cc
  AutoscaleLocked();
  AgentTickLocked();
  ExpireInvitationsLocked();
  SupportAccessTickLocked();  // support_access.cc
  // The janitor: soft-deleted clusters past their restore window.
  std::vector<std::string> purge;
  for (const auto& [name, c] : clusters_) {
    if (c.state() == v1::Cluster::DELETED && c.has_purge_time() &&
        FromProto(c.purge_time()) <= now) {
      purge.push_back(name);
    }
  }
  for (const std::string& name : purge) {
    absl::Status s = PurgeLocked(name);
    Call call;
    call.principal.actor = "system";
    call.action = "clusters.purge";
    call.resource = name;
    call.mutation = true;
    AuditLocked(call, s);
  }
  // Backups in flight, backup policies, customer keys (backups.cc).
  RunBackupsAndKeysLocked();
  // Alert rules (alerts.cc).
  EvaluateAlertsLocked();
}

void CloudCore::SchedulerLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    RunDueLocked();
    DrainDataPlaneAuditLocked();
    absl::Duration wait = absl::Milliseconds(500);
    // An IDLE cluster's endpoint asks for a wake from a gRPC thread that
    // must not take mu_: look for it often while any cluster is IDLE.
    if (!idle_listeners_.empty()) wait = absl::Milliseconds(10);
    if (!manual_clock_) {
      const absl::Time now = NowLocked();
      for (const auto& [name, p] : pending_) {
        if (!p.stalled) wait = std::min(wait, p.due - now);
      }
    }
    wake_ = false;
    // A rolling upgrade goes on with its next replica at once.
    if (rerun_) wait = absl::ZeroDuration();
    rerun_ = false;
    mu_.AwaitWithTimeout(
        absl::Condition(
            +[](CloudCore* c) { return c->wake_ || c->stopping_; }, this),
        std::max(wait, absl::ZeroDuration()));
  }
}

// ---- cluster RPCs
// ----------------------------------------------------------------

absl::Status CloudCore::CheckCreateClusterRequest(
    const v1::CreateClusterRequest& req) {
  COVE_RETURN_IF_ERROR(
      ParseName("parent", req.parent(), {"organizations", "projects"})
          .status());
  COVE_RETURN_IF_ERROR(ValidateId("cluster_id", req.cluster_id()));
  const v1::Cluster& in = req.cluster();
  COVE_RETURN_IF_ERROR(ParseName("cluster.environment", in.environment(),
                                 {"organizations", "projects", "environments"})
                           .status());
  if (!Within(in.environment(), req.parent())) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster.environment: expected an environment of ",
                     req.parent(), " (got '", in.environment(), "')"));
  }
  const std::string cu_type =
      in.cu_type().empty() ? "performance" : in.cu_type();
  if (cu_type != "performance" && cu_type != "capacity") {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster.cu_type: expected performance or capacity (got '",
                     cu_type, "')"));
  }
  const int cu_size = in.cu_size() == 0 ? 1 : in.cu_size();
  const int replicas = in.replicas() == 0 ? 1 : in.replicas();
  COVE_RETURN_IF_ERROR(CheckSize(cu_size, replicas));
  COVE_RETURN_IF_ERROR(
      ValidateIdleTimeout("cluster.idle_timeout", in.idle_timeout()));
  COVE_RETURN_IF_ERROR(CanonicalIpAccessList(in).status());
  if (!in.private_endpoint().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster.private_endpoint: output only (set "
                     "cluster.private_endpoint_enabled; got '",
                     in.private_endpoint(), "')"));
  }
  // Versions and upgrades (upgrades.cc): output only, or set by their RPC.
  if (!in.version().empty() || in.available_upgrades_size() != 0 ||
      in.has_scheduled_upgrade() || in.has_maintenance_window()) {
    return absl::InvalidArgumentError(
        "cluster.version/available_upgrades/scheduled_upgrade/"
        "maintenance_window: expected unset (new clusters run the catalog's "
        "default release; set a window with SetMaintenanceWindow)");
  }
  return ValidateAutoscaling("cluster.autoscaling", in.autoscaling());
}

absl::Status CloudCore::CreateCluster(const RequestContext& ctx,
                                      const v1::CreateClusterRequest& req,
                                      v1::Operation* resp) {
  const std::string name =
      absl::StrCat(req.parent(), "/clusters/", req.cluster_id());
  return Handle(ctx, "CreateCluster", "clusters.create", true, name,
                req.request_id(), [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(CheckCreateClusterRequest(req));
                  COVE_RETURN_IF_ERROR(
                      AuthorizeLocked(call, "clusters.create", req.parent()));
                  COVE_ASSIGN_OR_RETURN(bool replayed,
                                        ReplayOperationLocked(call, req, resp));
                  if (replayed) return absl::OkStatus();
                  COVE_ASSIGN_OR_RETURN(v1::Operation op,
                                        CreateClusterLocked(call, req));
                  *resp = OperationViewLocked(op, call.principal);
                  return RememberLocked(call, req, op, op);
                });
}

absl::StatusOr<v1::Operation> CloudCore::CreateClusterLocked(
    Call& call, const v1::CreateClusterRequest& req) {
  const std::string name =
      absl::StrCat(req.parent(), "/clusters/", req.cluster_id());
  const v1::Cluster& in = req.cluster();
  if (projects_.count(req.parent()) == 0)
    return NotFound("project", req.parent());
  auto env = environments_.find(in.environment());
  if (env == environments_.end())
    return NotFound("environment", in.environment());
  if (env->second.state() != v1::Environment::READY &&
      env->second.state() != v1::Environment::CONNECTED) {
    return absl::FailedPreconditionError(
        absl::StrCat("environment '", in.environment(), "' is ",
                     v1::Environment::State_Name(env->second.state()),
                     "; clusters need a READY (or CONNECTED) environment",
                     env->second.state_message().empty() ? "" : ": ",
                     env->second.state_message()));
  }
  if (clusters_.count(name) != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("cluster '", name, "' already exists (",
                     v1::Cluster::State_Name(clusters_[name].state()), ")"));
  }
  const std::string cu_type =
      in.cu_type().empty() ? "performance" : in.cu_type();
  const int cu_size = in.cu_size() == 0 ? 1 : in.cu_size();
  const int replicas = in.replicas() == 0 ? 1 : in.replicas();
  COVE_RETURN_IF_ERROR(
      CheckLicenseLocked(req.parent(), name, cu_size, replicas, call.method));
  const absl::Time now = NowLocked();
  v1::Cluster c;
  c.set_name(name);
  c.set_display_name(in.display_name().empty() ? req.cluster_id()
                                               : in.display_name());
  c.set_environment(in.environment());
  c.set_cu_type(cu_type);
  c.set_cu_size(cu_size);
  c.set_replicas(replicas);
  *c.mutable_labels() = in.labels();
  *c.mutable_create_time() = ToProto(now);
  c.set_admin_user(auth::kRootUser);
  c.set_capacity_vectors(CapacityLocked(cu_type, cu_size));
  c.set_capacity_bytes(CapacityBytesLocked(cu_type, cu_size));
  c.set_version(DefaultReleaseLocked());  // upgrades.cc
  *c.mutable_autoscaling() = in.autoscaling();
  *c.mutable_idle_timeout() = in.idle_timeout();
  COVE_ASSIGN_OR_RETURN(std::vector<std::string> ip_access_list,
                        CanonicalIpAccessList(in));
  for (std::string& cidr : ip_access_list) c.add_ip_access_list(cidr);
  // Private endpoint (cluster_network.cc).
  COVE_RETURN_IF_ERROR(CheckEndpointsLocked(c, in.private_endpoint_enabled(),
                                            in.public_endpoint_disabled()));
  c.set_private_endpoint_enabled(in.private_endpoint_enabled());
  c.set_public_endpoint_disabled(in.public_endpoint_disabled());
  // Customer-managed key and backup policy (keys.cc).
  COVE_RETURN_IF_ERROR(PrepareClusterKeyLocked(in, &c));
  const std::string dir = DataDirLocked(c);
  for (const auto& [other, oc] : clusters_) {
    // Buckets are not shared between environments (CreateEnvironment), so
    // the other cluster is of this environment; still, no name is given.
    if (DataDirLocked(oc) == dir) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory '", dir, "' is used by another cluster"));
    }
  }
  // The data plane's users: root with a once-shown password, stored hashed
  // in the data directory before anything runs; the password itself is
  // kept sealed until the creator has seen it (SealPasswordLocked), so that
  // a create interrupted by a crash still returns it.
  COVE_ASSIGN_OR_RETURN(std::string password, RandomAlnum(24));
  // Agent mode: the agent creates the data directory and its users (the
  // control plane never touches the customer's bucket).
  if (env->second.mode() != v1::Environment::AGENT) {
    if (absl::Status made = hosting::MakePrivateDirs("data directory", dir);
        !made.ok()) {
      return absl::FailedPreconditionError(made.message());
    }
    COVE_RETURN_IF_ERROR(hosting::CreateDataPlaneUsers(
        dir, auth::kRootUser, password, options_.pbkdf2_iterations));
  }
  c.set_state(v1::Cluster::STATE_UNSPECIFIED);
  clusters_[name] = c;
  // The cluster, its operation and the sealed password are written as one
  // change: a crash keeps all of them or none.
  Store::Atomic atomic(store_.get());
  auto op = StartOperationLocked(call, &clusters_[name], v1::Cluster::CREATING,
                                 Pending{});
  absl::Status s = op.status();
  if (s.ok()) {
    op_passwords_[op->name()] = password;
    s = SealPasswordLocked(op->name());
  }
  if (s.ok()) s = atomic.Commit();
  if (!s.ok()) {
    clusters_.erase(name);
    if (op.ok()) {
      operations_.erase(op->name());
      pending_.erase(op->name());
      op_passwords_.erase(op->name());
      op_creators_.erase(op->name());
    }
    return s;
  }
  return *op;
}

absl::Status CloudCore::GetCluster(const RequestContext& ctx,
                                   const v1::GetRequest& req,
                                   v1::Cluster* resp) {
  return Handle(
      ctx, "GetCluster", "clusters.get", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(),
                      {"organizations", "projects", "clusters"})
                .status());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, "clusters.get", req.name()));
        COVE_ASSIGN_OR_RETURN(v1::Cluster * c, FindClusterLocked(req.name()));
        *resp = ClusterViewLocked(*c);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ListClusters(const RequestContext& ctx,
                                     const v1::ListClustersRequest& req,
                                     v1::ListClustersResponse* resp) {
  return Handle(
      ctx, "ListClusters", "clusters.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        std::string parent = req.parent();
        if (absl::EndsWith(parent, "/projects/-")) {
          parent = parent.substr(0, parent.size() - 11);
          COVE_RETURN_IF_ERROR(
              ParseName("parent", parent, {"organizations"}).status());
        } else {
          COVE_RETURN_IF_ERROR(
              ParseName("parent", parent, {"organizations", "projects"})
                  .status());
        }
        COVE_ASSIGN_OR_RETURN(
            Filter filter,
            ParseFilter(req.filter(), {"state", "environment", "cu_type",
                                       "show_deleted", "labels."}));
        if (auto* v = filter.Get("show_deleted");
            v && *v != "true" && *v != "false") {
          return absl::InvalidArgumentError(absl::StrCat(
              "filter: show_deleted expects true or false (got '", *v, "')"));
        }
        if (auto* v = filter.Get("state")) {
          State s;
          if (!v1::Cluster::State_Parse(*v, &s)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "filter: state expects a cluster state such as RUNNING (got '",
                *v, "')"));
          }
        }
        COVE_RETURN_IF_ERROR(
            AuthorizeListLocked(call, "clusters.list", parent));
        const std::string* show = filter.Get("show_deleted");
        const std::string* state = filter.Get("state");
        const bool show_deleted = (show != nullptr && *show == "true") ||
                                  (state != nullptr && *state == "DELETED");
        std::vector<std::pair<std::string, v1::Cluster>> items;
        for (const auto& [name, c] : clusters_) {
          if (!Within(name, parent)) continue;
          if (!AllowedLocked(call.principal, "clusters.get", name)) continue;
          if (c.state() == v1::Cluster::DELETED && !show_deleted) continue;
          bool match = true;
          for (const auto& [f, v] : filter.terms) {
            if (f == "state")
              match = match && v1::Cluster::State_Name(c.state()) == v;
            else if (f == "environment")
              match = match && c.environment() == v;
            else if (f == "cu_type")
              match = match && c.cu_type() == v;
            else if (absl::StartsWith(f, "labels.")) {
              auto l = c.labels().find(f.substr(7));
              match = match && l != c.labels().end() && l->second == v;
            }
          }
          if (match) items.emplace_back(name, ClusterViewLocked(c));
        }
        PageRequest page{
            req.page_size(), req.page_token(),
            absl::StrCat("clusters|", req.parent(), "|", req.filter())};
        return Paginate(items, page, resp->mutable_clusters(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::UpdateCluster(const RequestContext& ctx,
                                      const v1::UpdateClusterRequest& req,
                                      v1::Cluster* resp) {
  const std::string& name = req.cluster().name();
  return Handle(
      ctx, "UpdateCluster", "clusters.update", true, name, "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("cluster.name", name,
                      {"organizations", "projects", "clusters"})
                .status());
        COVE_ASSIGN_OR_RETURN(
            std::set<std::string> paths,
            MaskPaths(req.update_mask(),
                      {"display_name", "labels", "autoscaling", "idle_timeout",
                       "ip_access_list", "private_endpoint_enabled",
                       "public_endpoint_disabled"}));
        const v1::Autoscaling& as = req.cluster().autoscaling();
        if (paths.count("autoscaling")) {
          COVE_RETURN_IF_ERROR(ValidateAutoscaling("cluster.autoscaling", as));
        }
        if (paths.count("idle_timeout")) {
          COVE_RETURN_IF_ERROR(ValidateIdleTimeout(
              "cluster.idle_timeout", req.cluster().idle_timeout()));
        }
        std::vector<std::string> ip_access_list;
        if (paths.count("ip_access_list")) {
          COVE_ASSIGN_OR_RETURN(ip_access_list,
                                CanonicalIpAccessList(req.cluster()));
        }
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, "clusters.update", name));
        COVE_ASSIGN_OR_RETURN(v1::Cluster * c, FindClusterLocked(name));
        COVE_RETURN_IF_ERROR(CheckEtag(absl::StrCat("cluster '", name, "'"),
                                       req.cluster().etag(), c->etag()));
        if (c->state() == v1::Cluster::DELETING ||
            c->state() == v1::Cluster::DELETED) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cluster '", name, "' is ", v1::Cluster::State_Name(c->state()),
              "; UpdateCluster needs a cluster that is not deleted"));
        }
        // Private and public endpoints (cluster_network.cc): the result
        // must leave the cluster reachable.
        const bool endpoints = paths.count("private_endpoint_enabled") ||
                               paths.count("public_endpoint_disabled");
        const bool private_enabled =
            paths.count("private_endpoint_enabled")
                ? req.cluster().private_endpoint_enabled()
                : c->private_endpoint_enabled();
        const bool public_disabled =
            paths.count("public_endpoint_disabled")
                ? req.cluster().public_endpoint_disabled()
                : c->public_endpoint_disabled();
        if (endpoints) {
          COVE_RETURN_IF_ERROR(
              CheckEndpointsLocked(*c, private_enabled, public_disabled));
          const v1::Cluster before = *c;
          c->set_private_endpoint_enabled(private_enabled);
          c->set_public_endpoint_disabled(public_disabled);
          // In force at once (listeners change without losing data); on
          // failure the endpoints stay as they were.
          if (absl::Status s = ApplyEndpointsLocked(c); !s.ok()) {
            *c = before;
            return s;
          }
        }
        if (paths.count("display_name"))
          c->set_display_name(req.cluster().display_name());
        if (paths.count("labels"))
          *c->mutable_labels() = req.cluster().labels();
        if (paths.count("autoscaling")) *c->mutable_autoscaling() = as;
        if (paths.count("idle_timeout")) {
          *c->mutable_idle_timeout() = req.cluster().idle_timeout();
          // The timeout counts from now (not from an earlier request), in
          // both modes (cluster_idle.cc).
          ResetIdleActivityLocked(name);
        }
        if (paths.count("ip_access_list")) {
          c->clear_ip_access_list();
          for (std::string& cidr : ip_access_list) c->add_ip_access_list(cidr);
        }
        *c->mutable_update_time() = ToProto(NowLocked());
        c->set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist("cluster", name, *c));
        // In force at once, without a restart of the data plane.
        if (paths.count("ip_access_list")) ApplyIpAccessListLocked(*c);
        *resp = ClusterViewLocked(*c);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ClusterVerb(const RequestContext& ctx,
                                    const char* method, const char* action,
                                    const v1::ClusterActionRequest& req,
                                    v1::Operation* resp) {
  return Handle(
      ctx, method, action, true, req.name(), req.request_id(),
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(),
                      {"organizations", "projects", "clusters"})
                .status());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, action, req.name()));
        COVE_ASSIGN_OR_RETURN(bool replayed,
                              ReplayOperationLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        COVE_ASSIGN_OR_RETURN(v1::Cluster * c, FindClusterLocked(req.name()));
        COVE_RETURN_IF_ERROR(CheckEtag(
            absl::StrCat("cluster '", req.name(), "'"), req.etag(), c->etag()));
        const Transition* t = nullptr;
        for (const Transition& x : Transitions()) {
          if (call.method == x.verb) t = &x;
        }
        COVE_RETURN_IF_ERROR(CheckTransition(*c, *t));
        if (call.method == "ResumeCluster" || call.method == "RestoreCluster")
          COVE_RETURN_IF_ERROR(CheckClusterKeyLocked(*c));
        if (call.method == "RestoreCluster") {
          COVE_RETURN_IF_ERROR(CheckLicenseLocked(
              req.name().substr(0, req.name().find("/clusters/")), req.name(),
              c->cu_size(), c->replicas(), call.method));
        }
        if (call.method == "RestoreCluster" && c->has_purge_time() &&
            FromProto(c->purge_time()) <= NowLocked()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cluster '", req.name(), "': the restore window ended at ",
              absl::FormatTime(absl::RFC3339_sec, FromProto(c->purge_time()),
                               absl::UTCTimeZone())));
        }
        COVE_ASSIGN_OR_RETURN(
            v1::Operation op,
            StartOperationLocked(call, c, t->during, Pending{}));
        *resp = OperationViewLocked(op, call.principal);
        return RememberLocked(call, req, op, op);
      });
}

absl::Status CloudCore::SuspendCluster(const RequestContext& ctx,
                                       const v1::ClusterActionRequest& req,
                                       v1::Operation* resp) {
  return ClusterVerb(ctx, "SuspendCluster", "clusters.suspend", req, resp);
}
absl::Status CloudCore::ResumeCluster(const RequestContext& ctx,
                                      const v1::ClusterActionRequest& req,
                                      v1::Operation* resp) {
  return ClusterVerb(ctx, "ResumeCluster", "clusters.resume", req, resp);
}
absl::Status CloudCore::DeleteCluster(const RequestContext& ctx,
                                      const v1::ClusterActionRequest& req,
                                      v1::Operation* resp) {
  return ClusterVerb(ctx, "DeleteCluster", "clusters.delete", req, resp);
}
absl::Status CloudCore::RestoreCluster(const RequestContext& ctx,
                                       const v1::ClusterActionRequest& req,
                                       v1::Operation* resp) {
  return ClusterVerb(ctx, "RestoreCluster", "clusters.restore", req, resp);
}
absl::Status CloudCore::PurgeCluster(const RequestContext& ctx,
                                     const v1::ClusterActionRequest& req,
                                     v1::Operation* resp) {
  return ClusterVerb(ctx, "PurgeCluster", "clusters.purge", req, resp);
}

absl::Status CloudCore::ResetClusterPassword(
    const RequestContext& ctx, const v1::ClusterActionRequest& req,
    v1::Operation* resp) {
  return Handle(
      ctx, "ResetClusterPassword", "clusters.resetPassword", true, req.name(),
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(),
                      {"organizations", "projects", "clusters"})
                .status());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "clusters.resetPassword", req.name()));
        COVE_ASSIGN_OR_RETURN(bool replayed,
                              ReplayOperationLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        COVE_ASSIGN_OR_RETURN(v1::Cluster * c, FindClusterLocked(req.name()));
        COVE_RETURN_IF_ERROR(CheckEtag(
            absl::StrCat("cluster '", req.name(), "'"), req.etag(), c->etag()));
        if (c->state() != v1::Cluster::RUNNING &&
            c->state() != v1::Cluster::SUSPENDED) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cluster '", req.name(), "' is ",
              v1::Cluster::State_Name(c->state()),
              "; ResetClusterPassword needs RUNNING or SUSPENDED"));
        }
        // The new password is sealed with the operation (as a create's), so
        // that neither a crash nor a lost answer loses it.
        COVE_ASSIGN_OR_RETURN(std::string password, RandomAlnum(24));
        const std::string message = c->state_message();
        Store::Atomic atomic(store_.get());
        COVE_ASSIGN_OR_RETURN(
            v1::Operation op,
            StartOperationLocked(call, c, c->state(), Pending{}));
        c->set_state_message(message);  // the state does not change
        COVE_RETURN_IF_ERROR(Persist("cluster", c->name(), *c));
        op_passwords_[op.name()] = password;
        COVE_RETURN_IF_ERROR(SealPasswordLocked(op.name()));
        COVE_RETURN_IF_ERROR(atomic.Commit());
        *resp = OperationViewLocked(op, call.principal);
        return RememberLocked(call, req, op, op);
      });
}

absl::Status CloudCore::ScaleCluster(const RequestContext& ctx,
                                     const v1::ScaleClusterRequest& req,
                                     v1::Operation* resp) {
  return Handle(
      ctx, "ScaleCluster", "clusters.scale", true, req.name(), req.request_id(),
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(),
                      {"organizations", "projects", "clusters"})
                .status());
        if (req.cu_size() < 0 || req.replicas() < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("cu_size/replicas: expected 0 (unchanged) or a "
                           "positive value (got ",
                           req.cu_size(), "/", req.replicas(), ")"));
        }
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "clusters.scale", req.name()));
        COVE_ASSIGN_OR_RETURN(bool replayed,
                              ReplayOperationLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        COVE_ASSIGN_OR_RETURN(v1::Cluster * c, FindClusterLocked(req.name()));
        COVE_RETURN_IF_ERROR(CheckEtag(
            absl::StrCat("cluster '", req.name(), "'"), req.etag(), c->etag()));
        const int cu_size = req.cu_size() == 0 ? c->cu_size() : req.cu_size();
        const int replicas =
            req.replicas() == 0 ? c->replicas() : req.replicas();
        COVE_RETURN_IF_ERROR(CheckSize(cu_size, replicas));
        for (const Transition& t : Transitions()) {
          if (call.method == t.verb)
            COVE_RETURN_IF_ERROR(CheckTransition(*c, t));
        }
        const int64_t capacity = CapacityLocked(c->cu_type(), cu_size);
        const int64_t used = ClusterViewLocked(*c).used_vectors();
        if (cu_size < c->cu_size() && used * 10 > capacity * 8) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cluster '", req.name(), "' holds ", used,
              " vectors, more than 80% of the ", capacity, " that cu_size ",
              cu_size, " admits; delete data or choose a larger size"));
        }
        const int64_t capacity_bytes =
            CapacityBytesLocked(c->cu_type(), cu_size);
        const int64_t used_bytes = ClusterViewLocked(*c).used_bytes();
        if (cu_size < c->cu_size() && used_bytes * 10 > capacity_bytes * 8) {
          return absl::FailedPreconditionError(
              absl::StrCat("cluster '", req.name(), "' holds ", used_bytes,
                           " bytes, more than 80% of the ", capacity_bytes,
                           " bytes that cu_size ", cu_size,
                           " admits; delete data or choose a larger size"));
        }
        COVE_RETURN_IF_ERROR(CheckLicenseLocked(
            req.name().substr(0, req.name().find("/clusters/")), req.name(),
            cu_size, replicas, call.method));
        Pending p;
        p.cu_size = cu_size;
        p.replicas = replicas;
        COVE_ASSIGN_OR_RETURN(
            v1::Operation op,
            StartOperationLocked(call, c, v1::Cluster::MODIFYING, p));
        *resp = OperationViewLocked(op, call.principal);
        return RememberLocked(call, req, op, op);
      });
}

// ---- operation RPCs
// ---------------------------------------------------------------

absl::Status CloudCore::GetOperation(const RequestContext& ctx,
                                     const v1::GetRequest& req,
                                     v1::Operation* resp) {
  return Handle(ctx, "GetOperation", "operations.get", false, req.name(), "",
                [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(
                      ParseName("name", req.name(), {"operations"}).status());
                  auto it = operations_.find(req.name());
                  if (it == operations_.end())
                    return NotFound("operation", req.name());
                  COVE_RETURN_IF_ERROR(AuthorizeLocked(call, "operations.get",
                                                       it->second.target()));
                  *resp = RevealLocked(it->second, call.principal);
                  return absl::OkStatus();
                });
}

absl::Status CloudCore::ListOperations(const RequestContext& ctx,
                                       const v1::ListOperationsRequest& req,
                                       v1::ListOperationsResponse* resp) {
  return Handle(
      ctx, "ListOperations", "operations.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        if (!ParseName("parent", req.parent(), {"organizations"}).ok()) {
          COVE_RETURN_IF_ERROR(
              ParseName("parent", req.parent(), {"organizations", "projects"})
                  .status());
        }
        COVE_ASSIGN_OR_RETURN(
            Filter filter,
            ParseFilter(req.filter(), {"done", "target", "verb"}));
        COVE_RETURN_IF_ERROR(
            AuthorizeListLocked(call, "operations.list", req.parent()));
        std::vector<std::pair<std::string, v1::Operation>> items;
        for (const auto& [name, op] : operations_) {
          if (!Within(op.target(), req.parent())) continue;
          if (!AllowedLocked(call.principal, "operations.get", op.target()))
            continue;
          if (auto* v = filter.Get("done");
              v && *v != (op.done() ? "true" : "false")) {
            continue;
          }
          if (auto* v = filter.Get("target"); v && *v != op.target()) continue;
          if (auto* v = filter.Get("verb"); v && *v != op.verb()) continue;
          items.emplace_back(name, RevealLocked(op, call.principal));
        }
        PageRequest page{req.page_size(), req.page_token(),
                         absl::StrCat("ops|", req.parent(), "|", req.filter())};
        return Paginate(items, page, resp->mutable_operations(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::WaitOperation(const RequestContext& ctx,
                                      const v1::WaitOperationRequest& req,
                                      v1::Operation* resp) {
  return Handle(
      ctx, "WaitOperation", "operations.get", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"operations"}).status());
        if (req.timeout_ms() < 0 || req.timeout_ms() > 60000) {
          return absl::InvalidArgumentError(absl::StrCat(
              "timeout_ms: expected 0 to 60000 (got ", req.timeout_ms(), ")"));
        }
        auto it = operations_.find(req.name());
        if (it == operations_.end()) return NotFound("operation", req.name());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "operations.get", it->second.target()));
        const v1::Operation* op = &it->second;
        const int64_t timeout =
            req.timeout_ms() == 0 ? 60000 : req.timeout_ms();
        const absl::Time deadline = absl::Now() + absl::Milliseconds(timeout);
        struct Args {
          const v1::Operation* op;
          const bool* stopping;
        } args{op, &stopping_};
        // Wake at least every 100 ms to notice a cancelled call.
        while (!op->done() && !stopping_ && !ctx.IsCancelled() &&
               absl::Now() < deadline) {
          mu_.AwaitWithTimeout(
              absl::Condition(
                  +[](Args* a) { return a->op->done() || *a->stopping; },
                  &args),
              std::min(deadline - absl::Now(), absl::Milliseconds(100)));
        }
        *resp = RevealLocked(*op, call.principal);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::CancelOperation(const RequestContext& ctx,
                                        const v1::CancelOperationRequest& req,
                                        v1::Operation* resp) {
  return Handle(
      ctx, "CancelOperation", "operations.cancel", true, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"operations"}).status());
        auto it = operations_.find(req.name());
        if (it == operations_.end()) return NotFound("operation", req.name());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "operations.cancel", it->second.target()));
        v1::Operation* op = &it->second;
        if (op->done()) {
          *resp = OperationViewLocked(*op, call.principal);
          return absl::OkStatus();
        }
        op->set_cancel_requested(true);
        if (CancelBackupJobLocked(op)) {
          *resp = OperationViewLocked(*op, call.principal);
          return absl::OkStatus();
        }
        const Pending p = pending_[op->name()];
        auto c = clusters_.find(op->target());
        const absl::Status cancelled = absl::CancelledError(
            absl::StrCat(op->verb(), " of '", op->target(), "' was cancelled"));
        if (c == clusters_.end()) {
          FinishOperationLocked(op, cancelled, nullptr);
        } else if (op->verb() == "CreateCluster") {
          // Before the create there was no cluster.
          v1::Cluster last = c->second;
          last.set_state(v1::Cluster::STATE_UNSPECIFIED);
          COVE_RETURN_IF_ERROR(PurgeLocked(op->target()));
          FinishOperationLocked(op, cancelled, &last);
        } else {
          // A rolling upgrade in the middle rolls back (upgrades.cc).
          AbortRollingUpgradeLocked(op->name());
          c->second.set_state(static_cast<State>(p.prev_state));
          c->second.set_state_message("");
          // A scheduled upgrade cancelled (upgrades.cc).
          if (c->second.scheduled_upgrade().operation() == op->name())
            c->second.clear_scheduled_upgrade();
          c->second.set_etag(NewEtag());
          COVE_RETURN_IF_ERROR(Persist("cluster", c->first, c->second));
          FinishOperationLocked(op, cancelled, &c->second);
        }
        *resp = OperationViewLocked(*op, call.principal);
        return absl::OkStatus();
      });
}

// The sizing rules, for the autoscaler (autoscaler.h).
bool IsValidCuSize(int cu_size) { return ValidCuSize(cu_size); }
absl::Status CheckClusterSize(int cu_size, int replicas) {
  return CheckSize(cu_size, replicas);
}

}  // namespace cove::cloud
