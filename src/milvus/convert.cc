// Conversions between Cove types and the Milvus v2 protos (see convert.h).
#include "milvus/convert.h"

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
#include "milvus/convert_internal.h"
#include "milvus/timestamp.h"

// Milvus deprecated CollectionSchema.autoID (and common.Status.error_code,
// see status_convert.cc), but peers still read them: keep setting and
// reading them.
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

// --- enums
// --------------------------------------------------------------------

schema_pb::DataType DataTypeToProto(DataType type) {
  return static_cast<schema_pb::DataType>(static_cast<int>(type));
}

absl::StatusOr<DataType> DataTypeFromProto(schema_pb::DataType type) {
  switch (type) {
    case schema_pb::Bool:
    case schema_pb::Int8:
    case schema_pb::Int16:
    case schema_pb::Int32:
    case schema_pb::Int64:
    case schema_pb::Float:
    case schema_pb::Double:
    case schema_pb::VarChar:
    case schema_pb::Array:
    case schema_pb::JSON:
    case schema_pb::FloatVector:
    case schema_pb::Float16Vector:
    case schema_pb::BFloat16Vector:
    case schema_pb::BinaryVector:
    case schema_pb::SparseFloatVector:
    case schema_pb::None:
      return static_cast<DataType>(static_cast<int>(type));
    case schema_pb::String:
      return DataType::kVarChar;
    default:
      return Invalid(absl::StrCat(
          "data type: ", schema_pb::DataType_Name(type),
          " is not supported by cove (expected BOOL, INT8..INT64, FLOAT, "
          "DOUBLE, VARCHAR, ARRAY, JSON, FLOAT_VECTOR, FLOAT16_VECTOR, "
          "BFLOAT16_VECTOR, BINARY_VECTOR or SPARSE_FLOAT_VECTOR)"));
  }
}

absl::StatusOr<MetricType> ParseMetricType(std::string_view name) {
  std::string upper = absl::AsciiStrToUpper(Sv(name));
  if (upper == "L2") return MetricType::kL2;
  if (upper == "IP") return MetricType::kIP;
  if (upper == "COSINE") return MetricType::kCosine;
  if (upper == "BM25") return MetricType::kBM25;
  if (upper == "HAMMING") return MetricType::kHamming;
  if (upper == "JACCARD") return MetricType::kJaccard;
  if (upper == "SUBSTRUCTURE") return MetricType::kSubstructure;
  if (upper == "SUPERSTRUCTURE") return MetricType::kSuperstructure;
  return Invalid(absl::StrCat(
      "metric_type: expected L2, IP, COSINE, BM25, HAMMING, JACCARD, "
      "SUBSTRUCTURE or SUPERSTRUCTURE (got '",
      Sv(name), "')"));
}

static bool IsScalarIndexType(IndexType t) {
  return t == IndexType::kStlSort || t == IndexType::kTrie ||
         t == IndexType::kBitmap || t == IndexType::kInverted;
}

absl::StatusOr<IndexType> ParseIndexType(std::string_view name) {
  std::string upper = absl::AsciiStrToUpper(Sv(name));
  if (upper.empty() || upper == "AUTOINDEX") return IndexType::kAutoIndex;
  if (upper == "FLAT") return IndexType::kFlat;
  if (upper == "IVF_FLAT") return IndexType::kIvfFlat;
  if (upper == "IVF_SQ8") return IndexType::kIvfSq8;
  if (upper == "HNSW") return IndexType::kHnsw;
  if (upper == "HNSW_SQ") return IndexType::kHnswSq;
  if (upper == "SPARSE_INVERTED_INDEX") return IndexType::kSparseInvertedIndex;
  if (upper == "SPARSE_WAND") return IndexType::kSparseWand;
  if (upper == "IVF_PQ") return IndexType::kIvfPq;
  if (upper == "SCANN") return IndexType::kScann;
  if (upper == "DISKANN") return IndexType::kDiskAnn;
  // Scalar indexes (Milvus spells Trie so; any case is accepted).
  if (upper == "STL_SORT") return IndexType::kStlSort;
  if (upper == "TRIE") return IndexType::kTrie;
  if (upper == "BITMAP") return IndexType::kBitmap;
  if (upper == "INVERTED") return IndexType::kInverted;
  if (upper == "BIN_FLAT") return IndexType::kBinFlat;
  if (upper == "BIN_IVF_FLAT") return IndexType::kBinIvfFlat;
  return Invalid(absl::StrCat(
      "index_type: expected FLAT, IVF_FLAT, IVF_SQ8, IVF_PQ, SCANN, DISKANN, "
      "HNSW, HNSW_SQ, AUTOINDEX, SPARSE_INVERTED_INDEX, SPARSE_WAND, "
      "BIN_FLAT, BIN_IVF_FLAT, STL_SORT, Trie, BITMAP or INVERTED (got '",
      Sv(name), "')"));
}

