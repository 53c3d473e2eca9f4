// Agent mode in the control-plane core: sessions of cove-agent (their
// streams are the transport's: agent_gateway.h), commands and their results,
// lost agents and reconciliation.
#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/agent_stream.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"

namespace cove::cloud {

namespace v1 = ::cove::control::v1;

namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

// Samples of request counts are kept this long (the longest metrics
// window) plus one before it.
constexpr int64_t kUsageWindowMs = 600 * 1000;

}  // namespace

std::string AgentCredentialSecretName(const std::string& environment) {
  return environment + "/agentCredential";
}

AgentStream::~AgentStream() = default;
AgentPort::~AgentPort() = default;

void CloudCore::AgentShutdown() {
  absl::MutexLock lock(&mu_);
  agent_shutdown_ = true;
  for (auto& [env, s] : agent_sessions_) s->stream->End();
}

bool CloudCore::IsAgentEnvironmentLocked(const std::string& environment) const {
  auto it = environments_.find(environment);
  return it != environments_.end() &&
         it->second.mode() == v1::Environment::AGENT;
}

std::shared_ptr<CloudCore::AgentSession> CloudCore::AgentSessionLocked(
    const std::string& environment) const {
  auto it = agent_sessions_.find(environment);
  return it == agent_sessions_.end() ? nullptr : it->second;
}

void CloudCore::AgentSendLocked(const std::string& environment,
                                v1::AgentCommand command) {
  auto s = AgentSessionLocked(environment);
  if (s == nullptr) return;
  v1::ControlMessage m;
  *m.mutable_command() = std::move(command);
  s->stream->Send(std::move(m));
}

void CloudCore::AgentRequeueLocked(const std::string& environment) {
  const absl::Time now = NowLocked();
  for (auto& [op_name, p] : pending_) {
    if (agent_sent_.count(op_name) != 0) continue;
    auto op = operations_.find(op_name);
    if (op == operations_.end()) continue;
    auto c = clusters_.find(op->second.target());
    if (c == clusters_.end() || c->second.environment() != environment) {
      continue;
    }
    if (!p.stalled && p.due > now) p.due = now;
  }
  for (auto& [op_name, job] : backup_jobs_) {
    if (job.agent_dir.empty() || agent_sent_.count(op_name) != 0) continue;
    // A restore or backup belongs to its cluster's environment, a delete
    // to its backup's.
    std::string env;
    if (auto c = clusters_.find(job.cluster); c != clusters_.end()) {
      env = c->second.environment();
    } else if (auto b = backups_.find(job.backup); b != backups_.end()) {
      env = b->second.environment();
    }
    if (env == environment && job.due > now) job.due = now;
  }
  wake_ = true;
}

// ---- sessions
// ----------------------------------------------------------------

absl::StatusOr<v1::AgentWelcome> CloudCore::AgentConnect(
    const v1::AgentHello& hello, std::shared_ptr<AgentStream> stream,
    const std::string& peer) {
  auto session = std::make_shared<AgentSession>();
  session->stream = std::move(stream);
  absl::MutexLock lock(&mu_);
  if (agent_shutdown_) {
    return absl::UnavailableError(
        "agent stream: the control plane is stopping");
  }
  COVE_ASSIGN_OR_RETURN(v1::AgentWelcome welcome,
                        AgentRegisterLocked(hello, session, peer));
  agent_streams_[session->stream.get()] = session;
  return welcome;
}

void CloudCore::AgentReceive(const AgentStream* stream,
                             const v1::AgentMessage& message) {
  absl::MutexLock lock(&mu_);
  auto it = agent_streams_.find(stream);
  if (it == agent_streams_.end()) return;
  const std::shared_ptr<AgentSession> session = it->second;
  if (message.has_heartbeat()) {
    AgentHeartbeatLocked(session, message.heartbeat());
  } else if (message.has_result()) {
    AgentResultLocked(session, message.result());
  } else if (message.has_access_denials() &&
             AgentSessionLocked(session->environment) == session) {
    AgentAccessDenialsLocked(session->environment, message.access_denials());
  }
}

void CloudCore::AgentDisconnect(const AgentStream* stream) {
  absl::MutexLock lock(&mu_);
  auto it = agent_streams_.find(stream);
  if (it == agent_streams_.end()) return;
  const std::shared_ptr<AgentSession> session = it->second;
  agent_streams_.erase(it);
  AgentSessionEndedLocked(session);
}

absl::StatusOr<std::string> CloudCore::AgentEnvironmentByTokenLocked(
    const std::string& token) {
  for (const auto& [name, env] : environments_) {
    if (env.mode() != v1::Environment::AGENT) continue;
    auto sec = secrets_.find(name);
    if (sec == secrets_.end()) continue;
    if (auth::VerifyPassword(token, sec->second)) return name;
  }
  return absl::UnauthenticatedError(
      "agent token: not valid for any environment awaiting an agent (already "
      "used, rotated or mistyped); the agent reconnects with its credential, "
      "or rotate the token (RotateAgentToken)");
}

