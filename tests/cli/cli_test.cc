// Unit tests of the `cove` CLI helpers: exit codes, error lines, parsing of
// durations, times, labels and endpoints, the config file (mode 0600,
// insecure files refused), and the JSON and table output.
#include "cli/cli.h"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
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
  EXPECT_EQ(keys, (std::vector<std::string>{"name",
                                            "display_name",
                                            "environment",
                                            "state",
                                            "cu_type",
                                            "cu_size",
                                            "replicas",
                                            "labels",
                                            "endpoint",
                                            "create_time",
                                            "update_time",
                                            "delete_time",
                                            "purge_time",
                                            "etag",
                                            "state_message",
                                            "admin_user",
                                            "admin_password",
                                            "capacity_vectors",
                                            "used_vectors",
                                            "autoscaling",
                                            "metrics_endpoint",
                                            "encryption_key",
                                            "encryption_key_id",
                                            "backup_policy",
                                            "idle_timeout_seconds",
                                            "idle_time",
                                            "ip_access_list",
                                            "private_endpoint_enabled",
                                            "public_endpoint_disabled",
                                            "private_endpoint",
                                            "version",
                                            "available_upgrades",
                                            "maintenance_window",
                                            "scheduled_upgrade"}));
  EXPECT_EQ(j["state"], "RUNNING");
  EXPECT_EQ(j["cu_size"], 2);
  EXPECT_EQ(j["create_time"], "2025-12-03T11:45:01Z");
  EXPECT_TRUE(j["delete_time"].is_null());
  EXPECT_EQ(j["labels"]["k"], "v");
  EXPECT_EQ(j["autoscaling"]["schedules"], Json::array());

  control::Operation op;
  op.name = "operations/1";
  op.error_code = absl::StatusCode::kNotFound;
  op.cluster = c;
  Json o = ToJson(op);
  EXPECT_EQ(o["error_code"], "NOT_FOUND");
  EXPECT_EQ(o["cluster"]["name"], c.name);
  EXPECT_TRUE(o["environment"].is_null());
  EXPECT_TRUE(o["backup"].is_null());
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

// Terminal escape injection (issue 13, item 7): whatever a name holds, a
// table shows one line per row and no control sequence reaches the terminal.
TEST(Output, TablesEscapeWhatIsNotPrintable) {
  const std::string forged = "prod\x1b[2J\r\nfake-cluster  RUNNING";
  std::ostringstream table;
  PrintTable(
      table, {{"name", "name"}, {"display", "display_name"}},
      {Json{{"name", "a"}, {"display_name", forged}},
       Json{{"name", "b"},
            {"display_name",
             "\xE2\x80\xAE"
             "evil\x9B"
             "31m \xff tab\tend"}},
       Json{{"name", "c"}, {"display_name", "équipe 検索 back\\slash"}}});
  const std::string out = table.str();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4) << out;
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_EQ(out.find('\t'), std::string::npos);
  EXPECT_EQ(out.find("\xE2\x80\xAE"), std::string::npos);
  EXPECT_EQ(out.find("\xC2\x9B"), std::string::npos);
  EXPECT_THAT(out, HasSubstr("prod\\x1B[2J\\x0D\\x0Afake-cluster  RUNNING"));
  EXPECT_THAT(out, HasSubstr("\\u202Eevil\\x9B31m \\xFF tab\\x09end"));
  // Unicode text stays; a backslash is doubled so that no escape is forged;
  // columns align on characters, not bytes.
  EXPECT_THAT(out, HasSubstr("c     équipe 検索 back\\\\slash"));
  // Map keys and values, details and error lines too.
  EXPECT_EQ(Cell(Json{{"k\x1b", "v\r"}}), "k\\x1B=v\\x0D");
  std::ostringstream details;
  PrintDetails(details, Json{{"display_name", forged}});
  EXPECT_EQ(details.str(),
            "display_name:  prod\\x1B[2J\\x0D\\x0Afake-cluster  RUNNING\n");
  EXPECT_EQ(ErrorLine(absl::InvalidArgumentError("bad '\x1b[2J'"), ""),
            "cove: error: bad '\\x1B[2J' (INVALID_ARGUMENT)");
}

