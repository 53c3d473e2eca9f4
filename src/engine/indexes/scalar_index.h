// Scalar indexes: the index of one BOOL, INT8..INT64, FLOAT, DOUBLE or
// VARCHAR column of a sealed segment, which answers the filter leaves on the
// column (`==`, `!=`, `in`, `not in`, ranges, `like "abc%"`, `is null`) as
// bitsets instead of a scan of the rows (expr::IndexedRows); or of an ARRAY
// column, keyed by the elements, which answers `array_contains`,
// `array_contains_any` and `array_contains_all`.
//
// Every index keeps the column's distinct non-null values sorted (numbers as
// int64 or double, text by bytes, as the filter compares them) with, per
// value, the rows that hold it, and the null rows apart. A question is a
// binary search for a run of values and the union of their rows:
//   - kSorted (STL_SORT, Trie, INVERTED, AUTOINDEX): a value's rows are a
//     sorted list of row numbers (one array for the whole segment);
//   - kBitmap (BITMAP, and AUTOINDEX on BOOL): the rows of each frequent
//     value (1/32 of the rows or more) are also a bitset of the segment, the
//     cheapest union for the few values it is meant for; rare values keep
//     their list, so a column of many values costs no more than kSorted.
// Results are exactly those of evaluating the leaf row by row (the same
// comparison semantics: ints with doubles exactly, NaN unordered, nulls
// UNKNOWN).
#ifndef COVE_SRC_ENGINE_INDEXES_SCALAR_INDEX_H_
#define COVE_SRC_ENGINE_INDEXES_SCALAR_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cove/value.h"
#include "engine/bitset.h"
#include "engine/expr/expr.h"
#include "engine/schema.h"

namespace cove::engine {

class ScalarIndex {
 public:
  enum class Layout : uint8_t { kSorted, kBitmap };

  /// Builds the index of the first `rows` values of `column` (a field of
  /// type `type`; an ARRAY field of `element_type`: each value's rows are
  /// the rows whose array holds it). Null when a value does not have the
  /// field's kind (the filter then scans the rows, which handles anything).
  static std::shared_ptr<const ScalarIndex> Build(
      const std::vector<Value>& column, size_t rows, DataType type,
      Layout layout, DataType element_type = DataType::kNone);

  /// Rows covered.
  size_t size() const { return rows_; }
  Layout layout() const { return layout_; }
  /// Distinct non-null values.
  size_t cardinality() const { return keys_; }
  size_t MemoryBytes() const;

  /// Answers a filter leaf on this column: *true_rows (resized to size())
  /// gets the rows where it is TRUE; rows where it is UNKNOWN are nulls().
  /// False when the question is not one this index answers.
  bool Answer(const expr::IndexQuery& q, Bitset* true_rows) const;
  /// Rows whose value is null.
  const Bitset& nulls() const { return nulls_; }

 private:
  enum class KeyKind : uint8_t { kBool, kInt, kDouble, kString };

  ScalarIndex() = default;
  // The order of distinct value `i` relative to `c` (a present value).
  int CompareKey(size_t i, const Value& c, bool* comparable) const;
  // [*begin, *end): the values whose order against `c` satisfies the bound.
  size_t LowerBound(const Value& c, bool inclusive) const;
  size_t UpperBound(const Value& c, bool inclusive) const;
  bool Comparable(const Value& c) const;
  void AddRun(size_t begin, size_t end, Bitset* out) const;
  void AddEqual(const Value& c, Bitset* out) const;

  size_t rows_ = 0;
  bool is_array_ = false;
  Layout layout_ = Layout::kSorted;
  KeyKind kind_ = KeyKind::kInt;
  size_t keys_ = 0;
  // Distinct values, sorted: one of these is used, by kind_ (bools as 0/1).
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<std::string> strings_;
  // The rows of value i are rows_of_[offsets_[i] .. offsets_[i+1]).
  std::vector<uint32_t> offsets_;
  std::vector<uint32_t> rows_of_;
  // kBitmap: the rows of value i as a bitset too (bitmaps_[bitmap_of_[i]])
  // when it holds at least 1/32 of the rows; -1 for rarer values.
  std::vector<int32_t> bitmap_of_;
  std::vector<Bitset> bitmaps_;
  Bitset nulls_;
  // FLOAT/DOUBLE rows holding NaN: unordered with everything (only `!=` and
  // `not in` are TRUE for them).
  Bitset nans_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_SCALAR_INDEX_H_