common_pb::LoadState LoadStateToProto(LoadState state) {
  switch (state) {
    case LoadState::kNotExist:
      return common_pb::LoadStateNotExist;
    case LoadState::kNotLoaded:
      return common_pb::LoadStateNotLoad;
    case LoadState::kLoading:
      return common_pb::LoadStateLoading;
    case LoadState::kLoaded:
      return common_pb::LoadStateLoaded;
  }
  return common_pb::LoadStateNotExist;
}

LoadState LoadStateFromProto(common_pb::LoadState state) {
  switch (state) {
    case common_pb::LoadStateNotLoad:
      return LoadState::kNotLoaded;
    case common_pb::LoadStateLoading:
      return LoadState::kLoading;
    case common_pb::LoadStateLoaded:
      return LoadState::kLoaded;
    default:
      return LoadState::kNotExist;
  }
}

// --- schemas
// ------------------------------------------------------------------

schema_pb::CollectionSchema SchemaToProto(const std::string& name,
                                          const CollectionSchema& schema) {
  schema_pb::CollectionSchema out;
  out.set_name(name);
  out.set_description(schema.description);
  out.set_enable_dynamic_field(schema.enable_dynamic_field);
  int64_t id = 100;
  for (const FieldSchema& f : schema.fields) {
    schema_pb::FieldSchema* p = out.add_fields();
    p->set_fieldid(id++);
    p->set_name(f.name);
    p->set_description(f.description);
    p->set_data_type(DataTypeToProto(f.type));
    p->set_is_primary_key(f.is_primary_key);
    p->set_autoid(f.auto_id);
    p->set_nullable(f.nullable);
    p->set_is_partition_key(f.is_partition_key);
    p->set_is_clustering_key(f.is_clustering_key);
    if (f.type == DataType::kFloatVector ||
        f.type == DataType::kFloat16Vector ||
        f.type == DataType::kBFloat16Vector ||
        f.type == DataType::kBinaryVector) {
      AddKv(p->mutable_type_params(), "dim", absl::StrCat(f.dim));
    }
    if (f.type == DataType::kVarChar ||
        (f.type == DataType::kArray && f.element_type == DataType::kVarChar)) {
      AddKv(p->mutable_type_params(), "max_length", absl::StrCat(f.max_length));
    }
    if (f.type == DataType::kArray) {
      p->set_element_type(DataTypeToProto(f.element_type));
      AddKv(p->mutable_type_params(), "max_capacity",
            absl::StrCat(f.max_capacity));
    }
    // Text analysis, as Milvus reports it (and pymilvus sends it).
    if (f.enable_analyzer)
      AddKv(p->mutable_type_params(), "enable_analyzer", "true");
    if (!f.analyzer_params.empty()) {
      AddKv(p->mutable_type_params(), "analyzer_params", f.analyzer_params);
    }
    if (f.enable_match) AddKv(p->mutable_type_params(), "enable_match", "true");
    // Field properties (AlterCollectionField), as Milvus lists them.
    for (const auto& [key, value] : f.properties) {
      AddKv(p->mutable_type_params(), key, value);
    }
    p->set_is_function_output(f.is_function_output);
    if (f.default_value.has_value()) {
      const Value& d = *f.default_value;
      schema_pb::ValueField* v = p->mutable_default_value();
      switch (f.type) {
        case DataType::kBool:
          if (d.is_bool()) v->set_bool_data(d.AsBool());
          break;
        case DataType::kInt8:
        case DataType::kInt16:
        case DataType::kInt32:
          if (d.is_int()) v->set_int_data(static_cast<int32_t>(d.AsInt()));
          break;
        case DataType::kInt64:
          if (d.is_int()) v->set_long_data(d.AsInt());
          break;
        case DataType::kFloat:
          if (d.is_number())
            v->set_float_data(static_cast<float>(d.AsDouble()));
          break;
        case DataType::kDouble:
          if (d.is_number()) v->set_double_data(d.AsDouble());
          break;
        case DataType::kVarChar:
          if (d.is_string()) v->set_string_data(d.AsString());
          break;
        default:
          v->set_bytes_data(d.ToJson());
          break;
      }
    }
  }
  int64_t function_id = 100;
  for (const FunctionSchema& fn : schema.functions) {
    schema_pb::FunctionSchema* p = out.add_functions();
    p->set_name(fn.name);
    p->set_id(function_id++);
    p->set_description(fn.description);
    p->set_type(static_cast<schema_pb::FunctionType>(fn.type));
    auto field_id = [&](const std::string& name) -> int64_t {
      for (size_t i = 0; i < schema.fields.size(); ++i) {
        if (schema.fields[i].name == name) return 100 + static_cast<int64_t>(i);
      }
      return 0;
    };
    for (const std::string& name : fn.input_field_names) {
      p->add_input_field_names(name);
      p->add_input_field_ids(field_id(name));
    }
    for (const std::string& name : fn.output_field_names) {
      p->add_output_field_names(name);
      p->add_output_field_ids(field_id(name));
    }
    for (const auto& [k, v] : fn.params) AddKv(p->mutable_params(), k, v);
  }
  return out;
}

