// Search and query requests and results as Milvus protos (see convert.h):
// placeholders, search parameters as the clients send them, grouping, and
// results with their output fields.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/utf8.h"
#include "engine/sparse/sparse.h"
#include "milvus/convert.h"

// Milvus deprecated CollectionSchema.autoID (and common.Status.error_code,
// see status_convert.cc), but peers still read them: keep setting and
// reading them.
#include "milvus/convert_internal.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace cove::internal {
using convert_detail::AddKv;
using convert_detail::BuildColumn;
using convert_detail::BuildMetaColumn;
using convert_detail::FindField;
using convert_detail::GetFloatLE;
using convert_detail::Invalid;
using convert_detail::KindName;
using convert_detail::ParamString;
using convert_detail::ParamValue;
using convert_detail::ParseInt64Param;
using convert_detail::PrimaryKey;
using convert_detail::PutFloatLE;
using convert_detail::ResultOutputFields;
using convert_detail::ScalarSize;
using convert_detail::ScalarValueAt;

// --- searches and queries
// -----------------------------------------------------

namespace {

// The placeholder of float32 vectors, sparse vectors or query texts.
absl::Status UntypedPlaceholder(const SearchRequest& request,
                                milvus_pb::SearchRequest* out) {
  const size_t dim = request.dim;
  const bool sparse = !request.sparse_vectors.empty();
  const bool texts = !request.texts.empty();
  common_pb::PlaceholderGroup group;
  common_pb::PlaceholderValue* ph = group.add_placeholders();
  ph->set_tag("$0");
  ph->set_type(texts    ? common_pb::PlaceholderType::VarChar
               : sparse ? common_pb::PlaceholderType::SparseFloatVector
                        : common_pb::PlaceholderType::FloatVector);
  const size_t nq = texts    ? request.texts.size()
                    : sparse ? request.sparse_vectors.size()
                             : request.vectors.size() / dim;
  for (size_t q = 0; texts && q < nq; ++q) ph->add_values(request.texts[q]);
  for (size_t q = 0; sparse && q < nq; ++q) {
    COVE_RETURN_IF_ERROR(engine::sparse::Check(
        request.sparse_vectors[q], absl::StrCat("search data ", q)));
    ph->add_values(engine::sparse::ToBytes(request.sparse_vectors[q]));
  }
  for (size_t q = 0; !sparse && !texts && q < nq; ++q) {
    std::string* bytes = ph->add_values();
    bytes->reserve(dim * 4);
    for (size_t i = 0; i < dim; ++i) {
      PutFloatLE(request.vectors[q * dim + i], bytes);
    }
  }
  out->set_placeholder_group(group.SerializeAsString());
  out->set_nq(static_cast<int64_t>(nq));
  return absl::OkStatus();
}

// The placeholder of FLOAT16 / BFLOAT16 / BINARY query vectors: one value of
// one kind per query, their bytes little-endian (Milvus' Float16Vector 102,
// BFloat16Vector 103, BinaryVector 100).
absl::Status TypedPlaceholder(const std::vector<Value>& values,
                              milvus_pb::SearchRequest* out) {
  common_pb::PlaceholderGroup group;
  common_pb::PlaceholderValue* ph = group.add_placeholders();
  ph->set_tag("$0");
  const Value::Kind kind = values.front().kind();
  switch (kind) {
    case Value::Kind::kFloat16Vector:
      ph->set_type(common_pb::PlaceholderType::Float16Vector);
      break;
    case Value::Kind::kBFloat16Vector:
      ph->set_type(common_pb::PlaceholderType::BFloat16Vector);
      break;
    case Value::Kind::kBinaryVector:
      ph->set_type(common_pb::PlaceholderType::BinaryVector);
      break;
    default:
      return Invalid(absl::StrCat(
          "search data: typed query vectors must be float16, bfloat16 or "
          "binary vectors (got ",
          KindName(values.front()), ")"));
  }
  for (size_t q = 0; q < values.size(); ++q) {
    const Value& v = values[q];
    if (v.kind() != kind) {
      return Invalid(absl::StrCat(
          "search data: query ", q, " is a ", KindName(v), " (expected ",
          KindName(values.front()), " as the first query)"));
    }
    std::string* bytes = ph->add_values();
    if (v.is_binary_vector()) {
      const std::vector<uint8_t>& b = v.AsBinaryVector();
      bytes->assign(b.begin(), b.end());
      continue;
    }
    const std::vector<uint16_t>& h =
        v.is_float16_vector() ? v.AsFloat16Vector() : v.AsBFloat16Vector();
    bytes->reserve(2 * h.size());
    for (uint16_t x : h) {
      bytes->push_back(static_cast<char>(x & 0xff));
      bytes->push_back(static_cast<char>(x >> 8));
    }
  }
  out->set_placeholder_group(group.SerializeAsString());
  out->set_nq(static_cast<int64_t>(values.size()));
  return absl::OkStatus();
}

}  // namespace

