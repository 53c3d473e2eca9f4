// Value <-> JSON inside the libraries: the plain form users see (what
// Value::ToJson prints) and the exact form files keep (backups), from one
// walker in value.cc.
#ifndef COVE_SRC_COMMON_VALUE_JSON_H_
#define COVE_SRC_COMMON_VALUE_JSON_H_

#include "absl/status/statusor.h"
#include "cove/value.h"
#include "nlohmann/json.hpp"

namespace cove::internal {

/// The plain JSON of a value: vectors as arrays of numbers (float16 and
/// bfloat16 widened, binary as its bytes), sparse vectors as an object of
/// index -> value, non-finite numbers as null. Lossy: for people and APIs.
nlohmann::json ValueToPlainJson(const Value& v);

/// The exact JSON of a value, which ValueFromExactJson reads back to an
/// equal value: every kind and every number, NaN and infinities included.
/// Scalars, strings and arrays are plain; the rest are one-key objects:
/// {"$o": {...}} an object, {"$d": "nan"|"inf"|"-inf"} a non-finite double,
/// and vectors as base64 of their little-endian bytes: {"$f": ...} float32,
/// {"$h": ...} float16 bits, {"$b": ...} bfloat16 bits, {"$x": ...} binary,
/// {"$s": {"i": uint32 indices, "v": float32 values}} sparse.
nlohmann::json ValueToExactJson(const Value& v);
/// Reads ValueToExactJson's form; `InvalidArgument` for anything else.
absl::StatusOr<Value> ValueFromExactJson(const nlohmann::json& j);

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_VALUE_JSON_H_
