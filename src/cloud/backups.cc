// ControlPlane handlers: backups, restore, backup policies; their jobs on
// the scheduler (the file format is backup_format.cc, keys keys.cc).
//
// Backup jobs run on the scheduler thread as soon as they are started (the
// work itself is their duration; transition_delay does not apply), under
// the core's mutex, reading and writing through the data plane's own
// Connection. Restores into new clusters are kept in the state and resume
// after an emulator restart; a restart fails the other jobs in flight (their
// operation ends UNAVAILABLE, a CREATING backup becomes FAILED, a DELETING
// one is removed). Files are only ever removed through
// hosting::DeleteBackupFiles: those the backup's own manifest lists.
//
// Agent mode: the backups live in the agent's bucket. Create, delete and
// restore jobs are handed to AgentExecuteBackupLocked (agent_core.cc), which
// sends the command on the agent's stream (or lets the job wait for the agent);
// the agent's result finishes them. The control plane never reads those files.
// A restart leaves a DELETING agent-mode backup FAILED (delete it again).
#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"
#include "common/cipher.h"
#include "hosting/backup_format.h"
#include "nlohmann/json.hpp"

namespace cove::cloud {
namespace {

std::string LastId(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::vector<std::string> ToVector(
    const google::protobuf::RepeatedPtrField<std::string>& r) {
  return std::vector<std::string>(r.begin(), r.end());
}

const std::vector<std::string> kBackupName = {"organizations", "projects",
                                              "clusters", "backups"};
const std::vector<std::string> kClusterName = {"organizations", "projects",
                                               "clusters"};

// `path` with symbolic links resolved as far as it exists, normalized,
// without a trailing slash.
std::string CanonicalPath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  if (ec) p = std::filesystem::path(path).lexically_normal();
  std::string out = p.string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// True when canonical path `a` is `b` or below it.
bool SameOrBelow(const std::string& a, const std::string& b) {
  return a == b || (absl::StartsWith(a, b) &&
                    (b == "/" || (a.size() > b.size() && a[b.size()] == '/')));
}

}  // namespace

absl::Status CloudCore::CheckBucketAvailableLocked(
    const std::string& bucket) const {
  // ValidateEnvironment reports a bucket that is not an absolute path.
  if (bucket.empty() || bucket[0] != '/') return absl::OkStatus();
  const std::string mine = CanonicalPath(bucket);
  const auto overlaps = [&](const std::string& other) {
    if (other.empty() || other[0] != '/') return false;
    const std::string theirs = CanonicalPath(other);
    return SameOrBelow(mine, theirs) || SameOrBelow(theirs, mine);
  };
  // The message names neither the other environment nor its tenant.
  const absl::Status taken = absl::FailedPreconditionError(absl::StrCat(
      "environment.bucket: '", bucket,
      "' is already used by another environment (the same directory, or one "
      "inside or containing it); each environment needs a bucket of its own"));
  for (const auto& [name, env] : environments_) {
    if (env.mode() == v1::Environment::AGENT) continue;  // the agent's own
    if (overlaps(env.bucket())) return taken;
  }
  // Backups outlive their clusters (and environments): their files too.
  for (const auto& [name, b] : backups_) {
    if (overlaps(b.location())) return taken;
  }
  const std::string state = CanonicalPath(options_.state_dir);
  if (SameOrBelow(mine, state) || SameOrBelow(state, mine)) {
    return absl::FailedPreconditionError(
        absl::StrCat("environment.bucket: '", bucket,
                     "' overlaps the control plane's state directory"));
  }
  return absl::OkStatus();
}

std::string CloudCore::BackupDirLocked(const v1::Cluster& c,
                                       const std::string& backup_id) const {
  auto env = environments_.find(c.environment());
  const std::string bucket =
      env == environments_.end() ? "" : env->second.bucket();
  return absl::StrCat(bucket, "/backups/", LastId(c.name()), "/", backup_id);
}

absl::Status CloudCore::RecoverBackupsLocked() {
  COVE_ASSIGN_OR_RETURN(auto rows, store_->LoadKind("backup"));
  for (const auto& [name, data] : rows) {
    v1::Backup b;
    if (!b.ParseFromString(data)) {
      return absl::DataLossError(
          absl::StrCat("state database: backup '", name, "' is corrupt"));
    }
    backups_[name] = std::move(b);
  }
  std::vector<std::string> gone;
  for (auto& [name, b] : backups_) {
    // Agent mode: the files are the agent's; the control plane never
    // touches its bucket.
    const bool agent = IsAgentEnvironmentLocked(b.environment());
    if (b.state() == v1::Backup::CREATING) {
      // Only the files its own manifest lists (see hosting::DeleteBackupFiles).
      if (!agent) (void)hosting::DeleteBackupFiles(b.location(), name);
      b.set_state(v1::Backup::FAILED);
      b.set_state_message("interrupted by an emulator restart");
      COVE_RETURN_IF_ERROR(Persist("backup", name, b));
    } else if (b.state() == v1::Backup::DELETING && !agent) {
      (void)hosting::DeleteBackupFiles(b.location(), name);
      gone.push_back(name);
    } else if (b.state() == v1::Backup::DELETING) {
      // The agent may or may not have removed the files: delete it again.
      b.set_state(v1::Backup::FAILED);
      b.set_state_message(
          "DeleteBackup interrupted by an emulator restart; delete it again");
      COVE_RETURN_IF_ERROR(Persist("backup", name, b));
    }
  }
  for (const std::string& name : gone) {
    COVE_RETURN_IF_ERROR(Unpersist("backup", name));
    backups_.erase(name);
  }
  // Restores into new clusters resume (see PersistRestoreJobLocked).
  COVE_ASSIGN_OR_RETURN(auto restores, store_->LoadKind("restorejob"));
  for (const auto& [op_name, data] : restores) {
    auto op = operations_.find(op_name);
    nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
    if (op == operations_.end() || op->second.done() || j.is_discarded() ||
        !j.is_object()) {
      (void)store_->Delete("restorejob", op_name);
      continue;
    }
    BackupJob job;
    job.backup = j.value("backup", "");
    job.cluster = j.value("cluster", "");
    job.create_op = j.value("create_op", "");
    job.collections = j.value("collections", std::vector<std::string>{});
    job.overwrite = j.value("overwrite", true);
    job.agent_dir = j.value("agent_dir", "");
    job.due = NowLocked();
    backup_jobs_[op_name] = job;
  }
  for (auto& [name, op] : operations_) {
    if (op.done() || !IsBackupVerb(op.verb()) || backup_jobs_.count(name))
      continue;
    FinishOperationLocked(
        &op,
        absl::UnavailableError(
            absl::StrCat(op.verb(), " of '", op.target(),
                         "' was interrupted by an emulator restart; retry")),
        nullptr);
  }
  return absl::OkStatus();
}

v1::Operation CloudCore::NewBackupOperationLocked(const Call& call,
                                                  const std::string& target) {
  auto id = RandomHex(8);
  v1::Operation op;
  op.set_name(absl::StrCat("operations/o", id.ok() ? *id : "0"));
  op.set_verb(call.method);
  op.set_target(target);
  *op.mutable_create_time() = ToProto(NowLocked());
  op.set_request_id(call.request_id);
  return op;
}

absl::StatusOr<v1::Operation> CloudCore::StartBackupLocked(
    Call& call, const v1::Cluster& cluster, const std::string& backup_id,
    const v1::Backup& spec, bool scheduled) {
  // Agent mode: cove-agent writes the backup under its own bucket; the
  // control plane only records the result (agent_core.cc).
  // An encrypted cluster's backup is encrypted by the agent with the key
  // from its own key store.
  const bool agent = IsAgentEnvironmentLocked(cluster.environment());
  std::string id = backup_id;
  if (id.empty()) {
    COVE_ASSIGN_OR_RETURN(std::string hex, RandomHex(4));
    id = absl::StrCat(
        scheduled ? "auto-" : "backup-",
        absl::FormatTime("%Y%m%d-%H%M%S-", NowLocked(), absl::UTCTimeZone()),
        hex);
  }
  COVE_RETURN_IF_ERROR(ValidateId("backup_id", id));
  const std::string name = absl::StrCat(cluster.name(), "/backups/", id);
  if (backups_.count(name) != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("backup '", name, "' already exists"));
  }
  COVE_RETURN_IF_ERROR(hosting::ParseCollectionRefs(
                           "backup.collections", ToVector(spec.collections()))
                           .status());
  if (spec.has_expire_time() && FromProto(spec.expire_time()) <= NowLocked()) {
    return absl::InvalidArgumentError(
        "backup.expire_time: expected a time in the future");
  }
  if (cluster.state() != v1::Cluster::RUNNING ||
      (!agent && runtimes_.count(cluster.name()) == 0)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cluster '", cluster.name(), "' is ",
                     v1::Cluster::State_Name(cluster.state()),
                     "; CreateBackup needs a RUNNING cluster"));
  }
  if (!agent) COVE_RETURN_IF_ERROR(CheckClusterKeyLocked(cluster));
  v1::Backup b;
  b.set_name(name);
  b.set_cluster(cluster.name());
  b.set_environment(cluster.environment());
  b.set_state(v1::Backup::CREATING);
  *b.mutable_collections() = spec.collections();
  *b.mutable_create_time() = ToProto(NowLocked());
  if (spec.has_expire_time()) *b.mutable_expire_time() = spec.expire_time();
  // Always encrypted: with the cluster's customer-managed key, or with its
  // backup data key in the environment's key store (keys.cc).
  b.set_encrypted(true);
  b.set_encryption_key(cluster.encryption_key().empty()
                           ? hosting::BackupDataKeyRef(cluster.name())
                           : cluster.encryption_key());
  // Agent mode: relative to the agent's bucket (only the agent knows it).
  b.set_location(agent
                     ? absl::StrCat("backups/", LastId(cluster.name()), "/", id)
                     : BackupDirLocked(cluster, id));
  b.set_scheduled(scheduled);
  b.set_etag(NewEtag());
  v1::Operation op = NewBackupOperationLocked(call, name);
  *op.mutable_backup() = b;
  COVE_RETURN_IF_ERROR(Persist("backup", name, b));
  COVE_RETURN_IF_ERROR(Persist("operation", op.name(), op));
  backups_[name] = b;
  operations_[op.name()] = op;
  BackupJob job;
  job.backup = name;
  job.cluster = cluster.name();
  job.collections = ToVector(spec.collections());
  job.scheduled = scheduled;
  job.due = NowLocked();
  if (agent) job.agent_dir = b.location();
  backup_jobs_[op.name()] = job;
  op_creators_[op.name()] = call.principal.actor;
  wake_ = true;
  return op;
}