absl::Status SearchRequestToProto(const SearchRequest& request,
                                  milvus_pb::SearchRequest* out) {
  const size_t dim = request.dim;
  const bool sparse = !request.sparse_vectors.empty();
  const bool texts = !request.texts.empty();
  const bool typed = !request.vector_values.empty();
  if ((texts ? 1 : 0) + (sparse ? 1 : 0) + (typed ? 1 : 0) +
          (request.vectors.empty() ? 0 : 1) >
      1) {
    return Invalid(
        "search data: give query texts, sparse vectors, typed vector values "
        "or dense vectors, not two of them");
  }
  if (typed) {
    COVE_RETURN_IF_ERROR(TypedPlaceholder(request.vector_values, out));
  } else if (!sparse && !texts &&
             (dim == 0 || request.vectors.empty() ||
              request.vectors.size() % dim != 0)) {
    return Invalid(
        absl::StrCat("search vectors: expected whole vectors of dim ", dim,
                     " (got ", request.vectors.size(), " floats)"));
  }
  for (const auto& p : request.partition_names) out->add_partition_names(p);
  out->set_dsl(request.filter);
  out->set_dsl_type(common_pb::BoolExprV1);
  for (const auto& f : request.output_fields) out->add_output_fields(f);
  if (!typed) COVE_RETURN_IF_ERROR(UntypedPlaceholder(request, out));
  auto* sp = out->mutable_search_params();
  AddKv(sp, "anns_field", request.anns_field);
  AddKv(sp, "topk", absl::StrCat(request.limit));
  AddKv(sp, "offset", absl::StrCat(request.offset));
  AddKv(sp, "metric_type",
        request.metric_type.has_value() ? MetricTypeName(*request.metric_type)
                                        : "");
  Value::Object params;
  for (const auto& [k, v] : request.params) params.emplace(k, v);
  AddKv(sp, "params", Value(std::move(params)).ToJson());
  AddKv(sp, "round_decimal", "-1");
  if (!request.group_by_field.empty()) {
    AddKv(sp, "group_by_field", request.group_by_field);
    AddKv(sp, "group_size", absl::StrCat(request.group_size));
    AddKv(sp, "strict_group_size",
          request.strict_group_size ? "true" : "false");
  }
  if (!request.session_id.empty()) {
    AddKv(sp, kCoveSessionIdKey, request.session_id);
  }
  if (request.search_after.has_value()) {
    AddKv(sp, kCoveSearchAfterDistance,
          absl::StrFormat("%a", request.search_after->distance));
    AddKv(sp, kCoveSearchAfterId, request.search_after->id.ToJson());
  }
  for (const auto& [name, value] : request.filter_params) {
    COVE_ASSIGN_OR_RETURN(auto tv, TemplateValueToProto(value));
    (*out->mutable_expr_template_values())[name] = std::move(tv);
  }
  out->set_consistency_level(common_pb::Strong);
  out->set_use_default_consistency(false);
  return absl::OkStatus();
}