absl::StatusOr<v1::AgentWelcome> CloudCore::AgentRegisterLocked(
    const v1::AgentHello& hello, const std::shared_ptr<AgentSession>& session,
    const std::string& peer) {
  Call call;
  call.method = "AgentConnect";
  call.action = "environments.agentConnect";
  call.mutation = true;
  call.principal.actor = "agent";
  std::string credential;
  auto body = [&]() -> absl::Status {
    std::string env_name = hello.environment();
    const bool with_token = hello.credential().empty();
    if (with_token && hello.token().empty()) {
      return absl::UnauthenticatedError(
          "hello: expected an agent token or an agent credential (got "
          "neither)");
    }
    if (!with_token && env_name.empty()) {
      return absl::InvalidArgumentError(
          "hello.environment: expected the environment name with a "
          "credential (got none)");
    }
    if (with_token && env_name.empty()) {
      COVE_ASSIGN_OR_RETURN(env_name,
                            AgentEnvironmentByTokenLocked(hello.token()));
    }
    call.resource = env_name;
    call.principal.actor = "agent:" + env_name;
    auto it = environments_.find(env_name);
    if (it == environments_.end()) {
      return absl::NotFoundError(
          absl::StrCat("environment '", env_name, "' not found"));
    }
    v1::Environment& env = it->second;
    if (env.mode() != v1::Environment::AGENT) {
      return absl::FailedPreconditionError(
          absl::StrCat("environment '", env_name, "' is in mode ",
                       v1::Environment::Mode_Name(env.mode()),
                       "; only AGENT environments take an agent"));
    }
    const absl::Time now = NowLocked();
    const std::string cred_name = AgentCredentialSecretName(env_name);
    if (with_token) {
      auto sec = secrets_.find(env_name);
      if (sec == secrets_.end()) {
        return absl::UnauthenticatedError(absl::StrCat(
            "agent token of environment '", env_name,
            "': already used or replaced; the agent reconnects with its "
            "credential, or rotate the token (RotateAgentToken)"));
      }
      if (env.has_agent_token_expire_time() &&
          FromProto(env.agent_token_expire_time()) <= now) {
        return absl::UnauthenticatedError(absl::StrCat(
            "agent token of environment '", env_name, "': expired at ",
            Rfc3339(FromProto(env.agent_token_expire_time())),
            "; rotate it (RotateAgentToken)"));
      }
      if (!auth::VerifyPassword(hello.token(), sec->second)) {
        return absl::UnauthenticatedError(absl::StrCat(
            "agent token: not valid for environment '", env_name, "'"));
      }
      // The token is spent; the agent keeps a credential instead.
      DropSecretLocked(env_name);
      env.clear_agent_token_expire_time();
      COVE_ASSIGN_OR_RETURN(std::string random, RandomAlnum(48));
      credential = "cove-agentcred_" + random;
      COVE_ASSIGN_OR_RETURN(
          auth::PasswordHash hash,
          auth::HashPassword(credential, options_.pbkdf2_iterations));
      secrets_[cred_name] = hash;
      COVE_RETURN_IF_ERROR(PersistSecretLocked(cred_name, "", hash));
    } else {
      auto sec = secrets_.find(cred_name);
      if (sec == secrets_.end() ||
          !auth::VerifyPassword(hello.credential(), sec->second)) {
        return absl::UnauthenticatedError(absl::StrCat(
            "agent credential: not valid for environment '", env_name,
            "'; register the agent again with a new agent token "
            "(RotateAgentToken)"));
      }
    }
    // A newer agent replaces the one connected (if any).
    if (auto old = AgentSessionLocked(env_name); old != nullptr) {
      old->stream->End();
      for (auto s = agent_sent_.begin(); s != agent_sent_.end();) {
        s = s->second == old->id ? agent_sent_.erase(s) : std::next(s);
      }
    }
    session->id = next_agent_session_id_++;
    session->environment = env_name;
    session->last_beat = now;
    session->last_beat_real = absl::Now();
    agent_sessions_[env_name] = session;
    agent_lost_at_.erase(env_name);
    env.set_state(v1::Environment::CONNECTED);
    env.set_state_message(absl::StrCat(
        "agent connected from ", hello.host().empty() ? peer : hello.host(),
        " (cove-agent ", hello.agent_version(), ")"));
    *env.mutable_last_heartbeat_time() = ToProto(now);
    // The address of the customer's network its private endpoints listen
    // on (cluster_network.cc).
    env.set_private_network_address(hello.private_network_address());
    *env.mutable_update_time() = ToProto(now);
    env.set_etag(NewEtag());
    COVE_RETURN_IF_ERROR(Persist("environment", env_name, env));
    return absl::OkStatus();
  };
  absl::Status s = body();
  AuditLocked(call, s);
  COVE_RETURN_IF_ERROR(s);
  AgentReconcileLocked(session->environment, hello);
  AgentRequeueLocked(session->environment);
  v1::AgentWelcome welcome;
  welcome.set_environment(session->environment);
  welcome.set_credential(credential);
  welcome.set_heartbeat_interval_ms(options_.agent_heartbeat_interval.count());
  return welcome;
}

void CloudCore::AgentSessionEndedLocked(
    const std::shared_ptr<AgentSession>& session) {
  auto it = agent_sessions_.find(session->environment);
  if (it == agent_sessions_.end() || it->second != session) return;
  agent_sessions_.erase(it);
  const absl::Time now = NowLocked();
  agent_lost_at_[session->environment] = now;
  auto env = environments_.find(session->environment);
  if (env != environments_.end() &&
      env->second.state() == v1::Environment::CONNECTED) {
    env->second.set_state_message(
        absl::StrCat("agent stream lost at ", Rfc3339(now),
                     "; DISCONNECTED unless the agent is back within ",
                     absl::FormatDuration(
                         absl::FromChrono(options_.agent_heartbeat_timeout))));
    (void)Persist("environment", env->first, env->second);
  }
  // Commands the agent did not finish are sent again when it is back.
  for (auto s = agent_sent_.begin(); s != agent_sent_.end();) {
    if (s->second != session->id) {
      ++s;
      continue;
    }
    auto p = pending_.find(s->first);
    if (p != pending_.end()) p->second.due = now;
    auto j = backup_jobs_.find(s->first);
    if (j != backup_jobs_.end()) j->second.due = now;
    agent_waiting_[s->first] = now;
    s = agent_sent_.erase(s);
  }
  wake_ = true;
}

// ---- what the agent reports
// ----------------------------------------------------

