// Unit tests of the `cove` CLI helpers: exit codes, error lines, parsing of
// durations, times, labels and endpoints, the config file (mode 0600,
// insecure files refused), and the JSON and table output.
#include "cli/cli.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::cli {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ExitCodes, OneCodePerFamily) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("x")), 1);
  EXPECT_EQ(ExitCodeFor(absl::UnknownError("x")), 1);
  EXPECT_EQ(ExitCodeFor(absl::DataLossError("x")), 1);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::OutOfRangeError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), 3);
  EXPECT_EQ(ExitCodeFor(absl::AlreadyExistsError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::AbortedError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::PermissionDeniedError("x")), 5);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("x")), 5);
  EXPECT_EQ(ExitCodeFor(absl::FailedPreconditionError("x")), 6);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("x")), 7);
  EXPECT_EQ(ExitCodeFor(absl::DeadlineExceededError("x")), 7);
  EXPECT_EQ(ExitCodeFor(absl::ResourceExhaustedError("x")), 8);
  EXPECT_EQ(ExitCodeFor(absl::CancelledError("x")), 9);
  EXPECT_EQ(ExitCodeFor(absl::UnimplementedError("x")), 10);
}

TEST(ErrorLine, OneLineWithCodeAndNoSecret) {
  std::string line = ErrorLine(
      absl::UnauthenticatedError("key cove_k1_SECRETSECRET\nis not valid"),
      "cove_k1_SECRETSECRET");
  EXPECT_EQ(line, "cove: error: key <redacted> is not valid (UNAUTHENTICATED)");
  EXPECT_EQ(ErrorLine(absl::NotFoundError("cluster 'x' not found"), ""),
            "cove: error: cluster 'x' not found (NOT_FOUND)");
}

