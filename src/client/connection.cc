// Default bodies of cove::Connection: Unimplemented, naming the backend.
#include "cove/connection.h"

#include "absl/strings/str_cat.h"

namespace cove {
namespace {

absl::Status Missing(const Connection& c, const char* method) {
  return absl::UnimplementedError(
      absl::StrCat(method, ": not supported by the '", c.backend_name(),
                   "' backend"));
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

}  // namespace cove
