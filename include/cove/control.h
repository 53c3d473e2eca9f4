// cove::ControlClient: the control-plane client (cove.control.v1), for the
// vendor side of BYOC: organizations, members and invitations, projects,
// environments, clusters (create, scale, suspend, resume, delete, restore,
// purge), API keys, roles and bindings, audit events, operations, and the
// cove-cloud emulator's test knobs.
//
//   cove::ControlOptions options;
//   options.endpoint = "https://control.example:443";
//   options.api_key = key;
//   absl::StatusOr<cove::ControlClient> cc =
//       cove::ControlClient::Connect(options);
//   cove::control::CreateClusterRequest req;
//   req.parent = "organizations/acme/projects/search";
//   req.cluster_id = "prod";
//   req.cluster.environment = req.parent + "/environments/aws";
//   req.cluster.cu_size = 2;
//   absl::StatusOr<cove::control::Cluster> c = cc->CreateCluster(req);
#ifndef COVE_INCLUDE_COVE_CONTROL_H_
#define COVE_INCLUDE_COVE_CONTROL_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cove/control_connection.h"
#include "cove/control_types.h"

namespace cove {

namespace internal {
struct ControlRuntime;
}  // namespace internal

/// Time and sleeping of a ControlClient's own polling of operations, over a
/// connection that does not poll itself (a mock: see
/// ControlConnection::AwaitOperation). Tests replace it so that no test
/// sleeps for real.
struct ControlClock {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;

  /// The steady clock, sleeping with std::this_thread::sleep_for.
  static ControlClock Real();
};

/// A range over every item of a List call, fetching pages lazily:
///
///   cove::control::ListRequest request;
///   request.parent = project;
///   auto clusters = client.ListAllClusters(request);
///   for (const cove::control::Cluster& c : clusters) { ... }
///   if (!clusters.status().ok()) { ... }  // the error that ended the loop
///
/// An input range: iterate it once. Not thread-safe.
template <typename T>
class Pager {
 public:
  /// Fetches the page that starts at `page_token` ("" for the first).
  using Fetch =
      std::function<absl::StatusOr<control::Page<T>>(const std::string&)>;

  explicit Pager(Fetch fetch, std::string first_page_token = {})
      : fetch_(std::move(fetch)), first_token_(std::move(first_page_token)) {}

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    iterator() = default;
    reference operator*() const { return pager_->page_.items[pager_->index_]; }
    pointer operator->() const { return &**this; }
    iterator& operator++() {
      pager_->Advance();
      if (pager_->finished_) pager_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const iterator& other) const {
      return pager_ == other.pager_;
    }
    bool operator!=(const iterator& other) const { return !(*this == other); }

   private:
    friend class Pager;
    explicit iterator(Pager* pager) : pager_(pager) {}
    Pager* pager_ = nullptr;
  };

  /// Fetches the first page (once).
  iterator begin() {
    if (!started_) {
      started_ = true;
      Load(first_token_);
    }
    return finished_ ? end() : iterator(this);
  }
  iterator end() { return iterator(); }

  /// OK unless a page could not be fetched; then the error, and the
  /// iteration ended there.
  const absl::Status& status() const { return status_; }
  /// How many pages were fetched so far.
  int pages() const { return pages_; }

  /// Collects every item, or the first error.
  absl::StatusOr<std::vector<T>> ToVector() {
    std::vector<T> out;
    for (const T& item : *this) out.push_back(item);
    if (!status_.ok()) return status_;
    return out;
  }

 private:
  void Load(std::string token) {
    for (;;) {
      absl::StatusOr<control::Page<T>> page = fetch_(token);
      ++pages_;
      if (!page.ok()) {
        status_ = page.status();
        finished_ = true;
        return;
      }
      page_ = *std::move(page);
      index_ = 0;
      if (!page_.items.empty()) return;
      // An empty page with a token: keep going (a server may return empty
      // pages while it filters).
      if (page_.next_page_token.empty() || page_.next_page_token == token) {
        finished_ = true;
        return;
      }
      token = page_.next_page_token;
    }
  }
  void Advance() {
    if (++index_ < page_.items.size()) return;
    if (page_.next_page_token.empty()) {
      finished_ = true;
      return;
    }
    Load(page_.next_page_token);
  }

