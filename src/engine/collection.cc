// The engine's collection: creation, metadata (indexes, loading,
// partitions) and introspection. Writes are in collection_write.cc, reads in
// collection_read.cc, records and snapshots in storage/collection_io.cc,
// background index builds and compaction in collection_background.cc.
#include "engine/collection.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/collection_internal.h"

namespace cove::engine {
namespace {

std::atomic<int64_t> g_next_collection_id{1000};

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

expr::FieldType ToExprType(DataType t) {
  switch (t) {
    case DataType::kBool:
      return expr::FieldType::kBool;
    case DataType::kInt8:
      return expr::FieldType::kInt8;
    case DataType::kInt16:
      return expr::FieldType::kInt16;
    case DataType::kInt32:
      return expr::FieldType::kInt32;
    case DataType::kInt64:
      return expr::FieldType::kInt64;
    case DataType::kFloat:
      return expr::FieldType::kFloat;
    case DataType::kDouble:
      return expr::FieldType::kDouble;
    case DataType::kVarChar:
      return expr::FieldType::kVarChar;
    case DataType::kArray:
      return expr::FieldType::kArray;
    case DataType::kJson:
      return expr::FieldType::kJson;
    case DataType::kFloatVector:
    default:
      return expr::FieldType::kFloatVector;
  }
}

}  // namespace

const char* IndexKindLabel(IndexKind kind) {
  switch (kind) {
    case IndexKind::kFlat:
      return "FLAT";
    case IndexKind::kIvfFlat:
      return "IVF_FLAT";
    case IndexKind::kIvfSq8:
      return "IVF_SQ8";
    case IndexKind::kHnsw:
      return "HNSW";
    case IndexKind::kHnswSq:
      return "HNSW_SQ";
    case IndexKind::kAutoIndex:
      return "AUTOINDEX";
    case IndexKind::kSparseInvertedIndex:
      return "SPARSE_INVERTED_INDEX";
    case IndexKind::kSparseWand:
      return "SPARSE_WAND";
    case IndexKind::kIvfPq:
      return "IVF_PQ";
    case IndexKind::kScann:
      return "SCANN";
    case IndexKind::kDiskAnn:
      return "DISKANN";
    case IndexKind::kStlSort:
      return "STL_SORT";
    case IndexKind::kTrie:
      return "Trie";
    case IndexKind::kBitmap:
      return "BITMAP";
    case IndexKind::kInverted:
      return "INVERTED";
    case IndexKind::kBinFlat:
      return "BIN_FLAT";
    case IndexKind::kBinIvfFlat:
      return "BIN_IVF_FLAT";
  }
  return "UNKNOWN";
}

namespace {
// The indexes of BINARY_VECTOR fields, as Milvus: BIN_FLAT (AUTOINDEX picks
// it) with HAMMING, JACCARD, SUBSTRUCTURE or SUPERSTRUCTURE; BIN_IVF_FLAT
// with HAMMING or JACCARD (build param nlist).
absl::Status CheckBinaryIndex(const IndexDef& def) {
  const bool flat =
      def.kind == IndexKind::kBinFlat || def.kind == IndexKind::kAutoIndex;
  if (!flat && def.kind != IndexKind::kBinIvfFlat) {
    return absl::InvalidArgumentError(absl::StrCat(
        "index on field '", def.field_name, "': index type ",
        IndexKindLabel(def.kind),
        " is not supported on BINARY_VECTOR fields (expected BIN_FLAT, "
        "BIN_IVF_FLAT or AUTOINDEX)"));
  }
  if (!IsBinaryMetric(def.metric)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "index on field '", def.field_name, "': metric ",
        MetricName(def.metric), " is not a metric of BINARY_VECTOR fields ",
        "(expected HAMMING or JACCARD",
        flat ? ", SUBSTRUCTURE or SUPERSTRUCTURE" : "", " for ",
        IndexKindLabel(def.kind), ")"));
  }
  if (!flat && def.metric != Metric::kHamming &&
      def.metric != Metric::kJaccard) {
    return absl::InvalidArgumentError(absl::StrCat(
        "index on field '", def.field_name, "': metric ",
        MetricName(def.metric),
        " is only supported by BIN_FLAT (expected HAMMING or JACCARD for "
        "BIN_IVF_FLAT)"));
  }
  for (const auto& [key, value] : def.params) {
    if (!flat && key == "nlist") continue;
    return absl::InvalidArgumentError(
        absl::StrCat("index param '", key, "': not a parameter of ",
                     IndexKindLabel(def.kind), " (got '", value, "')"));
  }
  return absl::OkStatus();
}

