// The web console's routes: static files, Chart.js, the session check and
// the data explorer (console_routes.h).
#include "cloud/console_routes.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloud/cloud_core.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "common/value_json.h"
#include "cove/client.h"
#include "nlohmann/json.hpp"

#ifndef COVE_CONSOLE_SOURCE_DIR
#define COVE_CONSOLE_SOURCE_DIR ""
#endif

namespace cove::cloud {
namespace {

using json = nlohmann::json;

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// realpath(3), or "" when the path does not exist.
std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return "";
  return buf;
}

std::string ProgramDir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  std::string exe(buf, static_cast<size_t>(n));
  size_t slash = exe.rfind('/');
  return slash == std::string::npos ? "" : exe.substr(0, slash);
}

HttpResponse JsonResponse(const json& body) {
  HttpResponse resp;
  resp.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  resp.headers.emplace_back("Cache-Control", "no-store");
  return resp;
}

HttpResponse FileResponse(std::string body, const std::string& file) {
  HttpResponse resp;
  resp.content_type = ConsoleContentType(file);
  resp.body = std::move(body);
  // The files change with the build: revalidate every time.
  resp.headers.emplace_back("Cache-Control", "no-cache");
  return resp;
}

RequestContext ContextOf(const HttpRequest& req) {
  RequestContext ctx;
  ctx.authorization = req.Header("Authorization");
  ctx.peer = req.peer;
  return ctx;
}

// ---- the data explorer ------------------------------------------------------

// The database credentials of the explorer: X-Cove-Database-Auth, base64
// of "user:password".
absl::StatusOr<std::pair<std::string, std::string>> DatabaseAuth(
    const HttpRequest& req) {
  std::string header = req.Header("X-Cove-Database-Auth");
  if (header.empty()) {
    return absl::UnauthenticatedError(
        "X-Cove-Database-Auth: the data explorer needs the cluster's "
        "database credentials (expected base64 of user:password)");
  }
  std::string decoded;
  if (!absl::Base64Unescape(header, &decoded)) {
    return absl::InvalidArgumentError(
        "X-Cove-Database-Auth: expected base64 of user:password (got "
        "something that is not base64)");
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        "X-Cove-Database-Auth: expected base64 of user:password (no user "
        "before a ':')");
  }
  return std::make_pair(decoded.substr(0, colon), decoded.substr(colon + 1));
}

class Explorer {
 public:
  Explorer(CloudCore* core, ConsoleOptions options)
      : core_(core), options_(std::move(options)) {}

  // A client of the cluster's data plane, after the control plane allowed
  // clusters.get on it to the request's key.
  absl::StatusOr<Client> Connect(const HttpRequest& req,
                                 const std::string& cluster_name) {
    v1::GetRequest get;
    get.set_name(cluster_name);
    v1::Cluster cluster;
    COVE_RETURN_IF_ERROR(core_->GetCluster(ContextOf(req), get, &cluster));
    if (cluster.state() != v1::Cluster::RUNNING) {
      return absl::FailedPreconditionError(
          absl::StrCat("cluster ", cluster_name,
                       ": the data explorer reads "
                       "a RUNNING cluster (it is ",
                       v1::Cluster::State_Name(cluster.state()), ")"));
    }
    if (cluster.endpoint().empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cluster ", cluster_name, ": it has no data-plane endpoint yet"));
    }
    COVE_ASSIGN_OR_RETURN(auto auth, DatabaseAuth(req));
    ClientOptions client_options;
    client_options.remote.user = auth.first;
    client_options.remote.password = auth.second;
    client_options.remote.timeout = std::chrono::seconds(15);
    client_options.remote.max_attempts = 2;
    if (absl::StartsWith(cluster.endpoint(), "https://")) {
      client_options.remote.ca_cert_file = options_.data_plane_ca_file;
    }
    return Client::Open(cluster.endpoint(), client_options);
  }

