// cove::ControlClient, ControlOperation and EmulatorClient: validation,
// request ids, retries with backoff, paging and operation polling over a
// ControlConnection.
#include <algorithm>
#include <cstdio>
#include <random>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "control/control_runtime.h"
#include "control/grpc_control_connection.h"
#include "cove/control.h"
#include "remote/remote_connection.h"

namespace cove {
namespace internal {

ControlRuntime::ControlRuntime(ControlOptions o, ControlClock c)
    : options(std::move(o)),
      clock(std::move(c)),
      rng_(std::random_device{}()) {}

double ControlRuntime::Random() {
  absl::MutexLock lock(&mu_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

namespace {

bool ValidId(const std::string& id) {
  if (id.size() < 3 || id.size() > 63) return false;
  if (id.front() < 'a' || id.front() > 'z') return false;
  if (id.back() == '-') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status CheckId(const std::string& field, const std::string& id) {
  if (ValidId(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field,
      ": expected 3 to 63 characters of [a-z0-9-], starting with a letter and "
      "not ending with '-' (got '",
      id, "')"));
}

absl::Status CheckName(const std::string& field, const std::string& name,
                       const std::string& pattern) {
  std::vector<std::string> want = absl::StrSplit(pattern, '/');
  std::vector<std::string> got = absl::StrSplit(name, '/');
  bool ok = want.size() == got.size();
  for (size_t i = 0; ok && i < want.size(); ++i) {
    const std::string& w = want[i];
    const std::string& g = got[i];
    if (w == "{*}") {
      ok = !g.empty();
    } else if (w == "{-}") {
      ok = g == "-" || ValidId(g);
    } else if (!w.empty() && w.front() == '{') {
      ok = ValidId(g);
    } else {
      ok = w == g;
    }
  }
  if (ok) return absl::OkStatus();
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": required (expected ", pattern, ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": expected ", pattern,
      " with ids of 3 to 63 characters of [a-z0-9-] (got '", name, "')"));
}

absl::Status CheckRequired(const std::string& field, const std::string& value) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
}

}  // namespace internal

namespace {

using internal::CheckId;
using internal::CheckName;
using internal::CheckRequired;
using internal::ControlRuntime;
using ms = std::chrono::milliseconds;

constexpr char kOrg[] = "organizations/{org}";
constexpr char kMember[] = "organizations/{org}/members/{*}";
constexpr char kInvitation[] = "organizations/{org}/invitations/{*}";
constexpr char kProject[] = "organizations/{org}/projects/{project}";
constexpr char kAnyProject[] = "organizations/{org}/projects/{-}";
constexpr char kEnvironment[] =
    "organizations/{org}/projects/{project}/environments/{environment}";
constexpr char kCluster[] =
    "organizations/{org}/projects/{project}/clusters/{cluster}";
constexpr char kBackup[] =
    "organizations/{org}/projects/{project}/clusters/{cluster}/backups/"
    "{backup}";
constexpr char kAnyCluster[] =
    "organizations/{org}/projects/{project}/clusters/{-}";
constexpr char kApiKey[] = "organizations/{org}/apiKeys/{*}";
constexpr char kCustomRole[] = "organizations/{org}/roles/{role}";
constexpr char kBuiltInRole[] = "roles/{*}";
constexpr char kRoleBinding[] = "organizations/{org}/roleBindings/{*}";
constexpr char kOperation[] = "operations/{*}";
constexpr int32_t kMaxPageSize = 1000;
constexpr ms kMaxServerWait{60000};

template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& r) {
  return r.status();
}
const absl::Status& StatusOf(const absl::Status& s) { return s; }

// Runs `attempt` (one RPC) under the call's deadline; when `retry`, repeats
// it on Unavailable with exponential backoff and jitter, while attempts and
// time remain. Each attempt gets the time left as its timeout.
template <typename F>
auto Run(ControlRuntime& rt, bool retry, const ControlCallOptions& call,
         F&& attempt) -> std::invoke_result_t<F&, const ControlCallOptions&> {
  const ms timeout = call.timeout.value_or(rt.options.timeout);
  const auto deadline = rt.clock.now() + timeout;
  const int max_attempts =
      retry ? std::max(1, call.max_attempts.value_or(rt.options.max_attempts))
            : 1;
  internal::RetryPolicy policy;
  policy.max_attempts = max_attempts;
  policy.initial_backoff = rt.options.initial_backoff;
  policy.max_backoff = rt.options.max_backoff;
  for (int n = 0;; ++n) {
    ControlCallOptions one;
    one.timeout = std::max(
        ms(1), std::chrono::duration_cast<ms>(deadline - rt.clock.now()));
    auto result = attempt(one);
    const absl::Status& s = StatusOf(result);
    if (s.ok() || !absl::IsUnavailable(s) || n + 1 >= max_attempts) {
      return result;
    }
    ms delay = internal::BackoffDelay(policy, n, rt.Random());
    if (rt.clock.now() + delay >= deadline) return result;
    rt.clock.sleep(delay);
  }
}

absl::Status CheckPaging(const control::ListRequest& r, bool has_filter) {
  if (r.page_size < 0 || r.page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: expected 0 to ", kMaxPageSize, " (got ", r.page_size, ")"));
  }
  if (!has_filter && !r.filter.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter: this list takes no filter (got '", r.filter, "')"));
  }
  return absl::OkStatus();
}

absl::Status CheckList(const control::ListRequest& r, const char* pattern,
                       bool has_filter) {
  if (absl::Status s = CheckName("parent", r.parent, pattern); !s.ok()) {
    return s;
  }
  return CheckPaging(r, has_filter);
}

// ListAuditEvents and ListOperations: an organization or a project.
absl::Status CheckOrgOrProjectList(const control::ListRequest& r) {
  if (CheckName("parent", r.parent, kProject).ok()) {
    return CheckPaging(r, true);
  }
  return CheckList(r, kOrg, true);
}

absl::Status CheckMask(const std::vector<std::string>& mask) {
  if (mask.empty()) {
    return absl::InvalidArgumentError(
        "update_mask: required (name the fields to update)");
  }
  for (const std::string& f : mask) {
    if (f.empty()) {
      return absl::InvalidArgumentError(
          "update_mask: field names must be non-empty");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRoleName(const std::string& field, const std::string& name) {
  if (CheckName(field, name, kBuiltInRole).ok()) return absl::OkStatus();
  if (CheckName(field, name, kCustomRole).ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": expected ", kCustomRole, " or ", kBuiltInRole,
                   " (got '", name, "')"));
}

template <typename Request>
Request WithRequestId(Request r) {
  if (r.request_id.empty()) r.request_id = ControlClient::NewRequestId();
  return r;
}

}  // namespace

ControlClock ControlClock::Real() {
  ControlClock c;
  c.now = [] { return std::chrono::steady_clock::now(); };
  c.sleep = [](ms d) { std::this_thread::sleep_for(d); };
  return c;
}

// ---- ControlOperation
// --------------------------------------------------------

absl::StatusOr<control::Backup> ControlOperation::backup() const {
  if (!op_.done) {
    return absl::FailedPreconditionError(
        absl::StrCat("operation ", op_.name, " (", op_.verb,
                     "): not done yet (progress ", op_.progress_percent, "%)"));
  }
  if (!op_.error().ok()) return op_.error();
  if (!op_.backup.has_value()) {
    return absl::NotFoundError(absl::StrCat("operation ", op_.name, " (",
                                            op_.verb, "): carries no backup"));
  }
  return *op_.backup;
}

absl::StatusOr<control::Cluster> ControlOperation::cluster() const {
  if (!op_.done) {
    return absl::FailedPreconditionError(
        absl::StrCat("operation ", op_.name, " (", op_.verb,
                     "): not done yet (progress ", op_.progress_percent, "%)"));
  }
  if (!op_.error().ok()) return op_.error();
  if (!op_.cluster.has_value()) {
    return absl::NotFoundError(absl::StrCat("operation ", op_.name, " (",
                                            op_.verb, "): carries no cluster"));
  }
  return *op_.cluster;
}

absl::Status ControlOperation::Refresh(const ControlCallOptions& call) {
  auto r = Run(*runtime_, true, call, [&](const ControlCallOptions& c) {
    return connection_->GetOperation(op_.name, c);
  });
  if (!r.ok()) return r.status();
  op_ = *std::move(r);
  return absl::OkStatus();
}

absl::Status ControlOperation::Wait(std::optional<ms> timeout,
                                    const ControlCallOptions& call) {
  ControlRuntime& rt = *runtime_;
  const ms total = timeout.value_or(rt.options.operation_timeout);
  const auto start = rt.clock.now();
  const auto deadline = start + total;
  const ms rpc_timeout = call.timeout.value_or(rt.options.timeout);
  for (;;) {
    if (op_.done) return op_.error();
    const auto now = rt.clock.now();
    const ms remaining = std::chrono::duration_cast<ms>(deadline - now);
    if (remaining <= ms(0)) {
      return absl::DeadlineExceededError(
          absl::StrCat("operation ", op_.name, " (", op_.verb, " of ",
                       op_.target, "): not done after ", total.count(),
                       " ms (progress ", op_.progress_percent, "%)"));
    }
    control::WaitOperationRequest request;
    request.name = op_.name;
    request.timeout = std::min(remaining, kMaxServerWait);
    ControlCallOptions wait_call = call;
    wait_call.timeout = request.timeout + rpc_timeout;
    auto r = Run(rt, true, wait_call, [&](const ControlCallOptions& c) {
      return connection_->WaitOperation(request, c);
    });
    if (!r.ok()) return r.status();
    op_ = *std::move(r);
    if (op_.done) continue;
    // A server that answers before its wait ran out: do not spin.
    const ms elapsed = std::chrono::duration_cast<ms>(rt.clock.now() - now);
    if (elapsed < rt.options.poll_interval) {
      const ms left = std::chrono::duration_cast<ms>(deadline - rt.clock.now());
      const ms pause = std::min(rt.options.poll_interval - elapsed, left);
      if (pause > ms(0)) rt.clock.sleep(pause);
    }
  }
}

absl::Status ControlOperation::Cancel(const ControlCallOptions& call) {
  auto r = Run(*runtime_, true, call, [&](const ControlCallOptions& c) {
    return connection_->CancelOperation(op_.name, c);
  });
  if (!r.ok()) return r.status();
  op_ = *std::move(r);
  return absl::OkStatus();
}

// ---- EmulatorClient
// ------------------------------------------------------------

absl::StatusOr<control::EmulatorSettings> EmulatorClient::GetSettings(
    const ControlCallOptions& call) {
  return Run(*runtime_, true, call, [&](const ControlCallOptions& c) {
    return connection_->GetEmulatorSettings(c);
  });
}

absl::StatusOr<control::EmulatorSettings> EmulatorClient::UpdateSettings(
    const control::UpdateEmulatorSettingsRequest& request,
    const ControlCallOptions& call) {
  if (request.transition_delay && *request.transition_delay < ms(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("transition_delay: expected >= 0 ms (got ",
                     request.transition_delay->count(), ")"));
  }
  if (request.retention && *request.retention < ms(0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retention: expected >= 0 ms (got ", request.retention->count(), ")"));
  }
  return Run(*runtime_, true, call, [&](const ControlCallOptions& c) {
    return connection_->UpdateEmulatorSettings(request, c);
  });
}

absl::StatusOr<control::EmulatorSettings> EmulatorClient::SetClock(
    const control::SetClockRequest& request, const ControlCallOptions& call) {
  // Setting the clock to a given time (or back to real) is idempotent;
  // "now" is not.
  const bool idempotent = request.real || control::IsSet(request.time);
  return Run(*runtime_, idempotent, call, [&](const ControlCallOptions& c) {
    return connection_->SetClock(request, c);
  });
}

absl::StatusOr<control::EmulatorSettings> EmulatorClient::AdvanceClock(
    ms by, const ControlCallOptions& call) {
  if (by < ms(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("by: expected >= 0 ms (got ", by.count(), ")"));
  }
  return Run(*runtime_, false, call, [&](const ControlCallOptions& c) {
    return connection_->AdvanceClock(by, c);
  });
}

absl::StatusOr<control::Fault> EmulatorClient::InjectFault(
    const control::Fault& fault, const ControlCallOptions& call) {
  if (absl::Status s = CheckRequired("fault.verb", fault.verb); !s.ok()) {
    return s;
  }
  if (fault.mode == control::FaultMode::kUnspecified) {
    return absl::InvalidArgumentError(
        "fault.mode: required (expected FAIL, STALL or UNAVAILABLE)");
  }
  if (fault.count < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("fault.count: expected >= 0 (got ", fault.count, ")"));
  }
  return Run(*runtime_, false, call, [&](const ControlCallOptions& c) {
    return connection_->InjectFault(fault, c);
  });
}

absl::StatusOr<std::vector<control::Fault>> EmulatorClient::ListFaults(
    const ControlCallOptions& call) {
  return Run(*runtime_, true, call, [&](const ControlCallOptions& c) {
    return connection_->ListFaults(c);
  });
}

absl::Status EmulatorClient::ClearFaults(const std::string& verb,
                                         const ControlCallOptions& call) {
  return Run(*runtime_, true, call, [&](const ControlCallOptions& c) {
    return connection_->ClearFaults(verb, c);
  });
}

// ---- ControlClient
// -----------------------------------------------------------

ControlClient::ControlClient(std::shared_ptr<ControlConnection> connection,
                             ControlOptions options, ControlClock clock)
    : connection_(std::move(connection)),
      runtime_(std::make_shared<ControlRuntime>(std::move(options),
                                                std::move(clock))) {}

absl::StatusOr<ControlClient> ControlClient::Connect(ControlOptions options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  auto connection = internal::MakeGrpcControlConnection(options);
  if (!connection.ok()) return connection.status();
  return ControlClient(*std::move(connection), std::move(options));
}

const ControlOptions& ControlClient::options() const {
  return runtime_->options;
}

EmulatorClient ControlClient::emulator() const {
  return EmulatorClient(connection_, runtime_);
}

std::string ControlClient::NewRequestId() {
  std::random_device rd;
  uint64_t hi = (static_cast<uint64_t>(rd()) << 32) | rd();
  uint64_t lo = (static_cast<uint64_t>(rd()) << 32) | rd();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

// Shorthands for the method bodies below.
#define COVE_RUN(retry, call_expr) \
  Run(*runtime_, retry, call,      \
      [&](const ControlCallOptions& c) { return connection_->call_expr; })

// Pager over a List method: `fetch` runs one page with the token given.
#define COVE_PAGER(Type, Method, request)                               \
  Pager<control::Type>(                                                 \
      [client = *this, request, call](const std::string& token) mutable \
      -> absl::StatusOr<control::Page<control::Type>> {                 \
        auto r = request;                                               \
        r.page_token = token;                                           \
        return client.Method(r, call);                                  \
      },                                                                \
      request.page_token)

// ---- organizations

absl::StatusOr<control::Organization> ControlClient::CreateOrganization(
    const control::CreateOrganizationRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckId("organization_id", request.organization_id));
  auto r = WithRequestId(request);
  return COVE_RUN(true, CreateOrganization(r, c));
}

absl::StatusOr<control::Organization> ControlClient::GetOrganization(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kOrg));
  return COVE_RUN(true, GetOrganization(name, c));
}

absl::StatusOr<control::Page<control::Organization>>
ControlClient::ListOrganizations(const control::ListRequest& request,
                                 const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckPaging(request, false));
  return COVE_RUN(true, ListOrganizations(request, c));
}