// The indexes of FLOAT16_VECTOR / BFLOAT16_VECTOR fields: FLAT (AUTOINDEX
// picks it), an exact scan of the 16-bit rows; HNSW walking them; IVF_FLAT
// (lists of the 16-bit rows), IVF_SQ8, IVF_PQ and SCANN (codes of the rows
// widened to float32, re-ranked on the 16-bit rows); with L2, IP or COSINE.
absl::Status CheckHalfIndex(const IndexDef& def, DataType type) {
  switch (def.kind) {
    case IndexKind::kFlat:
    case IndexKind::kAutoIndex:
    case IndexKind::kHnsw:
    case IndexKind::kIvfFlat:
    case IndexKind::kIvfSq8:
    case IndexKind::kIvfPq:
    case IndexKind::kScann:
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "index on field '", def.field_name, "': index type ",
          IndexKindLabel(def.kind), " is not supported on ", DataTypeName(type),
          " fields (expected FLAT, HNSW, IVF_FLAT, IVF_SQ8, IVF_PQ, SCANN or "
          "AUTOINDEX)"));
  }
  if (def.metric == Metric::kBM25) {
    return absl::InvalidArgumentError(
        absl::StrCat("index on field '", def.field_name,
                     "': metric BM25 is for sparse fields (expected L2, IP "
                     "or COSINE for ",
                     DataTypeName(type), ")"));
  }
  if ((def.kind == IndexKind::kFlat || def.kind == IndexKind::kAutoIndex) &&
      !def.params.empty()) {
    const auto& [key, value] = *def.params.begin();
    return absl::InvalidArgumentError(
        absl::StrCat("index param '", key, "': not a parameter of ",
                     IndexKindLabel(def.kind), " on ", DataTypeName(type),
                     " fields (got '", value, "')"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Collection>> Collection::Create(
    std::string name, Schema schema, int64_t id, CollectionContext context) {
  COVE_RETURN_IF_ERROR(ValidateName("collection name", name));
  COVE_RETURN_IF_ERROR(ValidateSchema(schema));
  if (id == 0) {
    id = g_next_collection_id.fetch_add(1);
  } else {
    ReserveIds(id);
  }
  return std::unique_ptr<Collection>(new Collection(
      std::move(name), std::move(schema), id, std::move(context)));
}

void Collection::ReserveIds(int64_t max_used) {
  int64_t next = g_next_collection_id.load();
  while (next <= max_used &&
         !g_next_collection_id.compare_exchange_weak(next, max_used + 1)) {
  }
}

void Collection::set_logger(Logger logger) {
  absl::MutexLock lock(&mu_);
  logger_ = std::move(logger);
}

Collection::Collection(std::string name, Schema schema, int64_t id,
                       CollectionContext context)
    : name_(std::move(name)),
      schema_(std::move(schema)),
      id_(id),
      created_ts_(NowMicros()),
      context_(std::move(context)),
      jobs_(std::make_shared<Jobs>()) {
  next_auto_id_ = NowMicros() << 8;  // distinct across restarts
  for (size_t i = 0; i < schema_.fields.size(); ++i) {
    const FieldDef& f = schema_.fields[i];
    if (f.is_primary_key) pk_index_ = static_cast<int>(i);
    expr::FieldInfo info;
    info.name = f.name;
    info.type = ToExprType(f.type);
    info.element_type = ToExprType(f.element_type);
    info.nullable = f.nullable;
    info.field_index = static_cast<int>(i);
    expr_schema_.fields.push_back(std::move(info));
    if (IsDenseVectorType(f.type)) {
      const auto dim = static_cast<size_t>(f.dim);
      vector_field_index_.push_back(static_cast<int>(i));
      vector_half_.push_back(HalfTypeOf(f.type));
      const size_t code_bytes = f.type == DataType::kBinaryVector ? dim / 8 : 0;
      vector_binary_bytes_.push_back(code_bytes);
      if (code_bytes > 0) {
        // Binary codes: dim / 8 bytes in (dim / 8 + 3) / 4 slots; queries
        // come packed the same way (SearchSpec::queries).
        vector_dims_.push_back((code_bytes + 3) / 4);
        vector_elems_.push_back(vector_dims_.back());
      } else {
        vector_elems_.push_back(dim);
        vector_dims_.push_back(vector_half_.back() ? (dim + 1) / 2 : dim);
      }
    }
    analyzers_.emplace_back();
    if (f.enable_analyzer) {
      // Checked by ValidateSchema: the params parse.
      auto analyzer = text::Analyzer::Make(f.analyzer_params);
      if (analyzer.ok()) analyzers_.back() = *std::move(analyzer);
    }
    if (f.enable_match && analyzers_.back() != nullptr) {
      // TEXT_MATCH: the filter's words analyzed as the field's text.
      std::shared_ptr<const text::Analyzer> analyzer = analyzers_.back();
      expr_schema_.fields.back().match_terms = [analyzer](std::string_view s) {
        std::vector<uint32_t> terms;
        for (const std::string& token : analyzer->Analyze(s)) {
          terms.push_back(text::TermId(token));
        }
        return terms;
      };
      match_columns_.push_back(static_cast<int>(i));
    }
    if (f.type == DataType::kSparseFloatVector) {
      sparse_field_index_.push_back(static_cast<int>(i));
      int input = -1;
      for (const FunctionDef& fn : schema_.functions) {
        if (fn.kind != FunctionKind::kBM25 || fn.output_fields.size() != 1 ||
            fn.output_fields[0] != f.name || fn.input_fields.size() != 1) {
          continue;
        }
        for (size_t j = 0; j < schema_.fields.size(); ++j) {
          if (schema_.fields[j].name == fn.input_fields[0]) {
            input = static_cast<int>(j);
          }
        }
      }
      bm25_input_.push_back(input);
    }
  }
  num_columns_ = schema_.fields.size() + (schema_.enable_dynamic_field ? 1 : 0);
  if (schema_.enable_dynamic_field) {
    expr_schema_.dynamic_field_index = static_cast<int>(schema_.fields.size());
  }
  if (context_.segments.seal_rows == 0) context_.segments.seal_rows = 1;
  if (context_.pool == nullptr) context_.pool = std::make_shared<BuildPool>(1);
  auto meta = std::make_shared<CollectionMeta>();
  meta->partitions = {kDefaultPartition};
  meta->fields.resize(vector_dims_.size());
  meta->sparse.resize(sparse_field_index_.size());
  meta->scalar.resize(schema_.fields.size());
  auto state = std::make_shared<CollectionState>();
  state->meta = std::move(meta);
  absl::MutexLock lock(&mu_);
  state->segments.push_back(NewGrowingLocked(InitialCapacity()));
  state_ = std::move(state);
}

Collection::~Collection() {
  absl::MutexLock lock(&jobs_->mu);
  jobs_->cancelled = true;
  jobs_->stop_builds.store(true, std::memory_order_relaxed);
  jobs_->mu.Await(absl::Condition(
      +[](Jobs* j) ABSL_NO_THREAD_SAFETY_ANALYSIS { return j->pending == 0; },
      jobs_.get()));
}

size_t Collection::InitialCapacity() const {
  return std::min<size_t>(context_.segments.seal_rows, 1024);
}

std::shared_ptr<SegmentView> Collection::NewGrowingLocked(size_t capacity) {
  growing_ =
      std::make_shared<SegmentData>(num_columns_, vector_dims_, capacity);
  growing_vectors_ = NewVectorRows(vector_dims_, capacity);
  growing_id_ = next_segment_id_++;
  auto view = std::make_shared<SegmentView>();
  view->id = growing_id_;
  view->sealed = false;
  view->data = growing_;
  view->vectors.assign(growing_vectors_.begin(), growing_vectors_.end());
  view->rows = 0;
  view->deleted = std::make_shared<Bitset>(capacity);
  view->max_norm.assign(vector_dims_.size(), 0.0f);
  view->index.resize(vector_dims_.size());
  return view;
}

std::shared_ptr<const CollectionState> Collection::Snapshot() const {
  absl::ReaderMutexLock lock(&state_mu_);
  return state_;
}

void Collection::PublishMeta(std::shared_ptr<const CollectionMeta> meta) {
  auto next = std::make_shared<CollectionState>(*state_);
  next->meta = std::move(meta);
  std::shared_ptr<const CollectionState> old;
  absl::MutexLock lock(&state_mu_);
  old = std::move(state_);
  state_ = std::move(next);
}

std::string Collection::name() const {
  absl::MutexLock lock(&name_mu_);
  return name_;
}

void Collection::set_name(std::string name) {
  absl::MutexLock lock(&name_mu_);
  name_ = std::move(name);
}

absl::StatusOr<IndexParams> IndexParamsFromDef(const IndexDef& def,
                                               size_t dim) {
  IndexParams params;
  params.dim = dim;
  params.metric = def.metric;
  switch (def.kind) {
    case IndexKind::kFlat:
      params.type = IndexType::kFlat;
      break;
    case IndexKind::kIvfFlat:
      params.type = IndexType::kIvfFlat;
      break;
    case IndexKind::kIvfSq8:
      params.type = IndexType::kIvfSq8;
      break;
    case IndexKind::kHnsw:
    case IndexKind::kAutoIndex:
      params.type = IndexType::kHnsw;
      break;
    case IndexKind::kHnswSq:
      params.type = IndexType::kHnswSq;
      break;
    case IndexKind::kSparseInvertedIndex:
    case IndexKind::kSparseWand:
      return absl::InvalidArgumentError(absl::StrCat(
          "index on field '", def.field_name,
          "': SPARSE_INVERTED_INDEX and SPARSE_WAND are for "
          "SPARSE_FLOAT_VECTOR fields (the field is a FLOAT_VECTOR)"));
    case IndexKind::kIvfPq:
      params.type = IndexType::kIvfPq;
      break;
    case IndexKind::kScann:
      params.type = IndexType::kScann;
      break;
    case IndexKind::kDiskAnn:
      params.type = IndexType::kDiskAnn;
      break;
    case IndexKind::kStlSort:
    case IndexKind::kTrie:
    case IndexKind::kBitmap:
    case IndexKind::kInverted:
      return absl::InvalidArgumentError(
          absl::StrCat("index on field '", def.field_name, "': index type ",
                       IndexKindLabel(def.kind),
                       " is for scalar fields (the field is a vector field)"));
    case IndexKind::kBinIvfFlat:
      params.type = IndexType::kBinIvfFlat;
      break;
    case IndexKind::kBinFlat:
      return absl::InvalidArgumentError(
          absl::StrCat("index on field '", def.field_name,
                       "': BIN_FLAT is for BINARY_VECTOR fields"));
  }
  for (const auto& [key, value] : def.params) {
    int64_t n = 0;
    int* dest = nullptr;
    if (key == "with_raw_data") {
      if (value != "true" && value != "false") {
        return absl::InvalidArgumentError(absl::StrCat(
            "index param 'with_raw_data': expected true or false (got '", value,
            "')"));
      }
      params.with_raw_data = value == "true";
      continue;
    }
    if (key == "pq_code_budget_gb_ratio") {
      double x = 0;
      if (!absl::SimpleAtod(value, &x) || !(x > 0 && x <= 0.25)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "index param 'pq_code_budget_gb_ratio': expected a number in "
            "(0, 0.25] (got '",
            value, "')"));
      }
      params.pq_code_budget_ratio = x;
      continue;
    }
    if (key == "M") dest = &params.m;
    if (key == "efConstruction") dest = &params.ef_construction;
    if (key == "nlist") dest = &params.nlist;
    if (key == "m") dest = &params.pq_m;
    if (key == "nbits") dest = &params.pq_nbits;
    if (key == "max_degree") dest = &params.max_degree;
    if (key == "search_list_size") dest = &params.search_list_size;
    if (dest == nullptr) continue;  // other keys do not change the build
    if (!absl::SimpleAtoi(value, &n) || n <= 0 || n > 65536) {
      return absl::InvalidArgumentError(
          absl::StrCat("index param '", key,
                       "': expected a positive integer (got '", value, "')"));
    }
    *dest = static_cast<int>(n);
  }
  return params;
}

absl::Status Collection::CreateIndex(const IndexDef& def) {
  absl::MutexLock lock(&mu_);
  return CreateIndexLocked(def, /*log=*/true);
}

absl::Status Collection::CreateIndexLocked(const IndexDef& spec, bool log) {
  for (size_t f = 0; f < sparse_field_index_.size(); ++f) {
    if (schema_.fields[sparse_field_index_[f]].name == spec.field_name) {
      return CreateSparseIndexLocked(f, spec, log);
    }
  }
  int target = -1;
  for (size_t f = 0; f < vector_field_index_.size(); ++f) {
    if (schema_.fields[vector_field_index_[f]].name == spec.field_name) {
      target = static_cast<int>(f);
    }
  }
  if (target < 0) {
    for (size_t c = 0; c < schema_.fields.size(); ++c) {
      if (schema_.fields[c].name == spec.field_name) {
        return CreateScalarIndexLocked(static_cast<int>(c), spec, log);
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("index field: no field '", spec.field_name,
                     "' in collection '", name(), "'"));
  }
  IndexDef normalized = spec;
  if (normalized.index_name.empty()) normalized.index_name = spec.field_name;
  if (IsBinaryField(target)) {
    // COSINE is IndexSpec's default, the metric a request that names none
    // carries: on a binary field it stands for the field's default, HAMMING
    // (as Milvus picks it).
    if (normalized.metric == Metric::kCosine) {
      normalized.metric = Metric::kHamming;
    }
  }
  COVE_ASSIGN_OR_RETURN(
      bool same, HasSameIndexLocked(state_->meta->fields[target], normalized,
                                    spec.field_name));
  if (same) return absl::OkStatus();
  if (IsBinaryField(target)) {
    COVE_RETURN_IF_ERROR(CheckBinaryIndex(normalized));
  } else if (IsBinaryIndexKind(normalized.kind) ||
             IsBinaryMetric(normalized.metric)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "index on field '", spec.field_name, "': ",
        IsBinaryIndexKind(normalized.kind)
            ? absl::StrCat("index type ", IndexKindLabel(normalized.kind))
            : absl::StrCat("metric ", MetricName(normalized.metric)),
        " is for BINARY_VECTOR fields (the field is a ",
        DataTypeName(schema_.fields[vector_field_index_[target]].type), ")"));
  }
  if (vector_half_[target].has_value()) {
    COVE_RETURN_IF_ERROR(CheckHalfIndex(
        normalized, schema_.fields[vector_field_index_[target]].type));
  }
  if (!HalfScan(target, normalized)) {
    COVE_ASSIGN_OR_RETURN(IndexParams params,
                          IndexParamsFromDef(normalized, vector_dims_[target]));
    params.half = vector_half_[target];
    COVE_RETURN_IF_ERROR(MakeIndex(params).status());
  }
  COVE_ASSIGN_OR_RETURN(
      const uint64_t generation,
      PublishIndexLocked(&CollectionMeta::fields, static_cast<size_t>(target),
                         normalized, log));
  for (const auto& seg : state_->segments) {
    if (seg->sealed && seg->rows > 0) {
      ScheduleBuild(seg->id, static_cast<size_t>(target), generation);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Collection::HasSameIndexLocked(
    const FieldIndexState& current, const IndexDef& spec,
    const std::string& field) const {
  if (!current.has_index) return false;
  if (current.spec == spec) return true;
  return absl::AlreadyExistsError(
      absl::StrCat("index on field '", field, "' of collection '", name(),
                   "' already exists with other parameters; drop it first"));
}

absl::StatusOr<uint64_t> Collection::PublishIndexLocked(IndexStates kind,
                                                        size_t slot,
                                                        const IndexDef& spec,
                                                        bool log) {
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kCreateIndex));
    w.I64(id_);
    EncodeIndexDef(spec, &w);
    COVE_RETURN_IF_ERROR(Log(w.Take()));
  }
  auto meta = std::make_shared<CollectionMeta>(*state_->meta);
  FieldIndexState& state = ((*meta).*kind)[slot];
  state.has_index = true;
  state.spec = spec;
  ++state.generation;
  const uint64_t generation = state.generation;
  PublishMeta(std::move(meta));
  return generation;
}

