// Types of the control-plane client (cove.control.v1): the resources
// (organizations, members, invitations, projects, environments, clusters,
// operations, API keys, roles, role bindings, audit events), the requests of
// the ControlPlane and Emulator services, and the client's options.
//
// Plain structs with std:: types only; they mirror proto/cove/control/v1
// field by field. Times are std::chrono::system_clock::time_point, where the
// default-constructed value (the epoch) means "unset". Durations are
// std::chrono::milliseconds.
#ifndef COVE_INCLUDE_COVE_CONTROL_TYPES_H_
#define COVE_INCLUDE_COVE_CONTROL_TYPES_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cove {

/// Options of cove::ControlClient. Fill unset fields from the environment
/// with ApplyControlEnvironment().
struct ControlOptions {
  /// "http://host:port" or "https://host:port" (default ports 80 and 443).
  std::string endpoint;
  /// The API key secret ("cove_<id>_<random>"), sent as
  /// "authorization: Bearer <secret>". Empty: no credentials (only
  /// AcceptInvitation works without).
  std::string api_key;
  /// TLS: trusted CAs as a PEM file or PEM text (empty: the system roots).
  /// Giving either turns TLS on even for an http:// endpoint.
  std::string ca_cert_file;
  std::string ca_cert_pem;
  /// Overrides the name checked in the server certificate.
  std::string server_name;
  /// DANGEROUS: encrypts but accepts any server certificate (anyone on the
  /// network path can impersonate the control plane). Test servers only; a
  /// warning naming this option is printed on every connect.
  bool dangerously_skip_tls_verification = false;
  /// Default deadline of each call (all its attempts).
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  /// Retries of calls that are safe to repeat (reads, and creates and
  /// long-running verbs, which carry a request id) on Unavailable: attempts
  /// including the first, and exponential backoff with jitter between them.
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(5)};
  /// How long the blocking long-running verbs (CreateCluster(), ...) wait for
  /// their operation; Start*() variants return at once.
  std::chrono::milliseconds operation_timeout{std::chrono::minutes(10)};
  /// The least time between two polls of an operation when the server
  /// answers WaitOperation before the operation is done.
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(100)};
  /// Logs every RPC attempt (method, status, duration; never metadata or
  /// payloads) to stderr.
  bool log_rpcs = false;

  /// InvalidArgument naming the field when an option is out of range.
  absl::Status Validate() const;
};

/// Debug form of the options; the API key is printed as `<redacted>`.
std::ostream& operator<<(std::ostream& os, const ControlOptions& v);

/// Fills unset options from the environment: COVE_CLOUD_ENDPOINT,
/// COVE_API_KEY, COVE_CA_FILE, COVE_TIMEOUT_MS, COVE_LOG_RPCS=1. Values set
/// explicitly win.
ControlOptions ApplyControlEnvironment(ControlOptions options);

/// Per-call overrides, the last parameter of every ControlClient call.
struct ControlCallOptions {
  /// Overrides ControlOptions::timeout for this call (all attempts).
  std::optional<std::chrono::milliseconds> timeout;
  /// Overrides ControlOptions::max_attempts for this call.
  std::optional<int> max_attempts;
};