TEST(Confirm, AsksOnATerminalAndNeedsYesOtherwise) {
  MutationFlags flags;
  std::istringstream none;
  std::ostringstream err;
  // Not destructive: nothing to ask.
  EXPECT_THAT(Confirm(flags, "create x", false, none, err), IsOk());
  flags.destructive = true;
  // No terminal: refused, naming --yes; nothing asked.
  EXPECT_THAT(Confirm(flags, "delete x", false, none, err),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--yes")));
  EXPECT_EQ(err.str(), "");
  // A terminal: y or yes go on; anything else (or nothing) cancels.
  for (const char* answer : {"y\n", "yes\n", " Y \n"}) {
    std::istringstream in(answer);
    std::ostringstream asked;
    EXPECT_THAT(Confirm(flags, "delete x", true, in, asked), IsOk()) << answer;
    EXPECT_EQ(asked.str(), "cove: delete x? [y/N] ");
  }
  for (const char* answer : {"n\n", "\n", "", "yess\n"}) {
    std::istringstream in(answer);
    std::ostringstream asked;
    EXPECT_THAT(
        Confirm(flags, "delete x", true, in, asked),
        StatusIs(absl::StatusCode::kCancelled, HasSubstr("nothing was done")))
        << answer;
  }
  // The question never writes control characters to the terminal.
  std::istringstream in("n\n");
  std::ostringstream asked;
  (void)Confirm(flags, "delete a\x1b[2Jb", true, in, asked);
  EXPECT_EQ(asked.str().find('\x1b'), std::string::npos);
  // --yes skips the question.
  flags.yes = true;
  EXPECT_THAT(Confirm(flags, "delete x", false, none, err), IsOk());
}

TEST(Parse, WholeNumbersNameTheRange) {
  CLI::Validator v = WholeNumber(0, 2147483647);
  for (std::string ok : {"0", "7", "2147483647"}) EXPECT_EQ(v(ok), "") << ok;
  for (std::string bad : {"-1", "abc", "1e9", "2147483648", "", "3.5"}) {
    EXPECT_EQ(v(bad), "expected a whole number from 0 to 2147483647, got '" +
                          bad + "'");
  }
}

TEST(Parse, Schedule) {
  auto s = ParseSchedule("0 9 * * 1-5|Europe/Paris|8|600");
  ASSERT_THAT(s.status(), IsOk());
  EXPECT_EQ(s->cron, "0 9 * * 1-5");
  EXPECT_EQ(s->time_zone, "Europe/Paris");
  EXPECT_EQ(s->min_cu_size, 8);
  EXPECT_EQ(s->duration_minutes, 600);
  // The zone may be empty (UTC), the minutes left out (the default).
  s = ParseSchedule("*/15 * * * *||4");
  ASSERT_THAT(s.status(), IsOk());
  EXPECT_EQ(s->time_zone, "");
  EXPECT_EQ(s->min_cu_size, 4);
  EXPECT_EQ(s->duration_minutes, 0);
  for (const char* bad :
       {"0 9 * * *", "0 9 * * *|UTC", "|UTC|8", "0 9 * * *|UTC|eight",
        "0 9 * * *|UTC|8|1h", "0 9 * * *|UTC|8|60|x"}) {
    EXPECT_THAT(ParseSchedule(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("--schedule")))
        << bad;
  }
}

TEST(Output, AutoscalingAndMetrics) {
  control::Cluster c;
  c.autoscaling.enabled = true;
  c.autoscaling.min_cu_size = 1;
  c.autoscaling.max_cu_size = 8;
  c.autoscaling.cool_down_seconds = 300;
  c.autoscaling.target_qps_per_replica = 2.5;
  c.autoscaling.schedules.push_back({"0 9 * * 1-5", "Europe/Paris", 8, 600});
  Json a = ToJson(c)["autoscaling"];
  std::vector<std::string> keys;
  for (auto it = a.begin(); it != a.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "enabled", "min_cu_size", "max_cu_size", "min_replicas",
                      "max_replicas", "scale_up_fill_percent",
                      "scale_down_fill_percent", "cool_down_seconds",
                      "target_qps_per_replica", "schedules"}));
  EXPECT_EQ(a["cool_down_seconds"], 300);
  EXPECT_EQ(a["target_qps_per_replica"], 2.5);
  EXPECT_EQ(a["schedules"][0]["time_zone"], "Europe/Paris");
  EXPECT_EQ(a["schedules"][0]["duration_minutes"], 600);
  std::ostringstream details;
  PrintDetails(details, ToJson(c));
  EXPECT_THAT(details.str(), HasSubstr("autoscaling.max_cu_size:"));
  EXPECT_THAT(details.str(), HasSubstr("autoscaling.schedules[0].cron:"));

  control::ClusterMetrics m;
  m.cluster = "organizations/a/projects/p/clusters/c";
  m.serving = true;
  m.window_seconds = 60;
  m.qps = 1.0 / 3;
  m.requests = 20;
  m.vector_count = 5;
  m.capacity_vectors = 10000;
  m.cu_usage = 0.0005;
  control::RequestKindMetrics k;
  k.kind = "search";
  k.requests = 20;
  k.errors = 2;
  k.qps = 1.0 / 3;
  k.latency_p99_ms = 2.5;
  m.kinds.push_back(k);
  Json j = ToJson(m);
  EXPECT_EQ(j["kinds"][0]["kind"], "search");
  EXPECT_EQ(j["kinds"][0]["errors"], 2);
  EXPECT_DOUBLE_EQ(j["qps"].get<double>(), 1.0 / 3);
  EXPECT_TRUE(j["time"].is_null());
  std::ostringstream text;
  PrintMetrics(text, j);
  EXPECT_THAT(text.str(), HasSubstr("qps:"));
  EXPECT_THAT(text.str(), HasSubstr("0.333\n"));
  EXPECT_THAT(text.str(), HasSubstr("cu_usage:"));
  EXPECT_THAT(text.str(), HasSubstr("0.05%"));
  EXPECT_THAT(text.str(), Not(HasSubstr("kinds")));
  EXPECT_THAT(text.str(), HasSubstr("KIND    REQUESTS  ERRORS  QPS"));
  EXPECT_THAT(text.str(), HasSubstr("search  20        2       0.333"));
}

