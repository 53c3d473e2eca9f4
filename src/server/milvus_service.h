// MilvusServiceImpl: the Milvus v2 gRPC service of cove-server, a thin adapter
// over a cove::Connection (the embedded backend): it authenticates the
// caller, checks the Milvus privilege of the request, converts the proto to
// Cove types (src/milvus/convert.h), calls the connection and converts back.
//
// Business errors travel in the reply's common.Status with gRPC OK; failed
// authentication is a gRPC UNAUTHENTICATED error, as in Milvus. RPCs that
// Cove does not implement answer with a common.Status saying so (never gRPC
// UNIMPLEMENTED, which some clients treat as a broken connection).
#ifndef COVE_SRC_SERVER_MILVUS_SERVICE_H_
#define COVE_SRC_SERVER_MILVUS_SERVICE_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/auth_store.h"
#include "cove/connection.h"
#include "milvus.grpc.pb.h"
#include "milvus/convert.h"
#include "milvus/timestamp.h"
#include "server/import_task.h"
#include "server/ip_access.h"
#include "server/metrics.h"
#include "server/query_iterators.h"
#include "server/search_iterators.h"
#include "server/support_access.h"

namespace cove::server {

namespace milvus_pb = ::milvus::proto::milvus;
namespace common_pb = ::milvus::proto::common;

/// The Milvus service over a Connection.
///
/// Thread safety: gRPC calls the methods from many threads; the connection
/// and the auth store are thread-safe.
class MilvusServiceImpl final : public milvus_pb::MilvusService::Service {
 public:
  struct Options {
    /// Require the `authorization` metadata and check privileges.
    bool auth_enabled = false;
    /// When set, every request is counted here (kind, code, latency).
    std::shared_ptr<ServerMetrics> metrics;
    /// The folder Import reads its files from (Milvus reads them from its
    /// bucket); empty: Import is refused.
    std::string import_dir;
    /// When set, every call's peer address is checked against it first
    /// (server/ip_access.h).
    std::shared_ptr<const IpAccessControl> ip_access;
    /// Support access grants in force (server/support_access.h); unset:
    /// none.
    std::shared_ptr<const SupportSessions> support_sessions;
    /// The release this data plane runs (Connect's server_info reports it
    /// as reserved["release"]); empty: the build's version.
    std::string release;
    /// Non-empty: the release fails its health check with this reason
    /// (ServerOptions::unhealthy_reason).
    std::string unhealthy_reason;
    /// ServerOptions::max_write_request_bytes.
    int64_t max_write_request_bytes = 0;
  };

  /// `connection` and `auth` must not be null.
  MilvusServiceImpl(std::shared_ptr<Connection> connection,
                    std::shared_ptr<auth::AuthStore> auth, Options options);

  /// host:port clients reach the server at (reported as the node's
  /// address by GetReplicas and DescribeResourceGroup).
  void SetAddress(std::string address);
  std::string Address();
  /// The health CheckHealth and GetComponentStates report: the release's
  /// own (Options::unhealthy_reason), then the engine's.
  absl::Status Health(const CallOptions& call);