absl::Status Collection::UnpublishIndexLocked(
    IndexStates kind, size_t slot, bool log,
    const std::function<bool(const SegmentView&)>& built,
    const std::function<void(SegmentView*)>& detach) {
  const CollectionMeta& meta = *state_->meta;
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kDropIndex));
    w.I64(id_);
    w.Str((meta.*kind)[slot].spec.index_name);
    COVE_RETURN_IF_ERROR(Log(w.Take()));
  }
  auto next_meta = std::make_shared<CollectionMeta>(meta);
  FieldIndexState& state = ((*next_meta).*kind)[slot];
  state.has_index = false;
  state.spec = IndexDef();
  ++state.generation;
  Batch batch(*state_);
  batch.next->meta = std::move(next_meta);
  for (size_t pos = 0; pos < batch.next->segments.size(); ++pos) {
    if (built(*batch.next->segments[pos])) detach(batch.View(pos));
  }
  std::shared_ptr<const CollectionState> old;
  absl::MutexLock lock(&state_mu_);
  old = std::move(state_);
  state_ = std::move(batch.next);
  return absl::OkStatus();
}

absl::Status Collection::DropIndex(const std::string& index_name) {
  absl::MutexLock lock(&mu_);
  return DropIndexLocked(index_name, /*log=*/true);
}