  Fetch fetch_;
  std::string first_token_;
  control::Page<T> page_;
  size_t index_ = 0;
  bool started_ = false;
  bool finished_ = false;
  int pages_ = 0;
  absl::Status status_;
};

/// A handle on a long-running operation (CreateCluster, ScaleCluster, ...):
/// poll it, wait for it with a timeout, cancel it.
///
/// Thread safety: a ControlOperation is a value; do not use one object from
/// several threads at once (copies are independent).
class ControlOperation {
 public:
  /// "operations/{id}".
  const std::string& name() const { return op_.name; }
  /// True once the operation has ended (successfully or not).
  bool done() const { return op_.done; }
  /// The operation's own error (OK while it runs and when it succeeded):
  /// e.g. Cancelled after Cancel(), or the failure of provisioning.
  absl::Status status() const { return op_.error(); }
  /// The operation as last seen.
  const control::Operation& operation() const { return op_; }
  /// The cluster as it was when the operation ended. FailedPrecondition while
  /// the operation runs; its error when it failed; NotFound when the
  /// operation carries no cluster.
  absl::StatusOr<control::Cluster> cluster() const;
  /// The backup as it was when the operation ended (CreateBackup,
  /// DeleteBackup); same errors as cluster().
  absl::StatusOr<control::Backup> backup() const;

  /// Reads the operation again (GetOperation).
  absl::Status Refresh(const ControlCallOptions& call = {});
  /// Waits until the operation is done (WaitOperation, repeatedly), for at
  /// most `timeout` (default: ControlOptions::operation_timeout).
  /// Unavailable (the control plane restarting or out of reach) is retried
  /// until that timeout, whatever max_attempts says, with the backoff
  /// capped at ControlOptions::max_backoff: a wait outlives a control-plane
  /// restart. Returns the operation's status() once done; DeadlineExceeded
  /// naming the operation when the timeout passes first (with the last
  /// error when the control plane did not answer); other errors of the
  /// RPCs (NotFound, PermissionDenied, ...) at once.
  absl::Status Wait(std::optional<std::chrono::milliseconds> timeout = {},
                    const ControlCallOptions& call = {});
  /// Asks the server to cancel (best effort: an operation past its point of
  /// no return completes normally). Does not wait.
  absl::Status Cancel(const ControlCallOptions& call = {});

 private:
  friend class ControlClient;
  ControlOperation(std::shared_ptr<ControlConnection> connection,
                   std::shared_ptr<internal::ControlRuntime> runtime,
                   control::Operation op)
      : connection_(std::move(connection)),
        runtime_(std::move(runtime)),
        op_(std::move(op)) {}

  std::shared_ptr<ControlConnection> connection_;
  std::shared_ptr<internal::ControlRuntime> runtime_;
  control::Operation op_;
};

/// The cove-cloud emulator's test knobs (its admin key only): transition
/// delays, restore window, capacity per CU, a manual clock, fault injection.
/// Obtain one with ControlClient::emulator().
class EmulatorClient {
 public:
  absl::StatusOr<control::EmulatorSettings> GetSettings(
      const ControlCallOptions& call = {});
  absl::StatusOr<control::EmulatorSettings> UpdateSettings(
      const control::UpdateEmulatorSettingsRequest& request,
      const ControlCallOptions& call = {});
  /// Switches to the manual clock (at request.time, or now), or back to the
  /// real one (request.real).
  absl::StatusOr<control::EmulatorSettings> SetClock(
      const control::SetClockRequest& request,
      const ControlCallOptions& call = {});
  /// Moves the manual clock forward. InvalidArgument for a negative `by`.
  absl::StatusOr<control::EmulatorSettings> AdvanceClock(
      std::chrono::milliseconds by, const ControlCallOptions& call = {});
  absl::StatusOr<control::Fault> InjectFault(
      const control::Fault& fault, const ControlCallOptions& call = {});
  absl::StatusOr<std::vector<control::Fault>> ListFaults(
      const ControlCallOptions& call = {});
  /// Clears the faults of `verb` ("" for all).
  absl::Status ClearFaults(const std::string& verb = {},
                           const ControlCallOptions& call = {});
  /// Sets (or, without request.license, removes) a project's license: the
  /// vendor's side of licenses (issue 19); audited on the project.
  /// InvalidArgument for a bad name or negative limits; NotFound.
  absl::StatusOr<control::Project> SetProjectLicense(
      const control::SetProjectLicenseRequest& request,
      const ControlCallOptions& call = {});
  /// Makes a vendor support principal (issue 19); the result carries its
  /// API key secret (shown once). InvalidArgument for a bad id;
  /// AlreadyExists.
  absl::StatusOr<control::SupportPrincipal> CreateSupportPrincipal(
      const control::CreateSupportPrincipalRequest& request,
      const ControlCallOptions& call = {});