absl::StatusOr<CollectionSchema> SchemaFromProto(
    const schema_pb::CollectionSchema& proto) {
  CollectionSchema out;
  out.description = proto.description();
  out.enable_dynamic_field = proto.enable_dynamic_field();
  for (const schema_pb::FieldSchema& p : proto.fields()) {
    if (p.is_dynamic() || p.name() == kMetaFieldName) {
      out.enable_dynamic_field = true;
      continue;
    }
    FieldSchema f;
    f.name = p.name();
    f.description = p.description();
    auto type = DataTypeFromProto(p.data_type());
    if (!type.ok()) {
      return Invalid(
          absl::StrCat("field '", p.name(), "': ", type.status().message()));
    }
    f.type = *type;
    f.is_primary_key = p.is_primary_key();
    f.auto_id = p.autoid() || (p.is_primary_key() && proto.autoid());
    f.nullable = p.nullable();
    f.is_partition_key = p.is_partition_key();
    f.is_clustering_key = p.is_clustering_key();
    if (f.type == DataType::kArray) {
      auto element = DataTypeFromProto(p.element_type());
      if (!element.ok()) {
        return Invalid(absl::StrCat("field '", p.name(),
                                    "' element: ", element.status().message()));
      }
      f.element_type = *element;
    }
    f.is_function_output = p.is_function_output();
    // type_params may also arrive in index_params (old clients).
    for (const auto* kvs : {&p.type_params(), &p.index_params()}) {
      for (const common_pb::KeyValuePair& kv : *kvs) {
        if (kv.key() == "enable_analyzer" || kv.key() == "enable_match") {
          // pymilvus sends JSON booleans ("true"); other SDKs "True".
          const std::string v = absl::AsciiStrToLower(kv.value());
          if (v != "true" && v != "false") {
            return Invalid(absl::StrCat("field '", p.name(), "' ", kv.key(),
                                        ": expected true or false (got '",
                                        ValidUtf8(kv.value()), "')"));
          }
          (kv.key() == "enable_analyzer" ? f.enable_analyzer : f.enable_match) =
              v == "true";
          continue;
        }
        if (kv.key() == "analyzer_params") {
          f.analyzer_params = kv.value();
          continue;
        }
        if (kv.key() == "mmap.enabled") {
          f.properties[kv.key()] = kv.value();  // checked by the backend
          continue;
        }
        int64_t* dest = nullptr;
        if (kv.key() == "dim") dest = &f.dim;
        if (kv.key() == "max_length") dest = &f.max_length;
        if (kv.key() == "max_capacity") dest = &f.max_capacity;
        if (dest == nullptr) continue;
        COVE_ASSIGN_OR_RETURN(
            auto n,
            ParseInt64Param(absl::StrCat("field '", p.name(), "' ", kv.key()),
                            kv.value()));
        *dest = n;
      }
    }
    if ((f.type == DataType::kFloatVector ||
         f.type == DataType::kFloat16Vector ||
         f.type == DataType::kBFloat16Vector) &&
        (f.dim < 1 || f.dim > 32768)) {
      // Milvus' wording, which clients match on.
      return Invalid(absl::StrCat("field '", ValidUtf8(p.name()),
                                  "': invalid dimension: ", f.dim,
                                  " (expected 1 to 32768)"));
    }
    if (p.has_default_value()) {
      const schema_pb::ValueField& v = p.default_value();
      switch (v.data_case()) {
        case schema_pb::ValueField::kBoolData:
          f.default_value = Value(v.bool_data());
          break;
        case schema_pb::ValueField::kIntData:
          f.default_value = Value(static_cast<int64_t>(v.int_data()));
          break;
        case schema_pb::ValueField::kLongData:
          f.default_value = Value(v.long_data());
          break;
        case schema_pb::ValueField::kFloatData:
          f.default_value = Value(static_cast<double>(v.float_data()));
          break;
        case schema_pb::ValueField::kDoubleData:
          f.default_value = Value(v.double_data());
          break;
        case schema_pb::ValueField::kStringData:
          f.default_value = Value(v.string_data());
          break;
        case schema_pb::ValueField::kBytesData: {
          auto parsed = Value::FromJson(v.bytes_data());
          if (!parsed.ok()) {
            return Invalid(
                absl::StrCat("field '", p.name(),
                             "' default_value: ", parsed.status().message()));
          }
          f.default_value = *std::move(parsed);
          break;
        }
        default:
          break;
      }
    }
    out.fields.push_back(std::move(f));
  }
  for (const schema_pb::FunctionSchema& p : proto.functions()) {
    FunctionSchema fn;
    fn.name = p.name();
    fn.description = p.description();
    fn.type = static_cast<FunctionType>(p.type());
    fn.input_field_names.assign(p.input_field_names().begin(),
                                p.input_field_names().end());
    fn.output_field_names.assign(p.output_field_names().begin(),
                                 p.output_field_names().end());
    for (const common_pb::KeyValuePair& kv : p.params()) {
      fn.params[kv.key()] = kv.value();
    }
    out.functions.push_back(std::move(fn));
  }
  return out;
}

