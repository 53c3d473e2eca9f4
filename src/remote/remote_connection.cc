// The remote backend (see remote_connection.h).
#include "remote/remote_connection.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_client.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/utf8.h"
#include "cove/version.h"
#include "embedded/requests.h"
#include "milvus/convert.h"
#include "milvus/timestamp.h"

namespace cove::internal {
namespace {

constexpr int kMaxMessageBytes = 512 * 1024 * 1024;

void AddSessionKv(milvus_pb::QueryRequest* request, const char* key,
                  const std::string& value) {
  common_pb::KeyValuePair* kv = request->add_query_params();
  kv->set_key(key);
  kv->set_value(value);
}

absl::Status FromGrpc(const char* rpc, const grpc::Status& s) {
  // gRPC and absl share the canonical code numbers.
  auto code = static_cast<absl::StatusCode>(static_cast<int>(s.error_code()));
  std::string detail = s.error_message();
  // The client never cancels its own calls: CANCELLED comes from a server
  // shutting down with the call in flight, which a retry may cure.
  if (code == absl::StatusCode::kUnavailable ||
      code == absl::StatusCode::kCancelled) {
    return absl::UnavailableError(
        absl::StrCat(rpc, ": server unavailable (", detail, ")"));
  }
  if (code == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(
        absl::StrCat(rpc, ": deadline exceeded (", detail, ")"));
  }
  if (code == absl::StatusCode::kUnknown) code = absl::StatusCode::kInternal;
  return absl::Status(code, absl::StrCat(rpc, ": ", detail));
}

const common_pb::Status& ResponseStatus(const common_pb::Status& r) {
  return r;
}
template <typename Response>
const common_pb::Status& ResponseStatus(const Response& r) {
  return r.status();
}

RetryPolicy RetryPolicyOf(const RemoteOptions& options) {
  RetryPolicy policy;
  policy.max_attempts = options.max_attempts;
  policy.initial_backoff = options.initial_backoff;
  policy.max_backoff = options.max_backoff;
  return policy;
}

class RemoteConnection final : public Connection {
 public:
  RemoteConnection(std::shared_ptr<MilvusStub> stub, RemoteOptions options,
                   Clock clock, std::shared_ptr<SessionMetadata> session,
                   std::string default_db)
      : stub_(std::move(stub)),
        options_(std::move(options)),
        clock_(std::move(clock)),
        policy_(RetryPolicyOf(options_)),
        session_(std::move(session)),
        default_db_(std::move(default_db)) {}

  std::string backend_name() const override { return "remote"; }

  // Calls Connect (retried) and keeps the identifier for later calls.
  absl::Status Start() {
    milvus_pb::ConnectRequest request;
    common_pb::ClientInfo* info = request.mutable_client_info();
    info->set_sdk_type("cove-cpp");
    info->set_sdk_version(VersionString());
    info->set_user(options_.user);
    milvus_pb::ConnectResponse response;
    absl::Status s = Call(&MilvusStub::Connect, "Connect", true, request,
                          &response, CallOptions{});
    if (absl::IsUnimplemented(s)) return absl::OkStatus();  // old servers
    COVE_RETURN_IF_ERROR(s);
    if (session_ != nullptr) session_->set_identifier(response.identifier());
    return absl::OkStatus();
  }

  // --- server ----------------------------------------------------------------

  absl::StatusOr<std::string> GetServerVersion(
      const CallOptions& call) override {
    milvus_pb::GetVersionRequest request;
    milvus_pb::GetVersionResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::GetVersion, "GetVersion", true,
                              request, &response, call));
    return response.version();
  }

