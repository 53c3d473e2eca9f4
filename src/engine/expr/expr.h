// Milvus boolean filter expressions: compiles a filter such as
// `age > 18 and color in ["red", "blue"]` against a collection schema into a
// tree of small typed evaluation nodes, and evaluates it over rows.
//
// Null semantics (as in Milvus and SQL): a comparison, `in`, `like`,
// arithmetic or `*_contains` that involves a null field value is UNKNOWN,
// not false; `not UNKNOWN` is UNKNOWN, `and`/`or` follow three-valued (Kleene)
// logic, and a row matches only when the filter is TRUE. So neither
// `age > 18` nor `not (age > 18)` (nor `age != 18`) matches a row whose age
// is null; use `age is null` / `age is not null` to select on nulls.
//
// JSON values (JSON fields, dynamic fields) are checked at run time: a key
// that is missing, a JSON null, or a value of another type simply does not
// match: `==`, `<`, `in`, `like`, ... are FALSE and `!=`, `not in` are TRUE
// (Milvus behaves the same). A JSON field that is null as a whole is treated
// like any null field (UNKNOWN); the dynamic field `$meta` is never null (a
// row without dynamic keys has no keys).
#ifndef COVE_SRC_ENGINE_EXPR_EXPR_H_
#define COVE_SRC_ENGINE_EXPR_EXPR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cove/value.h"
#include "engine/bitset.h"
#include "engine/expr/ops.h"

namespace cove::engine::expr {

/// Field types as the filter language sees them (Milvus DataType).
enum class FieldType {
  kBool,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFloat,
  kDouble,
  kVarChar,
  kJson,
  kArray,
  kFloatVector
};

/// The Milvus name of a field type: "BOOL", "INT64", "VARCHAR", ...
const char* FieldTypeName(FieldType type);

/// One field a filter may name.
struct FieldInfo {
  std::string name;
  FieldType type = FieldType::kInt64;
  /// Element type of a kArray field (ignored otherwise).
  FieldType element_type = FieldType::kInt64;
  bool nullable = false;
  /// What RowAccessor::Get() is called with for this field.
  int field_index = 0;
  /// VARCHAR fields with enable_match: the analyzed term ids of a text, for
  /// TEXT_MATCH(field, 'words'); null: TEXT_MATCH may not name the field.
  std::function<std::vector<uint32_t>(std::string_view)> match_terms;
};

/// The fields a filter may name.
///
/// A name that is not a field resolves to a key of the dynamic field when
/// dynamic_field_index >= 0 (Milvus: `color == "red"` on a collection with
/// the dynamic field on means `$meta["color"]`); otherwise an unknown name is
/// an error. `$meta` names the dynamic field itself.
struct Schema {
  std::vector<FieldInfo> fields;
  /// RowAccessor index of the `$meta` JSON object, or -1 when the collection
  /// has no dynamic field.
  int dynamic_field_index = -1;
};

/// Values for `{name}` placeholders: scalars, or arrays for lists.
using TemplateValues = std::map<std::string, cove::Value, std::less<>>;

/// Row access during evaluation.
class RowAccessor {
 public:
  virtual ~RowAccessor() = default;
  /// The value of field `field_index` (a FieldInfo::field_index or the
  /// dynamic field index) for the row being evaluated; a null Value when the
  /// row's value is null. Called once or more per referenced field per row,
  /// so it must be cheap; the reference must stay valid during Matches().
  /// ARRAY fields are arrays, JSON fields any Value, `$meta` an object (or
  /// null for a row without dynamic keys).
  virtual const cove::Value& Get(int field_index) const = 0;
  /// TEXT_MATCH through an inverted index: whether the row's text in field
  /// `field_index` holds any of `terms` (sorted term ids), or nullopt when
  /// the accessor has no index for the field (the filter then analyzes the
  /// row's text). `key` identifies the TEXT_MATCH node (stable while the
  /// filter lives), so an accessor may compute a node's rows once.
  virtual std::optional<bool> TextMatch(int field_index,
                                        const std::vector<uint32_t>& terms,
                                        const void* key) const {
    (void)field_index;
    (void)terms;
    (void)key;
    return std::nullopt;
  }
};

/// A filter leaf on one scalar field (BOOL, INT8..INT64, FLOAT, DOUBLE,
/// VARCHAR), or a containment test on an ARRAY field, that a scalar index
/// may answer (IndexedRows). Where the field is
/// null the leaf is UNKNOWN, except kIsNull, which is never UNKNOWN.
struct IndexQuery {
  enum class Kind : uint8_t {
    kCompare,  // field op value (`==`, `!=`, `<`, ...)
    kIn,       // field in values (negated: not in)
    kRange,    // lo <(=) field <(=) hi; a missing bound is open
    kPrefix,   // field like "value%" (a VARCHAR field)
    kIsNull,   // field is null (negated: is not null)
    // An ARRAY field: array_contains (one value) and array_contains_any
    // (TRUE when an element equals one of `values`), array_contains_all
    // (every one of `values` is an element).
    kContainsAny,
    kContainsAll,
  };
  Kind kind = Kind::kCompare;
  int field = -1;
  CompareOp op = CompareOp::kEq;
  cove::Value value;
  std::vector<cove::Value> values;
  bool negated = false;
  std::optional<cove::Value> lo, hi;
  bool lo_inclusive = true;
  bool hi_inclusive = true;
};

/// The scalar indexes of one block of rows (a segment), for
/// CompiledFilter::FilterIndexed.
class IndexedRows {
 public:
  virtual ~IndexedRows() = default;
  /// True when a scalar index covers field `field_index` here.
  virtual bool Indexed(int field_index) const = 0;
  /// Answers `q` (Indexed(q.field)): *true_rows gets the rows of the block
  /// where the leaf is TRUE and *nulls the rows where the field is null.
  /// False when the index does not answer this question (the rows are
  /// evaluated one by one instead).
  virtual bool Answer(const IndexQuery& q, Bitset* true_rows,
                      const Bitset** nulls) const = 0;
  /// The accessor of row `row`, for the leaves no index answers.
  virtual const RowAccessor& At(uint32_t row) = 0;
};

class Predicate;  // evaluation node, defined in eval.h

/// A compiled filter: an immutable tree of typed evaluation nodes.
///
/// Thread safety: copyable and cheap to copy (the tree is shared);
/// Matches() may be called concurrently from several threads.
class CompiledFilter {
 public:
  /// A filter that matches every row (what an empty filter compiles to).
  CompiledFilter();

