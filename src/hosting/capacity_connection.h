// A Connection decorator that enforces a cluster's capacity: inserts and
// upserts that would make the data plane hold more entities (each has one
// vector) than capacity_vectors, or more bytes of storage than
// capacity_bytes (its data directory on disk plus the request's bytes:
// scalars, strings, JSON and dynamic fields, vectors), fail with
// ResourceExhausted naming the limit; so does a single request over
// kMaxRequestBytes. The capacities can change while serving (scaling up
// lifts the limits at once).
#ifndef COVE_SRC_HOSTING_CAPACITY_CONNECTION_H_
#define COVE_SRC_HOSTING_CAPACITY_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cove/connection.h"

namespace cove::hosting {

/// Thread safety: as the wrapped connection; writes that add entities are
/// serialized so that the count checked is exact.
class CapacityConnection : public Connection {
 public:
  /// The largest insert or upsert request, in bytes (its values as
  /// RequestBytes counts them): 64 MiB.
  static constexpr int64_t kMaxRequestBytes = int64_t{64} << 20;

  /// `storage_bytes` measures what the data plane holds (its data
  /// directory); without it, or with capacity_bytes 0, bytes are not
  /// limited.
  CapacityConnection(std::shared_ptr<Connection> inner, int64_t capacity,
                     int64_t capacity_bytes = 0,
                     std::function<int64_t()> storage_bytes = nullptr)
      : inner_(std::move(inner)),
        capacity_(capacity),
        capacity_bytes_(capacity_bytes),
        storage_bytes_(std::move(storage_bytes)) {}

  void set_capacity(int64_t capacity) { capacity_.store(capacity); }
  int64_t capacity() const { return capacity_.load(); }
  void set_capacity_bytes(int64_t bytes) { capacity_bytes_.store(bytes); }
  int64_t capacity_bytes() const { return capacity_bytes_.load(); }
  /// Called at the start of every call (auto-idle: the host records the
  /// time of the last data-plane request); it must not block. Set before
  /// the connection serves.
  void set_on_activity(std::function<void()> f) { on_activity_ = std::move(f); }

  /// Bytes of storage held now (0 without a measure).
  int64_t StorageBytes() const { return storage_bytes_ ? storage_bytes_() : 0; }

  /// The bytes of the values of an insert or upsert request: 8 per number,
  /// 1 per bool or null, the length of strings and of JSON keys, 4 per
  /// vector element, recursively for arrays and objects.
  static int64_t RequestBytes(const InsertRequest& request);

  /// Entities held, over every database and collection.
  absl::StatusOr<int64_t> CountEntities();

