// AgentHub: sessions of cove-agent, commands and their results, lost agents
// and reconciliation (see agent_hub.h).
#include "cloud/agent_hub.h"

#include <algorithm>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"

namespace cove::cloud {

namespace v1 = ::cove::control::v1;

struct AgentHub::Session {
  int64_t id = 0;
  std::string environment;
  grpc::ServerContext* ctx = nullptr;
  // The last heartbeat (or the registration), on the emulator clock and in
  // real time; guarded by the core's mutex.
  absl::Time last_beat;
  absl::Time last_beat_real;

  absl::Mutex mu;
  std::deque<v1::ControlMessage> outbox ABSL_GUARDED_BY(mu);
  bool closed ABSL_GUARDED_BY(mu) = false;

  void Push(v1::ControlMessage m) {
    absl::MutexLock lock(&mu);
    if (!closed) outbox.push_back(std::move(m));
  }
  void Close() {
    absl::MutexLock lock(&mu);
    closed = true;
  }
};

namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

bool IsBackupVerb(const std::string& verb) {
  return verb == "CreateBackup" || verb == "DeleteBackup" ||
         verb == "RestoreBackup";
}

// Samples of request counts are kept this long (the longest metrics
// window) plus one before it.
constexpr int64_t kUsageWindowMs = 600 * 1000;

}  // namespace

std::string AgentCredentialSecretName(const std::string& environment) {
  return environment + "/agentCredential";
}

AgentHub::AgentHub(CloudCore* core) : core_(core) {}

AgentHub::~AgentHub() = default;

void AgentHub::Shutdown() {
  absl::MutexLock lock(&core_->mu_);
  shutdown_ = true;
  for (auto& [env, s] : sessions_) {
    s->Close();
    s->ctx->TryCancel();
  }
}

bool AgentHub::IsAgentEnvironmentLocked(const std::string& environment) const {
  auto it = core_->environments_.find(environment);
  return it != core_->environments_.end() &&
         it->second.mode() == v1::Environment::AGENT;
}

std::shared_ptr<AgentHub::Session> AgentHub::SessionLocked(
    const std::string& environment) const {
  auto it = sessions_.find(environment);
  return it == sessions_.end() ? nullptr : it->second;
}

void AgentHub::SendLocked(const std::string& environment,
                          v1::AgentCommand command) {
  auto s = SessionLocked(environment);
  if (s == nullptr) return;
  v1::ControlMessage m;
  *m.mutable_command() = std::move(command);
  s->Push(std::move(m));
}

void AgentHub::RequeueLocked(const std::string& environment) {
  const absl::Time now = core_->NowLocked();
  for (auto& [op_name, p] : core_->pending_) {
    if (sent_.count(op_name) != 0) continue;
    auto op = core_->operations_.find(op_name);
    if (op == core_->operations_.end()) continue;
    auto c = core_->clusters_.find(op->second.target());
    if (c == core_->clusters_.end() || c->second.environment() != environment) {
      continue;
    }
    if (!p.stalled && p.due > now) p.due = now;
  }
  for (auto& [op_name, job] : core_->backup_jobs_) {
    if (job.agent_dir.empty() || sent_.count(op_name) != 0) continue;
    // A restore or backup belongs to its cluster's environment, a delete
    // to its backup's.
    std::string env;
    if (auto c = core_->clusters_.find(job.cluster);
        c != core_->clusters_.end()) {
      env = c->second.environment();
    } else if (auto b = core_->backups_.find(job.backup);
               b != core_->backups_.end()) {
      env = b->second.environment();
    }
    if (env == environment && job.due > now) job.due = now;
  }
  core_->wake_ = true;
}

// ---- the stream
// ----------------------------------------------------------------

