// cove::Client: URI dispatch and the convenience overloads.
#include "cove/client.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "client/executor.h"
#include "common/status_macros.h"
#include "embedded/embedded_connection.h"
#include "remote/remote_connection.h"

namespace cove {

struct Client::Shared {
  absl::Mutex mu;
  std::shared_ptr<internal::Executor> executor;
};

Client::Client(std::shared_ptr<Connection> connection)
    : connection_(std::move(connection)), shared_(std::make_shared<Shared>()) {}

internal::Executor& Client::executor() const {
  absl::MutexLock lock(&shared_->mu);
  if (shared_->executor == nullptr) {
    int threads = 16;
    const char* env = std::getenv("COVE_ASYNC_THREADS");
    int n = 0;
    if (env != nullptr && absl::SimpleAtoi(env, &n) && n > 0 && n <= 1024) {
      threads = n;
    }
    shared_->executor = std::make_shared<internal::Executor>(threads);
  }
  return *shared_->executor;
}

template <typename T, typename F>
std::future<T> Client::RunAsync(F fn) const {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  executor().Submit(
      [promise, fn = std::move(fn)]() mutable { promise->set_value(fn()); });
  return future;
}

std::future<absl::StatusOr<SearchResults>> Client::SearchAsync(
    SearchRequest request, CallOptions call) {
  auto conn = connection_;
  return RunAsync<absl::StatusOr<SearchResults>>(
      [conn, request = std::move(request), call = std::move(call)] {
        return conn->Search(request, call);
      });
}

std::future<absl::StatusOr<std::vector<Row>>> Client::QueryAsync(
    QueryRequest request, CallOptions call) {
  auto conn = connection_;
  return RunAsync<absl::StatusOr<std::vector<Row>>>(
      [conn, request = std::move(request), call = std::move(call)] {
        return conn->Query(request, call);
      });
}

std::future<absl::StatusOr<std::vector<Row>>> Client::GetAsync(
    std::string collection, std::vector<Value> ids,
    std::vector<std::string> output_fields, CallOptions call) {
  QueryRequest request;
  request.collection_name = std::move(collection);
  request.ids = std::move(ids);
  request.output_fields = std::move(output_fields);
  if (request.ids.empty()) {
    std::promise<absl::StatusOr<std::vector<Row>>> empty;
    empty.set_value(std::vector<Row>{});
    return empty.get_future();
  }
  return QueryAsync(std::move(request), std::move(call));
}

std::future<absl::StatusOr<MutationResult>> Client::InsertAsync(
    InsertRequest request, CallOptions call) {
  auto conn = connection_;
  return RunAsync<absl::StatusOr<MutationResult>>(
      [conn, request = std::move(request), call = std::move(call)] {
        return conn->Insert(request, call);
      });
}

std::future<absl::StatusOr<MutationResult>> Client::UpsertAsync(
    InsertRequest request, CallOptions call) {
  auto conn = connection_;
  return RunAsync<absl::StatusOr<MutationResult>>(
      [conn, request = std::move(request), call = std::move(call)] {
        return conn->Upsert(request, call);
      });
}

std::future<absl::StatusOr<MutationResult>> Client::DeleteAsync(
    DeleteRequest request, CallOptions call) {
  auto conn = connection_;
  return RunAsync<absl::StatusOr<MutationResult>>(
      [conn, request = std::move(request), call = std::move(call)] {
        return conn->Delete(request, call);
      });
}

void Client::SearchAsync(
    SearchRequest request,
    std::function<void(absl::StatusOr<SearchResults>)> done, CallOptions call) {
  auto conn = connection_;
  executor().Submit(
      [conn, request = std::move(request), call = std::move(call),
       done = std::move(done)] { done(conn->Search(request, call)); });
}

void Client::QueryAsync(
    QueryRequest request,
    std::function<void(absl::StatusOr<std::vector<Row>>)> done,
    CallOptions call) {
  auto conn = connection_;
  executor().Submit(
      [conn, request = std::move(request), call = std::move(call),
       done = std::move(done)] { done(conn->Query(request, call)); });
}

void Client::InsertAsync(
    InsertRequest request,
    std::function<void(absl::StatusOr<MutationResult>)> done,
    CallOptions call) {
  auto conn = connection_;
  executor().Submit(
      [conn, request = std::move(request), call = std::move(call),
       done = std::move(done)] { done(conn->Insert(request, call)); });
}

absl::StatusOr<Client> Client::Open(const std::string& uri,
                                    ClientOptions options) {
  options = ApplyEnvironment(std::move(options));
  COVE_RETURN_IF_ERROR(options.Validate());
  if (uri.empty()) {
    return absl::InvalidArgumentError(
        "uri: expected a path, ':memory:', http://host:port or "
        "https://host:port (got an empty string)");
  }
  if (absl::StartsWith(uri, "http://") || absl::StartsWith(uri, "https://") ||
      absl::StartsWith(uri, "tcp://") || absl::StartsWith(uri, "grpc://")) {
    COVE_ASSIGN_OR_RETURN(auto remote,
                          internal::MakeRemoteConnection(uri, options.remote));
    return Client(std::move(remote));
  }
  if (absl::StrContains(uri, "://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "uri: unknown scheme (expected http:// or https://, a path or "
        "':memory:'; got '",
        uri, "')"));
  }
  COVE_ASSIGN_OR_RETURN(
      auto conn, internal::MakeEmbeddedConnection(uri, options.embedded));
  return Client(std::move(conn));
}

absl::Status Client::CreateCollection(const std::string& name, int64_t dim,
                                      const QuickCollectionOptions& quick,
                                      const CallOptions& call) {
  if (dim <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("dimension: expected a positive number (got ", dim, ")"));
  }
  if (quick.id_type != DataType::kInt64 &&
      quick.id_type != DataType::kVarChar) {
    return absl::InvalidArgumentError(
        absl::StrCat("id_type: expected INT64 or VARCHAR (got ",
                     DataTypeName(quick.id_type), ")"));
  }
  CollectionSchema schema;
  schema.enable_dynamic_field = true;
  FieldSchema id;
  id.name = quick.primary_field_name;
  id.type = quick.id_type;
  id.is_primary_key = true;
  id.auto_id = quick.auto_id;
  if (quick.id_type == DataType::kVarChar) id.max_length = quick.max_length;
  FieldSchema vec;
  vec.name = quick.vector_field_name;
  vec.type = DataType::kFloatVector;
  vec.dim = dim;
  schema.AddField(std::move(id)).AddField(std::move(vec));
  schema.consistency_level = quick.consistency_level;
  schema.properties = quick.properties;
  IndexSpec index;
  index.field_name = quick.vector_field_name;
  index.index_type = IndexType::kAutoIndex;
  index.metric_type = quick.metric_type;
  return connection_->CreateCollection(name, schema, {index}, call);
}