void CloudCore::AgentObserveLocked(const v1::AgentClusterStatus& status) {
  auto c = clusters_.find(status.cluster());
  if (c == clusters_.end()) return;
  // An IDLE cluster's idle endpoint moves with its endpoints too
  // (cluster_idle.cc); its data plane reports no usage meanwhile.
  const bool idle = c->second.state() == v1::Cluster::IDLE &&
                    status.state() == v1::AgentClusterStatus::IDLE;
  if (!idle && (c->second.state() != v1::Cluster::RUNNING ||
                status.state() != v1::AgentClusterStatus::RUNNING)) {
    return;
  }
  if (!idle) {
    c->second.set_used_vectors(status.used_vectors());
    c->second.set_used_bytes(status.used_bytes());
  }
  bool changed = false;
  if (!status.endpoint().empty() && status.endpoint() != c->second.endpoint()) {
    c->second.set_endpoint(status.endpoint());
    changed = true;
  }
  if (!status.metrics_endpoint().empty() &&
      status.metrics_endpoint() != c->second.metrics_endpoint()) {
    c->second.set_metrics_endpoint(status.metrics_endpoint());
    changed = true;
  }
  if (status.private_endpoint() != c->second.private_endpoint()) {
    c->second.set_private_endpoint(status.private_endpoint());
    changed = true;
  }
  if (changed) (void)Persist("cluster", c->first, c->second);
}

void CloudCore::AgentHeartbeatLocked(
    const std::shared_ptr<AgentSession>& session,
    const v1::AgentHeartbeat& heartbeat) {
  if (AgentSessionLocked(session->environment) != session) return;
  auto env = environments_.find(session->environment);
  if (env == environments_.end()) return;
  session->last_beat = NowLocked();
  session->last_beat_real = absl::Now();
  *env->second.mutable_last_heartbeat_time() = ToProto(session->last_beat);
  (void)Persist("environment", env->first, env->second);
  for (const auto& status : heartbeat.clusters()) {
    auto c = clusters_.find(status.cluster());
    if (c != clusters_.end() &&
        c->second.environment() == session->environment) {
      AgentRecordUsageLocked(status);
      AgentIdleObserveLocked(session->environment, status, false);
      if (status.state() == v1::AgentClusterStatus::KEY_REVOKED) {
        AgentKeyRevokedLocked(status);
      } else {
        AgentObserveLocked(status);
      }
    }
  }
}

void CloudCore::AgentReconcileLocked(const std::string& environment,
                                     const v1::AgentHello& hello) {
  std::set<std::string> busy;  // clusters with an operation in flight
  for (const auto& [op_name, p] : pending_) {
    auto op = operations_.find(op_name);
    if (op != operations_.end()) busy.insert(op->second.target());
  }
  auto command = [&](const std::string& cluster, const char* kind) {
    v1::AgentCommand cmd;
    cmd.set_command_id(absl::StrCat(kind, "/", cluster));
    cmd.set_cluster(cluster);
    return cmd;
  };
  std::set<std::string> reported;
  for (const auto& s : hello.clusters()) {
    reported.insert(s.cluster());
    auto c = clusters_.find(s.cluster());
    if (c == clusters_.end() || c->second.environment() != environment) {
      // Purged while the agent was away (or never ours): the control plane
      // is the source of truth.
      v1::AgentCommand cmd = command(s.cluster(), "purge");
      cmd.mutable_purge();
      AgentSendLocked(environment, std::move(cmd));
      continue;
    }
    // The IP access list, also when it changed while the agent was away
    // (before anything else, so that a running data plane has it at once).
    AgentSendLocked(environment, AgentIpAccessCommand(c->second));
    // Its endpoints (cluster_network.cc), also when changed meanwhile.
    AgentSendLocked(environment, AgentEndpointsCommand(c->second));
    // Support access grants in force (support_access.cc).
    AgentSendLocked(environment, AgentSupportAccessCommand(s.cluster()));
    if (busy.count(s.cluster()) != 0) continue;  // its operation is resent
    // Auto-idle (cluster_idle.cc): idle or woken while the agent was away.
    AgentIdleObserveLocked(environment, s, true);
    const bool runs = s.state() == v1::AgentClusterStatus::RUNNING;
    const bool idle_there = s.state() == v1::AgentClusterStatus::IDLE;
    if (s.state() == v1::AgentClusterStatus::KEY_REVOKED) {
      AgentKeyRevokedLocked(s);  // not started again: the key is not there
      continue;
    }
    if (c->second.state() == v1::Cluster::IDLE && (runs || idle_there)) {
      continue;  // its endpoint answers
    }
    if (c->second.state() == v1::Cluster::RUNNING ||
        c->second.state() == v1::Cluster::IDLE) {
      if (runs) {
        AgentObserveLocked(s);
      } else {
        v1::AgentCommand cmd = command(s.cluster(), "reconcile");
        cmd.mutable_start()->set_capacity_vectors(c->second.capacity_vectors());
        cmd.mutable_start()->set_replicas(std::max(1, c->second.replicas()));
        cmd.mutable_start()->set_capacity_bytes(c->second.capacity_bytes());
        *cmd.mutable_start()->mutable_ip_access_list() =
            c->second.ip_access_list();
        cmd.mutable_start()->set_private_endpoint_enabled(
            c->second.private_endpoint_enabled());
        cmd.mutable_start()->set_public_endpoint_disabled(
            c->second.public_endpoint_disabled());
        AgentSendLocked(environment, std::move(cmd));
      }
    } else if (runs || idle_there) {
      v1::AgentCommand cmd = command(s.cluster(), "reconcile");
      cmd.mutable_stop();
      AgentSendLocked(environment, std::move(cmd));
    }
  }
  for (const auto& [name, c] : clusters_) {
    if (c.environment() != environment || reported.count(name) != 0 ||
        busy.count(name) != 0 ||
        (c.state() != v1::Cluster::RUNNING && c.state() != v1::Cluster::IDLE)) {
      continue;
    }
    v1::AgentCommand cmd = command(name, "reconcile");
    cmd.mutable_start()->set_capacity_vectors(c.capacity_vectors());
    cmd.mutable_start()->set_replicas(std::max(1, c.replicas()));
    cmd.mutable_start()->set_capacity_bytes(c.capacity_bytes());
    *cmd.mutable_start()->mutable_ip_access_list() = c.ip_access_list();
    cmd.mutable_start()->set_private_endpoint_enabled(
        c.private_endpoint_enabled());
    cmd.mutable_start()->set_public_endpoint_disabled(
        c.public_endpoint_disabled());
    AgentSendLocked(environment, std::move(cmd));
  }
}

