// Fuzz target: JSON field parsing (cove::Value::FromJson over nlohmann-json,
// used for JSON fields, dynamic fields and JSON parameters on the wire),
// the JSON writer (Value::ToJson) and filters over the parsed values.
//
// Checks, for any input:
//   - FromJson returns a Value or InvalidArgument, never crashes (also for
//     deep nesting);
//   - a parsed value survives ToJson -> FromJson unchanged;
//   - the input taken as a plain string (any bytes, also invalid UTF-8)
//     writes as JSON that parses back;
//   - filters on a JSON field and on dynamic keys evaluate over the value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cove/value.h"
#include "engine/expr/expr.h"
#include "fuzz/fuzz_util.h"

namespace {

using cove::Value;
namespace expr = cove::engine::expr;

class Row : public expr::RowAccessor {
 public:
  Row(const Value* j, const Value* meta) : j_(j), meta_(meta) {}
  const Value& Get(int i) const override { return i == 0 ? *j_ : *meta_; }

 private:
  const Value* j_;
  const Value* meta_;
};

std::vector<expr::CompiledFilter> Filters() {
  expr::Schema schema;
  expr::FieldInfo f;
  f.name = "j";
  f.type = expr::FieldType::kJson;
  f.nullable = true;
  f.field_index = 0;
  schema.fields.push_back(f);
  schema.dynamic_field_index = 1;
  std::vector<expr::CompiledFilter> out;
  for (const char* text : {
           R"(j["a"] == 1)",
           R"(j["a"]["b"][0] > 2.5 or j[0] like "x%")",
           R"(json_contains(j["l"], 1) and json_contains_any(j, ["a", 2]))",
           R"(json_contains_all(j["l"], [1, "x"]))",
           R"(exists j["k"] and not (j["k"] in [true, "s", 2]))",
           R"(j["n"] + 1 < 10 and j["n"] % 3 == 1 and j["n"] ** 2 > 0)",
           R"(array_length(j["l"]) == 2 or j is null)",
           R"(a > 0 or b == "x" or $meta["c"][1] != 0)",
           R"(j == {tpl})",
       }) {
    expr::TemplateValues tv;
    tv["tpl"] = Value::MakeArray({Value(1), Value("x")});
    auto c = expr::Compile(text, schema, tv);
    if (!c.ok()) cove::fuzz::Fail(text, c.status());
    out.push_back(*std::move(c));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<expr::CompiledFilter> filters = Filters();
  if (size > (1u << 16)) return -1;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  // Any bytes as a string value: written as JSON that parses back.
  {
    Value s{std::string(text)};
    auto back = Value::FromJson(s.ToJson());
    if (!back.ok()) cove::fuzz::Fail("string round trip", back.status());
    if (!back->is_string()) {
      cove::fuzz::Fail("string round trip",
                       absl::InternalError("not a string after round trip"));
    }
  }

  auto parsed = Value::FromJson(text);
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument) {
      cove::fuzz::Fail("FromJson error code", parsed.status());
    }
    return 0;
  }
  const std::string json = parsed->ToJson();
  auto again = Value::FromJson(json);
  if (!again.ok()) cove::fuzz::Fail("FromJson(ToJson(v))", again.status());
  if (*again != *parsed) {
    cove::fuzz::Fail("FromJson(ToJson(v)) == v",
                     absl::InternalError("value changed: " + json));
  }
  static const Value empty_object{Value::Object{}};
  const Value* meta = parsed->is_object() ? &*parsed : &empty_object;
  Row row(&*parsed, meta);
  for (const auto& f : filters) (void)f.Matches(row);
  return 0;
}
