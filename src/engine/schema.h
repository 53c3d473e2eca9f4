// The engine's own vocabulary for what a collection holds: field types,
// schemas and index definitions, and the checks that keep them sound. The
// engine never sees the public request types (cove/types.h): the embedded
// backend (src/embedded/) translates them to these.
#ifndef COVE_SRC_ENGINE_SCHEMA_H_
#define COVE_SRC_ENGINE_SCHEMA_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/bytes.h"
#include "cove/value.h"
#include "engine/kernels/distance.h"
#include "engine/kernels/half.h"

namespace cove::engine {

/// Field types. The numbers are Milvus' schema.DataType and are written to
/// logs and snapshots: never renumber.
enum class DataType : uint32_t {
  kNone = 0,
  kBool = 1,
  kInt8 = 2,
  kInt16 = 3,
  kInt32 = 4,
  kInt64 = 5,
  kFloat = 10,
  kDouble = 11,
  kVarChar = 21,
  kArray = 22,
  kJson = 23,
  kBinaryVector = 100,
  kFloatVector = 101,
  kFloat16Vector = 102,
  kBFloat16Vector = 103,
  kSparseFloatVector = 104,
};

/// True for the vector types (FLOAT_VECTOR and the others).
inline bool IsVectorType(DataType t) {
  return t == DataType::kFloatVector || t == DataType::kBinaryVector ||
         t == DataType::kFloat16Vector || t == DataType::kBFloat16Vector ||
         t == DataType::kSparseFloatVector;
}

/// True for the vector types whose rows have a fixed dimension and live in
/// a segment's vector storage: FLOAT_VECTOR, FLOAT16_VECTOR, BFLOAT16_VECTOR,
/// BINARY_VECTOR (dim bits, dim / 8 bytes packed into the float32 slots).
inline bool IsDenseVectorType(DataType t) {
  return t == DataType::kFloatVector || t == DataType::kFloat16Vector ||
         t == DataType::kBFloat16Vector || t == DataType::kBinaryVector;
}

/// The 16-bit format of FLOAT16_VECTOR / BFLOAT16_VECTOR; none otherwise.
inline std::optional<HalfType> HalfTypeOf(DataType t) {
  if (t == DataType::kFloat16Vector) return HalfType::kFloat16;
  if (t == DataType::kBFloat16Vector) return HalfType::kBFloat16;
  return std::nullopt;
}

/// "BOOL", "INT64", "FLOAT_VECTOR", ...
const char* DataTypeName(DataType type);

/// One field of a collection.
struct FieldDef {
  std::string name;
  DataType type = DataType::kNone;
  std::string description;
  bool is_primary_key = false;
  bool auto_id = false;
  int64_t max_length = 0;
  int64_t dim = 0;
  DataType element_type = DataType::kNone;
  int64_t max_capacity = 0;
  bool nullable = false;
  std::optional<Value> default_value;
  /// VARCHAR: the text is analyzed (tokens for BM25 functions and
  /// TEXT_MATCH) by `analyzer_params` (Milvus' JSON; empty: standard).
  bool enable_analyzer = false;
  std::string analyzer_params;
  /// VARCHAR with an analyzer: TEXT_MATCH filters may name the field.
  bool enable_match = false;
  /// Filled by a function (a BM25 output); rows must not give it.
  bool is_function_output = false;
};

/// Function kinds (Milvus' FunctionType numbers).
enum class FunctionKind : uint32_t { kUnknown = 0, kBM25 = 1 };

/// A function of a schema: BM25 reads one analyzed VARCHAR field and fills
/// one SPARSE_FLOAT_VECTOR field with the text's term frequencies at insert.
struct FunctionDef {
  std::string name;
  std::string description;
  FunctionKind kind = FunctionKind::kBM25;
  std::vector<std::string> input_fields;
  std::vector<std::string> output_fields;
  std::map<std::string, std::string> params;
};

/// The fields of a collection; with `enable_dynamic_field` unknown keys of
/// a row are kept in the hidden JSON column "$meta".
struct Schema {
  std::vector<FieldDef> fields;
  bool enable_dynamic_field = false;
  std::string description;
  std::vector<FunctionDef> functions;
};

/// The kind of index a user asked for. The numbers are written to logs and
/// snapshots: never renumber. AUTOINDEX builds an HNSW.
enum class IndexKind : uint8_t {
  kFlat = 0,
  kIvfFlat = 1,
  kIvfSq8 = 2,
  kHnsw = 3,
  kHnswSq = 4,
  kAutoIndex = 5,
  kSparseInvertedIndex = 6,
  kSparseWand = 7,
  kIvfPq = 8,
  kScann = 9,
  kDiskAnn = 10,
  // BINARY_VECTOR fields (numbered apart from the float kinds).
  kBinFlat = 20,
  kBinIvfFlat = 21,
  // Scalar indexes (indexes/scalar_index.h); numbered apart from the
  // vector kinds.
  kStlSort = 32,
  kTrie = 33,
  kBitmap = 34,
  kInverted = 35,
};

/// True for the indexes of scalar fields (STL_SORT, Trie, BITMAP,
/// INVERTED).
inline bool IsScalarIndexKind(IndexKind k) {
  return k == IndexKind::kStlSort || k == IndexKind::kTrie ||
         k == IndexKind::kBitmap || k == IndexKind::kInverted;
}

/// True for a number that names an IndexKind (records and snapshots).
inline bool IsKnownIndexKind(uint8_t k) {
  return k <= static_cast<uint8_t>(IndexKind::kDiskAnn) ||
         k == static_cast<uint8_t>(IndexKind::kBinFlat) ||
         k == static_cast<uint8_t>(IndexKind::kBinIvfFlat) ||
         (k >= static_cast<uint8_t>(IndexKind::kStlSort) &&
          k <= static_cast<uint8_t>(IndexKind::kInverted));
}

/// True for the field types a scalar index may cover.
inline bool IsScalarIndexable(DataType t) {
  return t == DataType::kBool || t == DataType::kInt8 ||
         t == DataType::kInt16 || t == DataType::kInt32 ||
         t == DataType::kInt64 || t == DataType::kFloat ||
         t == DataType::kDouble || t == DataType::kVarChar;
}

/// True for the indexes of BINARY_VECTOR fields.
inline bool IsBinaryIndexKind(IndexKind k) {
  return k == IndexKind::kBinFlat || k == IndexKind::kBinIvfFlat;
}

/// True for the indexes of SPARSE_FLOAT_VECTOR fields.
inline bool IsSparseIndexKind(IndexKind k) {
  return k == IndexKind::kSparseInvertedIndex || k == IndexKind::kSparseWand;
}

/// The index of one field (a vector field, or a scalar one), as created.
/// `params` are the build parameters by their Milvus names ("M",
/// "efConstruction", "nlist"), already checked by the caller (numbers in
/// decimal); they are kept as given so that a description shows them and
/// creating the same index again is a no-op.
struct IndexDef {
  std::string field_name;
  std::string index_name;
  IndexKind kind = IndexKind::kAutoIndex;
  Metric metric = Metric::kCosine;
  std::map<std::string, std::string> params;

