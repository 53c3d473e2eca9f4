// The embedded backend's request semantics: the public request types
// (cove/types.h) checked and translated into the engine's typed specs
// (engine/collection.h), and the engine's answers back into results.
//
// Here live the rules a Milvus client expects of a request: limits on
// limit/offset, the search parameter map (ef, nprobe, radius, ...), index
// parameters, output-field resolution with "*" and the dynamic "$meta"
// spread into entities as pymilvus does, rows given as columns. The engine
// only checks what keeps its own state sound.
#ifndef COVE_SRC_EMBEDDED_REQUESTS_H_
#define COVE_SRC_EMBEDDED_REQUESTS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cove/types.h"
#include "engine/collection.h"

namespace cove::internal {

/// Most hits a search or query may return (offset + limit), as in Milvus.
inline constexpr int64_t kMaxTopK = 16384;

/// The rows of an InsertRequest, whether given as rows or as columns (every
/// column of the same length; vector columns dim floats per row).
/// InvalidArgument when both are given or a column does not fit. The one
/// conversion of columns to rows: the remote backend uses it too.
absl::StatusOr<std::vector<Row>> InsertRequestRows(
    const InsertRequest& request);

/// Schemas in the engine's terms and back.
engine::Schema ToEngineSchema(const CollectionSchema& schema);

/// A field property (AlterCollectionField, or type params at creation)
/// checked against its field: returns the value to store ("1024" for
/// " 1024"... numbers canonical; mmap.enabled as given, "True" or "true").
absl::StatusOr<std::string> CheckFieldProperty(const engine::FieldDef& f,
                                               const std::string& key,
                                               const std::string& value);
/// Field properties (by field name) applied to a schema: the limits to an
/// engine schema (for checking writes), all of them to a public one.
void ApplyFieldLimits(
    const std::map<std::string, std::map<std::string, std::string>>& props,
    engine::Schema* schema);
void ApplyFieldProperties(
    const std::map<std::string, std::map<std::string, std::string>>& props,
    CollectionSchema* schema);
CollectionSchema FromEngineSchema(const engine::Schema& schema);

/// An index spec checked and in the engine's terms.
absl::StatusOr<engine::IndexDef> ToIndexDef(const IndexSpec& spec);

/// The collection-level calls of the embedded backend, on one collection.
absl::Status CreateIndexIn(engine::Collection& collection,
                           const IndexSpec& spec);
std::vector<IndexDescription> DescribeIndexesOf(
    const engine::Collection& collection);
/// `limits`: the schema with the field limits in force (AlterCollectionField);
/// null: the collection's.
absl::StatusOr<MutationResult> InsertInto(
    engine::Collection& collection, const InsertRequest& request, bool upsert,
    const engine::Schema* limits = nullptr);
absl::StatusOr<MutationResult> DeleteFrom(engine::Collection& collection,
                                          const DeleteRequest& request);
/// `pinned`: the state of the request's read session (null: the current
/// state); a session search is an exact scan in (distance, primary key)
/// order that honours request.search_after.
absl::StatusOr<SearchResults> SearchIn(
    const engine::Collection& collection, const SearchRequest& request,
    const std::shared_ptr<const engine::CollectionState>& pinned = nullptr);
/// Several searches fused by a ranker (hybrid.cc).
absl::StatusOr<SearchResults> HybridSearchIn(
    const engine::Collection& collection, const HybridSearchRequest& request);
absl::StatusOr<std::vector<Row>> QueryIn(
    const engine::Collection& collection, const QueryRequest& request,
    const std::shared_ptr<const engine::CollectionState>& pinned = nullptr);

}  // namespace cove::internal

#endif  // COVE_SRC_EMBEDDED_REQUESTS_H_
