// Customer-managed keys (CMEK) of the cloud emulator.
//
// A cluster may name a key "keys/{name}". The key material lives with the
// environment, in its key store "<bucket>/.kms/{name}.key" (32 raw bytes or
// 64 hex digits, mode 0600), never with the control plane: the control plane
// keeps only the reference and a non-secret fingerprint (Cipher::KeyId), and
// the data plane's engine reads the file itself when it starts (encryption
// at rest, AES-256-GCM). Revoking = the customer removes (or replaces) the
// file; the scheduler notices on its next pass, stops the data plane and
// leaves the cluster SUSPENDED with state_message "customer key revoked:
// ..." and a "clusters.keyRevoked" audit event. Once the key is back,
// ResumeCluster brings it up with its data (it is refused while the key is
// unavailable).
//
// Agent mode: the key store is the agent's (<agent bucket>/.kms), which the
// control plane never reads. The control plane keeps the reference; the
// agent checks the key when it starts a data plane, records its
// fingerprint (reported back in the create's result), checks it before
// every heartbeat and, when it is gone or replaced, stops the data plane
// and reports KEY_REVOKED: the core (agent_core.cc) then suspends the cluster
// with the same "clusters.keyRevoked" event. ResumeCluster is sent to the
// agent, which refuses it while the key is missing.
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"
#include "common/cipher.h"
#include "hosting/backup_format.h"

namespace cove::cloud {

absl::StatusOr<std::string> CloudCore::KeyFileLocked(
    const std::string& environment, const std::string& key_ref) const {
  if (!absl::StartsWith(key_ref, "keys/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encryption_key: expected 'keys/{name}' (got '", key_ref, "')"));
  }
  const std::string name = key_ref.substr(5);
  if (!hosting::ValidKeyName(name))
    COVE_RETURN_IF_ERROR(ValidateId("encryption_key name", name));
  auto env = environments_.find(environment);
  if (env == environments_.end()) {
    return absl::NotFoundError(
        absl::StrCat("environment '", environment, "' not found"));
  }
  return absl::StrCat(env->second.bucket(), "/.kms/", name, ".key");
}

absl::StatusOr<std::string> CloudCore::KeyIdLocked(
    const std::string& environment, const std::string& key_ref) const {
  COVE_ASSIGN_OR_RETURN(std::string path, KeyFileLocked(environment, key_ref));
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "customer key '", key_ref, "' is not available in the key store of ",
        environment, " (no file '", path, "')"));
  }
  auto cipher = internal::Cipher::FromKeyFile(path);
  if (!cipher.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("customer key '", key_ref, "' in the key store of ",
                     environment, " is unusable: ", cipher.status().message()));
  }
  return cipher->KeyId();
}

