// The REST/JSON API of cove-cloud (rest_gateway.h, http_server.h,
// openapi.h) against a real CloudServer on port 0, with httplib's client:
// every route reaches the core, auth, RBAC (REST and gRPC decide alike over
// generated keys), etags, idempotency, malformed and unknown JSON, body
// size, routing errors, security headers, the OpenAPI document and TLS.
#include <httplib.h>

#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cloud/cloud_fixture.h"
#include "cloud/http_server.h"
#include "cloud/rest_gateway.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/metrics_http.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kRestOrg[] = "organizations/acme";
constexpr char kRestP1[] = "organizations/acme/projects/proj-a";

struct Reply {
  int status = 0;  // 0: no HTTP reply
  std::string body;
  httplib::Headers headers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  // The error's "status" name, or "" when the body is not an error.
  std::string code() const {
    google::protobuf::Struct s;
    if (!google::protobuf::util::JsonStringToMessage(body, &s).ok()) return "";
    auto e = s.fields().find("error");
    if (e == s.fields().end()) return "";
    return e->second.struct_value().fields().at("status").string_value();
  }
};

Reply Send(httplib::Client& client, const std::string& method,
           const std::string& path, const std::string& body,
           const std::string& key, const httplib::Headers& extra) {
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = extra;
  if (!key.empty()) req.headers.emplace("Authorization", "Bearer " + key);
  req.body = body;
  if ((method == "POST" || method == "PATCH" || method == "PUT" ||
       !body.empty()) &&
      extra.count("Content-Type") == 0) {
    req.headers.emplace("Content-Type", "application/json");
  }
  Reply out;
  auto res = client.send(req);
  if (!res) return out;
  out.status = res->status;
  out.body = res->body;
  out.headers = res->headers;
  return out;
}

class RestTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudOptions options = TestCloudOptions(state_.path() + "/state");
    options.http_listen_address = "127.0.0.1:0";
    options.http_max_body_bytes = 4096;
    options.metrics_listen_address = "127.0.0.1:0";
    StartWith(options);
    ASSERT_GT(server_->http_port(), 0);
    client_ = std::make_unique<httplib::Client>(server_->http_url());
    client_->set_read_timeout(30, 0);
  }

  Reply Http(const std::string& method, const std::string& path,
             const std::string& body = "", const std::string& key = kAdminKey,
             const httplib::Headers& headers = {}) {
    return Send(*client_, method, path, body, key, headers);
  }

  // acme, proj-a with env1 and a RUNNING cluster cl1.
  void MakeWorld() {
    ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
    ASSERT_THAT(MakeProject("acme", "proj-a"), IsOk());
    ASSERT_THAT(MakeProject("acme", "proj-b"), IsOk());
    ASSERT_THAT(MakeEnv(kRestP1, "env1", org.external_id()), IsOk());
    ASSERT_OK_AND_ASSIGN(
        v1::Operation op,
        StartCluster(kRestP1, std::string(kRestP1) + "/environments/env1",
                     "cl1"));
    ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
    ASSERT_TRUE(op.done());
  }

  std::unique_ptr<httplib::Client> client_;
};

// ---- the route table ------------------------------------------------------

