// OpenApiDocument (see openapi.h).
#include "cloud/openapi.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloud/http_server.h"
#include "cloud/rest_gateway.h"
#include "google/protobuf/descriptor.h"

namespace cove::cloud {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

std::string Ref(const std::string& name) {
  return absl::StrCat("{\"$ref\":", JsonQuote("#/components/schemas/" + name),
                      "}");
}

// Collects the messages and enums the schemas refer to.
class Schemas {
 public:
  // The schema of a message type (a $ref, or an inline schema for the
  // well-known types).
  std::string OfMessage(const Descriptor* d) {
    const std::string& type = d->full_name();
    if (type == "google.protobuf.Timestamp") {
      return R"j({"type":"string","format":"date-time"})j";
    }
    if (type == "google.protobuf.Duration") {
      return R"j({"type":"string","description":"seconds with an s suffix, e.g. \"1.5s\""})j";
    }
    if (type == "google.protobuf.FieldMask") {
      return R"j({"type":"string","description":"comma-separated lowerCamelCase field paths"})j";
    }
    if (type == "google.protobuf.Empty") return R"j({"type":"object"})j";
    if (type == "google.protobuf.Struct") return R"j({"type":"object"})j";
    if (type == "google.protobuf.Value") return "{}";
    if (messages_.insert(d).second) pending_.push_back(d);
    return Ref(type);
  }

  std::string OfField(const FieldDescriptor* f) {
    if (f->is_map()) {
      const FieldDescriptor* value = f->message_type()->map_value();
      return absl::StrCat(R"j({"type":"object","additionalProperties":)j",
                          OfSingle(value), "}");
    }
    std::string single = OfSingle(f);
    if (f->is_repeated()) {
      return absl::StrCat(R"j({"type":"array","items":)j", single, "}");
    }
    return single;
  }

  std::string OfSingle(const FieldDescriptor* f) {
    switch (f->type()) {
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        return R"j({"type":"integer","format":"int32"})j";
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        return R"j({"type":"integer","format":"int32","minimum":0})j";
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        // The proto3 JSON mapping writes 64-bit integers as strings.
        return R"j({"type":"string","format":"int64"})j";
      case FieldDescriptor::TYPE_DOUBLE:
        return R"j({"type":"number","format":"double"})j";
      case FieldDescriptor::TYPE_FLOAT:
        return R"j({"type":"number","format":"float"})j";
      case FieldDescriptor::TYPE_BOOL:
        return R"j({"type":"boolean"})j";
      case FieldDescriptor::TYPE_STRING:
        return R"j({"type":"string"})j";
      case FieldDescriptor::TYPE_BYTES:
        return R"j({"type":"string","format":"byte"})j";
      case FieldDescriptor::TYPE_ENUM: {
        const EnumDescriptor* e = f->enum_type();
        if (enums_.insert(e).second) enum_list_.push_back(e);
        return Ref(e->full_name());
      }
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return OfMessage(f->message_type());
    }
    return "{}";
  }

  // "components.schemas" entries, for every type referred to so far and
  // the ones they refer to.
  std::string Components() {
    std::map<std::string, std::string> out;
    while (!pending_.empty()) {
      const Descriptor* d = pending_.back();
      pending_.pop_back();
      std::vector<std::string> props;
      for (int i = 0; i < d->field_count(); ++i) {
        const FieldDescriptor* f = d->field(i);
        props.push_back(
            absl::StrCat(JsonQuote(f->json_name()), ":", OfField(f)));
      }
      out[d->full_name()] = absl::StrCat(
          R"j({"type":"object","properties":{)j", absl::StrJoin(props, ","),
          R"j(},"additionalProperties":false})j");
    }
    for (const EnumDescriptor* e : enum_list_) {
      std::vector<std::string> values;
      for (int i = 0; i < e->value_count(); ++i) {
        values.push_back(JsonQuote(e->value(i)->name()));
      }
      out[e->full_name()] = absl::StrCat(R"j({"type":"string","enum":[)j",
                                         absl::StrJoin(values, ","), "]}");
    }
    out["Error"] =
        R"j({"type":"object","required":["error"],"properties":{"error":{"type":"object","required":["code","status","message"],"properties":{"code":{"type":"integer","description":"the HTTP status"},"status":{"type":"string","description":"the canonical code name, e.g. PERMISSION_DENIED"},"message":{"type":"string"}}}}})j";
    std::vector<std::string> entries;
    for (const auto& [name, schema] : out) {
      entries.push_back(absl::StrCat(JsonQuote(name), ":", schema));
    }
    return absl::StrCat("{", absl::StrJoin(entries, ","), "}");
  }

 private:
  std::set<const Descriptor*> messages_;
  std::vector<const Descriptor*> pending_;
  std::set<const EnumDescriptor*> enums_;
  std::vector<const EnumDescriptor*> enum_list_;
};