absl::Status Client::CreateCollection(const std::string& name,
                                      const CollectionSchema& schema,
                                      const std::vector<IndexSpec>& indexes,
                                      const CallOptions& call) {
  return connection_->CreateCollection(name, schema, indexes, call);
}
absl::Status Client::DropCollection(const std::string& name,
                                    const CallOptions& call) {
  return connection_->DropCollection(name, call);
}
absl::StatusOr<bool> Client::HasCollection(const std::string& name,
                                           const CallOptions& call) {
  return connection_->HasCollection(name, call);
}
absl::StatusOr<std::vector<std::string>> Client::ListCollections(
    const CallOptions& call) {
  return connection_->ListCollections(call);
}
absl::StatusOr<CollectionDescription> Client::DescribeCollection(
    const std::string& name, const CallOptions& call) {
  return connection_->DescribeCollection(name, call);
}
absl::Status Client::RenameCollection(const std::string& old_name,
                                      const std::string& new_name,
                                      const CallOptions& call) {
  return connection_->RenameCollection(old_name, new_name, "", call);
}
absl::Status Client::RenameCollection(const std::string& old_name,
                                      const std::string& new_name,
                                      const std::string& new_db_name,
                                      const CallOptions& call) {
  return connection_->RenameCollection(old_name, new_name, new_db_name, call);
}
absl::StatusOr<CollectionStats> Client::GetCollectionStats(
    const std::string& name, const CallOptions& call) {
  return connection_->GetCollectionStats(name, call);
}
absl::Status Client::LoadCollection(const std::string& name,
                                    const CallOptions& call) {
  return connection_->LoadCollection(name, call);
}
absl::Status Client::LoadCollection(const std::string& name,
                                    const LoadOptions& options,
                                    const CallOptions& call) {
  return connection_->LoadCollection(name, options, call);
}
absl::Status Client::ReleaseCollection(const std::string& name,
                                       const CallOptions& call) {
  return connection_->ReleaseCollection(name, call);
}
absl::StatusOr<LoadState> Client::GetLoadState(const std::string& name,
                                               const CallOptions& call) {
  return connection_->GetLoadState(name, call);
}
absl::Status Client::LoadPartitions(const std::string& collection,
                                    const std::vector<std::string>& partitions,
                                    const CallOptions& call) {
  return connection_->LoadPartitions(collection, partitions, call);
}
absl::Status Client::ReleasePartitions(
    const std::string& collection, const std::vector<std::string>& partitions,
    const CallOptions& call) {
  return connection_->ReleasePartitions(collection, partitions, call);
}
absl::StatusOr<LoadState> Client::GetLoadState(
    const std::string& collection, const std::vector<std::string>& partitions,
    const CallOptions& call) {
  return connection_->GetPartitionsLoadState(collection, partitions, call);
}
absl::StatusOr<CollectionStats> Client::GetPartitionStats(
    const std::string& collection, const std::string& partition,
    const CallOptions& call) {
  return connection_->GetPartitionStats(collection, partition, call);
}
absl::Status Client::CreateIndex(const std::string& collection,
                                 const IndexSpec& index,
                                 const CallOptions& call) {
  return connection_->CreateIndex(collection, index, call);
}
absl::StatusOr<std::vector<IndexDescription>> Client::DescribeIndexes(
    const std::string& collection, const CallOptions& call) {
  return connection_->DescribeIndexes(collection, call);
}
absl::Status Client::DropIndex(const std::string& collection,
                               const std::string& index_name,
                               const CallOptions& call) {
  return connection_->DropIndex(collection, index_name, call);
}
absl::StatusOr<MutationResult> Client::Insert(const std::string& collection,
                                              std::vector<Row> rows,
                                              const CallOptions& call) {
  InsertRequest request;
  request.collection_name = collection;
  request.rows = std::move(rows);
  return connection_->Insert(request, call);
}
absl::StatusOr<MutationResult> Client::Insert(const InsertRequest& request,
                                              const CallOptions& call) {
  return connection_->Insert(request, call);
}
absl::StatusOr<MutationResult> Client::Upsert(const std::string& collection,
                                              std::vector<Row> rows,
                                              const CallOptions& call) {
  InsertRequest request;
  request.collection_name = collection;
  request.rows = std::move(rows);
  return connection_->Upsert(request, call);
}
absl::StatusOr<MutationResult> Client::Upsert(const InsertRequest& request,
                                              const CallOptions& call) {
  return connection_->Upsert(request, call);
}
absl::StatusOr<MutationResult> Client::Delete(const std::string& collection,
                                              std::vector<Value> ids,
                                              const CallOptions& call) {
  DeleteRequest request;
  request.collection_name = collection;
  request.ids = std::move(ids);
  return connection_->Delete(request, call);
}
absl::StatusOr<MutationResult> Client::Delete(const DeleteRequest& request,
                                              const CallOptions& call) {
  return connection_->Delete(request, call);
}
absl::StatusOr<SearchResults> Client::Search(const SearchRequest& request,
                                             const CallOptions& call) {
  return connection_->Search(request, call);
}
absl::StatusOr<SearchResults> Client::HybridSearch(
    const HybridSearchRequest& request, const CallOptions& call) {
  return connection_->HybridSearch(request, call);
}
absl::StatusOr<std::vector<Row>> Client::Query(const QueryRequest& request,
                                               const CallOptions& call) {
  return connection_->Query(request, call);
}
absl::StatusOr<std::vector<Row>> Client::Get(
    const std::string& collection, std::vector<Value> ids,
    std::vector<std::string> output_fields, const CallOptions& call) {
  if (ids.empty()) return std::vector<Row>{};
  QueryRequest request;
  request.collection_name = collection;
  request.ids = std::move(ids);
  request.output_fields = std::move(output_fields);
  return connection_->Query(request, call);
}
absl::Status Client::Flush(const std::string& collection,
                           const CallOptions& call) {
  return connection_->Flush(collection, call);
}
absl::Status Client::Compact(const std::string& collection,
                             const CallOptions& call) {
  return connection_->Compact(collection, call);
}

