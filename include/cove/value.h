// cove::Value: one field value of a row (a scalar, a string, a JSON document,
// an array or a float vector), as used by inserts, query results, dynamic
// fields and filter templates.
#ifndef COVE_INCLUDE_COVE_VALUE_H_
#define COVE_INCLUDE_COVE_VALUE_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace cove {

/// A sparse float vector: parallel lists of indices (strictly increasing,
/// below 2^32 - 1) and their values, as Milvus' SPARSE_FLOAT_VECTOR.
struct SparseVector {
  std::vector<uint32_t> indices;
  std::vector<float> values;

  friend bool operator==(const SparseVector& a, const SparseVector& b) {
    return a.indices == b.indices && a.values == b.values;
  }
};

/// An immutable, cheaply copyable dynamic value: null, bool, 64-bit integer,
/// double, string, array, object (string keys, sorted) or vector: float32,
/// float16 and bfloat16 (the 16-bit patterns), binary (bytes, 8 dimensions
/// each, the lowest bit of byte 0 first as Milvus packs them) or sparse.
///
/// Arrays and objects model JSON (and Milvus ARRAY fields); integers and
/// doubles are kept apart so that int64 primary keys round-trip exactly.
///
/// Thread safety: const member functions are safe to call concurrently.
class Value {
 public:
  enum class Kind {
    kNull,
    kBool,
    kInt,
    kDouble,
    kString,
    kArray,
    kObject,
    kFloatVector,
    kFloat16Vector,
    kBFloat16Vector,
    kBinaryVector,
    kSparseVector
  };
  using Array = std::vector<Value>;
  using Object = std::map<std::string, Value, std::less<>>;

  /// Null.
  Value() = default;
  Value(std::nullptr_t) {}  // NOLINT(google-explicit-constructor)
  Value(bool v) : v_(v) {}  // NOLINT(google-explicit-constructor)
  Value(int v) : v_(static_cast<int64_t>(v)) {}       // NOLINT
  Value(int64_t v) : v_(v) {}                         // NOLINT
  Value(uint32_t v) : v_(static_cast<int64_t>(v)) {}  // NOLINT
  Value(double v) : v_(v) {}                          // NOLINT
  Value(float v) : v_(static_cast<double>(v)) {}      // NOLINT
  Value(const char* v) : v_(std::string(v)) {}        // NOLINT
  Value(std::string v) : v_(std::move(v)) {}          // NOLINT
  Value(std::string_view v) : v_(std::string(v)) {}   // NOLINT
  Value(Array v)                                      // NOLINT
      : v_(std::make_shared<const Array>(std::move(v))) {}
  Value(Object v)  // NOLINT
      : v_(std::make_shared<const Object>(std::move(v))) {}

  /// A float vector value.
  static Value FloatVector(std::vector<float> v) {
    Value out;
    out.v_ = std::make_shared<const std::vector<float>>(std::move(v));
    return out;
  }
  /// A float16 vector: IEEE 754 half-precision bit patterns.
  static Value Float16Vector(std::vector<uint16_t> bits) {
    Value out;
    out.v_ = std::make_shared<const Half>(Half{std::move(bits)});
    return out;
  }
  /// A bfloat16 vector: the upper 16 bits of float32 values.
  static Value BFloat16Vector(std::vector<uint16_t> bits) {
    Value out;
    out.v_ = std::make_shared<const BHalf>(BHalf{std::move(bits)});
    return out;
  }
  /// A binary vector of 8 * bytes.size() dimensions.
  static Value BinaryVector(std::vector<uint8_t> bytes) {
    Value out;
    out.v_ = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
    return out;
  }
  /// A sparse vector (indices must be strictly increasing; the engine
  /// checks it on insert).
  static Value Sparse(SparseVector v) {
    Value out;
    out.v_ = std::make_shared<const SparseVector>(std::move(v));
    return out;
  }
  /// An array built from a braced list: Value::MakeArray({1, 2, 3}).
  static Value MakeArray(std::initializer_list<Value> items) {
    return Value(Array(items));
  }
  /// An object built from a braced list of key/value pairs.
  static Value MakeObject(
      std::initializer_list<std::pair<const std::string, Value>> items) {
    return Value(Object(items));
  }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_double() const { return kind() == Kind::kDouble; }
  /// An integer or a double.
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }
  bool is_float_vector() const { return kind() == Kind::kFloatVector; }
  bool is_float16_vector() const { return kind() == Kind::kFloat16Vector; }
  bool is_bfloat16_vector() const { return kind() == Kind::kBFloat16Vector; }
  bool is_binary_vector() const { return kind() == Kind::kBinaryVector; }
  bool is_sparse_vector() const { return kind() == Kind::kSparseVector; }

  /// Accessors; calling one for another kind is a programming error (asserts
  /// in debug builds, returns a default value in release builds).
  bool AsBool() const;
  int64_t AsInt() const;
  /// The number as a double (works for ints too).
  double AsDouble() const;
  const std::string& AsString() const;
  const Array& AsArray() const;
  const Object& AsObject() const;
  const std::vector<float>& AsFloatVector() const;
  /// The bit patterns of a float16 or bfloat16 vector.
  const std::vector<uint16_t>& AsFloat16Vector() const;
  const std::vector<uint16_t>& AsBFloat16Vector() const;
  const std::vector<uint8_t>& AsBinaryVector() const;
  const SparseVector& AsSparseVector() const;

  /// Member lookup in an object; nullptr when absent or not an object.
  const Value* Find(std::string_view key) const;

  /// Structural equality; ints and doubles compare by numeric value.
  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

  /// Compact JSON text. Float vectors (float32, float16, bfloat16) are
  /// written as arrays of numbers, binary vectors as arrays of bytes, sparse
  /// vectors as objects {"index": value}.
  /// Non-finite doubles are written as null; bytes of strings that are not
  /// valid UTF-8 are written as U+FFFD.
  std::string ToJson() const;
  /// Most levels of nested arrays and objects in a JSON value (JSON fields,
  /// dynamic fields): deeper values are refused with InvalidArgument when
  /// parsed and when inserted, so that everything stored can be read back.
  static constexpr int kMaxJsonDepth = 64;

  /// Parses JSON text. Integers that fit int64 become kInt, other numbers
  /// kDouble. Errors: InvalidArgument naming the byte offset, also for
  /// arrays and objects nested more than kMaxJsonDepth levels deep.
  static absl::StatusOr<Value> FromJson(std::string_view text);

  /// A short name of the kind: "null", "bool", "int", "double", "string",
  /// "array", "object", "float_vector", "float16_vector",
  /// "bfloat16_vector", "binary_vector", "sparse_vector".
  static const char* KindName(Kind kind);

 private:
  struct Half {
    std::vector<uint16_t> bits;
  };
  struct BHalf {
    std::vector<uint16_t> bits;
  };
  std::variant<std::monostate, bool, int64_t, double, std::string,
               std::shared_ptr<const Array>, std::shared_ptr<const Object>,
               std::shared_ptr<const std::vector<float>>,
               std::shared_ptr<const Half>, std::shared_ptr<const BHalf>,
               std::shared_ptr<const std::vector<uint8_t>>,
               std::shared_ptr<const SparseVector>>
      v_;
};

/// One row: field name to value.
using Row = std::map<std::string, Value, std::less<>>;

}  // namespace cove

#endif  // COVE_INCLUDE_COVE_VALUE_H_