bool IsQueryField(const FieldDescriptor* f) {
  if (f->is_map()) return false;
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  const std::string& type = f->message_type()->full_name();
  return type == "google.protobuf.Timestamp" ||
         type == "google.protobuf.Duration" ||
         type == "google.protobuf.FieldMask";
}

// True when the request takes an etag (its own or its resource's).
bool TakesEtag(const Descriptor* d) {
  if (d->FindFieldByName("etag") != nullptr) return true;
  if (d->name().rfind("Update", 0) != 0) return false;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        f->message_type()->FindFieldByName("etag") != nullptr) {
      return true;
    }
  }
  return false;
}

std::string Operation(const RestRoute& route, const RestRpc& rpc,
                      const CompiledPath& path, const std::string& id,
                      Schemas& schemas) {
  std::vector<std::string> params;
  for (const std::string& p : path.openapi_params) {
    params.push_back(absl::StrCat(
        R"j({"name":)j", JsonQuote(p),
        R"j(,"in":"path","required":true,"schema":{"type":"string"}})j"));
  }
  const std::string method = route.method;
  const bool body = method == "POST" || method == "PATCH";
  if (!body) {
    std::set<std::string> path_fields(path.fields.begin(), path.fields.end());
    for (int i = 0; i < rpc.request->field_count(); ++i) {
      const FieldDescriptor* f = rpc.request->field(i);
      if (path_fields.count(f->name()) || !IsQueryField(f)) continue;
      if (f->name() == "request_id" || f->name() == "etag") continue;
      params.push_back(absl::StrCat(R"j({"name":)j", JsonQuote(f->json_name()),
                                    R"j(,"in":"query","schema":)j",
                                    schemas.OfField(f), "}"));
    }
  }
  if (rpc.request->FindFieldByName("request_id") != nullptr) {
    params.push_back(
        R"j({"name":"Idempotency-Key","in":"header","description":"the request id: a retry with the same key returns the first response","schema":{"type":"string"}})j");
  }
  if (TakesEtag(rpc.request)) {
    params.push_back(
        R"j({"name":"If-Match","in":"header","description":"the etag the resource must still have","schema":{"type":"string"}})j");
  }
  std::string out = absl::StrCat(
      "{", R"j("operationId":)j", JsonQuote(id), R"j(,"summary":)j",
      JsonQuote(absl::StrCat(rpc.service, ".", rpc.name)), R"j(,"tags":[)j",
      JsonQuote(rpc.service), "]", R"j(,"parameters":[)j",
      absl::StrJoin(params, ","), "]");
  if (body) {
    absl::StrAppend(
        &out,
        R"j(,"requestBody":{"required":false,"content":{"application/json":{"schema":)j",
        schemas.OfMessage(rpc.request), "}}}");
  }
  absl::StrAppend(
      &out,
      R"j(,"responses":{"200":{"description":"OK","content":{"application/json":{"schema":)j",
      schemas.OfMessage(rpc.response),
      R"j(}}},"default":{"description":"an error","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}}}})j");
  return out;
}

}  // namespace

std::string OpenApiDocument() {
  Schemas schemas;
  // Path items in table order; operations by method.
  std::vector<std::pair<std::string, std::vector<std::string>>> paths;
  std::map<std::string, size_t> index;
  std::map<std::string, int> ids;
  const auto& rpcs = RestRpcs();
  for (const RestRoute& route : RestRoutes()) {
    auto it = rpcs.find(route.rpc);
    if (it == rpcs.end()) continue;
    const CompiledPath path = CompilePath(route.path);
    std::string id = route.rpc;
    if (int n = ++ids[id]; n > 1) id = absl::StrCat(id, n);
    auto [pos, added] = index.emplace(path.openapi_path, paths.size());
    if (added) paths.push_back({path.openapi_path, {}});
    paths[pos->second].second.push_back(
        absl::StrCat(JsonQuote(absl::AsciiStrToLower(route.method)), ":",
                     Operation(route, it->second, path, id, schemas)));
  }
  std::vector<std::string> items;
  for (const auto& [p, ops] : paths) {
    items.push_back(
        absl::StrCat(JsonQuote(p), ":{", absl::StrJoin(ops, ","), "}"));
  }
  items.push_back(
      R"j("/v1/openapi.json":{"get":{"operationId":"GetOpenApiDocument","summary":"this document","security":[],"responses":{"200":{"description":"the OpenAPI document","content":{"application/json":{"schema":{"type":"object"}}}}}}})j");
  return absl::StrCat(
      R"j({"openapi":"3.0.3","info":{"title":"Cove control plane (cove.control.v1)","version":"v1","description":"The REST/JSON form of the cove.control.v1 ControlPlane and Emulator gRPC services (proto3 JSON mapping). See docs/open-api.md."},)j",
      R"j("servers":[{"url":"/"}],"security":[{"bearer":[]}],"paths":{)j",
      absl::StrJoin(items, ","),
      R"j(},"components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer","description":"an API key secret (Authorization: Bearer <secret>)"}},"schemas":)j",
      schemas.Components(), "}}\n");
}

}  // namespace cove::cloud
