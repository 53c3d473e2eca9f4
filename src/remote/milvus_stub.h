// MilvusStub: the remote backend's view of the Milvus v2 gRPC service, one
// virtual method per RPC it uses. The gRPC implementation is wrapped by small
// decorators (session metadata, logging) built in one factory; tests put a
// fake under the connection instead.
#ifndef COVE_SRC_REMOTE_MILVUS_STUB_H_
#define COVE_SRC_REMOTE_MILVUS_STUB_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/grpc_client.h"
#include "milvus.grpc.pb.h"

namespace cove::internal {

namespace stub_pb = ::milvus::proto;

/// X(method, request type, response type) for every RPC the remote backend
/// uses.
#define COVE_MILVUS_STUB_RPCS(X)                                               \
  X(Connect, stub_pb::milvus::ConnectRequest,                                  \
    stub_pb::milvus::ConnectResponse)                                          \
  X(GetVersion, stub_pb::milvus::GetVersionRequest,                            \
    stub_pb::milvus::GetVersionResponse)                                       \
  X(CheckHealth, stub_pb::milvus::CheckHealthRequest,                          \
    stub_pb::milvus::CheckHealthResponse)                                      \
  X(CreateDatabase, stub_pb::milvus::CreateDatabaseRequest,                    \
    stub_pb::common::Status)                                                   \
  X(DropDatabase, stub_pb::milvus::DropDatabaseRequest,                        \
    stub_pb::common::Status)                                                   \
  X(ListDatabases, stub_pb::milvus::ListDatabasesRequest,                      \
    stub_pb::milvus::ListDatabasesResponse)                                    \
  X(CreateCollection, stub_pb::milvus::CreateCollectionRequest,                \
    stub_pb::common::Status)                                                   \
  X(DropCollection, stub_pb::milvus::DropCollectionRequest,                    \
    stub_pb::common::Status)                                                   \
  X(HasCollection, stub_pb::milvus::HasCollectionRequest,                      \
    stub_pb::milvus::BoolResponse)                                             \
  X(DescribeCollection, stub_pb::milvus::DescribeCollectionRequest,            \
    stub_pb::milvus::DescribeCollectionResponse)                               \
  X(ShowCollections, stub_pb::milvus::ShowCollectionsRequest,                  \
    stub_pb::milvus::ShowCollectionsResponse)                                  \
  X(RenameCollection, stub_pb::milvus::RenameCollectionRequest,                \
    stub_pb::common::Status)                                                   \
  X(GetCollectionStatistics, stub_pb::milvus::GetCollectionStatisticsRequest,  \
    stub_pb::milvus::GetCollectionStatisticsResponse)                          \
  X(LoadCollection, stub_pb::milvus::LoadCollectionRequest,                    \
    stub_pb::common::Status)                                                   \
  X(ReleaseCollection, stub_pb::milvus::ReleaseCollectionRequest,              \
    stub_pb::common::Status)                                                   \
  X(GetLoadState, stub_pb::milvus::GetLoadStateRequest,                        \
    stub_pb::milvus::GetLoadStateResponse)                                     \
  X(LoadPartitions, stub_pb::milvus::LoadPartitionsRequest,                    \
    stub_pb::common::Status)                                                   \
  X(ReleasePartitions, stub_pb::milvus::ReleasePartitionsRequest,              \
    stub_pb::common::Status)                                                   \
  X(GetPartitionStatistics, stub_pb::milvus::GetPartitionStatisticsRequest,    \
    stub_pb::milvus::GetPartitionStatisticsResponse)                           \
  X(CreatePartition, stub_pb::milvus::CreatePartitionRequest,                  \
    stub_pb::common::Status)                                                   \
  X(DropPartition, stub_pb::milvus::DropPartitionRequest,                      \
    stub_pb::common::Status)                                                   \
  X(HasPartition, stub_pb::milvus::HasPartitionRequest,                        \
    stub_pb::milvus::BoolResponse)                                             \
  X(ShowPartitions, stub_pb::milvus::ShowPartitionsRequest,                    \
    stub_pb::milvus::ShowPartitionsResponse)                                   \
  X(CreateAlias, stub_pb::milvus::CreateAliasRequest, stub_pb::common::Status) \
  X(DropAlias, stub_pb::milvus::DropAliasRequest, stub_pb::common::Status)     \
  X(AlterAlias, stub_pb::milvus::AlterAliasRequest, stub_pb::common::Status)   \
  X(DescribeAlias, stub_pb::milvus::DescribeAliasRequest,                      \
    stub_pb::milvus::DescribeAliasResponse)                                    \
  X(ListAliases, stub_pb::milvus::ListAliasesRequest,                          \
    stub_pb::milvus::ListAliasesResponse)                                      \
  X(CreateIndex, stub_pb::milvus::CreateIndexRequest, stub_pb::common::Status) \
  X(DescribeIndex, stub_pb::milvus::DescribeIndexRequest,                      \
    stub_pb::milvus::DescribeIndexResponse)                                    \
  X(DropIndex, stub_pb::milvus::DropIndexRequest, stub_pb::common::Status)     \
  X(Insert, stub_pb::milvus::InsertRequest, stub_pb::milvus::MutationResult)   \
  X(Upsert, stub_pb::milvus::UpsertRequest, stub_pb::milvus::MutationResult)   \
  X(Delete, stub_pb::milvus::DeleteRequest, stub_pb::milvus::MutationResult)   \
  X(Search, stub_pb::milvus::SearchRequest, stub_pb::milvus::SearchResults)    \
  X(HybridSearch, stub_pb::milvus::HybridSearchRequest,                        \
    stub_pb::milvus::SearchResults)                                            \
  X(Query, stub_pb::milvus::QueryRequest, stub_pb::milvus::QueryResults)       \
  X(Flush, stub_pb::milvus::FlushRequest, stub_pb::milvus::FlushResponse)      \
  X(ManualCompaction, stub_pb::milvus::ManualCompactionRequest,                \
    stub_pb::milvus::ManualCompactionResponse)                                 \
  X(GetCompactionState, stub_pb::milvus::GetCompactionStateRequest,            \
    stub_pb::milvus::GetCompactionStateResponse)                               \
  X(CreateCredential, stub_pb::milvus::CreateCredentialRequest,                \
    stub_pb::common::Status)                                                   \
  X(UpdateCredential, stub_pb::milvus::UpdateCredentialRequest,                \
    stub_pb::common::Status)                                                   \
  X(DeleteCredential, stub_pb::milvus::DeleteCredentialRequest,                \
    stub_pb::common::Status)                                                   \
  X(ListCredUsers, stub_pb::milvus::ListCredUsersRequest,                      \
    stub_pb::milvus::ListCredUsersResponse)                                    \
  X(CreateRole, stub_pb::milvus::CreateRoleRequest, stub_pb::common::Status)   \
  X(DropRole, stub_pb::milvus::DropRoleRequest, stub_pb::common::Status)       \
  X(OperateUserRole, stub_pb::milvus::OperateUserRoleRequest,                  \
    stub_pb::common::Status)                                                   \
  X(SelectRole, stub_pb::milvus::SelectRoleRequest,                            \
    stub_pb::milvus::SelectRoleResponse)                                       \
  X(SelectUser, stub_pb::milvus::SelectUserRequest,                            \
    stub_pb::milvus::SelectUserResponse)                                       \
  X(OperatePrivilege, stub_pb::milvus::OperatePrivilegeRequest,                \
    stub_pb::common::Status)                                                   \
  X(SelectGrant, stub_pb::milvus::SelectGrantRequest,                          \
    stub_pb::milvus::SelectGrantResponse)                                      \
  X(DescribeDatabase, stub_pb::milvus::DescribeDatabaseRequest,                \
    stub_pb::milvus::DescribeDatabaseResponse)                                 \
  X(AlterDatabase, stub_pb::milvus::AlterDatabaseRequest,                      \
    stub_pb::common::Status)                                                   \
  X(AlterCollection, stub_pb::milvus::AlterCollectionRequest,                  \
    stub_pb::common::Status)                                                   \
  X(AlterCollectionField, stub_pb::milvus::AlterCollectionFieldRequest,        \
    stub_pb::common::Status)                                                   \
  X(AlterIndex, stub_pb::milvus::AlterIndexRequest, stub_pb::common::Status)   \
  X(GetPersistentSegmentInfo,                                                  \
    stub_pb::milvus::GetPersistentSegmentInfoRequest,                          \
    stub_pb::milvus::GetPersistentSegmentInfoResponse)

/// One method per RPC. Every method has a default body returning gRPC
/// UNIMPLEMENTED, so fakes override only what a test needs.
///
/// Thread safety: implementations must be safe to call from many threads.
class MilvusStub {
 public:
  virtual ~MilvusStub() = default;