absl::Status Collection::DropIndexLocked(const std::string& index_name,
                                         bool log) {
  // Scalar indexes may be dropped from a loaded collection (as in Milvus):
  // filters scan the field again.
  for (size_t c = 0; c < state_->meta->scalar.size(); ++c) {
    const FieldIndexState& field = state_->meta->scalar[c];
    if (field.has_index && field.spec.index_name == index_name) {
      return DropScalarIndexLocked(static_cast<int>(c), log);
    }
  }
  if (state_->meta->loaded) {
    return absl::FailedPreconditionError(
        absl::StrCat("index '", index_name, "': collection '", name(),
                     "' is loaded; release it before dropping its index"));
  }
  const CollectionMeta& meta = *state_->meta;
  for (size_t f = 0; f < meta.fields.size(); ++f) {
    if (!meta.fields[f].has_index ||
        meta.fields[f].spec.index_name != index_name) {
      continue;
    }
    return UnpublishIndexLocked(
        &CollectionMeta::fields, f, log,
        [f](const SegmentView& v) { return v.index[f] != nullptr; },
        [f](SegmentView* v) { v->index[f] = nullptr; });
  }
  for (size_t f = 0; f < meta.sparse.size(); ++f) {
    if (meta.sparse[f].has_index &&
        meta.sparse[f].spec.index_name == index_name) {
      return DropSparseIndexLocked(f, log);
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "index '", index_name, "' not found in collection '", name(), "'"));
}

