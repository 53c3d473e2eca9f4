// cove::Client: the data-plane client. One type for every backend; the URI
// picks the backend, as in pymilvus:
//   - a filesystem path, or ":memory:", opens the embedded engine in-process;
//   - "http://host:port" or "https://host:port" opens the remote backend
//     (Milvus v2 gRPC).
#ifndef COVE_INCLUDE_COVE_CLIENT_H_
#define COVE_INCLUDE_COVE_CLIENT_H_

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cove/connection.h"
#include "cove/options.h"
#include "cove/types.h"

namespace cove {

namespace internal {
class Executor;
}  // namespace internal

class Client;

namespace internal {
// Owns an iterator's read session; closes it when the last copy goes.
class ReadSessionHandle;
}  // namespace internal

/// Pages through every row that matches a query, in primary-key order.
///
/// The iterator reads a consistent snapshot: at creation it opens a read
/// session (Connection::OpenReadSession) that pins the collection as it is
/// then, and every page reads that snapshot. Rows inserted, upserted or
/// deleted after creation do not change what it returns: a row deleted
/// later is still returned, a row inserted later is not, and no row is
/// returned twice or skipped. Each Next() queries the snapshot for the rows
/// after the last key returned.
///
/// The session ends when the last copy of the iterator is destroyed, on
/// Close(), or after the backend's idle timeout (10 minutes on the embedded
/// backend and cove-server); Next() on an expired session fails with
/// NotFound naming the session. On a server without read sessions (Milvus),
/// the pages are those of Milvus' own query iterator, as pymilvus reads
/// them (Connection::NextServerQueryPage): the first page is read at
/// creation, and the next ones send its session timestamp back, so that
/// the server reads the collection as of the first page (pinned() true).
/// On a backend with neither (a mock, a server that replies no timestamp)
/// the iterator reads the current state on every page instead: no row is
/// returned twice and none that exists for the whole iteration is skipped,
/// but concurrent writes show (pinned() is false).
///
/// Not thread-safe: use one iterator from one thread at a time (the client
/// may be shared).
class QueryIterator {
 public:
  /// The next page (at most batch_size rows); an empty page when done.
  absl::StatusOr<std::vector<Row>> Next();
  /// True once a page came back short (or empty), or after Close().
  bool done() const { return done_; }
  /// True when the iterator reads a pinned snapshot (a read session, or the
  /// server's own query iterator with its session timestamp).
  bool pinned() const {
    return session_ != nullptr || (server_ts_.has_value() && *server_ts_ != 0);
  }
  /// True when the pages come from the server's own query iterator.
  bool server_iterator() const { return server_ts_.has_value(); }
  /// Ends the iteration and its read session now (a network call on the
  /// remote backend). Returns the error of closing the session, e.g.
  /// NotFound when it had expired; later Next() calls return empty pages.
  absl::Status Close();

 private:
  friend class Client;
  QueryIterator(std::shared_ptr<Connection> connection, QueryRequest request,
                std::string pk_field, int64_t batch_size, CallOptions call)
      : connection_(std::move(connection)),
        request_(std::move(request)),
        pk_field_(std::move(pk_field)),
        batch_size_(batch_size),
        call_(std::move(call)) {}

  // The request of the next page: the batch (or what the limit leaves),
  // after the last key, with the primary key among the output fields.
  QueryRequest NextPageRequest() const;
  // Takes a page in: where it ended, whether it was the last.
  absl::Status Advance(const std::vector<Row>& rows, int64_t asked);