namespace {

// Search keys Milvus defines that cove does not implement: refused, naming
// the feature, never ignored.
absl::Status RefuseSearchKey(const std::string& key) {
  if (key == "iterator" || key == "search_iter_v2" ||
      key == "search_iter_batch_size" || key == "search_iter_last_bound" ||
      key == "search_iter_id" || key == "iterator_session_ts") {
    return absl::UnimplementedError(absl::StrCat(
        "search param '", key,
        "': Milvus' search iterator (iterator, search_iter_v2) pages one "
        "search, not the sub-requests of a hybrid search"));
  }
  if (key == "analyzer_name") {
    return absl::UnimplementedError(
        "search param 'analyzer_name': text analyzers (full-text search) are "
        "not supported by cove");
  }
  if (key == "rank_group_scorer" || key == "reduce_stop_for_best") {
    return absl::UnimplementedError(absl::StrCat(
        "search param '", key, "' is not supported by cove-server"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("search param '", ValidUtf8(key),
                   "' is not supported by cove-server (expected anns_field, "
                   "topk, offset, metric_type, params, round_decimal, "
                   "ignore_growing, hints)"));
}

// Keys read elsewhere (round_decimal, by the server) or that change
// nothing in cove: checked here.
bool IsAcceptedSearchKey(const std::string& key) {
  return key == "round_decimal" || key == "ignore_growing" || key == "hints" ||
         key == "collection_id" || key == "page_retain_order";
}

absl::Status CheckAcceptedSearchKey(const std::string& key,
                                    const std::string& value) {
  if (key == "round_decimal") {
    int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < -1 || n > 6) {
      return Invalid(
          absl::StrCat("search param 'round_decimal': expected -1 to 6 (got '",
                       ValidUtf8(value), "')"));
    }
  } else if (key == "ignore_growing" || key == "page_retain_order") {
    // Cove searches every segment; pages keep (distance, id) order.
    if (absl::AsciiStrToLower(value) == "true") {
      if (key == "ignore_growing") {
        return absl::UnimplementedError(
            "search param 'ignore_growing': skipping the growing segment is "
            "not supported by cove (every acknowledged write is searched)");
      }
    } else if (absl::AsciiStrToLower(value) != "false" && !value.empty()) {
      return Invalid(absl::StrCat("search param '", key,
                                  "': expected true or false (got '",
                                  ValidUtf8(value), "')"));
    }
  }
  if (key == "hints" && !value.empty() && value != "iterative_filter") {
    // Milvus' one hint; cove's filtered search needs none, but a value it
    // does not know is refused, not ignored.
    return Invalid(absl::StrCat("search param 'hints': unknown hint '",
                                ValidUtf8(value),
                                "' (expected iterative_filter)"));
  }
  // collection_id: the collection is named by collection_name.
  return absl::OkStatus();
}

bool IsIteratorKey(const std::string& key) {
  return key == "iterator" || key == "search_iter_v2" ||
         key == "search_iter_batch_size" || key == "search_iter_last_bound" ||
         key == "search_iter_id" || key == "guarantee_timestamp";
}

absl::Status ReadBoolKey(const std::string& key, const std::string& value,
                         bool* out) {
  const std::string lower = absl::AsciiStrToLower(value);
  if (lower != "true" && lower != "false") {
    return Invalid(absl::StrCat("search param '", key,
                                "': expected true or false (got '",
                                ValidUtf8(value), "')"));
  }
  *out = lower == "true";
  return absl::OkStatus();
}

// The keys of Milvus' search iterator (v2), as pymilvus and the Node SDK send
// them: "iterator" and "search_iter_v2" true, the batch size, and from the
// second page the token and the last page's bound.
absl::Status ReadIteratorKey(const std::string& key, const std::string& value,
                             SearchIteratorKeys* out) {
  if (key == "iterator") return ReadBoolKey(key, value, &out->iterator);
  if (key == "search_iter_v2") return ReadBoolKey(key, value, &out->v2);
  if (key == "search_iter_batch_size") {
    int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < 1) {
      return Invalid(absl::StrCat(
          "search param 'search_iter_batch_size': expected a positive "
          "integer (got '",
          ValidUtf8(value), "')"));
    }
    out->batch_size = n;
    return absl::OkStatus();
  }
  if (key == "search_iter_last_bound") {
    double d = 0;
    if (!absl::SimpleAtod(value, &d) || !std::isfinite(d)) {
      return Invalid(absl::StrCat(
          "search param 'search_iter_last_bound': expected a finite number "
          "(got '",
          ValidUtf8(value), "')"));
    }
    out->last_bound = static_cast<float>(d);
    return absl::OkStatus();
  }
  if (key == "search_iter_id") {
    out->token = value;
    return absl::OkStatus();
  }
  // guarantee_timestamp: a hybrid timestamp (0: none).
  uint64_t ts = 0;
  if (!absl::SimpleAtoi(value, &ts)) {
    return Invalid(absl::StrCat(
        "search param 'guarantee_timestamp': expected a non-negative integer "
        "(got '",
        ValidUtf8(value), "')"));
  }
  out->guarantee_timestamp = ts;
  return absl::OkStatus();
}

bool IsGroupingKey(const std::string& key) {
  return key == "group_by_field" || key == "group_size" ||
         key == "strict_group_size";
}

// group_by_field, group_size and strict_group_size, as the SDKs send them
// ("2", "True", "true").
absl::Status ReadGroupingKey(const std::string& key, const std::string& value,
                             SearchRequest* out) {
  if (key == "group_by_field") {
    out->group_by_field = value;
  } else if (key == "group_size") {
    int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < 1) {
      return Invalid(absl::StrCat(
          "search param 'group_size': expected a positive integer (got '",
          ValidUtf8(value), "')"));
    }
    out->group_size = n;
  } else {
    const std::string lower = absl::AsciiStrToLower(value);
    if (lower != "true" && lower != "false") {
      return Invalid(absl::StrCat(
          "search param 'strict_group_size': expected true or false (got '",
          ValidUtf8(value), "')"));
    }
    out->strict_group_size = lower == "true";
  }
  return absl::OkStatus();
}

// Numbers may arrive as strings ("10"), as Milvus reads them.
Value NumberFromString(const Value& v) {
  if (!v.is_string()) return v;
  const std::string& text = v.AsString();
  int64_t i = 0;
  if (absl::SimpleAtoi(text, &i)) return Value(i);
  double d = 0;
  if (absl::SimpleAtod(text, &d) && std::isfinite(d)) return Value(d);
  return v;
}

