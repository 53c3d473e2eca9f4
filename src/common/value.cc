// cove::Value: accessors, equality and JSON conversion (through nlohmann-json).
#include "cove/value.h"

#include <cassert>
#include <cmath>
#include <cstring>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/half.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/value_from_json.h"
#include "common/value_json.h"
#include "nlohmann/json.hpp"

namespace cove {
namespace {

using Json = nlohmann::json;

const std::string& EmptyString() {
  static const std::string s;
  return s;
}

// Deepest nesting of JSON arrays and objects accepted. FromNlohmann, ToJson
// and the destructors recurse once per level, so unbounded input nesting
// would overflow the stack; and the store's binary format reads at most 128
// levels (common/bytes.h), dynamic keys adding one.
constexpr size_t kMaxJsonDepth = Value::kMaxJsonDepth;

// The offset of the first bracket that opens level `kMaxJsonDepth + 1`, or
// npos. Brackets inside strings (with their escapes) do not count; the text
// need not be valid JSON (the parser judges that).
size_t TooDeepAt(std::string_view text) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

Value FromNlohmann(const Json& j) { return internal::ValueFromNlohmann(j); }

// Little-endian bytes of a vector's elements, as base64 (the exact form).
template <typename T>
std::string Base64Of(const std::vector<T>& v) {
  std::string bytes(v.size() * sizeof(T), '\0');
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return absl::Base64Escape(bytes);
}

template <typename T>
bool FromBase64(const Json& j, std::vector<T>* out) {
  std::string bytes;
  if (!j.is_string() || !absl::Base64Unescape(j.get<std::string>(), &bytes) ||
      bytes.size() % sizeof(T) != 0) {
    return false;
  }
  out->resize(bytes.size() / sizeof(T));
  if (!out->empty()) std::memcpy(out->data(), bytes.data(), bytes.size());
  return true;
}

Json FiniteOrNull(float f) {
  return std::isfinite(f) ? Json(static_cast<double>(f)) : Json(nullptr);
}

// The one walker of both forms (see common/value_json.h).
Json Encode(const Value& v, bool exact) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return nullptr;
    case Value::Kind::kBool:
      return v.AsBool();
    case Value::Kind::kInt:
      return v.AsInt();
    case Value::Kind::kDouble: {
      const double d = v.AsDouble();
      if (std::isfinite(d)) return d;
      if (!exact) return nullptr;
      return Json{{"$d", std::isnan(d) ? "nan" : d > 0 ? "inf" : "-inf"}};
    }
    case Value::Kind::kString:
      return v.AsString();
    case Value::Kind::kArray: {
      Json out = Json::array();
      for (const auto& item : v.AsArray()) out.push_back(Encode(item, exact));
      return out;
    }
    case Value::Kind::kObject: {
      Json out = Json::object();
      for (const auto& [k, item] : v.AsObject()) out[k] = Encode(item, exact);
      return exact ? Json{{"$o", std::move(out)}} : out;
    }
    case Value::Kind::kFloatVector: {
      if (exact) return Json{{"$f", Base64Of(v.AsFloatVector())}};
      Json out = Json::array();
      for (float f : v.AsFloatVector()) out.push_back(FiniteOrNull(f));
      return out;
    }
    case Value::Kind::kFloat16Vector:
    case Value::Kind::kBFloat16Vector: {
      const bool bf = v.is_bfloat16_vector();
      const std::vector<uint16_t>& bits =
          bf ? v.AsBFloat16Vector() : v.AsFloat16Vector();
      if (exact) return Json{{bf ? "$b" : "$h", Base64Of(bits)}};
      Json out = Json::array();
      for (uint16_t h : bits) {
        out.push_back(FiniteOrNull(bf ? internal::BFloat16ToFloat(h)
                                      : internal::HalfToFloat(h)));
      }
      return out;
    }
    case Value::Kind::kBinaryVector: {
      if (exact) return Json{{"$x", Base64Of(v.AsBinaryVector())}};
      Json out = Json::array();
      for (uint8_t b : v.AsBinaryVector()) out.push_back(b);
      return out;
    }
    case Value::Kind::kSparseVector: {
      const SparseVector& s = v.AsSparseVector();
      if (exact) {
        return Json{
            {"$s", {{"i", Base64Of(s.indices)}, {"v", Base64Of(s.values)}}}};
      }
      Json out = Json::object();
      for (size_t i = 0; i < s.indices.size(); ++i) {
        out[std::to_string(s.indices[i])] = FiniteOrNull(s.values[i]);
      }
      return out;
    }
  }
  return nullptr;
}