grpc::Status AgentHub::Connect(grpc::ServerContext* ctx, Stream* stream) {
  v1::AgentMessage first;
  if (!stream->Read(&first)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "agent stream: ended before the hello");
  }
  if (!first.has_hello()) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "agent stream: expected a hello as the first message (got another "
        "message)");
  }
  auto session = std::make_shared<Session>();
  session->ctx = ctx;
  absl::StatusOr<v1::AgentWelcome> welcome;
  {
    absl::MutexLock lock(&core_->mu_);
    if (shutdown_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "agent stream: the control plane is stopping");
    }
    welcome = RegisterLocked(first.hello(), session, ctx->peer());
  }
  if (!welcome.ok()) return ToGrpc(welcome.status());
  v1::ControlMessage w;
  *w.mutable_welcome() = *welcome;
  bool alive = stream->Write(w);

  // Commands go out from their own thread, so that reading never waits on
  // writing and commands are queued without blocking under the mutex.
  std::thread writer([session, stream, ctx] {
    while (true) {
      v1::ControlMessage m;
      {
        absl::MutexLock lock(&session->mu);
        session->mu.AwaitWithTimeout(
            absl::Condition(
                +[](Session* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
                  return s->closed || !s->outbox.empty();
                },
                session.get()),
            absl::Milliseconds(200));
        if (session->closed) return;
        if (session->outbox.empty()) {
          if (ctx->IsCancelled()) return;
          continue;
        }
        m = std::move(session->outbox.front());
        session->outbox.pop_front();
      }
      if (!stream->Write(m)) return;
    }
  });
  v1::AgentMessage in;
  while (alive && stream->Read(&in)) {
    absl::MutexLock lock(&core_->mu_);
    if (in.has_heartbeat()) {
      HeartbeatLocked(session, in.heartbeat());
    } else if (in.has_result()) {
      ResultLocked(session, in.result());
    } else if (in.has_access_denials() &&
               SessionLocked(session->environment) == session) {
      core_->AgentAccessDenialsLocked(session->environment,
                                      in.access_denials());
    }
  }
  {
    absl::MutexLock lock(&core_->mu_);
    SessionEndedLocked(session);
  }
  session->Close();
  writer.join();
  return grpc::Status::OK;
}

absl::StatusOr<std::string> AgentHub::FindEnvironmentByTokenLocked(
    const std::string& token) {
  for (const auto& [name, env] : core_->environments_) {
    if (env.mode() != v1::Environment::AGENT) continue;
    auto sec = core_->secrets_.find(name);
    if (sec == core_->secrets_.end()) continue;
    if (auth::VerifyPassword(token, sec->second)) return name;
  }
  return absl::UnauthenticatedError(
      "agent token: not valid for any environment awaiting an agent (already "
      "used, rotated or mistyped); the agent reconnects with its credential, "
      "or rotate the token (RotateAgentToken)");
}

absl::StatusOr<v1::AgentWelcome> AgentHub::RegisterLocked(
    const v1::AgentHello& hello, const std::shared_ptr<Session>& session,
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
                            FindEnvironmentByTokenLocked(hello.token()));
    }
    call.resource = env_name;
    call.principal.actor = "agent:" + env_name;
    auto it = core_->environments_.find(env_name);
    if (it == core_->environments_.end()) {
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
    const absl::Time now = core_->NowLocked();
    const std::string cred_name = AgentCredentialSecretName(env_name);
    if (with_token) {
      auto sec = core_->secrets_.find(env_name);
      if (sec == core_->secrets_.end()) {
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
      core_->DropSecretLocked(env_name);
      env.clear_agent_token_expire_time();
      COVE_ASSIGN_OR_RETURN(std::string random, RandomAlnum(48));
      credential = "cove-agentcred_" + random;
      COVE_ASSIGN_OR_RETURN(
          auth::PasswordHash hash,
          auth::HashPassword(credential, core_->options_.pbkdf2_iterations));
      core_->secrets_[cred_name] = hash;
      COVE_RETURN_IF_ERROR(core_->PersistSecretLocked(cred_name, "", hash));
    } else {
      auto sec = core_->secrets_.find(cred_name);
      if (sec == core_->secrets_.end() ||
          !auth::VerifyPassword(hello.credential(), sec->second)) {
        return absl::UnauthenticatedError(absl::StrCat(
            "agent credential: not valid for environment '", env_name,
            "'; register the agent again with a new agent token "
            "(RotateAgentToken)"));
      }
    }
    // A newer agent replaces the one connected (if any).
    if (auto old = SessionLocked(env_name); old != nullptr) {
      old->Close();
      old->ctx->TryCancel();
      for (auto s = sent_.begin(); s != sent_.end();) {
        s = s->second == old->id ? sent_.erase(s) : std::next(s);
      }
    }
    session->id = next_session_id_++;
    session->environment = env_name;
    session->last_beat = now;
    session->last_beat_real = absl::Now();
    sessions_[env_name] = session;
    lost_at_.erase(env_name);
    env.set_state(v1::Environment::CONNECTED);
    env.set_state_message(absl::StrCat(
        "agent connected from ", hello.host().empty() ? peer : hello.host(),
        " (cove-agent ", hello.agent_version(), ")"));
    *env.mutable_last_heartbeat_time() = ToProto(now);
    *env.mutable_update_time() = ToProto(now);
    env.set_etag(core_->NewEtag());
    COVE_RETURN_IF_ERROR(core_->Persist("environment", env_name, env));
    return absl::OkStatus();
  };
  absl::Status s = body();
  core_->AuditLocked(call, s);
  if (!s.ok()) return s;
  ReconcileLocked(session->environment, hello);
  RequeueLocked(session->environment);
  v1::AgentWelcome welcome;
  welcome.set_environment(session->environment);
  welcome.set_credential(credential);
  welcome.set_heartbeat_interval_ms(
      core_->options_.agent_heartbeat_interval.count());
  return welcome;
}