  std::shared_ptr<Connection> connection_;
  QueryRequest request_;
  std::string pk_field_;
  int64_t batch_size_;
  CallOptions call_;
  std::shared_ptr<internal::ReadSessionHandle> session_;
  std::optional<Value> last_key_;
  int64_t remaining_ = -1;  // request limit left, -1 = unlimited
  bool done_ = false;
  // The server's own query iterator (when it has no read sessions): the
  // first page's session timestamp, and that page, read at creation.
  std::optional<uint64_t> server_ts_;
  std::optional<std::vector<Row>> first_page_;
};

/// Pages through the hits of one query vector, closest first, beyond the
/// 16,384 that one search may return.
///
/// Like QueryIterator, it reads the snapshot pinned at creation by a read
/// session, and the pages together are exactly the rows of that snapshot
/// that pass the filter (and partitions), in distance order with equal
/// distances ordered by primary key: none dropped, none repeated, whatever
/// the index type. Each Next() is an exact scan of the snapshot (the index,
/// HNSW or IVF, is not used) for the hits after the last one returned: it
/// costs O(rows x dim) per page, like a FLAT search. On a server without
/// read sessions but with its own search iterator (Milvus 2.5's
/// search_iter_v2, Connection::NextServerIteratorPage), the pages are that
/// iterator's, as pymilvus reads them: the server keeps the order and reads
/// the collection as of the first page (pinned() true), with its own index
/// walk. On a server with neither (pinned() false) each page is a range
/// search that starts at the last distance: on approximate indexes it may
/// then skip rows the index walk missed. Not thread-safe (see
/// QueryIterator).
class SearchIterator {
 public:
  /// The next page of hits (at most batch_size); an empty page when done.
  absl::StatusOr<std::vector<Hit>> Next();
  bool done() const { return done_; }
  /// True when the iterator reads a pinned snapshot (a read session, or the
  /// server's own iterator).
  bool pinned() const { return session_ != nullptr || server_.has_value(); }
  /// True when the pages come from the server's own search iterator.
  bool server_iterator() const { return server_.has_value(); }
  /// Ends the iteration and its read session now (see QueryIterator).
  absl::Status Close();

 private:
  friend class Client;
  SearchIterator(std::shared_ptr<Connection> connection, SearchRequest request,
                 std::string pk_field, bool larger_is_closer,
                 int64_t batch_size, CallOptions call)
      : connection_(std::move(connection)),
        request_(std::move(request)),
        pk_field_(std::move(pk_field)),
        larger_is_closer_(larger_is_closer),
        batch_size_(batch_size),
        call_(std::move(call)) {}

  absl::StatusOr<std::vector<Hit>> NextUnpinned(SearchRequest page);
  absl::StatusOr<std::vector<Hit>> NextOnServer();

  std::shared_ptr<Connection> connection_;
  SearchRequest request_;
  std::string pk_field_;
  bool larger_is_closer_;
  int64_t batch_size_;
  CallOptions call_;
  std::shared_ptr<internal::ReadSessionHandle> session_;
  std::optional<SearchCursor> last_;
  // Unpinned only: hits already returned within a rounding band of the last
  // distance.
  std::vector<std::pair<float, Value>> near_last_;
  // The server's own iterator (when it has no read sessions): its state,
  // and the first page, read when the iterator was made.
  std::optional<ServerIteratorState> server_;
  std::optional<std::vector<Hit>> first_page_;
  int64_t remaining_ = -1;
  bool done_ = false;
};

/// The data-plane client: a thin, copyable handle over a shared Connection.
///
/// Thread safety: a Client (and its copies) may be used from many threads at
/// once.
///
/// Errors: every call returns absl::Status or absl::StatusOr, with the most
/// specific code: InvalidArgument (bad input, naming the field), NotFound,
/// AlreadyExists, FailedPrecondition (e.g. not loaded), Unimplemented (the
/// backend lacks the feature), Unavailable (retry), DeadlineExceeded, ...
class Client {
 public:
  /// Opens a client for `uri`. InvalidArgument for a malformed URI or
  /// options; errors of the backend (e.g. FailedPrecondition when another
  /// process holds the data directory).
  static absl::StatusOr<Client> Open(const std::string& uri,
                                     ClientOptions options = {});

  /// Wraps an existing connection (a mock in tests, or a custom backend).
  explicit Client(std::shared_ptr<Connection> connection);

  /// The connection under this client.
  const std::shared_ptr<Connection>& connection() const { return connection_; }

  /// Version of the server (remote) or of the library (embedded).
  absl::StatusOr<std::string> GetServerVersion(const CallOptions& call = {});
  /// OK when the backend can serve requests.
  absl::Status CheckHealth(const CallOptions& call = {});