namespace control {

/// A point in time; the default value (the epoch) means unset.
using Timestamp = std::chrono::system_clock::time_point;

/// True when `t` is set (not the epoch).
inline bool IsSet(Timestamp t) { return t != Timestamp(); }

// ---- resources --------------------------------------------------------------

struct Organization {
  std::string name;  ///< "organizations/{org}"
  std::string display_name;
  Timestamp create_time;
  Timestamp update_time;
  std::string etag;
  /// Issued by the control plane: the external ID that cross-account
  /// environments must present.
  std::string external_id;
};

/// A user of an organization with an organization-level role.
struct Member {
  std::string name;  ///< "organizations/{org}/members/{email}"
  std::string user;  ///< e-mail address
  std::string role;  ///< an organization-level role name
  Timestamp create_time;
};

enum class InvitationState {
  kUnspecified,
  kPending,
  kAccepted,
  kExpired,
  kRevoked
};

struct Invitation {
  std::string name;  ///< "organizations/{org}/invitations/{id}"
  std::string email;
  std::string role;
  InvitationState state = InvitationState::kUnspecified;
  Timestamp create_time;
  Timestamp expire_time;
  /// The acceptance token: set only in the result of CreateInvitation.
  std::string token;
  std::string etag;
};

/// A BYOC license: caps the total CUs (cu_size x replicas) and replicas of
/// a project's clusters (every cluster but DELETED ones). Set by the vendor
/// (EmulatorClient::SetProjectLicense); read-only to customers.
struct License {
  std::string license_id;
  int32_t max_cus = 0;       ///< 0: no limit
  int32_t max_replicas = 0;  ///< 0: no limit
  Timestamp update_time;     ///< output only
  int32_t used_cus = 0;      ///< output only: what the clusters hold now
  int32_t used_replicas = 0;
};

/// A weekly maintenance window (issue 19): scheduled upgrades start only
/// inside it.
struct MaintenanceWindow {
  std::string day_of_week;  ///< "MONDAY" .. "SUNDAY" (any case in requests)
  std::string start_time;   ///< "HH:MM" in time_zone
  std::chrono::milliseconds duration{0};  ///< 30 minutes to 24 hours
  std::string time_zone;                  ///< IANA ("Europe/Paris"); empty: UTC
};

struct Project {
  std::string name;  ///< "organizations/{org}/projects/{project}"
  std::string display_name;
  std::string plan;  ///< "free", "standard", "enterprise"
  std::string region;
  Timestamp create_time;
  Timestamp update_time;
  std::string etag;
  std::map<std::string, std::string> labels;
  /// Output only: the project's license (unset: no limit).
  std::optional<License> license;
  /// The project's maintenance window (SetMaintenanceWindow on the
  /// project); unset: none.
  std::optional<MaintenanceWindow> maintenance_window;
};

enum class EnvironmentMode { kUnspecified, kCrossAccount, kAgent };
enum class EnvironmentState {
  kUnspecified,
  kAwaitingAgent,
  kConnected,
  kProvisioning,
  kReady,
  kFailed,
  kDisconnected,
};

/// Where clusters run: a customer's cloud account (cross-account mode) or
/// network (agent mode).
struct Environment {
  std::string name;  ///< ".../projects/{project}/environments/{env}"
  EnvironmentMode mode = EnvironmentMode::kUnspecified;
  EnvironmentState state = EnvironmentState::kUnspecified;
  std::string cloud_account_id;  ///< 12 digits
  std::string region;
  std::string vpc_id;  ///< "vpc-" + 8..17 hex digits
  std::vector<std::string> subnet_ids;
  std::string bucket;  ///< in the emulator: an absolute local directory
  /// Cross-account mode: "arn:aws:iam::{cloud_account_id}:role/{name}".
  std::string role_arn;
  /// Cross-account mode: the organization's external_id.
  std::string external_id;
  Timestamp create_time;
  Timestamp update_time;
  std::string etag;
  std::string state_message;
  /// Agent mode: set only in the results of CreateEnvironment and
  /// RotateAgentToken.
  std::string agent_token;
  Timestamp agent_token_expire_time;
  Timestamp last_heartbeat_time;
  /// The address of the environment's own network that private endpoints
  /// of its clusters listen on. Cross-account mode: given at creation or
  /// chosen by the control plane; agent mode: reported by the agent.
  std::string private_network_address;
};

/// The result of ValidateEnvironment: every problem found, or none.
struct EnvironmentValidation {
  struct Problem {
    std::string field;    ///< "bucket", "role_arn", "external_id", ...
    std::string message;  ///< what is wrong and what was expected
  };
  bool valid = false;
  std::vector<Problem> problems;
};

/// While active (from each minute `cron` matches in `time_zone`, for
/// `duration_minutes`), the autoscaler's minimum is at least `min_cu_size`.
struct AutoscalingSchedule {
  std::string cron;       ///< "minute hour day-of-month month day-of-week"
  std::string time_zone;  ///< IANA name, e.g. "Europe/Paris"; empty: UTC
  int32_t min_cu_size = 0;
  int32_t duration_minutes = 0;  ///< 0: 60
};

/// Automatic scaling between min_cu_size and max_cu_size driven by the fill
/// level, and of the replicas driven by the query load (see
/// docs/control-plane.md#autoscaling); 0 means the default.
struct Autoscaling {
  bool enabled = false;
  int32_t min_cu_size = 0;
  int32_t max_cu_size = 0;
  int32_t min_replicas = 0;             ///< 0: no bound (1 with a QPS target)
  int32_t max_replicas = 0;             ///< 0: no bound (8 with a QPS target)
  int32_t scale_up_fill_percent = 0;    ///< 0: 80
  int32_t scale_down_fill_percent = 0;  ///< 0: 50
  int32_t cool_down_seconds = 0;        ///< 0: 600
  std::vector<AutoscalingSchedule> schedules;
  /// Requests per second one replica should serve: above it (QPS over the
  /// last 60 s / replicas) replicas scale up to ceil(QPS / target), below
  /// half of it for the cool-down they scale down. 0: replicas are not
  /// driven by load.
  double target_qps_per_replica = 0;
};

enum class ClusterState {
  kUnspecified,
  kCreating,
  kRunning,
  kModifying,
  kSuspending,
  kSuspended,
  kResuming,
  kDeleting,
  kDeleted,  ///< soft-deleted: restorable until purge_time
  kFailed,
  /// Auto-idle: no data-plane request for idle_timeout; the first request
  /// to its endpoint (or ResumeCluster) wakes it.
  kIdle,
};

/// Scheduled backups of a cluster (see ControlClient::SetBackupPolicy).
struct BackupPolicy {
  bool enabled = false;
  /// Time between two scheduled backups (at least 1 minute).
  std::chrono::milliseconds interval{0};
  /// Scheduled backups kept (the newest); 0: no count limit.
  int32_t retention_count = 0;
  /// Scheduled backups older than this are deleted; 0: no age limit.
  std::chrono::milliseconds retention{0};
  /// Output only: when the next scheduled backup is taken.
  Timestamp next_backup_time;
};

/// An upgrade waiting for a maintenance window (UpgradeCluster with
/// schedule).
struct ScheduledUpgrade {
  std::string version;
  std::string operation;
  Timestamp start_time;  ///< the window opening it waits for
  int32_t deferrals = 0;
};

struct Cluster {
  std::string name;  ///< "organizations/{org}/projects/{project}/clusters/{c}"
  std::string display_name;
  std::string environment;  ///< environment resource name (same project)
  ClusterState state = ClusterState::kUnspecified;
  std::string cu_type;  ///< "performance" or "capacity"
  int32_t cu_size = 0;  ///< 1, 2, 4, 8, 12, ..., 256
  int32_t replicas = 0;
  std::map<std::string, std::string> labels;
  /// "http://127.0.0.1:PORT" of the data plane: the cluster's for its
  /// lifetime (refused while it does not serve); empty before it first
  /// starts.
  std::string endpoint;
  Timestamp create_time;
  Timestamp update_time;
  Timestamp delete_time;
  Timestamp purge_time;  ///< end of the restore window
  std::string etag;
  std::string state_message;
  /// The data plane's administrator; the password is set only in the result
  /// of the CreateCluster operation.
  std::string admin_user;
  std::string admin_password;
  int64_t capacity_vectors = 0;
  int64_t used_vectors = 0;
  /// Output only: storage admitted and held (its data directory on disk,
  /// bytes); writes past either capacity fail with ResourceExhausted.
  int64_t capacity_bytes = 0;
  int64_t used_bytes = 0;
  Autoscaling autoscaling;
  /// "http://127.0.0.1:PORT/metrics" (Prometheus) of the data plane; the
  /// cluster's for its lifetime like `endpoint`.
  std::string metrics_endpoint;
  /// Customer-managed key "keys/{name}" (set at creation only); its
  /// material stays in the environment's key store.
  std::string encryption_key;
  /// Output only: the key's non-secret fingerprint.
  std::string encryption_key_id;
  BackupPolicy backup_policy;
  /// Auto-idle: IDLE after this long without a data-plane request; 0:
  /// never (else 60 s to 30 days, whole seconds). Settable at creation and
  /// with UpdateCluster ("idle_timeout").
  std::chrono::milliseconds idle_timeout{0};
  /// Output only: when it last became IDLE.
  Timestamp idle_time;
  /// IP access list: CIDRs whose clients may call the data plane; empty:
  /// every address. Settable at creation and with UpdateCluster
  /// ("ip_access_list").
  std::vector<std::string> ip_access_list;
  /// Private endpoint: a second listener on the environment's private
  /// network address (Environment::private_network_address), settable at
  /// creation and with UpdateCluster ("private_endpoint_enabled").
  bool private_endpoint_enabled = false;
  /// The public endpoint is off (needs private_endpoint_enabled; `endpoint`
  /// is then empty). Settable at creation and with UpdateCluster
  /// ("public_endpoint_disabled").
  bool public_endpoint_disabled = false;
  /// Output only: "http(s)://ADDRESS:PORT" while the private endpoint is
  /// enabled.
  std::string private_endpoint;
  // ---- versions and upgrades (issue 19) ----
  /// Output only: the release its data plane runs.
  std::string version;
  /// Output only: the releases it can be upgraded to, oldest first.
  std::vector<std::string> available_upgrades;
  /// Its own maintenance window (SetMaintenanceWindow); unset: its
  /// project's, if any.
  std::optional<MaintenanceWindow> maintenance_window;
  /// Output only: an upgrade waiting for the maintenance window.
  std::optional<ScheduledUpgrade> scheduled_upgrade;
};

/// Requests of one kind ("search", "query", "insert", "upsert", "delete",
/// "other") of a cluster's data plane.
struct RequestKindMetrics {
  std::string kind;
  int64_t requests = 0;  ///< since the data plane started
  int64_t errors = 0;    ///< of those, replies other than OK
  double qps = 0;        ///< over the window
  /// Since the data plane started, from a fixed-bucket histogram.
  double latency_p50_ms = 0;
  double latency_p95_ms = 0;
  double latency_p99_ms = 0;
};

/// Usage of a cluster (GetClusterMetrics).
struct ClusterMetrics {
  std::string cluster;
  Timestamp time;        ///< the control plane's clock
  bool serving = false;  ///< false: no data plane, numbers of the last state
  int32_t window_seconds = 0;
  double qps = 0;  ///< every kind, over the window
  int64_t requests = 0;
  int64_t errors = 0;
  double latency_p50_ms = 0;
  double latency_p95_ms = 0;
  double latency_p99_ms = 0;
  std::vector<RequestKindMetrics> kinds;
  int64_t vector_count = 0;
  int64_t storage_bytes = 0;
  int64_t capacity_vectors = 0;
  double cu_usage = 0;  ///< vector_count / capacity_vectors
  int32_t cu_size = 0;
  int32_t replicas = 0;
  std::string metrics_endpoint;
};

enum class BackupState { kUnspecified, kCreating, kReady, kFailed, kDeleting };

/// A backup of a cluster's collections in the environment's bucket.
struct Backup {
  /// "organizations/{org}/projects/{project}/clusters/{c}/backups/{b}".
  std::string name;
  std::string cluster;  ///< source cluster
  BackupState state = BackupState::kUnspecified;
  std::string state_message;
  /// "db.collection" or "collection" (default database).
  std::vector<std::string> collections;
  int64_t size_bytes = 0;
  int64_t row_count = 0;
  Timestamp create_time;
  Timestamp expire_time;  ///< unset: kept until deleted
  bool encrypted = false;
  std::string encryption_key;
  std::string location;  ///< directory under the environment's bucket
  bool scheduled = false;
  std::string etag;
  std::string environment;
};

/// A long-running operation as the server reports it (see
/// cove::ControlOperation for the handle that polls it).
struct Operation {
  std::string name;    ///< "operations/{id}"
  std::string verb;    ///< "CreateCluster", "ScaleCluster", ...
  std::string target;  ///< resource name acted on
  bool done = false;
  /// The operation's error (kOk when it succeeded or is still running).
  absl::StatusCode error_code = absl::StatusCode::kOk;
  std::string error_message;
  int32_t progress_percent = 0;
  Timestamp create_time;
  Timestamp end_time;
  std::string request_id;
  bool cancel_requested = false;
  /// The resource as it is when the operation ends (at most one is set).
  std::optional<Cluster> cluster;
  std::optional<Environment> environment;
  std::optional<Backup> backup;  ///< CreateBackup, DeleteBackup

