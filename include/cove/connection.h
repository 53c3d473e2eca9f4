// cove::Connection: the interface behind cove::Client, where backends
// (embedded, remote) plug in and where users' tests put a mock.
#ifndef COVE_INCLUDE_COVE_CONNECTION_H_
#define COVE_INCLUDE_COVE_CONNECTION_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cove/options.h"
#include "cove/types.h"

namespace cove {

/// The data-plane operations of a backend.
///
/// Every method has a default body returning Unimplemented (naming the
/// backend and the method), so adding a method never breaks a user's mock or
/// a backend that does not support it yet.
///
/// Thread safety: implementations must be safe to call from many threads.
class Connection {
 public:
  virtual ~Connection() = default;

  /// "embedded", "remote", "mock", ...: used in error messages.
  virtual std::string backend_name() const { return "unknown"; }

  // Server.
  /// The server (or library) version string.
  virtual absl::StatusOr<std::string> GetServerVersion(const CallOptions& call);
  /// OK when the backend can serve requests.
  virtual absl::Status CheckHealth(const CallOptions& call);

  // Databases. CallOptions::db_name (or the client's database) selects the
  // database of every other call; "default" always exists.
  virtual absl::Status CreateDatabase(const std::string& name,
                                      const CallOptions& call);
  virtual absl::Status DropDatabase(const std::string& name,
                                    const CallOptions& call);
  virtual absl::StatusOr<std::vector<std::string>> ListDatabases(
      const CallOptions& call);
  /// A database with properties (Milvus keys and string values). The
  /// default body forwards to CreateDatabase(name, call) when `properties`
  /// is empty, and is Unimplemented otherwise.
  virtual absl::Status CreateDatabase(
      const std::string& name,
      const std::map<std::string, std::string>& properties,
      const CallOptions& call);
  /// Id, creation time and properties of a database. NotFound.
  virtual absl::StatusOr<DatabaseDescription> DescribeDatabase(
      const std::string& name, const CallOptions& call);
  /// Sets the properties in `set` and removes the keys in `remove`
  /// (removing an absent key is not an error). NotFound.
  virtual absl::Status AlterDatabaseProperties(
      const std::string& name, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove, const CallOptions& call);

  // Collections.
  virtual absl::Status CreateCollection(const std::string& name,
                                        const CollectionSchema& schema,
                                        const std::vector<IndexSpec>& indexes,
                                        const CallOptions& call);
  virtual absl::Status DropCollection(const std::string& name,
                                      const CallOptions& call);
  virtual absl::StatusOr<bool> HasCollection(const std::string& name,
                                             const CallOptions& call);
  virtual absl::StatusOr<std::vector<std::string>> ListCollections(
      const CallOptions& call);
  virtual absl::StatusOr<CollectionDescription> DescribeCollection(
      const std::string& name, const CallOptions& call);
  /// `new_db_name` empty: the collection stays in the call's database.
  virtual absl::Status RenameCollection(const std::string& old_name,
                                        const std::string& new_name,
                                        const std::string& new_db_name,
                                        const CallOptions& call);
  virtual absl::StatusOr<CollectionStats> GetCollectionStats(
      const std::string& name, const CallOptions& call);
  /// Sets the collection properties in `set` and removes the keys in
  /// `remove` (see CollectionSchema::properties); the key
  /// "consistency_level" is not a property. NotFound; InvalidArgument for a
  /// malformed value of a property Cove knows.
  /// The segments of a collection (read-only information). NotFound.
  /// Sets and removes properties of an index ("mmap.enabled": stored and
  /// reported, cove maps rows by itself). NotFound for the collection or
  /// the index; InvalidArgument for keys other than Milvus' index
  /// properties.
  virtual absl::Status AlterIndexProperties(
      const std::string& collection, const std::string& index_name,
      const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove, const CallOptions& call);
  virtual absl::StatusOr<std::vector<SegmentDescription>> ListSegments(
      const std::string& name, const CallOptions& call);
  virtual absl::Status AlterCollectionProperties(
      const std::string& name, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove, const CallOptions& call);
  /// Changes properties of one field, as Milvus' AlterCollectionField:
  /// "max_length" (VARCHAR fields and VARCHAR arrays, 1 to 65535),
  /// "max_capacity" (ARRAY fields, 1 to 4096) and "mmap.enabled" (true or
  /// false: stored and reported). New limits apply to writes from then on;
  /// rows written before keep their values (as in Milvus). Kept across
  /// restarts. NotFound for the collection or the field; InvalidArgument
  /// for the primary key, another key, a value out of range, or a property
  /// the field's type does not have.
  virtual absl::Status AlterCollectionField(
      const std::string& collection, const std::string& field,
      const std::map<std::string, std::string>& set, const CallOptions& call);