void AgentHub::SessionEndedLocked(const std::shared_ptr<Session>& session) {
  auto it = sessions_.find(session->environment);
  if (it == sessions_.end() || it->second != session) return;
  sessions_.erase(it);
  const absl::Time now = core_->NowLocked();
  lost_at_[session->environment] = now;
  auto env = core_->environments_.find(session->environment);
  if (env != core_->environments_.end() &&
      env->second.state() == v1::Environment::CONNECTED) {
    env->second.set_state_message(absl::StrCat(
        "agent stream lost at ", Rfc3339(now),
        "; DISCONNECTED unless the agent is back within ",
        absl::FormatDuration(
            absl::FromChrono(core_->options_.agent_heartbeat_timeout))));
    (void)core_->Persist("environment", env->first, env->second);
  }
  // Commands the agent did not finish are sent again when it is back.
  for (auto s = sent_.begin(); s != sent_.end();) {
    if (s->second != session->id) {
      ++s;
      continue;
    }
    auto p = core_->pending_.find(s->first);
    if (p != core_->pending_.end()) p->second.due = now;
    auto j = core_->backup_jobs_.find(s->first);
    if (j != core_->backup_jobs_.end()) j->second.due = now;
    waiting_[s->first] = now;
    s = sent_.erase(s);
  }
  core_->wake_ = true;
}

// ---- what the agent reports
// ----------------------------------------------------

void AgentHub::ObserveLocked(const v1::AgentClusterStatus& status) {
  auto c = core_->clusters_.find(status.cluster());
  if (c == core_->clusters_.end() ||
      c->second.state() != v1::Cluster::RUNNING ||
      status.state() != v1::AgentClusterStatus::RUNNING) {
    return;
  }
  c->second.set_used_vectors(status.used_vectors());
  c->second.set_used_bytes(status.used_bytes());
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
  if (changed) (void)core_->Persist("cluster", c->first, c->second);
}

void AgentHub::HeartbeatLocked(const std::shared_ptr<Session>& session,
                               const v1::AgentHeartbeat& heartbeat) {
  if (SessionLocked(session->environment) != session) return;
  auto env = core_->environments_.find(session->environment);
  if (env == core_->environments_.end()) return;
  session->last_beat = core_->NowLocked();
  session->last_beat_real = absl::Now();
  *env->second.mutable_last_heartbeat_time() = ToProto(session->last_beat);
  (void)core_->Persist("environment", env->first, env->second);
  for (const auto& status : heartbeat.clusters()) {
    auto c = core_->clusters_.find(status.cluster());
    if (c != core_->clusters_.end() &&
        c->second.environment() == session->environment) {
      RecordUsageLocked(status);
      if (status.state() == v1::AgentClusterStatus::KEY_REVOKED) {
        KeyRevokedLocked(status);
      } else {
        ObserveLocked(status);
      }
    }
  }
}

