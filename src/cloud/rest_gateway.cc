// The REST/JSON gateway (see rest_gateway.h).
#include "cloud/rest_gateway.h"

#include <algorithm>
#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cloud/cloud_core.h"
#include "cloud/openapi.h"
#include "cloud/request_limits.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"

namespace cove::cloud {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr char kOrg[] = "organizations/*";
constexpr char kProject[] = "organizations/*/projects/*";
constexpr char kCluster[] = "organizations/*/projects/*/clusters/*";
constexpr char kAlertRule[] = "organizations/*/projects/*/alertRules/*";

// "/v1/{field=pattern}suffix".
std::string V(const char* field, const char* pattern, const char* suffix) {
  return absl::StrCat("/v1/{", field, "=", pattern, "}", suffix);
}

struct RouteSpec {
  const char* rpc;
  const char* method;
  std::string path;
};

std::vector<RouteSpec> Specs() {
  const std::string env = absl::StrCat(kProject, "/environments/*");
  const std::string backup = absl::StrCat(kCluster, "/backups/*");
  const std::string member = "organizations/*/members/*";
  const std::string invitation = "organizations/*/invitations/*";
  const std::string grant = "organizations/*/supportGrants/*";
  const std::string project = kProject;
  const std::string key = "organizations/*/apiKeys/*";
  const std::string role = "organizations/*/roles/*";
  const std::string binding = "organizations/*/roleBindings/*";
  const char* c = kCluster;
  return {
      // Organizations, members, invitations.
      {"CreateOrganization", "POST", "/v1/organizations"},
      {"ListOrganizations", "GET", "/v1/organizations"},
      {"GetOrganization", "GET", V("name", kOrg, "")},
      {"UpdateOrganization", "PATCH", V("organization.name", kOrg, "")},
      {"DeleteOrganization", "DELETE", V("name", kOrg, "")},
      {"ListMembers", "GET", V("parent", kOrg, "/members")},
      {"GetMember", "GET", V("name", member.c_str(), "")},
      {"UpdateMember", "PATCH", V("member.name", member.c_str(), "")},
      {"DeleteMember", "DELETE", V("name", member.c_str(), "")},
      {"CreateInvitation", "POST", V("parent", kOrg, "/invitations")},
      {"ListInvitations", "GET", V("parent", kOrg, "/invitations")},
      {"GetInvitation", "GET", V("name", invitation.c_str(), "")},
      {"RevokeInvitation", "POST", V("name", invitation.c_str(), ":revoke")},
      {"AcceptInvitation", "POST", "/v1/invitations:accept"},
      // Projects and environments.
      {"CreateProject", "POST", V("parent", kOrg, "/projects")},
      {"ListProjects", "GET", V("parent", kOrg, "/projects")},
      {"GetProject", "GET", V("name", kProject, "")},
      {"UpdateProject", "PATCH", V("project.name", project.c_str(), "")},
      {"DeleteProject", "DELETE", V("name", kProject, "")},
      {"CreateEnvironment", "POST", V("parent", kProject, "/environments")},
      {"ListEnvironments", "GET", V("parent", kProject, "/environments")},
      {"GetEnvironment", "GET", V("name", env.c_str(), "")},
      {"DeleteEnvironment", "DELETE", V("name", env.c_str(), "")},
      {"ValidateEnvironment", "POST", V("name", env.c_str(), ":validate")},
      {"RotateAgentToken", "POST", V("name", env.c_str(), ":rotateAgentToken")},
      // Clusters.
      {"CreateCluster", "POST", V("parent", kProject, "/clusters")},
      {"ListClusters", "GET", V("parent", kProject, "/clusters")},
      {"GetCluster", "GET", V("name", c, "")},
      {"UpdateCluster", "PATCH", V("cluster.name", c, "")},
      {"DeleteCluster", "DELETE", V("name", c, "")},
      {"SuspendCluster", "POST", V("name", c, ":suspend")},
      {"ResumeCluster", "POST", V("name", c, ":resume")},
      {"ScaleCluster", "POST", V("name", c, ":scale")},
      {"RestoreCluster", "POST", V("name", c, ":restore")},
      {"PurgeCluster", "POST", V("name", c, ":purge")},
      {"ResetClusterPassword", "POST", V("name", c, ":resetPassword")},
      {"SetBackupPolicy", "POST", V("name", c, ":setBackupPolicy")},
      {"GetClusterMetrics", "GET", V("name", c, "/metrics")},
      // Backups.
      {"CreateBackup", "POST", V("parent", c, "/backups")},
      {"ListBackups", "GET", V("parent", c, "/backups")},
      {"GetBackup", "GET", V("name", backup.c_str(), "")},
      {"DeleteBackup", "DELETE", V("name", backup.c_str(), "")},
      {"RestoreBackup", "POST", V("name", backup.c_str(), ":restore")},
      // API keys, roles, role bindings, permissions, audit.
      {"CreateApiKey", "POST", V("parent", kOrg, "/apiKeys")},
      {"ListApiKeys", "GET", V("parent", kOrg, "/apiKeys")},
      {"GetApiKey", "GET", V("name", key.c_str(), "")},
      {"UpdateApiKey", "PATCH", V("api_key.name", key.c_str(), "")},
      {"DeleteApiKey", "DELETE", V("name", key.c_str(), "")},
      {"CreateRole", "POST", V("parent", kOrg, "/roles")},
      {"ListRoles", "GET", V("parent", kOrg, "/roles")},
      {"GetRole", "GET", V("name", role.c_str(), "")},
      {"GetRole", "GET", V("name", "roles/*", "")},  // built-in roles
      {"UpdateRole", "PATCH", V("role.name", role.c_str(), "")},
      {"DeleteRole", "DELETE", V("name", role.c_str(), "")},
      {"CreateRoleBinding", "POST", V("parent", kOrg, "/roleBindings")},
      {"ListRoleBindings", "GET", V("parent", kOrg, "/roleBindings")},
      {"GetRoleBinding", "GET", V("name", binding.c_str(), "")},
      {"DeleteRoleBinding", "DELETE", V("name", binding.c_str(), "")},
      {"TestPermissions", "POST", V("resource", kOrg, ":testPermissions")},
      {"ListAuditEvents", "GET", V("parent", kOrg, "/auditEvents")},
      // Operations.
      {"ListOperations", "GET", V("parent", kOrg, "/operations")},
      {"GetOperation", "GET", V("name", "operations/*", "")},
      {"WaitOperation", "POST", V("name", "operations/*", ":wait")},
      {"CancelOperation", "POST", V("name", "operations/*", ":cancel")},
      // The emulator's knobs.
      {"GetSettings", "GET", "/v1/emulator/settings"},
      {"UpdateSettings", "PATCH", "/v1/emulator/settings"},
      {"SetClock", "POST", "/v1/emulator:setClock"},
      {"AdvanceClock", "POST", "/v1/emulator:advanceClock"},
      {"InjectFault", "POST", "/v1/emulator/faults"},
      {"ListFaults", "GET", "/v1/emulator/faults"},
      {"ClearFaults", "POST", "/v1/emulator/faults:clear"},
      // Licenses and cost (issue 19).
      {"EstimateCost", "POST", V("parent", kProject, ":estimateCost")},
      {"SetProjectLicense", "POST", "/v1/emulator:setProjectLicense"},
      // Alerts (issue 19).
      {"CreateAlertRule", "POST", V("parent", kProject, "/alertRules")},
      {"GetAlertRule", "GET", V("name", kAlertRule, "")},
      {"ListAlertRules", "GET", V("parent", kProject, "/alertRules")},
      {"DeleteAlertRule", "DELETE", V("name", kAlertRule, "")},
      {"TestAlertRule", "POST", V("name", kAlertRule, ":test")},
      {"SilenceAlertRule", "POST", V("name", kAlertRule, ":silence")},
      {"UpdateAlertRule", "PATCH", V("alert_rule.name", kAlertRule, "")},
      // Support access (issue 19).
      {"RequestSupportAccess", "POST",
       V("cluster", c, ":requestSupportAccess")},
      {"ListSupportAccess", "GET", V("parent", kOrg, "/supportGrants")},
      {"ListSupportAccess", "GET", "/v1/supportGrants"},
      {"GetSupportAccess", "GET", V("name", grant.c_str(), "")},
      {"ApproveSupportAccess", "POST", V("name", grant.c_str(), ":approve")},
      {"DenySupportAccess", "POST", V("name", grant.c_str(), ":deny")},
      {"RevokeSupportAccess", "POST", V("name", grant.c_str(), ":revoke")},
      {"CreateSupportPrincipal", "POST", "/v1/emulator/supportPrincipals"},
      // Versions and upgrades (issue 19).
      {"ListReleases", "GET", "/v1/releases"},
      {"UpgradeCluster", "POST", V("name", c, ":upgrade")},
      {"SetMaintenanceWindow", "PUT", V("name", c, "/maintenanceWindow")},
      {"SetMaintenanceWindow", "PUT",
       V("name", kProject, "/maintenanceWindow")},
      {"GetMaintenanceWindow", "GET", V("name", c, "/maintenanceWindow")},
      {"GetMaintenanceWindow", "GET",
       V("name", kProject, "/maintenanceWindow")},
  };
}

// `s` as a JSON string literal.
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) {
      out += absl::StrCat("\\u00", absl::Hex(ch, absl::kZeroPad2));
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

// A protobuf JSON parser message on one line. A syntax error comes as
// "<what>\n<input around it>\n<spaces>^": it becomes "<what> (after
// '<the input before the error>', at '<the input from it>')".
std::string OneLine(absl::string_view message) {
  std::vector<std::string> lines = absl::StrSplit(message, '\n');
  std::string out;
  if (lines.size() >= 3 && absl::EndsWith(lines[2], "^")) {
    const size_t caret = std::min(lines[2].size() - 1, lines[1].size());
    const size_t from = caret > 30 ? caret - 30 : 0;
    out = absl::StrCat(
        absl::StripAsciiWhitespace(lines[0]), " (after '",
        EscapeForMessage(lines[1].substr(from, caret - from), 40), "', at '",
        EscapeForMessage(lines[1].substr(caret), 20), "')");
  } else {
    std::vector<std::string> words =
        absl::StrSplit(message, absl::ByAnyChar(" \n\t"), absl::SkipEmpty());
    out = absl::StrJoin(words, " ");
  }
  return internal::ValidUtf8(out);
}

absl::Status ParseJson(const std::string& json, Message* message,
                       absl::string_view what) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status =
      google::protobuf::util::JsonStringToMessage(json, message, options);
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, ": ", OneLine(status.message().as_string()), " (expected ",
      message->GetDescriptor()->name(), " in the proto3 JSON mapping)"));
}