absl::Status CloudCore::CheckClusterKeyLocked(const v1::Cluster& c) const {
  if (c.encryption_key().empty()) return absl::OkStatus();
  // Agent mode: only the agent can read its key store (see the file
  // comment); it reports revocations.
  if (IsAgentEnvironmentLocked(c.environment())) return absl::OkStatus();
  COVE_ASSIGN_OR_RETURN(std::string id,
                        KeyIdLocked(c.environment(), c.encryption_key()));
  if (id != c.encryption_key_id()) {
    return absl::FailedPreconditionError(
        absl::StrCat("customer key '", c.encryption_key(), "' of cluster '",
                     c.name(), "' was replaced by another key (fingerprint ",
                     id, ", expected ", c.encryption_key_id(), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<internal::Cipher> CloudCore::BackupCipherLocked(
    const v1::Cluster& c) const {
  if (!c.encryption_key().empty()) {
    COVE_RETURN_IF_ERROR(CheckClusterKeyLocked(c));
    COVE_ASSIGN_OR_RETURN(std::string path,
                          KeyFileLocked(c.environment(), c.encryption_key()));
    return internal::Cipher::FromKeyFile(path);
  }
  COVE_ASSIGN_OR_RETURN(
      std::string path,
      KeyFileLocked(c.environment(), hosting::BackupDataKeyRef(c.name())));
  return hosting::LoadOrCreateDataKey(path);
}

namespace {

absl::Status ValidatePolicy(const v1::BackupPolicy& p) {
  if (!p.enabled()) return absl::OkStatus();
  const absl::Duration interval = FromProtoDuration(p.interval());
  if (interval < absl::Minutes(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup_policy.interval: expected at least 1m (got ",
                     absl::FormatDuration(interval), ")"));
  }
  if (p.retention_count() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup_policy.retention_count: expected >= 0 (got ",
                     p.retention_count(), ")"));
  }
  if (FromProtoDuration(p.retention()) < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backup_policy.retention: expected >= 0 (got ",
        absl::FormatDuration(FromProtoDuration(p.retention())), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CloudCore::PrepareClusterKeyLocked(const v1::Cluster& in,
                                                v1::Cluster* c) {
  COVE_RETURN_IF_ERROR(ValidatePolicy(in.backup_policy()));
  if (in.backup_policy().enabled()) {
    *c->mutable_backup_policy() = in.backup_policy();
    *c->mutable_backup_policy()->mutable_next_backup_time() =
        ToProto(NowLocked() + FromProtoDuration(in.backup_policy().interval()));
  }
  if (in.encryption_key().empty()) return absl::OkStatus();
  if (IsAgentEnvironmentLocked(c->environment())) {
    // The key store is the agent's; the control plane must not read it:
    // only the reference is checked here, the key by the agent (its
    // fingerprint comes back with the create's result).
    COVE_RETURN_IF_ERROR(
        KeyFileLocked(c->environment(), in.encryption_key()).status());
    c->set_encryption_key(in.encryption_key());
    c->clear_encryption_key_id();
    return absl::OkStatus();
  }
  COVE_ASSIGN_OR_RETURN(std::string id,
                        KeyIdLocked(in.environment(), in.encryption_key()));
  c->set_encryption_key(in.encryption_key());
  c->set_encryption_key_id(id);
  return absl::OkStatus();
}

absl::StatusOr<EmbeddedOptions> CloudCore::DataPlaneOptionsLocked(
    const v1::Cluster& c) const {
  EmbeddedOptions options;
  if (c.encryption_key().empty()) return options;
  COVE_RETURN_IF_ERROR(CheckClusterKeyLocked(c));
  COVE_ASSIGN_OR_RETURN(options.encryption_key_file,
                        KeyFileLocked(c.environment(), c.encryption_key()));
  return options;
}

void CloudCore::SystemEventLocked(const std::string& action,
                                  const std::string& resource,
                                  const absl::Status& status,
                                  const std::string& message) {
  v1::AuditEvent e;
  const int64_t id = next_audit_id_++;
  e.set_name(absl::StrFormat("auditEvents/%012d", id));
  *e.mutable_time() = ToProto(NowLocked());
  e.set_actor("system");
  e.set_action(action);
  e.set_resource(resource);
  e.set_outcome(status.ok() ? v1::AuditEvent::SUCCEEDED
                            : v1::AuditEvent::FAILED);
  e.set_status_code(static_cast<int>(status.code()));
  e.set_message(message.empty() ? std::string(status.message()) : message);
  (void)store_->AppendAudit(id, e.SerializeAsString());
  audit_.push_back(std::move(e));
}

bool CloudCore::SuspendIfKeyRevokedLocked(v1::Cluster* c) {
  if (c->encryption_key().empty()) return false;
  absl::Status key = CheckClusterKeyLocked(*c);
  if (key.ok()) return false;
  StopDataPlaneLocked(c);
  const std::string message =
      absl::StrCat("customer key revoked: ", key.message(),
                   "; the data plane is stopped, its data kept; restore "
                   "the key, then ResumeCluster");
  c->set_state(v1::Cluster::SUSPENDED);
  c->set_state_message(message);
  *c->mutable_update_time() = ToProto(NowLocked());
  c->set_etag(NewEtag());
  (void)Persist("cluster", c->name(), *c);
  SystemEventLocked("clusters.keyRevoked", c->name(), absl::OkStatus(),
                    message);
  return true;
}

void CloudCore::CheckKeysLocked() {
  for (auto& [name, c] : clusters_) {
    if (c.state() == v1::Cluster::RUNNING) SuspendIfKeyRevokedLocked(&c);
  }
}

}  // namespace cove::cloud