TEST(Parse, BackupName) {
  int project_calls = 0;
  auto project = [&]() -> absl::StatusOr<std::string> {
    ++project_calls;
    return std::string("organizations/a/projects/p");
  };
  const std::string full = "organizations/a/projects/p/clusters/c/backups/b";
  EXPECT_EQ(*BackupName(full, "", project), full);
  EXPECT_EQ(project_calls, 0);
  EXPECT_EQ(*BackupName("c/b", "", project), full);
  EXPECT_EQ(*BackupName("b", "c", project), full);
  EXPECT_EQ(*BackupName("b", "organizations/a/projects/p/clusters/c", project),
            full);
  EXPECT_THAT(
      BackupName("b", "", project),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--cluster")));
  for (const char* bad : {"", "a/b/c", "/b", "c/", "organizations/a/x"}) {
    EXPECT_THAT(
        BackupName(bad, "", project),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("BACKUP")))
        << bad;
  }
  EXPECT_THAT(BackupName("c/b", "c", project),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The project's own error is passed on.
  auto no_project = []() -> absl::StatusOr<std::string> {
    return absl::InvalidArgumentError("--project: none");
  };
  EXPECT_THAT(
      BackupName("c/b", "", no_project),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--project")));
}

TEST(Parse, BackupPolicy) {
  auto p = ParseBackupPolicy("6h", 3, "7d", false);
  ASSERT_THAT(p.status(), IsOk());
  EXPECT_TRUE(p->enabled);
  EXPECT_EQ(p->interval, milliseconds(6 * 3600 * 1000));
  EXPECT_EQ(p->retention_count, 3);
  EXPECT_EQ(p->retention, milliseconds(7LL * 86400 * 1000));
  p = ParseBackupPolicy("1m", 0, "", false);
  ASSERT_THAT(p.status(), IsOk());
  EXPECT_EQ(p->retention, milliseconds(0));
  p = ParseBackupPolicy("", 0, "", true);
  ASSERT_THAT(p.status(), IsOk());
  EXPECT_FALSE(p->enabled);
  EXPECT_THAT(
      ParseBackupPolicy("", 0, "", false),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--every")));
  for (const char* bad : {"soon", "59s", "90.5s", "-1h"}) {
    EXPECT_THAT(
        ParseBackupPolicy(bad, 0, "", false),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--every")))
        << bad;
  }
  EXPECT_THAT(
      ParseBackupPolicy("1h", -1, "", false),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--keep")));
  EXPECT_THAT(
      ParseBackupPolicy("1h", 0, "later", false),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--max-age")));
  EXPECT_THAT(ParseBackupPolicy("1h", 0, "", true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--off")));
}

TEST(Output, BackupJson) {
  control::Backup b;
  b.name = "organizations/a/projects/p/clusters/c/backups/b";
  b.state = control::BackupState::kReady;
  b.collections = {"docs", "db1.items"};
  b.row_count = 7;
  Json j = ToJson(b);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "name", "cluster", "state", "state_message",
                      "collections", "size_bytes", "row_count", "create_time",
                      "expire_time", "encrypted", "encryption_key", "location",
                      "scheduled", "etag", "environment"}));
  EXPECT_EQ(j["state"], "READY");
  EXPECT_EQ(j["collections"], (Json{"docs", "db1.items"}));
  EXPECT_TRUE(j["expire_time"].is_null());
  EXPECT_EQ(BackupStateName(control::BackupState::kDeleting), "DELETING");

  control::BackupPolicy p;
  p.enabled = true;
  p.interval = std::chrono::hours(6);
  p.retention = milliseconds(1500);
  Json pj = ToJson(p);
  EXPECT_EQ(pj["interval"], "21600s");
  EXPECT_EQ(pj["retention"], "1.500s");
  EXPECT_TRUE(pj["next_backup_time"].is_null());

  control::Operation op;
  op.backup = b;
  EXPECT_EQ(ToJson(op)["backup"]["name"], b.name);
}

}  // namespace
}  // namespace cove::cli