  static CallOptions CallOf(const HttpRequest& req) {
    CallOptions call;
    auto it = req.query.find("database");
    if (it != req.query.end()) call.db_name = it->second;
    return call;
  }

  absl::StatusOr<json> ListCollections(const HttpRequest& req) {
    COVE_ASSIGN_OR_RETURN(Client client, Connect(req, req.matches.at(0)));
    CallOptions call = CallOf(req);
    COVE_ASSIGN_OR_RETURN(auto names, client.ListCollections(call));
    json out = {{"collections", json::array()}};
    for (const std::string& name : names) {
      json item = {{"name", name}};
      auto stats = client.GetCollectionStats(name, call);
      if (stats.ok()) item["rowCount"] = stats->row_count;
      out["collections"].push_back(std::move(item));
    }
    return out;
  }

  absl::StatusOr<json> DescribeCollection(const HttpRequest& req) {
    COVE_ASSIGN_OR_RETURN(Client client, Connect(req, req.matches.at(0)));
    const std::string& name = req.matches.at(1);
    CallOptions call = CallOf(req);
    COVE_ASSIGN_OR_RETURN(CollectionDescription d,
                          client.DescribeCollection(name, call));
    COVE_ASSIGN_OR_RETURN(CollectionStats stats,
                          client.GetCollectionStats(name, call));
    json out = {{"name", d.name},
                {"description", d.schema.description},
                {"enableDynamicField", d.schema.enable_dynamic_field},
                {"rowCount", stats.row_count},
                {"partitions", d.partitions},
                {"aliases", d.aliases},
                {"fields", json::array()},
                {"indexes", json::array()}};
    for (const FieldSchema& f : d.schema.fields) {
      json field = {{"name", f.name},
                    {"dataType", DataTypeName(f.type)},
                    {"description", f.description},
                    {"isPrimaryKey", f.is_primary_key},
                    {"autoId", f.auto_id},
                    {"nullable", f.nullable},
                    {"isPartitionKey", f.is_partition_key}};
      if (f.dim > 0) field["dim"] = f.dim;
      if (f.max_length > 0) field["maxLength"] = f.max_length;
      if (f.element_type != DataType::kNone) {
        field["elementType"] = DataTypeName(f.element_type);
        field["maxCapacity"] = f.max_capacity;
      }
      out["fields"].push_back(std::move(field));
    }
    auto load = client.GetLoadState(name, call);
    if (load.ok()) {
      static constexpr const char* kLoadStates[] = {"NotExist", "NotLoaded",
                                                    "Loading", "Loaded"};
      out["loadState"] = kLoadStates[static_cast<int>(*load)];
    }
    COVE_ASSIGN_OR_RETURN(auto indexes, client.DescribeIndexes(name, call));
    for (const IndexDescription& i : indexes) {
      out["indexes"].push_back({{"indexName", i.index_name},
                                {"fieldName", i.field_name},
                                {"indexType", IndexTypeName(i.index_type)},
                                {"metricType", MetricTypeName(i.metric_type)},
                                {"params", i.params},
                                {"indexedRows", i.indexed_rows},
                                {"totalRows", i.total_rows},
                                {"state", i.state}});
    }
    return out;
  }

  absl::StatusOr<json> Query(const HttpRequest& req) {
    COVE_ASSIGN_OR_RETURN(json body,
                          Body(req, {"filter", "outputFields", "limit"}));
    QueryRequest query;
    query.collection_name = req.matches.at(1);
    COVE_RETURN_IF_ERROR(
        Common(body, &query.filter, &query.output_fields, &query.limit));
    COVE_ASSIGN_OR_RETURN(Client client, Connect(req, req.matches.at(0)));
    COVE_ASSIGN_OR_RETURN(auto rows, client.Query(query, CallOf(req)));
    json out = {{"rows", json::array()}};
    for (const Row& row : rows) out["rows"].push_back(RowJson(row));
    return out;
  }