absl::Status CheckCreateCollectionSupported(
    const milvus_pb::CreateCollectionRequest& request) {
  if (request.shards_num() > 1) {
    // One shard holds every row; more would change nothing locally.
  }
  schema_pb::CollectionSchema schema;
  if (!schema.ParseFromString(request.schema())) {
    return Invalid(
        "create collection schema: not a serialized schema.CollectionSchema "
        "(or "
        "a name or text in it is not valid UTF-8)");
  }
  for (const schema_pb::FunctionSchema& fn : schema.functions()) {
    if (fn.type() != schema_pb::FunctionType::BM25) {
      return absl::UnimplementedError(
          absl::StrCat("create collection: function '", ValidUtf8(fn.name()),
                       "' of type ", schema_pb::FunctionType_Name(fn.type()),
                       " is not supported by cove (BM25 functions only)"));
    }
  }
  for (const schema_pb::FieldSchema& f : schema.fields()) {
    const std::string name = ValidUtf8(f.name());
    for (const common_pb::KeyValuePair& kv : f.type_params()) {
      const std::string& k = kv.key();
      if (k == "dim" || k == "max_length" || k == "max_capacity" ||
          k == "enable_analyzer" || k == "analyzer_params" ||
          k == "enable_match" || k == "mmap.enabled") {
        continue;
      }
      if (k == "multi_analyzer_params") {
        return absl::UnimplementedError(absl::StrCat(
            "field '", name,
            "': type param 'multi_analyzer_params' (one analyzer per "
            "language) is not supported by cove (give analyzer_params)"));
      }
      return absl::UnimplementedError(absl::StrCat(
          "field '", name, "': type param '", ValidUtf8(k),
          "' is not supported by cove (expected dim, max_length, "
          "max_capacity, enable_analyzer, analyzer_params, enable_match or "
          "mmap.enabled)"));
    }
  }
  for (const common_pb::KeyValuePair& kv : schema.properties()) {
    return absl::UnimplementedError(absl::StrCat(
        "create collection: schema property '", ValidUtf8(kv.key()),
        "' is not supported by cove (collection properties go in the "
        "request's properties)"));
  }
  return absl::OkStatus();
}