  // Partitions.
  virtual absl::Status CreatePartition(const std::string& collection,
                                       const std::string& partition,
                                       const CallOptions& call);
  virtual absl::Status DropPartition(const std::string& collection,
                                     const std::string& partition,
                                     const CallOptions& call);
  virtual absl::StatusOr<bool> HasPartition(const std::string& collection,
                                            const std::string& partition,
                                            const CallOptions& call);
  virtual absl::StatusOr<std::vector<std::string>> ListPartitions(
      const std::string& collection, const CallOptions& call);

  // Aliases.
  virtual absl::Status CreateAlias(const std::string& collection,
                                   const std::string& alias,
                                   const CallOptions& call);
  virtual absl::Status DropAlias(const std::string& alias,
                                 const CallOptions& call);
  virtual absl::Status AlterAlias(const std::string& collection,
                                  const std::string& alias,
                                  const CallOptions& call);
  virtual absl::StatusOr<AliasDescription> DescribeAlias(
      const std::string& alias, const CallOptions& call);
  virtual absl::StatusOr<std::vector<std::string>> ListAliases(
      const std::string& collection, const CallOptions& call);

  // Loading.
  virtual absl::Status LoadCollection(const std::string& name,
                                      const CallOptions& call);
  /// Loads some fields only (see LoadOptions). A loaded collection keeps its
  /// field list until released: loading it again with another list is
  /// FailedPrecondition. The default body forwards to LoadCollection(name,
  /// call) when `options` are empty, and is Unimplemented otherwise.
  virtual absl::Status LoadCollection(const std::string& name,
                                      const LoadOptions& options,
                                      const CallOptions& call);
  virtual absl::Status ReleaseCollection(const std::string& name,
                                         const CallOptions& call);
  virtual absl::StatusOr<LoadState> GetLoadState(const std::string& name,
                                                 const CallOptions& call);
  /// Partition-level loading (Milvus' LoadPartitions / ReleasePartitions):
  /// a released collection loads only the named partitions; reads then see
  /// the loaded partitions, and naming another is FailedPrecondition.
  /// Releasing every loaded partition releases the collection.
  virtual absl::Status LoadPartitions(
      const std::string& collection, const std::vector<std::string>& partitions,
      const CallOptions& call);
  virtual absl::Status ReleasePartitions(
      const std::string& collection, const std::vector<std::string>& partitions,
      const CallOptions& call);
  /// kLoaded when every named partition is loaded, else kNotLoaded
  /// (kNotExist for a missing collection).
  virtual absl::StatusOr<LoadState> GetPartitionsLoadState(
      const std::string& collection, const std::vector<std::string>& partitions,
      const CallOptions& call);
  /// {"row_count"} of one partition, loaded or not.
  virtual absl::StatusOr<CollectionStats> GetPartitionStats(
      const std::string& collection, const std::string& partition,
      const CallOptions& call);

  // Indexes.
  virtual absl::Status CreateIndex(const std::string& collection,
                                   const IndexSpec& index,
                                   const CallOptions& call);
  virtual absl::StatusOr<std::vector<IndexDescription>> DescribeIndexes(
      const std::string& collection, const CallOptions& call);
  virtual absl::Status DropIndex(const std::string& collection,
                                 const std::string& index_name,
                                 const CallOptions& call);

  // Data.
  virtual absl::StatusOr<MutationResult> Insert(const InsertRequest& request,
                                                const CallOptions& call);
  virtual absl::StatusOr<MutationResult> Upsert(const InsertRequest& request,
                                                const CallOptions& call);
  virtual absl::StatusOr<MutationResult> Delete(const DeleteRequest& request,
                                                const CallOptions& call);
  virtual absl::StatusOr<SearchResults> Search(const SearchRequest& request,
                                               const CallOptions& call);
  /// Several searches fused by a ranker (see HybridSearchRequest).
  virtual absl::StatusOr<SearchResults> HybridSearch(
      const HybridSearchRequest& request, const CallOptions& call);
  virtual absl::StatusOr<std::vector<Row>> Query(const QueryRequest& request,
                                                 const CallOptions& call);
  virtual absl::Status Flush(const std::string& collection,
                             const CallOptions& call);
  virtual absl::Status Compact(const std::string& collection,
                               const CallOptions& call);