  /// The operation's error as a Status (OK when none).
  absl::Status error() const { return absl::Status(error_code, error_message); }
};

struct ApiKey {
  std::string name;  ///< "organizations/{org}/apiKeys/{key}"
  std::string display_name;
  /// Where the key applies: an organization, project or cluster name.
  std::string scope;
  /// The role it holds on the scope (a role name).
  std::string role;
  bool enabled = false;
  Timestamp create_time;
  Timestamp expire_time;  ///< unset: never
  Timestamp last_used_time;
  /// "cove_<key id>_<random>": set only in the result of CreateApiKey (and
  /// AcceptInvitation).
  std::string secret;
  std::string etag;
  /// The user the key was created for, if any.
  std::string owner;
};

enum class Effect { kUnspecified, kAllow, kDeny };

/// One statement of a role: DENY beats ALLOW; no matching ALLOW denies.
struct Statement {
  Effect effect = Effect::kUnspecified;
  /// Actions such as "clusters.create", "clusters.*" or "*".
  std::vector<std::string> actions;
  /// Resource name patterns relative to the binding's scope; empty: all.
  std::vector<std::string> resources;
};

enum class RoleLevel { kUnspecified, kOrganization, kProject };

struct Role {
  /// Built-in: "roles/organization.owner", "roles/project.read_only", ...;
  /// custom: "organizations/{org}/roles/{role}".
  std::string name;
  std::string display_name;
  RoleLevel level = RoleLevel::kUnspecified;
  bool built_in = false;
  std::vector<Statement> statements;
  Timestamp create_time;
  std::string etag;
};

struct RoleBinding {
  std::string name;       ///< "organizations/{org}/roleBindings/{id}"
  std::string role;       ///< role name
  std::string principal;  ///< "users/{email}" or an ApiKey name
  std::string scope;      ///< organization, project or cluster name
  Timestamp create_time;
};

enum class AuditOutcome { kUnspecified, kSucceeded, kFailed, kDenied };

struct AuditEvent {
  std::string name;  ///< "auditEvents/{id}"; ids increase with time
  Timestamp time;
  std::string actor;     ///< "users/{email}", an ApiKey name or "anonymous"
  std::string action;    ///< "clusters.create", ...
  std::string resource;  ///< resource acted on (or its parent)
  AuditOutcome outcome = AuditOutcome::kUnspecified;
  absl::StatusCode status_code = absl::StatusCode::kOk;
  std::string message;
  std::string request_id;
  std::string client_address;
  /// A call made with a support access grant: the grant's name.
  std::string support_grant;
};

// ---- requests
// ----------------------------------------------------------------

/// One page of a List call: pass next_page_token as the next request's
/// page_token; an empty token means the last page.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;
};