uint64_t CollectionHybridTs(int64_t created_micros) {
  if (created_micros <= 0) return 0;
  return ComposeHybridTs(created_micros / 1000,
                         static_cast<uint64_t>(created_micros % 1000));
}

int64_t CollectionCreatedMicros(uint64_t hybrid_ts) {
  const uint64_t logical = hybrid_ts & ((uint64_t{1} << kLogicalBits) - 1);
  return HybridTsPhysicalMs(hybrid_ts) * 1000 +
         (logical < 1000 ? static_cast<int64_t>(logical) : 0);
}

void DescriptionToProto(const CollectionDescription& d,
                        milvus_pb::DescribeCollectionResponse* out) {
  *out->mutable_schema() = SchemaToProto(d.name, d.schema);
  out->set_collectionid(d.collection_id);
  out->set_collection_name(d.name);
  out->set_created_timestamp(CollectionHybridTs(d.created_timestamp));
  out->set_created_utc_timestamp(
      static_cast<uint64_t>(d.created_timestamp / 1000));
  out->set_update_timestamp(CollectionHybridTs(d.created_timestamp));
  out->set_shards_num(d.num_shards);
  // Partition key mode: the partitions the rows are spread over.
  out->set_num_partitions(d.schema.num_partitions > 0
                              ? d.schema.num_partitions
                              : static_cast<int64_t>(d.partitions.size()));
  out->set_consistency_level(
      static_cast<common_pb::ConsistencyLevel>(d.schema.consistency_level));
  for (const auto& [k, v] : d.schema.properties) {
    AddKv(out->mutable_properties(), k, v);
  }
  for (const std::string& a : d.aliases) out->add_aliases(a);
}

absl::StatusOr<CollectionDescription> DescriptionFromProto(
    const milvus_pb::DescribeCollectionResponse& proto) {
  CollectionDescription d;
  COVE_ASSIGN_OR_RETURN(auto schema, SchemaFromProto(proto.schema()));
  d.schema = std::move(schema);
  d.name = proto.collection_name().empty() ? proto.schema().name()
                                           : proto.collection_name();
  d.collection_id = proto.collectionid();
  d.created_timestamp = CollectionCreatedMicros(proto.created_timestamp());
  d.num_shards = proto.shards_num();
  for (const FieldSchema& f : d.schema.fields) {
    if (f.is_partition_key) d.schema.num_partitions = proto.num_partitions();
  }
  d.aliases.assign(proto.aliases().begin(), proto.aliases().end());
  if (proto.consistency_level() >= common_pb::Strong &&
      proto.consistency_level() <= common_pb::Customized) {
    d.schema.consistency_level =
        static_cast<ConsistencyLevel>(proto.consistency_level());
  }
  for (const common_pb::KeyValuePair& kv : proto.properties()) {
    d.schema.properties[kv.key()] = kv.value();
  }
  return d;
}