void CloudCore::AgentResultLocked(const std::shared_ptr<AgentSession>& session,
                                  const v1::AgentCommandResult& r) {
  const absl::Time now = NowLocked();
  int code = r.error_code();
  if (code < 0 || code > 16)
    code = static_cast<int>(absl::StatusCode::kInternal);
  if (!absl::StartsWith(r.command_id(), "operations/")) {
    // Reconciliation and purges: no operation to finish.
    if (!r.done()) return;
    if (absl::StartsWith(r.command_id(), "endpoints/")) {
      // The private endpoint the agent's data plane serves now.
      auto c = clusters_.find(r.cluster().cluster());
      if (code == 0 && c != clusters_.end() &&
          c->second.environment() == session->environment) {
        AgentObserveLocked(r.cluster());
      }
      return;
    }
    if (absl::StartsWith(r.command_id(), "idle/")) {
      AgentIdleResultLocked(session->environment, r, code);  // cluster_idle.cc
      return;
    }
    if (!absl::StartsWith(r.command_id(), "reconcile/")) return;
    auto c = clusters_.find(r.cluster().cluster());
    if (c == clusters_.end() ||
        c->second.environment() != session->environment) {
      return;
    }
    if (code != 0 && c->second.state() == v1::Cluster::RUNNING) {
      c->second.set_state(v1::Cluster::FAILED);
      c->second.set_state_message(
          absl::StrCat("reconciliation: the agent could not start the data "
                       "plane: ",
                       r.error_message()));
      *c->second.mutable_update_time() = ToProto(now);
      c->second.set_etag(NewEtag());
      (void)Persist("cluster", c->first, c->second);
    } else if (code == 0) {
      // An IDLE cluster started again serves (cluster_idle.cc).
      AgentIdleObserveLocked(session->environment, r.cluster(), true);
      AgentObserveLocked(r.cluster());
    }
    return;
  }
  if (auto b = operations_.find(r.command_id());
      b != operations_.end() && IsBackupVerb(b->second.verb())) {
    AgentBackupResultLocked(r, code);
    return;
  }
  auto oit = operations_.find(r.command_id());
  auto pit = pending_.find(r.command_id());
  if (oit == operations_.end() || pit == pending_.end()) {
    return;  // cancelled or already finished
  }
  v1::Operation* op = &oit->second;
  if (!r.done()) {
    op->set_progress_percent(std::clamp(
        std::max(op->progress_percent(), r.progress_percent()), 0, 99));
    (void)Persist("operation", op->name(), *op);
    return;
  }
  agent_sent_.erase(op->name());
  agent_waiting_.erase(op->name());
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
  const std::string& verb = op->verb();
  absl::Status status;
  if (code != 0) {
    status = absl::Status(static_cast<absl::StatusCode>(code),
                          absl::StrCat(verb, " of '", c->name(),
                                       "' on the agent: ", r.error_message()));
  }
  // The release the agent's data plane runs (after a rollback: the old).
  if (verb == "UpgradeCluster" && !r.cluster().release().empty())
    c->set_version(r.cluster().release());
  if (verb == "CreateCluster" || verb == "ResumeCluster" ||
      verb == "RestoreCluster") {
    if (status.ok()) {
      c->set_state(v1::Cluster::RUNNING);
      c->set_state_message("");
      // Auto-idle: its idle_timeout counts from now (cluster_idle.cc).
      ResetIdleActivityLocked(c->name());
      c->set_endpoint(r.cluster().endpoint());
      c->set_metrics_endpoint(r.cluster().metrics_endpoint());
      c->set_private_endpoint(r.cluster().private_endpoint());
      c->set_used_vectors(r.cluster().used_vectors());
      if (!r.cluster().encryption_key_id().empty())
        c->set_encryption_key_id(r.cluster().encryption_key_id());
      c->clear_delete_time();
      c->clear_purge_time();
      AgentRecordUsageLocked(r.cluster());
    } else if (verb == "ResumeCluster") {
      // The data is intact (e.g. its customer key is still missing): the
      // cluster stays SUSPENDED and can be resumed again.
      c->set_state(static_cast<v1::Cluster::State>(p.prev_state));
      c->set_state_message(std::string(status.message()));
    } else {
      c->set_state(v1::Cluster::FAILED);
      c->set_state_message(std::string(status.message()));
    }
  } else if (verb == "PurgeCluster") {
    if (status.ok()) {
      v1::Cluster last = *c;
      last.set_endpoint("");
      last.clear_metrics_endpoint();
      last.clear_private_endpoint();
      agent_usage_.erase(c->name());
      (void)Unpersist("cluster", c->name());
      clusters_.erase(cit);
      FinishOperationLocked(op, status, &last);
      return;
    }
    c->set_state_message(std::string(status.message()));
  } else if (!status.ok()) {
    c->set_state(static_cast<v1::Cluster::State>(p.prev_state));
    c->set_state_message(std::string(status.message()));
  } else if (verb == "SuspendCluster") {
    c->set_state(v1::Cluster::SUSPENDED);
    agent_usage_[c->name()].running = false;
  } else if (verb == "DeleteCluster") {
    agent_usage_[c->name()].running = false;
    c->set_state(v1::Cluster::DELETED);
    *c->mutable_delete_time() = ToProto(now);
    *c->mutable_purge_time() = ToProto(now + retention_);
  } else if (verb == "ScaleCluster") {
    c->set_cu_size(p.cu_size);
    c->set_replicas(p.replicas);
    // The replicas the agent's data plane serves (fewer when starting one
    // failed).
    if (!status.ok() && r.cluster().replicas() > 0)
      c->set_replicas(r.cluster().replicas());
    c->set_capacity_vectors(CapacityLocked(c->cu_type(), p.cu_size));
    c->set_capacity_bytes(CapacityBytesLocked(c->cu_type(), p.cu_size));
    c->set_state(v1::Cluster::RUNNING);
    c->set_state_message(std::string(status.message()));
  } else if (verb == "UpgradeCluster") {
    c->set_state(v1::Cluster::RUNNING);
    c->set_state_message(std::string(status.message()));
  }
  *c->mutable_update_time() = ToProto(now);
  c->set_etag(NewEtag());
  (void)Persist("cluster", c->name(), *c);
  FinishOperationLocked(op, status, c);
}