absl::StatusOr<std::string> Client::GetServerVersion(const CallOptions& call) {
  return connection_->GetServerVersion(call);
}

absl::Status Client::CheckHealth(const CallOptions& call) {
  return connection_->CheckHealth(call);
}

absl::Status Client::CreateDatabase(const std::string& name,
                                    const CallOptions& call) {
  return connection_->CreateDatabase(name, call);
}

absl::Status Client::DropDatabase(const std::string& name,
                                  const CallOptions& call) {
  return connection_->DropDatabase(name, call);
}

absl::StatusOr<std::vector<std::string>> Client::ListDatabases(
    const CallOptions& call) {
  return connection_->ListDatabases(call);
}

absl::Status Client::CreatePartition(const std::string& collection,
                                     const std::string& partition,
                                     const CallOptions& call) {
  return connection_->CreatePartition(collection, partition, call);
}

absl::Status Client::DropPartition(const std::string& collection,
                                   const std::string& partition,
                                   const CallOptions& call) {
  return connection_->DropPartition(collection, partition, call);
}

absl::StatusOr<bool> Client::HasPartition(const std::string& collection,
                                          const std::string& partition,
                                          const CallOptions& call) {
  return connection_->HasPartition(collection, partition, call);
}

absl::StatusOr<std::vector<std::string>> Client::ListPartitions(
    const std::string& collection, const CallOptions& call) {
  return connection_->ListPartitions(collection, call);
}