// --- writes
// -------------------------------------------------------------------

void MutationResultToProto(const MutationResult& result, std::string_view kind,
                           milvus_pb::MutationResult* out) {
  // As Milvus (since 2.3.2): a delete reports its count, not the keys
  // (pymilvus returns a non-empty key list instead of the count).
  if (kind != "delete") IdsToProto(result.ids, out->mutable_ids());
  if (kind == "delete") {
    out->set_delete_cnt(result.count);
  } else if (kind == "upsert") {
    out->set_upsert_cnt(result.count);
    out->set_insert_cnt(result.count);
  } else {
    out->set_insert_cnt(result.count);
  }
  for (size_t i = 0; i < result.ids.size() && kind != "delete"; ++i) {
    out->add_succ_index(static_cast<uint32_t>(i));
  }
}

MutationResult MutationResultFromProto(const milvus_pb::MutationResult& proto,
                                       std::string_view kind) {
  MutationResult out;
  out.ids = IdsFromProto(proto.ids());
  if (kind == "delete") {
    out.count = proto.delete_cnt();
  } else if (kind == "upsert") {
    out.count =
        proto.upsert_cnt() != 0 ? proto.upsert_cnt() : proto.insert_cnt();
  } else {
    out.count = proto.insert_cnt();
  }
  return out;
}

// --- indexes
// ------------------------------------------------------------------

void IndexSpecToProto(const IndexSpec& spec,
                      milvus_pb::CreateIndexRequest* out) {
  out->set_field_name(spec.field_name);
  out->set_index_name(spec.index_name);
  auto* kvs = out->mutable_extra_params();
  AddKv(kvs, "index_type", IndexTypeName(spec.index_type));
  // A scalar index has no metric (pymilvus sends none).
  if (!IsScalarIndexType(spec.index_type)) {
    AddKv(kvs, "metric_type", MetricTypeName(spec.metric_type));
  }
  Value::Object params;
  for (const auto& [k, v] : spec.params) params.emplace(k, ParamValue(v));
  AddKv(kvs, "params", Value(std::move(params)).ToJson());
}

absl::StatusOr<IndexSpec> IndexSpecFromProto(
    const milvus_pb::CreateIndexRequest& proto) {
  IndexSpec spec;
  spec.field_name = proto.field_name();
  spec.index_name = proto.index_name();
  // Without metric_type, IndexSpec's default (COSINE) applies, as in Milvus.
  for (const common_pb::KeyValuePair& kv : proto.extra_params()) {
    if (kv.key() == "index_type") {
      COVE_ASSIGN_OR_RETURN(auto t, ParseIndexType(kv.value()));
      spec.index_type = t;
    } else if (kv.key() == "metric_type") {
      COVE_ASSIGN_OR_RETURN(auto m, ParseMetricType(kv.value()));
      spec.metric_type = m;
    } else if (kv.key() == "params") {
      if (kv.value().empty()) continue;
      auto parsed = Value::FromJson(kv.value());
      if (!parsed.ok() || !parsed->is_object()) {
        return Invalid(absl::StrCat(
            "index params: expected a JSON object (got '", kv.value(), "')"));
      }
      for (const auto& [k, v] : parsed->AsObject()) {
        if (k == "metric_type" && v.is_string()) {
          COVE_ASSIGN_OR_RETURN(auto m, ParseMetricType(v.AsString()));
          spec.metric_type = m;
        } else if (k == "index_type" && v.is_string()) {
          COVE_ASSIGN_OR_RETURN(auto t, ParseIndexType(v.AsString()));
          spec.index_type = t;
        } else {
          spec.params[k] = ParamString(v);
        }
      }
    } else {
      spec.params[kv.key()] = kv.value();
    }
  }
  return spec;
}