// ---- operations of agent-mode clusters
// ----------------------------------------

void CloudCore::AgentExecuteLocked(const std::string& op_name) {
  auto oit = operations_.find(op_name);
  auto pit = pending_.find(op_name);
  if (oit == operations_.end() || pit == pending_.end()) return;
  v1::Operation* op = &oit->second;
  Pending& p = pit->second;
  auto cit = clusters_.find(op->target());
  if (cit == clusters_.end()) return;
  v1::Cluster* c = &cit->second;
  if (agent_sent_.count(op_name) != 0) {
    p.due = absl::InfiniteFuture();  // the agent's result finishes it
    return;
  }
  const absl::Time now = NowLocked();
  const absl::Time since = agent_waiting_.emplace(op_name, now).first->second;
  const std::string& verb = op->verb();
  auto fail = [&](const absl::Status& status) {
    if (verb == "CreateCluster") {
      c->set_state(v1::Cluster::FAILED);
    } else {
      c->set_state(static_cast<v1::Cluster::State>(p.prev_state));
    }
    c->set_state_message(std::string(status.message()));
    *c->mutable_update_time() = ToProto(now);
    c->set_etag(NewEtag());
    (void)Persist("cluster", c->name(), *c);
    agent_waiting_.erase(op_name);
    FinishOperationLocked(op, status, c);
  };
  auto session = AgentSessionLocked(c->environment());
  if (session == nullptr) {
    const absl::Duration timeout =
        absl::FromChrono(options_.agent_operation_timeout);
    if (now < since + timeout) {
      p.due = since + timeout;  // waits for the agent, or for the deadline
      return;
    }
    auto env = environments_.find(c->environment());
    std::string state = env == environments_.end()
                            ? "gone"
                            : v1::Environment::State_Name(env->second.state());
    fail(absl::UnavailableError(
        absl::StrCat(verb, " of '", c->name(), "': environment '",
                     c->environment(), "' has had no connected agent (", state,
                     ") for ", absl::FormatDuration(timeout),
                     "; start cove-agent and run the verb again")));
    return;
  }
  v1::AgentCommand cmd;
  cmd.set_command_id(op_name);
  cmd.set_cluster(c->name());
  if (verb == "CreateCluster") {
    auto pw = op_passwords_.find(op_name);
    if (pw == op_passwords_.end()) {
      fail(absl::FailedPreconditionError(absl::StrCat(
          "CreateCluster of '", c->name(),
          "': the once-shown admin password was lost in a control-plane "
          "restart before the agent received it; delete the cluster and "
          "create it again")));
      return;
    }
    auto* create = cmd.mutable_create();
    create->set_admin_user(c->admin_user());
    create->set_admin_password(pw->second);
    create->set_capacity_vectors(c->capacity_vectors());
    create->set_replicas(std::max(1, c->replicas()));
    create->set_capacity_bytes(c->capacity_bytes());
    create->set_encryption_key(c->encryption_key());
    *create->mutable_ip_access_list() = c->ip_access_list();
    create->set_private_endpoint_enabled(c->private_endpoint_enabled());
    create->set_public_endpoint_disabled(c->public_endpoint_disabled());
    create->set_release(c->version());  // upgrades.cc
  } else if (verb == "ResumeCluster" || verb == "RestoreCluster") {
    cmd.mutable_start()->set_capacity_vectors(c->capacity_vectors());
    cmd.mutable_start()->set_replicas(std::max(1, c->replicas()));
    cmd.mutable_start()->set_capacity_bytes(c->capacity_bytes());
    *cmd.mutable_start()->mutable_ip_access_list() = c->ip_access_list();
    cmd.mutable_start()->set_private_endpoint_enabled(
        c->private_endpoint_enabled());
    cmd.mutable_start()->set_public_endpoint_disabled(
        c->public_endpoint_disabled());
  } else if (verb == "SuspendCluster" || verb == "DeleteCluster") {
    cmd.mutable_stop();
  } else if (verb == "ScaleCluster") {
    auto* scale = cmd.mutable_scale();
    scale->set_cu_size(p.cu_size);
    scale->set_replicas(p.replicas);
    scale->set_capacity_vectors(CapacityLocked(c->cu_type(), p.cu_size));
    scale->set_capacity_bytes(CapacityBytesLocked(c->cu_type(), p.cu_size));
  } else if (verb == "UpgradeCluster") {
    // upgrades.cc: the agent upgrades its replicas one at a time, with a
    // health check after each and rollback (hosting::RollingUpgrade).
    auto* upgrade = cmd.mutable_upgrade();
    upgrade->set_release(p.version);
    upgrade->set_unhealthy_reason(BrokenReasonLocked(p.version));
    upgrade->set_current_release(c->version());
    upgrade->set_fail_replica(p.fail_replica);
    if (p.fail_replica > 0) upgrade->set_fail_reason(p.fail_message);
  } else if (verb == "PurgeCluster") {
    cmd.mutable_purge();
  } else if (verb == "ResetClusterPassword") {
    auto pw = op_passwords_.find(op_name);
    if (pw == op_passwords_.end()) {
      fail(absl::FailedPreconditionError(
          absl::StrCat("ResetClusterPassword of '", c->name(),
                       "': the new password was lost; reset it again")));
      return;
    }
    auto* reset = cmd.mutable_reset_password();
    reset->set_admin_user(c->admin_user());
    reset->set_admin_password(pw->second);
  } else {
    fail(absl::UnimplementedError(
        absl::StrCat(verb, " of '", c->name(),
                     "': not implemented for agent-mode environments")));
    return;
  }
  AgentSendLocked(c->environment(), std::move(cmd));
  agent_sent_[op_name] = session->id;
  p.due = absl::InfiniteFuture();
  op->set_progress_percent(std::max(op->progress_percent(), 10));
  (void)Persist("operation", op->name(), *op);
}