bool IsScalarLike(const FieldDescriptor* f) {
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  const std::string& type = f->message_type()->full_name();
  return type == "google.protobuf.Timestamp" ||
         type == "google.protobuf.Duration" ||
         type == "google.protobuf.FieldMask";
}

const FieldDescriptor* FindField(const Descriptor* d, const std::string& key) {
  const FieldDescriptor* f = d->FindFieldByName(key);
  for (int i = 0; f == nullptr && i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == key) f = d->field(i);
  }
  return f;
}

// Sets the top-level fields the query parameters name, each typed through
// the JSON mapping.
absl::Status ApplyQuery(const std::multimap<std::string, std::string>& query,
                        Message* request) {
  if (query.empty()) return absl::OkStatus();
  const Descriptor* d = request->GetDescriptor();
  std::vector<const FieldDescriptor*> in_body;
  request->GetReflection()->ListFields(*request, &in_body);
  std::unique_ptr<Message> from_query(request->New());
  for (auto it = query.begin(); it != query.end();) {
    const std::string& key = it->first;
    auto range = query.equal_range(key);
    it = range.second;
    const FieldDescriptor* f = FindField(d, key);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter '", EscapeForMessage(key),
                       "': ", d->name(), " has no such field"));
    }
    const std::string name = f->json_name();
    if (f->is_map() || !IsScalarLike(f)) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter '", name,
                       "': a message field (expected it in the JSON body)"));
    }
    for (const FieldDescriptor* b : in_body) {
      if (b == f) {
        return absl::InvalidArgumentError(absl::StrCat(
            name,
            ": given both in the body and as a query parameter (expected "
            "one)"));
      }
    }
    std::vector<std::string> values;
    for (auto v = range.first; v != range.second; ++v) {
      values.push_back(Quote(v->second));
    }
    if (!f->is_repeated() && values.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat("query parameter '", name,
                                                     "': given ", values.size(),
                                                     " times (expected once)"));
    }
    const std::string json = absl::StrCat(
        "{", Quote(name), ":",
        f->is_repeated() ? absl::StrCat("[", absl::StrJoin(values, ","), "]")
                         : values[0],
        "}");
    std::unique_ptr<Message> one(request->New());
    COVE_RETURN_IF_ERROR(ParseJson(
        json, one.get(), absl::StrCat("query parameter '", name, "'")));
    from_query->MergeFrom(*one);
  }
  request->MergeFrom(*from_query);
  return absl::OkStatus();
}