Pager<control::Organization> ControlClient::ListAllOrganizations(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Organization, ListOrganizations, request);
}

absl::StatusOr<control::Organization> ControlClient::UpdateOrganization(
    const control::Organization& organization,
    const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("organization.name", organization.name, kOrg));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return COVE_RUN(false, UpdateOrganization(organization, update_mask, c));
}

absl::Status ControlClient::DeleteOrganization(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kOrg));
  auto r = WithRequestId(request);
  return COVE_RUN(true, DeleteOrganization(r, c));
}

// ---- members and invitations

absl::StatusOr<control::Page<control::Member>> ControlClient::ListMembers(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, false));
  return COVE_RUN(true, ListMembers(request, c));
}

Pager<control::Member> ControlClient::ListAllMembers(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Member, ListMembers, request);
}

absl::StatusOr<control::Member> ControlClient::GetMember(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kMember));
  return COVE_RUN(true, GetMember(name, c));
}

absl::StatusOr<control::Member> ControlClient::UpdateMember(
    const control::Member& member, const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("member.name", member.name, kMember));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return COVE_RUN(false, UpdateMember(member, update_mask, c));
}

absl::Status ControlClient::DeleteMember(const control::DeleteRequest& request,
                                         const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kMember));
  auto r = WithRequestId(request);
  return COVE_RUN(true, DeleteMember(r, c));
}