TEST(RestRoutesTest, EveryRpcHasARouteAndEveryRouteAnRpc) {
  const auto& rpcs = RestRpcs();
  // The gateway's RPCs are exactly the services' methods.
  std::set<std::string> methods;
  const google::protobuf::DescriptorPool* pool =
      google::protobuf::DescriptorPool::generated_pool();
  for (const char* name :
       {"cove.control.v1.ControlPlane", "cove.control.v1.Emulator"}) {
    const auto* service = pool->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* m = service->method(i);
      methods.insert(m->name());
      auto it = rpcs.find(m->name());
      ASSERT_NE(it, rpcs.end()) << m->name();
      EXPECT_EQ(it->second.request, m->input_type()) << m->name();
      EXPECT_EQ(it->second.response, m->output_type()) << m->name();
    }
  }
  EXPECT_EQ(methods.size(), rpcs.size());
  std::set<std::string> routed;
  std::set<std::pair<std::string, std::string>> seen;
  for (const RestRoute& r : RestRoutes()) {
    auto it = rpcs.find(r.rpc);
    ASSERT_NE(it, rpcs.end()) << r.rpc << " has a route but is no RPC";
    routed.insert(r.rpc);
    EXPECT_TRUE(seen.insert({r.method, r.path}).second)
        << "two routes for " << r.method << " " << r.path;
    // Each path variable names a string field of the request.
    CompiledPath compiled = CompilePath(r.path);
    for (const std::string& field : compiled.fields) {
      const google::protobuf::Descriptor* d = it->second.request;
      std::vector<std::string> parts = absl::StrSplit(field, '.');
      const google::protobuf::FieldDescriptor* f = nullptr;
      for (size_t i = 0; i < parts.size(); ++i) {
        f = d->FindFieldByName(parts[i]);
        ASSERT_NE(f, nullptr) << r.path << ": " << field;
        if (i + 1 < parts.size()) d = f->message_type();
      }
      EXPECT_EQ(f->type(), google::protobuf::FieldDescriptor::TYPE_STRING)
          << r.path;
    }
    EXPECT_THAT(std::string(r.path), StartsWith("/v1/"));
  }
  for (const auto& [name, rpc] : rpcs) {
    EXPECT_TRUE(routed.count(name)) << name << " has no REST route";
  }
}

TEST(RestRoutesTest, CompilesTemplates) {
  CompiledPath p =
      CompilePath("/v1/{name=organizations/*/projects/*/clusters/*}:suspend");
  EXPECT_EQ(p.regex,
            "/v1/(organizations/[^/:]+/projects/[^/:]+/clusters/[^/:]+)"
            "\\:suspend");
  EXPECT_EQ(p.fields, std::vector<std::string>{"name"});
  EXPECT_EQ(p.openapi_path,
            "/v1/organizations/{organization}/projects/{project}/clusters/"
            "{cluster}:suspend");
  EXPECT_EQ(p.openapi_params.size(), 3u);
}

TEST(HttpStatusTest, CanonicalMapping) {
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kFailedPrecondition), 400);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kAborted), 409);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kDeadlineExceeded), 504);
  HttpResponse r = ErrorResponse(absl::PermissionDeniedError("no \"x\" <b>\n"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body,
            "{\"error\":{\"code\":403,\"status\":\"PERMISSION_DENIED\","
            "\"message\":\"no \\\"x\\\" \\u003cb\\u003e\\n\"}}\n");
}

// ---- every route ----------------------------------------------------------

// Every route, with ids that do not exist, reaches the core: the reply is
// the core's (not the router's 404 or 405), and the control plane's request
// counter has the RPC.
TEST_F(RestTest, EveryRouteReachesTheCore) {
  ASSERT_THAT(MakeOrg("acme"), IsOk());
  for (const RestRoute& r : RestRoutes()) {
    std::string path = r.path;
    // {field=organizations/*/...} -> organizations/acme/.../zz-missing
    std::string concrete;
    for (size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '{') {
        i = path.find('=', i);
        continue;
      }
      if (path[i] == '}') continue;
      if (path[i] == '*') {
        concrete +=
            absl::EndsWith(concrete, "organizations/") ? "acme" : "zz-missing";
        continue;
      }
      concrete += path[i];
    }
    const bool body =
        std::string(r.method) == "POST" || std::string(r.method) == "PATCH";
    Reply reply = Http(r.method, concrete, body ? "{}" : "");
    ASSERT_NE(reply.status, 0) << r.method << " " << concrete;
    EXPECT_NE(reply.status, 405)
        << r.method << " " << concrete << ": " << reply.body;
    EXPECT_THAT(reply.body, Not(HasSubstr("no route")))
        << r.method << " " << concrete;
    EXPECT_EQ(reply.header("Cache-Control"), "no-store");
    EXPECT_EQ(reply.header("X-Content-Type-Options"), "nosniff");
  }
  ASSERT_OK_AND_ASSIGN(std::string metrics,
                       server::HttpGet(server_->metrics_url()));
  for (const auto& [name, rpc] : RestRpcs()) {
    EXPECT_THAT(metrics, HasSubstr("method=\"" + name + "\""))
        << name << " was not counted by the core";
  }
}