Json ToNlohmann(const Value& v) { return Encode(v, false); }

absl::StatusOr<Value> DecodeExact(const Json& j, size_t depth) {
  const auto bad = [] {
    return absl::InvalidArgumentError(
        "value: unknown encoding (expected a value written by "
        "ValueToExactJson)");
  };
  if (depth > kMaxJsonDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("value: nested deeper than ", kMaxJsonDepth, " levels"));
  }
  if (j.is_null()) return Value();
  if (j.is_boolean()) return Value(j.get<bool>());
  if (j.is_number_integer()) return Value(j.get<int64_t>());
  if (j.is_number_float()) return Value(j.get<double>());
  if (j.is_string()) return Value(j.get<std::string>());
  if (j.is_array()) {
    Value::Array a;
    a.reserve(j.size());
    for (const Json& x : j) {
      COVE_ASSIGN_OR_RETURN(Value v, DecodeExact(x, depth + 1));
      a.push_back(std::move(v));
    }
    return Value(std::move(a));
  }
  if (!j.is_object() || j.size() != 1) return bad();
  // The object's one member (its key lives in the object, unlike the
  // temporary that items() would make).
  const Json::const_iterator member = j.cbegin();
  const std::string& tag = member.key();
  const Json& body = member.value();
  if (tag == "$o" && body.is_object()) {
    Value::Object o;
    for (const auto& [k, x] : body.items()) {
      COVE_ASSIGN_OR_RETURN(Value v, DecodeExact(x, depth + 1));
      o.emplace(k, std::move(v));
    }
    return Value(std::move(o));
  }
  if (tag == "$d" && body.is_string()) {
    const std::string& s = body.get_ref<const std::string&>();
    if (s == "nan") return Value(std::nan(""));
    if (s == "inf") return Value(HUGE_VAL);
    if (s == "-inf") return Value(-HUGE_VAL);
    return bad();
  }
  if (tag == "$f") {
    std::vector<float> f;
    if (!FromBase64(body, &f)) return bad();
    return Value::FloatVector(std::move(f));
  }
  if (tag == "$h" || tag == "$b") {
    std::vector<uint16_t> bits;
    if (!FromBase64(body, &bits)) return bad();
    return tag == "$h" ? Value::Float16Vector(std::move(bits))
                       : Value::BFloat16Vector(std::move(bits));
  }
  if (tag == "$x") {
    std::vector<uint8_t> bytes;
    if (!FromBase64(body, &bytes)) return bad();
    return Value::BinaryVector(std::move(bytes));
  }
  if (tag == "$s" && body.is_object() && body.contains("i") &&
      body.contains("v")) {
    SparseVector s;
    if (!FromBase64(body["i"], &s.indices) ||
        !FromBase64(body["v"], &s.values) ||
        s.indices.size() != s.values.size()) {
      return bad();
    }
    return Value::Sparse(std::move(s));
  }
  return bad();
}

}  // namespace

bool Value::AsBool() const {
  assert(is_bool());
  const bool* p = std::get_if<bool>(&v_);
  return p != nullptr && *p;
}

int64_t Value::AsInt() const {
  if (const auto* p = std::get_if<int64_t>(&v_)) return *p;
  if (const auto* d = std::get_if<double>(&v_)) return static_cast<int64_t>(*d);
  assert(false && "Value::AsInt on a non-number");
  return 0;
}

double Value::AsDouble() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* p = std::get_if<int64_t>(&v_)) return static_cast<double>(*p);
  assert(false && "Value::AsDouble on a non-number");
  return 0.0;
}

const std::string& Value::AsString() const {
  if (const auto* p = std::get_if<std::string>(&v_)) return *p;
  assert(false && "Value::AsString on a non-string");
  return EmptyString();
}

const Value::Array& Value::AsArray() const {
  static const Array empty;
  if (const auto* p = std::get_if<std::shared_ptr<const Array>>(&v_)) {
    return **p;
  }
  assert(false && "Value::AsArray on a non-array");
  return empty;
}

const Value::Object& Value::AsObject() const {
  static const Object empty;
  if (const auto* p = std::get_if<std::shared_ptr<const Object>>(&v_)) {
    return **p;
  }
  assert(false && "Value::AsObject on a non-object");
  return empty;
}