TEST(ParseDuration, UnitsAndPlainSeconds) {
  EXPECT_EQ(*ParseDuration("90s", "--t"), milliseconds(90000));
  EXPECT_EQ(*ParseDuration("10m", "--t"), milliseconds(600000));
  EXPECT_EQ(*ParseDuration("1h30m", "--t"), milliseconds(5400000));
  EXPECT_EQ(*ParseDuration("500ms", "--t"), milliseconds(500));
  EXPECT_EQ(*ParseDuration("2d", "--t"), milliseconds(172800000));
  EXPECT_EQ(*ParseDuration("1.5", "--t"), milliseconds(1500));
  EXPECT_EQ(*ParseDuration("0.25s", "--t"), milliseconds(250));
  for (const char* bad : {"", "soon", "10x", "m", "-5", "5m-", "1e99d"}) {
    EXPECT_THAT(
        ParseDuration(bad, "--timeout"),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--timeout")))
        << bad;
  }
}

TEST(ParseTime, Rfc3339AndRelative) {
  auto t = ParseTime("2026-12-03T11:45:01Z", "--since");
  ASSERT_THAT(t.status(), IsOk());
  EXPECT_EQ(FormatTime(*t), "2026-12-03T11:45:01Z");
  auto frac = ParseTime("2026-12-03T11:45:01.250Z", "--since");
  ASSERT_THAT(frac.status(), IsOk());
  EXPECT_EQ(FormatTime(*frac), "2026-12-03T11:45:01.250Z");
  auto offset = ParseTime("2026-12-03T13:45:01+02:00", "--since");
  ASSERT_THAT(offset.status(), IsOk());
  EXPECT_EQ(*offset, *t);

  auto now = std::chrono::system_clock::now();
  auto ago = ParseTime("1h", "--since");
  ASSERT_THAT(ago.status(), IsOk());
  EXPECT_LT(*ago, now - std::chrono::minutes(59));
  EXPECT_GT(*ago, now - std::chrono::minutes(61));
  auto ahead = ParseTime("+7d", "--expire");
  ASSERT_THAT(ahead.status(), IsOk());
  EXPECT_GT(*ahead, now + std::chrono::hours(24 * 7 - 1));

  for (const char* bad : {"yesterday", "2026-12-03", "2026-12-03T11:45:01",
                          "2026-12-03T11:45:01Zjunk", "2026-13-45T99:00:00Z"}) {
    EXPECT_THAT(
        ParseTime(bad, "--since"),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--since")))
        << bad;
  }
}

TEST(ParseLabels, KeyValue) {
  auto labels = ParseLabels({"a=1", "b=x=y", "c="}, "--label");
  ASSERT_THAT(labels.status(), IsOk());
  EXPECT_EQ(labels->at("a"), "1");
  EXPECT_EQ(labels->at("b"), "x=y");
  EXPECT_EQ(labels->at("c"), "");
  EXPECT_THAT(ParseLabels({"novalue"}, "--label"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--label: expected KEY=VALUE")));
  EXPECT_THAT(ParseLabels({"=v"}, "--label"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NormalizeEndpoint, SchemeFromTls) {
  EXPECT_EQ(NormalizeEndpoint("127.0.0.1:7443", false),
            "http://127.0.0.1:7443");
  EXPECT_EQ(NormalizeEndpoint("127.0.0.1:7443", true),
            "https://127.0.0.1:7443");
  EXPECT_EQ(NormalizeEndpoint("https://h:1", false), "https://h:1");
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cove-cli-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "sub" / "config.json").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static int Mode(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return -1;
    return st.st_mode & 07777;
  }
  void Write(const std::string& text, mode_t mode) {
    std::filesystem::create_directories(dir_ / "sub");
    std::ofstream(path_) << text;
    ::chmod(path_.c_str(), mode);
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ConfigTest, MissingFileIsEmpty) {
  auto config = LoadConfig(path_);
  ASSERT_THAT(config.status(), IsOk());
  EXPECT_TRUE(config->profiles.empty());
}

TEST_F(ConfigTest, SaveCreates0600FileIn0700DirectoryAndRoundTrips) {
  ::umask(022);
  Config config;
  config.profiles["default"].endpoint = "http://127.0.0.1:1";
  config.profiles["default"].api_key = "cove_k_secret";
  config.profiles["ci"].organization = "acme";
  config.profiles["ci"].project = "search";
  config.profiles["ci"].tls_ca = "/etc/ca.pem";
  ASSERT_THAT(SaveConfig(path_, config), IsOk());
  EXPECT_EQ(Mode(path_), 0600);
  EXPECT_EQ(Mode((dir_ / "sub").string()), 0700);
  auto loaded = LoadConfig(path_);
  ASSERT_THAT(loaded.status(), IsOk());
  EXPECT_EQ(loaded->profiles.at("default").endpoint, "http://127.0.0.1:1");
  EXPECT_EQ(loaded->profiles.at("default").api_key, "cove_k_secret");
  EXPECT_EQ(loaded->profiles.at("ci").organization, "acme");
  EXPECT_EQ(loaded->profiles.at("ci").project, "search");
  EXPECT_EQ(loaded->profiles.at("ci").tls_ca, "/etc/ca.pem");

  // Saving again over a file keeps 0600 and leaves no temporary file.
  loaded->profiles.at("default").api_key.clear();
  ASSERT_THAT(SaveConfig(path_, *loaded), IsOk());
  EXPECT_EQ(Mode(path_), 0600);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "sub")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
  EXPECT_TRUE(LoadConfig(path_)->profiles.at("default").api_key.empty());
}

TEST_F(ConfigTest, RefusesFilesReadableByOthers) {
  Write(R"({"profiles": {"default": {"api_key": "k"}}})", 0644);
  EXPECT_THAT(LoadConfig(path_), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("permissions 0644")));
  EXPECT_THAT(LoadConfig(path_), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("chmod 600")));
  ::chmod(path_.c_str(), 0660);
  EXPECT_THAT(LoadConfig(path_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ::chmod(path_.c_str(), 0600);
  EXPECT_THAT(LoadConfig(path_).status(), IsOk());
  // The message never carries the file's content.
  ::chmod(path_.c_str(), 0604);
  EXPECT_THAT(LoadConfig(path_).status().message(), Not(HasSubstr("\"k\"")));
}

TEST_F(ConfigTest, MalformedFilesNameTheProblem) {
  Write("not json", 0600);
  EXPECT_THAT(LoadConfig(path_), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("not a JSON object")));
  Write(R"({"profiles": []})", 0600);
  EXPECT_THAT(LoadConfig(path_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("profiles: expected an object")));
  Write(R"({"profiles": {"p": {"endpoint": 7}}})", 0600);
  EXPECT_THAT(LoadConfig(path_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("profiles.p.endpoint: expected a string")));
  Write("", 0600);
  EXPECT_THAT(LoadConfig(path_).status(), IsOk());
}

TEST(ConfigPath, Precedence) {
  const char* home = std::getenv("HOME");
  const std::string saved_home = home == nullptr ? "" : home;
  EXPECT_EQ(*ConfigPath("/x/c.json"), "/x/c.json");
  ::setenv("COVE_CONFIG", "/env/c.json", 1);
  EXPECT_EQ(*ConfigPath(""), "/env/c.json");
  ::unsetenv("COVE_CONFIG");
  ::setenv("XDG_CONFIG_HOME", "/xdg", 1);
  EXPECT_EQ(*ConfigPath(""), "/xdg/cove/config.json");
  ::unsetenv("XDG_CONFIG_HOME");
  ::setenv("HOME", "/home/me", 1);
  EXPECT_EQ(*ConfigPath(""), "/home/me/.config/cove/config.json");
  ::unsetenv("HOME");
  EXPECT_THAT(ConfigPath(""), StatusIs(absl::StatusCode::kFailedPrecondition,
                                       HasSubstr("--config")));
  if (home != nullptr) ::setenv("HOME", saved_home.c_str(), 1);
}

TEST(Output, ClusterJsonHasStableFields) {
  control::Cluster c;
  c.name = "organizations/a/projects/p/clusters/c";
  c.state = control::ClusterState::kRunning;
  c.cu_size = 2;
  c.labels["k"] = "v";
  c.create_time = control::Timestamp() + std::chrono::seconds(1764762301);
  Json j = ToJson(c);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "name",         "display_name",   "environment",
                      "state",        "cu_type",        "cu_size",
                      "replicas",     "labels",         "endpoint",
                      "create_time",  "update_time",    "delete_time",
                      "purge_time",   "etag",           "state_message",
                      "admin_user",   "admin_password", "capacity_vectors",
                      "used_vectors", "autoscaling"}));
  EXPECT_EQ(j["state"], "RUNNING");
  EXPECT_EQ(j["cu_size"], 2);
  EXPECT_EQ(j["create_time"], "2025-12-03T11:45:01Z");
  EXPECT_TRUE(j["delete_time"].is_null());
  EXPECT_EQ(j["labels"]["k"], "v");

  control::Operation op;
  op.name = "operations/1";
  op.error_code = absl::StatusCode::kNotFound;
  op.cluster = c;
  Json o = ToJson(op);
  EXPECT_EQ(o["error_code"], "NOT_FOUND");
  EXPECT_EQ(o["cluster"]["name"], c.name);
  EXPECT_TRUE(o["environment"].is_null());
}

TEST(Output, TableAndDetails) {
  std::ostringstream table;
  PrintTable(table, {{"name", "name"}, {"state", "state"}},
             {Json{{"name", "a"}, {"state", "RUNNING"}},
              Json{{"name", "longer-name"}, {"state", nullptr}}});
  EXPECT_EQ(table.str(),
            "NAME         STATE\n"
            "a            RUNNING\n"
            "longer-name  -\n");
  EXPECT_EQ(Cell(Json::array({"a", "b"})), "a,b");
  EXPECT_EQ(Cell(Json{{"k", "v"}, {"x", "y"}}), "k=v,x=y");
  EXPECT_EQ(Cell(Json("")), "-");
  EXPECT_EQ(Cell(Json(true)), "true");

  control::ApiKey key;
  key.name = "organizations/a/apiKeys/k";
  std::ostringstream details;
  PrintDetails(details, ToJson(key));
  EXPECT_THAT(details.str(), HasSubstr("name:"));
  // An empty shown-once secret is left out.
  EXPECT_THAT(details.str(), Not(HasSubstr("secret")));
  key.secret = "cove_k_s";
  std::ostringstream with_secret;
  PrintDetails(with_secret, ToJson(key));
  EXPECT_THAT(with_secret.str(), HasSubstr("secret:"));
}

}  // namespace
}  // namespace cove::cli