  absl::StatusOr<json> Search(const HttpRequest& req) {
    COVE_ASSIGN_OR_RETURN(json body,
                          Body(req, {"primaryKey", "annsField", "filter",
                                     "outputFields", "limit"}));
    SearchRequest search;
    search.collection_name = req.matches.at(1);
    COVE_RETURN_IF_ERROR(
        Common(body, &search.filter, &search.output_fields, &search.limit));
    if (body.contains("annsField")) {
      if (!body["annsField"].is_string()) {
        return absl::InvalidArgumentError(
            "annsField: expected a string (the vector field)");
      }
      search.anns_field = body["annsField"].get<std::string>();
    }
    if (!body.contains("primaryKey") ||
        !(body["primaryKey"].is_string() ||
          body["primaryKey"].is_number_integer())) {
      return absl::InvalidArgumentError(
          "primaryKey: expected the primary key of the row whose vector to "
          "search with (a string or an integer)");
    }
    COVE_ASSIGN_OR_RETURN(Client client, Connect(req, req.matches.at(0)));
    CallOptions call = CallOf(req);
    COVE_ASSIGN_OR_RETURN(
        CollectionDescription d,
        client.DescribeCollection(search.collection_name, call));
    const FieldSchema* pk = nullptr;
    const FieldSchema* vector = nullptr;
    for (const FieldSchema& f : d.schema.fields) {
      if (f.is_primary_key) pk = &f;
      bool is_vector = f.type == DataType::kFloatVector;
      if (is_vector && vector == nullptr &&
          (search.anns_field.empty() || search.anns_field == f.name)) {
        vector = &f;
      }
    }
    if (pk == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("collection ", d.name, ": it has no primary key field"));
    }
    if (vector == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "annsField: collection ", d.name, " has no FLOAT_VECTOR field",
          search.anns_field.empty() ? "" : " named ", search.anns_field));
    }
    COVE_ASSIGN_OR_RETURN(Value key, KeyOf(body["primaryKey"], *pk));
    COVE_ASSIGN_OR_RETURN(auto rows, client.Get(search.collection_name, {key},
                                                {vector->name}, call));
    if (rows.empty()) {
      return absl::NotFoundError(
          absl::StrCat("primaryKey: collection ", d.name, " has no row with ",
                       pk->name, " = ", body["primaryKey"].dump()));
    }
    auto it = rows.front().find(vector->name);
    if (it == rows.front().end() || !it->second.is_float_vector()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "primaryKey: the row has no vector in field ", vector->name));
    }
    search.vectors = it->second.AsFloatVector();
    search.dim = search.vectors.size();
    search.anns_field = vector->name;
    COVE_ASSIGN_OR_RETURN(SearchResults results, client.Search(search, call));
    json out = {{"annsField", vector->name}, {"hits", json::array()}};
    if (!results.hits.empty()) {
      for (const Hit& hit : results.hits.front()) {
        out["hits"].push_back({{"id", internal::ValueToPlainJson(hit.id)},
                               {"distance", hit.distance},
                               {"fields", RowJson(hit.entity)}});
      }
    }
    return out;
  }

 private:
  // The JSON object of a request body; InvalidArgument naming a field
  // that is not in `allowed`.
  static absl::StatusOr<json> Body(const HttpRequest& req,
                                   const std::set<std::string>& allowed) {
    if (req.body.empty()) return json::object();
    // JSON only, as on the REST routes: a cross-site HTML form cannot send
    // this type without a CORS preflight, which this server never grants.
    std::string type = req.Header("Content-Type");
    type = std::string(absl::StripAsciiWhitespace(
        absl::string_view(type).substr(0, type.find(';'))));
    if (!absl::EqualsIgnoreCase(type, "application/json")) {
      return absl::InvalidArgumentError(
          "Content-Type: expected application/json for a request body");
    }
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return absl::InvalidArgumentError("request body: expected a JSON object");
    }
    for (const auto& [key, value] : body.items()) {
      if (allowed.count(key) == 0) {
        std::string names;
        for (const std::string& a : allowed) {
          absl::StrAppend(&names, names.empty() ? "" : ", ", a);
        }
        return absl::InvalidArgumentError(absl::StrCat(
            "request body: unknown field '", key, "' (expected ", names, ")"));
      }
    }
    return body;
  }

  static absl::Status Common(const json& body, std::string* filter,
                             std::vector<std::string>* output_fields,
                             int64_t* limit) {
    if (body.contains("filter")) {
      if (!body["filter"].is_string()) {
        return absl::InvalidArgumentError(
            "filter: expected a string (a boolean expression)");
      }
      *filter = body["filter"].get<std::string>();
    }
    if (body.contains("outputFields")) {
      const json& f = body["outputFields"];
      if (!f.is_array()) {
        return absl::InvalidArgumentError(
            "outputFields: expected an array of field names");
      }
      for (const json& name : f) {
        if (!name.is_string()) {
          return absl::InvalidArgumentError(
              "outputFields: expected an array of field names (got a "
              "non-string item)");
        }
        output_fields->push_back(name.get<std::string>());
      }
    }
    *limit = 10;
    if (body.contains("limit")) {
      const json& l = body["limit"];
      if (!l.is_number_integer() || l.get<int64_t>() < 1 ||
          l.get<int64_t>() > 16384) {
        return absl::InvalidArgumentError(absl::StrCat(
            "limit: expected an integer from 1 to 16384 (got ", l.dump(), ")"));
      }
      *limit = l.get<int64_t>();
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<Value> KeyOf(const json& key, const FieldSchema& pk) {
    if (pk.type == DataType::kVarChar) {
      if (key.is_string()) return Value(key.get<std::string>());
      return Value(key.dump());
    }
    if (key.is_number_integer()) return Value(key.get<int64_t>());
    int64_t v = 0;
    if (!absl::SimpleAtoi(key.get<std::string>(), &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("primaryKey: expected an integer for ", pk.name,
                       " (got '", key.get<std::string>(), "')"));
    }
    return Value(v);
  }

  static json RowJson(const Row& row) {
    json out = json::object();
    for (const auto& [name, value] : row) {
      out[name] = internal::ValueToPlainJson(value);
    }
    return out;
  }

  CloudCore* core_;
  ConsoleOptions options_;
};

HttpResponse Reply(const absl::StatusOr<json>& result) {
  if (!result.ok()) return ErrorResponse(result.status());
  return JsonResponse(*result);
}

}  // namespace