absl::Status CloudCore::CheckRestoreEnvironmentLocked(
    const v1::Backup& backup, const std::string& environment,
    const std::string& field) const {
  const bool from_agent = IsAgentEnvironmentLocked(backup.environment());
  const bool to_agent = IsAgentEnvironmentLocked(environment);
  if (from_agent && environment != backup.environment()) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": backup '", backup.name(),
        "' is in the bucket of the agent of environment '",
        backup.environment(),
        "' and restores only into clusters of that environment (got '",
        environment, "')"));
  }
  if (!from_agent && to_agent) {
    return absl::UnimplementedError(absl::StrCat(
        field, ": restoring backup '", backup.name(),
        "' of a cross-account environment into agent-mode environment '",
        environment,
        "' is not supported (the control plane would have to copy the files "
        "into the agent's bucket)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Operation> CloudCore::StartDeleteBackupLocked(
    Call& call, v1::Backup* backup) {
  // Agent mode: cove-agent deletes the files under its bucket.
  const bool agent = IsAgentEnvironmentLocked(backup->environment());
  if (backup->state() != v1::Backup::READY &&
      backup->state() != v1::Backup::FAILED) {
    return absl::FailedPreconditionError(
        absl::StrCat("backup '", backup->name(), "' is ",
                     v1::Backup::State_Name(backup->state()),
                     "; DeleteBackup needs a READY or FAILED backup"));
  }
  for (const auto& [op, job] : backup_jobs_) {
    if (job.backup == backup->name()) {
      return absl::FailedPreconditionError(
          absl::StrCat("backup '", backup->name(), "' is being restored by ",
                       op, "; wait for it"));
    }
  }
  const int prev_state = backup->state();
  backup->set_state(v1::Backup::DELETING);
  backup->set_etag(NewEtag());
  COVE_RETURN_IF_ERROR(Persist("backup", backup->name(), *backup));
  v1::Operation op = NewBackupOperationLocked(call, backup->name());
  *op.mutable_backup() = *backup;
  COVE_RETURN_IF_ERROR(Persist("operation", op.name(), op));
  operations_[op.name()] = op;
  BackupJob job;
  job.backup = backup->name();
  job.due = NowLocked();
  job.prev_backup_state = prev_state;
  if (agent) job.agent_dir = backup->location();
  backup_jobs_[op.name()] = job;
  op_creators_[op.name()] = call.principal.actor;
  wake_ = true;
  return op;
}

bool CloudCore::CancelBackupJobLocked(v1::Operation* op) {
  if (!IsBackupVerb(op->verb())) return false;
  auto job = backup_jobs_.find(op->name());
  if (job == backup_jobs_.end()) return true;  // done or interrupted
  // Jobs run whole within one scheduler pass; one not yet run is dropped.
  if (op->verb() == "CreateBackup") {
    auto b = backups_.find(job->second.backup);
    if (b != backups_.end()) {
      (void)Unpersist("backup", b->first);
      backups_.erase(b);
    }
  } else if (op->verb() == "RestoreBackup" && !job->second.create_op.empty()) {
    // The new cluster of a cancelled restore: gone when its create had not
    // run yet, else FAILED (never RUNNING and empty).
    auto create = operations_.find(job->second.create_op);
    auto c = clusters_.find(job->second.cluster);
    const absl::Status cancelled = absl::CancelledError(absl::StrCat(
        "RestoreBackup into '", job->second.cluster, "' was cancelled"));
    if (create != operations_.end() && !create->second.done() &&
        c != clusters_.end()) {
      create->second.set_cancel_requested(true);
      v1::Cluster last = c->second;
      last.set_state(v1::Cluster::STATE_UNSPECIFIED);
      (void)PurgeLocked(job->second.cluster);
      FinishOperationLocked(&create->second, cancelled, &last);
    } else {
      FailRestoredClusterLocked(job->second.cluster, job->second.backup,
                                cancelled);
    }
  } else if (op->verb() == "DeleteBackup") {
    auto b = backups_.find(job->second.backup);
    if (b != backups_.end()) {
      const int prev = job->second.prev_backup_state;
      b->second.set_state(prev == v1::Backup::STATE_UNSPECIFIED
                              ? v1::Backup::READY
                              : static_cast<v1::Backup::State>(prev));
      b->second.set_etag(NewEtag());
      (void)Persist("backup", b->first, b->second);
    }
  }
  backup_jobs_.erase(job);
  FinishOperationLocked(
      op,
      absl::CancelledError(
          absl::StrCat(op->verb(), " of '", op->target(), "' was cancelled")),
      nullptr);
  return true;
}

void CloudCore::RunBackupJobLocked(const std::string& op_name) {
  auto jit = backup_jobs_.find(op_name);
  auto oit = operations_.find(op_name);
  if (jit == backup_jobs_.end()) return;
  if (oit == operations_.end()) {
    backup_jobs_.erase(jit);
    return;
  }
  const BackupJob job = jit->second;
  v1::Operation* op = &oit->second;
  const std::string verb = op->verb();
  auto bit = backups_.find(job.backup);
  if (bit == backups_.end()) {
    backup_jobs_.erase(op_name);
    FinishOperationLocked(
        op,
        absl::NotFoundError(absl::StrCat("backup '", job.backup, "' is gone")),
        nullptr);
    return;
  }
  v1::Backup* b = &bit->second;

  if (verb != "RestoreBackup" && !job.agent_dir.empty()) {
    AgentExecuteBackupLocked(op_name);  // sends it, or waits
    return;
  }

  if (verb == "DeleteBackup") {
    // Only the files listed in this backup's own manifest.
    absl::Status s = hosting::DeleteBackupFiles(b->location(), b->name());
    v1::Backup last = *b;
    if (s.ok()) {
      (void)Unpersist("backup", b->name());
      backups_.erase(bit);
    } else {
      b->set_state(v1::Backup::FAILED);
      b->set_state_message(std::string(s.message()));
      (void)Persist("backup", b->name(), *b);
      last = *b;
    }
    backup_jobs_.erase(op_name);
    *op->mutable_backup() = last;
    FinishOperationLocked(op, s, nullptr);
    return;
  }

  if (verb == "CreateBackup") {
    absl::Status s;
    auto cit = clusters_.find(job.cluster);
    auto rt = runtimes_.find(job.cluster);
    absl::StatusOr<internal::Cipher> cipher;
    if (cit == clusters_.end() || rt == runtimes_.end()) {
      s = absl::FailedPreconditionError(absl::StrCat(
          "cluster '", job.cluster, "' is not serving; the backup failed"));
    } else {
      cipher = BackupCipherLocked(cit->second);
      s = cipher.status();
    }
    absl::StatusOr<hosting::BackupSummary> summary;
    if (!s.ok()) {
      summary = s;
    } else {
      auto refs =
          hosting::ParseCollectionRefs("backup.collections", job.collections);
      summary = refs.ok()
                    ? rt->second.plane->Backup(*refs, b->location(), *cipher,
                                               b->encryption_key(), b->name())
                    : absl::StatusOr<hosting::BackupSummary>(refs.status());
    }
    if (summary.ok()) {
      b->set_state(v1::Backup::READY);
      b->clear_collections();
      for (const std::string& c : summary->collections) b->add_collections(c);
      b->set_size_bytes(summary->bytes);
      b->set_row_count(summary->rows);
    } else {
      b->set_state(v1::Backup::FAILED);
      b->set_state_message(std::string(summary.status().message()));
    }
    b->set_etag(NewEtag());
    (void)Persist("backup", b->name(), *b);
    backup_jobs_.erase(op_name);
    *op->mutable_backup() = *b;
    FinishOperationLocked(op, summary.status(), nullptr);
    return;
  }

  // RestoreBackup.
  if (!job.create_op.empty()) {
    auto create = operations_.find(job.create_op);
    if (create != operations_.end() && !create->second.done()) return;
    if (create == operations_.end() || create->second.error_code() != 0) {
      backup_jobs_.erase(op_name);
      FinishOperationLocked(
          op,
          absl::FailedPreconditionError(absl::StrCat(
              "the new cluster '", job.cluster, "' was not created: ",
              create == operations_.end() ? "operation gone"
                                          : create->second.error_message())),
          nullptr);
      return;
    }
  }
  if (!job.agent_dir.empty()) {
    AgentExecuteBackupLocked(op_name);  // sends it, or waits
    return;
  }
  absl::Status s;
  auto cit = clusters_.find(job.cluster);
  auto rt = runtimes_.find(job.cluster);
  std::optional<internal::Cipher> cipher;
  if (cit == clusters_.end() || rt == runtimes_.end() ||
      cit->second.state() != v1::Cluster::RUNNING) {
    s = absl::FailedPreconditionError(absl::StrCat(
        "cluster '", job.cluster, "' is not RUNNING; the restore failed"));
  } else if (b->encrypted()) {
    auto path = KeyFileLocked(b->environment(), b->encryption_key());
    auto id = KeyIdLocked(b->environment(), b->encryption_key());
    auto c = !path.ok() ? absl::StatusOr<internal::Cipher>(path.status())
             : !id.ok() ? absl::StatusOr<internal::Cipher>(id.status())
                        : internal::Cipher::FromKeyFile(*path);
    if (c.ok()) {
      cipher = *c;
    } else {
      s = c.status();
    }
  }
  absl::StatusOr<hosting::BackupSummary> summary;
  if (!s.ok()) {
    summary = s;
  } else {
    auto refs = hosting::ParseCollectionRefs("collections", job.collections);
    summary = refs.ok() ? rt->second.plane->Restore(
                              b->location(), cipher ? &*cipher : nullptr, *refs,
                              job.overwrite, b->name())
                        : absl::StatusOr<hosting::BackupSummary>(refs.status());
  }
  backup_jobs_.erase(op_name);
  // A new cluster whose restore failed is FAILED, never RUNNING and empty.
  if (!summary.ok() && !job.create_op.empty())
    FailRestoredClusterLocked(job.cluster, job.backup, summary.status());
  FinishOperationLocked(op, summary.status(),
                        cit == clusters_.end() ? nullptr : &cit->second);
}

void CloudCore::FailRestoredClusterLocked(const std::string& cluster,
                                          const std::string& backup,
                                          const absl::Status& status) {
  auto it = clusters_.find(cluster);
  if (it == clusters_.end()) return;
  v1::Cluster& c = it->second;
  if (IsAgentEnvironmentLocked(c.environment())) {
    AgentStopClusterLocked(c);
  } else {
    StopDataPlaneLocked(&c);
  }
  c.set_state(v1::Cluster::FAILED);
  c.set_state_message(absl::StrCat(
      "RestoreBackup of '", backup,
      "' into this new cluster did not complete: ", status.message(),
      "; the cluster does not hold the backup's data: delete it and restore "
      "again"));
  *c.mutable_update_time() = ToProto(NowLocked());
  c.set_etag(NewEtag());
  (void)Persist("cluster", cluster, c);
}

absl::Status CloudCore::PersistRestoreJobLocked(const std::string& op) {
  auto it = backup_jobs_.find(op);
  if (it == backup_jobs_.end() || it->second.create_op.empty())
    return absl::OkStatus();
  const BackupJob& job = it->second;
  nlohmann::json j = {
      {"backup", job.backup},       {"cluster", job.cluster},
      {"create_op", job.create_op}, {"collections", job.collections},
      {"overwrite", job.overwrite}, {"agent_dir", job.agent_dir}};
  return store_->Put("restorejob", op, j.dump());
}

void CloudCore::RunBackupPoliciesLocked() {
  const absl::Time now = NowLocked();
  for (auto& [name, c] : clusters_) {
    const v1::BackupPolicy& p = c.backup_policy();
    if (!p.enabled()) continue;
    // Prune the scheduled backups beyond the retention (count or age).
    std::vector<v1::Backup*> mine;
    for (auto& [bname, b] : backups_) {
      if (b.cluster() == name && b.scheduled() &&
          b.state() == v1::Backup::READY) {
        mine.push_back(&b);
      }
    }
    std::sort(mine.begin(), mine.end(), [](v1::Backup* x, v1::Backup* y) {
      return FromProto(x->create_time()) > FromProto(y->create_time());
    });
    const absl::Duration max_age = FromProtoDuration(p.retention());
    for (size_t i = 0; i < mine.size(); ++i) {
      const bool too_many = p.retention_count() > 0 &&
                            i >= static_cast<size_t>(p.retention_count());
      const bool too_old = max_age > absl::ZeroDuration() &&
                           FromProto(mine[i]->create_time()) + max_age <= now;
      if (!too_many && !too_old) continue;
      Call call;
      call.principal.actor = "system";
      call.method = "DeleteBackup";
      call.action = "backups.delete";
      call.resource = mine[i]->name();
      call.mutation = true;
      auto op = StartDeleteBackupLocked(call, mine[i]);
      AuditLocked(call, op.status());
    }
    // Take the next scheduled backup.
    if (c.state() != v1::Cluster::RUNNING || !p.has_next_backup_time() ||
        FromProto(p.next_backup_time()) > now) {
      continue;
    }
    Call call;
    call.principal.actor = "system";
    call.method = "CreateBackup";
    call.action = "backups.create";
    call.resource = name;
    call.mutation = true;
    auto op = StartBackupLocked(call, c, "", v1::Backup(), true);
    AuditLocked(call, op.status());
    const absl::Duration interval = FromProtoDuration(p.interval());
    absl::Time next = FromProto(p.next_backup_time()) + interval;
    if (next <= now) next = now + interval;
    *c.mutable_backup_policy()->mutable_next_backup_time() = ToProto(next);
    (void)Persist("cluster", name, c);
  }
}

void CloudCore::RunBackupsAndKeysLocked() {
  CheckKeysLocked();
  const absl::Time now = NowLocked();
  // Backups past their expire_time go.
  for (auto& [name, b] : backups_) {
    if (b.state() != v1::Backup::READY || !b.has_expire_time() ||
        FromProto(b.expire_time()) > now) {
      continue;
    }
    Call call;
    call.principal.actor = "system";
    call.method = "DeleteBackup";
    call.action = "backups.delete";
    call.resource = name;
    call.mutation = true;
    auto op = StartDeleteBackupLocked(call, &b);
    AuditLocked(call, op.status());
  }
  RunBackupPoliciesLocked();
  // Twice: deletions that pruning started after a new backup also finish.
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<std::string> due;
    for (const auto& [op, job] : backup_jobs_) {
      if (job.due <= now) due.push_back(op);
    }
    for (const std::string& op : due) RunBackupJobLocked(op);
    if (pass == 0) RunBackupPoliciesLocked();
  }
}

// ---- RPCs
// -----------------------------------------------------------------

absl::Status CloudCore::CreateBackup(const RequestContext& ctx,
                                     const v1::CreateBackupRequest& req,
                                     v1::Operation* resp) {
  return Handle(
      ctx, "CreateBackup", "backups.create", true, req.parent(),
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), kClusterName).status());
        if (!req.backup_id().empty())
          COVE_RETURN_IF_ERROR(ValidateId("backup_id", req.backup_id()));
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "backups.create", req.parent()));
        COVE_ASSIGN_OR_RETURN(bool replayed,
                              ReplayOperationLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        COVE_ASSIGN_OR_RETURN(v1::Cluster * c, FindClusterLocked(req.parent()));
        COVE_ASSIGN_OR_RETURN(
            v1::Operation op,
            StartBackupLocked(call, *c, req.backup_id(), req.backup(), false));
        *resp = OperationViewLocked(op, call.principal);
        return RememberLocked(call, req, op, op);
      });
}

