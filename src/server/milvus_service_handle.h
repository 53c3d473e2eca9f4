// The request path every RPC of cove-server's Milvus service shares
// (MilvusServiceImpl::Handle): authentication, the database, the privilege
// check, the call, the reply's status and the request metrics. Included by
// the .cc files that define the service's RPCs.
#ifndef COVE_SRC_SERVER_MILVUS_SERVICE_HANDLE_H_
#define COVE_SRC_SERVER_MILVUS_SERVICE_HANDLE_H_

#include <string>

#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
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

}  // namespace handle_internal

template <typename Request, typename Response, typename Fn>
grpc::Status MilvusServiceImpl::Handle(grpc::ServerContext* context,
                                       const Request& request,
                                       Response* response, Fn&& fn) {
  // The kind is a constant of each instantiation.
  static const RpcKind kind = RpcKindOf(Request::descriptor()->name());
  const absl::Time start = absl::Now();
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
