// The console's static files (console_routes.h): path resolution never
// leaves the console directory (a property over generated paths: "..",
// encoded dots, absolute paths, NUL and control bytes, backslashes,
// symbolic links out), content types, and the routes as HttpServer
// dispatches them.
#include "cloud/console_routes.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::cloud {
namespace {

namespace fs = std::filesystem;
using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Percent-decoding as an HTTP server applies it to a path (once).
std::string Decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && isxdigit(s[i + 1]) &&
        isxdigit(s[i + 2])) {
      out.push_back(
          static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

class ConsoleFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ =
        fs::temp_directory_path() /
        absl::StrCat(
            "cove-console-test-", ::getpid(), "-",
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    root_ = base_ / "console";
    Write(root_ / "index.html", "<!doctype html><title>t</title>");
    Write(root_ / "app.js", "export {};");
    Write(root_ / "app.css", "body{}");
    Write(root_ / "sub" / "x.svg", "<svg/>");
    Write(base_ / "secret.txt", "SECRET-OUTSIDE");
    Write(base_ / "console-evil" / "index.html", "SECRET-SIBLING");
    fs::create_symlink(base_ / "secret.txt", root_ / "link.txt");
    fs::create_directory_symlink(base_, root_ / "up");
    real_root_ = fs::canonical(root_).string();
  }
  void TearDown() override { fs::remove_all(base_); }

  fs::path base_, root_;
  std::string real_root_;
};

TEST_F(ConsoleFilesTest, ServesTheFilesOfTheDirectory) {
  auto index = ResolveConsolePath(root_.string(), "/");
  ASSERT_THAT(index, IsOk());
  EXPECT_EQ(*index, real_root_ + "/index.html");
  auto js = ResolveConsolePath(root_.string(), "/app.js");
  ASSERT_THAT(js, IsOk());
  EXPECT_EQ(*js, real_root_ + "/app.js");
  auto svg = ResolveConsolePath(root_.string(), "/sub/x.svg");
  ASSERT_THAT(svg, IsOk());
  EXPECT_EQ(*svg, real_root_ + "/sub/x.svg");
}

TEST_F(ConsoleFilesTest, RefusesWhatIsNotAFileInside) {
  const std::string r = root_.string();
  EXPECT_THAT(ResolveConsolePath(r, "/../secret.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveConsolePath(r, "/sub/../../secret.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveConsolePath(r, "app.js"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveConsolePath(r, std::string("/app.js\0.png", 12)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveConsolePath(r, "/..\\secret.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveConsolePath(r, "//etc/passwd"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Symbolic links that lead out, directories, missing files.
  EXPECT_THAT(ResolveConsolePath(r, "/link.txt"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ResolveConsolePath(r, "/up/secret.txt"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ResolveConsolePath(r, "/sub"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ResolveConsolePath(r, "/sub/"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveConsolePath(r, "/missing.js"),
              StatusIs(absl::StatusCode::kNotFound));
  // A sibling directory whose name starts like the root's.
  EXPECT_THAT(ResolveConsolePath(r, "/../console-evil/index.html"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// The property: whatever the path (raw, or percent-decoded once as the
// HTTP server does), the result is an error or a regular file inside the
// console directory, never one outside it.
TEST_F(ConsoleFilesTest, NoGeneratedPathLeavesTheDirectory) {
  const std::vector<std::string> pieces = {"..",
                                           ".",
                                           "%2e%2e",
                                           "%2E%2E",
                                           "%2e",
                                           ".%2e",
                                           "%252e%252e",
                                           "app.js",
                                           "index.html",
                                           "secret.txt",
                                           "sub",
                                           "x.svg",
                                           "",
                                           "link.txt",
                                           "up",
                                           "console-evil",
                                           "etc",
                                           "passwd",
                                           "\\..",
                                           "..\\..",
                                           "%00",
                                           std::string("a\0b", 3),
                                           "%2f",
                                           "%5c",
                                           "...",
                                           "....",
                                           "app.js%00.png",
                                           " ",
                                           "~",
                                           "%c0%ae%c0%ae",
                                           "\x01",
                                           "index.html/"};
  const std::vector<std::string> prefixes = {
      "/", "//", "", "/./", "/../", base_.string() + "/", real_root_ + "/"};
  std::mt19937 rng(20261206);
  int served = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string path = prefixes[rng() % prefixes.size()];
    int n = 1 + static_cast<int>(rng() % 5);
    for (int k = 0; k < n; ++k) {
      if (k > 0) path += (rng() % 7 == 0) ? "//" : "/";
      path += pieces[rng() % pieces.size()];
    }
    for (const std::string& p : {path, Decode(path)}) {
      auto file = ResolveConsolePath(root_.string(), p);
      if (!file.ok()) continue;
      ++served;
      ASSERT_TRUE(absl::StartsWith(*file, real_root_ + "/"))
          << "path " << p << " gave " << *file;
      std::error_code ec;
      ASSERT_TRUE(fs::is_regular_file(*file, ec)) << *file;
      ASSERT_EQ(fs::canonical(*file).string(), *file);
      ASSERT_FALSE(absl::StrContains(*file, "secret")) << p;
    }
  }
  // The generator also makes good paths ("/app.js", "/sub/x.svg").
  EXPECT_GT(served, 100);
}

TEST(ConsoleContentTypeTest, ByExtension) {
  EXPECT_EQ(ConsoleContentType("/a/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ConsoleContentType("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ConsoleContentType("APP.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(ConsoleContentType("f.svg"), "image/svg+xml");
  EXPECT_EQ(ConsoleContentType("shot.png"), "image/png");
  EXPECT_EQ(ConsoleContentType("x.bin"), "application/octet-stream");
}

TEST_F(ConsoleFilesTest, ConsoleDirMustHoldIndexHtml) {
  EXPECT_THAT(ResolveConsoleDir(root_.string()), IsOk());
  auto missing = ResolveConsoleDir((base_ / "nowhere").string());
  EXPECT_THAT(missing,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("index.html")));
  // The default finds the source tree's console/ from a build tree.
  auto found = ResolveConsoleDir("");
  ASSERT_THAT(found, IsOk());
  EXPECT_TRUE(fs::exists(fs::path(*found) / "app.js"));
}

TEST_F(ConsoleFilesTest, RoutesServeFilesAndRefuseTheRest) {
  HttpServer::Options http_options;
  http_options.listen_address = "127.0.0.1:0";
  auto http = HttpServer::Bind(http_options);
  ASSERT_THAT(http, IsOk());
  ConsoleOptions options;
  options.console_dir = root_.string();
  options.chartjs_file = (base_ / "chart.min.js").string();
  Write(options.chartjs_file, "/* chart */");
  RegisterConsole(nullptr, http->get(), options);
  auto get = [&](const std::string& path) {
    HttpRequest req;
    req.method = "GET";
    req.path = path;
    return (*http)->Dispatch(req);
  };
  HttpResponse index = get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(index.body, HasSubstr("<title>t</title>"));
  HttpResponse js = get("/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  HttpResponse chart = get("/vendor/chart.js");
  EXPECT_EQ(chart.status, 200);
  EXPECT_EQ(chart.body, "/* chart */");
  for (const char* bad :
       {"/../secret.txt", "/link.txt", "/up/secret.txt", "/nothing"}) {
    HttpResponse r = get(bad);
    EXPECT_EQ(r.status, 404) << bad;
    EXPECT_THAT(r.body, HasSubstr("NOT_FOUND")) << bad;
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr("SECRET"))) << bad;
  }
  // Unknown API paths are JSON errors, not the console.
  HttpResponse api = get("/v1/nothing/here");
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.content_type, "application/json");
}

}  // namespace
}  // namespace cove::cloud
