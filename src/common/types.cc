// Names of the public enums.
#include "cove/types.h"

#include "cove/version.h"

namespace cove {

const char* VersionString() { return COVE_VERSION_STRING; }

const char* DataTypeName(DataType type) {
  switch (type) {
    case DataType::kNone:
      return "NONE";
    case DataType::kBool:
      return "BOOL";
    case DataType::kInt8:
      return "INT8";
    case DataType::kInt16:
      return "INT16";
    case DataType::kInt32:
      return "INT32";
    case DataType::kInt64:
      return "INT64";
    case DataType::kFloat:
      return "FLOAT";
    case DataType::kDouble:
      return "DOUBLE";
    case DataType::kVarChar:
      return "VARCHAR";
    case DataType::kArray:
      return "ARRAY";
    case DataType::kJson:
      return "JSON";
    case DataType::kFloatVector:
      return "FLOAT_VECTOR";
    case DataType::kBinaryVector:
      return "BINARY_VECTOR";
    case DataType::kFloat16Vector:
      return "FLOAT16_VECTOR";
    case DataType::kBFloat16Vector:
      return "BFLOAT16_VECTOR";
    case DataType::kSparseFloatVector:
      return "SPARSE_FLOAT_VECTOR";
  }
  return "UNKNOWN";
}

const char* MetricTypeName(MetricType metric) {
  switch (metric) {
    case MetricType::kL2:
      return "L2";
    case MetricType::kIP:
      return "IP";
    case MetricType::kCosine:
      return "COSINE";
    case MetricType::kBM25:
      return "BM25";
    case MetricType::kHamming:
      return "HAMMING";
    case MetricType::kJaccard:
      return "JACCARD";
    case MetricType::kSubstructure:
      return "SUBSTRUCTURE";
    case MetricType::kSuperstructure:
      return "SUPERSTRUCTURE";
  }
  return "UNKNOWN";
}

const char* ConsistencyLevelName(ConsistencyLevel level) {
  switch (level) {
    case ConsistencyLevel::kStrong:
      return "Strong";
    case ConsistencyLevel::kSession:
      return "Session";
    case ConsistencyLevel::kBounded:
      return "Bounded";
    case ConsistencyLevel::kEventually:
      return "Eventually";
    case ConsistencyLevel::kCustomized:
      return "Customized";
  }
  return "Strong";
}

const char* IndexTypeName(IndexType type) {
  switch (type) {
    case IndexType::kFlat:
      return "FLAT";
    case IndexType::kIvfFlat:
      return "IVF_FLAT";
    case IndexType::kIvfSq8:
      return "IVF_SQ8";
    case IndexType::kHnsw:
      return "HNSW";
    case IndexType::kHnswSq:
      return "HNSW_SQ";
    case IndexType::kAutoIndex:
      return "AUTOINDEX";
    case IndexType::kSparseInvertedIndex:
      return "SPARSE_INVERTED_INDEX";
    case IndexType::kSparseWand:
      return "SPARSE_WAND";
    case IndexType::kIvfPq:
      return "IVF_PQ";
    case IndexType::kScann:
      return "SCANN";
    case IndexType::kDiskAnn:
      return "DISKANN";
    case IndexType::kStlSort:
      return "STL_SORT";
    case IndexType::kTrie:
      return "Trie";
    case IndexType::kBitmap:
      return "BITMAP";
    case IndexType::kInverted:
      return "INVERTED";
    case IndexType::kBinFlat:
      return "BIN_FLAT";
    case IndexType::kBinIvfFlat:
      return "BIN_IVF_FLAT";
  }
  return "UNKNOWN";
}

}  // namespace cove
