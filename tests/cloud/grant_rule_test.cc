// The grant rule (issue 13, item 1): nobody grants a role, on a scope, that
// holds any action the granter does not itself hold there (DENY included).
//
// Three layers of tests:
// - FindUngrantable against a brute-force oracle over a universe of
//   resource names, for thousands of random role graphs (no server);
// - the property against a real emulator: hundreds of random granters
//   (custom roles with ALLOW and DENY statements and resource patterns,
//   extra bindings) try random grants of every kind (API keys, role
//   bindings, invitations, member roles, role edits); each either succeeds
//   and the grantee gains nothing the granter lacks (measured with
//   TestPermissions over a set of resources), or fails PERMISSION_DENIED
//   naming an action and a resource that the granter indeed lacks;
// - the reproductions of the issue.
#include <deque>
#include <random>
#include <regex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "cloud/cloud_fixture.h"
#include "cloud/permissions.h"
#include "cloud/util.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kOrg[] = "organizations/acme";
constexpr char kP1[] = "organizations/acme/projects/proj-a";
constexpr char kP2[] = "organizations/acme/projects/proj-b";
constexpr char kC1[] = "organizations/acme/projects/proj-a/clusters/cl1";
constexpr char kC3[] = "organizations/acme/projects/proj-b/clusters/cl3";

std::vector<std::string> AllActions() {
  std::vector<std::string> out;
  for (const PermissionRow& row : PermissionTable()) out.push_back(row.action);
  return out;
}

// ---- random role graphs ---------------------------------------------------