void CloudCore::AgentBackupResultLocked(const v1::AgentCommandResult& r,
                                        int code) {
  auto oit = operations_.find(r.command_id());
  auto jit = backup_jobs_.find(r.command_id());
  if (oit == operations_.end() || jit == backup_jobs_.end() ||
      oit->second.done()) {
    if (r.done()) {
      agent_sent_.erase(r.command_id());
      agent_waiting_.erase(r.command_id());
    }
    return;  // cancelled or already finished
  }
  v1::Operation* op = &oit->second;
  if (!r.done()) {
    op->set_progress_percent(std::clamp(
        std::max(op->progress_percent(), r.progress_percent()), 0, 99));
    (void)Persist("operation", op->name(), *op);
    return;
  }
  agent_sent_.erase(op->name());
  agent_waiting_.erase(op->name());
  const BackupJob job = jit->second;
  backup_jobs_.erase(jit);
  const std::string verb = op->verb();
  absl::Status status;
  if (code != 0) {
    status = absl::Status(static_cast<absl::StatusCode>(code),
                          absl::StrCat(verb, " of '", job.backup,
                                       "' on the agent: ", r.error_message()));
  }
  if (verb == "RestoreBackup") {
    if (status.ok() && !r.has_backup()) {
      status = absl::InternalError(
          absl::StrCat("RestoreBackup of '", job.backup,
                       "': the agent reported success without a result; "
                       "upgrade cove-agent"));
    }
    auto cit = clusters_.find(job.cluster);
    if (cit != clusters_.end()) AgentObserveLocked(r.cluster());
    // A new cluster whose restore failed is FAILED, never RUNNING and empty.
    if (!status.ok() && !job.create_op.empty())
      FailRestoredClusterLocked(job.cluster, job.backup, status);
    FinishOperationLocked(op, status,
                          cit == clusters_.end() ? nullptr : &cit->second);
    return;
  }
  auto bit = backups_.find(job.backup);
  if (bit == backups_.end()) {
    FinishOperationLocked(
        op,
        absl::NotFoundError(absl::StrCat("backup '", job.backup, "' is gone")),
        nullptr);
    return;
  }
  v1::Backup* b = &bit->second;
  if (verb == "DeleteBackup") {
    v1::Backup last = *b;
    if (status.ok()) {
      (void)Unpersist("backup", b->name());
      backups_.erase(bit);
    } else {
      b->set_state(v1::Backup::FAILED);
      b->set_state_message(std::string(status.message()));
      b->set_etag(NewEtag());
      (void)Persist("backup", b->name(), *b);
      last = *b;
    }
    *op->mutable_backup() = last;
    FinishOperationLocked(op, status, nullptr);
    return;
  }
  if (status.ok() && !r.has_backup()) {
    status = absl::InternalError(
        absl::StrCat("CreateBackup of '", b->name(),
                     "': the agent reported success without a backup result; "
                     "upgrade cove-agent"));
  }
  if (status.ok()) {
    b->set_state(v1::Backup::READY);
    b->set_state_message("");
    b->clear_collections();
    for (const std::string& c : r.backup().collections()) b->add_collections(c);
    b->set_size_bytes(r.backup().size_bytes());
    b->set_row_count(r.backup().row_count());
  } else {
    b->set_state(v1::Backup::FAILED);
    b->set_state_message(std::string(status.message()));
  }
  b->set_etag(NewEtag());
  (void)Persist("backup", b->name(), *b);
  *op->mutable_backup() = *b;
  FinishOperationLocked(op, status, nullptr);
}