absl::StatusOr<std::string> ResolveConsoleDir(const std::string& configured) {
  if (!configured.empty()) {
    if (!IsFile(configured + "/index.html")) {
      return absl::NotFoundError(absl::StrCat(
          "console_dir: no index.html in ", configured,
          " (expected the console/ directory of the source tree or "
          "share/cove/console of an install)"));
    }
    return configured;
  }
  std::vector<std::string> candidates;
  std::string program = ProgramDir();
  if (!program.empty()) {
    candidates.push_back(program + "/../share/cove/console");
  }
  if (*COVE_CONSOLE_SOURCE_DIR != '\0') {
    candidates.push_back(COVE_CONSOLE_SOURCE_DIR);
  }
  for (const std::string& dir : candidates) {
    if (IsFile(dir + "/index.html")) {
      std::string real = RealPath(dir);
      return real.empty() ? dir : real;
    }
  }
  std::string looked;
  for (const std::string& dir : candidates) {
    absl::StrAppend(&looked, looked.empty() ? "" : ", ", dir);
  }
  return absl::NotFoundError(
      absl::StrCat("console_dir: no console files found (looked in ", looked,
                   "); pass --console-dir"));
}

absl::StatusOr<std::string> ResolveConsolePath(const std::string& root,
                                               const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(
        "path: expected an absolute URL path starting with '/'");
  }
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') {
      return absl::InvalidArgumentError(
          "path: control characters and backslashes are not allowed");
    }
  }
  std::string rel = path.substr(1);
  if (rel.empty()) rel = "index.html";
  for (absl::string_view segment : absl::StrSplit(rel, '/')) {
    if (segment.empty() || segment == "." || segment == "..") {
      return absl::InvalidArgumentError(
          "path: empty, '.' and '..' segments are not allowed");
    }
  }
  std::string real_root = RealPath(root);
  if (real_root.empty()) {
    return absl::NotFoundError(absl::StrCat("console: no directory ", root));
  }
  std::string real = RealPath(real_root + "/" + rel);
  if (real.empty() || !absl::StartsWith(real, real_root + "/") ||
      !IsFile(real)) {
    return absl::NotFoundError(absl::StrCat("no console file ", path));
  }
  return real;
}