  /// Databases. The "default" database always exists; select a database for
  /// a call with CallOptions::db_name (or RemoteOptions::db_name).
  absl::Status CreateDatabase(const std::string& name,
                              const CallOptions& call = {});
  absl::Status DropDatabase(const std::string& name,
                            const CallOptions& call = {});
  absl::StatusOr<std::vector<std::string>> ListDatabases(
      const CallOptions& call = {});

  /// Creates a collection with an "id" INT64 primary key and a "vector"
  /// FLOAT_VECTOR field of `dim` dimensions, dynamic fields enabled, indexed
  /// with AUTOINDEX and loaded. AlreadyExists when the name is taken.
  absl::Status CreateCollection(const std::string& name, int64_t dim,
                                const QuickCollectionOptions& quick = {},
                                const CallOptions& call = {});
  /// Creates a collection from a schema, with optional indexes (a collection
  /// that has an index on every vector field is loaded at once).
  absl::Status CreateCollection(const std::string& name,
                                const CollectionSchema& schema,
                                const std::vector<IndexSpec>& indexes = {},
                                const CallOptions& call = {});
  /// Drops a collection. As in Milvus, dropping a collection, partition,
  /// alias, index or database that does not exist succeeds.
  absl::Status DropCollection(const std::string& name,
                              const CallOptions& call = {});
  absl::StatusOr<bool> HasCollection(const std::string& name,
                                     const CallOptions& call = {});
  absl::StatusOr<std::vector<std::string>> ListCollections(
      const CallOptions& call = {});
  absl::StatusOr<CollectionDescription> DescribeCollection(
      const std::string& name, const CallOptions& call = {});
  absl::Status RenameCollection(const std::string& old_name,
                                const std::string& new_name,
                                const CallOptions& call = {});
  /// Renames a collection and moves it into the database `new_db_name`
  /// (empty: the call's own database), as Milvus' RenameCollection with
  /// `new_db_name`: the target database must exist, the collection may not
  /// have aliases when it changes database (FailedPrecondition), and
  /// `new_name` may not be a collection or alias there (AlreadyExists).
  absl::Status RenameCollection(const std::string& old_name,
                                const std::string& new_name,
                                const std::string& new_db_name,
                                const CallOptions& call = {});
  absl::StatusOr<CollectionStats> GetCollectionStats(
      const std::string& name, const CallOptions& call = {});

  /// Partitions: every collection has "_default".
  absl::Status CreatePartition(const std::string& collection,
                               const std::string& partition,
                               const CallOptions& call = {});
  absl::Status DropPartition(const std::string& collection,
                             const std::string& partition,
                             const CallOptions& call = {});
  absl::StatusOr<bool> HasPartition(const std::string& collection,
                                    const std::string& partition,
                                    const CallOptions& call = {});
  absl::StatusOr<std::vector<std::string>> ListPartitions(
      const std::string& collection, const CallOptions& call = {});

  /// Aliases: another name for a collection, usable wherever a collection
  /// name is.
  absl::Status CreateAlias(const std::string& collection,
                           const std::string& alias,
                           const CallOptions& call = {});
  absl::Status DropAlias(const std::string& alias,
                         const CallOptions& call = {});
  absl::Status AlterAlias(const std::string& collection,
                          const std::string& alias,
                          const CallOptions& call = {});
  absl::StatusOr<AliasDescription> DescribeAlias(const std::string& alias,
                                                 const CallOptions& call = {});
  absl::StatusOr<std::vector<std::string>> ListAliases(
      const std::string& collection, const CallOptions& call = {});