// The `params` JSON of a search: null, empty or an object; pymilvus also
// puts its top-level keys in it (metric_type, offset, ...).
absl::Status ReadSearchParamsJson(const std::string& json, SearchRequest* out,
                                  SearchIteratorKeys* iterator) {
  if (json.empty()) return absl::OkStatus();
  auto parsed = Value::FromJson(json);
  if (parsed.ok() && parsed->is_null()) return absl::OkStatus();
  if (!parsed.ok() || !parsed->is_object()) {
    return Invalid(
        absl::StrCat("search params: expected a JSON object or null (got '",
                     ValidUtf8(json), "')"));
  }
  for (const auto& [k, v] : parsed->AsObject()) {
    if (k == "params") {
      if (v.is_null()) continue;
      if (!v.is_object()) {
        return Invalid(
            absl::StrCat("search params.params: expected a JSON object (got ",
                         ValidUtf8(v.ToJson()), ")"));
      }
      for (const auto& [k2, v2] : v.AsObject()) {
        out->params[k2] = NumberFromString(v2);
      }
    } else if (k == "metric_type") {
      if (!v.is_string() || v.AsString().empty()) continue;
      COVE_ASSIGN_OR_RETURN(auto m, ParseMetricType(v.AsString()));
      out->metric_type = m;
    } else if (k == "offset") {
      Value n = NumberFromString(v);
      if (!n.is_int() || n.AsInt() < 0) {
        return Invalid(absl::StrCat(
            "search params offset: expected a non-negative integer (got ",
            ValidUtf8(v.ToJson()), ")"));
      }
      if (n.AsInt() > 0) out->offset = n.AsInt();
    } else if (k == "round_decimal" || k == "ignore_growing" || k == "hints" ||
               k == "page_retain_order") {
      std::string text = v.is_string() ? v.AsString() : v.ToJson();
      COVE_RETURN_IF_ERROR(CheckAcceptedSearchKey(k, text));
    } else if (IsGroupingKey(k)) {
      COVE_RETURN_IF_ERROR(
          ReadGroupingKey(k, v.is_string() ? v.AsString() : v.ToJson(), out));
    } else if (iterator != nullptr && IsIteratorKey(k)) {
      COVE_RETURN_IF_ERROR(ReadIteratorKey(
          k, v.is_string() ? v.AsString() : v.ToJson(), iterator));
    } else if (k == "collection_id") {
      // Named by collection_name; iterators send both.
    } else if (k == "iterator" || k == "search_iter_v2" ||
               k == "analyzer_name") {
      return RefuseSearchKey(k);
    } else {
      out->params[k] = NumberFromString(v);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SearchRequest> SearchRequestFromProto(
    const milvus_pb::SearchRequest& proto, SearchIteratorKeys* iterator) {
  SearchRequest out;
  out.collection_name = proto.collection_name();
  out.partition_names.assign(proto.partition_names().begin(),
                             proto.partition_names().end());
  out.filter = proto.dsl();
  out.output_fields.assign(proto.output_fields().begin(),
                           proto.output_fields().end());
  for (const auto& [name, value] : proto.expr_template_values()) {
    out.filter_params[name] = TemplateValueFromProto(value);
  }
  if (proto.sub_reqs_size() > 0) {
    return absl::UnimplementedError(
        "search sub_reqs: hybrid search is not supported by cove");
  }
  common_pb::PlaceholderGroup group;
  if (!group.ParseFromString(proto.placeholder_group())) {
    return Invalid(
        "search placeholder_group: not a serialized "
        "PlaceholderGroup");
  }
  if (group.placeholders_size() != 1) {
    return Invalid(
        absl::StrCat("search placeholder_group: expected one placeholder (got ",
                     group.placeholders_size(), ")"));
  }
  const common_pb::PlaceholderValue& ph = group.placeholders(0);
  if (ph.type() == common_pb::PlaceholderType::SparseFloatVector) {
    for (int q = 0; q < ph.values_size(); ++q) {
      COVE_ASSIGN_OR_RETURN(SparseVector v,
                            engine::sparse::FromBytes(
                                ph.values(q), absl::StrCat("search data ", q)));
      out.sparse_vectors.push_back(std::move(v));
    }
    if (out.sparse_vectors.empty()) {
      return Invalid("search placeholder_group: no query vectors");
    }
  } else if (ph.type() == common_pb::PlaceholderType::VarChar) {
    // Full-text search: one UTF-8 query text per value.
    for (int q = 0; q < ph.values_size(); ++q) {
      out.texts.push_back(ph.values(q));
    }
    if (out.texts.empty()) {
      return Invalid("search placeholder_group: no query texts");
    }
  } else if (ph.type() == common_pb::PlaceholderType::Float16Vector ||
             ph.type() == common_pb::PlaceholderType::BFloat16Vector ||
             ph.type() == common_pb::PlaceholderType::BinaryVector) {
    // One query per value: 16-bit values little-endian, or binary bytes
    // (8 dimensions each).
    const bool binary = ph.type() == common_pb::PlaceholderType::BinaryVector;
    for (int q = 0; q < ph.values_size(); ++q) {
      const std::string& bytes = ph.values(q);
      if (bytes.empty() || (!binary && bytes.size() % 2 != 0)) {
        return Invalid(
            absl::StrCat("search vectors: query ", q, " has ", bytes.size(),
                         " bytes (expected a non-empty ",
                         binary ? "byte string" : "multiple of 2", ")"));
      }
      if (binary) {
        out.vector_values.push_back(Value::BinaryVector(
            std::vector<uint8_t>(bytes.begin(), bytes.end())));
        continue;
      }
      std::vector<uint16_t> h(bytes.size() / 2);
      for (size_t i = 0; i < h.size(); ++i) {
        h[i] = static_cast<uint16_t>(
            static_cast<uint8_t>(bytes[2 * i]) |
            (static_cast<uint16_t>(static_cast<uint8_t>(bytes[2 * i + 1]))
             << 8));
      }
      out.vector_values.push_back(
          ph.type() == common_pb::PlaceholderType::Float16Vector
              ? Value::Float16Vector(std::move(h))
              : Value::BFloat16Vector(std::move(h)));
    }
    if (out.vector_values.empty()) {
      return Invalid("search placeholder_group: no query vectors");
    }
  } else if (ph.type() != common_pb::PlaceholderType::FloatVector) {
    return absl::UnimplementedError(absl::StrCat(
        "search placeholder_group: only FloatVector (101), Float16Vector "
        "(102), BFloat16Vector (103), BinaryVector (100), "
        "SparseFloatVector (104) and VarChar (21, query texts) queries are "
        "supported by cove (got type ",
        static_cast<int>(ph.type()), ")"));
  }
  size_t bytes_per_query = 0;
  for (int q = 0; out.sparse_vectors.empty() && out.texts.empty() &&
                  out.vector_values.empty() && q < ph.values_size();
       ++q) {
    const std::string& bytes = ph.values(q);
    if (bytes.empty() || bytes.size() % 4 != 0 ||
        (q > 0 && bytes.size() != bytes_per_query)) {
      return Invalid(absl::StrCat(
          "search vectors: query ", q, " has ", bytes.size(),
          " bytes (expected a non-empty multiple of 4, the same for every "
          "query)"));
    }
    bytes_per_query = bytes.size();
    for (size_t i = 0; i < bytes.size(); i += 4) {
      out.vectors.push_back(GetFloatLE(bytes.data() + i));
    }
  }
  out.dim = bytes_per_query / 4;
  bool have_limit = false;
  std::optional<float> after_distance;
  std::optional<Value> after_id;
  // Keys at the top level that are not Milvus' own: the Node SDK copies the
  // keys of `params` up there; any other is refused below.
  std::map<std::string, std::string> extra;
  for (const common_pb::KeyValuePair& kv : proto.search_params()) {
    const std::string& key = kv.key();
    const std::string& value = kv.value();
    if (key == kCoveSessionIdKey) {
      out.session_id = value;
    } else if (key == kCoveSearchAfterDistance) {
      char* end = nullptr;
      const float d = std::strtof(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size() ||
          !std::isfinite(d)) {
        return Invalid(absl::StrCat("search param '", kCoveSearchAfterDistance,
                                    "': expected a finite float (got '",
                                    ValidUtf8(value), "')"));
      }
      after_distance = d;
    } else if (key == kCoveSearchAfterId) {
      auto id = Value::FromJson(value);
      if (!id.ok() || !(id->is_int() || id->is_string())) {
        return Invalid(
            absl::StrCat("search param '", kCoveSearchAfterId,
                         "': expected a JSON integer or string (got '",
                         ValidUtf8(value), "')"));
      }
      after_id = *std::move(id);
    } else if (key == "anns_field") {
      out.anns_field = value;
    } else if (key == "topk" || key == "limit") {
      COVE_ASSIGN_OR_RETURN(auto n, ParseInt64Param("search topk", value));
      out.limit = n;
      have_limit = true;
    } else if (key == "offset") {
      COVE_ASSIGN_OR_RETURN(auto n, ParseInt64Param("search offset", value));
      out.offset = n;
    } else if (key == "metric_type") {
      if (value.empty()) continue;
      COVE_ASSIGN_OR_RETURN(auto m, ParseMetricType(value));
      out.metric_type = m;
    } else if (key == "params") {
      COVE_RETURN_IF_ERROR(ReadSearchParamsJson(value, &out, iterator));
    } else if (iterator != nullptr && IsIteratorKey(key)) {
      COVE_RETURN_IF_ERROR(ReadIteratorKey(key, value, iterator));
    } else if (IsGroupingKey(key)) {
      COVE_RETURN_IF_ERROR(ReadGroupingKey(key, value, &out));
    } else if (IsAcceptedSearchKey(key)) {
      COVE_RETURN_IF_ERROR(CheckAcceptedSearchKey(key, value));
    } else {
      extra[key] = value;
    }
  }
  for (const auto& [key, value] : extra) {
    // A copy of a key of `params` (what the Node SDK sends) is fine.
    auto it = out.params.find(key);
    if (it != out.params.end() &&
        (it->second.ToJson() == value ||
         (it->second.is_string() && it->second.AsString() == value))) {
      continue;
    }
    COVE_RETURN_IF_ERROR(RefuseSearchKey(key));
  }
  if (!have_limit) {
    return Invalid("search params: 'topk' is missing");
  }
  if (after_distance.has_value() != after_id.has_value()) {
    return Invalid(absl::StrCat("search params: '", kCoveSearchAfterDistance,
                                "' and '", kCoveSearchAfterId,
                                "' go together (got one)"));
  }
  if (after_distance.has_value()) {
    out.search_after = SearchCursor{*after_distance, *std::move(after_id)};
  }
  return out;
}

absl::Status SearchResultsToProto(const SearchResults& results,
                                  const CollectionSchema& schema,
                                  const SearchRequest& request,
                                  milvus_pb::SearchResults* out) {
  schema_pb::SearchResultData* data = out->mutable_results();
  data->set_num_queries(static_cast<int64_t>(results.hits.size()));
  data->set_top_k(request.limit);
  const FieldSchema* pk = PrimaryKey(schema);
  if (pk != nullptr) data->set_primary_field_name(pk->name);
  std::vector<Value> ids;
  std::vector<const Row*> entities;
  for (const auto& hits : results.hits) {
    data->add_topks(static_cast<int64_t>(hits.size()));
    for (const Hit& hit : hits) {
      ids.push_back(hit.id);
      data->add_scores(hit.distance);
      entities.push_back(&hit.entity);
    }
  }
  if (pk != nullptr && pk->type == DataType::kVarChar) {
    data->mutable_ids()->mutable_str_id();
  } else {
    data->mutable_ids()->mutable_int_id();
  }
  if (!ids.empty()) IdsToProto(ids, data->mutable_ids());
  COVE_RETURN_IF_ERROR(
      EntitiesToFieldData(schema, entities, {}, data->mutable_fields_data()));
  ResultOutputFields(schema, data->fields_data(), request.output_fields,
                     data->mutable_output_fields());
  if (!request.group_by_field.empty()) {
    // The value of each hit's group, as Milvus sends it.
    const FieldSchema* field = FindField(schema, request.group_by_field);
    if (field != nullptr) {
      std::vector<Row> values;
      for (const auto& hits : results.hits) {
        for (const Hit& hit : hits) {
          values.push_back(Row{{field->name, hit.group_by_value}});
        }
      }
      std::vector<const Row*> ptrs;
      for (const Row& r : values) ptrs.push_back(&r);
      COVE_RETURN_IF_ERROR(BuildColumn(*field, ptrs, /*insert=*/false,
                                       data->mutable_group_by_field_value()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SearchResults> SearchResultsFromProto(
    const milvus_pb::SearchResults& proto) {
  const schema_pb::SearchResultData& data = proto.results();
  std::vector<Value> ids = IdsFromProto(data.ids());
  COVE_ASSIGN_OR_RETURN(
      auto rows, FieldDataToRows(data.fields_data(), /*omit_nulls=*/false));
  if (data.scores_size() != static_cast<int>(ids.size())) {
    return Invalid(absl::StrCat("search results: ", ids.size(), " ids but ",
                                data.scores_size(), " scores"));
  }
  const bool have_rows = !rows.empty();
  if (have_rows && rows.size() != ids.size()) {
    return Invalid(absl::StrCat("search results: ", ids.size(), " ids but ",
                                rows.size(), " entities"));
  }
  // Grouping searches: the group value of every hit.
  std::vector<Value> group_values;
  if (data.has_group_by_field_value()) {
    google::protobuf::RepeatedPtrField<schema_pb::FieldData> one;
    *one.Add() = data.group_by_field_value();
    COVE_ASSIGN_OR_RETURN(auto values,
                          FieldDataToRows(one, /*omit_nulls=*/false));
    const std::string& name = data.group_by_field_value().field_name();
    for (const Row& r : values) {
      auto it = r.find(name);
      group_values.push_back(it == r.end() ? Value() : it->second);
    }
    if (group_values.size() != ids.size()) {
      return Invalid(absl::StrCat("search results: ", ids.size(), " ids but ",
                                  group_values.size(),
                                  " group_by_field_value values"));
    }
  }
  SearchResults out;
  size_t at = 0;
  for (int64_t k : data.topks()) {
    if (k < 0 || at + static_cast<size_t>(k) > ids.size()) {
      return Invalid("search results: topks do not match the ids");
    }
    std::vector<Hit> hits;
    hits.reserve(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i, ++at) {
      Hit hit;
      hit.id = ids[at];
      hit.distance = data.scores(static_cast<int>(at));
      if (have_rows) {
        hit.entity = std::move(rows[at]);
      } else if (!data.primary_field_name().empty()) {
        hit.entity[data.primary_field_name()] = hit.id;
      }
      if (!group_values.empty()) hit.group_by_value = group_values[at];
      hits.push_back(std::move(hit));
    }
    out.hits.push_back(std::move(hits));
  }
  // Some servers omit topks when nq queries all found nothing.
  while (static_cast<int64_t>(out.hits.size()) < data.num_queries()) {
    out.hits.emplace_back();
  }
  return out;
}

absl::Status QueryRequestToProto(const QueryRequest& request,
                                 milvus_pb::QueryRequest* out) {
  out->set_expr(request.filter);
  for (const auto& f : request.output_fields) out->add_output_fields(f);
  for (const auto& p : request.partition_names) out->add_partition_names(p);
  if (request.limit > 0) {
    AddKv(out->mutable_query_params(), "limit", absl::StrCat(request.limit));
  }
  if (request.offset > 0) {
    AddKv(out->mutable_query_params(), "offset", absl::StrCat(request.offset));
  }
  if (!request.session_id.empty()) {
    AddKv(out->mutable_query_params(), kCoveSessionIdKey, request.session_id);
  }
  for (const auto& [name, value] : request.filter_params) {
    COVE_ASSIGN_OR_RETURN(auto tv, TemplateValueToProto(value));
    (*out->mutable_expr_template_values())[name] = std::move(tv);
  }
  out->set_consistency_level(common_pb::Strong);
  out->set_use_default_consistency(false);
  return absl::OkStatus();
}

absl::StatusOr<QueryRequest> QueryRequestFromProto(
    const milvus_pb::QueryRequest& proto) {
  QueryRequest out;
  out.collection_name = proto.collection_name();
  out.filter = proto.expr();
  out.output_fields.assign(proto.output_fields().begin(),
                           proto.output_fields().end());
  out.partition_names.assign(proto.partition_names().begin(),
                             proto.partition_names().end());
  for (const auto& [name, value] : proto.expr_template_values()) {
    out.filter_params[name] = TemplateValueFromProto(value);
  }
  for (const common_pb::KeyValuePair& kv : proto.query_params()) {
    if (kv.key() == "limit") {
      COVE_ASSIGN_OR_RETURN(auto n, ParseInt64Param("query limit", kv.value()));
      out.limit = n;
    } else if (kv.key() == "offset") {
      COVE_ASSIGN_OR_RETURN(auto n,
                            ParseInt64Param("query offset", kv.value()));
      out.offset = n;
    } else if (kv.key() == kCoveSessionIdKey) {
      out.session_id = kv.value();
    } else if (kv.key() == "iterator" || kv.key() == "reduce_stop_for_best" ||
               kv.key() == "collection_id" || kv.key() == kCoveReadSessionKey) {
      // iterator: the server returns rows in primary key order (see
      // QueryWantsKeyOrder); the others change nothing in cove.
    } else if (kv.key() == "ignore_growing") {
      if (absl::AsciiStrToLower(kv.value()) == "true") {
        return absl::UnimplementedError(
            "query param 'ignore_growing': skipping the growing segment is not "
            "supported by cove (every acknowledged write is read)");
      }
    } else {
      return Invalid(absl::StrCat(
          "query param '", ValidUtf8(kv.key()),
          "' is not supported by cove-server (expected limit, offset, "
          "iterator, reduce_stop_for_best, ignore_growing, collection_id)"));
    }
  }
  return out;
}

bool QueryWantsKeyOrder(const milvus_pb::QueryRequest& proto) {
  return absl::AsciiStrToLower(
             FindKeyValue(proto.query_params(), "iterator")) == "true";
}

absl::Status QueryResultsToProto(const std::vector<Row>& rows,
                                 const CollectionSchema& schema,
                                 const QueryRequest& request,
                                 milvus_pb::QueryResults* out) {
  std::vector<const Row*> ptrs;
  ptrs.reserve(rows.size());
  for (const Row& r : rows) ptrs.push_back(&r);
  std::vector<std::string> named;
  for (const std::string& f : request.output_fields) {
    if (f == kCountStar || FindField(schema, f) != nullptr) named.push_back(f);
  }
  COVE_RETURN_IF_ERROR(
      EntitiesToFieldData(schema, ptrs, named, out->mutable_fields_data()));
  ResultOutputFields(schema, out->fields_data(), request.output_fields,
                     out->mutable_output_fields());
  if (const FieldSchema* pk = PrimaryKey(schema)) {
    out->set_primary_field_name(pk->name);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Row>> QueryResultsFromProto(
    const milvus_pb::QueryResults& proto) {
  return FieldDataToRows(proto.fields_data(), /*omit_nulls=*/false);
}

absl::Status DeleteRequestToProto(const DeleteRequest& request,
                                  milvus_pb::DeleteRequest* out) {
  out->set_partition_name(request.partition_name);
  out->set_expr(request.filter);
  for (const auto& [name, value] : request.filter_params) {
    COVE_ASSIGN_OR_RETURN(auto tv, TemplateValueToProto(value));
    (*out->mutable_expr_template_values())[name] = std::move(tv);
  }
  out->set_consistency_level(common_pb::Strong);
  return absl::OkStatus();
}

DeleteRequest DeleteRequestFromProto(const milvus_pb::DeleteRequest& proto) {
  DeleteRequest out;
  out.collection_name = proto.collection_name();
  out.partition_name = proto.partition_name();
  out.filter = proto.expr();
  for (const auto& [name, value] : proto.expr_template_values()) {
    out.filter_params[name] = TemplateValueFromProto(value);
  }
  return out;
}

absl::Status HybridSearchRequestToProto(const HybridSearchRequest& request,
                                        milvus_pb::HybridSearchRequest* out) {
  out->set_collection_name(request.collection_name);
  for (const auto& p : request.partition_names) out->add_partition_names(p);
  for (const auto& f : request.output_fields) out->add_output_fields(f);
  for (size_t i = 0; i < request.requests.size(); ++i) {
    milvus_pb::SearchRequest* sub = out->add_requests();
    sub->set_collection_name(request.collection_name);
    SearchRequest r = request.requests[i];
    r.offset = 0;
    r.output_fields.clear();
    r.partition_names = request.partition_names;
    COVE_RETURN_IF_ERROR(SearchRequestToProto(r, sub));
  }
  const Ranker& ranker = request.ranker;
  Value::Object params;
  if (ranker.kind == Ranker::Kind::kRRF) {
    AddKv(out->mutable_rank_params(), "strategy", "rrf");
    params.emplace("k", Value(ranker.k));
  } else {
    AddKv(out->mutable_rank_params(), "strategy", "weighted");
    Value::Array weights;
    for (double w : ranker.weights) weights.push_back(Value(w));
    params.emplace("weights", Value(std::move(weights)));
    params.emplace("norm_score", Value(ranker.norm_score));
  }
  AddKv(out->mutable_rank_params(), "params",
        Value(std::move(params)).ToJson());
  AddKv(out->mutable_rank_params(), "limit", absl::StrCat(request.limit));
  AddKv(out->mutable_rank_params(), "offset", absl::StrCat(request.offset));
  AddKv(out->mutable_rank_params(), "round_decimal", "-1");
  if (!request.group_by_field.empty()) {
    // As pymilvus sends them (its hybrid_search keyword arguments).
    AddKv(out->mutable_rank_params(), "group_by_field", request.group_by_field);
    AddKv(out->mutable_rank_params(), "group_size",
          absl::StrCat(request.group_size));
    AddKv(out->mutable_rank_params(), "strict_group_size",
          request.strict_group_size ? "True" : "False");
    AddKv(out->mutable_rank_params(), "rank_group_scorer",
          request.group_scorer);
  }
  out->set_consistency_level(common_pb::Strong);
  out->set_use_default_consistency(false);
  return absl::OkStatus();
}

absl::StatusOr<HybridSearchRequest> HybridSearchRequestFromProto(
    const milvus_pb::HybridSearchRequest& proto) {
  HybridSearchRequest out;
  out.collection_name = proto.collection_name();
  out.partition_names.assign(proto.partition_names().begin(),
                             proto.partition_names().end());
  out.output_fields.assign(proto.output_fields().begin(),
                           proto.output_fields().end());
  for (int i = 0; i < proto.requests_size(); ++i) {
    auto sub = SearchRequestFromProto(proto.requests(i));
    if (!sub.ok()) {
      return absl::Status(sub.status().code(),
                          absl::StrCat("hybrid search request ", i, ": ",
                                       sub.status().message()));
    }
    out.requests.push_back(*std::move(sub));
  }
  std::string strategy = "rrf";
  std::string params_json;
  for (const common_pb::KeyValuePair& kv : proto.rank_params()) {
    const std::string& key = kv.key();
    const std::string& value = kv.value();
    if (key == "strategy") {
      strategy = absl::AsciiStrToLower(value);
    } else if (key == "params") {
      params_json = value;
    } else if (key == "limit" || key == "offset") {
      COVE_ASSIGN_OR_RETURN(
          auto n, ParseInt64Param(absl::StrCat("hybrid search ", key), value));
      (key == "limit" ? out.limit : out.offset) = n;
    } else if (key == "round_decimal") {
      int64_t n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < -1 || n > 6) {
        return Invalid(
            absl::StrCat("hybrid search round_decimal: expected -1 to 6 (got '",
                         ValidUtf8(value), "')"));
      }
    } else if (IsGroupingKey(key)) {
      // Read as a search's grouping keys, then moved to the hybrid search.
      SearchRequest grouping;
      COVE_RETURN_IF_ERROR(ReadGroupingKey(key, value, &grouping));
      if (key == "group_by_field") out.group_by_field = grouping.group_by_field;
      if (key == "group_size") out.group_size = grouping.group_size;
      if (key == "strict_group_size") {
        out.strict_group_size = grouping.strict_group_size;
      }
    } else if (key == "rank_group_scorer") {
      // Checked with the rest of the request (embedded/hybrid.cc).
      out.group_scorer = absl::AsciiStrToLower(value);
    } else {
      return Invalid(absl::StrCat(
          "hybrid search rank param '", ValidUtf8(key),
          "' is not supported (expected strategy, params, limit, offset, "
          "round_decimal, group_by_field, group_size, strict_group_size, "
          "rank_group_scorer)"));
    }
  }
  Value params = Value(Value::Object{});
  if (!params_json.empty()) {
    auto parsed = Value::FromJson(params_json);
    if (!parsed.ok() || !(parsed->is_object() || parsed->is_null())) {
      return Invalid(absl::StrCat(
          "hybrid search rank params: expected a JSON object (got '",
          ValidUtf8(params_json), "')"));
    }
    if (parsed->is_object()) params = *std::move(parsed);
  }
  if (strategy == "rrf") {
    out.ranker.kind = Ranker::Kind::kRRF;
    for (const auto& [k, v] : params.AsObject()) {
      if (k != "k") {
        return Invalid(absl::StrCat("hybrid search rrf param '", ValidUtf8(k),
                                    "' is not supported (expected k)"));
      }
      if (!v.is_number()) {
        return Invalid(
            absl::StrCat("hybrid search rrf k: expected a number (got ",
                         ValidUtf8(v.ToJson()), ")"));
      }
      out.ranker.k = v.AsDouble();
    }
  } else if (strategy == "weighted") {
    out.ranker.kind = Ranker::Kind::kWeighted;
    for (const auto& [k, v] : params.AsObject()) {
      if (k == "weights") {
        if (!v.is_array()) {
          return Invalid("hybrid search weighted weights: expected a list");
        }
        for (const Value& w : v.AsArray()) {
          if (!w.is_number()) {
            return Invalid(absl::StrCat(
                "hybrid search weighted weights: expected numbers (got ",
                ValidUtf8(w.ToJson()), ")"));
          }
          out.ranker.weights.push_back(w.AsDouble());
        }
      } else if (k == "norm_score") {
        if (!v.is_bool()) {
          return Invalid("hybrid search weighted norm_score: expected a bool");
        }
        out.ranker.norm_score = v.AsBool();
      } else {
        return Invalid(
            absl::StrCat("hybrid search weighted param '", ValidUtf8(k),
                         "' is not supported (expected weights, norm_score)"));
      }
    }
  } else {
    return Invalid(
        absl::StrCat("hybrid search strategy: expected rrf or weighted (got '",
                     ValidUtf8(strategy), "')"));
  }
  return out;
}

}  // namespace cove::internal