/// The request of every List* call. Which fields apply depends on the call:
/// `parent` (all but ListOrganizations), `filter` ("field=value" terms joined
/// by " AND "; not for ListOrganizations, ListMembers, ListRoles).
struct ListRequest {
  std::string parent;
  std::string filter;
  int32_t page_size = 0;  ///< 0: the server's default (50); at most 1000
  std::string page_token;
};

/// ListAuditEvents: a ListRequest plus a time window.
struct ListAuditEventsRequest {
  std::string parent;  ///< an organization or a project: events on it and below
  /// actor=..., action=..., resource=... (prefix), outcome=DENIED,
  /// request_id=...
  std::string filter;
  Timestamp start_time;  ///< inclusive; unset: the beginning
  Timestamp end_time;    ///< exclusive; unset: now
  int32_t page_size = 0;
  std::string page_token;
};

/// Delete* and RevokeInvitation.
struct DeleteRequest {
  std::string name;
  std::string etag;        ///< empty: no check
  std::string request_id;  ///< empty: generated by the client
};

struct CreateOrganizationRequest {
  std::string organization_id;
  Organization organization;  ///< display_name
  std::string request_id;     ///< empty: generated by the client
  std::string owner_email;    ///< optional first owner
};

struct CreateInvitationRequest {
  std::string parent;     ///< organization
  Invitation invitation;  ///< email, role, expire_time (default 7 days)
  std::string request_id;
};