// Puts a path variable's value into the field `path` ("cluster.name").
absl::Status ApplyPathField(const std::string& rpc, const std::string& path,
                            const std::string& value, Message* request) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  Message* m = request;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts[i]);
    m = m->GetReflection()->MutableMessage(m, f);
  }
  const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts.back());
  const std::string current = m->GetReflection()->GetString(*m, f);
  if (!current.empty() && current != value) {
    // TestPermissions may ask about anything below the path's
    // organization.
    if (rpc == "TestPermissions" && absl::StartsWith(current, value + "/")) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the body says '", EscapeForMessage(current),
                     "' and the path '", EscapeForMessage(value),
                     "' (expected the same resource, or the field left out)"));
  }
  m->GetReflection()->SetString(m, f, value);
  return absl::OkStatus();
}

// The core's etags are quoted entity tags ("\"03f6021a5dfc67f7\""), as
// HTTP writes them: If-Match passes through (a W/ prefix removed; a bare
// token quoted), and ETag is the resource's etag as is.
std::string NormalizeEtag(std::string etag) {
  absl::StripAsciiWhitespace(&etag);
  if (absl::StartsWith(etag, "W/")) etag = etag.substr(2);
  if (!etag.empty() && etag.front() != '"')
    etag = absl::StrCat("\"", etag, "\"");
  return etag;
}