absl::Status CloudCore::GetBackup(const RequestContext& ctx,
                                  const v1::GetRequest& req, v1::Backup* resp) {
  return Handle(
      ctx, "GetBackup", "backups.get", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), kBackupName).status());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, "backups.get", req.name()));
        auto it = backups_.find(req.name());
        if (it == backups_.end()) {
          return absl::NotFoundError(
              absl::StrCat("backup '", req.name(), "' not found"));
        }
        *resp = it->second;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ListBackups(const RequestContext& ctx,
                                    const v1::ListBackupsRequest& req,
                                    v1::ListBackupsResponse* resp) {
  return Handle(
      ctx, "ListBackups", "backups.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        std::string parent = req.parent();
        if (absl::EndsWith(parent, "/clusters/-")) {
          parent = parent.substr(0, parent.size() - 11);
          COVE_RETURN_IF_ERROR(
              ParseName("parent", parent, {"organizations", "projects"})
                  .status());
        } else {
          COVE_RETURN_IF_ERROR(
              ParseName("parent", parent, kClusterName).status());
        }
        COVE_ASSIGN_OR_RETURN(
            Filter filter, ParseFilter(req.filter(), {"state", "scheduled"}));
        if (auto* v = filter.Get("state")) {
          v1::Backup::State s;
          if (!v1::Backup::State_Parse(*v, &s)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "filter: state expects a backup state such as READY (got '", *v,
                "')"));
          }
        }
        if (auto* v = filter.Get("scheduled");
            v && *v != "true" && *v != "false") {
          return absl::InvalidArgumentError(absl::StrCat(
              "filter: scheduled expects true or false (got '", *v, "')"));
        }
        COVE_RETURN_IF_ERROR(AuthorizeListLocked(call, "backups.list", parent));
        std::vector<std::pair<std::string, v1::Backup>> items;
        for (const auto& [name, b] : backups_) {
          if (!Within(name, parent)) continue;
          if (!AllowedLocked(call.principal, "backups.get", name)) continue;
          if (auto* v = filter.Get("state");
              v && *v != v1::Backup::State_Name(b.state())) {
            continue;
          }
          if (auto* v = filter.Get("scheduled");
              v && *v != (b.scheduled() ? "true" : "false")) {
            continue;
          }
          items.emplace_back(name, b);
        }
        PageRequest page{
            req.page_size(), req.page_token(),
            absl::StrCat("backups|", req.parent(), "|", req.filter())};
        return Paginate(items, page, resp->mutable_backups(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::DeleteBackup(const RequestContext& ctx,
                                     const v1::DeleteRequest& req,
                                     v1::Operation* resp) {
  return Handle(ctx, "DeleteBackup", "backups.delete", true, req.name(),
                req.request_id(), [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(
                      ParseName("name", req.name(), kBackupName).status());
                  COVE_RETURN_IF_ERROR(
                      AuthorizeLocked(call, "backups.delete", req.name()));
                  COVE_ASSIGN_OR_RETURN(bool replayed,
                                        ReplayOperationLocked(call, req, resp));
                  if (replayed) return absl::OkStatus();
                  auto it = backups_.find(req.name());
                  if (it == backups_.end()) {
                    return absl::NotFoundError(
                        absl::StrCat("backup '", req.name(), "' not found"));
                  }
                  COVE_RETURN_IF_ERROR(
                      CheckEtag(absl::StrCat("backup '", req.name(), "'"),
                                req.etag(), it->second.etag()));
                  COVE_ASSIGN_OR_RETURN(
                      v1::Operation op,
                      StartDeleteBackupLocked(call, &it->second));
                  *resp = OperationViewLocked(op, call.principal);
                  return RememberLocked(call, req, op, op);
                });
}

absl::Status CloudCore::RestoreBackup(const RequestContext& ctx,
                                      const v1::RestoreBackupRequest& req,
                                      v1::Operation* resp) {
  const bool into_new = !req.cluster_id().empty() || !req.parent().empty();
  const std::string target =
      into_new ? absl::StrCat(req.parent(), "/clusters/", req.cluster_id())
               : req.target_cluster();
  // One call, one audit event of the restore (and one of the create, for a
  // new cluster), one count in the control plane's metrics.
  return Handle(
      ctx, "RestoreBackup", "backups.restore", true, req.name(),
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), kBackupName).status());
        if (into_new == !req.target_cluster().empty()) {
          return absl::InvalidArgumentError(
              "target_cluster / parent + cluster_id: expected exactly one "
              "target (an existing cluster, or a new one)");
        }
        v1::CreateClusterRequest create;
        if (into_new) {
          create.set_parent(req.parent());
          create.set_cluster_id(req.cluster_id());
          *create.mutable_cluster() = req.cluster();
          COVE_RETURN_IF_ERROR(CheckCreateClusterRequest(create));
        } else {
          COVE_RETURN_IF_ERROR(
              ParseName("target_cluster", target, kClusterName).status());
        }
        COVE_ASSIGN_OR_RETURN(auto refs,
                              hosting::ParseCollectionRefs(
                                  "collections", ToVector(req.collections())));
        // The restore matrix (docs/control-plane.md#restore-permissions):
        // reading the backup's data needs backups.restore on the backup;
        // a new cluster needs clusters.create on its project; writing into
        // an existing cluster needs backups.restore on it, and replacing
        // its collections (overwrite) clusters.delete on it too.
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "backups.restore", req.name()));
        if (into_new) {
          COVE_RETURN_IF_ERROR(
              AuthorizeLocked(call, "clusters.create", req.parent()));
        } else {
          COVE_RETURN_IF_ERROR(
              AuthorizeLocked(call, "backups.restore", target));
          if (req.overwrite()) {
            COVE_RETURN_IF_ERROR(
                AuthorizeLocked(call, "clusters.delete", target));
          }
        }
        COVE_ASSIGN_OR_RETURN(bool replayed,
                              ReplayOperationLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        auto it = backups_.find(req.name());
        if (it == backups_.end()) {
          return absl::NotFoundError(
              absl::StrCat("backup '", req.name(), "' not found"));
        }
        const v1::Backup& b = it->second;
        if (b.state() != v1::Backup::READY) {
          return absl::FailedPreconditionError(
              absl::StrCat("backup '", req.name(), "' is ",
                           v1::Backup::State_Name(b.state()),
                           "; RestoreBackup needs a READY backup"));
        }
        const bool agent = IsAgentEnvironmentLocked(b.environment());
        // The key of an encrypted backup; agent mode: the key is in the
        // agent's key store, the agent checks it.
        std::optional<internal::Cipher> cipher;
        if (b.encrypted() && !agent) {
          COVE_RETURN_IF_ERROR(
              KeyIdLocked(b.environment(), b.encryption_key()).status());
          COVE_ASSIGN_OR_RETURN(
              std::string path,
              KeyFileLocked(b.environment(), b.encryption_key()));
          COVE_ASSIGN_OR_RETURN(cipher, internal::Cipher::FromKeyFile(path));
        }
        std::string create_op;
        v1::Cluster* c = nullptr;
        if (into_new) {
          COVE_RETURN_IF_ERROR(CheckRestoreEnvironmentLocked(
              b, req.cluster().environment(), "cluster.environment"));
          // A backup that is damaged fails now, before a cluster exists
          // (agent mode: the agent verifies it in the operation).
          if (!agent) {
            COVE_RETURN_IF_ERROR(hosting::VerifyBackup(b.location(), b.name()));
            COVE_RETURN_IF_ERROR(hosting::CheckBackupSelection(
                b.location(), cipher ? &*cipher : nullptr, refs, b.name()));
          }
          Call create_call = call;
          create_call.method = "CreateCluster";
          create_call.action = "clusters.create";
          create_call.resource = target;
          create_call.request_id.clear();
          create_call.audit_message.clear();
          auto created = CreateClusterLocked(create_call, create);
          AuditLocked(create_call, created.status());
          COVE_RETURN_IF_ERROR(created.status());
          create_op = created->name();
          c = &clusters_[target];
        } else {
          COVE_ASSIGN_OR_RETURN(c, FindClusterLocked(target));
          COVE_RETURN_IF_ERROR(CheckRestoreEnvironmentLocked(
              b, c->environment(), "target_cluster"));
          auto rt = runtimes_.find(target);
          if (c->state() != v1::Cluster::RUNNING ||
              (!agent && rt == runtimes_.end())) {
            return absl::FailedPreconditionError(
                absl::StrCat("cluster '", target, "' is ",
                             v1::Cluster::State_Name(c->state()),
                             "; RestoreBackup needs a RUNNING target cluster"));
          }
          // Name conflicts fail now, not in the operation (agent mode: the
          // backup is in the agent's bucket; the agent finds them).
          if (!agent) {
            COVE_RETURN_IF_ERROR(hosting::CheckRestoreConflicts(
                *rt->second.plane->connection(), b.location(),
                cipher ? &*cipher : nullptr, refs, req.overwrite(), b.name()));
          }
        }
        Store::Atomic atomic(store_.get());
        v1::Operation op = NewBackupOperationLocked(call, target);
        *op.mutable_cluster() = ClusterViewLocked(*c);
        COVE_RETURN_IF_ERROR(Persist("operation", op.name(), op));
        operations_[op.name()] = op;
        BackupJob job;
        job.backup = req.name();
        job.cluster = target;
        job.create_op = create_op;
        job.collections = ToVector(req.collections());
        // A new cluster holds only what this restore writes: a restore
        // resumed after a restart replaces what an earlier try wrote.
        job.overwrite = req.overwrite() || into_new;
        job.due = NowLocked();
        if (agent) job.agent_dir = b.location();
        backup_jobs_[op.name()] = job;
        op_creators_[op.name()] = call.principal.actor;
        // The new cluster's once-shown password comes with the restore (its
        // sealed copy moves to the restore's operation).
        auto pw = op_passwords_.find(create_op);
        if (pw != op_passwords_.end()) {
          op_passwords_[op.name()] = pw->second;
          COVE_RETURN_IF_ERROR(SealPasswordLocked(op.name()));
          DropSealedPasswordLocked(create_op);
        }
        COVE_RETURN_IF_ERROR(PersistRestoreJobLocked(op.name()));
        COVE_RETURN_IF_ERROR(atomic.Commit());
        wake_ = true;
        *resp = OperationViewLocked(op, call.principal);
        return RememberLocked(call, req, op, op);
      });
}