  std::string backend_name() const override { return inner_->backend_name(); }
  absl::StatusOr<std::string> GetServerVersion(
      const CallOptions& call) override;
  absl::Status CheckHealth(const CallOptions& call) override;
  absl::Status CreateDatabase(const std::string& name,
                              const CallOptions& call) override;
  absl::Status DropDatabase(const std::string& name,
                            const CallOptions& call) override;
  absl::StatusOr<std::vector<std::string>> ListDatabases(
      const CallOptions& call) override;
  absl::Status CreateCollection(const std::string& name,
                                const CollectionSchema& schema,
                                const std::vector<IndexSpec>& indexes,
                                const CallOptions& call) override;
  absl::Status DropCollection(const std::string& name,
                              const CallOptions& call) override;
  absl::StatusOr<bool> HasCollection(const std::string& name,
                                     const CallOptions& call) override;
  absl::StatusOr<std::vector<std::string>> ListCollections(
      const CallOptions& call) override;
  absl::StatusOr<CollectionDescription> DescribeCollection(
      const std::string& name, const CallOptions& call) override;
  absl::StatusOr<DatabaseDescription> DescribeDatabase(
      const std::string& name, const CallOptions& call) override;
  absl::Status AlterDatabaseProperties(
      const std::string& name, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove, const CallOptions& call) override;
  absl::Status AlterIndexProperties(
      const std::string& collection, const std::string& index_name,
      const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove, const CallOptions& call) override;
  absl::StatusOr<std::vector<SegmentDescription>> ListSegments(
      const std::string& name, const CallOptions& call) override;
  absl::Status AlterCollectionProperties(
      const std::string& name, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove, const CallOptions& call) override;
  absl::Status AlterCollectionField(
      const std::string& collection, const std::string& field,
      const std::map<std::string, std::string>& set,
      const CallOptions& call) override;
  absl::Status RenameCollection(const std::string& old_name,
                                const std::string& new_name,
                                const std::string& new_db_name,
                                const CallOptions& call) override;
  absl::StatusOr<CollectionStats> GetCollectionStats(
      const std::string& name, const CallOptions& call) override;
  absl::Status CreatePartition(const std::string& collection,
                               const std::string& partition,
                               const CallOptions& call) override;
  absl::Status DropPartition(const std::string& collection,
                             const std::string& partition,
                             const CallOptions& call) override;
  absl::StatusOr<bool> HasPartition(const std::string& collection,
                                    const std::string& partition,
                                    const CallOptions& call) override;
  absl::StatusOr<std::vector<std::string>> ListPartitions(
      const std::string& collection, const CallOptions& call) override;
  absl::Status CreateAlias(const std::string& collection,
                           const std::string& alias,
                           const CallOptions& call) override;
  absl::Status DropAlias(const std::string& alias,
                         const CallOptions& call) override;
  absl::Status AlterAlias(const std::string& collection,
                          const std::string& alias,
                          const CallOptions& call) override;
  absl::StatusOr<AliasDescription> DescribeAlias(
      const std::string& alias, const CallOptions& call) override;
  absl::StatusOr<std::vector<std::string>> ListAliases(
      const std::string& collection, const CallOptions& call) override;
  using Connection::LoadCollection;
  absl::Status LoadCollection(const std::string& name,
                              const LoadOptions& options,
                              const CallOptions& call) override;
  absl::Status LoadCollection(const std::string& name,
                              const CallOptions& call) override;
  absl::Status ReleaseCollection(const std::string& name,
                                 const CallOptions& call) override;
  absl::Status LoadPartitions(const std::string& collection,
                              const std::vector<std::string>& partitions,
                              const CallOptions& call) override;
  absl::Status ReleasePartitions(const std::string& collection,
                                 const std::vector<std::string>& partitions,
                                 const CallOptions& call) override;
  absl::StatusOr<LoadState> GetPartitionsLoadState(
      const std::string& collection, const std::vector<std::string>& partitions,
      const CallOptions& call) override;
  absl::StatusOr<CollectionStats> GetPartitionStats(
      const std::string& collection, const std::string& partition,
      const CallOptions& call) override;
  absl::StatusOr<LoadState> GetLoadState(const std::string& name,
                                         const CallOptions& call) override;
  absl::Status CreateIndex(const std::string& collection,
                           const IndexSpec& index,
                           const CallOptions& call) override;
  absl::StatusOr<std::vector<IndexDescription>> DescribeIndexes(
      const std::string& collection, const CallOptions& call) override;
  absl::Status DropIndex(const std::string& collection,
                         const std::string& index_name,
                         const CallOptions& call) override;
  absl::StatusOr<MutationResult> Insert(const InsertRequest& request,
                                        const CallOptions& call) override;
  absl::StatusOr<MutationResult> Upsert(const InsertRequest& request,
                                        const CallOptions& call) override;
  absl::StatusOr<MutationResult> Delete(const DeleteRequest& request,
                                        const CallOptions& call) override;
  absl::StatusOr<SearchResults> Search(const SearchRequest& request,
                                       const CallOptions& call) override;
  absl::StatusOr<SearchResults> HybridSearch(const HybridSearchRequest& request,
                                             const CallOptions& call) override;
  absl::StatusOr<std::vector<Row>> Query(const QueryRequest& request,
                                         const CallOptions& call) override;
  absl::Status Flush(const std::string& collection,
                     const CallOptions& call) override;
  absl::Status Compact(const std::string& collection,
                       const CallOptions& call) override;
  absl::StatusOr<std::string> OpenReadSession(const std::string& collection,
                                              const CallOptions& call) override;
  absl::Status CloseReadSession(const std::string& collection,
                                const std::string& session_id,
                                const CallOptions& call) override;
  absl::StatusOr<std::vector<Hit>> NextServerIteratorPage(
      const SearchRequest& request, ServerIteratorState* state,
      const CallOptions& call) override;
  absl::StatusOr<std::vector<Row>> NextServerQueryPage(
      const QueryRequest& request, uint64_t* session_ts,
      const CallOptions& call) override;
  absl::Status CreateUser(const std::string& user, const std::string& password,
                          const CallOptions& call) override;
  absl::Status UpdatePassword(const std::string& user,
                              const std::string& old_password,
                              const std::string& new_password,
                              const CallOptions& call) override;
  absl::Status DropUser(const std::string& user,
                        const CallOptions& call) override;
  absl::StatusOr<std::vector<std::string>> ListUsers(
      const CallOptions& call) override;
  absl::StatusOr<UserInfo> DescribeUser(const std::string& user,
                                        const CallOptions& call) override;
  absl::Status CreateRole(const std::string& role,
                          const CallOptions& call) override;
  absl::Status DropRole(const std::string& role,
                        const CallOptions& call) override;
  absl::StatusOr<std::vector<RoleInfo>> ListRoles(
      const CallOptions& call) override;
  absl::Status GrantRole(const std::string& user, const std::string& role,
                         const CallOptions& call) override;
  absl::Status RevokeRole(const std::string& user, const std::string& role,
                          const CallOptions& call) override;
  absl::Status GrantPrivilege(const Grant& grant,
                              const CallOptions& call) override;
  absl::Status RevokePrivilege(const Grant& grant,
                               const CallOptions& call) override;
  absl::StatusOr<std::vector<Grant>> ListGrants(
      const std::string& role, const CallOptions& call) override;

 private:
  // Rows of an insert request.
  static int64_t RowCount(const InsertRequest& request);
  // Rows of `request` whose primary key the collection already holds.
  absl::StatusOr<int64_t> CountExisting(const InsertRequest& request,
                                        const CallOptions& call);
  absl::Status CheckRoom(int64_t adding, int64_t adding_bytes);
  void Touch() {
    if (on_activity_) on_activity_();
  }

  std::shared_ptr<Connection> inner_;
  std::atomic<int64_t> capacity_;
  std::atomic<int64_t> capacity_bytes_;
  const std::function<int64_t()> storage_bytes_;
  std::function<void()> on_activity_;
  absl::Mutex write_mu_;  // serializes Insert and Upsert
};

}  // namespace cove::hosting

#endif  // COVE_SRC_HOSTING_CAPACITY_CONNECTION_H_
