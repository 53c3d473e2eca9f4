#include "engine/text/text_index.h"

#include <string>

namespace cove::engine::text {

std::unique_ptr<TextIndex> TextIndex::Build(const std::vector<Value>& column,
                                            size_t rows,
                                            const Analyzer& analyzer) {
  std::unique_ptr<TextIndex> index(new TextIndex());
  index->rows_ = rows;
  for (size_t r = 0; r < rows && r < column.size(); ++r) {
    if (!column[r].is_string()) continue;
    for (const std::string& token : analyzer.Analyze(column[r].AsString())) {
      std::vector<uint32_t>& rows_of = index->postings_[TermId(token)];
      // Rows come in order: a repeat of the term in this row is the last.
      if (rows_of.empty() || rows_of.back() != r) {
        rows_of.push_back(static_cast<uint32_t>(r));
      }
    }
  }
  return index;
}

void TextIndex::MatchAny(const std::vector<uint32_t>& terms,
                         Bitset* out) const {
  for (uint32_t t : terms) {
    auto it = postings_.find(t);
    if (it == postings_.end()) continue;
    for (uint32_t r : it->second) out->Set(r);
  }
}

size_t TextIndex::MemoryBytes() const {
  size_t bytes =
      sizeof(*this) +
      postings_.capacity() * (sizeof(uint32_t) + sizeof(std::vector<uint32_t>));
  for (const auto& [t, rows] : postings_) {
    bytes += rows.capacity() * sizeof(uint32_t);
  }
  return bytes;
}

}  // namespace cove::engine::text