struct AcceptInvitationRequest {
  std::string name;
  std::string token;
};

/// The new member, and an API key (with its secret) that acts as the user.
struct AcceptInvitationResult {
  Member member;
  ApiKey api_key;
};

struct CreateProjectRequest {
  std::string parent;  ///< "organizations/{org}"
  std::string project_id;
  Project project;  ///< display_name, plan, region, labels
  std::string request_id;
};

struct CreateEnvironmentRequest {
  std::string parent;  ///< project
  std::string environment_id;
  Environment environment;
  std::string request_id;
};

struct RotateAgentTokenRequest {
  std::string name;
  std::string etag;
};

struct CreateClusterRequest {
  std::string parent;  ///< "organizations/{org}/projects/{project}"
  std::string cluster_id;
  Cluster cluster;  ///< environment, cu_type, cu_size, replicas, labels, ...
  std::string request_id;
};

/// Suspend, resume, delete, restore and purge of a cluster.
struct ClusterActionRequest {
  std::string name;
  std::string etag;
  std::string request_id;
};

struct ScaleClusterRequest {
  std::string name;
  int32_t cu_size = 0;   ///< 0: unchanged
  int32_t replicas = 0;  ///< 0: unchanged
  std::string etag;
  std::string request_id;
};

struct CreateBackupRequest {
  std::string parent;     ///< the cluster (RUNNING)
  std::string backup_id;  ///< optional: generated by the server when empty
  /// Optional subset ("db.collection" or "collection"); empty: all.
  std::vector<std::string> collections;
  Timestamp expire_time;  ///< optional
  std::string request_id;
};

/// Restore into an existing RUNNING cluster (target_cluster) or into a new
/// one (parent, cluster_id, cluster as in CreateCluster).
struct RestoreBackupRequest {
  std::string name;  ///< the backup
  std::string target_cluster;
  std::string parent;
  std::string cluster_id;
  Cluster cluster;
  std::vector<std::string> collections;  ///< empty: all
  /// Existing collections of the same name: AlreadyExists unless true.
  bool overwrite = false;
  std::string request_id;
};

