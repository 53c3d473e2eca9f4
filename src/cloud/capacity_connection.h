// A Connection decorator that enforces a cluster's capacity: inserts and
// upserts that would make the data plane hold more entities (each has one
// vector) than the capacity fail with ResourceExhausted. The capacity can
// change while serving (scaling up lifts the limit at once).
#ifndef COVE_SRC_CLOUD_CAPACITY_CONNECTION_H_
#define COVE_SRC_CLOUD_CAPACITY_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cove/connection.h"

namespace cove::cloud {

/// Thread safety: as the wrapped connection; writes that add entities are
/// serialized so that the count checked is exact.
class CapacityConnection : public Connection {
 public:
  CapacityConnection(std::shared_ptr<Connection> inner, int64_t capacity)
      : inner_(std::move(inner)), capacity_(capacity) {}

  void set_capacity(int64_t capacity) { capacity_.store(capacity); }
  int64_t capacity() const { return capacity_.load(); }

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
  absl::Status RenameCollection(const std::string& old_name,
                                const std::string& new_name,
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
  absl::Status LoadCollection(const std::string& name,
                              const CallOptions& call) override;
  absl::Status ReleaseCollection(const std::string& name,
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
  absl::Status CheckRoom(int64_t adding);

  std::shared_ptr<Connection> inner_;
  std::atomic<int64_t> capacity_;
  absl::Mutex write_mu_;  // serializes Insert and Upsert
};

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_CAPACITY_CONNECTION_H_