std::optional<IndexDef> Collection::IndexOf(size_t field) const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  if (field >= state->meta->fields.size() ||
      !state->meta->fields[field].has_index) {
    return std::nullopt;
  }
  return state->meta->fields[field].spec;
}

std::vector<IndexStatus> Collection::DescribeIndexes() const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  std::vector<IndexStatus> out;
  // The indexes of one kind of field; `built(segment, slot)`: the segment's
  // rows are searched through the index of `slot`.
  const auto describe =
      [&](const std::vector<FieldIndexState>& fields,
          const std::function<bool(const SegmentView&, size_t)>& built) {
        for (size_t f = 0; f < fields.size(); ++f) {
          if (!fields[f].has_index) continue;
          IndexStatus status;
          status.def = fields[f].spec;
          for (const auto& seg : state->segments) {
            const int64_t live = static_cast<int64_t>(seg->live());
            status.total_rows += live;
            if (built(*seg, f)) {
              status.indexed_rows += live;
            } else if (seg->sealed) {
              status.pending_rows += live;
            } else {
              status.growing_rows += live;
            }
          }
          out.push_back(std::move(status));
        }
      };
  const CollectionMeta& meta = *state->meta;
  describe(meta.fields, [&](const SegmentView& seg, size_t f) {
    // 16-bit fields: FLAT scans the sealed rows themselves.
    return seg.index[f] != nullptr ||
           (seg.sealed && HalfScan(f, meta.fields[f].spec));
  });
  describe(meta.sparse, [](const SegmentView& seg, size_t f) {
    return seg.SparseIndexOf(f) != nullptr;
  });
  describe(meta.scalar, [](const SegmentView& seg, size_t c) {
    return seg.ScalarIndexOf(static_cast<int>(c)) != nullptr;
  });
  return out;
}

absl::Status Collection::Load() {
  absl::MutexLock lock(&mu_);
  return LoadLocked(/*log=*/true);
}

absl::Status Collection::CheckLoadable(const CollectionMeta& meta) const {
  for (size_t f = 0; f < meta.fields.size(); ++f) {
    if (!meta.fields[f].has_index) {
      return absl::FailedPreconditionError(
          absl::StrCat("load collection '", name(), "': vector field '",
                       schema_.fields[vector_field_index_[f]].name,
                       "' has no index (create one first)"));
    }
  }
  for (size_t f = 0; f < meta.sparse.size(); ++f) {
    if (!meta.sparse[f].has_index) {
      return absl::FailedPreconditionError(
          absl::StrCat("load collection '", name(), "': vector field '",
                       schema_.fields[sparse_field_index_[f]].name,
                       "' has no index (create one first)"));
    }
  }
  return absl::OkStatus();
}

absl::Status Collection::LoadLocked(bool log) {
  const CollectionMeta& meta = *state_->meta;
  COVE_RETURN_IF_ERROR(CheckLoadable(meta));
  if (meta.loaded && meta.unloaded_partitions.empty()) {
    return absl::OkStatus();
  }
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kLoad));
    w.I64(id_);
    COVE_RETURN_IF_ERROR(Log(w.Take()));
  }
  auto next = std::make_shared<CollectionMeta>(meta);
  next->loaded = true;
  next->unloaded_partitions.clear();
  PublishMeta(std::move(next));
  return absl::OkStatus();
}