struct SetBackupPolicyRequest {
  std::string name;  ///< the cluster
  BackupPolicy policy;
  std::string etag;
};

struct CreateApiKeyRequest {
  std::string parent;      ///< organization
  std::string api_key_id;  ///< optional: generated by the server when empty
  ApiKey api_key;          ///< display_name, scope, role, expire_time
  std::string request_id;
};

struct CreateRoleRequest {
  std::string parent;  ///< organization
  std::string role_id;
  Role role;  ///< display_name, level, statements
  std::string request_id;
};

struct CreateRoleBindingRequest {
  std::string parent;        ///< organization
  RoleBinding role_binding;  ///< role, principal, scope
  std::string request_id;
};

struct TestPermissionsRequest {
  std::string resource;
  std::vector<std::string> actions;
};

struct WaitOperationRequest {
  std::string name;
  /// Returns when the operation is done or after this long (at most 60 s).
  std::chrono::milliseconds timeout{0};
};

// ---- the emulator's test knobs
// -------------------------------------------------

/// The emulator's price list (EstimateCost).
struct PriceTable {
  std::string currency;                         ///< "USD"
  std::map<std::string, double> cu_hour;        ///< one CU-hour, by cu_type
  double storage_gib_month = 0;                 ///< one GiB for a month
  std::map<std::string, double> region_factor;  ///< unlisted region: 1
  double hours_per_month = 0;                   ///< 730
};

/// A release of the data plane in the release catalog (issue 19).
struct Release {
  std::string version;
  std::string release_notes;
  /// The versions that may be upgraded to this one.
  std::vector<std::string> upgrades_from;
  bool is_default = false;  ///< new clusters get it
  bool broken = false;      ///< emulator: fails its health check
};

struct EmulatorSettings {
  std::chrono::milliseconds transition_delay{0};
  std::chrono::milliseconds retention{0};
  /// Vectors admitted per CU, by cu_type.
  std::map<std::string, int64_t> vectors_per_cu;
  bool manual_clock = false;
  Timestamp now;
  /// Bytes of storage admitted per CU, by cu_type.
  std::map<std::string, int64_t> bytes_per_cu;
  /// Prices of EstimateCost.
  PriceTable price_table;
  /// The release catalog (issue 19), oldest first.
  std::vector<Release> releases;
};

/// Only the fields set are changed.
struct UpdateEmulatorSettingsRequest {
  std::optional<std::chrono::milliseconds> transition_delay;
  std::optional<std::chrono::milliseconds> retention;
  std::map<std::string, int64_t> vectors_per_cu;
  std::map<std::string, int64_t> bytes_per_cu;
  /// cu_hour and region_factor entries replace those of the same key;
  /// currency, storage_gib_month and hours_per_month are set when non-empty
  /// / non-zero.
  PriceTable price_table;
  /// Release catalog entries (issue 19): each replaces the release of the
  /// same version, or is added.
  std::vector<Release> releases;
};

/// Emulator.SetProjectLicense: the vendor sets (or, with no license,
/// removes) a project's license.
struct SetProjectLicenseRequest {
  std::string project;             ///< "organizations/{org}/projects/{project}"
  std::optional<License> license;  ///< license_id, max_cus, max_replicas
};

// ---- versions and upgrades (issue 19) ----

/// ControlClient::UpgradeCluster.
struct UpgradeClusterRequest {
  enum class Action { kNew, kDefer, kRunNow };
  std::string name;     ///< the cluster
  std::string version;  ///< a release its version upgrades to
  /// Run in the next maintenance window instead of now.
  bool schedule = false;
  /// kDefer / kRunNow act on the upgrade already scheduled.
  Action action = Action::kNew;
  std::string etag;
  std::string request_id;
};

/// The maintenance window in force for a cluster or a project.
struct MaintenanceWindowInfo {
  std::optional<MaintenanceWindow> window;  ///< unset: none
  std::string source;         ///< "cluster", "project" or "" (none)
  Timestamp next_start_time;  ///< when it next opens (now when open)
};

/// ControlClient::EstimateCost: a cluster spec to price.
struct EstimateCostRequest {
  std::string parent;    ///< the project (its region is the default)
  std::string cu_type;   ///< "performance" (default) or "capacity"
  int32_t cu_size = 0;   ///< a valid CU size
  int32_t replicas = 0;  ///< 0: 1
  int64_t storage_gib = 0;
  std::string region;  ///< empty: the project's
};

