// Text analysis for full-text search and TEXT_MATCH: a tokenizer followed
// by token filters, configured by Milvus' `analyzer_params`.
//
// Built on well-kept libraries rather than hand-written rules: words are
// the segments of ICU's word break iterator (Unicode UAX #29), case is
// folded by ICU, stemming is Snowball's libstemmer.
//
// analyzer_params as Milvus defines them (a JSON object):
//   {"type": "standard"}           standard tokenizer + lowercase
//   {"type": "english"}            standard + lowercase + stop words
//                                  (_english_) + English stemmer
//   both take "stop_words": [...]  (extra stop words, "_english_" allowed)
//   {"tokenizer": T, "filter": [F, ...]}   a custom chain, where T is
//     "standard" or "whitespace" (or {"type": ...}), and each F is
//     "lowercase", "asciifolding", "alphanumonly", "cncharonly", or an
//     object {"type": "stop", "stop_words": [...]},
//     {"type": "stemmer", "language": "english"},
//     {"type": "length", "max": N}.
// An empty object or empty text is the standard analyzer. Anything else
// (the "chinese" type, the jieba tokenizer, an unknown filter or key) is
// refused with InvalidArgument naming it.
#ifndef COVE_SRC_ENGINE_TEXT_ANALYZER_H_
#define COVE_SRC_ENGINE_TEXT_ANALYZER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cove::engine::text {

/// One token filter of a chain (defined in analyzer.cc).
class TokenFilter;

/// A tokenizer and its filters.
///
/// Thread safety: Analyze() may be called from many threads at once.
class Analyzer {
 public:
  /// Parses Milvus analyzer_params (JSON text; empty means standard).
  /// InvalidArgument naming the key or value that is not supported.
  static absl::StatusOr<std::shared_ptr<const Analyzer>> Make(
      std::string_view params_json);

  ~Analyzer();

  /// The tokens of `text` (UTF-8), in order, with repeats. Bytes that are
  /// not valid UTF-8 are read as U+FFFD (never a token of letters).
  std::vector<std::string> Analyze(std::string_view text) const;

  /// The params as given (for descriptions).
  const std::string& params() const { return params_; }

 private:
  enum class Tokenizer { kStandard, kWhitespace };
  Analyzer() = default;

  std::string params_;
  Tokenizer tokenizer_ = Tokenizer::kStandard;
  std::vector<std::unique_ptr<TokenFilter>> filters_;
};

/// The English stop words of Lucene and tantivy ("_english_"), lowercase.
const std::vector<std::string>& EnglishStopWords();

/// A 32-bit id of a token (MurmurHash3 x86_32, seed 0), as BM25 sparse
/// vectors and text indexes name terms.
uint32_t TermId(std::string_view token);

}  // namespace cove::engine::text

#endif  // COVE_SRC_ENGINE_TEXT_ANALYZER_H_