// A journey over REST only: create, read, list with query parameters,
// update with the etag, act on a cluster, wait for its operation.
TEST_F(RestTest, JourneyOverRest) {
  Reply r = Http(
      "POST", "/v1/organizations",
      R"({"organizationId":"acme","organization":{"displayName":"Acme"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("\"displayName\":\"Acme\""));
  r = Http("POST", "/v1/organizations/acme/projects?projectId=proj-a",
           R"({"project":{"plan":"standard","region":"eu-local-1"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Http("GET",
           "/v1/organizations/acme/projects?pageSize=1&filter="
           "region%3Deu-local-1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("organizations/acme/projects/proj-a"));
  // GET gives the ETag; a PATCH with it succeeds, a stale one fails like
  // gRPC's.
  r = Http("GET", "/v1/organizations/acme/projects/proj-a");
  ASSERT_EQ(r.status, 200);
  const std::string etag = r.header("ETag");
  ASSERT_THAT(etag, StartsWith("\""));
  EXPECT_THAT(r.body, HasSubstr(absl::StrReplaceAll(etag, {{"\"", "\\\""}})));
  const std::string patch =
      R"({"project":{"displayName":"Web"},"updateMask":"displayName"})";
  Reply stale = Http("PATCH", "/v1/organizations/acme/projects/proj-a", patch,
                     kAdminKey, {{"If-Match", "\"stale\""}});
  v1::UpdateProjectRequest grpc_req;
  grpc_req.mutable_project()->set_name("organizations/acme/projects/proj-a");
  grpc_req.mutable_project()->set_display_name("Web");
  grpc_req.mutable_project()->set_etag("\"stale\"");
  grpc_req.mutable_update_mask()->add_paths("display_name");
  auto grpc_stale =
      Call(&v1::ControlPlane::Stub::UpdateProject, grpc_req, kAdminKey);
  ASSERT_FALSE(grpc_stale.ok());
  EXPECT_EQ(stale.status, HttpStatusOf(grpc_stale.status().code()))
      << stale.body;
  EXPECT_EQ(stale.code(), StatusCodeName(grpc_stale.status().code()));
  r = Http("PATCH", "/v1/organizations/acme/projects/proj-a", patch, kAdminKey,
           {{"If-Match", etag}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("\"displayName\":\"Web\""));
  EXPECT_NE(r.header("ETag"), etag);
  // The etag of the body and the header disagree: INVALID_ARGUMENT.
  r = Http("PATCH", "/v1/organizations/acme/projects/proj-a",
           R"({"project":{"etag":"\"a\""},"updateMask":"displayName"})",
           kAdminKey, {{"If-Match", "\"b\""}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("If-Match"));
  // The body names another project than the path.
  r = Http("PATCH", "/v1/organizations/acme/projects/proj-a",
           R"({"project":{"name":"organizations/acme/projects/other"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("project.name"));
  // The audit log has the HTTP peer.
  r = Http("GET",
           "/v1/organizations/acme/auditEvents?filter="
           "action%3Dprojects.update");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("\"clientAddress\":\"ipv4:127.0.0.1:"));
}

TEST_F(RestTest, ClusterVerbsAndOperations) {
  MakeWorld();
  const std::string c = std::string("/v1/") + kRestP1 + "/clusters/cl1";
  Reply r = Http("POST", c + ":suspend", "");
  ASSERT_EQ(r.status, 200) << r.body;
  google::protobuf::Struct op;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.body, &op).ok());
  const std::string op_name = op.fields().at("name").string_value();
  ASSERT_THAT(op_name, StartsWith("operations/"));
  r = Http("POST", "/v1/" + op_name + ":wait", R"({"timeoutMs":"20000"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("\"done\":true"));
  r = Http("GET", c);
  EXPECT_THAT(r.body, HasSubstr("\"state\":\"SUSPENDED\""));
  // Lists across projects ("-").
  r = Http("GET", "/v1/organizations/acme/projects/-/clusters");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("clusters/cl1"));
  r = Http("GET", "/v1/organizations/acme/operations?pageSize=50");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr(op_name));
}