std::string ConsoleContentType(const std::string& file) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  std::string lower = absl::AsciiStrToLower(file);
  for (const auto& [ext, type] : kTypes) {
    if (absl::EndsWith(lower, ext)) return type;
  }
  return "application/octet-stream";
}

void RegisterConsole(CloudCore* core, HttpServer* http,
                     const ConsoleOptions& options) {
  // Who is signed in: the console checks a key with it, and goes to the
  // key's scope.
  http->Handle("GET", "/console/session",
               [core, options](const HttpRequest& req) {
                 auto who = core->WhoAmI(ContextOf(req));
                 if (!who.ok()) return ErrorResponse(who.status());
                 return JsonResponse(
                     {{"actor", who->actor},
                      {"admin", who->admin},
                      {"keyName", who->key_name},
                      {"scope", who->scope},
                      {"role", who->role},
                      {"owner", who->owner},
                      {"controlPlaneAddress", options.control_plane_address}});
               });

  auto explorer = std::make_shared<Explorer>(core, options);
  const std::string cluster =
      "/v1/(organizations/[^/]+/projects/[^/]+/clusters/[^/:]+)";
  http->Handle("GET", cluster + "/collections",
               [explorer](const HttpRequest& req) {
                 return Reply(explorer->ListCollections(req));
               });
  http->Handle("GET", cluster + "/collections/([^/:]+)",
               [explorer](const HttpRequest& req) {
                 return Reply(explorer->DescribeCollection(req));
               });
  http->Handle("POST", cluster + "/collections/([^/:]+):query",
               [explorer](const HttpRequest& req) {
                 return Reply(explorer->Query(req));
               });
  http->Handle("POST", cluster + "/collections/([^/:]+):search",
               [explorer](const HttpRequest& req) {
                 return Reply(explorer->Search(req));
               });

  std::string chartjs = options.chartjs_file;
  http->Handle("GET", "/vendor/chart\\.js", [chartjs](const HttpRequest&) {
    auto body = chartjs.empty() ? absl::NotFoundError("no Chart.js file")
                                : internal::ReadFile("console", chartjs);
    if (!body.ok()) {
      return ErrorResponse(absl::NotFoundError(
          "/vendor/chart.js: Chart.js is not installed (Debian "
          "libjs-chart.js; CloudOptions::chartjs_file)"));
    }
    return FileResponse(*std::move(body), "chart.js");
  });

  std::string root = options.console_dir;
  http->HandlePrefix("GET", "/", [root](const HttpRequest& req) {
    if (req.path == "/v1" || absl::StartsWith(req.path, "/v1/")) {
      return ErrorResponse(absl::NotFoundError("no API method at this path"));
    }
    if (root.empty()) {
      return ErrorResponse(absl::NotFoundError(
          "the console is not installed (no console directory)"));
    }
    auto file = ResolveConsolePath(root, req.path);
    if (!file.ok()) {
      return ErrorResponse(absl::NotFoundError("no console page at this path"));
    }
    auto body = internal::ReadFile("console", *file);
    if (!body.ok()) return ErrorResponse(body.status());
    return FileResponse(*std::move(body), *file);
  });
}

}  // namespace cove::cloud