std::string EtagHeader(const std::string& etag) {
  return !etag.empty() && etag.front() == '"' ? etag
                                              : absl::StrCat("\"", etag, "\"");
}

HttpResponse Serve(CloudCore* core, const RestRpc& rpc,
                   const std::vector<std::string>& fields,
                   const HttpRequest& http) {
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(rpc.request)
          ->New());
  auto build = [&]() -> absl::Status {
    const bool has_body_method =
        http.method == "POST" || http.method == "PATCH" || http.method == "PUT";
    const bool blank = absl::StripAsciiWhitespace(http.body).empty();
    if (!has_body_method && !blank) {
      return absl::InvalidArgumentError(absl::StrCat(
          "request body: a ", http.method,
          " takes none (expected the fields as query parameters)"));
    }
    if (!blank) {
      // JSON only: a cross-site HTML form cannot send this type without a
      // CORS preflight, which this server never grants.
      std::string type = http.Header("Content-Type");
      type = std::string(absl::StripAsciiWhitespace(
          absl::string_view(type).substr(0, type.find(';'))));
      if (!absl::EqualsIgnoreCase(type, "application/json")) {
        return absl::InvalidArgumentError(
            absl::StrCat("Content-Type: expected application/json (got '",
                         EscapeForMessage(type), "')"));
      }
      COVE_RETURN_IF_ERROR(ParseJson(http.body, request.get(), "request body"));
    }
    COVE_RETURN_IF_ERROR(ApplyQuery(http.query, request.get()));
    for (size_t i = 0; i < fields.size() && i < http.matches.size(); ++i) {
      COVE_RETURN_IF_ERROR(
          ApplyPathField(rpc.name, fields[i], http.matches[i], request.get()));
    }
    return absl::OkStatus();
  };
  RequestContext ctx = HttpRequestContext(http);
  absl::Status status = build();
  if (status.ok()) status = MergeContextFields(ctx, request.get());
  if (!status.ok()) {
    // Counted and audited like any refusal: the core returns it first.
    ctx.refusal = status;
  } else {
    ctx.refusal = CheckRequestLimits(*request);
  }
  std::unique_ptr<Message> response(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(rpc.response)
          ->New());
  status = rpc.call(core, ctx, *request, response.get());
  if (!status.ok()) return ErrorResponse(status);
  HttpResponse out;
  google::protobuf::util::JsonPrintOptions print;
  auto printed =
      google::protobuf::util::MessageToJsonString(*response, &out.body, print);
  if (!printed.ok()) {
    return ErrorResponse(absl::InternalError(
        absl::StrCat("response: cannot print ", rpc.response->name(), " (",
                     printed.message().as_string(), ")")));
  }
  out.body += "\n";
  const FieldDescriptor* etag = rpc.response->FindFieldByName("etag");
  if (etag != nullptr && etag->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
      !etag->is_repeated()) {
    const std::string value =
        response->GetReflection()->GetString(*response, etag);
    if (!value.empty()) out.headers.emplace_back("ETag", EtagHeader(value));
  }
  return out;
}

}  // namespace

const std::vector<RestRoute>& RestRoutes() {
  static const auto* routes = [] {
    static const std::vector<RouteSpec>* specs =
        new std::vector<RouteSpec>(Specs());
    auto* out = new std::vector<RestRoute>();
    for (const RouteSpec& s : *specs) {
      out->push_back({s.rpc, s.method, s.path.c_str()});
    }
    return out;
  }();
  return *routes;
}