absl::StatusOr<control::Invitation> ControlClient::CreateInvitation(
    const control::CreateInvitationRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kOrg));
  COVE_RETURN_IF_ERROR(
      CheckRequired("invitation.email", request.invitation.email));
  auto r = WithRequestId(request);
  return COVE_RUN(true, CreateInvitation(r, c));
}

absl::StatusOr<control::Invitation> ControlClient::GetInvitation(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kInvitation));
  return COVE_RUN(true, GetInvitation(name, c));
}

absl::StatusOr<control::Page<control::Invitation>>
ControlClient::ListInvitations(const control::ListRequest& request,
                               const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, true));
  return COVE_RUN(true, ListInvitations(request, c));
}

Pager<control::Invitation> ControlClient::ListAllInvitations(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Invitation, ListInvitations, request);
}

absl::StatusOr<control::Invitation> ControlClient::RevokeInvitation(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kInvitation));
  auto r = WithRequestId(request);
  return COVE_RUN(true, RevokeInvitation(r, c));
}

absl::StatusOr<control::AcceptInvitationResult> ControlClient::AcceptInvitation(
    const control::AcceptInvitationRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kInvitation));
  COVE_RETURN_IF_ERROR(CheckRequired("token", request.token));
  return COVE_RUN(false, AcceptInvitation(request, c));
}