// Private endpoints (issue 19) over REST: the proto fields in JSON, the
// update mask in camelCase, the refusal as FAILED_PRECONDITION (400).
TEST_F(RestTest, PrivateEndpointsOverRest) {
  MakeWorld();
  const std::string c = std::string("/v1/") + kRestP1 + "/clusters/cl1";
  Reply r = Http("GET", std::string("/v1/") + kRestP1 + "/environments/env1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("\"privateNetworkAddress\":\"127.1."));
  r = Http("PATCH", c,
           R"({"cluster":{"publicEndpointDisabled":true},)"
           R"("updateMask":"publicEndpointDisabled"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.code(), "FAILED_PRECONDITION");
  EXPECT_THAT(r.body, HasSubstr("cluster.private_endpoint_enabled"));
  r = Http("PATCH", c,
           R"({"cluster":{"privateEndpointEnabled":true,)"
           R"("publicEndpointDisabled":true},)"
           R"("updateMask":"privateEndpointEnabled,publicEndpointDisabled"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("\"privateEndpoint\":\"http://127.1."));
  EXPECT_THAT(r.body, HasSubstr("\"publicEndpointDisabled\":true"));
  EXPECT_THAT(r.body, Not(HasSubstr("\"endpoint\":")));
}

// ---- auth and RBAC --------------------------------------------------------

TEST_F(RestTest, MissingOrBadKeyIsUnauthenticated) {
  ASSERT_THAT(MakeOrg("acme"), IsOk());
  Reply r = Http("GET", "/v1/organizations/acme", "", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.code(), "UNAUTHENTICATED");
  r = Http("GET", "/v1/organizations/acme", "", "cove_wrong-secret-12345");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.code(), "UNAUTHENTICATED");
  r = Http("GET", "/v1/organizations/acme", "", "",
           {{"Authorization", "Basic YWRtaW46YWRtaW4="}});
  EXPECT_EQ(r.status, 401);
  // The OpenAPI document needs no key.
  r = Http("GET", "/v1/openapi.json", "", "");
  EXPECT_EQ(r.status, 200);
}

TEST_F(RestTest, ReadOnlyKeyIsDeniedMutations) {
  MakeWorld();
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key,
                       MakeKey("acme", "roles/project.read_only", kRestP1));
  Reply r = Http("GET", std::string("/v1/") + kRestP1 + "/clusters", "",
                 key.secret());
  EXPECT_EQ(r.status, 200) << r.body;
  r = Http("POST", std::string("/v1/") + kRestP1 + "/clusters/cl1:suspend", "",
           key.secret());
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.code(), "PERMISSION_DENIED");
  EXPECT_THAT(r.body, HasSubstr("clusters.suspend"));
  r = Http("GET", "/v1/emulator/settings", "", key.secret());
  EXPECT_EQ(r.status, 403) << r.body;
}

