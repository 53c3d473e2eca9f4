// Debug output of the control-plane types: every secret is printed as
// <redacted> (see control_types.h).
#include <chrono>
#include <ostream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "cove/control_types.h"

namespace cove {
namespace {

// Prints `Type{a: 1, b: "x"}`.
class Fields {
 public:
  Fields(std::ostream& os, const char* type) : os_(os) { os_ << type << '{'; }
  ~Fields() { os_ << '}'; }
  Fields(const Fields&) = delete;
  Fields& operator=(const Fields&) = delete;

  Fields& Str(const char* name, const std::string& v) {
    Name(name) << '"' << absl::CHexEscape(v) << '"';
    return *this;
  }
  // A secret: "<redacted>" when set (never its length or a prefix).
  Fields& Secret(const char* name, const std::string& v) {
    Name(name) << (v.empty() ? "\"\"" : "<redacted>");
    return *this;
  }
  Fields& Int(const char* name, int64_t v) {
    Name(name) << v;
    return *this;
  }
  Fields& Bool(const char* name, bool v) {
    Name(name) << (v ? "true" : "false");
    return *this;
  }
  Fields& Raw(const char* name, const std::string& v) {
    Name(name) << v;
    return *this;
  }
  Fields& Time(const char* name, control::Timestamp t) {
    if (!control::IsSet(t)) return *this;
    Name(name) << absl::FormatTime(absl::RFC3339_sec, absl::FromChrono(t),
                                   absl::UTCTimeZone());
    return *this;
  }
  Fields& Strings(const char* name, const std::vector<std::string>& v) {
    std::ostream& os = Name(name);
    os << '[';
    for (size_t i = 0; i < v.size(); ++i) {
      os << (i == 0 ? "" : ", ") << '"' << absl::CHexEscape(v[i]) << '"';
    }
    os << ']';
    return *this;
  }
  Fields& Labels(const char* name,
                 const std::map<std::string, std::string>& v) {
    std::ostream& os = Name(name);
    os << '{';
    bool first = true;
    for (const auto& [k, x] : v) {
      os << (first ? "" : ", ") << '"' << absl::CHexEscape(k) << "\": \""
         << absl::CHexEscape(x) << '"';
      first = false;
    }
    os << '}';
    return *this;
  }
  template <typename T>
  Fields& Obj(const char* name, const T& v) {
    Name(name) << v;
    return *this;
  }