  absl::Status LoadCollection(const std::string& name,
                              const CallOptions& call = {});
  /// Partial load (Milvus' load_fields): see LoadOptions.
  absl::Status LoadCollection(const std::string& name,
                              const LoadOptions& options,
                              const CallOptions& call = {});
  absl::Status ReleaseCollection(const std::string& name,
                                 const CallOptions& call = {});
  absl::StatusOr<LoadState> GetLoadState(const std::string& name,
                                         const CallOptions& call = {});
  /// Partition-level loading: see Connection::LoadPartitions.
  absl::Status LoadPartitions(const std::string& collection,
                              const std::vector<std::string>& partitions,
                              const CallOptions& call = {});
  absl::Status ReleasePartitions(const std::string& collection,
                                 const std::vector<std::string>& partitions,
                                 const CallOptions& call = {});
  /// kLoaded when every named partition is loaded.
  absl::StatusOr<LoadState> GetLoadState(
      const std::string& collection, const std::vector<std::string>& partitions,
      const CallOptions& call = {});
  absl::StatusOr<CollectionStats> GetPartitionStats(
      const std::string& collection, const std::string& partition,
      const CallOptions& call = {});

  absl::Status CreateIndex(const std::string& collection,
                           const IndexSpec& index,
                           const CallOptions& call = {});
  absl::StatusOr<std::vector<IndexDescription>> DescribeIndexes(
      const std::string& collection, const CallOptions& call = {});
  absl::Status DropIndex(const std::string& collection,
                         const std::string& index_name,
                         const CallOptions& call = {});

  /// Inserts rows. A row maps field names to values; with dynamic fields
  /// enabled, unknown keys are kept in "$meta". Returns the primary keys.
  absl::StatusOr<MutationResult> Insert(const std::string& collection,
                                        std::vector<Row> rows,
                                        const CallOptions& call = {});
  /// Inserts rows or columns.
  absl::StatusOr<MutationResult> Insert(const InsertRequest& request,
                                        const CallOptions& call = {});
  /// Inserts, or replaces rows whose primary key exists.
  absl::StatusOr<MutationResult> Upsert(const std::string& collection,
                                        std::vector<Row> rows,
                                        const CallOptions& call = {});
  absl::StatusOr<MutationResult> Upsert(const InsertRequest& request,
                                        const CallOptions& call = {});
  /// Deletes by primary keys.
  absl::StatusOr<MutationResult> Delete(const std::string& collection,
                                        std::vector<Value> ids,
                                        const CallOptions& call = {});
  /// Deletes by ids or filter.
  absl::StatusOr<MutationResult> Delete(const DeleteRequest& request,
                                        const CallOptions& call = {});

  /// Searches `vectors` (row-major, each `dim` floats), returning up to
  /// request.limit hits per query, closest first.
  absl::StatusOr<SearchResults> Search(const SearchRequest& request,
                                       const CallOptions& call = {});
  /// Several searches (dense, sparse, full-text) fused by RRF or weighted
  /// ranking (HybridSearchRequest).
  absl::StatusOr<SearchResults> HybridSearch(const HybridSearchRequest& request,
                                             const CallOptions& call = {});
  /// Rows matching a filter.
  absl::StatusOr<std::vector<Row>> Query(const QueryRequest& request,
                                         const CallOptions& call = {});
  /// Rows by primary key (missing keys are skipped).
  absl::StatusOr<std::vector<Row>> Get(
      const std::string& collection, std::vector<Value> ids,
      std::vector<std::string> output_fields = {},
      const CallOptions& call = {});
  /// Makes all writes durable (writes are visible before Flush). Embedded:
  /// waits for the collection's background index builds, then writes a
  /// checkpoint.
  absl::Status Flush(const std::string& collection,
                     const CallOptions& call = {});
  /// Reclaims deleted rows now and waits: segments with deleted rows are
  /// rewritten without them and small segments merged. Results of reads do
  /// not change. NotFound for an unknown collection; Unimplemented on
  /// backends without it.
  absl::Status Compact(const std::string& collection,
                       const CallOptions& call = {});