void AgentHub::ReconcileLocked(const std::string& environment,
                               const v1::AgentHello& hello) {
  std::set<std::string> busy;  // clusters with an operation in flight
  for (const auto& [op_name, p] : core_->pending_) {
    auto op = core_->operations_.find(op_name);
    if (op != core_->operations_.end()) busy.insert(op->second.target());
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
    auto c = core_->clusters_.find(s.cluster());
    if (c == core_->clusters_.end() || c->second.environment() != environment) {
      // Purged while the agent was away (or never ours): the control plane
      // is the source of truth.
      v1::AgentCommand cmd = command(s.cluster(), "purge");
      cmd.mutable_purge();
      SendLocked(environment, std::move(cmd));
      continue;
    }
    if (busy.count(s.cluster()) != 0) continue;  // its operation is resent
    const bool runs = s.state() == v1::AgentClusterStatus::RUNNING;
    if (s.state() == v1::AgentClusterStatus::KEY_REVOKED) {
      KeyRevokedLocked(s);  // not started again: the key is not there
      continue;
    }
    if (c->second.state() == v1::Cluster::RUNNING) {
      if (runs) {
        ObserveLocked(s);
      } else {
        v1::AgentCommand cmd = command(s.cluster(), "reconcile");
        cmd.mutable_start()->set_capacity_vectors(c->second.capacity_vectors());
        cmd.mutable_start()->set_capacity_bytes(c->second.capacity_bytes());
        SendLocked(environment, std::move(cmd));
      }
    } else if (runs) {
      v1::AgentCommand cmd = command(s.cluster(), "reconcile");
      cmd.mutable_stop();
      SendLocked(environment, std::move(cmd));
    }
  }
  for (const auto& [name, c] : core_->clusters_) {
    if (c.environment() != environment || reported.count(name) != 0 ||
        busy.count(name) != 0 || c.state() != v1::Cluster::RUNNING) {
      continue;
    }
    v1::AgentCommand cmd = command(name, "reconcile");
    cmd.mutable_start()->set_capacity_vectors(c.capacity_vectors());
    cmd.mutable_start()->set_capacity_bytes(c.capacity_bytes());
    SendLocked(environment, std::move(cmd));
  }
}