  absl::Status CheckHealth(const CallOptions& call) override {
    milvus_pb::CheckHealthRequest request;
    milvus_pb::CheckHealthResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::CheckHealth, "CheckHealth", true,
                              request, &response, call));
    if (!response.ishealthy()) {
      std::string reasons;
      for (const auto& r : response.reasons()) {
        absl::StrAppend(&reasons, reasons.empty() ? "" : "; ", r);
      }
      return absl::UnavailableError(absl::StrCat(
          "check health: the server is not healthy (", reasons, ")"));
    }
    return absl::OkStatus();
  }

  // --- databases -------------------------------------------------------------

  absl::Status CreateDatabase(const std::string& name,
                              const CallOptions& call) override {
    milvus_pb::CreateDatabaseRequest request;
    request.set_db_name(name);
    common_pb::Status response;
    return Call(&MilvusStub::CreateDatabase, "CreateDatabase", false, request,
                &response, call);
  }

  absl::Status DropDatabase(const std::string& name,
                            const CallOptions& call) override {
    milvus_pb::DropDatabaseRequest request;
    request.set_db_name(name);
    common_pb::Status response;
    return Call(&MilvusStub::DropDatabase, "DropDatabase", false, request,
                &response, call);
  }

  absl::Status CreateDatabase(
      const std::string& name,
      const std::map<std::string, std::string>& properties,
      const CallOptions& call) override {
    milvus_pb::CreateDatabaseRequest request;
    request.set_db_name(name);
    for (const auto& [k, v] : properties) {
      common_pb::KeyValuePair* kv = request.add_properties();
      kv->set_key(k);
      kv->set_value(v);
    }
    common_pb::Status response;
    return Call(&MilvusStub::CreateDatabase, "CreateDatabase", false, request,
                &response, call);
  }

  absl::StatusOr<DatabaseDescription> DescribeDatabase(
      const std::string& name, const CallOptions& call) override {
    milvus_pb::DescribeDatabaseRequest request;
    request.set_db_name(name);
    milvus_pb::DescribeDatabaseResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::DescribeDatabase, "DescribeDatabase",
                              true, request, &response, call));
    DatabaseDescription d;
    d.name = response.db_name().empty() ? name : response.db_name();
    d.id = response.dbid();
    // Milvus sends a hybrid timestamp; its physical part is Unix ms.
    d.created_timestamp = HybridTsPhysicalMs(response.created_timestamp());
    for (const common_pb::KeyValuePair& kv : response.properties()) {
      d.properties[kv.key()] = kv.value();
    }
    return d;
  }

  absl::Status AlterDatabaseProperties(
      const std::string& name, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove,
      const CallOptions& call) override {
    milvus_pb::AlterDatabaseRequest request;
    request.set_db_name(name);
    for (const auto& [k, v] : set) {
      common_pb::KeyValuePair* kv = request.add_properties();
      kv->set_key(k);
      kv->set_value(v);
    }
    for (const std::string& k : remove) request.add_delete_keys(k);
    common_pb::Status response;
    return Call(&MilvusStub::AlterDatabase, "AlterDatabase", true, request,
                &response, call);
  }

  absl::StatusOr<std::vector<std::string>> ListDatabases(
      const CallOptions& call) override {
    milvus_pb::ListDatabasesRequest request;
    milvus_pb::ListDatabasesResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::ListDatabases, "ListDatabases", true,
                              request, &response, call));
    return std::vector<std::string>(response.db_names().begin(),
                                    response.db_names().end());
  }

  // --- collections -----------------------------------------------------------

  absl::Status CreateCollection(const std::string& name,
                                const CollectionSchema& schema,
                                const std::vector<IndexSpec>& indexes,
                                const CallOptions& call) override {
    milvus_pb::CreateCollectionRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(name);
    schema_pb::CollectionSchema schema_proto = SchemaToProto(name, schema);
    // The schema travels serialized in a bytes field, where the stub's UTF-8
    // check does not look: a text that is not UTF-8 is refused here, before
    // protobuf serializes it (and the server fails to parse it).
    if (std::string bad = InvalidUtf8Field(schema_proto); !bad.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "CreateCollection: ",
          IsValidUtf8(name) ? "schema field " : "collection_", bad));
    }
    request.set_schema(schema_proto.SerializeAsString());
    request.set_shards_num(1);
    request.set_num_partitions(schema.num_partitions);
    // Stored with the collection, as pymilvus sends it; cove's own reads
    // ask for Strong whatever the collection's level (see Search/Query).
    request.set_consistency_level(
        static_cast<common_pb::ConsistencyLevel>(schema.consistency_level));
    for (const auto& [k, v] : schema.properties) {
      common_pb::KeyValuePair* kv = request.add_properties();
      kv->set_key(k);
      kv->set_value(v);
    }
    common_pb::Status response;
    Invalidate(name, call);
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::CreateCollection, "CreateCollection",
                              false, request, &response, call));
    for (const IndexSpec& index : indexes) {
      COVE_RETURN_IF_ERROR(CreateIndex(name, index, call));
    }
    // Like the embedded backend (and MilvusClient): a collection created with
    // indexes is loaded at once.
    if (!indexes.empty()) return LoadCollection(name, call);
    return absl::OkStatus();
  }

  absl::Status DropCollection(const std::string& name,
                              const CallOptions& call) override {
    milvus_pb::DropCollectionRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(name);
    common_pb::Status response;
    Invalidate(name, call);
    return Call(&MilvusStub::DropCollection, "DropCollection", false, request,
                &response, call);
  }

  absl::StatusOr<bool> HasCollection(const std::string& name,
                                     const CallOptions& call) override {
    milvus_pb::HasCollectionRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(name);
    milvus_pb::BoolResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::HasCollection, "HasCollection", true,
                              request, &response, call));
    return response.value();
  }

  absl::StatusOr<std::vector<std::string>> ListCollections(
      const CallOptions& call) override {
    milvus_pb::ShowCollectionsRequest request;
    request.set_db_name(Db(call));
    milvus_pb::ShowCollectionsResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::ShowCollections, "ShowCollections",
                              true, request, &response, call));
    return std::vector<std::string>(response.collection_names().begin(),
                                    response.collection_names().end());
  }

  absl::StatusOr<CollectionDescription> DescribeCollection(
      const std::string& name, const CallOptions& call) override {
    COVE_ASSIGN_OR_RETURN(Described described, Describe(name, call));
    CollectionDescription d = std::move(described.description);
    auto partitions = ListPartitions(name, call);
    if (partitions.ok()) d.partitions = *std::move(partitions);
    return d;
  }

  absl::Status AlterCollectionProperties(
      const std::string& name, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove,
      const CallOptions& call) override {
    milvus_pb::AlterCollectionRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(name);
    for (const auto& [k, v] : set) {
      common_pb::KeyValuePair* kv = request.add_properties();
      kv->set_key(k);
      kv->set_value(v);
    }
    for (const std::string& k : remove) request.add_delete_keys(k);
    common_pb::Status response;
    Invalidate(name, call);
    return Call(&MilvusStub::AlterCollection, "AlterCollection", true, request,
                &response, call);
  }

  absl::Status AlterCollectionField(
      const std::string& collection, const std::string& field,
      const std::map<std::string, std::string>& set,
      const CallOptions& call) override {
    milvus_pb::AlterCollectionFieldRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    request.set_field_name(field);
    for (const auto& [k, v] : set) {
      common_pb::KeyValuePair* kv = request.add_properties();
      kv->set_key(k);
      kv->set_value(v);
    }
    common_pb::Status response;
    Invalidate(collection, call);
    return Call(&MilvusStub::AlterCollectionField, "AlterCollectionField", true,
                request, &response, call);
  }

  absl::Status AlterIndexProperties(
      const std::string& collection, const std::string& index_name,
      const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove,
      const CallOptions& call) override {
    milvus_pb::AlterIndexRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    request.set_index_name(index_name);
    for (const auto& [k, v] : set) {
      common_pb::KeyValuePair* kv = request.add_extra_params();
      kv->set_key(k);
      kv->set_value(v);
    }
    for (const std::string& k : remove) request.add_delete_keys(k);
    common_pb::Status response;
    return Call(&MilvusStub::AlterIndex, "AlterIndex", true, request, &response,
                call);
  }

  absl::StatusOr<std::vector<SegmentDescription>> ListSegments(
      const std::string& name, const CallOptions& call) override {
    milvus_pb::GetPersistentSegmentInfoRequest request;
    request.set_dbname(Db(call));
    request.set_collectionname(name);
    milvus_pb::GetPersistentSegmentInfoResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::GetPersistentSegmentInfo,
                              "GetPersistentSegmentInfo", true, request,
                              &response, call));
    std::vector<SegmentDescription> out;
    for (const milvus_pb::PersistentSegmentInfo& info : response.infos()) {
      SegmentDescription d;
      d.id = info.segmentid();
      d.sealed = info.state() != common_pb::Growing;
      d.rows = info.num_rows();
      out.push_back(d);
    }
    return out;
  }

  absl::Status RenameCollection(const std::string& old_name,
                                const std::string& new_name,
                                const std::string& new_db_name,
                                const CallOptions& call) override {
    milvus_pb::RenameCollectionRequest request;
    request.set_db_name(Db(call));
    request.set_oldname(old_name);
    request.set_newname(new_name);
    request.set_newdbname(new_db_name);
    common_pb::Status response;
    Invalidate(old_name, call);
    if (new_db_name.empty()) {
      Invalidate(new_name, call);
    } else {
      CallOptions target = call;
      target.db_name = new_db_name;
      Invalidate(new_name, target);
    }
    return Call(&MilvusStub::RenameCollection, "RenameCollection", false,
                request, &response, call);
  }

  absl::StatusOr<CollectionStats> GetCollectionStats(
      const std::string& name, const CallOptions& call) override {
    milvus_pb::GetCollectionStatisticsRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(name);
    milvus_pb::GetCollectionStatisticsResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::GetCollectionStatistics,
                              "GetCollectionStatistics", true, request,
                              &response, call));
    CollectionStats stats;
    std::string rows = FindKeyValue(response.stats(), "row_count");
    if (!rows.empty() && !absl::SimpleAtoi(rows, &stats.row_count)) {
      return absl::InternalError(absl::StrCat(
          "collection statistics: row_count is not a number (got '", rows,
          "')"));
    }
    return stats;
  }

  // --- partitions ------------------------------------------------------------

  absl::Status CreatePartition(const std::string& collection,
                               const std::string& partition,
                               const CallOptions& call) override {
    milvus_pb::CreatePartitionRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    request.set_partition_name(partition);
    common_pb::Status response;
    return Call(&MilvusStub::CreatePartition, "CreatePartition", false, request,
                &response, call);
  }

  absl::Status DropPartition(const std::string& collection,
                             const std::string& partition,
                             const CallOptions& call) override {
    milvus_pb::DropPartitionRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    request.set_partition_name(partition);
    common_pb::Status response;
    return Call(&MilvusStub::DropPartition, "DropPartition", false, request,
                &response, call);
  }

  absl::StatusOr<bool> HasPartition(const std::string& collection,
                                    const std::string& partition,
                                    const CallOptions& call) override {
    milvus_pb::HasPartitionRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    request.set_partition_name(partition);
    milvus_pb::BoolResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::HasPartition, "HasPartition", true,
                              request, &response, call));
    return response.value();
  }

  absl::StatusOr<std::vector<std::string>> ListPartitions(
      const std::string& collection, const CallOptions& call) override {
    milvus_pb::ShowPartitionsRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    milvus_pb::ShowPartitionsResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::ShowPartitions, "ShowPartitions",
                              true, request, &response, call));
    return std::vector<std::string>(response.partition_names().begin(),
                                    response.partition_names().end());
  }

  // --- aliases ---------------------------------------------------------------

  absl::Status CreateAlias(const std::string& collection,
                           const std::string& alias,
                           const CallOptions& call) override {
    milvus_pb::CreateAliasRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    request.set_alias(alias);
    common_pb::Status response;
    return Call(&MilvusStub::CreateAlias, "CreateAlias", false, request,
                &response, call);
  }

  absl::Status DropAlias(const std::string& alias,
                         const CallOptions& call) override {
    milvus_pb::DropAliasRequest request;
    request.set_db_name(Db(call));
    request.set_alias(alias);
    common_pb::Status response;
    return Call(&MilvusStub::DropAlias, "DropAlias", false, request, &response,
                call);
  }

  absl::Status AlterAlias(const std::string& collection,
                          const std::string& alias,
                          const CallOptions& call) override {
    milvus_pb::AlterAliasRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    request.set_alias(alias);
    common_pb::Status response;
    // Pointing an alias at a collection again changes nothing: idempotent.
    return Call(&MilvusStub::AlterAlias, "AlterAlias", true, request, &response,
                call);
  }

  absl::StatusOr<AliasDescription> DescribeAlias(
      const std::string& alias, const CallOptions& call) override {
    milvus_pb::DescribeAliasRequest request;
    request.set_db_name(Db(call));
    request.set_alias(alias);
    milvus_pb::DescribeAliasResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::DescribeAlias, "DescribeAlias", true,
                              request, &response, call));
    AliasDescription d;
    d.alias = response.alias();
    d.collection = response.collection();
    d.db_name = response.db_name();
    return d;
  }

  absl::StatusOr<std::vector<std::string>> ListAliases(
      const std::string& collection, const CallOptions& call) override {
    milvus_pb::ListAliasesRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    milvus_pb::ListAliasesResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::ListAliases, "ListAliases", true,
                              request, &response, call));
    return std::vector<std::string>(response.aliases().begin(),
                                    response.aliases().end());
  }

  // --- loading ---------------------------------------------------------------

  absl::Status LoadCollection(const std::string& name,
                              const CallOptions& call) override {
    return LoadCollection(name, LoadOptions{}, call);
  }

  absl::Status LoadCollection(const std::string& name,
                              const LoadOptions& options,
                              const CallOptions& call) override {
    milvus_pb::LoadCollectionRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(name);
    for (const std::string& f : options.load_fields) request.add_load_fields(f);
    request.set_skip_load_dynamic_field(options.skip_load_dynamic_field);
    common_pb::Status response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::LoadCollection, "LoadCollection",
                              true, request, &response, call));
    return WaitLoaded(name, call);
  }

  absl::Status ReleaseCollection(const std::string& name,
                                 const CallOptions& call) override {
    milvus_pb::ReleaseCollectionRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(name);
    common_pb::Status response;
    return Call(&MilvusStub::ReleaseCollection, "ReleaseCollection", true,
                request, &response, call);
  }

  absl::StatusOr<LoadState> GetLoadState(const std::string& name,
                                         const CallOptions& call) override {
    return GetPartitionsLoadState(name, {}, call);
  }

  absl::Status LoadPartitions(const std::string& collection,
                              const std::vector<std::string>& partitions,
                              const CallOptions& call) override {
    auto request = PartitionsRequest<milvus_pb::LoadPartitionsRequest>(
        collection, partitions, call);
    common_pb::Status response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::LoadPartitions, "LoadPartitions",
                              true, request, &response, call));
    return WaitLoaded(collection, call, partitions);
  }

  absl::Status ReleasePartitions(const std::string& collection,
                                 const std::vector<std::string>& partitions,
                                 const CallOptions& call) override {
    auto request = PartitionsRequest<milvus_pb::ReleasePartitionsRequest>(
        collection, partitions, call);
    common_pb::Status response;
    return Call(&MilvusStub::ReleasePartitions, "ReleasePartitions", true,
                request, &response, call);
  }

  absl::StatusOr<LoadState> GetPartitionsLoadState(
      const std::string& collection, const std::vector<std::string>& partitions,
      const CallOptions& call) override {
    auto request = PartitionsRequest<milvus_pb::GetLoadStateRequest>(
        collection, partitions, call);
    milvus_pb::GetLoadStateResponse response;
    absl::Status s = Call(&MilvusStub::GetLoadState, "GetLoadState", true,
                          request, &response, call);
    // Milvus answers "collection not found" where the embedded backend says
    // kNotExist: keep one behaviour.
    if (absl::IsNotFound(s) && MilvusCode(s) == 100) {
      return LoadState::kNotExist;
    }
    COVE_RETURN_IF_ERROR(s);
    return LoadStateFromProto(response.state());
  }

  absl::StatusOr<CollectionStats> GetPartitionStats(
      const std::string& collection, const std::string& partition,
      const CallOptions& call) override {
    milvus_pb::GetPartitionStatisticsRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    request.set_partition_name(partition);
    milvus_pb::GetPartitionStatisticsResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::GetPartitionStatistics,
                              "GetPartitionStatistics", true, request,
                              &response, call));
    for (const common_pb::KeyValuePair& kv : response.stats()) {
      if (kv.key() != "row_count") continue;
      CollectionStats stats;
      if (!absl::SimpleAtoi(kv.value(), &stats.row_count)) {
        return absl::InternalError(absl::StrCat(
            "GetPartitionStatistics: row_count: expected an integer (got '",
            kv.value(), "')"));
      }
      return stats;
    }
    return absl::InternalError(
        "GetPartitionStatistics: the server sent no row_count");
  }

  // --- indexes ---------------------------------------------------------------

  absl::Status CreateIndex(const std::string& collection,
                           const IndexSpec& index,
                           const CallOptions& call) override {
    milvus_pb::CreateIndexRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    IndexSpecToProto(index, &request);
    common_pb::Status response;
    // Creating the same index again succeeds: idempotent.
    return Call(&MilvusStub::CreateIndex, "CreateIndex", true, request,
                &response, call);
  }

  absl::StatusOr<std::vector<IndexDescription>> DescribeIndexes(
      const std::string& collection, const CallOptions& call) override {
    milvus_pb::DescribeIndexRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    milvus_pb::DescribeIndexResponse response;
    absl::Status s = Call(&MilvusStub::DescribeIndex, "DescribeIndex", true,
                          request, &response, call);
    std::vector<IndexDescription> out;
    // Milvus reports "no index" as IndexNotExist; Cove lists nothing.
    if (absl::IsNotFound(s) && MilvusCode(s) == 700) return out;
    COVE_RETURN_IF_ERROR(s);
    for (const auto& d : response.index_descriptions()) {
      COVE_ASSIGN_OR_RETURN(IndexDescription desc,
                            IndexDescriptionFromProto(d));
      out.push_back(std::move(desc));
    }
    return out;
  }

  absl::Status DropIndex(const std::string& collection,
                         const std::string& index_name,
                         const CallOptions& call) override {
    milvus_pb::DropIndexRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    request.set_index_name(index_name);
    common_pb::Status response;
    return Call(&MilvusStub::DropIndex, "DropIndex", false, request, &response,
                call);
  }

  // --- data ------------------------------------------------------------------

  absl::StatusOr<MutationResult> Insert(const InsertRequest& request,
                                        const CallOptions& call) override {
    return Write<milvus_pb::InsertRequest>(&MilvusStub::Insert, "Insert",
                                           request, false, call);
  }

  absl::StatusOr<MutationResult> Upsert(const InsertRequest& request,
                                        const CallOptions& call) override {
    return Write<milvus_pb::UpsertRequest>(&MilvusStub::Upsert, "Upsert",
                                           request, true, call);
  }

  absl::StatusOr<MutationResult> Delete(const DeleteRequest& request,
                                        const CallOptions& call) override {
    if (request.ids.empty() == request.filter.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("delete: give either ids or a filter (got ",
                       request.ids.empty() ? "neither" : "both", ")"));
    }
    milvus_pb::DeleteRequest proto;
    proto.set_db_name(Db(call));
    proto.set_collection_name(request.collection_name);
    DeleteRequest folded = request;
    if (!request.ids.empty()) {
      COVE_ASSIGN_OR_RETURN(FieldSchema pk,
                            PrimaryKey(request.collection_name, call));
      COVE_ASSIGN_OR_RETURN(folded.filter, IdsFilter(pk, request.ids, ""));
    }
    COVE_RETURN_IF_ERROR(DeleteRequestToProto(folded, &proto));
    milvus_pb::MutationResult response;
    COVE_RETURN_IF_ERROR(
        Call(&MilvusStub::Delete, "Delete", false, proto, &response, call));
    return MutationResultFromProto(response, "delete");
  }

  absl::StatusOr<SearchResults> Search(const SearchRequest& request,
                                       const CallOptions& call) override {
    milvus_pb::SearchRequest proto;
    proto.set_db_name(Db(call));
    proto.set_collection_name(request.collection_name);
    COVE_RETURN_IF_ERROR(SearchRequestToProto(request, &proto));
    milvus_pb::SearchResults response;
    COVE_RETURN_IF_ERROR(
        Call(&MilvusStub::Search, "Search", true, proto, &response, call));
    return SearchResultsFromProto(response);
  }

  absl::StatusOr<std::vector<Hit>> NextServerIteratorPage(
      const SearchRequest& request, ServerIteratorState* state,
      const CallOptions& call) override {
    // What pymilvus' SearchIteratorV2 sends: the iterator keys among the
    // search params, the token and last bound after the first page, and
    // the first page's session timestamp as the guarantee timestamp.
    milvus_pb::SearchRequest proto;
    proto.set_db_name(Db(call));
    proto.set_collection_name(request.collection_name);
    COVE_RETURN_IF_ERROR(SearchRequestToProto(request, &proto));
    auto add = [&](const char* key, const std::string& value) {
      common_pb::KeyValuePair* kv = proto.add_search_params();
      kv->set_key(key);
      kv->set_value(value);
    };
    add("iterator", "True");
    add("search_iter_v2", "True");
    add("search_iter_batch_size", absl::StrCat(request.limit));
    if (!state->token.empty()) {
      add("search_iter_id", state->token);
      if (state->last_bound.has_value()) {
        // Nine significant digits read back as the same float.
        add("search_iter_last_bound",
            absl::StrFormat("%.9g", *state->last_bound));
      }
    }
    if (state->session_ts > 0) {
      proto.set_guarantee_timestamp(state->session_ts);
    }
    milvus_pb::SearchResults response;
    COVE_RETURN_IF_ERROR(
        Call(&MilvusStub::Search, "Search", true, proto, &response, call));
    const auto& info = response.results().search_iterator_v2_results();
    if (!response.results().has_search_iterator_v2_results() ||
        info.token().empty()) {
      // A server without it answers as to a plain search.
      return absl::UnimplementedError(
          "search iterator: the server has no search iterator v2 "
          "(search_iter_v2: Milvus 2.5 has it)");
    }
    if (!state->token.empty() && info.token() != state->token) {
      return absl::InternalError(absl::StrCat(
          "search iterator: the server changed the iterator's token (from '",
          state->token, "' to '", info.token(), "')"));
    }
    COVE_ASSIGN_OR_RETURN(SearchResults results,
                          SearchResultsFromProto(response));
    state->token = info.token();
    state->last_bound = info.last_bound();
    if (state->session_ts == 0) state->session_ts = response.session_ts();
    if (results.hits.empty()) return std::vector<Hit>{};
    return std::move(results.hits[0]);
  }

  absl::StatusOr<SearchResults> HybridSearch(const HybridSearchRequest& request,
                                             const CallOptions& call) override {
    milvus_pb::HybridSearchRequest proto;
    proto.set_db_name(Db(call));
    COVE_RETURN_IF_ERROR(HybridSearchRequestToProto(request, &proto));
    for (milvus_pb::SearchRequest& sub : *proto.mutable_requests()) {
      sub.set_db_name(Db(call));
    }
    milvus_pb::SearchResults response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::HybridSearch, "HybridSearch", true,
                              proto, &response, call));
    return SearchResultsFromProto(response);
  }

  absl::StatusOr<std::vector<Row>> Query(const QueryRequest& request,
                                         const CallOptions& call) override {
    milvus_pb::QueryRequest proto;
    proto.set_db_name(Db(call));
    proto.set_collection_name(request.collection_name);
    QueryRequest folded = request;
    if (!request.ids.empty()) {
      COVE_ASSIGN_OR_RETURN(FieldSchema pk,
                            PrimaryKey(request.collection_name, call));
      COVE_ASSIGN_OR_RETURN(folded.filter,
                            IdsFilter(pk, request.ids, request.filter));
      folded.ids.clear();
    }
    COVE_RETURN_IF_ERROR(QueryRequestToProto(folded, &proto));
    milvus_pb::QueryResults response;
    COVE_RETURN_IF_ERROR(
        Call(&MilvusStub::Query, "Query", true, proto, &response, call));
    return QueryResultsFromProto(response);
  }

  absl::StatusOr<std::vector<Row>> NextServerQueryPage(
      const QueryRequest& request, uint64_t* session_ts,
      const CallOptions& call) override {
    // What pymilvus' QueryIterator sends: "iterator" and
    // "reduce_stop_for_best" among the query params, and after the first
    // page its session timestamp as the guarantee timestamp.
    if (!request.ids.empty() || !request.session_id.empty()) {
      return absl::InvalidArgumentError(
          "query iterator page: ids and session_id are not supported");
    }
    milvus_pb::QueryRequest proto;
    proto.set_db_name(Db(call));
    proto.set_collection_name(request.collection_name);
    COVE_RETURN_IF_ERROR(QueryRequestToProto(request, &proto));
    for (const char* key : {"iterator", "reduce_stop_for_best"}) {
      common_pb::KeyValuePair* kv = proto.add_query_params();
      kv->set_key(key);
      kv->set_value("True");
    }
    if (*session_ts > 0) proto.set_guarantee_timestamp(*session_ts);
    milvus_pb::QueryResults response;
    COVE_RETURN_IF_ERROR(
        Call(&MilvusStub::Query, "Query", true, proto, &response, call));
    if (*session_ts == 0) *session_ts = response.session_ts();
    return QueryResultsFromProto(response);
  }

  // Milvus compacts in the background: start it with ManualCompaction,
  // then poll GetCompactionState until Completed, within the deadline.
  absl::Status Compact(const std::string& collection,
                       const CallOptions& call) override {
    COVE_ASSIGN_OR_RETURN(Described described, Describe(collection, call));
    milvus_pb::ManualCompactionRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    request.set_collectionid(described.description.collection_id);
    milvus_pb::ManualCompactionResponse started;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::ManualCompaction, "ManualCompaction",
                              false, request, &started, call));
    const auto deadline =
        clock_.now() + call.timeout.value_or(options_.timeout);
    std::chrono::milliseconds delay(10);
    while (true) {
      milvus_pb::GetCompactionStateRequest poll;
      poll.set_compactionid(started.compactionid());
      milvus_pb::GetCompactionStateResponse state;
      COVE_RETURN_IF_ERROR(Call(&MilvusStub::GetCompactionState,
                                "GetCompactionState", true, poll, &state,
                                call));
      if (state.failedplanno() > 0) {
        return absl::InternalError(absl::StrCat(
            "compact collection '", collection, "': ", state.failedplanno(),
            " compaction plan(s) failed on the server"));
      }
      if (state.state() == common_pb::Completed) return absl::OkStatus();
      if (clock_.now() + delay >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            "compact collection '", collection, "': compaction ",
            started.compactionid(), " still running at the deadline"));
      }
      clock_.sleep(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(1000));
    }
  }

  absl::StatusOr<std::string> OpenReadSession(
      const std::string& collection, const CallOptions& call) override {
    if (!options_.read_sessions) {
      return absl::UnimplementedError(
          "OpenReadSession: read sessions are off (RemoteOptions::"
          "read_sessions)");
    }
    milvus_pb::QueryRequest proto;
    proto.set_db_name(Db(call));
    proto.set_collection_name(collection);
    proto.add_output_fields("count(*)");
    AddSessionKv(&proto, kCoveReadSessionKey, "open");
    proto.set_consistency_level(common_pb::Strong);
    milvus_pb::QueryResults response;
    // Not retried: a retry after a lost reply would open a second session.
    COVE_RETURN_IF_ERROR(
        Call(&MilvusStub::Query, "Query", false, proto, &response, call));
    auto id = response.status().extra_info().find(kCoveSessionIdKey);
    if (id == response.status().extra_info().end() || id->second.empty()) {
      // A Milvus server ignores the key and just counts.
      return absl::UnimplementedError(
          "OpenReadSession: the server has no read sessions (cove-server "
          "has them; Milvus does not)");
    }
    return id->second;
  }

  absl::Status CloseReadSession(const std::string& collection,
                                const std::string& session_id,
                                const CallOptions& call) override {
    milvus_pb::QueryRequest proto;
    proto.set_db_name(Db(call));
    proto.set_collection_name(collection);
    AddSessionKv(&proto, kCoveReadSessionKey, "close");
    AddSessionKv(&proto, kCoveSessionIdKey, session_id);
    milvus_pb::QueryResults response;
    return Call(&MilvusStub::Query, "Query", false, proto, &response, call);
  }

  absl::Status Flush(const std::string& collection,
                     const CallOptions& call) override {
    milvus_pb::FlushRequest request;
    request.set_db_name(Db(call));
    request.add_collection_names(collection);
    milvus_pb::FlushResponse response;
    return Call(&MilvusStub::Flush, "Flush", true, request, &response, call);
  }

  // --- users, roles and privileges
  // --------------------------------------------

  absl::Status CreateUser(const std::string& user, const std::string& password,
                          const CallOptions& call) override {
    milvus_pb::CreateCredentialRequest request;
    request.set_username(user);
    request.set_password(Base64Encode(password));
    common_pb::Status response;
    return Call(&MilvusStub::CreateCredential, "CreateCredential", false,
                request, &response, call);
  }

  absl::Status UpdatePassword(const std::string& user,
                              const std::string& old_password,
                              const std::string& new_password,
                              const CallOptions& call) override {
    milvus_pb::UpdateCredentialRequest request;
    request.set_username(user);
    request.set_oldpassword(Base64Encode(old_password));
    request.set_newpassword(Base64Encode(new_password));
    common_pb::Status response;
    return Call(&MilvusStub::UpdateCredential, "UpdateCredential", false,
                request, &response, call);
  }

  absl::Status DropUser(const std::string& user,
                        const CallOptions& call) override {
    milvus_pb::DeleteCredentialRequest request;
    request.set_username(user);
    common_pb::Status response;
    return Call(&MilvusStub::DeleteCredential, "DeleteCredential", false,
                request, &response, call);
  }

  absl::StatusOr<std::vector<std::string>> ListUsers(
      const CallOptions& call) override {
    milvus_pb::ListCredUsersRequest request;
    milvus_pb::ListCredUsersResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::ListCredUsers, "ListCredUsers", true,
                              request, &response, call));
    return std::vector<std::string>(response.usernames().begin(),
                                    response.usernames().end());
  }

  absl::StatusOr<UserInfo> DescribeUser(const std::string& user,
                                        const CallOptions& call) override {
    milvus_pb::SelectUserRequest request;
    request.mutable_user()->set_name(user);
    request.set_include_role_info(true);
    milvus_pb::SelectUserResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::SelectUser, "SelectUser", true,
                              request, &response, call));
    for (const auto& r : response.results()) {
      if (r.user().name() != user) continue;
      UserInfo info;
      info.name = user;
      for (const auto& role : r.roles()) info.roles.push_back(role.name());
      return info;
    }
    return absl::NotFoundError(absl::StrCat("user '", user, "' not found"));
  }

  absl::Status CreateRole(const std::string& role,
                          const CallOptions& call) override {
    milvus_pb::CreateRoleRequest request;
    request.mutable_entity()->set_name(role);
    common_pb::Status response;
    return Call(&MilvusStub::CreateRole, "CreateRole", false, request,
                &response, call);
  }

  absl::Status DropRole(const std::string& role,
                        const CallOptions& call) override {
    milvus_pb::DropRoleRequest request;
    request.set_role_name(role);
    common_pb::Status response;
    return Call(&MilvusStub::DropRole, "DropRole", false, request, &response,
                call);
  }

  absl::StatusOr<std::vector<RoleInfo>> ListRoles(
      const CallOptions& call) override {
    milvus_pb::SelectRoleRequest request;
    request.set_include_user_info(true);
    milvus_pb::SelectRoleResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::SelectRole, "SelectRole", true,
                              request, &response, call));
    std::vector<RoleInfo> out;
    for (const auto& r : response.results()) {
      RoleInfo info;
      info.name = r.role().name();
      for (const auto& u : r.users()) info.users.push_back(u.name());
      out.push_back(std::move(info));
    }
    return out;
  }

  absl::Status GrantRole(const std::string& user, const std::string& role,
                         const CallOptions& call) override {
    return OperateUserRole(user, role, milvus_pb::AddUserToRole, call);
  }

  absl::Status RevokeRole(const std::string& user, const std::string& role,
                          const CallOptions& call) override {
    return OperateUserRole(user, role, milvus_pb::RemoveUserFromRole, call);
  }

  absl::Status GrantPrivilege(const Grant& grant,
                              const CallOptions& call) override {
    return OperatePrivilege(grant, milvus_pb::Grant, call);
  }

  absl::Status RevokePrivilege(const Grant& grant,
                               const CallOptions& call) override {
    return OperatePrivilege(grant, milvus_pb::Revoke, call);
  }

  absl::StatusOr<std::vector<Grant>> ListGrants(
      const std::string& role, const CallOptions& call) override {
    milvus_pb::SelectGrantRequest request;
    request.mutable_entity()->mutable_role()->set_name(role);
    milvus_pb::SelectGrantResponse response;
    COVE_RETURN_IF_ERROR(Call(&MilvusStub::SelectGrant, "SelectGrant", true,
                              request, &response, call));
    std::vector<Grant> out;
    for (const auto& e : response.entities()) out.push_back(GrantFromProto(e));
    return out;
  }

 private:
  template <typename Request, typename Response>
  using Method = grpc::Status (MilvusStub::*)(grpc::ClientContext&,
                                              const Request&, Response*);

  struct Described {
    CollectionDescription description;
    uint64_t update_timestamp = 0;
  };

  // The database of a call: CallOptions, else the client's, else none (the
  // server's default).
  std::string Db(const CallOptions& call) const {
    return call.db_name.empty() ? default_db_ : call.db_name;
  }

  // One RPC with deadline and, for idempotent calls, retries of Unavailable
  // with exponential backoff and jitter, within the call's deadline.
  template <typename Request, typename Response>
  absl::Status Call(Method<Request, Response> method, const char* name,
                    bool idempotent, const Request& request, Response* response,
                    const CallOptions& call) {
    const auto deadline =
        clock_.now() + call.timeout.value_or(options_.timeout);
    const std::string db = Db(call);
    return RetryLoop(
        policy_, clock_, deadline, idempotent,
        [&](std::chrono::milliseconds remaining) {
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() + remaining);
          if (!db.empty()) context.AddMetadata("dbname", db);
          response->Clear();
          grpc::Status g = (stub_.get()->*method)(context, request, response);
          return g.ok() ? StatusFromProto(ResponseStatus(*response))
                        : FromGrpc(name, g);
        });
  }

  // DescribeCollection, refreshing the schema cache.
  absl::StatusOr<Described> Describe(const std::string& name,
                                     const CallOptions& call) {
    milvus_pb::DescribeCollectionRequest request;
    request.set_db_name(Db(call));
    request.set_collection_name(name);
    milvus_pb::DescribeCollectionResponse response;
    absl::Status s = Call(&MilvusStub::DescribeCollection, "DescribeCollection",
                          true, request, &response, call);
    if (!s.ok()) {
      if (absl::IsNotFound(s)) Invalidate(name, call);
      return s;
    }
    Described out;
    COVE_ASSIGN_OR_RETURN(out.description, DescriptionFromProto(response));
    if (out.description.name.empty()) out.description.name = name;
    out.update_timestamp = response.update_timestamp();
    absl::MutexLock lock(&mu_);
    schemas_[CacheKey(name, call)] = out;
    return out;
  }

  // The cached schema (described when missing).
  absl::StatusOr<Described> CachedSchema(const std::string& name,
                                         const CallOptions& call,
                                         bool* from_cache) {
    {
      absl::MutexLock lock(&mu_);
      auto it = schemas_.find(CacheKey(name, call));
      if (it != schemas_.end()) {
        *from_cache = true;
        return it->second;
      }
    }
    *from_cache = false;
    return Describe(name, call);
  }

  void Invalidate(const std::string& name, const CallOptions& call) {
    absl::MutexLock lock(&mu_);
    schemas_.erase(CacheKey(name, call));
  }

  std::string CacheKey(const std::string& name, const CallOptions& call) const {
    return absl::StrCat(Db(call), "\n", name);
  }

  absl::StatusOr<FieldSchema> PrimaryKey(const std::string& collection,
                                         const CallOptions& call) {
    bool from_cache = false;
    COVE_ASSIGN_OR_RETURN(Described d,
                          CachedSchema(collection, call, &from_cache));
    for (const FieldSchema& f : d.description.schema.fields) {
      if (f.is_primary_key) return f;
    }
    return absl::InternalError(
        absl::StrCat("collection '", collection,
                     "': the server's schema has no primary "
                     "key"));
  }

  // Insert or Upsert: columns built against the cached schema and sent with
  // its timestamp; a stale schema (the server says SchemaMismatch, or the
  // rows do not fit it) is described again and the write rebuilt once.
  // Writes are never retried after a transport failure (not idempotent).
  template <typename Proto>
  absl::StatusOr<MutationResult> Write(
      Method<Proto, milvus_pb::MutationResult> method, const char* name,
      const InsertRequest& request, bool upsert, const CallOptions& call) {
    COVE_ASSIGN_OR_RETURN(auto rows, InsertRequestRows(request));
    bool from_cache = false;
    COVE_ASSIGN_OR_RETURN(
        Described described,
        CachedSchema(request.collection_name, call, &from_cache));
    for (int round = 0; round < 2; ++round) {
      Proto proto;
      proto.set_db_name(Db(call));
      proto.set_collection_name(request.collection_name);
      proto.set_partition_name(request.partition_name);
      proto.set_num_rows(static_cast<uint32_t>(rows.size()));
      proto.set_schema_timestamp(described.update_timestamp);
      absl::Status s = InsertRowsToFieldData(described.description.schema, rows,
                                             proto.mutable_fields_data());
      if (s.ok()) {
        milvus_pb::MutationResult response;
        s = Call(method, name, /*idempotent=*/false, proto, &response, call);
        if (s.ok()) {
          return MutationResultFromProto(response,
                                         upsert ? "upsert" : "insert");
        }
        if (!IsSchemaMismatch(s) && !absl::IsNotFound(s)) return s;
      } else if (!from_cache) {
        return s;
      }
      if (round == 1) return s;
      COVE_ASSIGN_OR_RETURN(described, Describe(request.collection_name, call));
      from_cache = false;
    }
    return absl::InternalError("write: unreachable");
  }

  // A request naming the call's database, a collection and partitions.
  template <typename Request>
  Request PartitionsRequest(const std::string& collection,
                            const std::vector<std::string>& partitions,
                            const CallOptions& call) const {
    Request request;
    request.set_db_name(Db(call));
    request.set_collection_name(collection);
    for (const std::string& p : partitions) request.add_partition_names(p);
    return request;
  }

  // Loading is synchronous in Cove; other servers load in the background:
  // poll the load state until loaded, within the call's deadline.
  absl::Status WaitLoaded(const std::string& name, const CallOptions& call,
                          const std::vector<std::string>& partitions = {}) {
    const auto deadline =
        clock_.now() + call.timeout.value_or(options_.timeout);
    std::chrono::milliseconds delay(10);
    while (true) {
      COVE_ASSIGN_OR_RETURN(
          LoadState state,
          partitions.empty() ? GetLoadState(name, call)
                             : GetPartitionsLoadState(name, partitions, call));
      if (state == LoadState::kLoaded) return absl::OkStatus();
      if (state != LoadState::kLoading) {
        return absl::FailedPreconditionError(absl::StrCat(
            "load collection '", name, "': the server did not load it"));
      }
      if (clock_.now() + delay >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            "load collection '", name, "': still loading at the deadline"));
      }
      clock_.sleep(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(1000));
    }
  }

  absl::Status OperateUserRole(const std::string& user, const std::string& role,
                               milvus_pb::OperateUserRoleType type,
                               const CallOptions& call) {
    milvus_pb::OperateUserRoleRequest request;
    request.set_username(user);
    request.set_role_name(role);
    request.set_type(type);
    common_pb::Status response;
    return Call(&MilvusStub::OperateUserRole, "OperateUserRole", true, request,
                &response, call);
  }

  absl::Status OperatePrivilege(const Grant& grant,
                                milvus_pb::OperatePrivilegeType type,
                                const CallOptions& call) {
    milvus_pb::OperatePrivilegeRequest request;
    GrantToProto(grant, request.mutable_entity());
    if (grant.db_name.empty()) request.mutable_entity()->set_db_name(Db(call));
    request.set_type(type);
    common_pb::Status response;
    return Call(&MilvusStub::OperatePrivilege, "OperatePrivilege", false,
                request, &response, call);
  }

  const std::shared_ptr<MilvusStub> stub_;
  const RemoteOptions options_;
  const Clock clock_;
  const RetryPolicy policy_;
  const std::shared_ptr<SessionMetadata> session_;
  const std::string default_db_;
  absl::Mutex mu_;
  std::map<std::string, Described> schemas_ ABSL_GUARDED_BY(mu_);
};

