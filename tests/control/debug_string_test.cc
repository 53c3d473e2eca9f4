// Secrets are never printed (issue 13, item 6): a property over every public
// control-plane type that holds a secret or contains one. For random values
// of every field (secrets random too, or empty), the debug form
// (operator<<, DebugString, and gtest's printer, which failure messages
// use) never contains a secret and shows "<redacted>" in its place, while
// the other fields are there and explicit field access returns the secret.
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "cove/control_types.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cove::control {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  // A random visible value (with characters that need escaping now and
  // then).
  std::string Text(const char* prefix) {
    static const char kChars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/.";
    std::string s = prefix;
    for (int i = 0; i < 16; ++i) s += kChars[rng_() % (sizeof(kChars) - 1)];
    if (rng_() % 4 == 0) s += "\"\n\\";
    return s;
  }
  // A secret (empty in a quarter of the cases), remembered.
  std::string Secret() {
    if (rng_() % 4 == 0) return "";
    std::string s = "S3CR3T-" + Text("");
    secrets_.push_back(s);
    return s;
  }
  Timestamp Time() {
    return Timestamp(std::chrono::seconds(rng_() % 2000000000));
  }
  int64_t Int() { return static_cast<int64_t>(rng_() % 100000); }

  Cluster MakeCluster() {
    Cluster c;
    c.name = Text("organizations/o/projects/p/clusters/");
    c.display_name = Text("");
    c.environment = Text("");
    c.state = ClusterState::kRunning;
    c.cu_type = Text("");
    c.cu_size = static_cast<int32_t>(Int());
    c.labels[Text("k")] = Text("v");
    c.endpoint = Text("http://");
    c.metrics_endpoint = Text("http://");
    c.create_time = Time();
    c.state_message = Text("");
    c.admin_user = Text("");
    c.admin_password = Secret();
    c.encryption_key = Text("keys/");
    c.etag = Text("");
    return c;
  }
  Environment MakeEnvironment() {
    Environment e;
    e.name = Text("organizations/o/projects/p/environments/");
    e.bucket = Text("/");
    e.role_arn = Text("arn:");
    e.external_id = Text("");
    e.subnet_ids = {Text(""), Text("")};
    e.agent_token = Secret();
    e.state_message = Text("");
    return e;
  }
  Invitation MakeInvitation() {
    Invitation i;
    i.name = Text("organizations/o/invitations/");
    i.email = Text("") + "@example.com";
    i.role = Text("roles/");
    i.token = Secret();
    return i;
  }
  ApiKey MakeApiKey() {
    ApiKey k;
    k.name = Text("organizations/o/apiKeys/");
    k.display_name = Text("");
    k.scope = Text("");
    k.role = Text("");
    k.owner = Text("");
    k.secret = Secret();
    return k;
  }
  Operation MakeOperation() {
    Operation op;
    op.name = Text("operations/");
    op.verb = Text("");
    op.target = Text("");
    op.error_message = Text("");
    if (rng_() % 2) op.cluster = MakeCluster();
    if (rng_() % 2) op.environment = MakeEnvironment();
    return op;
  }

  const std::vector<std::string>& secrets() const { return secrets_; }

 private:
  std::mt19937_64 rng_;
  std::vector<std::string> secrets_;
};

// One case: the text of a value and the visible values it must show.
struct Printed {
  std::string what;
  std::vector<std::string> texts;
  std::string visible;  // a non-secret value that must appear (escaped)
};

template <typename T>
Printed Print(const char* what, const T& v, const std::string& visible) {
  std::ostringstream os;
  os << v;
  return {what,
          {os.str(), DebugString(v), ::testing::PrintToString(v)},
          absl::CHexEscape(visible)};
}

TEST(DebugStringTest, SecretsAreNeverPrintedForAnyValue) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Gen g(seed);
    std::vector<Printed> cases;
    Cluster c = g.MakeCluster();
    cases.push_back(Print("Cluster", c, c.name));
    Environment e = g.MakeEnvironment();
    cases.push_back(Print("Environment", e, e.bucket));
    Invitation inv = g.MakeInvitation();
    cases.push_back(Print("Invitation", inv, inv.email));
    ApiKey key = g.MakeApiKey();
    cases.push_back(Print("ApiKey", key, key.name));
    Operation op = g.MakeOperation();
    cases.push_back(
        Print("Operation", op, op.cluster ? op.cluster->name : op.name));
    AcceptInvitationRequest accept{g.Text("organizations/o/invitations/"),
                                   g.Secret()};
    cases.push_back(Print("AcceptInvitationRequest", accept, accept.name));
    AcceptInvitationResult accepted;
    accepted.member.name = g.Text("organizations/o/members/");
    accepted.api_key = g.MakeApiKey();
    cases.push_back(
        Print("AcceptInvitationResult", accepted, accepted.api_key.name));
    CreateInvitationRequest ci;
    ci.parent = g.Text("organizations/");
    ci.invitation = g.MakeInvitation();
    cases.push_back(Print("CreateInvitationRequest", ci, ci.invitation.email));
    CreateEnvironmentRequest ce;
    ce.parent = g.Text("organizations/o/projects/");
    ce.environment = g.MakeEnvironment();
    cases.push_back(
        Print("CreateEnvironmentRequest", ce, ce.environment.bucket));
    CreateClusterRequest cc;
    cc.parent = g.Text("organizations/o/projects/");
    cc.cluster = g.MakeCluster();
    cases.push_back(Print("CreateClusterRequest", cc, cc.cluster.name));
    RestoreBackupRequest rb;
    rb.name = g.Text("organizations/o/projects/p/clusters/c/backups/");
    rb.cluster = g.MakeCluster();
    cases.push_back(Print("RestoreBackupRequest", rb, rb.cluster.name));
    CreateApiKeyRequest ck;
    ck.parent = g.Text("organizations/");
    ck.api_key = g.MakeApiKey();
    cases.push_back(Print("CreateApiKeyRequest", ck, ck.api_key.name));
    Page<Cluster> page;
    page.items = {g.MakeCluster(), g.MakeCluster()};
    cases.push_back(Print("Page<Cluster>", page, page.items[1].name));
    Page<Operation> ops;
    ops.items = {g.MakeOperation()};
    cases.push_back(Print("Page<Operation>", ops, ops.items[0].name));
    ControlOptions options;
    options.endpoint = g.Text("https://");
    options.api_key = g.Secret();
    options.ca_cert_pem = g.Text("-----BEGIN CERTIFICATE-----");
    cases.push_back(Print("ControlOptions", options, options.endpoint));

    for (const Printed& p : cases) {
      for (const std::string& text : p.texts) {
        SCOPED_TRACE(p.what + " (seed " + std::to_string(seed) + ")");
        EXPECT_THAT(text, HasSubstr(p.visible));
        for (const std::string& secret : g.secrets()) {
          EXPECT_THAT(text, Not(HasSubstr(secret)));
          // Not even escaped, nor a prefix of it.
          EXPECT_THAT(text, Not(HasSubstr(secret.substr(0, 12))));
        }
      }
    }
    // Redacted, not dropped; explicit access still returns the secret.
    if (!c.admin_password.empty()) {
      EXPECT_THAT(DebugString(c), HasSubstr("admin_password: <redacted>"));
      EXPECT_EQ(c.admin_password.rfind("S3CR3T-", 0), 0u);
    } else {
      EXPECT_THAT(DebugString(c), HasSubstr("admin_password: \"\""));
    }
  }
}

}  // namespace
}  // namespace cove::control
