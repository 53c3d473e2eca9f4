// Text indexes of a collection (TEXT_MATCH): per sealed segment, an
// inverted index of each VARCHAR field with enable_match, built in the
// background like the vector indexes. Until it is installed (and always
// for the growing segment) TEXT_MATCH analyzes the rows' text instead: the
// same rows match either way.
#include <memory>
#include <utility>
#include <vector>

#include "engine/collection.h"
#include "engine/collection_internal.h"
#include "engine/text/text_index.h"

namespace cove::engine {

void Collection::ScheduleTextBuild(int64_t segment) {
  if (match_columns_.empty()) return;
  Submit([this, segment] { TextBuildJob(segment); });
}

void Collection::TextBuildJob(int64_t segment) {
  std::shared_ptr<const CollectionState> state = Snapshot();
  const int pos = state->Find(segment);
  if (pos < 0) return;  // compacted away meanwhile
  const SegmentView& seg = *state->segments[pos];
  if (!seg.sealed) return;
  std::vector<std::shared_ptr<const text::TextIndex>> built(
      schema_.fields.size());
  bool any = false;
  for (int column : match_columns_) {
    if (seg.TextIndexOf(column) != nullptr) continue;
    built[column] = text::TextIndex::Build(seg.data->columns[column], seg.rows,
                                           *analyzers_[column]);
    any = true;
  }
  if (!any) return;
  absl::MutexLock lock(&mu_);
  const int now_pos = state_->Find(segment);
  if (now_pos < 0) return;
  std::shared_ptr<const CollectionState> old;
  absl::MutexLock slock(&state_mu_);
  Batch batch(*state_);
  SegmentView* view = batch.View(now_pos);
  if (view->text_index.size() < built.size()) {
    view->text_index.resize(built.size());
  }
  for (size_t c = 0; c < built.size(); ++c) {
    if (built[c] != nullptr && view->text_index[c] == nullptr) {
      view->text_index[c] = std::move(built[c]);
    }
  }
  old = std::move(state_);
  state_ = std::move(batch.next);
}

}  // namespace cove::engine