  /// True if the row matches (the filter is TRUE for it; see the file
  /// comment for nulls).
  bool Matches(const RowAccessor& row) const;

  /// True when the filter matches every row without looking at it (empty
  /// filter, or one that folds to `true`).
  bool matches_all() const { return matches_all_; }

  /// The field indices the filter reads, sorted, without duplicates (the
  /// dynamic field index included when the filter reads it), so the caller
  /// can fetch only those.
  const std::vector<int>& referenced_fields() const {
    return referenced_fields_;
  }

  /// Fast path for get/delete by filter: if the filter is exactly
  /// `pk == x`, `pk in [...]` or an `or` of those on the field
  /// `pk_field_index` (an INT64 or VARCHAR field), returns the keys
  /// (ints or strings, deduplicated, in the order written); otherwise
  /// nullopt. The filter still has to be applied (to handle nulls and
  /// deleted rows) only if the caller's lookup does not already do so.
  std::optional<std::vector<cove::Value>> PrimaryKeyLookup(
      int pk_field_index) const;

  /// Partition key pruning: when every row the filter matches has field
  /// `field_index` equal to one of a few values, returns them (as written,
  /// in any order, possibly repeated); otherwise nullopt. Recognized:
  /// `f == x`, `f in [...]`, an `or` whose every term pins f (the union),
  /// and an `and` with a term that pins f (the smallest such term's values);
  /// `not`, `!=`, ranges and anything else pin nothing.
  std::optional<std::vector<cove::Value>> PinnedValues(int field_index) const;

  /// Set evaluation through scalar indexes: narrows `rows` (a bitset of the
  /// block `index` covers) to the rows that match. Leaves that `index`
  /// answers come from it, the rest are evaluated for the rows still in
  /// question (`and` children after the indexed ones see only the rows those
  /// left); the result is the rows Matches() accepts. Returns false, leaving
  /// `rows` as it was, when no leaf of the filter is on an indexed field
  /// (the caller scans as usual).
  bool FilterIndexed(IndexedRows& index, Bitset* rows) const;

  /// The filter text it was compiled from.
  const std::string& text() const { return text_; }

 private:
  friend absl::StatusOr<CompiledFilter> Compile(std::string_view, const Schema&,
                                                const TemplateValues&);

  std::shared_ptr<const Predicate> root_;  // null: match all
  std::vector<int> referenced_fields_;
  std::string text_;
  bool matches_all_ = true;
};

/// Compiles a filter expression against `schema`, substituting `values` for
/// `{name}` placeholders. An empty (or blank) filter matches every row.
///
/// The language is the Milvus 2.5 boolean expression language: literals
/// (integers, floats with exponents, "double"/'single' quoted strings with
/// escapes, true/false in lower, upper or capitalized case, lists `[1, 2]`);
/// `== != < <= > >=`; chained ranges `10 < x <= 20`; `in` / `not in`;
/// `like` with `%` and `_` (`\%`, `\_` escape them) on VARCHAR and JSON
/// strings; `and or not` (lower or upper case) and `&& || !`; parentheses;
/// arithmetic `+ - * / % **` on numbers; `is null` / `is not null`; JSON
/// paths `meta["a"]["b"][0]`, dynamic keys as bare names or `$meta["k"]`;
/// `exists meta["k"]`; `json_contains`, `json_contains_all`,
/// `json_contains_any` and their `array_contains*` aliases; `array_length(f)`;
/// array elements `arr[0]`; `{name}` placeholders wherever a literal may be.
///
/// Types are checked against the schema at compile time (an int field
/// compared with a string, `like` on an int field, arithmetic on a string
/// field, ...); JSON values are checked at run time.
///
/// Errors: InvalidArgument "filter: <what> at column C (expected ...)"
/// naming the 1-based column and the offending token or name; unknown fields
/// list the schema's fields; a missing template value names the placeholder.
/// Never crashes on any input; nesting deeper than 256 levels is an error.
absl::StatusOr<CompiledFilter> Compile(std::string_view text,
                                       const Schema& schema,
                                       const TemplateValues& values = {});

}  // namespace cove::engine::expr

#endif  // COVE_SRC_ENGINE_EXPR_EXPR_H_