absl::Status Collection::Release() {
  absl::MutexLock lock(&mu_);
  if (!state_->meta->loaded) return absl::OkStatus();
  internal::ByteWriter w;
  w.U8(static_cast<uint8_t>(RecordType::kRelease));
  w.I64(id_);
  COVE_RETURN_IF_ERROR(Log(w.Take()));
  auto next = std::make_shared<CollectionMeta>(*state_->meta);
  next->loaded = false;
  next->unloaded_partitions.clear();
  PublishMeta(std::move(next));
  return absl::OkStatus();
}

namespace {

// Names of the live partitions of `meta`.
std::vector<std::string> LivePartitions(const CollectionMeta& meta) {
  std::vector<std::string> out;
  for (const std::string& p : meta.partitions) {
    if (!p.empty()) out.push_back(p);
  }
  return out;
}

std::string PartitionsRecord(RecordType type, int64_t id,
                             const std::vector<std::string>& names) {
  internal::ByteWriter w;
  w.U8(static_cast<uint8_t>(type));
  w.I64(id);
  w.Varint(names.size());
  for (const std::string& n : names) w.Str(n);
  return w.Take();
}

}  // namespace

absl::Status Collection::LoadPartitions(const std::vector<std::string>& names) {
  absl::MutexLock lock(&mu_);
  return LoadPartitionsLocked(names, /*log=*/true);
}

absl::Status Collection::LoadPartitionsLocked(
    const std::vector<std::string>& names, bool log) {
  const CollectionMeta& meta = *state_->meta;
  if (names.empty()) {
    return absl::InvalidArgumentError(
        "load partitions: partition_names: must not be empty");
  }
  COVE_RETURN_IF_ERROR(PartitionMask(meta, names).status());
  COVE_RETURN_IF_ERROR(CheckLoadable(meta));
  auto next = std::make_shared<CollectionMeta>(meta);
  if (!next->loaded) {
    next->loaded = true;
    for (const std::string& p : LivePartitions(meta)) {
      next->unloaded_partitions.insert(p);
    }
  }
  for (const std::string& n : names) next->unloaded_partitions.erase(n);
  if (next->loaded == meta.loaded &&
      next->unloaded_partitions == meta.unloaded_partitions) {
    return absl::OkStatus();
  }
  if (log) {
    COVE_RETURN_IF_ERROR(
        Log(PartitionsRecord(RecordType::kLoadPartitions, id_, names)));
  }
  PublishMeta(std::move(next));
  return absl::OkStatus();
}

absl::Status Collection::ReleasePartitions(
    const std::vector<std::string>& names) {
  absl::MutexLock lock(&mu_);
  return ReleasePartitionsLocked(names, /*log=*/true);
}

absl::Status Collection::ReleasePartitionsLocked(
    const std::vector<std::string>& names, bool log) {
  const CollectionMeta& meta = *state_->meta;
  if (names.empty()) {
    return absl::InvalidArgumentError(
        "release partitions: partition_names: must not be empty");
  }
  COVE_RETURN_IF_ERROR(PartitionMask(meta, names).status());
  if (!meta.loaded) return absl::OkStatus();
  auto next = std::make_shared<CollectionMeta>(meta);
  for (const std::string& n : names) next->unloaded_partitions.insert(n);
  if (next->unloaded_partitions == meta.unloaded_partitions) {
    return absl::OkStatus();
  }
  // Nothing left loaded: the collection is released.
  if (next->unloaded_partitions.size() >= LivePartitions(meta).size()) {
    next->loaded = false;
    next->unloaded_partitions.clear();
  }
  if (log) {
    COVE_RETURN_IF_ERROR(
        Log(PartitionsRecord(RecordType::kReleasePartitions, id_, names)));
  }
  PublishMeta(std::move(next));
  return absl::OkStatus();
}

absl::StatusOr<bool> Collection::PartitionLoaded(
    const std::string& partition) const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  COVE_RETURN_IF_ERROR(PartitionMask(*state->meta, {partition}).status());
  return state->meta->loaded &&
         state->meta->unloaded_partitions.count(partition) == 0;
}

absl::StatusOr<int64_t> Collection::PartitionRowCount(
    const std::string& partition) const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  COVE_ASSIGN_OR_RETURN(std::vector<bool> mask,
                        PartitionMask(*state->meta, {partition}));
  int64_t n = 0;
  for (const auto& seg : state->segments) {
    const std::vector<uint16_t>& part = seg->data->partition;
    for (size_t r = 0; r < seg->rows; ++r) {
      if (mask[part[r]] && (seg->num_deleted == 0 || !seg->deleted->Test(r))) {
        ++n;
      }
    }
  }
  return n;
}

uint32_t PartitionKeySlot(const Value& key, size_t n) {
  uint32_t h = 0;
  if (key.is_int()) {
    const uint64_t u = static_cast<uint64_t>(key.AsInt());
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(u >> (8 * i));
    h = text::TermId(std::string_view(bytes, sizeof(bytes)));
  } else {
    h = text::TermId(key.AsString());
  }
  return static_cast<uint32_t>(h % n);
}