std::string Authorization(const RemoteOptions& options) {
  if (!options.token.empty()) return Base64Encode(options.token);
  if (!options.user.empty()) {
    return Base64Encode(absl::StrCat(options.user, ":", options.password));
  }
  return std::string();
}

}  // namespace

namespace {

absl::StatusOr<std::shared_ptr<Connection>> Open(
    std::shared_ptr<MilvusStub> stub, const RemoteOptions& options, Clock clock,
    std::shared_ptr<SessionMetadata> session, std::string default_db) {
  auto conn = std::make_shared<RemoteConnection>(
      std::move(stub), options, std::move(clock), std::move(session),
      std::move(default_db));
  COVE_RETURN_IF_ERROR(conn->Start());
  return std::shared_ptr<Connection>(std::move(conn));
}

}  // namespace

absl::StatusOr<std::shared_ptr<Connection>> MakeRemoteConnectionWithStub(
    std::shared_ptr<MilvusStub> stub, const RemoteOptions& options,
    Clock clock) {
  COVE_RETURN_IF_ERROR(options.Validate());
  return Open(std::move(stub), options, std::move(clock), nullptr,
              options.db_name);
}

absl::StatusOr<std::shared_ptr<Connection>> MakeRemoteConnection(
    const std::string& uri, const RemoteOptions& options) {
  COVE_RETURN_IF_ERROR(options.Validate());
  COVE_ASSIGN_OR_RETURN(RemoteEndpoint endpoint, ParseRemoteUri(uri));
  grpc::ChannelArguments args = ClientChannelArguments(
      RetryPolicyOf(options), absl::StrCat("cove-cpp/", VersionString()));
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS,
              static_cast<int>(options.keepalive_time.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  const TlsSettings tls{/*ca_cert_pem=*/"",
                        options.ca_cert_file,
                        options.client_cert_file,
                        options.client_key_file,
                        options.server_name,
                        options.dangerously_skip_tls_verification,
                        "RemoteOptions.dangerously_skip_tls_verification"};
  COVE_ASSIGN_OR_RETURN(
      auto credentials,
      ChannelCredentials(tls, endpoint.tls, endpoint.target(), &args));
  auto channel =
      grpc::CreateCustomChannel(endpoint.target(), credentials, args);
  auto session = std::make_shared<SessionMetadata>(Authorization(options));
  RpcLogSink log;
  // RemoteOptions::log_rpcs (or COVE_LOG_RPCS=1 through ApplyEnvironment)
  // logs every RPC (name, status, duration) to stderr.
  if (options.log_rpcs) log = StderrRpcLogSink();
  auto stub = MakeDecoratedStub(MakeGrpcMilvusStub(std::move(channel)), session,
                                std::move(log));
  std::string db = options.db_name.empty() ? endpoint.db_name : options.db_name;
  return Open(std::move(stub), options, Clock::Real(), std::move(session),
              std::move(db));
}

}  // namespace cove::internal