  /// Users, roles and privileges (Milvus RBAC), enforced by servers.
  absl::Status CreateUser(const std::string& user, const std::string& password,
                          const CallOptions& call = {});
  absl::Status UpdatePassword(const std::string& user,
                              const std::string& old_password,
                              const std::string& new_password,
                              const CallOptions& call = {});
  absl::Status DropUser(const std::string& user, const CallOptions& call = {});
  absl::StatusOr<std::vector<std::string>> ListUsers(
      const CallOptions& call = {});
  absl::StatusOr<UserInfo> DescribeUser(const std::string& user,
                                        const CallOptions& call = {});
  absl::Status CreateRole(const std::string& role,
                          const CallOptions& call = {});
  absl::Status DropRole(const std::string& role, const CallOptions& call = {});
  absl::StatusOr<std::vector<RoleInfo>> ListRoles(const CallOptions& call = {});
  absl::Status GrantRole(const std::string& user, const std::string& role,
                         const CallOptions& call = {});
  absl::Status RevokeRole(const std::string& user, const std::string& role,
                          const CallOptions& call = {});
  absl::Status GrantPrivilege(const Grant& grant, const CallOptions& call = {});
  absl::Status RevokePrivilege(const Grant& grant,
                               const CallOptions& call = {});
  absl::StatusOr<std::vector<Grant>> ListGrants(const std::string& role,
                                                const CallOptions& call = {});

  /// An iterator over every row matching `request` (its filter, partitions
  /// and output fields; its limit, if any, caps the total), in pages of
  /// batch_size (1 to 16,384) rows, over a snapshot pinned now (see
  /// QueryIterator). InvalidArgument for a bad batch size or a request with
  /// ids or a session_id; NotFound for an unknown collection;
  /// ResourceExhausted when the backend holds too many open sessions.
  absl::StatusOr<QueryIterator> NewQueryIterator(QueryRequest request,
                                                 int64_t batch_size = 1000,
                                                 const CallOptions& call = {});
  /// An iterator over the hits of request's single query vector (its
  /// filter, partitions, output fields and search params; request.limit is
  /// ignored), over a snapshot pinned now (see SearchIterator). `limit` caps
  /// the total number of hits; -1 means all. Errors as NewQueryIterator.
  absl::StatusOr<SearchIterator> NewSearchIterator(
      SearchRequest request, int64_t batch_size = 1000, int64_t limit = -1,
      const CallOptions& call = {});

  /// Asynchronous forms: each returns at once; the call runs on a pool of
  /// worker threads shared by the copies of this client (started on first
  /// use; COVE_ASYNC_THREADS or 16 threads), so many requests can be in
  /// flight on one client. The request is copied; the future (or the
  /// callback, on a worker thread) receives the same result the blocking
  /// call would. Destroying the last copy of the client waits for the calls
  /// still pending.
  std::future<absl::StatusOr<SearchResults>> SearchAsync(SearchRequest request,
                                                         CallOptions call = {});
  std::future<absl::StatusOr<std::vector<Row>>> QueryAsync(
      QueryRequest request, CallOptions call = {});
  std::future<absl::StatusOr<std::vector<Row>>> GetAsync(
      std::string collection, std::vector<Value> ids,
      std::vector<std::string> output_fields = {}, CallOptions call = {});
  std::future<absl::StatusOr<MutationResult>> InsertAsync(
      InsertRequest request, CallOptions call = {});
  std::future<absl::StatusOr<MutationResult>> UpsertAsync(
      InsertRequest request, CallOptions call = {});
  std::future<absl::StatusOr<MutationResult>> DeleteAsync(
      DeleteRequest request, CallOptions call = {});
  /// Callback forms of the same calls.
  void SearchAsync(SearchRequest request,
                   std::function<void(absl::StatusOr<SearchResults>)> done,
                   CallOptions call = {});
  void QueryAsync(QueryRequest request,
                  std::function<void(absl::StatusOr<std::vector<Row>>)> done,
                  CallOptions call = {});
  void InsertAsync(InsertRequest request,
                   std::function<void(absl::StatusOr<MutationResult>)> done,
                   CallOptions call = {});

 private:
  // State shared by the copies of a client: the worker pool, started on the
  // first asynchronous call.
  struct Shared;

  internal::Executor& executor() const;
  template <typename T, typename F>
  std::future<T> RunAsync(F fn) const;

  std::shared_ptr<Connection> connection_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace cove

#endif  // COVE_INCLUDE_COVE_CLIENT_H_