void CloudCore::AgentExecuteBackupLocked(const std::string& op_name) {
  auto oit = operations_.find(op_name);
  auto jit = backup_jobs_.find(op_name);
  if (oit == operations_.end() || jit == backup_jobs_.end()) {
    return;
  }
  v1::Operation* op = &oit->second;
  BackupJob& job = jit->second;
  if (agent_sent_.count(op_name) != 0) {
    job.due = absl::InfiniteFuture();  // the agent's result finishes it
    return;
  }
  const std::string verb = op->verb();
  const absl::Time now = NowLocked();
  // Waits from its creation (or from the loss of the agent it was sent to).
  const absl::Time since =
      agent_waiting_.emplace(op_name, FromProto(op->create_time()))
          .first->second;
  auto bit = backups_.find(job.backup);
  auto cit = clusters_.find(job.cluster);
  auto fail = [&](const absl::Status& status) {
    agent_waiting_.erase(op_name);
    const int prev_state = job.prev_backup_state;
    if (verb == "RestoreBackup" && !job.create_op.empty())
      FailRestoredClusterLocked(job.cluster, job.backup, status);
    backup_jobs_.erase(jit);
    if (bit != backups_.end() && verb != "RestoreBackup") {
      v1::Backup& b = bit->second;
      if (verb == "CreateBackup") {
        b.set_state(v1::Backup::FAILED);
      } else {
        // DeleteBackup not carried out: the files are still there.
        b.set_state(static_cast<v1::Backup::State>(prev_state));
      }
      b.set_state_message(std::string(status.message()));
      b.set_etag(NewEtag());
      (void)Persist("backup", b.name(), b);
      *op->mutable_backup() = b;
    }
    FinishOperationLocked(op, status,
                          verb == "RestoreBackup" && cit != clusters_.end()
                              ? &cit->second
                              : nullptr);
  };
  if (bit == backups_.end()) {
    fail(absl::NotFoundError(
        absl::StrCat("backup '", job.backup, "' is gone; ", verb, " failed")));
    return;
  }
  std::string environment;
  if (verb == "DeleteBackup") {
    environment = bit->second.environment();
  } else if (cit == clusters_.end()) {
    fail(absl::NotFoundError(absl::StrCat("cluster '", job.cluster,
                                          "' is gone; ", verb, " failed")));
    return;
  } else {
    environment = cit->second.environment();
  }
  auto session = AgentSessionLocked(environment);
  if (session == nullptr) {
    const absl::Duration timeout =
        absl::FromChrono(options_.agent_operation_timeout);
    if (now < since + timeout) {
      job.due = since + timeout;  // waits for the agent, or for the deadline
      return;
    }
    fail(absl::UnavailableError(absl::StrCat(
        verb, " of '", job.backup, "': environment '", environment,
        "' has had no connected agent for ", absl::FormatDuration(timeout),
        "; start cove-agent and run the verb again")));
    return;
  }
  v1::AgentCommand cmd;
  cmd.set_command_id(op_name);
  if (verb == "CreateBackup") {
    cmd.set_cluster(job.cluster);
    auto* backup = cmd.mutable_backup();
    backup->set_backup(job.backup);
    for (const std::string& c : job.collections) backup->add_collections(c);
    backup->set_directory(job.agent_dir);
  } else if (verb == "DeleteBackup") {
    cmd.set_cluster(bit->second.cluster());
    auto* del = cmd.mutable_delete_backup();
    del->set_backup(job.backup);
    del->set_directory(job.agent_dir);
  } else {
    if (cit->second.state() != v1::Cluster::RUNNING) {
      fail(absl::FailedPreconditionError(
          absl::StrCat("cluster '", job.cluster, "' is ",
                       v1::Cluster::State_Name(cit->second.state()),
                       "; the restore needs a RUNNING cluster")));
      return;
    }
    cmd.set_cluster(job.cluster);
    auto* restore = cmd.mutable_restore();
    restore->set_backup(job.backup);
    restore->set_directory(job.agent_dir);
    for (const std::string& c : job.collections) restore->add_collections(c);
    restore->set_overwrite(job.overwrite);
    if (bit->second.encrypted())
      restore->set_encryption_key(bit->second.encryption_key());
  }
  AgentSendLocked(environment, std::move(cmd));
  agent_sent_[op_name] = session->id;
  job.due = absl::InfiniteFuture();
  op->set_progress_percent(std::max(op->progress_percent(), 10));
  (void)Persist("operation", op->name(), *op);
}

// ---- usage, customer keys and hung agents
// -------------------------------------

void CloudCore::AgentRecordUsageLocked(const v1::AgentClusterStatus& status) {
  if (status.state() != v1::AgentClusterStatus::RUNNING) {
    auto it = agent_usage_.find(status.cluster());
    if (it != agent_usage_.end()) it->second.running = false;
    return;
  }
  if (!status.has_usage()) return;
  AgentUsageSamples& u = agent_usage_[status.cluster()];
  const v1::AgentUsage& in = status.usage();
  // A restarted data plane counts from zero again.
  if (u.latest.uptime_seconds() > in.uptime_seconds() ||
      in.sample_unix_ms() < u.latest.sample_unix_ms()) {
    u.samples.clear();
  }
  u.running = true;
  u.latest = in;
  std::vector<int64_t> counts;
  for (const auto& k : in.kinds()) counts.push_back(k.requests());
  u.samples.emplace_back(in.sample_unix_ms(), std::move(counts));
  const int64_t horizon = in.sample_unix_ms() - kUsageWindowMs;
  while (u.samples.size() > 2 && u.samples[1].first <= horizon) {
    u.samples.pop_front();
  }
}

const CloudCore::AgentUsageSamples* CloudCore::AgentUsageLocked(
    const std::string& cluster) const {
  auto it = agent_usage_.find(cluster);
  return it == agent_usage_.end() ? nullptr : &it->second;
}

int64_t CloudCore::AgentRequestsInWindow(const AgentUsageSamples& usage,
                                         int window_seconds, int kind) {
  auto total = [&](const std::vector<int64_t>& counts) {
    int64_t n = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      if (kind < 0 || static_cast<int>(i) == kind) n += counts[i];
    }
    return n;
  };
  if (usage.samples.empty()) return 0;
  const int64_t now_count = total(usage.samples.back().second);
  // A data plane younger than the window: everything it counted.
  if (usage.latest.uptime_seconds() <= window_seconds) return now_count;
  const int64_t start =
      usage.samples.back().first - int64_t{window_seconds} * 1000;
  // The newest sample at or before the window's start; without one (the
  // control plane has heard from the data plane for less than the window),
  // the oldest sample.
  const std::vector<int64_t>* base = &usage.samples.front().second;
  for (const auto& [t, counts] : usage.samples) {
    if (t > start) break;
    base = &counts;
  }
  return std::max<int64_t>(0, now_count - total(*base));
}

