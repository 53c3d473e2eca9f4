// The inverted index of one analyzed VARCHAR column of a segment: per term
// (text::TermId of a token), the rows whose text holds it. TEXT_MATCH
// filters read it instead of analyzing every row's text.
#ifndef COVE_SRC_ENGINE_TEXT_TEXT_INDEX_H_
#define COVE_SRC_ENGINE_TEXT_TEXT_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "cove/value.h"
#include "engine/bitset.h"
#include "engine/text/analyzer.h"

namespace cove::engine::text {

/// Postings of one column: term -> rows, ascending.
///
/// Thread safety: immutable once built; const methods may run concurrently.
class TextIndex {
 public:
  /// Indexes the first `rows` values of `column` (strings are analyzed;
  /// nulls and other kinds hold no terms).
  static std::unique_ptr<TextIndex> Build(const std::vector<Value>& column,
                                          size_t rows,
                                          const Analyzer& analyzer);

  /// Sets in `out` (at least size() bits) every row holding any of `terms`.
  void MatchAny(const std::vector<uint32_t>& terms, Bitset* out) const;

  size_t size() const { return rows_; }
  size_t MemoryBytes() const;

 private:
  TextIndex() = default;
  size_t rows_ = 0;
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> postings_;
};

}  // namespace cove::engine::text

#endif  // COVE_SRC_ENGINE_TEXT_TEXT_INDEX_H_
