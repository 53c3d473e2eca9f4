// cove::Connection: the interface behind cove::Client, where backends
// (embedded, remote) plug in and where users' tests put a mock.
#ifndef COVE_INCLUDE_COVE_CONNECTION_H_
#define COVE_INCLUDE_COVE_CONNECTION_H_

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
  virtual absl::Status RenameCollection(const std::string& old_name,
                                        const std::string& new_name,
                                        const CallOptions& call);
  virtual absl::StatusOr<CollectionStats> GetCollectionStats(
      const std::string& name, const CallOptions& call);

  // Loading.
  virtual absl::Status LoadCollection(const std::string& name,
                                      const CallOptions& call);
  virtual absl::Status ReleaseCollection(const std::string& name,
                                         const CallOptions& call);
  virtual absl::StatusOr<LoadState> GetLoadState(const std::string& name,
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
  virtual absl::StatusOr<std::vector<Row>> Query(const QueryRequest& request,
                                                 const CallOptions& call);
  virtual absl::Status Flush(const std::string& collection,
                             const CallOptions& call);
};

}  // namespace cove

#endif  // COVE_INCLUDE_COVE_CONNECTION_H_
