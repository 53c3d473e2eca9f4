// The embedded backend: validates requests, finds the collection and calls
// the engine. No stub, no retry.
#include "embedded/embedded_connection.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/collection.h"

namespace cove::internal {
namespace {

class EmbeddedConnection : public Connection {
 public:
  explicit EmbeddedConnection(EmbeddedOptions options)
      : options_(std::move(options)) {}

  std::string backend_name() const override { return "embedded"; }

  absl::Status CreateCollection(const std::string& name,
                                const CollectionSchema& schema,
                                const std::vector<IndexSpec>& indexes,
                                const CallOptions& call) override {
    auto created = engine::Collection::Create(name, schema);
    if (!created.ok()) return created.status();
    std::shared_ptr<engine::Collection> collection = *std::move(created);
    for (const IndexSpec& spec : indexes) {
      if (absl::Status s = collection->CreateIndex(spec); !s.ok()) return s;
    }
    // Like Milvus: a collection created with indexes on all its vector
    // fields is loaded at once.
    if (!indexes.empty()) (void)collection->Load();
    absl::MutexLock lock(&mu_);
    if (collections_.count(name) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("collection '", name, "' already exists"));
    }
    collections_.emplace(name, std::move(collection));
    return absl::OkStatus();
  }

  absl::Status DropCollection(const std::string& name,
                              const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    if (collections_.erase(name) == 0) return NotFound(name);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> HasCollection(const std::string& name,
                                     const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    return collections_.count(name) != 0;
  }

  absl::StatusOr<std::vector<std::string>> ListCollections(
      const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> names;
    for (const auto& [name, c] : collections_) names.push_back(name);
    return names;
  }

  absl::StatusOr<CollectionDescription> DescribeCollection(
      const std::string& name, const CallOptions& call) override {
    auto c = Find(name);
    if (!c.ok()) return c.status();
    CollectionDescription d;
    d.name = name;
    d.collection_id = (*c)->id();
    d.schema = (*c)->schema();
    d.partitions = {"_default"};
    d.created_timestamp = (*c)->created_timestamp();
    return d;
  }

  absl::Status RenameCollection(const std::string& old_name,
                                const std::string& new_name,
                                const CallOptions& call) override {
    if (absl::Status s = engine::ValidateName("collection name", new_name);
        !s.ok()) {
      return s;
    }
    absl::MutexLock lock(&mu_);
    auto it = collections_.find(old_name);
    if (it == collections_.end()) return NotFound(old_name);
    if (collections_.count(new_name) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("rename: collection '", new_name, "' already exists"));
    }
    auto c = it->second;
    collections_.erase(it);
    c->set_name(new_name);
    collections_.emplace(new_name, std::move(c));
    return absl::OkStatus();
  }

  absl::StatusOr<CollectionStats> GetCollectionStats(
      const std::string& name, const CallOptions& call) override {
    auto c = Find(name);
    if (!c.ok()) return c.status();
    CollectionStats stats;
    stats.row_count = (*c)->row_count();
    return stats;
  }

  absl::Status LoadCollection(const std::string& name,
                              const CallOptions& call) override {
    auto c = Find(name);
    if (!c.ok()) return c.status();
    return (*c)->Load();
  }

  absl::Status ReleaseCollection(const std::string& name,
                                 const CallOptions& call) override {
    auto c = Find(name);
    if (!c.ok()) return c.status();
    (*c)->Release();
    return absl::OkStatus();
  }

  absl::StatusOr<LoadState> GetLoadState(const std::string& name,
                                         const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    auto it = collections_.find(name);
    if (it == collections_.end()) return LoadState::kNotExist;
    return it->second->load_state();
  }

  absl::Status CreateIndex(const std::string& collection,
                           const IndexSpec& index,
                           const CallOptions& call) override {
    auto c = Find(collection);
    if (!c.ok()) return c.status();
    return (*c)->CreateIndex(index);
  }

  absl::StatusOr<std::vector<IndexDescription>> DescribeIndexes(
      const std::string& collection, const CallOptions& call) override {
    auto c = Find(collection);
    if (!c.ok()) return c.status();
    return (*c)->DescribeIndexes();
  }

  absl::Status DropIndex(const std::string& collection,
                         const std::string& index_name,
                         const CallOptions& call) override {
    auto c = Find(collection);
    if (!c.ok()) return c.status();
    return (*c)->DropIndex(index_name);
  }

  absl::StatusOr<MutationResult> Insert(const InsertRequest& request,
                                        const CallOptions& call) override {
    auto c = Find(request.collection_name);
    if (!c.ok()) return c.status();
    if (absl::Status s = CheckPartition(request.partition_name); !s.ok()) {
      return s;
    }
    return (*c)->Insert(request, /*upsert=*/false);
  }

  absl::StatusOr<MutationResult> Upsert(const InsertRequest& request,
                                        const CallOptions& call) override {
    auto c = Find(request.collection_name);
    if (!c.ok()) return c.status();
    if (absl::Status s = CheckPartition(request.partition_name); !s.ok()) {
      return s;
    }
    return (*c)->Insert(request, /*upsert=*/true);
  }

  absl::StatusOr<MutationResult> Delete(const DeleteRequest& request,
                                        const CallOptions& call) override {
    auto c = Find(request.collection_name);
    if (!c.ok()) return c.status();
    return (*c)->Delete(request);
  }

  absl::StatusOr<SearchResults> Search(const SearchRequest& request,
                                       const CallOptions& call) override {
    auto c = Find(request.collection_name);
    if (!c.ok()) return c.status();
    for (const auto& p : request.partition_names) {
      if (absl::Status s = CheckPartition(p); !s.ok()) return s;
    }
    return (*c)->Search(request);
  }

  absl::StatusOr<std::vector<Row>> Query(const QueryRequest& request,
                                         const CallOptions& call) override {
    auto c = Find(request.collection_name);
    if (!c.ok()) return c.status();
    for (const auto& p : request.partition_names) {
      if (absl::Status s = CheckPartition(p); !s.ok()) return s;
    }
    return (*c)->Query(request);
  }

  absl::Status Flush(const std::string& collection,
                     const CallOptions& call) override {
    auto c = Find(collection);
    if (!c.ok()) return c.status();
    return absl::OkStatus();  // in-memory: every write is already applied
  }

 private:
  static absl::Status NotFound(const std::string& name) {
    return absl::NotFoundError(
        absl::StrCat("collection '", name, "' not found"));
  }

  // Partitions other than the default one are not implemented yet.
  static absl::Status CheckPartition(const std::string& partition) {
    if (partition.empty() || partition == "_default") return absl::OkStatus();
    return absl::UnimplementedError(absl::StrCat(
        "partition '", partition,
        "': partitions other than '_default' are not supported by the "
        "embedded backend yet"));
  }

  absl::StatusOr<std::shared_ptr<engine::Collection>> Find(
      const std::string& name) {
    absl::MutexLock lock(&mu_);
    auto it = collections_.find(name);
    if (it == collections_.end()) return NotFound(name);
    return it->second;
  }

  const EmbeddedOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<engine::Collection>> collections_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<Connection>> MakeEmbeddedConnection(
    const std::string& path, const EmbeddedOptions& options) {
  if (path != ":memory:") {
    return absl::UnimplementedError(absl::StrCat(
        "embedded path '", path,
        "': durable local storage is not implemented yet; use ':memory:' "
        "for an in-process store"));
  }
  return std::shared_ptr<Connection>(
      std::make_shared<EmbeddedConnection>(options));
}

}  // namespace cove::internal