// ---- projects

absl::StatusOr<control::Project> ControlClient::CreateProject(
    const control::CreateProjectRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kOrg));
  COVE_RETURN_IF_ERROR(CheckId("project_id", request.project_id));
  auto r = WithRequestId(request);
  return COVE_RUN(true, CreateProject(r, c));
}

absl::StatusOr<control::Project> ControlClient::GetProject(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kProject));
  return COVE_RUN(true, GetProject(name, c));
}

absl::StatusOr<control::Page<control::Project>> ControlClient::ListProjects(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, true));
  return COVE_RUN(true, ListProjects(request, c));
}

Pager<control::Project> ControlClient::ListAllProjects(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Project, ListProjects, request);
}

absl::StatusOr<control::Project> ControlClient::UpdateProject(
    const control::Project& project,
    const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("project.name", project.name, kProject));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return COVE_RUN(false, UpdateProject(project, update_mask, c));
}

absl::Status ControlClient::DeleteProject(const control::DeleteRequest& request,
                                          const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kProject));
  auto r = WithRequestId(request);
  return COVE_RUN(true, DeleteProject(r, c));
}

// ---- environments

absl::StatusOr<control::Environment> ControlClient::CreateEnvironment(
    const control::CreateEnvironmentRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kProject));
  COVE_RETURN_IF_ERROR(CheckId("environment_id", request.environment_id));
  if (request.environment.mode == control::EnvironmentMode::kUnspecified) {
    return absl::InvalidArgumentError(
        "environment.mode: required (expected CROSS_ACCOUNT or AGENT)");
  }
  auto r = WithRequestId(request);
  return COVE_RUN(true, CreateEnvironment(r, c));
}

