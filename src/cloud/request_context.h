// RequestContext: what a transport (the gRPC service, the REST/JSON gateway,
// the console) tells the control-plane core about one request, in place of
// a transport's own context type (grpc::ServerContext, an HTTP request).
// The core authenticates from `authorization`, audits `peer` and the
// request id, and checks etags; it never sees a transport type.
#ifndef COVE_SRC_CLOUD_REQUEST_CONTEXT_H_
#define COVE_SRC_CLOUD_REQUEST_CONTEXT_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace cove::cloud {

/// One request as the core sees it. Plain data; cheap to copy.
struct RequestContext {
  /// The credentials as sent: "Bearer <API key secret>" (gRPC metadata
  /// `authorization`, HTTP header `Authorization`, or the console's session
  /// in the same form). Empty: none (UNAUTHENTICATED where a key is needed).
  std::string authorization;
  /// Who connected ("ipv4:127.0.0.1:5432"), for the audit log.
  std::string peer;
  /// Transports whose request id or etag travel outside the message (HTTP
  /// headers `Idempotency-Key`, `If-Match`): MergeContextFields puts them
  /// into the request message before the core reads it. Empty: none.
  std::string request_id;
  std::string if_match;
  /// A refusal the transport made before the core saw the request (the size
  /// and charset limits of request_limits.h): the core returns it first
  /// (after its own shutdown check) and counts it like any other result.
  absl::Status refusal;
  /// True once the caller has gone away (a long WaitOperation stops
  /// waiting). Unset: never.
  std::function<bool()> cancelled;

  bool IsCancelled() const { return cancelled != nullptr && cancelled(); }
};

/// Puts the context's request id and etag into `request`: the request id
/// into its `request_id` field, the etag into its `etag` field or, for an
/// Update*, into the `etag` of the resource it updates. InvalidArgument
/// when the request has no such field (naming the request and the
/// header's meaning), or when the message already holds a different value.
absl::Status MergeContextFields(const RequestContext& ctx,
                                google::protobuf::Message* request);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_REQUEST_CONTEXT_H_