absl::Status Collection::SetPartitionKey(
    int column, const std::vector<std::string>& names) {
  if (column < 0 || static_cast<size_t>(column) >= schema_.fields.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "partition key: collection '", name(), "' has ", schema_.fields.size(),
        " fields (got position ", column, ")"));
  }
  const FieldDef& f = schema_.fields[column];
  if ((f.type != DataType::kInt64 && f.type != DataType::kVarChar) ||
      f.nullable || f.is_primary_key) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition key '", f.name,
                     "': expected an INT64 or VARCHAR field that is neither "
                     "nullable nor the primary key (got ",
                     DataTypeName(f.type), ")"));
  }
  if (names.empty() || names.size() > kMaxPartitions) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition key: expected 1 to ", kMaxPartitions,
                     " partitions (got ", names.size(), ")"));
  }
  absl::MutexLock lock(&mu_);
  auto layout = std::make_shared<PartitionKeyLayout>();
  layout->column = column;
  for (const std::string& n : names) {
    const std::vector<std::string>* partitions = &state_->meta->partitions;
    auto it = std::find(partitions->begin(), partitions->end(), n);
    if (n.empty() || it == partitions->end()) {
      COVE_RETURN_IF_ERROR(
          CreatePartitionLocked(n, /*log=*/false, /*key_mode=*/true));
      partitions = &state_->meta->partitions;
      it = partitions->end() - 1;
    }
    layout->slots.push_back(static_cast<uint16_t>(it - partitions->begin()));
  }
  const CollectionMeta& meta = *state_->meta;
  if (meta.key_layout != nullptr && meta.key_layout->column == column &&
      meta.key_layout->slots == layout->slots) {
    return absl::OkStatus();
  }
  auto next = std::make_shared<CollectionMeta>(meta);
  next->key_layout = std::move(layout);
  PublishMeta(std::move(next));
  return absl::OkStatus();
}

int Collection::partition_key_column() const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  return state->meta->key_layout != nullptr ? state->meta->key_layout->column
                                            : -1;
}

std::vector<bool> Collection::KeyMask(
    const CollectionMeta& meta, const expr::CompiledFilter* filter) const {
  std::vector<bool> mask;
  const PartitionKeyLayout* layout = meta.key_layout.get();
  if (layout == nullptr || filter == nullptr ||
      !prune_by_key_.load(std::memory_order_relaxed)) {
    return mask;
  }
  std::optional<std::vector<Value>> pinned =
      filter->PinnedValues(layout->column);
  if (!pinned.has_value() || pinned->empty()) return mask;
  const bool int_key = schema_.fields[layout->column].type == DataType::kInt64;
  mask.assign(meta.partitions.size(), false);
  for (const Value& v : *pinned) {
    // A value of another type (`k == 1.0` on an INT64 key compares
    // numerically): no pruning.
    if (int_key ? !v.is_int() : !v.is_string()) return {};
    mask[layout->slots[PartitionKeySlot(v, layout->slots.size())]] = true;
  }
  return mask;
}

absl::StatusOr<std::vector<bool>> Collection::ReadMask(
    const CollectionMeta& meta, const std::vector<std::string>& names,
    const expr::CompiledFilter* filter) const {
  COVE_ASSIGN_OR_RETURN(std::vector<bool> mask, PartitionMask(meta, names));
  if (names.empty()) mask = KeyMask(meta, filter);
  if (meta.unloaded_partitions.empty()) return mask;
  if (names.empty()) {
    const bool pruned = !mask.empty();
    mask.resize(meta.partitions.size(), false);
    for (size_t p = 0; p < meta.partitions.size(); ++p) {
      mask[p] = (!pruned || mask[p]) && !meta.partitions[p].empty() &&
                meta.unloaded_partitions.count(meta.partitions[p]) == 0;
    }
    return mask;
  }
  for (const std::string& n : names) {
    if (meta.unloaded_partitions.count(n) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "partition '", n, "' of collection '", name(),
          "' is not loaded (call LoadPartitions or LoadCollection)"));
    }
  }
  return mask;
}

bool Collection::loaded() const { return Snapshot()->meta->loaded; }

int64_t Collection::row_count() const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  int64_t n = 0;
  for (const auto& seg : state->segments)
    n += static_cast<int64_t>(seg->live());
  return n;
}

absl::StatusOr<expr::CompiledFilter> Collection::CompileFilter(
    const std::string& filter,
    const std::map<std::string, Value>& params) const {
  expr::TemplateValues values(params.begin(), params.end());
  return expr::Compile(filter, expr_schema_, values);
}

absl::StatusOr<std::vector<bool>> Collection::PartitionMask(
    const CollectionMeta& meta, const std::vector<std::string>& names) const {
  std::vector<bool> mask;
  if (names.empty()) return mask;
  mask.assign(meta.partitions.size(), false);
  for (const std::string& name : names) {
    auto it = std::find(meta.partitions.begin(), meta.partitions.end(), name);
    if (name.empty() || it == meta.partitions.end() ||
        (meta.key_layout != nullptr && name == kDefaultPartition)) {
      return absl::NotFoundError(absl::StrCat("partition '", name,
                                              "' not found in collection '",
                                              this->name(), "'"));
    }
    mask[it - meta.partitions.begin()] = true;
  }
  return mask;
}

absl::Status Collection::CreatePartition(const std::string& partition) {
  absl::MutexLock lock(&mu_);
  return CreatePartitionLocked(partition, /*log=*/true);
}

