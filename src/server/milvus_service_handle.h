// The request path every RPC of cove-server's Milvus service shares
// (MilvusServiceImpl::Handle): authentication, the database, the privilege
// check, the call, the reply's status and the request metrics. Included by
// the .cc files that define the service's RPCs.
#ifndef COVE_SRC_SERVER_MILVUS_SERVICE_HANDLE_H_
#define COVE_SRC_SERVER_MILVUS_SERVICE_HANDLE_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/utf8.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "milvus/convert.h"
#include "server/milvus_service.h"

namespace cove::server {
namespace handle_internal {

// Stores a status in a reply: most replies have a `status` field; a few RPCs
// reply with a bare common.Status; DummyResponse has only a string.
inline void SetStatus(common_pb::Status* response,
                      const common_pb::Status& status) {
  *response = status;
}
inline void SetStatus(milvus_pb::DummyResponse* response,
                      const common_pb::Status& status) {
  response->set_response(status.reason());
}
template <typename Response>
inline void SetStatus(Response* response, const common_pb::Status& status) {
  *response->mutable_status() = status;
}

// The request's own database name (db_name, or dbName in old messages).
inline std::string RequestDb(const google::protobuf::Message& message) {
  for (const char* name : {"db_name", "dbName"}) {
    const google::protobuf::FieldDescriptor* field =
        message.GetDescriptor()->FindFieldByName(name);
    if (field != nullptr && !field->is_repeated() &&
        field->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      return message.GetReflection()->GetString(message, field);
    }
  }
  return std::string();
}

inline std::string Metadata(grpc::ServerContext* context, const char* key) {
  const auto& md = context->client_metadata();
  auto it = md.find(key);
  if (it == md.end()) return std::string();
  return std::string(it->second.data(), it->second.size());
}

// The options of LoadCollection and LoadPartitions that cove-server, one
// node, cannot honour are refused by name rather than ignored. Partial load
// (load_fields) is LoadCollection's only: `fields_ok` says it is read.
template <typename LoadRequest>
absl::Status CheckLoadOptions(const char* rpc, const LoadRequest& request,
                              bool fields_ok = false) {
  if (request.replica_number() > 1) {
    return absl::UnimplementedError(absl::StrCat(
        rpc,
        " replica_number: cove-server is one node and serves one replica "
        "(expected 0 or 1, got ",
        request.replica_number(), ")"));
  }
  if (fields_ok) return absl::OkStatus();
  if (request.load_fields_size() > 0) {
    return absl::UnimplementedError(absl::StrCat(
        rpc,
        " load_fields: partial load of partitions is not supported by "
        "cove-server (load the collection with load_fields instead)"));
  }
  if (request.skip_load_dynamic_field()) {
    return absl::UnimplementedError(absl::StrCat(
        rpc,
        " skip_load_dynamic_field: partial load of partitions is not "
        "supported by cove-server (load the collection with it instead)"));
  }
  return absl::OkStatus();
}

// "a, b, c" (for messages).
inline std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += internal::ValidUtf8(n);
  }
  return out;
}

inline absl::Status NeedName(const char* what, const std::string& value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": must not be empty"));
  }
  return absl::OkStatus();
}

inline absl::StatusOr<std::string> DecodePassword(const char* what,
                                                  const std::string& encoded) {
  auto decoded = internal::Base64Decode(encoded);
  if (!decoded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected base64 (as Milvus clients send it)"));
  }
  return decoded;
}

// Milvus answers drops of what does not exist with success.
inline absl::Status IgnoreNotFound(absl::Status s) {
  return absl::IsNotFound(s) ? absl::OkStatus() : s;
}

}  // namespace handle_internal

template <typename Request, typename Response, typename Fn>
grpc::Status MilvusServiceImpl::Handle(grpc::ServerContext* context,
                                       const Request& request,
                                       Response* response, Fn&& fn) {
  // The kind is a constant of each instantiation.
  static const RpcKind kind = RpcKindOf(Request::descriptor()->name());
  const absl::Time start = absl::Now();
  // The IP access list first: a refused address learns nothing else.
  if (options_.ip_access != nullptr) {
    if (absl::Status allowed = options_.ip_access->Check(context->peer());
        !allowed.ok()) {
      if (options_.metrics != nullptr) {
        options_.metrics->Record(kind, allowed.code(), absl::Now() - start);
      }
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          std::string(allowed.message()));
    }
  }
  auto user = Authenticate(context);
  if (!user.ok()) {
    if (options_.metrics != nullptr) {
      options_.metrics->Record(kind, absl::StatusCode::kUnauthenticated,
                               absl::Now() - start);
    }
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        std::string(user.status().message()));
  }
  Caller caller;
  caller.user = *user;
  std::string db = handle_internal::RequestDb(request);
  if (db.empty()) db = handle_internal::Metadata(context, "dbname");
  if (db.empty()) db = "default";
  caller.call.db_name = db;
  absl::Status s = Authorize(caller.user, request, db);
  if (s.ok()) s = fn(caller);
  handle_internal::SetStatus(response, internal::StatusToProto(s));
  if (options_.metrics != nullptr) {
    options_.metrics->Record(kind, s.code(), absl::Now() - start);
  }
  return grpc::Status::OK;
}

}  // namespace cove::server

#endif  // COVE_SRC_SERVER_MILVUS_SERVICE_HANDLE_H_