 private:
  friend class ControlClient;
  EmulatorClient(std::shared_ptr<ControlConnection> connection,
                 std::shared_ptr<internal::ControlRuntime> runtime)
      : connection_(std::move(connection)), runtime_(std::move(runtime)) {}

  std::shared_ptr<ControlConnection> connection_;
  std::shared_ptr<internal::ControlRuntime> runtime_;
};

/// The control-plane client: a thin, copyable handle over a shared
/// ControlConnection.
///
/// What it adds to any connection (a mock included): validation of names and
/// required fields (InvalidArgument naming the field, before any RPC);
/// ranges over pages (ListAll*); operation handles (Start*) and blocking
/// verbs that wait for them. What the connection Connect() builds adds: a
/// request id for every create and long-running verb that has none (a random
/// UUID, reused by every retry of that call, so the server runs it once);
/// retries of Unavailable with exponential backoff for calls safe to repeat
/// (reads, and calls with a request id), within the call's deadline; waits
/// that retry Unavailable until their own timeout.
///
/// Errors: the server's gRPC code, as the same absl code, with its message
/// (NotFound, AlreadyExists (a request id reused with another request),
/// PermissionDenied, Unauthenticated, FailedPrecondition (an illegal state
/// transition, naming the state), Aborted (a stale etag), ...).
///
/// Thread safety: a ControlClient (and its copies) may be used from many
/// threads at once.
class ControlClient {
 public:
  /// Connects to options.endpoint (the channel connects lazily: a server
  /// that is down shows as Unavailable on the first call). InvalidArgument
  /// for a malformed endpoint or options; NotFound for an unreadable CA
  /// file.
  static absl::StatusOr<ControlClient> Connect(ControlOptions options);

  /// Wraps a connection (a MockControlConnection in tests, or a custom
  /// backend). `options` (operation_timeout, poll_interval, timeout and
  /// backoff) and `clock` (tests) serve the waits of a connection that does
  /// not poll itself; requests and call options reach the connection
  /// unchanged.
  explicit ControlClient(std::shared_ptr<ControlConnection> connection,
                         ControlOptions options = {},
                         ControlClock clock = ControlClock::Real());

  const std::shared_ptr<ControlConnection>& connection() const {
    return connection_;
  }
  const ControlOptions& options() const;

  /// The emulator's test knobs, over the same connection.
  EmulatorClient emulator() const;

  /// A new random request id ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
  static std::string NewRequestId();