  bool operator==(const IndexDef& o) const {
    return field_name == o.field_name && index_name == o.index_name &&
           kind == o.kind && metric == o.metric && params == o.params;
  }
};

/// Checks a collection schema: exactly one primary key (INT64 or VARCHAR with
/// max_length), at least one vector field (FLOAT_VECTOR, FLOAT16_VECTOR or
/// BFLOAT16_VECTOR with a dimension in [1, 32768], or SPARSE_FLOAT_VECTOR),
/// unique valid names, sensible VARCHAR/ARRAY limits and defaults, analyzer
/// params that parse, and BM25 functions from an analyzed VARCHAR to a
/// SPARSE_FLOAT_VECTOR field. InvalidArgument naming the field otherwise.
absl::Status ValidateSchema(const Schema& schema);

/// Checks a collection, field, partition, alias or database name: 1..255
/// characters, a letter or '_' first, then letters, digits and '_'.
/// InvalidArgument naming `what` otherwise.
absl::Status ValidateName(const std::string& what, const std::string& name);

/// Checks that `v` fits the scalar type `type` of field `f` (a value, an
/// array element or a default): kind, integer range, VARCHAR max_length,
/// JSON nesting depth. `where` starts the message.
absl::Status CheckScalar(const FieldDef& f, DataType type, const Value& v,
                         const std::string& where);

/// InvalidArgument when `v` nests arrays and objects deeper than
/// Value::kMaxJsonDepth (logs and snapshots could not read it back).
absl::Status CheckJsonDepth(const Value& v, const std::string& where);

/// Serialization of schemas and index definitions (records and snapshots).
void EncodeSchema(const Schema& schema, internal::ByteWriter* w);
bool DecodeSchema(internal::ByteReader* r, Schema* schema);
void EncodeIndexDef(const IndexDef& def, internal::ByteWriter* w);
bool DecodeIndexDef(internal::ByteReader* r, IndexDef* def);

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_SCHEMA_H_