const std::vector<float>& Value::AsFloatVector() const {
  static const std::vector<float> empty;
  if (const auto* p =
          std::get_if<std::shared_ptr<const std::vector<float>>>(&v_)) {
    return **p;
  }
  assert(false && "Value::AsFloatVector on a non-vector");
  return empty;
}

const std::vector<uint16_t>& Value::AsFloat16Vector() const {
  static const std::vector<uint16_t> empty;
  if (const auto* p = std::get_if<std::shared_ptr<const Half>>(&v_)) {
    return (*p)->bits;
  }
  assert(false && "Value::AsFloat16Vector on another kind");
  return empty;
}

const std::vector<uint16_t>& Value::AsBFloat16Vector() const {
  static const std::vector<uint16_t> empty;
  if (const auto* p = std::get_if<std::shared_ptr<const BHalf>>(&v_)) {
    return (*p)->bits;
  }
  assert(false && "Value::AsBFloat16Vector on another kind");
  return empty;
}

const std::vector<uint8_t>& Value::AsBinaryVector() const {
  static const std::vector<uint8_t> empty;
  if (const auto* p =
          std::get_if<std::shared_ptr<const std::vector<uint8_t>>>(&v_)) {
    return **p;
  }
  assert(false && "Value::AsBinaryVector on another kind");
  return empty;
}

const SparseVector& Value::AsSparseVector() const {
  static const SparseVector empty;
  if (const auto* p = std::get_if<std::shared_ptr<const SparseVector>>(&v_)) {
    return **p;
  }
  assert(false && "Value::AsSparseVector on another kind");
  return empty;
}

const Value* Value::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  const auto& obj = AsObject();
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &it->second;
}

bool operator==(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.AsInt() == b.AsInt();
    return a.AsDouble() == b.AsDouble();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
      return a.AsBool() == b.AsBool();
    case Value::Kind::kString:
      return a.AsString() == b.AsString();
    case Value::Kind::kArray:
      return a.AsArray() == b.AsArray();
    case Value::Kind::kObject:
      return a.AsObject() == b.AsObject();
    case Value::Kind::kFloatVector:
      return a.AsFloatVector() == b.AsFloatVector();
    case Value::Kind::kFloat16Vector:
      return a.AsFloat16Vector() == b.AsFloat16Vector();
    case Value::Kind::kBFloat16Vector:
      return a.AsBFloat16Vector() == b.AsBFloat16Vector();
    case Value::Kind::kBinaryVector:
      return a.AsBinaryVector() == b.AsBinaryVector();
    case Value::Kind::kSparseVector:
      return a.AsSparseVector() == b.AsSparseVector();
    default:
      return false;
  }
}

std::string Value::ToJson() const {
  // Strings are bytes: any that are not UTF-8 are written with U+FFFD
  // rather than making nlohmann-json throw.
  return ToNlohmann(*this).dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<Value> Value::FromJson(std::string_view text) {
  if (size_t at = TooDeepAt(text); at != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "json: nested too deeply at byte ", at, " (expected at most ",
        kMaxJsonDepth, " levels of arrays and objects)"));
  }
  Json parsed = Json::parse(text.begin(), text.end(), nullptr,
                            /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    // Locate the error for the message with the exception-throwing parser.
    std::string where = "invalid JSON";
    try {
      Json unused = Json::parse(text.begin(), text.end());
      (void)unused;
    } catch (const Json::parse_error& e) {
      where = absl::StrCat("invalid JSON at byte ", e.byte);
    } catch (...) {
    }
    return absl::InvalidArgumentError(
        absl::StrCat("json: ", where, " (expected a JSON document, got '",
                     internal::Sv(text.substr(0, 40)),
                     text.size() > 40 ? "...'" : "'", ")"));
  }
  return FromNlohmann(parsed);
}

const char* Value::KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kDouble:
      return "double";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "array";
    case Kind::kObject:
      return "object";
    case Kind::kFloatVector:
      return "float_vector";
    case Kind::kFloat16Vector:
      return "float16_vector";
    case Kind::kBFloat16Vector:
      return "bfloat16_vector";
    case Kind::kBinaryVector:
      return "binary_vector";
    case Kind::kSparseVector:
      return "sparse_vector";
  }
  return "unknown";
}

namespace internal {

nlohmann::json ValueToPlainJson(const Value& v) { return Encode(v, false); }
nlohmann::json ValueToExactJson(const Value& v) { return Encode(v, true); }
absl::StatusOr<Value> ValueFromExactJson(const nlohmann::json& j) {
  return DecodeExact(j, 0);
}

}  // namespace internal

}  // namespace cove