  // ---- organizations ----
  absl::StatusOr<control::Organization> CreateOrganization(
      const control::CreateOrganizationRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Organization> GetOrganization(
      const std::string& name, const ControlCallOptions& call = {});
  absl::StatusOr<control::Page<control::Organization>> ListOrganizations(
      const control::ListRequest& request = {},
      const ControlCallOptions& call = {});
  Pager<control::Organization> ListAllOrganizations(
      control::ListRequest request = {}, const ControlCallOptions& call = {});
  /// Updates the fields named in `update_mask` ("display_name"); the name
  /// and etag of `organization` identify it (Aborted for a stale etag).
  absl::StatusOr<control::Organization> UpdateOrganization(
      const control::Organization& organization,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call = {});
  /// FailedPrecondition while it still has projects.
  absl::Status DeleteOrganization(const control::DeleteRequest& request,
                                  const ControlCallOptions& call = {});

  // ---- members and invitations ----
  absl::StatusOr<control::Page<control::Member>> ListMembers(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  Pager<control::Member> ListAllMembers(control::ListRequest request,
                                        const ControlCallOptions& call = {});
  absl::StatusOr<control::Member> GetMember(
      const std::string& name, const ControlCallOptions& call = {});
  /// update_mask: "role".
  absl::StatusOr<control::Member> UpdateMember(
      const control::Member& member,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call = {});
  /// FailedPrecondition for the last owner.
  absl::Status DeleteMember(const control::DeleteRequest& request,
                            const ControlCallOptions& call = {});
  /// The result carries the acceptance token (shown once).
  absl::StatusOr<control::Invitation> CreateInvitation(
      const control::CreateInvitationRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Invitation> GetInvitation(
      const std::string& name, const ControlCallOptions& call = {});
  absl::StatusOr<control::Page<control::Invitation>> ListInvitations(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  Pager<control::Invitation> ListAllInvitations(
      control::ListRequest request, const ControlCallOptions& call = {});
  absl::StatusOr<control::Invitation> RevokeInvitation(
      const control::DeleteRequest& request,
      const ControlCallOptions& call = {});
  /// Needs no API key: the token authenticates. Not retried.
  absl::StatusOr<control::AcceptInvitationResult> AcceptInvitation(
      const control::AcceptInvitationRequest& request,
      const ControlCallOptions& call = {});

  // ---- projects ----
  absl::StatusOr<control::Project> CreateProject(
      const control::CreateProjectRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Project> GetProject(
      const std::string& name, const ControlCallOptions& call = {});
  absl::StatusOr<control::Page<control::Project>> ListProjects(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  Pager<control::Project> ListAllProjects(control::ListRequest request,
                                          const ControlCallOptions& call = {});
  /// update_mask: display_name, plan, labels.
  absl::StatusOr<control::Project> UpdateProject(
      const control::Project& project,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call = {});
  /// FailedPrecondition while it still has clusters or environments.
  absl::Status DeleteProject(const control::DeleteRequest& request,
                             const ControlCallOptions& call = {});

  // ---- environments ----
  absl::StatusOr<control::Environment> CreateEnvironment(
      const control::CreateEnvironmentRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Environment> GetEnvironment(
      const std::string& name, const ControlCallOptions& call = {});
  absl::StatusOr<control::Page<control::Environment>> ListEnvironments(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  Pager<control::Environment> ListAllEnvironments(
      control::ListRequest request, const ControlCallOptions& call = {});
  /// FailedPrecondition while clusters use it.
  absl::Status DeleteEnvironment(const control::DeleteRequest& request,
                                 const ControlCallOptions& call = {});
  /// Checks the bucket and the role; every problem found is listed.
  absl::StatusOr<control::EnvironmentValidation> ValidateEnvironment(
      const std::string& name, const ControlCallOptions& call = {});
  /// Agent mode: a new one-time agent token (in the result). Not retried.
  absl::StatusOr<control::Environment> RotateAgentToken(
      const control::RotateAgentTokenRequest& request,
      const ControlCallOptions& call = {});

  // ---- clusters ----
  // Each long-running verb comes twice: Start*() returns the operation as
  // soon as the server accepted it; the plain name starts it and waits
  // (ControlOptions::operation_timeout) for the cluster as the operation
  // left it.
  absl::StatusOr<ControlOperation> StartCreateCluster(
      const control::CreateClusterRequest& request,
      const ControlCallOptions& call = {});
  /// The result carries the data plane's admin password (shown once).
  absl::StatusOr<control::Cluster> CreateCluster(
      const control::CreateClusterRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Cluster> GetCluster(
      const std::string& name, const ControlCallOptions& call = {});
  /// parent: a project, or "organizations/{org}/projects/-" for all of them;
  /// filter: state=RUNNING, environment=..., labels.KEY=VALUE,
  /// show_deleted=true.
  absl::StatusOr<control::Page<control::Cluster>> ListClusters(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  Pager<control::Cluster> ListAllClusters(control::ListRequest request,
                                          const ControlCallOptions& call = {});
  /// update_mask: display_name, labels, autoscaling, idle_timeout,
  /// ip_access_list, private_endpoint_enabled, public_endpoint_disabled.
  absl::StatusOr<control::Cluster> UpdateCluster(
      const control::Cluster& cluster,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call = {});
  absl::StatusOr<ControlOperation> StartSuspendCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Cluster> SuspendCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});
  /// A new password of the cluster's data-plane administrator (root) of a
  /// RUNNING or SUSPENDED cluster; the old one stops working. Shown once:
  /// in the finished operation's cluster (admin_password), to this caller.
  /// Needs clusters.resetPassword (cluster admins). Errors as
  /// StartSuspendCluster; FailedPrecondition in another state.
  absl::StatusOr<ControlOperation> StartResetClusterPassword(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});
  /// StartResetClusterPassword() and wait: the cluster with its new
  /// admin_password.
  absl::StatusOr<control::Cluster> ResetClusterPassword(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<ControlOperation> StartResumeCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Cluster> ResumeCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});
  /// cu_size and replicas (0: unchanged), with the rules of the control
  /// plane (FailedPrecondition when the data would not fit, InvalidArgument
  /// for an impossible size).
  absl::StatusOr<ControlOperation> StartScaleCluster(
      const control::ScaleClusterRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Cluster> ScaleCluster(
      const control::ScaleClusterRequest& request,
      const ControlCallOptions& call = {});
  /// Soft delete: restorable until the cluster's purge_time.
  absl::StatusOr<ControlOperation> StartDeleteCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Cluster> DeleteCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<ControlOperation> StartRestoreCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Cluster> RestoreCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});
  /// Removes a deleted cluster and its data now.
  absl::StatusOr<ControlOperation> StartPurgeCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Cluster> PurgeCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call = {});

  // ---- backups, restore and the backup policy ----
  /// A backup of the cluster's collections (all, or request.collections)
  /// into the environment's bucket, encrypted with the cluster's customer
  /// key when it has one. FailedPrecondition unless the cluster is RUNNING
  /// (and its key available).
  absl::StatusOr<ControlOperation> StartCreateBackup(
      const control::CreateBackupRequest& request,
      const ControlCallOptions& call = {});
  /// Start plus wait: the READY backup, or the operation's error.
  absl::StatusOr<control::Backup> CreateBackup(
      const control::CreateBackupRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Backup> GetBackup(
      const std::string& name, const ControlCallOptions& call = {});
  /// parent: a cluster, or "organizations/{org}/projects/{project}/clusters/-"
  /// (every backup of the project); filter: state=READY, scheduled=true.
  absl::StatusOr<control::Page<control::Backup>> ListBackups(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  Pager<control::Backup> ListAllBackups(control::ListRequest request,
                                        const ControlCallOptions& call = {});
  /// Deletes the backup's files (READY or FAILED backups).
  absl::StatusOr<ControlOperation> StartDeleteBackup(
      const control::DeleteRequest& request,
      const ControlCallOptions& call = {});
  absl::Status DeleteBackup(const control::DeleteRequest& request,
                            const ControlCallOptions& call = {});
  /// Into request.target_cluster (RUNNING; name conflicts AlreadyExists
  /// unless overwrite) or into a new cluster (parent, cluster_id, cluster);
  /// the operation fails with DataLoss naming the file when the backup is
  /// corrupt. The operation's cluster is the target (for a new cluster with
  /// its once-shown admin password).
  absl::StatusOr<ControlOperation> StartRestoreBackup(
      const control::RestoreBackupRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Cluster> RestoreBackup(
      const control::RestoreBackupRequest& request,
      const ControlCallOptions& call = {});
  /// Sets the cluster's backup policy (the scheduler takes a backup every
  /// interval and deletes scheduled ones beyond the retention).
  absl::StatusOr<control::Cluster> SetBackupPolicy(
      const control::SetBackupPolicyRequest& request,
      const ControlCallOptions& call = {});

  // ---- API keys ----
  /// The result carries the secret (shown once).
  absl::StatusOr<control::ApiKey> CreateApiKey(
      const control::CreateApiKeyRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::ApiKey> GetApiKey(
      const std::string& name, const ControlCallOptions& call = {});
  absl::StatusOr<control::Page<control::ApiKey>> ListApiKeys(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  Pager<control::ApiKey> ListAllApiKeys(control::ListRequest request,
                                        const ControlCallOptions& call = {});
  /// update_mask: display_name, enabled, expire_time.
  absl::StatusOr<control::ApiKey> UpdateApiKey(
      const control::ApiKey& api_key,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call = {});
  absl::Status DeleteApiKey(const control::DeleteRequest& request,
                            const ControlCallOptions& call = {});

  // ---- roles and role bindings ----
  absl::StatusOr<control::Role> CreateRole(
      const control::CreateRoleRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::Role> GetRole(const std::string& name,
                                        const ControlCallOptions& call = {});
  /// An organization's custom roles and the built-in ones.
  absl::StatusOr<control::Page<control::Role>> ListRoles(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  Pager<control::Role> ListAllRoles(control::ListRequest request,
                                    const ControlCallOptions& call = {});
  /// update_mask: display_name, statements.
  absl::StatusOr<control::Role> UpdateRole(
      const control::Role& role, const std::vector<std::string>& update_mask,
      const ControlCallOptions& call = {});
  absl::Status DeleteRole(const control::DeleteRequest& request,
                          const ControlCallOptions& call = {});
  absl::StatusOr<control::RoleBinding> CreateRoleBinding(
      const control::CreateRoleBindingRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::RoleBinding> GetRoleBinding(
      const std::string& name, const ControlCallOptions& call = {});
  absl::StatusOr<control::Page<control::RoleBinding>> ListRoleBindings(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  Pager<control::RoleBinding> ListAllRoleBindings(
      control::ListRequest request, const ControlCallOptions& call = {});
  absl::Status DeleteRoleBinding(const control::DeleteRequest& request,
                                 const ControlCallOptions& call = {});
  /// The subset of `actions` the caller may do on `resource`.
  absl::StatusOr<std::vector<std::string>> TestPermissions(
      const control::TestPermissionsRequest& request,
      const ControlCallOptions& call = {});

  // ---- audit ----
  absl::StatusOr<control::Page<control::AuditEvent>> ListAuditEvents(
      const control::ListAuditEventsRequest& request,
      const ControlCallOptions& call = {});
  Pager<control::AuditEvent> ListAllAuditEvents(
      control::ListAuditEventsRequest request,
      const ControlCallOptions& call = {});

  // ---- operations ----
  /// A handle on an existing operation.
  absl::StatusOr<ControlOperation> GetOperation(
      const std::string& name, const ControlCallOptions& call = {});
  /// parent: an organization or a project; filter: done=false, target=...,
  /// verb=...
  absl::StatusOr<control::Page<control::Operation>> ListOperations(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  Pager<control::Operation> ListAllOperations(
      control::ListRequest request, const ControlCallOptions& call = {});

  // ---- metrics ----
  /// Usage of a cluster's data plane: requests per second over the last
  /// `window_seconds` (1..600; 0: 60), latency percentiles, vectors,
  /// storage, CU usage. NotFound for an unknown cluster; InvalidArgument
  /// for a bad name or window.
  absl::StatusOr<control::ClusterMetrics> GetClusterMetrics(
      const std::string& name, int32_t window_seconds = 0,
      const ControlCallOptions& call = {});

  /// What a cluster spec (CUs, replicas, storage, region) would cost per
  /// hour and per month, from the emulator's price table. Needs read access
  /// to the project. InvalidArgument for a bad spec; NotFound.
  absl::StatusOr<control::CostEstimate> EstimateCost(
      const control::EstimateCostRequest& request,
      const ControlCallOptions& call = {});

  // ---- alerts (issue 19) ----
  /// Alert rules of a project on the metrics of one of its clusters,
  /// evaluated by the control plane; notifications go to a webhook and/or
  /// the audit log. InvalidArgument naming the field (a webhook URL that is
  /// not http/https, no channel, ...); NotFound (also for another
  /// organization's rule); PermissionDenied (alertRules.*).
  absl::StatusOr<control::AlertRule> CreateAlertRule(
      const control::CreateAlertRuleRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::AlertRule> GetAlertRule(
      const std::string& name, const ControlCallOptions& call = {});
  /// parent: a project; filter: cluster=..., state=FIRING, metric=QPS.
  absl::StatusOr<control::Page<control::AlertRule>> ListAlertRules(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  Pager<control::AlertRule> ListAllAlertRules(
      control::ListRequest request, const ControlCallOptions& call = {});
  absl::Status DeleteAlertRule(const control::DeleteRequest& request,
                               const ControlCallOptions& call = {});
  /// Sends a test notification to every channel of the rule (the webhook
  /// delivery is queued: see AlertRule::last_delivery).
  absl::StatusOr<control::TestAlertRuleResult> TestAlertRule(
      const std::string& name, const ControlCallOptions& call = {});
  /// No notification until request.until (unset: the silence is lifted).
  absl::StatusOr<control::AlertRule> SilenceAlertRule(
      const control::SilenceAlertRuleRequest& request,
      const ControlCallOptions& call = {});
  /// update_mask: display_name, metric, comparison, threshold,
  /// for_duration, window_seconds, webhook (url and secret; no webhook
  /// removes it), webhook.url, webhook.secret, audit, labels (not cluster).
  /// A new condition restarts the rule's evaluation (INACTIVE). rule.etag,
  /// when set, must be the rule's (Aborted otherwise).
  absl::StatusOr<control::AlertRule> UpdateAlertRule(
      const control::AlertRule& rule,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call = {});
  // ---- support access with customer approval (issue 19) ----
  /// A support principal asks for access to one cluster for a reason and a
  /// duration (1 minute to 24 hours): a PENDING grant. PermissionDenied for
  /// any other caller; InvalidArgument (reason, duration); NotFound.
  absl::StatusOr<control::SupportAccessGrant> RequestSupportAccess(
      const control::RequestSupportAccessRequest& request,
      const ControlCallOptions& call = {});
  /// The requester (with the data-plane password while ACTIVE) or an
  /// organization owner. NotFound (also for another principal's grant).
  absl::StatusOr<control::SupportAccessGrant> GetSupportAccess(
      const std::string& name, const ControlCallOptions& call = {});
  /// request.parent: an organization (owners), or empty (a support
  /// principal's own grants); filter "state=ACTIVE", "cluster=...".
  absl::StatusOr<control::Page<control::SupportAccessGrant>> ListSupportAccess(
      const control::ListRequest& request, const ControlCallOptions& call = {});
  /// Organization owners. FailedPrecondition when the grant is not PENDING
  /// (approve, deny) or ACTIVE (revoke); Aborted for a stale etag.
  absl::StatusOr<control::SupportAccessGrant> ApproveSupportAccess(
      const control::SupportAccessActionRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::SupportAccessGrant> DenySupportAccess(
      const control::SupportAccessActionRequest& request,
      const ControlCallOptions& call = {});
  absl::StatusOr<control::SupportAccessGrant> RevokeSupportAccess(
      const control::SupportAccessActionRequest& request,
      const ControlCallOptions& call = {});
  // ---- versions and upgrades (issue 19) ----
  /// The release catalog, oldest first; with `cluster`, only the releases
  /// it can be upgraded to.
  absl::StatusOr<std::vector<control::Release>> ListReleases(
      const std::string& cluster = "", const ControlCallOptions& call = {});
  /// Restarts the cluster's data plane on `request.version` over the same
  /// data and endpoint, health-checked, rolled back on failure (the
  /// operation then fails and the cluster keeps its version). With
  /// `schedule` the operation waits for the maintenance window;
  /// Action::kDefer / kRunNow act on the upgrade already scheduled.
  absl::StatusOr<ControlOperation> StartUpgradeCluster(
      const control::UpgradeClusterRequest& request,
      const ControlCallOptions& call = {});
  /// StartUpgradeCluster and wait for it (not for a scheduled one: use
  /// StartUpgradeCluster).
  absl::StatusOr<control::Cluster> UpgradeCluster(
      const control::UpgradeClusterRequest& request,
      const ControlCallOptions& call = {});
  /// Sets (or, with `window` unset, clears) the maintenance window of a
  /// cluster or a project.
  absl::StatusOr<control::MaintenanceWindowInfo> SetMaintenanceWindow(
      const std::string& name,
      const std::optional<control::MaintenanceWindow>& window,
      const ControlCallOptions& call = {});
  /// The window in force for a cluster (its own, else its project's) or a
  /// project.
  absl::StatusOr<control::MaintenanceWindowInfo> GetMaintenanceWindow(
      const std::string& name, const ControlCallOptions& call = {});

 private:
  // The handle of an operation as the connection started it.
  absl::StatusOr<ControlOperation> Started(
      absl::StatusOr<control::Operation> op) const;

  std::shared_ptr<ControlConnection> connection_;
  std::shared_ptr<internal::ControlRuntime> runtime_;
};

}  // namespace cove

#endif  // COVE_INCLUDE_COVE_CONTROL_H_