void AgentHub::ResultLocked(const std::shared_ptr<Session>& session,
                            const v1::AgentCommandResult& r) {
  const absl::Time now = core_->NowLocked();
  int code = r.error_code();
  if (code < 0 || code > 16)
    code = static_cast<int>(absl::StatusCode::kInternal);
  if (!absl::StartsWith(r.command_id(), "operations/")) {
    // Reconciliation and purges: no operation to finish.
    if (!r.done() || !absl::StartsWith(r.command_id(), "reconcile/")) return;
    auto c = core_->clusters_.find(r.cluster().cluster());
    if (c == core_->clusters_.end() ||
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
      c->second.set_etag(core_->NewEtag());
      (void)core_->Persist("cluster", c->first, c->second);
    } else if (code == 0) {
      ObserveLocked(r.cluster());
    }
    return;
  }
  if (auto b = core_->operations_.find(r.command_id());
      b != core_->operations_.end() && IsBackupVerb(b->second.verb())) {
    BackupResultLocked(r, code);
    return;
  }
  auto oit = core_->operations_.find(r.command_id());
  auto pit = core_->pending_.find(r.command_id());
  if (oit == core_->operations_.end() || pit == core_->pending_.end()) {
    return;  // cancelled or already finished
  }
  v1::Operation* op = &oit->second;
  if (!r.done()) {
    op->set_progress_percent(std::clamp(
        std::max(op->progress_percent(), r.progress_percent()), 0, 99));
    (void)core_->Persist("operation", op->name(), *op);
    return;
  }
  sent_.erase(op->name());
  waiting_.erase(op->name());
  const CloudCore::Pending p = pit->second;
  auto cit = core_->clusters_.find(op->target());
  if (cit == core_->clusters_.end()) {
    core_->FinishOperationLocked(op,
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
  if (verb == "CreateCluster" || verb == "ResumeCluster" ||
      verb == "RestoreCluster") {
    if (status.ok()) {
      c->set_state(v1::Cluster::RUNNING);
      c->set_state_message("");
      c->set_endpoint(r.cluster().endpoint());
      c->set_metrics_endpoint(r.cluster().metrics_endpoint());
      c->set_used_vectors(r.cluster().used_vectors());
      if (!r.cluster().encryption_key_id().empty())
        c->set_encryption_key_id(r.cluster().encryption_key_id());
      c->clear_delete_time();
      c->clear_purge_time();
      RecordUsageLocked(r.cluster());
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
      usage_.erase(c->name());
      (void)core_->Unpersist("cluster", c->name());
      core_->clusters_.erase(cit);
      core_->FinishOperationLocked(op, status, &last);
      return;
    }
    c->set_state_message(std::string(status.message()));
  } else if (!status.ok()) {
    c->set_state(static_cast<v1::Cluster::State>(p.prev_state));
    c->set_state_message(std::string(status.message()));
  } else if (verb == "SuspendCluster") {
    c->set_state(v1::Cluster::SUSPENDED);
    usage_[c->name()].running = false;
  } else if (verb == "DeleteCluster") {
    usage_[c->name()].running = false;
    c->set_state(v1::Cluster::DELETED);
    *c->mutable_delete_time() = ToProto(now);
    *c->mutable_purge_time() = ToProto(now + core_->retention_);
  } else if (verb == "ScaleCluster") {
    c->set_cu_size(p.cu_size);
    c->set_replicas(p.replicas);
    c->set_capacity_vectors(core_->CapacityLocked(c->cu_type(), p.cu_size));
    c->set_capacity_bytes(core_->CapacityBytesLocked(c->cu_type(), p.cu_size));
    c->set_state(v1::Cluster::RUNNING);
  }
  *c->mutable_update_time() = ToProto(now);
  c->set_etag(core_->NewEtag());
  (void)core_->Persist("cluster", c->name(), *c);
  core_->FinishOperationLocked(op, status, c);
}

// ---- operations of agent-mode clusters
// ----------------------------------------

void AgentHub::ExecuteLocked(const std::string& op_name) {
  auto oit = core_->operations_.find(op_name);
  auto pit = core_->pending_.find(op_name);
  if (oit == core_->operations_.end() || pit == core_->pending_.end()) return;
  v1::Operation* op = &oit->second;
  CloudCore::Pending& p = pit->second;
  auto cit = core_->clusters_.find(op->target());
  if (cit == core_->clusters_.end()) return;
  v1::Cluster* c = &cit->second;
  if (sent_.count(op_name) != 0) {
    p.due = absl::InfiniteFuture();  // the agent's result finishes it
    return;
  }
  const absl::Time now = core_->NowLocked();
  const absl::Time since = waiting_.emplace(op_name, now).first->second;
  const std::string& verb = op->verb();
  auto fail = [&](const absl::Status& status) {
    if (verb == "CreateCluster") {
      c->set_state(v1::Cluster::FAILED);
    } else {
      c->set_state(static_cast<v1::Cluster::State>(p.prev_state));
    }
    c->set_state_message(std::string(status.message()));
    *c->mutable_update_time() = ToProto(now);
    c->set_etag(core_->NewEtag());
    (void)core_->Persist("cluster", c->name(), *c);
    waiting_.erase(op_name);
    core_->FinishOperationLocked(op, status, c);
  };
  auto session = SessionLocked(c->environment());
  if (session == nullptr) {
    const absl::Duration timeout =
        absl::FromChrono(core_->options_.agent_operation_timeout);
    if (now < since + timeout) {
      p.due = since + timeout;  // waits for the agent, or for the deadline
      return;
    }
    auto env = core_->environments_.find(c->environment());
    std::string state = env == core_->environments_.end()
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
    auto pw = core_->op_passwords_.find(op_name);
    if (pw == core_->op_passwords_.end()) {
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
    create->set_capacity_bytes(c->capacity_bytes());
    create->set_encryption_key(c->encryption_key());
  } else if (verb == "ResumeCluster" || verb == "RestoreCluster") {
    cmd.mutable_start()->set_capacity_vectors(c->capacity_vectors());
    cmd.mutable_start()->set_capacity_bytes(c->capacity_bytes());
  } else if (verb == "SuspendCluster" || verb == "DeleteCluster") {
    cmd.mutable_stop();
  } else if (verb == "ScaleCluster") {
    auto* scale = cmd.mutable_scale();
    scale->set_cu_size(p.cu_size);
    scale->set_replicas(p.replicas);
    scale->set_capacity_vectors(core_->CapacityLocked(c->cu_type(), p.cu_size));
    scale->set_capacity_bytes(
        core_->CapacityBytesLocked(c->cu_type(), p.cu_size));
  } else if (verb == "PurgeCluster") {
    cmd.mutable_purge();
  } else if (verb == "ResetClusterPassword") {
    auto pw = core_->op_passwords_.find(op_name);
    if (pw == core_->op_passwords_.end()) {
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
  SendLocked(c->environment(), std::move(cmd));
  sent_[op_name] = session->id;
  p.due = absl::InfiniteFuture();
  op->set_progress_percent(std::max(op->progress_percent(), 10));
  (void)core_->Persist("operation", op->name(), *op);
}

void AgentHub::BackupResultLocked(const v1::AgentCommandResult& r, int code) {
  auto oit = core_->operations_.find(r.command_id());
  auto jit = core_->backup_jobs_.find(r.command_id());
  if (oit == core_->operations_.end() || jit == core_->backup_jobs_.end() ||
      oit->second.done()) {
    if (r.done()) {
      sent_.erase(r.command_id());
      waiting_.erase(r.command_id());
    }
    return;  // cancelled or already finished
  }
  v1::Operation* op = &oit->second;
  if (!r.done()) {
    op->set_progress_percent(std::clamp(
        std::max(op->progress_percent(), r.progress_percent()), 0, 99));
    (void)core_->Persist("operation", op->name(), *op);
    return;
  }
  sent_.erase(op->name());
  waiting_.erase(op->name());
  const CloudCore::BackupJob job = jit->second;
  core_->backup_jobs_.erase(jit);
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
    auto cit = core_->clusters_.find(job.cluster);
    if (cit != core_->clusters_.end()) ObserveLocked(r.cluster());
    // A new cluster whose restore failed is FAILED, never RUNNING and empty.
    if (!status.ok() && !job.create_op.empty())
      core_->FailRestoredClusterLocked(job.cluster, job.backup, status);
    core_->FinishOperationLocked(
        op, status, cit == core_->clusters_.end() ? nullptr : &cit->second);
    return;
  }
  auto bit = core_->backups_.find(job.backup);
  if (bit == core_->backups_.end()) {
    core_->FinishOperationLocked(
        op,
        absl::NotFoundError(absl::StrCat("backup '", job.backup, "' is gone")),
        nullptr);
    return;
  }
  v1::Backup* b = &bit->second;
  if (verb == "DeleteBackup") {
    v1::Backup last = *b;
    if (status.ok()) {
      (void)core_->Unpersist("backup", b->name());
      core_->backups_.erase(bit);
    } else {
      b->set_state(v1::Backup::FAILED);
      b->set_state_message(std::string(status.message()));
      b->set_etag(core_->NewEtag());
      (void)core_->Persist("backup", b->name(), *b);
      last = *b;
    }
    *op->mutable_backup() = last;
    core_->FinishOperationLocked(op, status, nullptr);
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
  b->set_etag(core_->NewEtag());
  (void)core_->Persist("backup", b->name(), *b);
  *op->mutable_backup() = *b;
  core_->FinishOperationLocked(op, status, nullptr);
}

void AgentHub::ExecuteBackupLocked(const std::string& op_name) {
  auto oit = core_->operations_.find(op_name);
  auto jit = core_->backup_jobs_.find(op_name);
  if (oit == core_->operations_.end() || jit == core_->backup_jobs_.end()) {
    return;
  }
  v1::Operation* op = &oit->second;
  CloudCore::BackupJob& job = jit->second;
  if (sent_.count(op_name) != 0) {
    job.due = absl::InfiniteFuture();  // the agent's result finishes it
    return;
  }
  const std::string verb = op->verb();
  const absl::Time now = core_->NowLocked();
  // Waits from its creation (or from the loss of the agent it was sent to).
  const absl::Time since =
      waiting_.emplace(op_name, FromProto(op->create_time())).first->second;
  auto bit = core_->backups_.find(job.backup);
  auto cit = core_->clusters_.find(job.cluster);
  auto fail = [&](const absl::Status& status) {
    waiting_.erase(op_name);
    const int prev_state = job.prev_backup_state;
    if (verb == "RestoreBackup" && !job.create_op.empty())
      core_->FailRestoredClusterLocked(job.cluster, job.backup, status);
    core_->backup_jobs_.erase(jit);
    if (bit != core_->backups_.end() && verb != "RestoreBackup") {
      v1::Backup& b = bit->second;
      if (verb == "CreateBackup") {
        b.set_state(v1::Backup::FAILED);
      } else {
        // DeleteBackup not carried out: the files are still there.
        b.set_state(static_cast<v1::Backup::State>(prev_state));
      }
      b.set_state_message(std::string(status.message()));
      b.set_etag(core_->NewEtag());
      (void)core_->Persist("backup", b.name(), b);
      *op->mutable_backup() = b;
    }
    core_->FinishOperationLocked(
        op, status,
        verb == "RestoreBackup" && cit != core_->clusters_.end() ? &cit->second
                                                                 : nullptr);
  };
  if (bit == core_->backups_.end()) {
    fail(absl::NotFoundError(
        absl::StrCat("backup '", job.backup, "' is gone; ", verb, " failed")));
    return;
  }
  std::string environment;
  if (verb == "DeleteBackup") {
    environment = bit->second.environment();
  } else if (cit == core_->clusters_.end()) {
    fail(absl::NotFoundError(absl::StrCat("cluster '", job.cluster,
                                          "' is gone; ", verb, " failed")));
    return;
  } else {
    environment = cit->second.environment();
  }
  auto session = SessionLocked(environment);
  if (session == nullptr) {
    const absl::Duration timeout =
        absl::FromChrono(core_->options_.agent_operation_timeout);
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
  SendLocked(environment, std::move(cmd));
  sent_[op_name] = session->id;
  job.due = absl::InfiniteFuture();
  op->set_progress_percent(std::max(op->progress_percent(), 10));
  (void)core_->Persist("operation", op->name(), *op);
}

// ---- usage, customer keys and hung agents
// -------------------------------------

void AgentHub::RecordUsageLocked(const v1::AgentClusterStatus& status) {
  if (status.state() != v1::AgentClusterStatus::RUNNING) {
    auto it = usage_.find(status.cluster());
    if (it != usage_.end()) it->second.running = false;
    return;
  }
  if (!status.has_usage()) return;
  Usage& u = usage_[status.cluster()];
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

const AgentHub::Usage* AgentHub::UsageLocked(const std::string& cluster) const {
  auto it = usage_.find(cluster);
  return it == usage_.end() ? nullptr : &it->second;
}

int64_t AgentHub::RequestsInWindow(const Usage& usage, int window_seconds,
                                   int kind) {
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

bool AgentHub::UsageFreshLocked(const v1::Cluster& cluster) const {
  if (SessionLocked(cluster.environment()) == nullptr) return false;
  auto it = usage_.find(cluster.name());
  return it != usage_.end() && it->second.running;
}

void AgentHub::KeyRevokedLocked(const v1::AgentClusterStatus& status) {
  auto c = core_->clusters_.find(status.cluster());
  if (c == core_->clusters_.end() ||
      c->second.state() != v1::Cluster::RUNNING) {
    return;  // an operation in flight or already stopped: nothing to say
  }
  v1::Cluster& cluster = c->second;
  const std::string message = absl::StrCat(
      status.message().empty() ? "customer key revoked" : status.message(),
      "; the agent stopped the data plane, its data kept; restore the key "
      "in the agent's key store, then ResumeCluster");
  cluster.set_state(v1::Cluster::SUSPENDED);
  cluster.set_state_message(message);
  *cluster.mutable_update_time() = ToProto(core_->NowLocked());
  cluster.set_etag(core_->NewEtag());
  (void)core_->Persist("cluster", cluster.name(), cluster);
  if (auto u = usage_.find(cluster.name()); u != usage_.end())
    u->second.running = false;
  core_->SystemEventLocked("clusters.keyRevoked", cluster.name(),
                           absl::OkStatus(), message);
}

void AgentHub::DetectHungLocked() {
  const absl::Time now = core_->NowLocked();
  const absl::Time real_now = absl::Now();
  const absl::Duration timeout =
      absl::FromChrono(core_->options_.agent_heartbeat_timeout);
  // A jump of the manual clock alone does not make an agent hung: some real
  // time must also have passed without a heartbeat.
  const absl::Duration real_floor =
      std::max(absl::Seconds(2),
               3 * absl::FromChrono(core_->options_.agent_heartbeat_interval));
  std::vector<std::shared_ptr<Session>> hung;
  for (const auto& [env, s] : sessions_) {
    if (now - s->last_beat >= timeout &&
        real_now - s->last_beat_real >= real_floor) {
      hung.push_back(s);
    }
  }
  for (const auto& s : hung) {
    const absl::Time last = s->last_beat;
    s->Close();
    s->ctx->TryCancel();
    SessionEndedLocked(s);  // commands in flight wait for the agent's return
    auto env = core_->environments_.find(s->environment);
    if (env == core_->environments_.end()) continue;
    env->second.set_state(v1::Environment::DISCONNECTED);
    env->second.set_state_message(absl::StrCat(
        "agent lost: its stream was open but it sent no heartbeat since ",
        Rfc3339(last), " (heartbeat timeout ", absl::FormatDuration(timeout),
        "); the stream was ended; its clusters keep serving; operations wait "
        "up to ",
        absl::FormatDuration(
            absl::FromChrono(core_->options_.agent_operation_timeout)),
        " for the agent to return"));
    *env->second.mutable_update_time() = ToProto(now);
    env->second.set_etag(core_->NewEtag());
    (void)core_->Persist("environment", env->first, env->second);
    Call call;
    call.principal.actor = "system";
    call.action = "environments.agentLost";
    call.resource = env->first;
    call.mutation = true;
    core_->AuditLocked(call,
                       absl::UnavailableError(env->second.state_message()));
  }
}

void AgentHub::ForgetClusterLocked(const v1::Cluster& cluster) {
  // Sent now when the agent is connected; otherwise the agent still reports
  // the cluster at its next hello and reconciliation purges it then.
  v1::AgentCommand cmd;
  cmd.set_command_id("purge/" + cluster.name());
  cmd.set_cluster(cluster.name());
  cmd.mutable_purge();
  SendLocked(cluster.environment(), std::move(cmd));
}

void AgentHub::StopClusterLocked(const v1::Cluster& cluster) {
  v1::AgentCommand cmd;
  cmd.set_command_id("reconcile/" + cluster.name());
  cmd.set_cluster(cluster.name());
  cmd.mutable_stop();
  SendLocked(cluster.environment(), std::move(cmd));
  if (auto u = usage_.find(cluster.name()); u != usage_.end())
    u->second.running = false;
}

void AgentHub::EnvironmentDeletedLocked(const std::string& environment) {
  if (auto s = SessionLocked(environment); s != nullptr) {
    s->Close();
    s->ctx->TryCancel();
  }
  lost_at_.erase(environment);
}

void AgentHub::TickLocked() {
  DetectHungLocked();
  const absl::Time now = core_->NowLocked();
  const absl::Duration timeout =
      absl::FromChrono(core_->options_.agent_heartbeat_timeout);
  for (auto& [name, env] : core_->environments_) {
    if (env.mode() != v1::Environment::AGENT ||
        env.state() != v1::Environment::CONNECTED ||
        sessions_.count(name) != 0) {
      continue;
    }
    absl::Time since = env.has_last_heartbeat_time()
                           ? FromProto(env.last_heartbeat_time())
                           : FromProto(env.update_time());
    if (auto lost = lost_at_.find(name); lost != lost_at_.end()) {
      since = std::max(since, lost->second);
    }
    if (now - since < timeout) continue;
    env.set_state(v1::Environment::DISCONNECTED);
    env.set_state_message(absl::StrCat(
        "agent lost: no connection since ", Rfc3339(since),
        " (heartbeat timeout ", absl::FormatDuration(timeout),
        "); its clusters keep serving; operations wait up to ",
        absl::FormatDuration(
            absl::FromChrono(core_->options_.agent_operation_timeout)),
        " for the agent to return"));
    *env.mutable_update_time() = ToProto(now);
    env.set_etag(core_->NewEtag());
    (void)core_->Persist("environment", name, env);
    Call call;
    call.principal.actor = "system";
    call.action = "environments.agentLost";
    call.resource = name;
    call.mutation = true;
    core_->AuditLocked(call, absl::UnavailableError(env.state_message()));
  }
}

}  // namespace cove::cloud
