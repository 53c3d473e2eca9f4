// The capacity-enforcing Connection decorator of the cloud emulator.
#include "hosting/capacity_connection.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/server.h"

namespace cove::hosting {

absl::StatusOr<int64_t> CapacityConnection::CountEntities() {
  COVE_ASSIGN_OR_RETURN(auto dbs, inner_->ListDatabases(CallOptions{}));
  int64_t total = 0;
  for (const std::string& db : dbs) {
    CallOptions call;
    call.db_name = db;
    COVE_ASSIGN_OR_RETURN(auto collections, inner_->ListCollections(call));
    for (const std::string& c : collections) {
      COVE_ASSIGN_OR_RETURN(auto stats, inner_->GetCollectionStats(c, call));
      total += stats.row_count;
    }
  }
  return total;
}

int64_t CapacityConnection::RowCount(const InsertRequest& request) {
  if (!request.rows.empty()) return static_cast<int64_t>(request.rows.size());
  for (const Column& c : request.columns) {
    if (c.dim > 0) return static_cast<int64_t>(c.float_vectors.size() / c.dim);
    if (!c.values.empty()) return static_cast<int64_t>(c.values.size());
  }
  return 0;
}

namespace {

int64_t ValueBytes(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
    case Value::Kind::kBool:
      return 1;
    case Value::Kind::kInt:
    case Value::Kind::kDouble:
      return 8;
    case Value::Kind::kString:
      return static_cast<int64_t>(v.AsString().size());
    case Value::Kind::kArray: {
      int64_t n = 0;
      for (const Value& x : v.AsArray()) n += ValueBytes(x);
      return n;
    }
    case Value::Kind::kObject: {
      int64_t n = 0;
      for (const auto& [k, x] : v.AsObject())
        n += static_cast<int64_t>(k.size()) + ValueBytes(x);
      return n;
    }
    case Value::Kind::kFloatVector:
      return static_cast<int64_t>(v.AsFloatVector().size() * sizeof(float));
    case Value::Kind::kFloat16Vector:
      return static_cast<int64_t>(v.AsFloat16Vector().size() * 2);
    case Value::Kind::kBFloat16Vector:
      return static_cast<int64_t>(v.AsBFloat16Vector().size() * 2);
    case Value::Kind::kBinaryVector:
      return static_cast<int64_t>(v.AsBinaryVector().size());
    case Value::Kind::kSparseVector:
      // An index and a value per element.
      return static_cast<int64_t>(v.AsSparseVector().indices.size() * 8);
  }
  return 0;
}

}  // namespace

int64_t CapacityConnection::RequestBytes(const InsertRequest& request) {
  int64_t n = 0;
  for (const Row& row : request.rows) {
    for (const auto& [k, v] : row)
      n += static_cast<int64_t>(k.size()) + ValueBytes(v);
  }
  for (const Column& c : request.columns) {
    n += static_cast<int64_t>(c.name.size());
    for (const Value& v : c.values) n += ValueBytes(v);
    n += static_cast<int64_t>(c.float_vectors.size() * sizeof(float));
  }
  return n;
}