bool CloudCore::AgentUsageFreshLocked(const v1::Cluster& cluster) const {
  if (AgentSessionLocked(cluster.environment()) == nullptr) return false;
  auto it = agent_usage_.find(cluster.name());
  return it != agent_usage_.end() && it->second.running;
}

void CloudCore::AgentKeyRevokedLocked(const v1::AgentClusterStatus& status) {
  auto c = clusters_.find(status.cluster());
  if (c == clusters_.end() || c->second.state() != v1::Cluster::RUNNING) {
    return;  // an operation in flight or already stopped: nothing to say
  }
  v1::Cluster& cluster = c->second;
  const std::string message = absl::StrCat(
      status.message().empty() ? "customer key revoked" : status.message(),
      "; the agent stopped the data plane, its data kept; restore the key "
      "in the agent's key store, then ResumeCluster");
  cluster.set_state(v1::Cluster::SUSPENDED);
  cluster.set_state_message(message);
  *cluster.mutable_update_time() = ToProto(NowLocked());
  cluster.set_etag(NewEtag());
  (void)Persist("cluster", cluster.name(), cluster);
  if (auto u = agent_usage_.find(cluster.name()); u != agent_usage_.end())
    u->second.running = false;
  SystemEventLocked("clusters.keyRevoked", cluster.name(), absl::OkStatus(),
                    message);
}

void CloudCore::AgentDetectHungLocked() {
  const absl::Time now = NowLocked();
  const absl::Time real_now = absl::Now();
  const absl::Duration timeout =
      absl::FromChrono(options_.agent_heartbeat_timeout);
  // A jump of the manual clock alone does not make an agent hung: some real
  // time must also have passed without a heartbeat.
  const absl::Duration real_floor =
      std::max(absl::Seconds(2),
               3 * absl::FromChrono(options_.agent_heartbeat_interval));
  std::vector<std::shared_ptr<AgentSession>> hung;
  for (const auto& [env, s] : agent_sessions_) {
    if (now - s->last_beat >= timeout &&
        real_now - s->last_beat_real >= real_floor) {
      hung.push_back(s);
    }
  }
  for (const auto& s : hung) {
    const absl::Time last = s->last_beat;
    s->stream->End();
    // Commands in flight wait for the agent's return.
    AgentSessionEndedLocked(s);
    auto env = environments_.find(s->environment);
    if (env == environments_.end()) continue;
    env->second.set_state(v1::Environment::DISCONNECTED);
    env->second.set_state_message(absl::StrCat(
        "agent lost: its stream was open but it sent no heartbeat since ",
        Rfc3339(last), " (heartbeat timeout ", absl::FormatDuration(timeout),
        "); the stream was ended; its clusters keep serving; operations wait "
        "up to ",
        absl::FormatDuration(
            absl::FromChrono(options_.agent_operation_timeout)),
        " for the agent to return"));
    *env->second.mutable_update_time() = ToProto(now);
    env->second.set_etag(NewEtag());
    (void)Persist("environment", env->first, env->second);
    Call call;
    call.principal.actor = "system";
    call.action = "environments.agentLost";
    call.resource = env->first;
    call.mutation = true;
    AuditLocked(call, absl::UnavailableError(env->second.state_message()));
  }
}

void CloudCore::AgentForgetClusterLocked(const v1::Cluster& cluster) {
  // Sent now when the agent is connected; otherwise the agent still reports
  // the cluster at its next hello and reconciliation purges it then.
  v1::AgentCommand cmd;
  cmd.set_command_id("purge/" + cluster.name());
  cmd.set_cluster(cluster.name());
  cmd.mutable_purge();
  AgentSendLocked(cluster.environment(), std::move(cmd));
}

void CloudCore::AgentStopClusterLocked(const v1::Cluster& cluster) {
  v1::AgentCommand cmd;
  cmd.set_command_id("reconcile/" + cluster.name());
  cmd.set_cluster(cluster.name());
  cmd.mutable_stop();
  AgentSendLocked(cluster.environment(), std::move(cmd));
  if (auto u = agent_usage_.find(cluster.name()); u != agent_usage_.end())
    u->second.running = false;
}

void CloudCore::AgentEnvironmentDeletedLocked(const std::string& environment) {
  if (auto s = AgentSessionLocked(environment); s != nullptr) {
    s->stream->End();
  }
  agent_lost_at_.erase(environment);
}

void CloudCore::AgentTickLocked() {
  AgentDetectHungLocked();
  const absl::Time now = NowLocked();
  const absl::Duration timeout =
      absl::FromChrono(options_.agent_heartbeat_timeout);
  for (auto& [name, env] : environments_) {
    if (env.mode() != v1::Environment::AGENT ||
        env.state() != v1::Environment::CONNECTED ||
        agent_sessions_.count(name) != 0) {
      continue;
    }
    absl::Time since = env.has_last_heartbeat_time()
                           ? FromProto(env.last_heartbeat_time())
                           : FromProto(env.update_time());
    if (auto lost = agent_lost_at_.find(name); lost != agent_lost_at_.end()) {
      since = std::max(since, lost->second);
    }
    if (now - since < timeout) continue;
    env.set_state(v1::Environment::DISCONNECTED);
    env.set_state_message(
        absl::StrCat("agent lost: no connection since ", Rfc3339(since),
                     " (heartbeat timeout ", absl::FormatDuration(timeout),
                     "); its clusters keep serving; operations wait up to ",
                     absl::FormatDuration(
                         absl::FromChrono(options_.agent_operation_timeout)),
                     " for the agent to return"));
    *env.mutable_update_time() = ToProto(now);
    env.set_etag(NewEtag());
    (void)Persist("environment", name, env);
    Call call;
    call.principal.actor = "system";
    call.action = "environments.agentLost";
    call.resource = name;
    call.mutation = true;
    AuditLocked(call, absl::UnavailableError(env.state_message()));
  }
}

}  // namespace cove::cloud