// Patterns relative to the scope a role is held on, naming the ids the
// fixture uses (and some nobody uses).
const std::vector<std::string>& PatternPool() {
  static const auto* pool = new std::vector<std::string>{
      "**",
      "projects/*",
      "projects/proj-a",
      "projects/proj-a/**",
      "projects/proj-b/**",
      "projects/*/clusters/*",
      "projects/*/clusters/**",
      "projects/proj-a/clusters/cl1",
      "projects/*/clusters/cl2",
      "projects/*/clusters/*/backups/**",
      "projects/*/environments/*",
      "clusters/*",
      "clusters/cl1",
      "clusters/cl1/**",
      "clusters/*/backups/*",
      "backups/*",
      "organizations/acme/projects/proj-b/clusters/cl3",
  };
  return *pool;
}

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int Uniform(int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(static_cast<int>(v.size()))];
  }

  std::string Action() {
    static const std::vector<std::string> wild = {
        "*",         "clusters.*",     "apiKeys.*", "projects.*",
        "backups.*", "roleBindings.*", "members.*"};
    if (Chance(0.15)) return Pick(wild);
    return Pick(AllActions());
  }

  v1::Statement Statement(double allow = 0.7) {
    v1::Statement st;
    st.set_effect(Chance(allow) ? v1::Statement::ALLOW : v1::Statement::DENY);
    const int actions = 1 + Uniform(6);
    for (int i = 0; i < actions; ++i) st.add_actions(Action());
    if (Chance(0.5)) {
      const int patterns = 1 + Uniform(2);
      for (int i = 0; i < patterns; ++i) st.add_resources(Pick(PatternPool()));
    }
    return st;
  }

  // A role of `level` with 1..4 statements; `extra` (if set) is allowed on
  // the whole scope.
  v1::Role Role(v1::Role::Level level, const std::string& extra = "") {
    v1::Role role;
    role.set_level(level);
    const int n = 1 + Uniform(4);
    for (int i = 0; i < n; ++i) *role.add_statements() = Statement();
    if (!extra.empty()) {
      v1::Statement* st = role.add_statements();
      st->set_effect(v1::Statement::ALLOW);
      st->add_actions(extra);
    }
    return role;
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

// ---- FindUngrantable against a brute-force oracle -------------------------

// Every resource below `scope` of the authorization hierarchy whose ids
// come from `ids`, up to backups.
std::vector<std::string> Universe(const std::string& scope,
                                  const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  std::function<void(const std::string&, int)> walk = [&](const std::string& r,
                                                          int depth) {
    out.push_back(r);
    std::vector<std::string> collections;
    if (depth == 2) collections = {"projects"};
    if (depth == 4) collections = {"environments", "clusters"};
    if (depth == 6 && absl::StrContains(r, "/clusters/"))
      collections = {"backups"};
    for (const std::string& c : collections) {
      for (const std::string& id : ids) {
        walk(absl::StrCat(r, "/", c, "/", id), depth + 2);
      }
    }
  };
  walk(scope,
       static_cast<int>(std::count(scope.begin(), scope.end(), '/')) + 1);
  return out;
}

bool Names(const v1::Role& role, const std::string& scope,
           const std::string& action, const std::string& resource) {
  if (!Within(resource, scope)) return false;
  for (const v1::Statement& st : role.statements()) {
    bool a = false, r = st.resources().empty();
    for (const std::string& x : st.actions()) a = a || ActionMatches(x, action);
    for (const std::string& x : st.resources()) {
      r = r || ResourceMatches(scope, x, resource);
    }
    if (a && r) return true;
  }
  return false;
}

TEST(GrantRuleOracleTest, FindUngrantableIsExactOverGeneratedRoleGraphs) {
  Generator gen(20260613);
  const std::vector<std::string> scopes = {kOrg, kP1, kP2, kC1, kC3};
  // Ids the patterns name, and ids nobody names.
  const std::vector<std::string> ids = {"proj-a", "proj-b", "cl1",  "cl2",
                                        "cl3",    "x-one",  "x-two"};
  const std::vector<std::string> actions = AllActions();
  int denied = 0, granted = 0;
  for (int iteration = 0; iteration < 1500; ++iteration) {
    SCOPED_TRACE(absl::StrCat("case ", iteration));
    std::deque<v1::Role> roles;
    std::vector<RoleGrant> grants;
    const std::string key_scope = gen.Pick(scopes);
    const int n = 1 + gen.Uniform(3);
    for (int i = 0; i < n; ++i) {
      roles.push_back(gen.Role(v1::Role::PROJECT));
      // Sometimes a wide ALLOW so that grants can succeed.
      if (gen.Chance(0.5)) {
        v1::Statement* st = roles.back().add_statements();
        st->set_effect(v1::Statement::ALLOW);
        st->add_actions("*");
      }
      grants.push_back({gen.Pick(scopes), &roles.back()});
    }
    v1::Role role = gen.Role(v1::Role::PROJECT);
    const std::string scope = gen.Pick(scopes);
    const GrantCheckMode mode =
        gen.Chance(0.8) ? GrantCheckMode::kAllowed : GrantCheckMode::kNamed;
    ASSERT_OK_AND_ASSIGN(auto found,
                         FindUngrantable(key_scope, grants, role, scope, mode));
    const std::vector<RoleGrant> held = {{scope, &role}};
    auto gives = [&](const std::string& a, const std::string& r) {
      return mode == GrantCheckMode::kAllowed ? GrantsAllow(scope, held, a, r)
                                              : Names(role, scope, a, r);
    };
    if (found.has_value()) {
      ++denied;
      // The witness is real: the role gives it, the granter lacks it.
      EXPECT_TRUE(gives(found->action, found->resource))
          << found->action << " " << found->resource;
      EXPECT_FALSE(
          GrantsAllow(key_scope, grants, found->action, found->resource))
          << found->action << " " << found->resource;
    } else {
      ++granted;
      // Nothing in the universe is given that the granter lacks.
      for (const std::string& r : Universe(scope, ids)) {
        for (const std::string& a : actions) {
          if (gives(a, r)) {
            ASSERT_TRUE(GrantsAllow(key_scope, grants, a, r))
                << "granted " << a << " on " << r << " that the granter lacks";
          }
        }
      }
    }
  }
  // Both outcomes are common: the test is not vacuous.
  EXPECT_GT(denied, 300);
  EXPECT_GT(granted, 300);
}

TEST(GrantRuleOracleTest, TooManyPatternsIsRefusedNotSlow) {
  // The role reaches every backup; the granter's statements name 40 ids at
  // each level: 41^3 classes of backup names to compare.
  v1::Role role;
  v1::Statement* st = role.add_statements();
  st->set_effect(v1::Statement::ALLOW);
  st->add_actions("backups.get");
  st->add_resources("projects/*/clusters/*/backups/*");
  v1::Role granter;
  v1::Statement* allow = granter.add_statements();
  allow->set_effect(v1::Statement::ALLOW);
  allow->add_actions("*");
  v1::Statement* deny = granter.add_statements();
  deny->set_effect(v1::Statement::DENY);
  deny->add_actions("clusters.get");
  for (int i = 0; i < 40; ++i) {
    deny->add_resources(
        absl::StrCat("projects/p", i, "/clusters/c", i, "/backups/b", i));
  }
  const std::vector<RoleGrant> grants = {{kOrg, &granter}};
  EXPECT_THAT(FindUngrantable(kOrg, grants, role, kOrg,
                              GrantCheckMode::kAllowed, /*max_resources=*/5000),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // With room to look, it is granted (the DENY is about another action).
  ASSERT_OK_AND_ASSIGN(auto found,
                       FindUngrantable(kOrg, grants, role, kOrg,
                                       GrantCheckMode::kAllowed, 100000));
  EXPECT_FALSE(found.has_value());
}

// ---- the property against the emulator -----------------------------------

class GrantRuleTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(org_, MakeOrg("acme", "owner@example.com"));
    ASSERT_THAT(MakeProject("acme", "proj-a"), IsOk());
    ASSERT_THAT(MakeProject("acme", "proj-b"), IsOk());
    ASSERT_THAT(MakeEnv(kP1, "env1", org_.external_id()), IsOk());
    ASSERT_THAT(MakeEnv(kP2, "env2", org_.external_id()), IsOk());
    for (const auto& [project, env, id] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {kP1, "env1", "cl1"},
             {kP1, "env1", "cl2"},
             {kP2, "env2", "cl3"}}) {
      ASSERT_OK_AND_ASSIGN(
          v1::Operation op,
          StartCluster(project, project + "/environments/" + env, id));
      ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
      ASSERT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
    }
  }

  absl::StatusOr<v1::Role> MakeRole(const v1::Role& role,
                                    const std::string& key = kAdminKey) {
    v1::CreateRoleRequest req;
    req.set_parent(kOrg);
    req.set_role_id(absl::StrCat("role-", ++roles_));
    *req.mutable_role() = role;
    return Call(&v1::ControlPlane::Stub::CreateRole, req, key);
  }

  absl::StatusOr<v1::RoleBinding> Bind(const std::string& role,
                                       const std::string& principal,
                                       const std::string& scope,
                                       const std::string& key = kAdminKey) {
    v1::CreateRoleBindingRequest req;
    req.set_parent(kOrg);
    req.mutable_role_binding()->set_role(role);
    req.mutable_role_binding()->set_principal(principal);
    req.mutable_role_binding()->set_scope(scope);
    return Call(&v1::ControlPlane::Stub::CreateRoleBinding, req, key);
  }

  absl::StatusOr<v1::Invitation> Invite(const std::string& email,
                                        const std::string& role,
                                        const std::string& key = kAdminKey) {
    v1::CreateInvitationRequest req;
    req.set_parent(kOrg);
    req.mutable_invitation()->set_email(email);
    req.mutable_invitation()->set_role(role);
    return Call(&v1::ControlPlane::Stub::CreateInvitation, req, key);
  }

  // The secret of the new member's key.
  absl::StatusOr<std::string> Accept(const v1::Invitation& inv) {
    v1::AcceptInvitationRequest req;
    req.set_name(inv.name());
    req.set_token(inv.token());
    COVE_ASSIGN_OR_RETURN(
        auto resp, Call(&v1::ControlPlane::Stub::AcceptInvitation, req, ""));
    return resp.api_key().secret();
  }

  absl::StatusOr<std::set<std::string>> Allowed(
      const std::string& key, const std::string& resource,
      std::vector<std::string> actions = AllActions()) {
    v1::TestPermissionsRequest req;
    req.set_resource(resource);
    for (const std::string& a : actions) req.add_actions(a);
    COVE_ASSIGN_OR_RETURN(
        auto resp, Call(&v1::ControlPlane::Stub::TestPermissions, req, key));
    return std::set<std::string>(resp.allowed_actions().begin(),
                                 resp.allowed_actions().end());
  }

  // What `key` may do on each resource of the probe set.
  using Perms = std::map<std::string, std::set<std::string>>;
  absl::StatusOr<Perms> Measure(const std::string& key) {
    static const std::vector<std::string> probes = {
        kOrg,
        kP1,
        kP2,
        std::string(kP1) + "/environments/env1",
        kC1,
        std::string(kP1) + "/clusters/cl2",
        kC3,
        std::string(kP1) + "/clusters/x-new",
        std::string(kP2) + "/clusters/cl1",
        std::string(kC1) + "/backups/b1",
        std::string(kC3) + "/backups/x-new",
        std::string(kOrg) + "/projects/x-new",
        std::string(kOrg) + "/projects/x-new/clusters/cl2",
    };
    Perms out;
    for (const std::string& r : probes) {
      COVE_ASSIGN_OR_RETURN(out[r], Allowed(key, r));
    }
    return out;
  }

  // `after` minus `before` is within `granter`: the grantee gained nothing
  // that the granter lacks.
  static void ExpectGainWithin(const Perms& before, const Perms& after,
                               const Perms& granter, const std::string& what) {
    for (const auto& [r, actions] : after) {
      for (const std::string& a : actions) {
        if (before.count(r) != 0 && before.at(r).count(a) != 0) continue;
        EXPECT_EQ(granter.at(r).count(a), 1u)
            << what << ": the grantee gained " << a << " on " << r
            << " that the granter does not hold";
      }
    }
  }

  v1::Organization org_;
  int roles_ = 0;
};