  // Supported RPCs.
  grpc::Status Connect(grpc::ServerContext* context,
                       const milvus_pb::ConnectRequest* request,
                       milvus_pb::ConnectResponse* response) override;
  grpc::Status GetVersion(grpc::ServerContext* context,
                          const milvus_pb::GetVersionRequest* request,
                          milvus_pb::GetVersionResponse* response) override;
  grpc::Status CheckHealth(grpc::ServerContext* context,
                           const milvus_pb::CheckHealthRequest* request,
                           milvus_pb::CheckHealthResponse* response) override;
  grpc::Status CreateDatabase(grpc::ServerContext* context,
                              const milvus_pb::CreateDatabaseRequest* request,
                              common_pb::Status* response) override;
  grpc::Status DropDatabase(grpc::ServerContext* context,
                            const milvus_pb::DropDatabaseRequest* request,
                            common_pb::Status* response) override;
  grpc::Status ListDatabases(
      grpc::ServerContext* context,
      const milvus_pb::ListDatabasesRequest* request,
      milvus_pb::ListDatabasesResponse* response) override;
  grpc::Status DescribeDatabase(
      grpc::ServerContext* context,
      const milvus_pb::DescribeDatabaseRequest* request,
      milvus_pb::DescribeDatabaseResponse* response) override;
  grpc::Status CreateCollection(
      grpc::ServerContext* context,
      const milvus_pb::CreateCollectionRequest* request,
      common_pb::Status* response) override;
  grpc::Status DescribeCollection(
      grpc::ServerContext* context,
      const milvus_pb::DescribeCollectionRequest* request,
      milvus_pb::DescribeCollectionResponse* response) override;
  grpc::Status HasCollection(grpc::ServerContext* context,
                             const milvus_pb::HasCollectionRequest* request,
                             milvus_pb::BoolResponse* response) override;
  grpc::Status ShowCollections(
      grpc::ServerContext* context,
      const milvus_pb::ShowCollectionsRequest* request,
      milvus_pb::ShowCollectionsResponse* response) override;
  grpc::Status DropCollection(grpc::ServerContext* context,
                              const milvus_pb::DropCollectionRequest* request,
                              common_pb::Status* response) override;
  grpc::Status RenameCollection(
      grpc::ServerContext* context,
      const milvus_pb::RenameCollectionRequest* request,
      common_pb::Status* response) override;
  grpc::Status LoadCollection(grpc::ServerContext* context,
                              const milvus_pb::LoadCollectionRequest* request,
                              common_pb::Status* response) override;
  grpc::Status ReleaseCollection(
      grpc::ServerContext* context,
      const milvus_pb::ReleaseCollectionRequest* request,
      common_pb::Status* response) override;
  grpc::Status GetLoadingProgress(
      grpc::ServerContext* context,
      const milvus_pb::GetLoadingProgressRequest* request,
      milvus_pb::GetLoadingProgressResponse* response) override;
  grpc::Status GetLoadState(grpc::ServerContext* context,
                            const milvus_pb::GetLoadStateRequest* request,
                            milvus_pb::GetLoadStateResponse* response) override;
  grpc::Status GetCollectionStatistics(
      grpc::ServerContext* context,
      const milvus_pb::GetCollectionStatisticsRequest* request,
      milvus_pb::GetCollectionStatisticsResponse* response) override;
  grpc::Status CreatePartition(grpc::ServerContext* context,
                               const milvus_pb::CreatePartitionRequest* request,
                               common_pb::Status* response) override;
  grpc::Status DropPartition(grpc::ServerContext* context,
                             const milvus_pb::DropPartitionRequest* request,
                             common_pb::Status* response) override;
  grpc::Status HasPartition(grpc::ServerContext* context,
                            const milvus_pb::HasPartitionRequest* request,
                            milvus_pb::BoolResponse* response) override;
  grpc::Status ShowPartitions(
      grpc::ServerContext* context,
      const milvus_pb::ShowPartitionsRequest* request,
      milvus_pb::ShowPartitionsResponse* response) override;
  grpc::Status CreateAlias(grpc::ServerContext* context,
                           const milvus_pb::CreateAliasRequest* request,
                           common_pb::Status* response) override;
  grpc::Status DropAlias(grpc::ServerContext* context,
                         const milvus_pb::DropAliasRequest* request,
                         common_pb::Status* response) override;
  grpc::Status AlterAlias(grpc::ServerContext* context,
                          const milvus_pb::AlterAliasRequest* request,
                          common_pb::Status* response) override;
  grpc::Status DescribeAlias(
      grpc::ServerContext* context,
      const milvus_pb::DescribeAliasRequest* request,
      milvus_pb::DescribeAliasResponse* response) override;
  grpc::Status ListAliases(grpc::ServerContext* context,
                           const milvus_pb::ListAliasesRequest* request,
                           milvus_pb::ListAliasesResponse* response) override;
  grpc::Status CreateIndex(grpc::ServerContext* context,
                           const milvus_pb::CreateIndexRequest* request,
                           common_pb::Status* response) override;
  grpc::Status DescribeIndex(
      grpc::ServerContext* context,
      const milvus_pb::DescribeIndexRequest* request,
      milvus_pb::DescribeIndexResponse* response) override;
  grpc::Status DropIndex(grpc::ServerContext* context,
                         const milvus_pb::DropIndexRequest* request,
                         common_pb::Status* response) override;
  grpc::Status GetIndexState(
      grpc::ServerContext* context,
      const milvus_pb::GetIndexStateRequest* request,
      milvus_pb::GetIndexStateResponse* response) override;
  grpc::Status GetIndexBuildProgress(
      grpc::ServerContext* context,
      const milvus_pb::GetIndexBuildProgressRequest* request,
      milvus_pb::GetIndexBuildProgressResponse* response) override;
  grpc::Status Insert(grpc::ServerContext* context,
                      const milvus_pb::InsertRequest* request,
                      milvus_pb::MutationResult* response) override;
  grpc::Status Upsert(grpc::ServerContext* context,
                      const milvus_pb::UpsertRequest* request,
                      milvus_pb::MutationResult* response) override;
  grpc::Status Delete(grpc::ServerContext* context,
                      const milvus_pb::DeleteRequest* request,
                      milvus_pb::MutationResult* response) override;
  grpc::Status Search(grpc::ServerContext* context,
                      const milvus_pb::SearchRequest* request,
                      milvus_pb::SearchResults* response) override;
  grpc::Status Query(grpc::ServerContext* context,
                     const milvus_pb::QueryRequest* request,
                     milvus_pb::QueryResults* response) override;
  grpc::Status Flush(grpc::ServerContext* context,
                     const milvus_pb::FlushRequest* request,
                     milvus_pb::FlushResponse* response) override;
  grpc::Status GetFlushState(
      grpc::ServerContext* context,
      const milvus_pb::GetFlushStateRequest* request,
      milvus_pb::GetFlushStateResponse* response) override;
  grpc::Status CreateCredential(
      grpc::ServerContext* context,
      const milvus_pb::CreateCredentialRequest* request,
      common_pb::Status* response) override;
  grpc::Status UpdateCredential(
      grpc::ServerContext* context,
      const milvus_pb::UpdateCredentialRequest* request,
      common_pb::Status* response) override;
  grpc::Status DeleteCredential(
      grpc::ServerContext* context,
      const milvus_pb::DeleteCredentialRequest* request,
      common_pb::Status* response) override;
  grpc::Status ListCredUsers(
      grpc::ServerContext* context,
      const milvus_pb::ListCredUsersRequest* request,
      milvus_pb::ListCredUsersResponse* response) override;
  grpc::Status CreateRole(grpc::ServerContext* context,
                          const milvus_pb::CreateRoleRequest* request,
                          common_pb::Status* response) override;
  grpc::Status DropRole(grpc::ServerContext* context,
                        const milvus_pb::DropRoleRequest* request,
                        common_pb::Status* response) override;
  grpc::Status OperateUserRole(grpc::ServerContext* context,
                               const milvus_pb::OperateUserRoleRequest* request,
                               common_pb::Status* response) override;
  grpc::Status SelectRole(grpc::ServerContext* context,
                          const milvus_pb::SelectRoleRequest* request,
                          milvus_pb::SelectRoleResponse* response) override;
  grpc::Status SelectUser(grpc::ServerContext* context,
                          const milvus_pb::SelectUserRequest* request,
                          milvus_pb::SelectUserResponse* response) override;
  grpc::Status OperatePrivilege(
      grpc::ServerContext* context,
      const milvus_pb::OperatePrivilegeRequest* request,
      common_pb::Status* response) override;
  grpc::Status SelectGrant(grpc::ServerContext* context,
                           const milvus_pb::SelectGrantRequest* request,
                           milvus_pb::SelectGrantResponse* response) override;