// For generated keys (role x scope) and a set of calls, REST and gRPC give
// the same decision (same code) for the same call.
TEST_F(RestTest, RestAndGrpcDecideAlikeForGeneratedKeys) {
  MakeWorld();
  std::vector<std::string> roles = {
      "roles/organization.owner",         "roles/organization.member",
      "roles/organization.billing_admin", "roles/project.admin",
      "roles/project.read_write",         "roles/project.read_only"};
  const std::vector<std::string> scopes = {
      kRestOrg, kRestP1, "organizations/acme/projects/proj-b",
      std::string(kRestP1) + "/clusters/cl1"};
  std::mt19937 rng(20261206);
  // Custom roles (made over REST) with random allow and deny statements.
  const std::vector<std::string> actions = {
      "clusters.get", "clusters.list",    "clusters.scale",
      "clusters.*",   "projects.get",     "projects.list",
      "apiKeys.list", "auditEvents.list", "projects.create"};
  for (int i = 0; i < 6; ++i) {
    std::vector<std::string> allow, deny;
    for (const std::string& a : actions) {
      const unsigned pick = rng() % 4;
      if (pick == 0) allow.push_back("\"" + a + "\"");
      if (pick == 1) deny.push_back("\"" + a + "\"");
    }
    if (allow.empty()) allow.push_back("\"clusters.get\"");
    std::string body =
        absl::StrCat(R"({"roleId":"custom-)", i, R"(","role":{"level":")",
                     i % 2 == 0 ? "PROJECT" : "ORGANIZATION",
                     R"(","statements":[{"effect":"ALLOW","actions":[)",
                     absl::StrJoin(allow, ","), "]}");
    if (!deny.empty()) {
      absl::StrAppend(&body, R"(,{"effect":"DENY","actions":[)",
                      absl::StrJoin(deny, ","), "]}");
    }
    body += "]}}";
    Reply made = Http("POST", "/v1/organizations/acme/roles", body);
    EXPECT_EQ(made.status, 200) << body << ": " << made.body;
    if (made.status == 200) {
      roles.push_back(absl::StrCat(kRestOrg, "/roles/custom-", i));
    }
  }
  struct Probe {
    std::string what;
    std::function<Reply(const std::string& key, int n)> rest;
    std::function<absl::Status(const std::string& key, int n)> grpc;
  };
  const std::string p1 = kRestP1;
  const std::string cl1 = p1 + "/clusters/cl1";
  std::vector<Probe> probes = {
      {"ListProjects",
       [&](const std::string& k, int) {
         return Http("GET", "/v1/organizations/acme/projects", "", k);
       },
       [&](const std::string& k, int) {
         v1::ListProjectsRequest q;
         q.set_parent(kRestOrg);
         return Call(&v1::ControlPlane::Stub::ListProjects, q, k).status();
       }},
      {"GetProject",
       [&](const std::string& k, int) {
         return Http("GET", "/v1/" + p1, "", k);
       },
       [&](const std::string& k, int) {
         v1::GetRequest q;
         q.set_name(p1);
         return Call(&v1::ControlPlane::Stub::GetProject, q, k).status();
       }},
      {"CreateProject",
       [&](const std::string& k, int n) {
         return Http("POST",
                     "/v1/organizations/acme/projects?projectId=rest-" +
                         std::to_string(n),
                     R"({"project":{"plan":"standard","region":"eu-local-1"}})",
                     k);
       },
       [&](const std::string& k, int n) {
         v1::CreateProjectRequest q;
         q.set_parent(kRestOrg);
         q.set_project_id("grpc-" + std::to_string(n));
         q.mutable_project()->set_plan("standard");
         q.mutable_project()->set_region("eu-local-1");
         return Call(&v1::ControlPlane::Stub::CreateProject, q, k).status();
       }},
      {"GetCluster",
       [&](const std::string& k, int) {
         return Http("GET", "/v1/" + cl1, "", k);
       },
       [&](const std::string& k, int) { return GetCluster(cl1, k).status(); }},
      {"ListClusters",
       [&](const std::string& k, int) {
         return Http("GET", "/v1/" + p1 + "/clusters", "", k);
       },
       [&](const std::string& k, int) {
         v1::ListClustersRequest q;
         q.set_parent(p1);
         return Call(&v1::ControlPlane::Stub::ListClusters, q, k).status();
       }},
      {"ScaleMissingCluster",
       [&](const std::string& k, int) {
         return Http("POST", "/v1/" + p1 + "/clusters/nope:scale",
                     R"({"cuSize":2})", k);
       },
       [&](const std::string& k, int) {
         v1::ScaleClusterRequest q;
         q.set_name(p1 + "/clusters/nope");
         q.set_cu_size(2);
         return Call(&v1::ControlPlane::Stub::ScaleCluster, q, k).status();
       }},
      {"ListAuditEvents",
       [&](const std::string& k, int) {
         return Http("GET", "/v1/organizations/acme/auditEvents?pageSize=1", "",
                     k);
       },
       [&](const std::string& k, int) {
         v1::ListAuditEventsRequest q;
         q.set_parent(kRestOrg);
         q.set_page_size(1);
         return Call(&v1::ControlPlane::Stub::ListAuditEvents, q, k).status();
       }},
      {"ListApiKeys",
       [&](const std::string& k, int) {
         return Http("GET", "/v1/organizations/acme/apiKeys", "", k);
       },
       [&](const std::string& k, int) {
         v1::ListApiKeysRequest q;
         q.set_parent(kRestOrg);
         return Call(&v1::ControlPlane::Stub::ListApiKeys, q, k).status();
       }},
      {"GetSettings",
       [&](const std::string& k, int) {
         return Http("GET", "/v1/emulator/settings", "", k);
       },
       [&](const std::string& k, int) {
         return Emu(&v1::Emulator::Stub::GetSettings, v1::GetSettingsRequest(),
                    k)
             .status();
       }},
  };
  int keys = 0, compared = 0, allowed = 0, denied = 0;
  for (int i = 0; i < 24; ++i) {
    const std::string role = roles[rng() % roles.size()];
    const std::string scope = scopes[rng() % scopes.size()];
    auto key = MakeKey("acme", role, scope);
    if (!key.ok()) continue;  // a role that cannot apply at this scope
    ++keys;
    for (const Probe& p : probes) {
      const int n = compared;
      Reply rest = p.rest(key->secret(), n);
      absl::Status grpc = p.grpc(key->secret(), n);
      ++compared;
      if (grpc.ok()) {
        ++allowed;
        EXPECT_EQ(rest.status, 200)
            << p.what << " " << role << " @ " << scope << ": " << rest.body;
      } else {
        if (grpc.code() == absl::StatusCode::kPermissionDenied) ++denied;
        EXPECT_EQ(rest.status, HttpStatusOf(grpc.code()))
            << p.what << " " << role << " @ " << scope << ": " << rest.body
            << " vs " << grpc;
        EXPECT_EQ(rest.code(), StatusCodeName(grpc.code())) << p.what;
      }
    }
  }
  EXPECT_GE(keys, 12);
  EXPECT_GT(allowed, 0);
  EXPECT_GT(denied, 0);
}

// ---- idempotency ----------------------------------------------------------

TEST_F(RestTest, IdempotencyKeyReplaysTheSameOperation) {
  MakeWorld();
  const std::string path = std::string("/v1/") + kRestP1 + "/clusters";
  const std::string body = absl::StrCat(
      R"({"clusterId":"cl2","cluster":{"environment":")", kRestP1,
      R"(/environments/env1","cuType":"performance","cuSize":1,"replicas":1}})");
  Reply a = Http("POST", path, body, kAdminKey, {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(a.status, 200) << a.body;
  Reply b = Http("POST", path, body, kAdminKey, {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(b.status, 200) << b.body;
  google::protobuf::Struct sa, sb;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(a.body, &sa).ok());
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(b.body, &sb).ok());
  EXPECT_EQ(sa.fields().at("name").string_value(),
            sb.fields().at("name").string_value());
  // The same key with another request: 409.
  Reply c = Http("POST", path, absl::StrReplaceAll(body, {{"cl2", "cl3"}}),
                 kAdminKey, {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(c.status, 409) << c.body;
  EXPECT_EQ(c.code(), "ALREADY_EXISTS");
  // A body request id that disagrees with the header: 400.
  Reply d = Http("POST", path,
                 absl::StrReplaceAll(body, {{"\"clusterId\"",
                                             "\"requestId\":\"k-2\","
                                             "\"clusterId\""}}),
                 kAdminKey, {{"Idempotency-Key", "k-3"}});
  EXPECT_EQ(d.status, 400) << d.body;
  EXPECT_THAT(d.body, HasSubstr("Idempotency-Key"));
  // A request without a request id field: 400 naming the header.
  Reply e = Http("GET", std::string("/v1/") + kRestP1, "", kAdminKey,
                 {{"Idempotency-Key", "k-4"}});
  EXPECT_EQ(e.status, 400) << e.body;
  EXPECT_THAT(e.body, HasSubstr("Idempotency-Key"));
}

// ---- bad input ------------------------------------------------------------

TEST_F(RestTest, MalformedJsonAndUnknownFieldsNameTheField) {
  ASSERT_THAT(MakeOrg("acme"), IsOk());
  Reply r = Http("POST", "/v1/organizations/acme/projects",
                 R"({"projectId": "web", )");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.code(), "INVALID_ARGUMENT");
  EXPECT_THAT(r.body, HasSubstr("request body"));
  r = Http("POST", "/v1/organizations/acme/projects",
           R"({"projectId": "web" "project": {}})");
  EXPECT_EQ(r.status, 400) << r.body;
  // The position: the input before the error and at it.
  EXPECT_THAT(r.body, HasSubstr(R"(after '{\"projectId\": \"web\" ')"));
  EXPECT_THAT(r.body, HasSubstr(R"(at '\"project\": {}}')"));
  r = Http("POST", "/v1/organizations/acme/projects",
           R"({"projectId":"web","bogusField":1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("bogusField"));
  r = Http("POST", "/v1/organizations/acme/projects",
           R"({"projectId":"web","project":{"planX":"free"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("planX"));
  r = Http("GET", "/v1/organizations/acme/projects?pageSize=abc");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("pageSize"));
  r = Http("GET", "/v1/organizations/acme/projects?pagesize=3");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("pagesize"));
  // Proto names work as query parameters too.
  r = Http("GET", "/v1/organizations/acme/projects?page_size=3");
  EXPECT_EQ(r.status, 200) << r.body;
  // A field both in the body and the query.
  r = Http("POST", "/v1/organizations/acme/projects?projectId=web",
           R"({"projectId":"web"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("projectId"));
  // Bodies are JSON only (a cross-site form cannot post one).
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded",
                           "multipart/form-data; boundary=x"}) {
    r = Http("POST", "/v1/organizations/acme/projects?projectId=web",
             R"({"project":{"plan":"standard","region":"eu-local-1"}})",
             kAdminKey, {{"Content-Type", type}});
    EXPECT_EQ(r.status, 400) << type;
    EXPECT_THAT(r.body, HasSubstr("Content-Type")) << type;
  }
  r = Http("POST", "/v1/organizations/acme/projects?projectId=web",
           R"({"project":{"plan":"standard","region":"eu-local-1"}})",
           kAdminKey, {{"Content-Type", "application/json; charset=utf-8"}});
  EXPECT_EQ(r.status, 200) << r.body;
  r = Http("DELETE", "/v1/organizations/acme/projects/web");
  EXPECT_EQ(r.status, 200) << r.body;
  // A DELETE with a body.
  r = Http("DELETE", "/v1/organizations/acme", R"({"name":"x"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("request body"));
  // Size and charset limits (request_limits.h) as for gRPC.
  r = Http("POST", "/v1/organizations/acme/projects",
           R"({"projectId":"web","project":{"displayName":"a\u0007b"}})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("display_name"));
}

TEST_F(RestTest, OversizedBodyIs413BeforeParsing) {
  ASSERT_THAT(MakeOrg("acme"), IsOk());
  std::string big = R"({"projectId":"web","project":{"displayName":")" +
                    std::string(5000, 'x') + "\"}}";
  Reply r = Http("POST", "/v1/organizations/acme/projects", big);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.code(), "RESOURCE_EXHAUSTED");
  EXPECT_THAT(r.body, HasSubstr("4096"));
  // Malformed too, and no key: the size decides first.
  r = Http("POST", "/v1/organizations/acme/projects", std::string(5000, '{'),
           "");
  EXPECT_EQ(r.status, 413);
}

TEST_F(RestTest, UnknownPathAndWrongMethod) {
  Reply r = Http("GET", "/v1/organizations/acme/widgets");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.code(), "NOT_FOUND");
  EXPECT_THAT(r.body, HasSubstr("/v1/organizations/acme/widgets"));
  r = Http("DELETE", "/v1/organizations");
  EXPECT_EQ(r.status, 405) << r.body;
  EXPECT_EQ(r.header("Allow"), "GET, HEAD, POST");
  r = Http("PUT", "/v1/organizations/acme", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "DELETE, GET, HEAD, PATCH");
  EXPECT_EQ(r.header("Content-Security-Policy"), kContentSecurityPolicy);
  EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  // Outside /v1: the server's own 404 (no console routes here).
  r = Http("GET", "/nothing-here");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("Cache-Control"), "");
}