absl::Status CapacityConnection::CheckRoom(int64_t adding,
                                           int64_t adding_bytes) {
  if (adding_bytes > kMaxRequestBytes) {
    return server::WriteTooLargeError(adding_bytes, kMaxRequestBytes);
  }
  COVE_ASSIGN_OR_RETURN(const int64_t used, CountEntities());
  const int64_t capacity = capacity_.load();
  if (used + adding > capacity) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cluster capacity: the cluster admits ", capacity,
        " vectors (capacity_vectors) and holds ", used, "; this write adds ",
        adding, " (scale the cluster up to store more)"));
  }
  const int64_t capacity_bytes = capacity_bytes_.load();
  if (capacity_bytes > 0 && storage_bytes_) {
    const int64_t held = storage_bytes_();
    if (held + adding_bytes > capacity_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cluster capacity: the cluster admits ", capacity_bytes,
          " bytes of storage (capacity_bytes) and holds ", held,
          "; this write adds ", adding_bytes,
          " (scale the cluster up, or delete data, to store more)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CapacityConnection::CountExisting(
    const InsertRequest& request, const CallOptions& call) {
  COVE_ASSIGN_OR_RETURN(
      auto desc, inner_->DescribeCollection(request.collection_name, call));
  std::string pk;
  for (const FieldSchema& f : desc.schema.fields) {
    if (f.is_primary_key) pk = f.name;
  }
  std::vector<Value> ids;
  for (const Row& row : request.rows) {
    auto it = row.find(pk);
    if (it != row.end()) ids.push_back(it->second);
  }
  for (const Column& c : request.columns) {
    if (c.name == pk) ids = c.values;
  }
  if (ids.empty()) return 0;
  QueryRequest query;
  query.collection_name = request.collection_name;
  if (!request.partition_name.empty()) {
    query.partition_names.push_back(request.partition_name);
  }
  query.ids = ids;
  query.output_fields = {pk};
  COVE_ASSIGN_OR_RETURN(auto rows, inner_->Query(query, call));
  return static_cast<int64_t>(rows.size());
}

absl::StatusOr<MutationResult> CapacityConnection::Insert(
    const InsertRequest& request, const CallOptions& call) {
  Touch();
  absl::MutexLock lock(&write_mu_);
  COVE_RETURN_IF_ERROR(CheckRoom(RowCount(request), RequestBytes(request)));
  return inner_->Insert(request, call);
}

absl::StatusOr<MutationResult> CapacityConnection::Upsert(
    const InsertRequest& request, const CallOptions& call) {
  Touch();
  absl::MutexLock lock(&write_mu_);
  int64_t adding = RowCount(request);
  const int64_t bytes = RequestBytes(request);
  // Rows replacing existing entities add no vectors: count them only when
  // the write would not fit otherwise. (Their bytes still count: the
  // replaced rows stay on disk until compaction.)
  if (absl::Status s = CheckRoom(adding, bytes); !s.ok()) {
    if (bytes > kMaxRequestBytes) return s;
    auto existing = CountExisting(request, call);
    if (!existing.ok()) return s;
    COVE_RETURN_IF_ERROR(CheckRoom(adding - *existing, bytes));
  }
  return inner_->Upsert(request, call);
}

absl::StatusOr<std::string> CapacityConnection::GetServerVersion(
    const CallOptions& call) {
  Touch();
  return inner_->GetServerVersion(call);
}

absl::Status CapacityConnection::CheckHealth(const CallOptions& call) {
  Touch();
  return inner_->CheckHealth(call);
}

absl::Status CapacityConnection::CreateDatabase(const std::string& name,
                                                const CallOptions& call) {
  Touch();
  return inner_->CreateDatabase(name, call);
}

absl::Status CapacityConnection::DropDatabase(const std::string& name,
                                              const CallOptions& call) {
  Touch();
  return inner_->DropDatabase(name, call);
}

absl::StatusOr<std::vector<std::string>> CapacityConnection::ListDatabases(
    const CallOptions& call) {
  Touch();
  return inner_->ListDatabases(call);
}

absl::Status CapacityConnection::CreateCollection(
    const std::string& name, const CollectionSchema& schema,
    const std::vector<IndexSpec>& indexes, const CallOptions& call) {
  Touch();
  return inner_->CreateCollection(name, schema, indexes, call);
}

absl::Status CapacityConnection::DropCollection(const std::string& name,
                                                const CallOptions& call) {
  Touch();
  return inner_->DropCollection(name, call);
}

absl::StatusOr<bool> CapacityConnection::HasCollection(
    const std::string& name, const CallOptions& call) {
  Touch();
  return inner_->HasCollection(name, call);
}

absl::StatusOr<std::vector<std::string>> CapacityConnection::ListCollections(
    const CallOptions& call) {
  Touch();
  return inner_->ListCollections(call);
}

absl::StatusOr<CollectionDescription> CapacityConnection::DescribeCollection(
    const std::string& name, const CallOptions& call) {
  Touch();
  return inner_->DescribeCollection(name, call);
}

absl::StatusOr<DatabaseDescription> CapacityConnection::DescribeDatabase(
    const std::string& name, const CallOptions& call) {
  Touch();
  return inner_->DescribeDatabase(name, call);
}

absl::Status CapacityConnection::AlterDatabaseProperties(
    const std::string& name, const std::map<std::string, std::string>& set,
    const std::vector<std::string>& remove, const CallOptions& call) {
  Touch();
  return inner_->AlterDatabaseProperties(name, set, remove, call);
}

absl::Status CapacityConnection::AlterIndexProperties(
    const std::string& collection, const std::string& index_name,
    const std::map<std::string, std::string>& set,
    const std::vector<std::string>& remove, const CallOptions& call) {
  Touch();
  return inner_->AlterIndexProperties(collection, index_name, set, remove,
                                      call);
}

absl::StatusOr<std::vector<SegmentDescription>>
CapacityConnection::ListSegments(const std::string& name,
                                 const CallOptions& call) {
  Touch();
  return inner_->ListSegments(name, call);
}

absl::Status CapacityConnection::AlterCollectionProperties(
    const std::string& name, const std::map<std::string, std::string>& set,
    const std::vector<std::string>& remove, const CallOptions& call) {
  Touch();
  return inner_->AlterCollectionProperties(name, set, remove, call);
}

absl::Status CapacityConnection::LoadCollection(const std::string& name,
                                                const LoadOptions& options,
                                                const CallOptions& call) {
  Touch();
  return inner_->LoadCollection(name, options, call);
}

absl::Status CapacityConnection::AlterCollectionField(
    const std::string& collection, const std::string& field,
    const std::map<std::string, std::string>& set, const CallOptions& call) {
  Touch();
  return inner_->AlterCollectionField(collection, field, set, call);
}

absl::Status CapacityConnection::RenameCollection(
    const std::string& old_name, const std::string& new_name,
    const std::string& new_db_name, const CallOptions& call) {
  Touch();
  return inner_->RenameCollection(old_name, new_name, new_db_name, call);
}

absl::StatusOr<CollectionStats> CapacityConnection::GetCollectionStats(
    const std::string& name, const CallOptions& call) {
  Touch();
  return inner_->GetCollectionStats(name, call);
}

absl::Status CapacityConnection::CreatePartition(const std::string& collection,
                                                 const std::string& partition,
                                                 const CallOptions& call) {
  Touch();
  return inner_->CreatePartition(collection, partition, call);
}

absl::Status CapacityConnection::DropPartition(const std::string& collection,
                                               const std::string& partition,
                                               const CallOptions& call) {
  Touch();
  return inner_->DropPartition(collection, partition, call);
}

absl::StatusOr<bool> CapacityConnection::HasPartition(
    const std::string& collection, const std::string& partition,
    const CallOptions& call) {
  Touch();
  return inner_->HasPartition(collection, partition, call);
}

absl::StatusOr<std::vector<std::string>> CapacityConnection::ListPartitions(
    const std::string& collection, const CallOptions& call) {
  Touch();
  return inner_->ListPartitions(collection, call);
}

absl::Status CapacityConnection::CreateAlias(const std::string& collection,
                                             const std::string& alias,
                                             const CallOptions& call) {
  Touch();
  return inner_->CreateAlias(collection, alias, call);
}

absl::Status CapacityConnection::DropAlias(const std::string& alias,
                                           const CallOptions& call) {
  Touch();
  return inner_->DropAlias(alias, call);
}

absl::Status CapacityConnection::AlterAlias(const std::string& collection,
                                            const std::string& alias,
                                            const CallOptions& call) {
  Touch();
  return inner_->AlterAlias(collection, alias, call);
}

absl::StatusOr<AliasDescription> CapacityConnection::DescribeAlias(
    const std::string& alias, const CallOptions& call) {
  Touch();
  return inner_->DescribeAlias(alias, call);
}

absl::StatusOr<std::vector<std::string>> CapacityConnection::ListAliases(
    const std::string& collection, const CallOptions& call) {
  Touch();
  return inner_->ListAliases(collection, call);
}

absl::Status CapacityConnection::LoadCollection(const std::string& name,
                                                const CallOptions& call) {
  Touch();
  return inner_->LoadCollection(name, call);
}

absl::Status CapacityConnection::ReleaseCollection(const std::string& name,
                                                   const CallOptions& call) {
  Touch();
  return inner_->ReleaseCollection(name, call);
}

absl::StatusOr<LoadState> CapacityConnection::GetLoadState(
    const std::string& name, const CallOptions& call) {
  Touch();
  return inner_->GetLoadState(name, call);
}

absl::Status CapacityConnection::LoadPartitions(
    const std::string& collection, const std::vector<std::string>& partitions,
    const CallOptions& call) {
  Touch();
  return inner_->LoadPartitions(collection, partitions, call);
}

absl::Status CapacityConnection::ReleasePartitions(
    const std::string& collection, const std::vector<std::string>& partitions,
    const CallOptions& call) {
  Touch();
  return inner_->ReleasePartitions(collection, partitions, call);
}

absl::StatusOr<LoadState> CapacityConnection::GetPartitionsLoadState(
    const std::string& collection, const std::vector<std::string>& partitions,
    const CallOptions& call) {
  Touch();
  return inner_->GetPartitionsLoadState(collection, partitions, call);
}

absl::StatusOr<CollectionStats> CapacityConnection::GetPartitionStats(
    const std::string& collection, const std::string& partition,
    const CallOptions& call) {
  Touch();
  return inner_->GetPartitionStats(collection, partition, call);
}

absl::Status CapacityConnection::CreateIndex(const std::string& collection,
                                             const IndexSpec& index,
                                             const CallOptions& call) {
  Touch();
  return inner_->CreateIndex(collection, index, call);
}

absl::StatusOr<std::vector<IndexDescription>>
CapacityConnection::DescribeIndexes(const std::string& collection,
                                    const CallOptions& call) {
  Touch();
  return inner_->DescribeIndexes(collection, call);
}

absl::Status CapacityConnection::DropIndex(const std::string& collection,
                                           const std::string& index_name,
                                           const CallOptions& call) {
  Touch();
  return inner_->DropIndex(collection, index_name, call);
}

absl::StatusOr<MutationResult> CapacityConnection::Delete(
    const DeleteRequest& request, const CallOptions& call) {
  Touch();
  return inner_->Delete(request, call);
}

absl::StatusOr<SearchResults> CapacityConnection::Search(
    const SearchRequest& request, const CallOptions& call) {
  Touch();
  return inner_->Search(request, call);
}

absl::StatusOr<SearchResults> CapacityConnection::HybridSearch(
    const HybridSearchRequest& request, const CallOptions& call) {
  Touch();
  return inner_->HybridSearch(request, call);
}

absl::StatusOr<std::vector<Row>> CapacityConnection::Query(
    const QueryRequest& request, const CallOptions& call) {
  Touch();
  return inner_->Query(request, call);
}

absl::Status CapacityConnection::Flush(const std::string& collection,
                                       const CallOptions& call) {
  Touch();
  return inner_->Flush(collection, call);
}

absl::Status CapacityConnection::Compact(const std::string& collection,
                                         const CallOptions& call) {
  Touch();
  return inner_->Compact(collection, call);
}

absl::StatusOr<std::string> CapacityConnection::OpenReadSession(
    const std::string& collection, const CallOptions& call) {
  Touch();
  return inner_->OpenReadSession(collection, call);
}

absl::Status CapacityConnection::CloseReadSession(const std::string& collection,
                                                  const std::string& session_id,
                                                  const CallOptions& call) {
  Touch();
  return inner_->CloseReadSession(collection, session_id, call);
}

absl::StatusOr<std::vector<Hit>> CapacityConnection::NextServerIteratorPage(
    const SearchRequest& request, ServerIteratorState* state,
    const CallOptions& call) {
  Touch();
  return inner_->NextServerIteratorPage(request, state, call);
}

absl::StatusOr<std::vector<Row>> CapacityConnection::NextServerQueryPage(
    const QueryRequest& request, uint64_t* session_ts,
    const CallOptions& call) {
  Touch();
  return inner_->NextServerQueryPage(request, session_ts, call);
}

absl::Status CapacityConnection::CreateUser(const std::string& user,
                                            const std::string& password,
                                            const CallOptions& call) {
  Touch();
  return inner_->CreateUser(user, password, call);
}

absl::Status CapacityConnection::UpdatePassword(const std::string& user,
                                                const std::string& old_password,
                                                const std::string& new_password,
                                                const CallOptions& call) {
  Touch();
  return inner_->UpdatePassword(user, old_password, new_password, call);
}

absl::Status CapacityConnection::DropUser(const std::string& user,
                                          const CallOptions& call) {
  Touch();
  return inner_->DropUser(user, call);
}

absl::StatusOr<std::vector<std::string>> CapacityConnection::ListUsers(
    const CallOptions& call) {
  Touch();
  return inner_->ListUsers(call);
}

absl::StatusOr<UserInfo> CapacityConnection::DescribeUser(
    const std::string& user, const CallOptions& call) {
  Touch();
  return inner_->DescribeUser(user, call);
}

absl::Status CapacityConnection::CreateRole(const std::string& role,
                                            const CallOptions& call) {
  Touch();
  return inner_->CreateRole(role, call);
}

absl::Status CapacityConnection::DropRole(const std::string& role,
                                          const CallOptions& call) {
  Touch();
  return inner_->DropRole(role, call);
}

absl::StatusOr<std::vector<RoleInfo>> CapacityConnection::ListRoles(
    const CallOptions& call) {
  Touch();
  return inner_->ListRoles(call);
}

absl::Status CapacityConnection::GrantRole(const std::string& user,
                                           const std::string& role,
                                           const CallOptions& call) {
  Touch();
  return inner_->GrantRole(user, role, call);
}

absl::Status CapacityConnection::RevokeRole(const std::string& user,
                                            const std::string& role,
                                            const CallOptions& call) {
  Touch();
  return inner_->RevokeRole(user, role, call);
}

absl::Status CapacityConnection::GrantPrivilege(const Grant& grant,
                                                const CallOptions& call) {
  Touch();
  return inner_->GrantPrivilege(grant, call);
}

absl::Status CapacityConnection::RevokePrivilege(const Grant& grant,
                                                 const CallOptions& call) {
  Touch();
  return inner_->RevokePrivilege(grant, call);
}

absl::StatusOr<std::vector<Grant>> CapacityConnection::ListGrants(
    const std::string& role, const CallOptions& call) {
  Touch();
  return inner_->ListGrants(role, call);
}

}  // namespace cove::hosting