absl::StatusOr<control::Environment> ControlClient::GetEnvironment(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kEnvironment));
  return COVE_RUN(true, GetEnvironment(name, c));
}

absl::StatusOr<control::Page<control::Environment>>
ControlClient::ListEnvironments(const control::ListRequest& request,
                                const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kProject, true));
  return COVE_RUN(true, ListEnvironments(request, c));
}

Pager<control::Environment> ControlClient::ListAllEnvironments(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Environment, ListEnvironments, request);
}

absl::Status ControlClient::DeleteEnvironment(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kEnvironment));
  auto r = WithRequestId(request);
  return COVE_RUN(true, DeleteEnvironment(r, c));
}

absl::StatusOr<control::EnvironmentValidation>
ControlClient::ValidateEnvironment(const std::string& name,
                                   const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kEnvironment));
  return COVE_RUN(true, ValidateEnvironment(name, c));
}

absl::StatusOr<control::Environment> ControlClient::RotateAgentToken(
    const control::RotateAgentTokenRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kEnvironment));
  return COVE_RUN(false, RotateAgentToken(request, c));
}

// ---- clusters

namespace {

// Start + wait for a blocking long-running verb.
absl::StatusOr<control::Cluster> Finish(
    absl::StatusOr<ControlOperation> started) {
  if (!started.ok()) return started.status();
  ControlOperation op = *std::move(started);
  if (absl::Status s = op.Wait(); !s.ok()) return s;
  if (!op.operation().cluster.has_value()) {
    control::Cluster c;
    c.name = op.operation().target;
    return c;
  }
  return *op.operation().cluster;
}

}  // namespace

#define COVE_START_OPERATION(call_expr)                             \
  do {                                                              \
    auto op = COVE_RUN(true, call_expr);                            \
    if (!op.ok()) return op.status();                               \
    return ControlOperation(connection_, runtime_, *std::move(op)); \
  } while (false)