// ---- the OpenAPI document -------------------------------------------------

void CollectRefs(const google::protobuf::Value& v,
                 std::vector<std::string>* refs) {
  if (v.has_struct_value()) {
    for (const auto& [k, child] : v.struct_value().fields()) {
      if (k == "$ref") refs->push_back(child.string_value());
      CollectRefs(child, refs);
    }
  } else if (v.has_list_value()) {
    for (const auto& child : v.list_value().values()) CollectRefs(child, refs);
  }
}

TEST_F(RestTest, OpenApiDocumentCoversEveryRouteAndResolves) {
  Reply r = Http("GET", "/v1/openapi.json", "", "");
  ASSERT_EQ(r.status, 200);
  google::protobuf::Value doc;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.body, &doc).ok());
  const auto& top = doc.struct_value().fields();
  EXPECT_EQ(top.at("openapi").string_value(), "3.0.3");
  const auto& paths = top.at("paths").struct_value().fields();
  const auto& schemas = top.at("components")
                            .struct_value()
                            .fields()
                            .at("schemas")
                            .struct_value()
                            .fields();
  std::set<std::string> ids;
  for (const RestRoute& route : RestRoutes()) {
    CompiledPath p = CompilePath(route.path);
    auto it = paths.find(p.openapi_path);
    ASSERT_NE(it, paths.end()) << p.openapi_path;
    std::string method = absl::AsciiStrToLower(route.method);
    auto op = it->second.struct_value().fields().find(method);
    ASSERT_NE(op, it->second.struct_value().fields().end())
        << route.method << " " << p.openapi_path;
    ids.insert(
        op->second.struct_value().fields().at("operationId").string_value());
    // Each {param} of the path is a path parameter.
    int path_params = 0;
    for (const auto& param : op->second.struct_value()
                                 .fields()
                                 .at("parameters")
                                 .list_value()
                                 .values()) {
      if (param.struct_value().fields().at("in").string_value() == "path") {
        ++path_params;
        EXPECT_THAT(
            p.openapi_path,
            HasSubstr("{" +
                      param.struct_value().fields().at("name").string_value() +
                      "}"));
      }
    }
    EXPECT_EQ(path_params, static_cast<int>(p.openapi_params.size()));
  }
  EXPECT_EQ(ids.size(), RestRoutes().size()) << "operationIds are unique";
  std::vector<std::string> refs;
  CollectRefs(doc, &refs);
  EXPECT_GT(refs.size(), 100u);
  for (const std::string& ref : refs) {
    ASSERT_THAT(ref, StartsWith("#/components/schemas/"));
    EXPECT_TRUE(schemas.count(ref.substr(21))) << ref << " does not resolve";
  }
  // Schemas carry the JSON names of the messages' fields.
  const auto& cluster =
      schemas.at("cove.control.v1.Cluster").struct_value().fields();
  const auto& props = cluster.at("properties").struct_value().fields();
  const auto* d = v1::Cluster::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    EXPECT_TRUE(props.count(d->field(i)->json_name()))
        << d->field(i)->json_name();
  }
  EXPECT_TRUE(schemas.count("Error"));
  EXPECT_TRUE(schemas.count("cove.control.v1.Cluster.State"));
  EXPECT_EQ(top.at("components")
                .struct_value()
                .fields()
                .at("securitySchemes")
                .struct_value()
                .fields()
                .at("bearer")
                .struct_value()
                .fields()
                .at("scheme")
                .string_value(),
            "bearer");
}