  // Read sessions: consistent snapshots for iterators.
  /// Pins the current state of a collection (every row, tombstone and
  /// partition as of now) and returns the id of a read session. Queries and
  /// searches that name the session (QueryRequest::session_id,
  /// SearchRequest::session_id) read that state, whatever is inserted,
  /// upserted, deleted or compacted later. A session ends with
  /// CloseReadSession, or when it has not been used for the backend's idle
  /// timeout (embedded and cove-server: 10 minutes); a request naming an
  /// ended or unknown session fails with NotFound naming the session.
  /// NotFound for an unknown collection; ResourceExhausted when the backend
  /// holds its maximum of open sessions (1024); Unimplemented when the
  /// backend (or the remote server, e.g. Milvus) has no read sessions.
  virtual absl::StatusOr<std::string> OpenReadSession(
      const std::string& collection, const CallOptions& call);
  /// Ends a read session of `collection` and releases its snapshot.
  /// NotFound when the session is unknown, ended or expired.
  virtual absl::Status CloseReadSession(const std::string& collection,
                                        const std::string& session_id,
                                        const CallOptions& call);
  /// One page of the server's own search iterator (Milvus 2.5's
  /// search_iter_v2): the `request.limit` (the batch size) hits of its one
  /// query after the page `*state` ended at (the first page when its token
  /// is empty); `*state` then names this page. The server keeps what the
  /// iterator has returned, so hits at equal distances are neither lost nor
  /// repeated, and reads the collection as of the first page. Unimplemented
  /// when the backend or the server has no such iterator (the embedded
  /// backend and cove-server have read sessions; Milvus before 2.5 neither).
  virtual absl::StatusOr<std::vector<Hit>> NextServerIteratorPage(
      const SearchRequest& request, ServerIteratorState* state,
      const CallOptions& call);
  /// One page of a query iterator on a server without read sessions, as
  /// Milvus' query iterator (pymilvus') reads it: `request` is the page (its
  /// filter holds the "pk > last" cursor, its limit is the batch size),
  /// sent with "iterator": "True" so that the server returns the rows of
  /// the smallest keys. `*session_ts` is 0 for the first page and is then
  /// set from the server's reply; later pages send it as the guarantee
  /// timestamp, and the server reads the collection as of the first page
  /// (Milvus 2.4 and later, cove-server). A server that replies no
  /// timestamp leaves it 0: its pages read the current state.
  /// Unimplemented when the backend has read sessions instead (embedded).
  virtual absl::StatusOr<std::vector<Row>> NextServerQueryPage(
      const QueryRequest& request, uint64_t* session_ts,
      const CallOptions& call);

  // Users, roles and privileges (Milvus RBAC).
  virtual absl::Status CreateUser(const std::string& user,
                                  const std::string& password,
                                  const CallOptions& call);
  virtual absl::Status UpdatePassword(const std::string& user,
                                      const std::string& old_password,
                                      const std::string& new_password,
                                      const CallOptions& call);
  virtual absl::Status DropUser(const std::string& user,
                                const CallOptions& call);
  virtual absl::StatusOr<std::vector<std::string>> ListUsers(
      const CallOptions& call);
  virtual absl::StatusOr<UserInfo> DescribeUser(const std::string& user,
                                                const CallOptions& call);
  virtual absl::Status CreateRole(const std::string& role,
                                  const CallOptions& call);
  virtual absl::Status DropRole(const std::string& role,
                                const CallOptions& call);
  virtual absl::StatusOr<std::vector<RoleInfo>> ListRoles(
      const CallOptions& call);
  virtual absl::Status GrantRole(const std::string& user,
                                 const std::string& role,
                                 const CallOptions& call);
  virtual absl::Status RevokeRole(const std::string& user,
                                  const std::string& role,
                                  const CallOptions& call);
  virtual absl::Status GrantPrivilege(const Grant& grant,
                                      const CallOptions& call);
  virtual absl::Status RevokePrivilege(const Grant& grant,
                                       const CallOptions& call);
  virtual absl::StatusOr<std::vector<Grant>> ListGrants(
      const std::string& role, const CallOptions& call);
};

}  // namespace cove

#endif  // COVE_INCLUDE_COVE_CONNECTION_H_