absl::StatusOr<ControlOperation> ControlClient::StartCreateCluster(
    const control::CreateClusterRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kProject));
  COVE_RETURN_IF_ERROR(CheckId("cluster_id", request.cluster_id));
  COVE_RETURN_IF_ERROR(CheckName("cluster.environment",
                                 request.cluster.environment, kEnvironment));
  if (request.cluster.cu_size < 0 || request.cluster.replicas < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cluster.cu_size, cluster.replicas: expected >= 0 (got ",
        request.cluster.cu_size, ", ", request.cluster.replicas, ")"));
  }
  auto r = WithRequestId(request);
  COVE_START_OPERATION(CreateCluster(r, c));
}

absl::StatusOr<control::Cluster> ControlClient::CreateCluster(
    const control::CreateClusterRequest& request,
    const ControlCallOptions& call) {
  return Finish(StartCreateCluster(request, call));
}

absl::StatusOr<control::Cluster> ControlClient::GetCluster(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kCluster));
  return COVE_RUN(true, GetCluster(name, c));
}

absl::StatusOr<control::Page<control::Cluster>> ControlClient::ListClusters(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kAnyProject, true));
  return COVE_RUN(true, ListClusters(request, c));
}

Pager<control::Cluster> ControlClient::ListAllClusters(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Cluster, ListClusters, request);
}

absl::StatusOr<control::Cluster> ControlClient::UpdateCluster(
    const control::Cluster& cluster,
    const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("cluster.name", cluster.name, kCluster));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return COVE_RUN(false, UpdateCluster(cluster, update_mask, c));
}

#define COVE_CLUSTER_ACTION(Verb)                                       \
  absl::StatusOr<ControlOperation> ControlClient::Start##Verb##Cluster( \
      const control::ClusterActionRequest& request,                     \
      const ControlCallOptions& call) {                                 \
    COVE_RETURN_IF_ERROR(CheckName("name", request.name, kCluster));    \
    auto r = WithRequestId(request);                                    \
    COVE_START_OPERATION(Verb##Cluster(r, c));                          \
  }                                                                     \
  absl::StatusOr<control::Cluster> ControlClient::Verb##Cluster(        \
      const control::ClusterActionRequest& request,                     \
      const ControlCallOptions& call) {                                 \
    return Finish(Start##Verb##Cluster(request, call));                 \
  }

COVE_CLUSTER_ACTION(Suspend)
COVE_CLUSTER_ACTION(Resume)
COVE_CLUSTER_ACTION(Delete)
COVE_CLUSTER_ACTION(Restore)
COVE_CLUSTER_ACTION(Purge)

absl::StatusOr<ControlOperation> ControlClient::StartResetClusterPassword(
    const control::ClusterActionRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kCluster));
  auto r = WithRequestId(request);
  COVE_START_OPERATION(ResetClusterPassword(r, c));
}

absl::StatusOr<control::Cluster> ControlClient::ResetClusterPassword(
    const control::ClusterActionRequest& request,
    const ControlCallOptions& call) {
  return Finish(StartResetClusterPassword(request, call));
}

absl::StatusOr<ControlOperation> ControlClient::StartScaleCluster(
    const control::ScaleClusterRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kCluster));
  if (request.cu_size < 0 || request.replicas < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cu_size, replicas: expected >= 0, 0 meaning unchanged "
                     "(got ",
                     request.cu_size, ", ", request.replicas, ")"));
  }
  if (request.cu_size == 0 && request.replicas == 0) {
    return absl::InvalidArgumentError(
        "cu_size, replicas: expected at least one to change (got 0 and 0)");
  }
  auto r = WithRequestId(request);
  COVE_START_OPERATION(ScaleCluster(r, c));
}

absl::StatusOr<control::Cluster> ControlClient::ScaleCluster(
    const control::ScaleClusterRequest& request,
    const ControlCallOptions& call) {
  return Finish(StartScaleCluster(request, call));
}

// ---- API keys

absl::StatusOr<control::ApiKey> ControlClient::CreateApiKey(
    const control::CreateApiKeyRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kOrg));
  if (!request.api_key_id.empty()) {
    COVE_RETURN_IF_ERROR(CheckId("api_key_id", request.api_key_id));
  }
  COVE_RETURN_IF_ERROR(CheckRequired("api_key.scope", request.api_key.scope));
  COVE_RETURN_IF_ERROR(CheckRoleName("api_key.role", request.api_key.role));
  auto r = WithRequestId(request);
  return COVE_RUN(true, CreateApiKey(r, c));
}