/// One line of a CostEstimate.
struct CostItem {
  std::string item;       ///< "compute" or "storage"
  double quantity = 0;    ///< CUs or GiB
  std::string unit;       ///< "CU-hour" or "GiB-month"
  double unit_price = 0;  ///< the table's, times the region factor
  double per_hour = 0;
  double per_month = 0;
};

/// What a cluster spec costs, from the emulator's price table.
struct CostEstimate {
  std::vector<CostItem> items;
  double per_hour = 0;
  double per_month = 0;
  std::string currency;
  double hours_per_month = 0;
  std::string region;
  double region_factor = 1;
  std::string cu_type;
};

struct SetClockRequest {
  /// Switches to the manual clock at this time (unset: now).
  Timestamp time;
  /// Back to the real clock.
  bool real = false;
};

enum class FaultMode { kUnspecified, kFail, kStall, kUnavailable };

struct Fault {
  std::string verb;  ///< RPC name, e.g. "CreateCluster"; "*" for all
  FaultMode mode = FaultMode::kUnspecified;
  /// For kFail (kOk: the server's default, Internal).
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
  int32_t count = 0;  ///< how many times it fires; 0: until cleared
  /// UpgradeCluster with kFail only: the upgrade runs, and the health check
  /// of this replica's new release (1-based) fails with `message`; the
  /// replicas upgraded before it are rolled back. 0: the operation fails
  /// before the data plane is touched.
  int32_t replica = 0;
};

// ---- alerts (issue 19)
// --------------------------------------------------------

/// What an alert rule watches (values as GetClusterMetrics reports them;
/// kAgentDisconnected and kBackupFailed are 1 or 0).
enum class AlertMetric {
  kUnspecified,
  kQps,
  kLatencyP99Ms,
  kCuUsage,
  kStorageBytes,
  kErrorRate,
  kAgentDisconnected,  ///< agent-mode clusters only
  kBackupFailed,
};
enum class AlertComparison { kUnspecified, kGreaterThan, kLessThan };
/// kInactive -> kPending (condition holds) -> kFiring (held for
/// for_duration; notified) -> kResolved (stopped holding; notified).
enum class AlertState { kUnspecified, kInactive, kPending, kFiring, kResolved };

/// A webhook channel: notifications are POSTed as JSON, signed with
/// "X-Cove-Signature: sha256=<hex HMAC-SHA256 of the body>" when a secret
/// is set, retried with backoff.
struct AlertWebhook {
  std::string url;          ///< http:// or https://
  std::string secret;       ///< input only: never returned
  bool secret_set = false;  ///< output only
};

/// The last webhook delivery of a rule (output only).
struct AlertDelivery {
  std::string notification_id;
  std::string event;  ///< "firing", "resolved" or "test"
  int32_t attempts = 0;
  int32_t http_status = 0;  ///< of the last attempt (0: no answer)
  std::string error;
  bool delivered = false;
  bool gave_up = false;
  Timestamp time;
};

struct AlertRule {
  std::string name;  ///< ".../projects/{project}/alertRules/{rule}"
  std::string display_name;
  std::string cluster;  ///< a cluster of the rule's project
  AlertMetric metric = AlertMetric::kUnspecified;
  AlertComparison comparison = AlertComparison::kGreaterThan;
  double threshold = 0;
  /// How long the condition must hold before the rule fires (whole
  /// seconds, at most a day).
  std::chrono::seconds for_duration{0};
  int32_t window_seconds = 0;  ///< kQps, kErrorRate: 1..600 (0: 60)
  std::optional<AlertWebhook> webhook;
  bool audit = false;  ///< an audit event per notification
  std::map<std::string, std::string> labels;
  // Output only.
  AlertState state = AlertState::kUnspecified;
  Timestamp state_time;
  double value = 0;
  bool has_value = false;
  Timestamp evaluate_time;
  Timestamp silenced_until;
  std::optional<AlertDelivery> last_delivery;
  Timestamp create_time;
  Timestamp update_time;
  std::string etag;
};

struct CreateAlertRuleRequest {
  std::string parent;  ///< a project
  std::string alert_rule_id;
  AlertRule alert_rule;
  std::string request_id;  ///< empty: generated by the client
};

/// TestAlertRule: the test notification, queued on the rule's channels.
struct TestAlertRuleResult {
  std::string notification_id;
  std::vector<std::string> channels;  ///< "webhook", "audit"
};

struct SilenceAlertRuleRequest {
  std::string name;
  Timestamp until;  ///< unset or past: the silence is lifted
  std::string etag;
};

std::string ToString(AlertMetric v);
std::string ToString(AlertState v);