  // Timestamps, settings and cluster information (admin_rpcs.cc).
  grpc::Status AlterCollection(grpc::ServerContext* context,
                               const milvus_pb::AlterCollectionRequest* request,
                               common_pb::Status* response) override;
  grpc::Status AlterCollectionField(
      grpc::ServerContext* context,
      const milvus_pb::AlterCollectionFieldRequest* request,
      common_pb::Status* response) override;
  grpc::Status LoadPartitions(grpc::ServerContext* context,
                              const milvus_pb::LoadPartitionsRequest* request,
                              common_pb::Status* response) override;
  grpc::Status ReleasePartitions(
      grpc::ServerContext* context,
      const milvus_pb::ReleasePartitionsRequest* request,
      common_pb::Status* response) override;
  grpc::Status GetPartitionStatistics(
      grpc::ServerContext* context,
      const milvus_pb::GetPartitionStatisticsRequest* request,
      milvus_pb::GetPartitionStatisticsResponse* response) override;
  grpc::Status AlterIndex(grpc::ServerContext* context,
                          const milvus_pb::AlterIndexRequest* request,
                          common_pb::Status* response) override;
  grpc::Status GetIndexStatistics(
      grpc::ServerContext* context,
      const milvus_pb::GetIndexStatisticsRequest* request,
      milvus_pb::GetIndexStatisticsResponse* response) override;
  grpc::Status HybridSearch(grpc::ServerContext* context,
                            const milvus_pb::HybridSearchRequest* request,
                            milvus_pb::SearchResults* response) override;
  grpc::Status CalcDistance(grpc::ServerContext* context,
                            const milvus_pb::CalcDistanceRequest* request,
                            milvus_pb::CalcDistanceResults* response) override;
  grpc::Status FlushAll(grpc::ServerContext* context,
                        const milvus_pb::FlushAllRequest* request,
                        milvus_pb::FlushAllResponse* response) override;
  grpc::Status GetFlushAllState(
      grpc::ServerContext* context,
      const milvus_pb::GetFlushAllStateRequest* request,
      milvus_pb::GetFlushAllStateResponse* response) override;
  grpc::Status GetPersistentSegmentInfo(
      grpc::ServerContext* context,
      const milvus_pb::GetPersistentSegmentInfoRequest* request,
      milvus_pb::GetPersistentSegmentInfoResponse* response) override;
  grpc::Status GetQuerySegmentInfo(
      grpc::ServerContext* context,
      const milvus_pb::GetQuerySegmentInfoRequest* request,
      milvus_pb::GetQuerySegmentInfoResponse* response) override;
  grpc::Status GetReplicas(grpc::ServerContext* context,
                           const milvus_pb::GetReplicasRequest* request,
                           milvus_pb::GetReplicasResponse* response) override;
  grpc::Status Dummy(grpc::ServerContext* context,
                     const milvus_pb::DummyRequest* request,
                     milvus_pb::DummyResponse* response) override;
  grpc::Status RegisterLink(grpc::ServerContext* context,
                            const milvus_pb::RegisterLinkRequest* request,
                            milvus_pb::RegisterLinkResponse* response) override;
  grpc::Status GetMetrics(grpc::ServerContext* context,
                          const milvus_pb::GetMetricsRequest* request,
                          milvus_pb::GetMetricsResponse* response) override;
  grpc::Status GetComponentStates(
      grpc::ServerContext* context,
      const milvus_pb::GetComponentStatesRequest* request,
      milvus_pb::ComponentStates* response) override;
  grpc::Status LoadBalance(grpc::ServerContext* context,
                           const milvus_pb::LoadBalanceRequest* request,
                           common_pb::Status* response) override;
  grpc::Status GetCompactionState(
      grpc::ServerContext* context,
      const milvus_pb::GetCompactionStateRequest* request,
      milvus_pb::GetCompactionStateResponse* response) override;
  grpc::Status ManualCompaction(
      grpc::ServerContext* context,
      const milvus_pb::ManualCompactionRequest* request,
      milvus_pb::ManualCompactionResponse* response) override;
  grpc::Status GetCompactionStateWithPlans(
      grpc::ServerContext* context,
      const milvus_pb::GetCompactionPlansRequest* request,
      milvus_pb::GetCompactionPlansResponse* response) override;
  grpc::Status Import(grpc::ServerContext* context,
                      const milvus_pb::ImportRequest* request,
                      milvus_pb::ImportResponse* response) override;
  grpc::Status GetImportState(
      grpc::ServerContext* context,
      const milvus_pb::GetImportStateRequest* request,
      milvus_pb::GetImportStateResponse* response) override;
  grpc::Status ListImportTasks(
      grpc::ServerContext* context,
      const milvus_pb::ListImportTasksRequest* request,
      milvus_pb::ListImportTasksResponse* response) override;
  grpc::Status OperatePrivilegeV2(
      grpc::ServerContext* context,
      const milvus_pb::OperatePrivilegeV2Request* request,
      common_pb::Status* response) override;
  grpc::Status CreateResourceGroup(
      grpc::ServerContext* context,
      const milvus_pb::CreateResourceGroupRequest* request,
      common_pb::Status* response) override;
  grpc::Status DropResourceGroup(
      grpc::ServerContext* context,
      const milvus_pb::DropResourceGroupRequest* request,
      common_pb::Status* response) override;
  grpc::Status UpdateResourceGroups(
      grpc::ServerContext* context,
      const milvus_pb::UpdateResourceGroupsRequest* request,
      common_pb::Status* response) override;
  grpc::Status TransferNode(grpc::ServerContext* context,
                            const milvus_pb::TransferNodeRequest* request,
                            common_pb::Status* response) override;
  grpc::Status TransferReplica(grpc::ServerContext* context,
                               const milvus_pb::TransferReplicaRequest* request,
                               common_pb::Status* response) override;
  grpc::Status ListResourceGroups(
      grpc::ServerContext* context,
      const milvus_pb::ListResourceGroupsRequest* request,
      milvus_pb::ListResourceGroupsResponse* response) override;
  grpc::Status DescribeResourceGroup(
      grpc::ServerContext* context,
      const milvus_pb::DescribeResourceGroupRequest* request,
      milvus_pb::DescribeResourceGroupResponse* response) override;
  grpc::Status ListIndexedSegment(
      grpc::ServerContext* context,
      const ::milvus::proto::feder::ListIndexedSegmentRequest* request,
      ::milvus::proto::feder::ListIndexedSegmentResponse* response) override;
  grpc::Status DescribeSegmentIndexData(
      grpc::ServerContext* context,
      const ::milvus::proto::feder::DescribeSegmentIndexDataRequest* request,
      ::milvus::proto::feder::DescribeSegmentIndexDataResponse* response)
      override;
  grpc::Status AllocTimestamp(
      grpc::ServerContext* context,
      const milvus_pb::AllocTimestampRequest* request,
      milvus_pb::AllocTimestampResponse* response) override;
  grpc::Status AlterDatabase(grpc::ServerContext* context,
                             const milvus_pb::AlterDatabaseRequest* request,
                             common_pb::Status* response) override;
  grpc::Status ReplicateMessage(
      grpc::ServerContext* context,
      const milvus_pb::ReplicateMessageRequest* request,
      milvus_pb::ReplicateMessageResponse* response) override;
  grpc::Status BackupRBAC(grpc::ServerContext* context,
                          const milvus_pb::BackupRBACMetaRequest* request,
                          milvus_pb::BackupRBACMetaResponse* response) override;
  grpc::Status RestoreRBAC(grpc::ServerContext* context,
                           const milvus_pb::RestoreRBACMetaRequest* request,
                           common_pb::Status* response) override;
  grpc::Status CreatePrivilegeGroup(
      grpc::ServerContext* context,
      const milvus_pb::CreatePrivilegeGroupRequest* request,
      common_pb::Status* response) override;
  grpc::Status DropPrivilegeGroup(
      grpc::ServerContext* context,
      const milvus_pb::DropPrivilegeGroupRequest* request,
      common_pb::Status* response) override;
  grpc::Status ListPrivilegeGroups(
      grpc::ServerContext* context,
      const milvus_pb::ListPrivilegeGroupsRequest* request,
      milvus_pb::ListPrivilegeGroupsResponse* response) override;
  grpc::Status OperatePrivilegeGroup(
      grpc::ServerContext* context,
      const milvus_pb::OperatePrivilegeGroupRequest* request,
      common_pb::Status* response) override;