  COVE_MILVUS_STUB_RPCS(COVE_GRPC_STUB_DEFAULT)
};

/// Per-connection metadata sent with every call: the credentials and the
/// identifier the server returned from Connect.
///
/// Thread safety: thread-safe.
class SessionMetadata {
 public:
  /// `authorization` is already base64-encoded; empty means none.
  explicit SessionMetadata(std::string authorization)
      : authorization_(std::move(authorization)) {}

  void set_identifier(int64_t identifier) {
    absl::MutexLock lock(&mu_);
    identifier_ = identifier;
  }
  /// Adds `authorization` and `identifier` (when known) to `context`.
  void Apply(grpc::ClientContext& context) const;

 private:
  const std::string authorization_;
  mutable absl::Mutex mu_;
  int64_t identifier_ = 0;
};

/// The first string field of `message` (nested messages included) that is
/// not valid UTF-8, as "field: not valid UTF-8 ('escaped')"; empty when all
/// are valid. Protobuf cannot send such a request.
std::string InvalidUtf8Field(const google::protobuf::Message& message);

/// The stub over a gRPC channel.
std::shared_ptr<MilvusStub> MakeGrpcMilvusStub(
    std::shared_ptr<grpc::Channel> channel);

/// The decorated stub the remote connection uses: `base` wrapped by the
/// session-metadata decorator, the UTF-8 check (InvalidUtf8Field: such
/// requests fail with INVALID_ARGUMENT before they are sent) and, when `log`
/// is set, the logging decorator.
std::shared_ptr<MilvusStub> MakeDecoratedStub(
    std::shared_ptr<MilvusStub> base,
    std::shared_ptr<const SessionMetadata> session, RpcLogSink log);

}  // namespace cove::internal

#endif  // COVE_SRC_REMOTE_MILVUS_STUB_H_