const std::map<std::string, RestRpc>& RestRpcs() {
  static const auto* rpcs = [] {
    auto* out = new std::map<std::string, RestRpc>();
#define COVE_REST_RPC(Service, Name, Request, Response)                      \
  (*out)[#Name] =                                                            \
      RestRpc{#Name, Service, Request::descriptor(), Response::descriptor(), \
              [](CloudCore* core, const RequestContext& ctx,                 \
                 const Message& req, Message* resp) {                        \
                return core->Name(ctx, static_cast<const Request&>(req),     \
                                  static_cast<Response*>(resp));             \
              }};
#define COVE_REST_CONTROL(Name, Request, Response) \
  COVE_REST_RPC("ControlPlane", Name, Request, Response)
#define COVE_REST_EMULATOR(Name, Request, Response) \
  COVE_REST_RPC("Emulator", Name, Request, Response)
    COVE_CONTROL_PLANE_RPCS(COVE_REST_CONTROL)
    COVE_EMULATOR_RPCS(COVE_REST_EMULATOR)
#undef COVE_REST_EMULATOR
#undef COVE_REST_CONTROL
#undef COVE_REST_RPC
    return out;
  }();
  return *rpcs;
}

CompiledPath CompilePath(const std::string& path_template) {
  CompiledPath out;
  auto escape = [](absl::string_view lit) {
    std::string r;
    for (char ch : lit) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '/' &&
          ch != '_' && ch != '-') {
        r += '\\';
      }
      r += ch;
    }
    return r;
  };
  size_t i = 0;
  while (i < path_template.size()) {
    const size_t open = path_template.find('{', i);
    const std::string lit = path_template.substr(
        i, open == std::string::npos ? std::string::npos : open - i);
    out.regex += escape(lit);
    out.openapi_path += lit;
    if (open == std::string::npos) break;
    const size_t close = path_template.find('}', open);
    const std::string var = path_template.substr(open + 1, close - open - 1);
    const size_t eq = var.find('=');
    out.fields.push_back(var.substr(0, eq));
    const std::vector<std::string> segments =
        absl::StrSplit(var.substr(eq + 1), '/');
    std::string group;
    for (size_t s = 0; s < segments.size(); ++s) {
      if (s > 0) {
        group += "/";
        out.openapi_path += "/";
      }
      if (segments[s] == "*") {
        group += "[^/:]+";
        // {organization} after "organizations"; {key} after "apiKeys".
        std::string param = s > 0 ? segments[s - 1] : std::string("id");
        if (absl::EndsWith(param, "s")) param.pop_back();
        if (param == "apiKey") param = "key";
        if (param == "roleBinding") param = "binding";
        out.openapi_params.push_back(param);
        out.openapi_path += absl::StrCat("{", param, "}");
      } else {
        group += escape(segments[s]);
        out.openapi_path += segments[s];
      }
    }
    out.regex += absl::StrCat("(", group, ")");
    i = close + 1;
  }
  return out;
}

RequestContext HttpRequestContext(const HttpRequest& request) {
  RequestContext ctx;
  ctx.authorization = request.Header("Authorization");
  ctx.peer = request.peer;
  ctx.request_id = request.Header("Idempotency-Key");
  if (request.HasHeader("If-Match")) {
    ctx.if_match = NormalizeEtag(request.Header("If-Match"));
  }
  return ctx;
}

void RegisterRestGateway(CloudCore* core, HttpServer* http) {
  const auto& rpcs = RestRpcs();
  for (const RestRoute& route : RestRoutes()) {
    auto it = rpcs.find(route.rpc);
    if (it == rpcs.end()) continue;  // rest_test checks the table
    const RestRpc* rpc = &it->second;
    CompiledPath compiled = CompilePath(route.path);
    http->Handle(route.method, compiled.regex,
                 [core, rpc, fields = compiled.fields](const HttpRequest& r) {
                   return Serve(core, *rpc, fields, r);
                 });
  }
  const std::string document = OpenApiDocument();
  http->Handle("GET", "/v1/openapi\\.json", [document](const HttpRequest&) {
    HttpResponse out;
    out.body = document;
    return out;
  });
  // Any other /v1 path: 404 naming it (before the console's "/" prefix).
  http->HandlePrefix("*", "/v1", [](const HttpRequest& req) {
    return ErrorResponse(absl::NotFoundError(
        absl::StrCat("path: no route for ", internal::ValidUtf8(req.path))));
  });
}

}  // namespace cove::cloud