absl::Status CloudCore::SetBackupPolicy(const RequestContext& ctx,
                                        const v1::SetBackupPolicyRequest& req,
                                        v1::Cluster* resp) {
  return Handle(
      ctx, "SetBackupPolicy", "backups.updatePolicy", true, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), kClusterName).status());
        v1::Cluster probe;
        *probe.mutable_backup_policy() = req.policy();
        v1::Cluster scratch;
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "backups.updatePolicy", req.name()));
        COVE_ASSIGN_OR_RETURN(v1::Cluster * c, FindClusterLocked(req.name()));
        COVE_RETURN_IF_ERROR(CheckEtag(
            absl::StrCat("cluster '", req.name(), "'"), req.etag(), c->etag()));
        if (c->state() == v1::Cluster::DELETING ||
            c->state() == v1::Cluster::DELETED) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cluster '", req.name(), "' is ",
              v1::Cluster::State_Name(c->state()),
              "; SetBackupPolicy needs a cluster that is not deleted"));
        }
        // Validates the policy and computes next_backup_time.
        probe.set_environment(c->environment());
        COVE_RETURN_IF_ERROR(PrepareClusterKeyLocked(probe, &scratch));
        *c->mutable_backup_policy() = scratch.backup_policy();
        if (!req.policy().enabled()) {
          *c->mutable_backup_policy() = req.policy();
          c->mutable_backup_policy()->clear_next_backup_time();
        }
        *c->mutable_update_time() = ToProto(NowLocked());
        c->set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist("cluster", req.name(), *c));
        *resp = ClusterViewLocked(*c);
        return absl::OkStatus();
      });
}

}  // namespace cove::cloud