 private:
  std::ostream& Name(const char* name) {
    if (!first_) os_ << ", ";
    first_ = false;
    return os_ << name << ": ";
  }
  std::ostream& os_;
  bool first_ = true;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const ControlOptions& v) {
  Fields(os, "ControlOptions")
      .Str("endpoint", v.endpoint)
      .Secret("api_key", v.api_key)
      .Str("ca_cert_file", v.ca_cert_file)
      .Int("ca_cert_pem_bytes", static_cast<int64_t>(v.ca_cert_pem.size()))
      .Str("server_name", v.server_name)
      .Bool("dangerously_skip_tls_verification",
            v.dangerously_skip_tls_verification)
      .Int("timeout_ms", v.timeout.count())
      .Int("max_attempts", v.max_attempts);
  return os;
}

namespace control {

std::ostream& operator<<(std::ostream& os, const Invitation& v) {
  Fields(os, "Invitation")
      .Str("name", v.name)
      .Str("email", v.email)
      .Str("role", v.role)
      .Raw("state", ToString(v.state))
      .Time("create_time", v.create_time)
      .Time("expire_time", v.expire_time)
      .Secret("token", v.token)
      .Str("etag", v.etag);
  return os;
}

std::ostream& operator<<(std::ostream& os, const Environment& v) {
  Fields(os, "Environment")
      .Str("name", v.name)
      .Raw("mode", ToString(v.mode))
      .Raw("state", ToString(v.state))
      .Str("cloud_account_id", v.cloud_account_id)
      .Str("region", v.region)
      .Str("vpc_id", v.vpc_id)
      .Strings("subnet_ids", v.subnet_ids)
      .Str("bucket", v.bucket)
      .Str("role_arn", v.role_arn)
      .Str("external_id", v.external_id)
      .Time("create_time", v.create_time)
      .Str("state_message", v.state_message)
      .Secret("agent_token", v.agent_token)
      .Time("agent_token_expire_time", v.agent_token_expire_time)
      .Time("last_heartbeat_time", v.last_heartbeat_time)
      .Str("etag", v.etag);
  return os;
}

std::ostream& operator<<(std::ostream& os, const Cluster& v) {
  Fields(os, "Cluster")
      .Str("name", v.name)
      .Str("display_name", v.display_name)
      .Str("environment", v.environment)
      .Raw("state", ToString(v.state))
      .Str("cu_type", v.cu_type)
      .Int("cu_size", v.cu_size)
      .Int("replicas", v.replicas)
      .Labels("labels", v.labels)
      .Str("endpoint", v.endpoint)
      .Str("metrics_endpoint", v.metrics_endpoint)
      .Time("create_time", v.create_time)
      .Time("delete_time", v.delete_time)
      .Time("purge_time", v.purge_time)
      .Str("state_message", v.state_message)
      .Str("admin_user", v.admin_user)
      .Secret("admin_password", v.admin_password)
      .Int("capacity_vectors", v.capacity_vectors)
      .Int("used_vectors", v.used_vectors)
      .Bool("autoscaling", v.autoscaling.enabled)
      .Str("encryption_key", v.encryption_key)
      .Str("encryption_key_id", v.encryption_key_id)
      .Bool("backup_policy", v.backup_policy.enabled)
      .Str("etag", v.etag);
  return os;
}

std::ostream& operator<<(std::ostream& os, const Operation& v) {
  Fields f(os, "Operation");
  f.Str("name", v.name)
      .Str("verb", v.verb)
      .Str("target", v.target)
      .Bool("done", v.done)
      .Raw("error_code", absl::StatusCodeToString(v.error_code))
      .Str("error_message", v.error_message)
      .Int("progress_percent", v.progress_percent)
      .Time("create_time", v.create_time)
      .Time("end_time", v.end_time)
      .Str("request_id", v.request_id);
  if (v.cluster.has_value()) f.Obj("cluster", *v.cluster);
  if (v.environment.has_value()) f.Obj("environment", *v.environment);
  if (v.backup.has_value()) f.Str("backup", v.backup->name);
  return os;
}

std::ostream& operator<<(std::ostream& os, const ApiKey& v) {
  Fields(os, "ApiKey")
      .Str("name", v.name)
      .Str("display_name", v.display_name)
      .Str("scope", v.scope)
      .Str("role", v.role)
      .Bool("enabled", v.enabled)
      .Time("create_time", v.create_time)
      .Time("expire_time", v.expire_time)
      .Time("last_used_time", v.last_used_time)
      .Secret("secret", v.secret)
      .Str("owner", v.owner)
      .Str("etag", v.etag);
  return os;
}

std::ostream& operator<<(std::ostream& os, const AcceptInvitationRequest& v) {
  Fields(os, "AcceptInvitationRequest")
      .Str("name", v.name)
      .Secret("token", v.token);
  return os;
}

std::ostream& operator<<(std::ostream& os, const AcceptInvitationResult& v) {
  Fields(os, "AcceptInvitationResult")
      .Str("member", v.member.name)
      .Obj("api_key", v.api_key);
  return os;
}

std::ostream& operator<<(std::ostream& os, const CreateInvitationRequest& v) {
  Fields(os, "CreateInvitationRequest")
      .Str("parent", v.parent)
      .Obj("invitation", v.invitation)
      .Str("request_id", v.request_id);
  return os;
}

std::ostream& operator<<(std::ostream& os, const CreateEnvironmentRequest& v) {
  Fields(os, "CreateEnvironmentRequest")
      .Str("parent", v.parent)
      .Str("environment_id", v.environment_id)
      .Obj("environment", v.environment)
      .Str("request_id", v.request_id);
  return os;
}

std::ostream& operator<<(std::ostream& os, const CreateClusterRequest& v) {
  Fields(os, "CreateClusterRequest")
      .Str("parent", v.parent)
      .Str("cluster_id", v.cluster_id)
      .Obj("cluster", v.cluster)
      .Str("request_id", v.request_id);
  return os;
}

std::ostream& operator<<(std::ostream& os, const RestoreBackupRequest& v) {
  Fields(os, "RestoreBackupRequest")
      .Str("name", v.name)
      .Str("target_cluster", v.target_cluster)
      .Str("parent", v.parent)
      .Str("cluster_id", v.cluster_id)
      .Obj("cluster", v.cluster)
      .Strings("collections", v.collections)
      .Bool("overwrite", v.overwrite)
      .Str("request_id", v.request_id);
  return os;
}

std::ostream& operator<<(std::ostream& os, const CreateApiKeyRequest& v) {
  Fields(os, "CreateApiKeyRequest")
      .Str("parent", v.parent)
      .Str("api_key_id", v.api_key_id)
      .Obj("api_key", v.api_key)
      .Str("request_id", v.request_id);
  return os;
}

}  // namespace control
}  // namespace cove