absl::Status Collection::CreatePartitionLocked(const std::string& partition,
                                               bool log, bool key_mode) {
  COVE_RETURN_IF_ERROR(ValidateName("partition name", partition));
  const std::vector<std::string>& partitions = state_->meta->partitions;
  if (std::find(partitions.begin(), partitions.end(), partition) !=
      partitions.end()) {
    return absl::AlreadyExistsError(
        absl::StrCat("partition '", partition,
                     "' already exists in collection '", name(), "'"));
  }
  size_t live = 0;
  // Partition key mode hides "_default": it does not count.
  for (const auto& p : partitions) {
    live += p.empty() || (key_mode && p == kDefaultPartition) ? 0 : 1;
  }
  if (live >= kMaxPartitions || partitions.size() >= UINT16_MAX) {
    return absl::ResourceExhaustedError(
        absl::StrCat("partition '", partition, "': collection '", name(),
                     "' has the maximum of ", kMaxPartitions, " partitions"));
  }
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kCreatePartition));
    w.I64(id_);
    w.Str(partition);
    COVE_RETURN_IF_ERROR(Log(w.Take()));
  }
  auto meta = std::make_shared<CollectionMeta>(*state_->meta);
  meta->partitions.push_back(partition);
  // In a collection loaded partition by partition, a new partition is not
  // loaded; in a wholly loaded one it is (as Milvus).
  if (meta->loaded && !meta->unloaded_partitions.empty()) {
    meta->unloaded_partitions.insert(partition);
  }
  PublishMeta(std::move(meta));
  return absl::OkStatus();
}

absl::Status Collection::DropPartition(const std::string& partition) {
  absl::MutexLock lock(&mu_);
  return DropPartitionLocked(partition, /*log=*/true);
}

absl::Status Collection::DropPartitionLocked(const std::string& partition,
                                             bool log) {
  if (partition == kDefaultPartition) {
    return absl::InvalidArgumentError(
        "partition '_default': the default partition cannot be dropped");
  }
  const std::vector<std::string>& partitions = state_->meta->partitions;
  auto it = std::find(partitions.begin(), partitions.end(), partition);
  if (partition.empty() || it == partitions.end()) {
    return absl::NotFoundError(absl::StrCat(
        "partition '", partition, "' not found in collection '", name(), "'"));
  }
  if (state_->meta->loaded &&
      state_->meta->unloaded_partitions.count(partition) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("drop partition '", partition, "' of collection '", name(),
                     "': the partition is loaded; release it first"));
  }
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kDropPartition));
    w.I64(id_);
    w.Str(partition);
    COVE_RETURN_IF_ERROR(Log(w.Take()));
  }
  const uint16_t id = static_cast<uint16_t>(it - partitions.begin());
  std::vector<int64_t> touched;
  {
    absl::MutexLock slock(&state_mu_);
    Batch batch(*state_);
    auto meta = std::make_shared<CollectionMeta>(*state_->meta);
    meta->partitions[id].clear();  // keep ids stable
    meta->unloaded_partitions.erase(partition);
    batch.next->meta = std::move(meta);
    for (size_t pos = 0; pos < batch.next->segments.size(); ++pos) {
      const SegmentView& seg = *batch.next->segments[pos];
      const int64_t seg_id = seg.id;
      const size_t rows = seg.rows;
      const SegmentData& data = *seg.data;
      for (size_t r = 0; r < rows; ++r) {
        if (data.partition[r] != id) continue;
        const Loc loc = MakeLoc(seg_id, static_cast<uint32_t>(r));
        if (TombstoneLocked(batch, loc, &touched)) {
          ErasePkLocked(data.columns[pk_index_][r]);
        }
      }
    }
    std::shared_ptr<const CollectionState> old = std::move(state_);
    state_ = std::move(batch.next);
  }
  if (!touched.empty()) MaybeScheduleCompactionLocked();
  return absl::OkStatus();
}

bool Collection::HasPartition(const std::string& partition) const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  const std::vector<std::string>& partitions = state->meta->partitions;
  if (state->meta->key_layout != nullptr && partition == kDefaultPartition) {
    return false;  // hidden in partition key mode
  }
  return !partition.empty() && std::find(partitions.begin(), partitions.end(),
                                         partition) != partitions.end();
}

std::vector<std::string> Collection::ListPartitions() const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  const bool key_mode = state->meta->key_layout != nullptr;
  std::vector<std::string> out;
  for (const auto& p : state->meta->partitions) {
    if (p.empty() || (key_mode && p == kDefaultPartition)) continue;
    out.push_back(p);
  }
  return out;
}

std::vector<SegmentInfo> Collection::Segments() const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  std::vector<SegmentInfo> out;
  for (const auto& seg : state->segments) {
    SegmentInfo info;
    info.id = seg->id;
    info.sealed = seg->sealed;
    info.rows = static_cast<int64_t>(seg->rows);
    info.deleted = static_cast<int64_t>(seg->num_deleted);
    info.memory_bytes = seg->data->MemoryBytes() +
                        seg->deleted->words().capacity() * sizeof(uint64_t);
    for (const auto& rows : seg->vectors) {
      info.memory_bytes += rows->heap_bytes();
      info.mapped_vector_bytes += rows->mapped_bytes();
      info.vectors_mapped.push_back(rows->mapped());
    }
    for (const auto& index : seg->index) {
      info.indexed.push_back(index != nullptr);
      if (index != nullptr) info.memory_bytes += index->MemoryBytes();
    }
    for (const auto& index : seg->sparse_index) {
      if (index != nullptr) info.memory_bytes += index->MemoryBytes();
    }
    for (const auto& index : seg->text_index) {
      if (index != nullptr) info.memory_bytes += index->MemoryBytes();
    }
    for (const auto& index : seg->scalar_index) {
      if (index != nullptr) info.memory_bytes += index->MemoryBytes();
    }
    out.push_back(std::move(info));
  }
  return out;
}

size_t Collection::MemoryBytes() const {
  size_t bytes = 0;
  for (const SegmentInfo& info : Segments()) bytes += info.memory_bytes;
  return bytes;
}

}  // namespace cove::engine