// ---- names of enum values (as in the proto: "RUNNING", ...) -----------------

std::string ToString(InvitationState v);
std::string ToString(EnvironmentMode v);
std::string ToString(EnvironmentState v);
std::string ToString(ClusterState v);
std::string ToString(Effect v);
std::string ToString(RoleLevel v);
std::string ToString(AuditOutcome v);
std::string ToString(FaultMode v);

// ---- debug output: secrets are never printed
// ---------------------------------

/// One-line debug forms, e.g. `Cluster{name: "...", state: RUNNING, ...,
/// admin_password: <redacted>}`, of the types that hold a secret or contain
/// one. A secret field (Invitation::token, Environment::agent_token,
/// Cluster::admin_password, ApiKey::secret, AcceptInvitationRequest::token,
/// ControlOptions::api_key) is printed as `<redacted>` when set: only an
/// explicit field access returns it. Thread safety: as the object printed.
std::ostream& operator<<(std::ostream& os, const Invitation& v);
std::ostream& operator<<(std::ostream& os, const Environment& v);
std::ostream& operator<<(std::ostream& os, const Cluster& v);
std::ostream& operator<<(std::ostream& os, const Operation& v);
std::ostream& operator<<(std::ostream& os, const ApiKey& v);
std::ostream& operator<<(std::ostream& os, const AcceptInvitationRequest& v);
std::ostream& operator<<(std::ostream& os, const AcceptInvitationResult& v);
std::ostream& operator<<(std::ostream& os, const CreateInvitationRequest& v);
std::ostream& operator<<(std::ostream& os, const CreateEnvironmentRequest& v);
std::ostream& operator<<(std::ostream& os, const CreateClusterRequest& v);
std::ostream& operator<<(std::ostream& os, const RestoreBackupRequest& v);
std::ostream& operator<<(std::ostream& os, const CreateApiKeyRequest& v);
/// A page of any of these: `Page{items: [...], next_page_token: "..."}`.
template <typename T>
std::ostream& operator<<(std::ostream& os, const Page<T>& v) {
  os << "Page{items: [";
  for (size_t i = 0; i < v.items.size(); ++i) {
    if (i != 0) os << ", ";
    os << v.items[i];
  }
  return os << "], next_page_token: \"" << v.next_page_token << "\"}";
}

/// The debug form of `v` as a string (operator<<).
template <typename T>
std::string DebugString(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// ---- support access (issue 19)
// -------------------------------------------------

/// A vendor support principal (EmulatorClient::CreateSupportPrincipal): an
/// API key of no organization that holds nothing but the support access
/// grants organization owners approve.
struct SupportPrincipal {
  std::string name;  ///< "supportPrincipals/{id}"
  std::string display_name;
  Timestamp create_time;
  std::string secret;  ///< only in CreateSupportPrincipal's result
};

struct CreateSupportPrincipalRequest {
  std::string support_principal_id;  ///< 3..63 of [a-z0-9-], a letter first
  std::string display_name;
};

enum class SupportAccessState {
  kUnspecified,
  kPending,  ///< requested; an organization owner decides
  kActive,   ///< approved; until expire_time
  kDenied,
  kExpired,
  kRevoked,
};

/// Just-in-time access of a support principal to one cluster.
struct SupportAccessGrant {
  std::string name;  ///< "organizations/{org}/supportGrants/{id}"
  std::string cluster;
  std::string requester;  ///< the support principal
  std::string reason;
  std::chrono::milliseconds duration{0};  ///< 1 min to 24 h
  SupportAccessState state = SupportAccessState::kUnspecified;
  Timestamp create_time;
  Timestamp approve_time;
  Timestamp expire_time;  ///< approve_time + duration
  Timestamp end_time;     ///< denied, revoked or expired
  std::string decided_by;
  std::string revoked_by;
  std::string decision_reason;
  /// Milvus credentials of an ACTIVE grant: "@support/{id}", and the
  /// password (only in GetSupportAccess answers to the requester).
  std::string data_plane_user;
  std::string data_plane_password;
  std::string etag;
};

struct RequestSupportAccessRequest {
  std::string cluster;
  std::string reason;                     ///< 1..500 bytes
  std::chrono::milliseconds duration{0};  ///< 1 min to 24 h
  std::string request_id;                 ///< empty: generated by the client
};

/// Approve, deny, revoke.
struct SupportAccessActionRequest {
  std::string name;
  std::string reason;  ///< deny, revoke: the owner's note
  std::string etag;    ///< empty: no check
};

}  // namespace control
}  // namespace cove

#endif  // COVE_INCLUDE_COVE_CONTROL_TYPES_H_