void IndexDescriptionToProto(const IndexDescription& d,
                             milvus_pb::IndexDescription* out) {
  out->set_index_name(d.index_name);
  out->set_field_name(d.field_name);
  auto* kvs = out->mutable_params();
  AddKv(kvs, "index_type", IndexTypeName(d.index_type));
  // As Milvus: a scalar index has no metric.
  if (!IsScalarIndexType(d.index_type)) {
    AddKv(kvs, "metric_type", MetricTypeName(d.metric_type));
  }
  // As Milvus 2.5: build parameters flat, one key each ("M", "nlist"), and
  // the index properties ("mmap.enabled") among them.
  for (const auto& [k, v] : d.params) AddKv(kvs, k, v);
  for (const auto& [k, v] : d.properties) AddKv(kvs, k, v);
  out->set_indexed_rows(d.indexed_rows);
  out->set_total_rows(d.total_rows);
  out->set_pending_index_rows(d.pending_index_rows);
  if (d.state == "Failed") {
    out->set_state(common_pb::Failed);
  } else if (d.state == "InProgress") {
    out->set_state(common_pb::InProgress);
  } else {
    out->set_state(common_pb::Finished);
  }
}

absl::StatusOr<IndexDescription> IndexDescriptionFromProto(
    const milvus_pb::IndexDescription& proto) {
  milvus_pb::CreateIndexRequest as_create;
  *as_create.mutable_extra_params() = proto.params();
  as_create.set_field_name(proto.field_name());
  as_create.set_index_name(proto.index_name());
  COVE_ASSIGN_OR_RETURN(auto spec, IndexSpecFromProto(as_create));
  IndexDescription d;
  d.index_name = proto.index_name();
  d.field_name = proto.field_name();
  d.index_type = spec.index_type;
  d.metric_type = spec.metric_type;
  d.params = spec.params;
  // Milvus lists index properties among the parameters.
  for (const char* key : {"mmap.enabled"}) {
    auto it = d.params.find(key);
    if (it == d.params.end()) continue;
    d.properties[key] = it->second;
    d.params.erase(it);
  }
  d.indexed_rows = proto.indexed_rows();
  d.total_rows = proto.total_rows();
  d.pending_index_rows = proto.pending_index_rows();
  switch (proto.state()) {
    case common_pb::Finished:
      d.state = "Finished";
      break;
    case common_pb::Failed:
      d.state = "Failed";
      break;
    default:
      d.state = "InProgress";
      break;
  }
  return d;
}

// --- RBAC
// ---------------------------------------------------------------------

void GrantToProto(const Grant& grant, milvus_pb::GrantEntity* out) {
  out->mutable_role()->set_name(grant.role);
  out->mutable_object()->set_name(grant.object_type);
  out->set_object_name(grant.object_name);
  out->set_db_name(grant.db_name);
  out->mutable_grantor()->mutable_user()->set_name(grant.grantor);
  out->mutable_grantor()->mutable_privilege()->set_name(grant.privilege);
}

Grant GrantFromProto(const milvus_pb::GrantEntity& proto) {
  Grant g;
  g.role = proto.role().name();
  g.object_type = proto.object().name();
  g.object_name = proto.object_name();
  g.db_name = proto.db_name();
  g.grantor = proto.grantor().user().name();
  g.privilege = proto.grantor().privilege().name();
  return g;
}

// --- misc
// ---------------------------------------------------------------------

std::string FindKeyValue(
    const google::protobuf::RepeatedPtrField<common_pb::KeyValuePair>& kvs,
    std::string_view key) {
  for (const auto& kv : kvs) {
    if (kv.key() == key) return kv.value();
  }
  return std::string();
}

std::string Base64Encode(std::string_view data) {
  return absl::Base64Escape(Sv(data));
}

absl::StatusOr<std::string> Base64Decode(std::string_view data) {
  std::string out;
  if (!absl::Base64Unescape(Sv(data), &out)) {
    return Invalid("base64: malformed input");
  }
  return out;
}

}  // namespace cove::internal