// A role that grants `action` and little else, for the probes' own keys.
v1::Role OnlyAllows(const std::string& action,
                    v1::Role::Level level = v1::Role::PROJECT) {
  v1::Role r;
  r.set_level(level);
  v1::Statement* st = r.add_statements();
  st->set_effect(v1::Statement::ALLOW);
  st->add_actions(action);
  return r;
}

TEST_F(GrantRuleTest, EveryGrantIsWithinTheGrantersPermissionsOrDenied) {
  Generator gen(1306);
  const std::vector<std::string> org_roles = {
      "roles/organization.owner", "roles/organization.billing_admin",
      "roles/organization.member"};
  const std::vector<std::string> project_roles = {"roles/project.admin",
                                                  "roles/project.read_write",
                                                  "roles/project.read_only"};
  const std::vector<std::string> project_scopes = {kOrg, kP1, kP2, kC1, kC3};
  // The probe principal of bindings and role edits: a key that may only
  // read the organization.
  ASSERT_OK_AND_ASSIGN(
      v1::Role probe_role,
      MakeRole(OnlyAllows("organizations.get", v1::Role::ORGANIZATION)));
  enum Kind { kKey, kBinding, kInvitation, kMember, kRoleEdit };
  static const char* kKindAction[] = {"apiKeys.create", "roleBindings.create",
                                      "invitations.create", "members.update",
                                      "roles.update"};
  std::map<std::string, int> outcomes;
  const int kCases = 400;
  for (int c = 0; c < kCases; ++c) {
    SCOPED_TRACE(absl::StrCat("case ", c));
    const Kind kind = static_cast<Kind>(gen.Uniform(5));
    // The granter: a random custom role (usually allowed to make this kind
    // of grant), or a built-in one, on a random scope, plus 0..2 bindings.
    const bool org_level =
        kind == kInvitation || kind == kMember || kind == kRoleEdit
            ? gen.Chance(0.8)
            : gen.Chance(0.3);
    std::string granter_role, granter_scope;
    if (gen.Chance(0.2)) {
      granter_role = org_level ? gen.Pick(org_roles) : gen.Pick(project_roles);
    } else {
      v1::Role r =
          gen.Role(org_level ? v1::Role::ORGANIZATION : v1::Role::PROJECT,
                   gen.Chance(0.85) ? kKindAction[kind] : "");
      // Often broad, so that some grants pass the rule.
      if (gen.Chance(0.5)) {
        v1::Statement* st = r.add_statements();
        st->set_effect(v1::Statement::ALLOW);
        st->add_actions(gen.Chance(0.5) ? "*" : "clusters.*");
        st->add_actions("projects.*");
      }
      ASSERT_OK_AND_ASSIGN(v1::Role made, MakeRole(r));
      granter_role = made.name();
    }
    granter_scope = org_level ? kOrg : gen.Pick(project_scopes);
    ASSERT_OK_AND_ASSIGN(v1::ApiKey granter,
                         MakeKey("acme", granter_role, granter_scope));
    const int extra = gen.Uniform(3);
    for (int i = 0; i < extra; ++i) {
      ASSERT_OK_AND_ASSIGN(v1::Role r, MakeRole(gen.Role(v1::Role::PROJECT)));
      ASSERT_OK(
          Bind(r.name(), granter.name(), gen.Pick(project_scopes)).status());
    }
    ASSERT_OK_AND_ASSIGN(Perms granter_perms, Measure(granter.secret()));

    // What is granted: a built-in or a random custom role, on a scope.
    const bool grant_org_level =
        kind == kInvitation || kind == kMember || gen.Chance(0.2);
    std::string role;
    if (gen.Chance(0.4)) {
      role = grant_org_level ? gen.Pick(org_roles) : gen.Pick(project_roles);
    } else {
      ASSERT_OK_AND_ASSIGN(
          v1::Role r, MakeRole(gen.Role(grant_org_level ? v1::Role::ORGANIZATION
                                                        : v1::Role::PROJECT)));
      role = r.name();
    }
    const std::string scope =
        grant_org_level ? std::string(kOrg) : gen.Pick(project_scopes);

    absl::Status status;
    Perms before, after;
    std::string holder_scope = scope;
    v1::Role edited_old, edited_new;
    switch (kind) {
      case kKey: {
        auto key = MakeKey("acme", role, scope, granter.secret());
        status = key.status();
        if (key.ok()) {
          ASSERT_OK_AND_ASSIGN(after, Measure(key->secret()));
        }
        break;
      }
      case kBinding: {
        ASSERT_OK_AND_ASSIGN(v1::ApiKey probe,
                             MakeKey("acme", probe_role.name(), kOrg));
        ASSERT_OK_AND_ASSIGN(before, Measure(probe.secret()));
        status = Bind(role, probe.name(), scope, granter.secret()).status();
        if (status.ok()) {
          ASSERT_OK_AND_ASSIGN(after, Measure(probe.secret()));
        }
        break;
      }
      case kInvitation: {
        auto inv = Invite(absl::StrCat("inv", c, "@example.com"), role,
                          granter.secret());
        status = inv.status();
        if (inv.ok()) {
          ASSERT_OK_AND_ASSIGN(std::string secret, Accept(*inv));
          ASSERT_OK_AND_ASSIGN(after, Measure(secret));
        }
        break;
      }
      case kMember: {
        const std::string email = absl::StrCat("m", c, "@example.com");
        ASSERT_OK_AND_ASSIGN(v1::Invitation inv,
                             Invite(email, "roles/organization.member"));
        ASSERT_OK_AND_ASSIGN(std::string secret, Accept(inv));
        ASSERT_OK_AND_ASSIGN(before, Measure(secret));
        v1::UpdateMemberRequest req;
        req.mutable_member()->set_name(absl::StrCat(kOrg, "/members/", email));
        req.mutable_member()->set_role(role);
        req.mutable_update_mask()->add_paths("role");
        status =
            Call(&v1::ControlPlane::Stub::UpdateMember, req, granter.secret())
                .status();
        if (status.ok()) {
          ASSERT_OK_AND_ASSIGN(after, Measure(secret));
        }
        break;
      }
      case kRoleEdit: {
        // A custom role held by a probe key; the granter rewrites it.
        ASSERT_OK_AND_ASSIGN(edited_old, MakeRole(gen.Role(v1::Role::PROJECT)));
        holder_scope = gen.Pick(project_scopes);
        ASSERT_OK_AND_ASSIGN(v1::ApiKey probe,
                             MakeKey("acme", probe_role.name(), kOrg));
        ASSERT_OK(Bind(edited_old.name(), probe.name(), holder_scope).status());
        ASSERT_OK_AND_ASSIGN(before, Measure(probe.secret()));
        edited_new = gen.Role(v1::Role::PROJECT);
        v1::UpdateRoleRequest req;
        req.mutable_role()->set_name(edited_old.name());
        *req.mutable_role()->mutable_statements() = edited_new.statements();
        req.mutable_update_mask()->add_paths("statements");
        status =
            Call(&v1::ControlPlane::Stub::UpdateRole, req, granter.secret())
                .status();
        if (status.ok()) {
          ASSERT_OK_AND_ASSIGN(after, Measure(probe.secret()));
        }
        break;
      }
    }
    const std::string what =
        absl::StrCat(kKindAction[kind], " of ", role, " on ", scope, " by ",
                     granter_role, " on ", granter_scope);
    if (status.ok()) {
      ++outcomes[std::string(kKindAction[kind]) + " ok"];
      ExpectGainWithin(before, after, granter_perms, what);
      continue;
    }
    ASSERT_EQ(status.code(), absl::StatusCode::kPermissionDenied)
        << what << ": " << status;
    ++outcomes[std::string(kKindAction[kind]) + " denied"];
    // The message names an action and a resource the granter lacks.
    static const std::regex kNamed(
        R"((?:may not use|the role allows|the role names) ([A-Za-z.]+) on '([^']*)')");
    std::smatch m;
    const std::string message(status.message());
    ASSERT_TRUE(std::regex_search(message, m, kNamed)) << message;
    const std::string action = m[1], resource = m[2];
    ASSERT_TRUE(IsKnownAction(action)) << message;
    ASSERT_OK_AND_ASSIGN(auto held,
                         Allowed(granter.secret(), resource, {action}));
    EXPECT_TRUE(held.empty())
        << what << ": the denial names " << action << " on " << resource
        << " which the granter holds: " << message;
    if (absl::StrContains(message, "the role allows")) {
      // And the grantee would have held it: the same grant by the admin.
      ASSERT_OK_AND_ASSIGN(v1::ApiKey same, MakeKey("acme", role, scope));
      ASSERT_OK_AND_ASSIGN(auto would,
                           Allowed(same.secret(), resource, {action}));
      EXPECT_EQ(would.count(action), 1u) << what << ": " << message;
    } else if (absl::StrContains(message, "the role names")) {
      EXPECT_TRUE(Names(edited_old, holder_scope, action, resource) ||
                  Names(edited_new, holder_scope, action, resource))
          << what << ": " << message;
    }
  }
  // Every kind both succeeds and is denied somewhere in the run.
  for (const char* a : kKindAction) {
    EXPECT_GT(outcomes[std::string(a) + " ok"], 0) << a;
    EXPECT_GT(outcomes[std::string(a) + " denied"], 0) << a;
  }
  for (const auto& [k, n] : outcomes) std::cout << k << ": " << n << "\n";
}