absl::StatusOr<control::ApiKey> ControlClient::GetApiKey(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kApiKey));
  return COVE_RUN(true, GetApiKey(name, c));
}

absl::StatusOr<control::Page<control::ApiKey>> ControlClient::ListApiKeys(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, true));
  return COVE_RUN(true, ListApiKeys(request, c));
}

Pager<control::ApiKey> ControlClient::ListAllApiKeys(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(ApiKey, ListApiKeys, request);
}

absl::StatusOr<control::ApiKey> ControlClient::UpdateApiKey(
    const control::ApiKey& api_key, const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("api_key.name", api_key.name, kApiKey));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return COVE_RUN(false, UpdateApiKey(api_key, update_mask, c));
}

absl::Status ControlClient::DeleteApiKey(const control::DeleteRequest& request,
                                         const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kApiKey));
  auto r = WithRequestId(request);
  return COVE_RUN(true, DeleteApiKey(r, c));
}

// ---- roles and bindings

absl::StatusOr<control::Role> ControlClient::CreateRole(
    const control::CreateRoleRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kOrg));
  COVE_RETURN_IF_ERROR(CheckId("role_id", request.role_id));
  auto r = WithRequestId(request);
  return COVE_RUN(true, CreateRole(r, c));
}

absl::StatusOr<control::Role> ControlClient::GetRole(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckRoleName("name", name));
  return COVE_RUN(true, GetRole(name, c));
}

absl::StatusOr<control::Page<control::Role>> ControlClient::ListRoles(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, false));
  return COVE_RUN(true, ListRoles(request, c));
}

Pager<control::Role> ControlClient::ListAllRoles(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Role, ListRoles, request);
}

absl::StatusOr<control::Role> ControlClient::UpdateRole(
    const control::Role& role, const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("role.name", role.name, kCustomRole));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return COVE_RUN(false, UpdateRole(role, update_mask, c));
}

absl::Status ControlClient::DeleteRole(const control::DeleteRequest& request,
                                       const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kCustomRole));
  auto r = WithRequestId(request);
  return COVE_RUN(true, DeleteRole(r, c));
}

absl::StatusOr<control::RoleBinding> ControlClient::CreateRoleBinding(
    const control::CreateRoleBindingRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kOrg));
  COVE_RETURN_IF_ERROR(
      CheckRoleName("role_binding.role", request.role_binding.role));
  COVE_RETURN_IF_ERROR(
      CheckRequired("role_binding.principal", request.role_binding.principal));
  COVE_RETURN_IF_ERROR(
      CheckRequired("role_binding.scope", request.role_binding.scope));
  auto r = WithRequestId(request);
  return COVE_RUN(true, CreateRoleBinding(r, c));
}

absl::StatusOr<control::RoleBinding> ControlClient::GetRoleBinding(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kRoleBinding));
  return COVE_RUN(true, GetRoleBinding(name, c));
}

absl::StatusOr<control::Page<control::RoleBinding>>
ControlClient::ListRoleBindings(const control::ListRequest& request,
                                const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, true));
  return COVE_RUN(true, ListRoleBindings(request, c));
}

Pager<control::RoleBinding> ControlClient::ListAllRoleBindings(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(RoleBinding, ListRoleBindings, request);
}

absl::Status ControlClient::DeleteRoleBinding(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kRoleBinding));
  auto r = WithRequestId(request);
  return COVE_RUN(true, DeleteRoleBinding(r, c));
}

absl::StatusOr<std::vector<std::string>> ControlClient::TestPermissions(
    const control::TestPermissionsRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckRequired("resource", request.resource));
  if (request.actions.empty()) {
    return absl::InvalidArgumentError("actions: required (got none)");
  }
  return COVE_RUN(true, TestPermissions(request, c));
}

// ---- audit

absl::StatusOr<control::Page<control::AuditEvent>>
ControlClient::ListAuditEvents(const control::ListAuditEventsRequest& request,
                               const ControlCallOptions& call) {
  control::ListRequest paging;
  paging.parent = request.parent;
  paging.page_size = request.page_size;
  COVE_RETURN_IF_ERROR(CheckOrgOrProjectList(paging));
  if (control::IsSet(request.start_time) && control::IsSet(request.end_time) &&
      request.end_time < request.start_time) {
    return absl::InvalidArgumentError(
        "end_time: expected at or after start_time");
  }
  return COVE_RUN(true, ListAuditEvents(request, c));
}

