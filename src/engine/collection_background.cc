// Background work of a collection: index builds of sealed segments and
// compaction (rewriting sealed segments without their deleted rows, merging
// small ones). Jobs run on the shared BuildPool and work on immutable
// segment storage without locks; only installing a result takes the
// collection's locks, briefly.
#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/collection.h"
#include "engine/collection_internal.h"

namespace cove::engine {

void Collection::Submit(std::function<void()> job) const {
  std::shared_ptr<Jobs> jobs = jobs_;
  {
    absl::MutexLock lock(&jobs->mu);
    if (jobs->cancelled) return;
    ++jobs->pending;
  }
  context_.pool->Submit([jobs, job = std::move(job)] {
    bool run = false;
    {
      absl::MutexLock lock(&jobs->mu);
      run = !jobs->cancelled;
    }
    if (run) job();
    absl::MutexLock lock(&jobs->mu);
    --jobs->pending;
  });
}

void Collection::CancelBackgroundWork() {
  absl::MutexLock lock(&jobs_->mu);
  jobs_->cancelled = true;
  jobs_->stop_builds.store(true, std::memory_order_relaxed);
}

void Collection::WaitForIndexBuilds() const {
  absl::MutexLock lock(&jobs_->mu);
  jobs_->mu.Await(absl::Condition(
      +[](Jobs* j) ABSL_NO_THREAD_SAFETY_ANALYSIS { return j->pending == 0; },
      jobs_.get()));
}

void Collection::ScheduleBuild(int64_t segment, size_t field,
                               uint64_t generation) {
  Submit([this, segment, field, generation] {
    BuildJob(segment, field, generation);
  });
}

namespace {

bool KeepsVectorsOnDisk(const IndexDef& def) {
  // The quantized indexes read float32 rows only to re-rank candidates.
  return def.kind == IndexKind::kHnswSq || def.kind == IndexKind::kIvfSq8 ||
         def.kind == IndexKind::kIvfPq || def.kind == IndexKind::kScann ||
         def.kind == IndexKind::kDiskAnn;
}

// What an index holds on to: the rows it reads and the segment whose
// inverse norms scale them.
struct AttachedRows {
  std::shared_ptr<const FloatRows> rows;
  std::shared_ptr<const SegmentData> data;
};

}  // namespace

std::shared_ptr<const FloatRows> Collection::PlaceVectors(
    std::shared_ptr<const FloatRows> rows, size_t n, size_t field,
    const IndexDef* spec) const {
  if (spec == nullptr || rows == nullptr) return rows;
  const size_t dim = vector_dims_[field];
  if (KeepsVectorsOnDisk(*spec)) {
    if (rows->mapped() || context_.spill_dir.empty() || n == 0) return rows;
    auto spilled = FloatRows::Spill(rows->data(), n, dim, context_.spill_dir);
    // A file that cannot be written (read-only directory, full disk) leaves
    // the rows in the heap: slower to fit in memory, never wrong.
    return spilled.ok() ? std::shared_ptr<const FloatRows>(*std::move(spilled))
                        : rows;
  }
  if (rows->mapped()) return FloatRows::Copy(rows->data(), n, dim);
  return rows;
}

absl::Status Collection::AttachSegmentVectors(
    VectorIndex& index, const std::shared_ptr<const SegmentData>& data,
    const std::shared_ptr<const FloatRows>& vectors, size_t rows, size_t field,
    const IndexDef& spec) const {
  ExternalVectors v;
  v.data = vectors->data();
  v.n = rows;
  v.dim = vector_dims_[field];
  v.mapped = vectors->mapped();
  if (spec.metric == Metric::kCosine) {
    // The index works on unit vectors: raw rows times 1/|x|.
    v.scale = data->vectors[field].inv_norm.data();
  }
  v.owner = std::make_shared<AttachedRows>(AttachedRows{vectors, data});
  return index.AttachVectors(v);
}

absl::StatusOr<std::shared_ptr<const VectorIndex>>
Collection::BuildSegmentIndex(const std::shared_ptr<const SegmentData>& data,
                              std::shared_ptr<const FloatRows>* rows_inout,
                              size_t rows, size_t field,
                              const IndexDef& spec) const {
  // 16-bit fields: their FLAT index is the scan of the segment's rows.
  if (HalfScan(field, spec)) return std::shared_ptr<const VectorIndex>();
  const size_t dim = vector_dims_[field];
  COVE_ASSIGN_OR_RETURN(auto params, IndexParamsFromDef(spec, dim));
  params.half = vector_half_[field];
  params.build_threads = context_.pool->threads_per_job();
  params.cancel = &jobs_->stop_builds;
  COVE_ASSIGN_OR_RETURN(auto index, MakeIndex(params));
  const float* vectors = (*rows_inout)->data();
  std::vector<float> normalized;
  if (spec.metric == Metric::kCosine && params.half.has_value()) {
    // 16-bit rows: widened, normalized and rounded back, packed as stored.
    const HalfType t = *params.half;
    normalized.assign(vectors, vectors + rows * dim);
    for (size_t r = 0; r < rows; ++r) {
      auto* h = reinterpret_cast<uint16_t*>(normalized.data() + r * dim);
      const float inv = data->vectors[field].inv_norm[r];
      for (size_t i = 0; i < 2 * dim; ++i) {
        h[i] = FloatToHalf(t, HalfToFloat(t, h[i]) * inv);
      }
    }
    vectors = normalized.data();
  } else if (spec.metric == Metric::kCosine) {
    // The index works with inner products of unit vectors.
    normalized.assign(vectors, vectors + rows * dim);
    for (size_t r = 0; r < rows; ++r) {
      float* v = normalized.data() + r * dim;
      const float n = Norm(v, dim);
      if (n > 0) {
        for (size_t i = 0; i < dim; ++i) v[i] /= n;
      }
    }
    vectors = normalized.data();
  }
  COVE_RETURN_IF_ERROR(index->Build(vectors, rows));
  normalized = std::vector<float>();
  // The index drops the copy it built on and reads the segment's rows.
  *rows_inout = PlaceVectors(*rows_inout, rows, field, &spec);
  COVE_RETURN_IF_ERROR(
      AttachSegmentVectors(*index, data, *rows_inout, rows, field, spec));
  return std::shared_ptr<const VectorIndex>(std::move(index));
}

void Collection::BuildJob(int64_t segment, size_t field, uint64_t generation) {
  std::shared_ptr<const CollectionState> state = Snapshot();
  const FieldIndexState& spec = state->meta->fields[field];
  if (!spec.has_index || spec.generation != generation) return;
  if (HalfScan(field, spec.spec)) return;  // nothing to build
  const int pos = state->Find(segment);
  if (pos < 0) return;  // compacted away meanwhile
  const SegmentView& seg = *state->segments[pos];
  if (!seg.sealed || seg.index[field] != nullptr) return;
  std::shared_ptr<const FloatRows> rows = seg.vectors[field];
  auto index = BuildSegmentIndex(seg.data, &rows, seg.rows, field, spec.spec);
  if (absl::IsCancelled(index.status())) return;  // shutting down
  if (!index.ok()) {
    // The segment stays searchable by exact scan.
    std::fprintf(stderr,
                 "cove: building the index of segment %lld of collection "
                 "'%s' failed: %s\n",
                 static_cast<long long>(segment), name().c_str(),
                 std::string(index.status().message()).c_str());
    return;
  }
  absl::MutexLock lock(&mu_);
  const FieldIndexState& now = state_->meta->fields[field];
  const int now_pos = state_->Find(segment);
  if (!now.has_index || now.generation != generation || now_pos < 0) return;
  std::shared_ptr<const CollectionState> old;
  absl::MutexLock slock(&state_mu_);
  Batch batch(*state_);
  SegmentView* view = batch.View(now_pos);
  view->index[field] = *std::move(index);
  // The rows the index reads (moved to a mapped file, or back to the heap);
  // readers of older states keep the rows they had.
  view->vectors[field] = std::move(rows);
  old = std::move(state_);
  state_ = std::move(batch.next);
}

void Collection::MaybeScheduleCompactionLocked() {
  if (compaction_scheduled_) return;
  const SegmentOptions& opt = context_.segments;
  size_t small = 0;
  bool needed = false;
  for (const auto& seg : state_->segments) {
    if (!seg->sealed || std::find(compacting_.begin(), compacting_.end(),
                                  seg->id) != compacting_.end()) {
      continue;
    }
    if (static_cast<double>(seg->num_deleted) >
        opt.compact_deleted_ratio * static_cast<double>(seg->rows)) {
      needed = true;
    }
    if (seg->live() < opt.MergeRows()) ++small;
  }
  if (!needed && small < 2) return;
  compaction_scheduled_ = true;
  Submit([this] { CompactionJob(); });
}

std::vector<Collection::CompactionGroup> Collection::PickCompactionsLocked(
    bool everything) {
  const SegmentOptions& opt = context_.segments;
  std::vector<CompactionGroup> groups;
  CompactionGroup current;
  size_t current_live = 0;
  bool current_dirty = false;
  auto close = [&] {
    if (current.sources.size() >= 2 || current_dirty) {
      groups.push_back(std::move(current));
    }
    current = CompactionGroup();
    current_live = 0;
    current_dirty = false;
  };
  for (const auto& seg : state_->segments) {
    if (!seg->sealed || std::find(compacting_.begin(), compacting_.end(),
                                  seg->id) != compacting_.end()) {
      continue;
    }
    const bool dirty = everything ? seg->num_deleted > 0
                                  : static_cast<double>(seg->num_deleted) >
                                        opt.compact_deleted_ratio *
                                            static_cast<double>(seg->rows);
    const bool small = seg->live() < opt.MergeRows();
    if (!dirty && !small) continue;
    if (!current.sources.empty() &&
        current_live + seg->live() > opt.seal_rows) {
      close();
    }
    current.sources.push_back(seg);
    current_live += seg->live();
    current_dirty |= dirty;
  }
  close();
  for (CompactionGroup& group : groups) {
    group.fields = state_->meta->fields;
    group.new_id = next_segment_id_++;
    for (const auto& seg : group.sources) compacting_.push_back(seg->id);
  }
  return groups;
}

void Collection::RunCompaction(CompactionGroup& group) const {
  size_t live = 0;
  for (const auto& seg : group.sources) live += seg->live();
  group.new_row.resize(group.sources.size());
  group.max_norm.assign(vector_dims_.size(), 0.0f);
  group.index.resize(vector_dims_.size());
  group.rows = live;
  if (live == 0) {
    for (size_t s = 0; s < group.sources.size(); ++s) {
      group.new_row[s].assign(group.sources[s]->rows, CompactionGroup::kNoRow);
    }
    return;
  }
  auto data = std::make_shared<SegmentData>(num_columns_, vector_dims_, live);
  std::vector<std::shared_ptr<FloatRows>> vectors =
      NewVectorRows(vector_dims_, live);
  size_t out = 0;
  for (size_t s = 0; s < group.sources.size(); ++s) {
    const SegmentView& seg = *group.sources[s];
    const SegmentData& in = *seg.data;
    std::vector<uint32_t>& map = group.new_row[s];
    map.assign(seg.rows, CompactionGroup::kNoRow);
    for (size_t r = 0; r < seg.rows; ++r) {
      if (seg.deleted->Test(r)) continue;
      for (size_t c = 0; c < num_columns_; ++c) {
        data->columns[c][out] = in.columns[c][r];
      }
      data->partition[out] = in.partition[r];
      for (size_t f = 0; f < vector_dims_.size(); ++f) {
        const size_t dim = vector_dims_[f];
        std::copy_n(seg.vectors[f]->row(r), dim,
                    vectors[f]->mutable_data() + out * dim);
        const float inv = in.vectors[f].inv_norm[r];
        data->vectors[f].inv_norm[out] = inv;
        if (inv > 0) {
          group.max_norm[f] = std::max(group.max_norm[f], 1.0f / (inv * inv));
        }
      }
      map[r] = static_cast<uint32_t>(out++);
    }
  }
  group.vectors.assign(vectors.begin(), vectors.end());
  for (size_t f = 0; f < vector_dims_.size(); ++f) {
    if (!group.fields[f].has_index) continue;
    auto index = BuildSegmentIndex(data, &group.vectors[f], live, f,
                                   group.fields[f].spec);
    if (index.ok()) group.index[f] = *std::move(index);
  }
  group.data = std::move(data);
}

void Collection::InstallCompaction(CompactionGroup& group) {
  absl::MutexLock lock(&mu_);
  for (const auto& seg : group.sources) {
    compacting_.erase(
        std::find(compacting_.begin(), compacting_.end(), seg->id));
  }
  std::vector<std::pair<int64_t, size_t>> to_build;
  {
    std::shared_ptr<const CollectionState> old;
    absl::MutexLock slock(&state_mu_);
    const CollectionState& state = *state_;
    auto next = std::make_shared<CollectionState>();
    next->meta = state.meta;
    std::shared_ptr<SegmentView> view;
    std::shared_ptr<Bitset> deleted;
    if (group.data != nullptr) {
      view = std::make_shared<SegmentView>();
      view->id = group.new_id;
      view->sealed = true;
      view->data = group.data;
      view->vectors = group.vectors;
      view->rows = group.rows;
      deleted = std::make_shared<Bitset>(group.rows);
      view->max_norm = group.max_norm;
      view->index.resize(vector_dims_.size());
      for (size_t f = 0; f < vector_dims_.size(); ++f) {
        const FieldIndexState& now = state.meta->fields[f];
        if (!now.has_index) continue;
        if (now.generation == group.fields[f].generation &&
            group.index[f] != nullptr) {
          view->index[f] = group.index[f];
        } else {
          to_build.emplace_back(group.new_id, f);
        }
      }
    }
    // Rows deleted while the compaction ran are deleted in the output too;
    // the others move, and so do their primary keys.
    for (size_t s = 0; s < group.sources.size(); ++s) {
      const int pos = state.Find(group.sources[s]->id);
      const SegmentView& current = *state.segments[pos];
      const std::vector<uint32_t>& map = group.new_row[s];
      for (size_t r = 0; r < map.size(); ++r) {
        if (map[r] == CompactionGroup::kNoRow) continue;
        if (current.deleted->Test(r)) {
          deleted->Set(map[r]);
          ++view->num_deleted;
        } else {
          SetPkLocked(group.data->columns[pk_index_][map[r]],
                      MakeLoc(group.new_id, map[r]));
        }
      }
    }
    if (view != nullptr) view->deleted = std::move(deleted);
    for (const auto& seg : state.segments) {
      bool replaced = false;
      for (const auto& source : group.sources)
        replaced |= source->id == seg->id;
      if (!replaced) next->segments.push_back(seg);
    }
    if (view != nullptr) next->segments.push_back(std::move(view));
    std::sort(next->segments.begin(), next->segments.end(),
              [](const auto& a, const auto& b) { return a->id < b->id; });
    old = std::move(state_);
    state_ = std::move(next);
  }
  for (const auto& [id, f] : to_build) {
    ScheduleBuild(id, f, state_->meta->fields[f].generation);
  }
  // Sparse indexes of the new segment are built after it is installed
  // (searched exactly meanwhile).
  if (group.data != nullptr) {
    for (size_t f = 0; f < state_->meta->sparse.size(); ++f) {
      if (state_->meta->sparse[f].has_index) {
        ScheduleSparseBuild(group.new_id, f,
                            state_->meta->sparse[f].generation);
      }
    }
    ScheduleTextBuild(group.new_id);
    ScheduleScalarBuilds(group.new_id);
  }
  MaybeScheduleCompactionLocked();
}

void Collection::CompactionJob() {
  std::vector<CompactionGroup> groups;
  {
    absl::MutexLock lock(&mu_);
    compaction_scheduled_ = false;
    groups = PickCompactionsLocked(/*everything=*/false);
  }
  for (CompactionGroup& group : groups) {
    RunCompaction(group);
    InstallCompaction(group);
  }
}

void Collection::CompactGrowingLocked() {
  const int pos = state_->Find(growing_id_);
  const SegmentView& seg = *state_->segments[pos];
  if (seg.num_deleted == 0) return;
  const size_t live = seg.live();
  const size_t capacity = std::max(live, InitialCapacity());
  auto data =
      std::make_shared<SegmentData>(num_columns_, vector_dims_, capacity);
  std::vector<std::shared_ptr<FloatRows>> vectors =
      NewVectorRows(vector_dims_, capacity);
  auto view = std::make_shared<SegmentView>();
  view->id = next_segment_id_++;
  view->sealed = false;
  view->data = data;
  view->vectors.assign(vectors.begin(), vectors.end());
  view->rows = live;
  view->deleted = std::make_shared<Bitset>(capacity);
  view->max_norm.assign(vector_dims_.size(), 0.0f);
  view->index.resize(vector_dims_.size());
  size_t out = 0;
  for (size_t r = 0; r < seg.rows; ++r) {
    if (seg.deleted->Test(r)) continue;
    for (size_t c = 0; c < num_columns_; ++c) {
      data->columns[c][out] = seg.data->columns[c][r];
    }
    data->partition[out] = seg.data->partition[r];
    for (size_t f = 0; f < vector_dims_.size(); ++f) {
      const size_t dim = vector_dims_[f];
      std::copy_n(seg.vectors[f]->row(r), dim,
                  vectors[f]->mutable_data() + out * dim);
      const float inv = seg.data->vectors[f].inv_norm[r];
      data->vectors[f].inv_norm[out] = inv;
      if (inv > 0) {
        view->max_norm[f] = std::max(view->max_norm[f], 1.0f / (inv * inv));
      }
    }
    ++out;
  }
  std::shared_ptr<const CollectionState> old;
  absl::MutexLock slock(&state_mu_);
  for (size_t r = 0; r < live; ++r) {
    SetPkLocked(data->columns[pk_index_][r],
                MakeLoc(view->id, static_cast<uint32_t>(r)));
  }
  auto next = std::make_shared<CollectionState>(*state_);
  next->segments.erase(next->segments.begin() + pos);
  next->segments.push_back(view);  // the largest id
  growing_ = std::move(data);
  growing_vectors_ = std::move(vectors);
  growing_id_ = view->id;
  old = std::move(state_);
  state_ = std::move(next);
}

absl::Status Collection::Compact() {
  // Let running jobs finish, so that every segment can be picked.
  WaitForIndexBuilds();
  std::vector<CompactionGroup> groups;
  {
    absl::MutexLock lock(&mu_);
    groups = PickCompactionsLocked(/*everything=*/true);
    CompactGrowingLocked();
  }
  for (CompactionGroup& group : groups) {
    RunCompaction(group);
    InstallCompaction(group);
  }
  // Installing may have scheduled index builds or merges: wait for them.
  WaitForIndexBuilds();
  return absl::OkStatus();
}

}  // namespace cove::engine
