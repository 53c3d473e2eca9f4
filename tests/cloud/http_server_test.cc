// HttpServer (http_server.h) on its own: the registration API the REST
// gateway and the console use (regex and prefix routes, their order, 404 and
// 405 with Allow, HEAD), the request it hands to handlers (query, headers,
// body, peer, matches), extra response headers, security headers, the body
// limit and Stop().
#include "cloud/http_server.h"

#include <httplib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cove::cloud {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::unique_ptr<HttpServer> Bind(int64_t max_body = 1024) {
  HttpServer::Options options;
  options.listen_address = "127.0.0.1:0";
  options.max_body_bytes = max_body;
  auto server = HttpServer::Bind(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

HttpHandler Say(std::string what) {
  return [what](const HttpRequest& r) {
    HttpResponse out;
    out.content_type = "text/plain";
    out.body = what;
    for (const std::string& m : r.matches) out.body += "|" + m;
    return out;
  };
}

TEST(HttpServerTest, RoutesByRegexThenLongestPrefix) {
  auto server = Bind();
  ASSERT_NE(server, nullptr);
  server->HandlePrefix("GET", "/", Say("static"));
  server->HandlePrefix("*", "/v1", Say("v1-fallback"));
  server->Handle("GET", "/v1/things/([a-z]+)", Say("get-thing"));
  server->Handle("POST", "/v1/things/([a-z]+)", Say("post-thing"));
  server->Handle("*", "/v1/any", Say("any"));
  server->Start();
  httplib::Client c(server->base_url());
  EXPECT_THAT(server->base_url(), StartsWith("http://127.0.0.1:"));

  auto r = c.Get("/v1/things/abc");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "get-thing|abc");
  r = c.Post("/v1/things/abc", "", "application/json");
  EXPECT_EQ(r->body, "post-thing|abc");
  // The path matches a regex route, the method none: 405 with Allow.
  r = c.Delete("/v1/things/abc");
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "GET, HEAD, POST");
  EXPECT_THAT(r->body, HasSubstr("\"status\":\"UNIMPLEMENTED\""));
  // "*" takes any method.
  r = c.Delete("/v1/any");
  EXPECT_EQ(r->body, "any");
  // No regex route: the longest prefix decides.
  r = c.Get("/v1/things/ABC");
  EXPECT_EQ(r->body, "v1-fallback|/things/ABC");
  r = c.Get("/index.html");
  EXPECT_EQ(r->body, "static|index.html");
  // The longest prefix takes the path but not the method: 405.
  r = c.Post("/index.html", "", "application/json");
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "GET, HEAD");
  // HEAD is served by GET routes.
  r = c.Head("/v1/things/abc");
  EXPECT_EQ(r->status, 200);
  // Every response has the security headers; /v1 also no-store.
  EXPECT_EQ(r->get_header_value("Content-Security-Policy"),
            kContentSecurityPolicy);
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  r = c.Get("/index.html");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_FALSE(r->has_header("Cache-Control"));
  server->Stop();
  EXPECT_FALSE(c.Get("/index.html"));
}

TEST(HttpServerTest, LongPathsAre414BeforeTheRoutes) {
  auto server = Bind();
  ASSERT_NE(server, nullptr);
  server->Handle("GET", "/v1/([^/:]+)", Say("x"));
  server->Start();
  httplib::Client c(server->base_url());
  const std::string ok(HttpServer::kMaxPathBytes - 4, 'a');
  auto r = c.Get("/v1/" + ok);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Get("/v1/" + ok + "a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 414);
  EXPECT_THAT(r->body, HasSubstr("path: too long"));
}

TEST(HttpServerTest, UnroutedPathIsJson404) {
  auto server = Bind();
  ASSERT_NE(server, nullptr);
  server->Handle("GET", "/a", Say("a"));
  server->Start();
  httplib::Client c(server->base_url());
  auto r = c.Get("/b");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->body,
            "{\"error\":{\"code\":404,\"status\":\"NOT_FOUND\","
            "\"message\":\"path: no route for /b\"}}\n");
}

TEST(HttpServerTest, HandlersSeeTheRequestAndSetHeaders) {
  auto server = Bind();
  ASSERT_NE(server, nullptr);
  HttpRequest seen;
  server->Handle("POST", "/echo/(\\d+)", [&seen](const HttpRequest& r) {
    seen = r;
    HttpResponse out;
    out.status = 201;
    out.body = "{}";
    out.headers.emplace_back("ETag", "\"e1\"");
    out.headers.emplace_back("Set-Cookie", "s=1; HttpOnly");
    return out;
  });
  server->Start();
  httplib::Client c(server->base_url());
  auto r =
      c.Post("/echo/42?a=1&b=x%20y&a=2",
             httplib::Headers{{"Authorization", "Bearer k"}, {"X-Thing", "v"}},
             "{\"k\":1}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->get_header_value("ETag"), "\"e1\"");
  EXPECT_EQ(r->get_header_value("Set-Cookie"), "s=1; HttpOnly");
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/echo/42");
  EXPECT_EQ(seen.matches, std::vector<std::string>{"42"});
  EXPECT_EQ(seen.query.count("a"), 2u);
  EXPECT_EQ(seen.query.find("b")->second, "x y");
  EXPECT_EQ(seen.Header("authorization"), "Bearer k");  // any case
  EXPECT_EQ(seen.Header("x-thing"), "v");
  EXPECT_FALSE(seen.HasHeader("X-Missing"));
  EXPECT_EQ(seen.body, "{\"k\":1}");
  EXPECT_THAT(seen.peer, StartsWith("ipv4:127.0.0.1:"));
  EXPECT_FALSE(seen.tls);
  // A form body is not query parameters.
  r = c.Post("/echo/1", "a=3", "application/x-www-form-urlencoded");
  EXPECT_EQ(seen.query.count("a"), 0u);
  EXPECT_EQ(seen.body, "a=3");
}

TEST(HttpServerTest, BodyPastTheLimitIs413BeforeTheHandler) {
  auto server = Bind(/*max_body=*/100);
  ASSERT_NE(server, nullptr);
  int calls = 0;
  server->Handle("POST", "/p", [&calls](const HttpRequest&) {
    ++calls;
    return HttpResponse();
  });
  server->Start();
  httplib::Client c(server->base_url());
  auto r = c.Post("/p", std::string(100, 'x'), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Post("/p", std::string(101, 'x'), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_THAT(r->body, HasSubstr("\"status\":\"RESOURCE_EXHAUSTED\""));
  EXPECT_THAT(r->body, HasSubstr("at most 100 bytes"));
  EXPECT_EQ(calls, 1);
}

TEST(HttpServerTest, BadAddressesAndCertificates) {
  HttpServer::Options options;
  options.listen_address = "no-port";
  EXPECT_EQ(HttpServer::Bind(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.listen_address = "127.0.0.1:70000";
  EXPECT_EQ(HttpServer::Bind(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.listen_address = "127.0.0.1:0";
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  auto s = HttpServer::Bind(options);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("cert.pem"));
  // A port in use.
  auto first = Bind();
  ASSERT_NE(first, nullptr);
  HttpServer::Options taken;
  taken.listen_address = "127.0.0.1:" + std::to_string(first->port());
  EXPECT_EQ(HttpServer::Bind(taken).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cove::cloud