// ---- the reproductions of the issue -----------------------------------------

TEST_F(GrantRuleTest, KeyCreateOnlyRoleCannotMintProjectAdmin) {
  ASSERT_OK_AND_ASSIGN(v1::Role minter, MakeRole(OnlyAllows("apiKeys.create")));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key, MakeKey("acme", minter.name(), kP1));
  EXPECT_THAT(MakeKey("acme", "roles/project.admin", kP1, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("roles/project.admin"),
                             HasSubstr("does not hold"))));
  // A key of its own role is no escalation.
  EXPECT_THAT(MakeKey("acme", minter.name(), kP1, key.secret()), IsOk());
  // The denial is audited as such.
  auto events = Audit(kOrg, "actor=" + key.name() + " AND outcome=DENIED");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action(), "apiKeys.create");
}

TEST_F(GrantRuleTest, DenyCannotBeEscapedByMintingOrBinding) {
  v1::Role r;
  r.set_level(v1::Role::PROJECT);
  v1::Statement* allow = r.add_statements();
  allow->set_effect(v1::Statement::ALLOW);
  allow->add_actions("*");
  v1::Statement* deny = r.add_statements();
  deny->set_effect(v1::Statement::DENY);
  deny->add_actions("clusters.delete");
  ASSERT_OK_AND_ASSIGN(v1::Role no_delete, MakeRole(r));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key, MakeKey("acme", no_delete.name(), kP1));
  EXPECT_THAT(MakeKey("acme", "roles/project.admin", kP1, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("clusters.delete")));
  // Nor on a single cluster, nor by binding.
  EXPECT_THAT(MakeKey("acme", "roles/project.admin", kC1, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("clusters.delete")));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey other,
                       MakeKey("acme", "roles/project.read_only", kP1));
  EXPECT_THAT(Bind("roles/project.admin", other.name(), kP1, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("clusters.delete")));
  // What it holds it may pass on.
  ASSERT_OK_AND_ASSIGN(
      v1::ApiKey rw,
      MakeKey("acme", "roles/project.read_write", kP1, key.secret()));
  EXPECT_THAT(
      ClusterAction(&v1::ControlPlane::Stub::DeleteCluster, kC1, rw.secret()),
      StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Bind("roles/project.read_write", other.name(), kP1, key.secret()),
              IsOk());
  // Outside its scope it holds nothing.
  EXPECT_THAT(MakeKey("acme", "roles/project.read_only", kP2, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(GrantRuleTest, InvitationsAndMemberRolesFollowTheRule) {
  v1::Role r = OnlyAllows("invitations.create", v1::Role::ORGANIZATION);
  r.mutable_statements(0)->add_actions("members.update");
  r.mutable_statements(0)->add_actions("organizations.get");
  ASSERT_OK_AND_ASSIGN(v1::Role inviter_role, MakeRole(r));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey inviter,
                       MakeKey("acme", inviter_role.name(), kOrg));
  EXPECT_THAT(
      Invite("boss@example.com", "roles/organization.owner", inviter.secret()),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("roles/organization.owner")));
  // A role within its own is fine: its own.
  EXPECT_THAT(Invite("peer@example.com", inviter_role.name(), inviter.secret()),
              IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Invitation inv,
                       Invite("m@example.com", "roles/organization.member"));
  ASSERT_OK(Accept(inv).status());
  v1::UpdateMemberRequest up;
  up.mutable_member()->set_name(std::string(kOrg) + "/members/m@example.com");
  up.mutable_member()->set_role("roles/organization.owner");
  up.mutable_update_mask()->add_paths("role");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::UpdateMember, up, inviter.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("roles/organization.owner")));
}