Pager<control::AuditEvent> ControlClient::ListAllAuditEvents(
    control::ListAuditEventsRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(AuditEvent, ListAuditEvents, request);
}

// ---- operations

// ---- metrics

absl::StatusOr<control::ClusterMetrics> ControlClient::GetClusterMetrics(
    const std::string& name, int32_t window_seconds,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kCluster));
  if (window_seconds < 0 || window_seconds > 600) {
    return absl::InvalidArgumentError(absl::StrCat(
        "window_seconds: expected 1..600 (0: 60) (got ", window_seconds, ")"));
  }
  return COVE_RUN(true, GetClusterMetrics(name, window_seconds, c));
}

// ---- backups

absl::StatusOr<ControlOperation> ControlClient::StartCreateBackup(
    const control::CreateBackupRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kCluster));
  if (!request.backup_id.empty())
    COVE_RETURN_IF_ERROR(CheckId("backup_id", request.backup_id));
  auto r = WithRequestId(request);
  COVE_START_OPERATION(CreateBackup(r, c));
}

absl::StatusOr<control::Backup> ControlClient::CreateBackup(
    const control::CreateBackupRequest& request,
    const ControlCallOptions& call) {
  auto started = StartCreateBackup(request, call);
  if (!started.ok()) return started.status();
  if (absl::Status s = started->Wait(); !s.ok()) return s;
  return started->backup();
}

absl::StatusOr<control::Backup> ControlClient::GetBackup(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kBackup));
  return COVE_RUN(true, GetBackup(name, c));
}

absl::StatusOr<control::Page<control::Backup>> ControlClient::ListBackups(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kAnyCluster, true));
  return COVE_RUN(true, ListBackups(request, c));
}

Pager<control::Backup> ControlClient::ListAllBackups(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Backup, ListBackups, request);
}

absl::StatusOr<ControlOperation> ControlClient::StartDeleteBackup(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kBackup));
  auto r = WithRequestId(request);
  COVE_START_OPERATION(DeleteBackup(r, c));
}

absl::Status ControlClient::DeleteBackup(const control::DeleteRequest& request,
                                         const ControlCallOptions& call) {
  auto started = StartDeleteBackup(request, call);
  if (!started.ok()) return started.status();
  return started->Wait();
}

absl::StatusOr<ControlOperation> ControlClient::StartRestoreBackup(
    const control::RestoreBackupRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kBackup));
  const bool into_new = !request.parent.empty() || !request.cluster_id.empty();
  if (into_new == !request.target_cluster.empty()) {
    return absl::InvalidArgumentError(
        "target_cluster / parent + cluster_id: expected exactly one target "
        "(an existing cluster, or a new one)");
  }
  if (into_new) {
    COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kProject));
    COVE_RETURN_IF_ERROR(CheckId("cluster_id", request.cluster_id));
  } else {
    COVE_RETURN_IF_ERROR(
        CheckName("target_cluster", request.target_cluster, kCluster));
  }
  auto r = WithRequestId(request);
  COVE_START_OPERATION(RestoreBackup(r, c));
}

absl::StatusOr<control::Cluster> ControlClient::RestoreBackup(
    const control::RestoreBackupRequest& request,
    const ControlCallOptions& call) {
  return Finish(StartRestoreBackup(request, call));
}

absl::StatusOr<control::Cluster> ControlClient::SetBackupPolicy(
    const control::SetBackupPolicyRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kCluster));
  if (request.policy.enabled &&
      request.policy.interval < std::chrono::minutes(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy.interval: expected at least 60000 ms (got ",
                     request.policy.interval.count(), " ms)"));
  }
  return COVE_RUN(false, SetBackupPolicy(request, c));
}

absl::StatusOr<ControlOperation> ControlClient::GetOperation(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kOperation));
  COVE_START_OPERATION(GetOperation(name, c));
}

absl::StatusOr<control::Page<control::Operation>> ControlClient::ListOperations(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckOrgOrProjectList(request));
  return COVE_RUN(true, ListOperations(request, c));
}

Pager<control::Operation> ControlClient::ListAllOperations(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Operation, ListOperations, request);
}

#undef COVE_CLUSTER_ACTION
#undef COVE_START_OPERATION
#undef COVE_PAGER
#undef COVE_RUN

}  // namespace cove
