// nlohmann::json -> cove::Value, header-only so that the cove CLI (which
// links only the public library) and common/value.cc share one conversion.
// Callers bound the nesting depth before calling (Value::kMaxJsonDepth).
#ifndef COVE_SRC_COMMON_VALUE_FROM_JSON_H_
#define COVE_SRC_COMMON_VALUE_FROM_JSON_H_

#include <cstdint>
#include <string>
#include <utility>

#include "cove/value.h"
#include "nlohmann/json.hpp"

namespace cove::internal {

/// Integers stay integers (an unsigned one past INT64_MAX becomes a
/// double), objects keep their keys, discarded values are null.
inline Value ValueFromNlohmann(const nlohmann::json& j) {
  using Json = nlohmann::json;
  switch (j.type()) {
    case Json::value_t::null:
      return Value();
    case Json::value_t::boolean:
      return Value(j.get<bool>());
    case Json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case Json::value_t::number_unsigned: {
      const auto u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) {
        return Value(static_cast<int64_t>(u));
      }
      return Value(static_cast<double>(u));
    }
    case Json::value_t::number_float:
      return Value(j.get<double>());
    case Json::value_t::string:
      return Value(j.get<std::string>());
    case Json::value_t::array: {
      Value::Array items;
      items.reserve(j.size());
      for (const Json& item : j) items.push_back(ValueFromNlohmann(item));
      return Value(std::move(items));
    }
    case Json::value_t::object: {
      Value::Object members;
      for (auto it = j.begin(); it != j.end(); ++it) {
        members.emplace(it.key(), ValueFromNlohmann(it.value()));
      }
      return Value(std::move(members));
    }
    default:
      return Value();
  }
}

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_VALUE_FROM_JSON_H_