TEST_F(GrantRuleTest, RoleEditsAndKeyReenablingFollowTheRule) {
  // A role held by a key; an editor that may update roles and read clusters.
  ASSERT_OK_AND_ASSIGN(v1::Role held, MakeRole(OnlyAllows("clusters.get")));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey holder, MakeKey("acme", held.name(), kP1));
  v1::Role e = OnlyAllows("roles.update", v1::Role::ORGANIZATION);
  e.mutable_statements(0)->add_actions("clusters.get");
  e.mutable_statements(0)->add_actions("apiKeys.update");
  ASSERT_OK_AND_ASSIGN(v1::Role editor_role, MakeRole(e));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey editor,
                       MakeKey("acme", editor_role.name(), kOrg));
  v1::UpdateRoleRequest up;
  up.mutable_role()->set_name(held.name());
  *up.mutable_role()->mutable_statements() =
      OnlyAllows("clusters.*").statements();
  up.mutable_update_mask()->add_paths("statements");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::UpdateRole, up, editor.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("clusters.create")));
  EXPECT_THAT(ClusterAction(&v1::ControlPlane::Stub::DeleteCluster, kC1,
                            holder.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Within what the editor holds, the edit goes through.
  *up.mutable_role()->mutable_statements() =
      OnlyAllows("clusters.get").statements();
  up.mutable_role()->mutable_statements(0)->add_resources("clusters/cl1");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::UpdateRole, up, editor.secret()),
              IsOk());

  // The owner disables an admin key; the editor may update keys but may not
  // enable that one again (it would give project.admin back).
  ASSERT_OK_AND_ASSIGN(v1::ApiKey admin_key,
                       MakeKey("acme", "roles/project.admin", kP1));
  v1::UpdateApiKeyRequest off;
  off.mutable_api_key()->set_name(admin_key.name());
  off.mutable_api_key()->set_enabled(false);
  off.mutable_update_mask()->add_paths("enabled");
  ASSERT_OK(
      Call(&v1::ControlPlane::Stub::UpdateApiKey, off, kAdminKey).status());
  v1::UpdateApiKeyRequest on = off;
  on.mutable_api_key()->set_enabled(true);
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::UpdateApiKey, on, editor.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("roles/project.admin")));
  // Disabling needs no more than apiKeys.update.
  ASSERT_OK_AND_ASSIGN(v1::ApiKey mine, MakeKey("acme", held.name(), kP1));
  off.mutable_api_key()->set_name(mine.name());
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::UpdateApiKey, off, editor.secret()),
              IsOk());
}

