// Default bodies of cove::Connection: Unimplemented, naming the backend.
#include "cove/connection.h"

#include "absl/strings/str_cat.h"

namespace cove {
namespace {

absl::Status Missing(const Connection& c, const char* method) {
  return absl::UnimplementedError(absl::StrCat(
      method, ": not supported by the '", c.backend_name(), "' backend"));
}

}  // namespace

absl::Status Connection::CreateCollection(const std::string&,
                                          const CollectionSchema&,
                                          const std::vector<IndexSpec>&,
                                          const CallOptions&) {
  return Missing(*this, "CreateCollection");
}
absl::Status Connection::DropCollection(const std::string&,
                                        const CallOptions&) {
  return Missing(*this, "DropCollection");
}
absl::StatusOr<bool> Connection::HasCollection(const std::string&,
                                               const CallOptions&) {
  return Missing(*this, "HasCollection");
}
absl::StatusOr<std::vector<std::string>> Connection::ListCollections(
    const CallOptions&) {
  return Missing(*this, "ListCollections");
}
absl::StatusOr<CollectionDescription> Connection::DescribeCollection(
    const std::string&, const CallOptions&) {
  return Missing(*this, "DescribeCollection");
}
absl::Status Connection::RenameCollection(const std::string&,
                                          const std::string&,
                                          const std::string&,
                                          const CallOptions&) {
  return Missing(*this, "RenameCollection");
}
absl::StatusOr<CollectionStats> Connection::GetCollectionStats(
    const std::string&, const CallOptions&) {
  return Missing(*this, "GetCollectionStats");
}
absl::Status Connection::LoadCollection(const std::string&,
                                        const CallOptions&) {
  return Missing(*this, "LoadCollection");
}
absl::Status Connection::ReleaseCollection(const std::string&,
                                           const CallOptions&) {
  return Missing(*this, "ReleaseCollection");
}
absl::StatusOr<LoadState> Connection::GetLoadState(const std::string&,
                                                   const CallOptions&) {
  return Missing(*this, "GetLoadState");
}
absl::Status Connection::LoadPartitions(const std::string&,
                                        const std::vector<std::string>&,
                                        const CallOptions&) {
  return Missing(*this, "LoadPartitions");
}
absl::Status Connection::ReleasePartitions(const std::string&,
                                           const std::vector<std::string>&,
                                           const CallOptions&) {
  return Missing(*this, "ReleasePartitions");
}
absl::StatusOr<LoadState> Connection::GetPartitionsLoadState(
    const std::string&, const std::vector<std::string>&, const CallOptions&) {
  return Missing(*this, "GetPartitionsLoadState");
}
absl::StatusOr<CollectionStats> Connection::GetPartitionStats(
    const std::string&, const std::string&, const CallOptions&) {
  return Missing(*this, "GetPartitionStats");
}
absl::Status Connection::CreateIndex(const std::string&, const IndexSpec&,
                                     const CallOptions&) {
  return Missing(*this, "CreateIndex");
}
absl::StatusOr<std::vector<IndexDescription>> Connection::DescribeIndexes(
    const std::string&, const CallOptions&) {
  return Missing(*this, "DescribeIndexes");
}
absl::Status Connection::DropIndex(const std::string&, const std::string&,
                                   const CallOptions&) {
  return Missing(*this, "DropIndex");
}
absl::StatusOr<MutationResult> Connection::Insert(const InsertRequest&,
                                                  const CallOptions&) {
  return Missing(*this, "Insert");
}
absl::StatusOr<MutationResult> Connection::Upsert(const InsertRequest&,
                                                  const CallOptions&) {
  return Missing(*this, "Upsert");
}
absl::StatusOr<MutationResult> Connection::Delete(const DeleteRequest&,
                                                  const CallOptions&) {
  return Missing(*this, "Delete");
}
absl::StatusOr<SearchResults> Connection::HybridSearch(
    const HybridSearchRequest&, const CallOptions&) {
  return Missing(*this, "HybridSearch");
}
absl::StatusOr<SearchResults> Connection::Search(const SearchRequest&,
                                                 const CallOptions&) {
  return Missing(*this, "Search");
}
absl::StatusOr<std::vector<Row>> Connection::Query(const QueryRequest&,
                                                   const CallOptions&) {
  return Missing(*this, "Query");
}
absl::Status Connection::Flush(const std::string&, const CallOptions&) {
  return Missing(*this, "Flush");
}
absl::Status Connection::Compact(const std::string&, const CallOptions&) {
  return Missing(*this, "Compact");
}
absl::StatusOr<std::string> Connection::OpenReadSession(const std::string&,
                                                        const CallOptions&) {
  return Missing(*this, "OpenReadSession");
}
absl::StatusOr<std::vector<Hit>> Connection::NextServerIteratorPage(
    const SearchRequest&, ServerIteratorState*, const CallOptions&) {
  return Missing(*this, "NextServerIteratorPage");
}
absl::StatusOr<std::vector<Row>> Connection::NextServerQueryPage(
    const QueryRequest&, uint64_t*, const CallOptions&) {
  return Missing(*this, "NextServerQueryPage");
}
absl::Status Connection::CloseReadSession(const std::string&,
                                          const std::string&,
                                          const CallOptions&) {
  return Missing(*this, "CloseReadSession");
}

absl::StatusOr<std::string> Connection::GetServerVersion(const CallOptions&) {
  return Missing(*this, "GetServerVersion");
}
absl::Status Connection::CheckHealth(const CallOptions&) {
  return Missing(*this, "CheckHealth");
}
absl::Status Connection::CreateDatabase(const std::string&,
                                        const CallOptions&) {
  return Missing(*this, "CreateDatabase");
}
absl::Status Connection::DropDatabase(const std::string&, const CallOptions&) {
  return Missing(*this, "DropDatabase");
}
absl::Status Connection::CreateDatabase(
    const std::string& name,
    const std::map<std::string, std::string>& properties,
    const CallOptions& call) {
  if (properties.empty()) return CreateDatabase(name, call);
  return Missing(*this, "CreateDatabase with properties");
}
absl::StatusOr<DatabaseDescription> Connection::DescribeDatabase(
    const std::string&, const CallOptions&) {
  return Missing(*this, "DescribeDatabase");
}
absl::Status Connection::AlterDatabaseProperties(
    const std::string&, const std::map<std::string, std::string>&,
    const std::vector<std::string>&, const CallOptions&) {
  return Missing(*this, "AlterDatabaseProperties");
}
absl::Status Connection::AlterIndexProperties(
    const std::string&, const std::string&,
    const std::map<std::string, std::string>&, const std::vector<std::string>&,
    const CallOptions&) {
  return Missing(*this, "AlterIndexProperties");
}
absl::StatusOr<std::vector<SegmentDescription>> Connection::ListSegments(
    const std::string&, const CallOptions&) {
  return Missing(*this, "ListSegments");
}
absl::Status Connection::AlterCollectionProperties(
    const std::string&, const std::map<std::string, std::string>&,
    const std::vector<std::string>&, const CallOptions&) {
  return Missing(*this, "AlterCollectionProperties");
}
absl::Status Connection::LoadCollection(const std::string& name,
                                        const LoadOptions& options,
                                        const CallOptions& call) {
  if (options.load_fields.empty() && !options.skip_load_dynamic_field) {
    return LoadCollection(name, call);
  }
  return Missing(*this, "LoadCollection (load_fields)");
}
absl::Status Connection::AlterCollectionField(
    const std::string&, const std::string&,
    const std::map<std::string, std::string>&, const CallOptions&) {
  return Missing(*this, "AlterCollectionField");
}
absl::StatusOr<std::vector<std::string>> Connection::ListDatabases(
    const CallOptions&) {
  return Missing(*this, "ListDatabases");
}
absl::Status Connection::CreatePartition(const std::string&, const std::string&,
                                         const CallOptions&) {
  return Missing(*this, "CreatePartition");
}
absl::Status Connection::DropPartition(const std::string&, const std::string&,
                                       const CallOptions&) {
  return Missing(*this, "DropPartition");
}
absl::StatusOr<bool> Connection::HasPartition(const std::string&,
                                              const std::string&,
                                              const CallOptions&) {
  return Missing(*this, "HasPartition");
}
absl::StatusOr<std::vector<std::string>> Connection::ListPartitions(
    const std::string&, const CallOptions&) {
  return Missing(*this, "ListPartitions");
}
absl::Status Connection::CreateAlias(const std::string&, const std::string&,
                                     const CallOptions&) {
  return Missing(*this, "CreateAlias");
}
absl::Status Connection::DropAlias(const std::string&, const CallOptions&) {
  return Missing(*this, "DropAlias");
}
absl::Status Connection::AlterAlias(const std::string&, const std::string&,
                                    const CallOptions&) {
  return Missing(*this, "AlterAlias");
}
absl::StatusOr<AliasDescription> Connection::DescribeAlias(const std::string&,
                                                           const CallOptions&) {
  return Missing(*this, "DescribeAlias");
}
absl::StatusOr<std::vector<std::string>> Connection::ListAliases(
    const std::string&, const CallOptions&) {
  return Missing(*this, "ListAliases");
}
absl::Status Connection::CreateUser(const std::string&, const std::string&,
                                    const CallOptions&) {
  return Missing(*this, "CreateUser");
}
absl::Status Connection::UpdatePassword(const std::string&, const std::string&,
                                        const std::string&,
                                        const CallOptions&) {
  return Missing(*this, "UpdatePassword");
}
absl::Status Connection::DropUser(const std::string&, const CallOptions&) {
  return Missing(*this, "DropUser");
}
absl::StatusOr<std::vector<std::string>> Connection::ListUsers(
    const CallOptions&) {
  return Missing(*this, "ListUsers");
}
absl::StatusOr<UserInfo> Connection::DescribeUser(const std::string&,
                                                  const CallOptions&) {
  return Missing(*this, "DescribeUser");
}
absl::Status Connection::CreateRole(const std::string&, const CallOptions&) {
  return Missing(*this, "CreateRole");
}
absl::Status Connection::DropRole(const std::string&, const CallOptions&) {
  return Missing(*this, "DropRole");
}
absl::StatusOr<std::vector<RoleInfo>> Connection::ListRoles(
    const CallOptions&) {
  return Missing(*this, "ListRoles");
}
absl::Status Connection::GrantRole(const std::string&, const std::string&,
                                   const CallOptions&) {
  return Missing(*this, "GrantRole");
}
absl::Status Connection::RevokeRole(const std::string&, const std::string&,
                                    const CallOptions&) {
  return Missing(*this, "RevokeRole");
}
absl::Status Connection::GrantPrivilege(const Grant&, const CallOptions&) {
  return Missing(*this, "GrantPrivilege");
}
absl::Status Connection::RevokePrivilege(const Grant&, const CallOptions&) {
  return Missing(*this, "RevokePrivilege");
}
absl::StatusOr<std::vector<Grant>> Connection::ListGrants(const std::string&,
                                                          const CallOptions&) {
  return Missing(*this, "ListGrants");
}

}  // namespace cove