 private:
  /// Who calls, and the per-call options (database) of the request.
  struct Caller {
    std::string user;
    CallOptions call;
  };

  // Authenticates, resolves the database, checks the request's privilege,
  // runs `fn` and stores its status in the reply.
  template <typename Request, typename Response, typename Fn>
  grpc::Status Handle(grpc::ServerContext* context, const Request& request,
                      Response* response, Fn&& fn);
  // Opens or closes a read session (a Query carrying kCoveReadSessionKey).
  grpc::Status ReadSession(grpc::ServerContext* context,
                           const milvus_pb::QueryRequest& request,
                           milvus_pb::QueryResults* response);
  // OK for a Milvus privilege name (without its "Privilege" prefix), "All"
  // or a privilege group.
  absl::Status ValidatePrivilege(const std::string& name);
  // The users, root included (it exists also with authentication off).
  std::vector<std::string> Users();
  // InvalidArgument when the collection name is empty.
  static absl::Status NeedCollection(const std::string& name);
  // LoadPartitions and friends: checks that every name is a partition of
  // `collection` and returns the partitions not named.
  absl::StatusOr<std::vector<std::string>> NamedPartitions(
      const char* rpc, const std::string& collection,
      const std::vector<std::string>& names, const CallOptions& call);
  // A collection by name, or by id when the name is empty.
  absl::StatusOr<CollectionDescription> CollectionByNameOrId(
      const std::string& name, int64_t id, const CallOptions& call);
  template <typename Request, typename Response>
  grpc::Status Unsupported(grpc::ServerContext* context, const Request& request,
                           Response* response, const char* rpc);