TEST_F(GrantRuleTest, RemovingADenyBindingNeedsTheDeniedActions) {
  // A project admin restricted by a binding that denies deletes.
  ASSERT_OK_AND_ASSIGN(v1::ApiKey admin,
                       MakeKey("acme", "roles/project.admin", kP1));
  v1::Role d;
  d.set_level(v1::Role::PROJECT);
  v1::Statement* st = d.add_statements();
  st->set_effect(v1::Statement::DENY);
  st->add_actions("clusters.delete");
  ASSERT_OK_AND_ASSIGN(v1::Role deny_delete, MakeRole(d));
  ASSERT_OK_AND_ASSIGN(v1::RoleBinding binding,
                       Bind(deny_delete.name(), admin.name(), kP1));
  EXPECT_THAT(ClusterAction(&v1::ControlPlane::Stub::DeleteCluster, kC1,
                            admin.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A key that may manage bindings but not delete clusters may not lift it.
  v1::Role m = OnlyAllows("roleBindings.*");
  ASSERT_OK_AND_ASSIGN(v1::Role manager_role, MakeRole(m));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey manager,
                       MakeKey("acme", manager_role.name(), kP1));
  v1::DeleteRequest del;
  del.set_name(binding.name());
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::DeleteRoleBinding, del, manager.secret()),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("clusters.delete")));
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::DeleteRoleBinding, del, kAdminKey),
              IsOk());
}

}  // namespace
}  // namespace cove::cloud::testing