// ---- TLS ------------------------------------------------------------------

class RestTlsTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudOptions options = TestCloudOptions(state_.path() + "/state");
    options.generate_tls = true;
    options.http_listen_address = "127.0.0.1:0";
    StartWith(options);
  }
};

TEST_F(RestTlsTest, HttpsWithTheGrpcCertificateAndNoPlainHttp) {
  ASSERT_THAT(server_->http_url(), StartsWith("https://127.0.0.1:"));
  httplib::Client https(server_->http_url());
  https.set_ca_cert_path(server_->ca_file());
  https.enable_server_certificate_verification(true);
  Reply r = Send(https, "POST", "/v1/organizations",
                 R"({"organizationId":"acme"})", kAdminKey, {});
  ASSERT_EQ(r.status, 200) << r.body;
  r = Send(https, "GET", "/v1/organizations/acme", "", kAdminKey, {});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  // Without the CA: the handshake fails.
  httplib::Client untrusted(server_->http_url());
  untrusted.enable_server_certificate_verification(true);
  untrusted.set_ca_cert_path("/nonexistent-ca.pem");
  EXPECT_EQ(Send(untrusted, "GET", "/v1/openapi.json", "", "", {}).status, 0);
  // Plain HTTP to the HTTPS port gets no HTTP reply.
  httplib::Client plain(
      absl::StrCat("http://127.0.0.1:", server_->http_port()));
  plain.set_read_timeout(5, 0);
  EXPECT_EQ(Send(plain, "GET", "/v1/openapi.json", "", "", {}).status, 0);
}

}  // namespace
}  // namespace cove::cloud::testing