  // The user named by the `authorization` metadata ("" when auth is off).
  absl::StatusOr<std::string> Authenticate(grpc::ServerContext* context);
  // Checks the Milvus privilege declared on the request message.
  absl::Status Authorize(const std::string& user,
                         const google::protobuf::Message& request,
                         const std::string& db);
  // The collection schema, for result conversion.
  absl::StatusOr<CollectionSchema> Schema(const std::string& collection,
                                          const CallOptions& call);
  // Insert and Upsert.
  template <typename WriteRequest>
  absl::Status Write(const WriteRequest& request, bool upsert,
                     const CallOptions& call, milvus_pb::MutationResult* out);

  const std::shared_ptr<Connection> connection_;
  const std::shared_ptr<auth::AuthStore> auth_;
  const Options options_;
  absl::Mutex address_mu_;
  std::string address_ ABSL_GUARDED_BY(address_mu_) = "127.0.0.1:19530";
  const absl::Time started_ = absl::Now();
  // AllocTimestamp, FlushAll and import timestamps.
  internal::HybridClock clock_;
  // Bulk imports from options_.import_dir, started by the first Import (no
  // worker thread for servers that never import).
  ImportManager& Imports();
  std::once_flag imports_once_;
  std::unique_ptr<ImportManager> imports_;
  // Resource groups other than the default one (they hold no node), and the
  // default group's configuration. Kept in memory.
  absl::Mutex groups_mu_;
  std::map<std::string, ::milvus::proto::rg::ResourceGroupConfig> groups_
      ABSL_GUARDED_BY(groups_mu_);
  ::milvus::proto::rg::ResourceGroupConfig default_group_config_
      ABSL_GUARDED_BY(groups_mu_);
  std::atomic<int64_t> next_identifier_{1};
  // Ids of the compactions done (the most recent kMaxCompactionsKept).
  static constexpr size_t kMaxCompactionsKept = 4096;
  absl::Mutex compaction_mu_;
  int64_t next_compaction_id_ ABSL_GUARDED_BY(compaction_mu_) = 1;
  std::set<int64_t> completed_compactions_ ABSL_GUARDED_BY(compaction_mu_);
  // Milvus' search iterator (search_iter_v2) over read sessions.
  SearchIterators search_iterators_{connection_, SearchIterators::Options{}};
  // Milvus' query iterator (pages pinned by session_ts) over read sessions.
  QueryIterators query_iterators_{connection_, [this] { return clock_.Next(); },
                                  QueryIterators::Options{}};
};

}  // namespace cove::server

#endif  // COVE_SRC_SERVER_MILVUS_SERVICE_H_