absl::Status Client::CreateAlias(const std::string& collection,
                                 const std::string& alias,
                                 const CallOptions& call) {
  return connection_->CreateAlias(collection, alias, call);
}

absl::Status Client::DropAlias(const std::string& alias,
                               const CallOptions& call) {
  return connection_->DropAlias(alias, call);
}

absl::Status Client::AlterAlias(const std::string& collection,
                                const std::string& alias,
                                const CallOptions& call) {
  return connection_->AlterAlias(collection, alias, call);
}

absl::StatusOr<AliasDescription> Client::DescribeAlias(
    const std::string& alias, const CallOptions& call) {
  return connection_->DescribeAlias(alias, call);
}

absl::StatusOr<std::vector<std::string>> Client::ListAliases(
    const std::string& collection, const CallOptions& call) {
  return connection_->ListAliases(collection, call);
}

absl::Status Client::CreateUser(const std::string& user,
                                const std::string& password,
                                const CallOptions& call) {
  return connection_->CreateUser(user, password, call);
}

absl::Status Client::UpdatePassword(const std::string& user,
                                    const std::string& old_password,
                                    const std::string& new_password,
                                    const CallOptions& call) {
  return connection_->UpdatePassword(user, old_password, new_password, call);
}

absl::Status Client::DropUser(const std::string& user,
                              const CallOptions& call) {
  return connection_->DropUser(user, call);
}

absl::StatusOr<std::vector<std::string>> Client::ListUsers(
    const CallOptions& call) {
  return connection_->ListUsers(call);
}

absl::StatusOr<UserInfo> Client::DescribeUser(const std::string& user,
                                              const CallOptions& call) {
  return connection_->DescribeUser(user, call);
}

absl::Status Client::CreateRole(const std::string& role,
                                const CallOptions& call) {
  return connection_->CreateRole(role, call);
}

absl::Status Client::DropRole(const std::string& role,
                              const CallOptions& call) {
  return connection_->DropRole(role, call);
}

absl::StatusOr<std::vector<RoleInfo>> Client::ListRoles(
    const CallOptions& call) {
  return connection_->ListRoles(call);
}

absl::Status Client::GrantRole(const std::string& user, const std::string& role,
                               const CallOptions& call) {
  return connection_->GrantRole(user, role, call);
}

absl::Status Client::RevokeRole(const std::string& user,
                                const std::string& role,
                                const CallOptions& call) {
  return connection_->RevokeRole(user, role, call);
}

absl::Status Client::GrantPrivilege(const Grant& grant,
                                    const CallOptions& call) {
  return connection_->GrantPrivilege(grant, call);
}

absl::Status Client::RevokePrivilege(const Grant& grant,
                                     const CallOptions& call) {
  return connection_->RevokePrivilege(grant, call);
}

absl::StatusOr<std::vector<Grant>> Client::ListGrants(const std::string& role,
                                                      const CallOptions& call) {
  return connection_->ListGrants(role, call);
}

}  // namespace cove
