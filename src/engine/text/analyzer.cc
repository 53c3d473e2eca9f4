// Analyzers: ICU word segmentation and case folding, Snowball stemming.
#include "engine/text/analyzer.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "cove/value.h"
#include "libstemmer.h"

namespace cove::engine::text {

class TokenFilter {
 public:
  virtual ~TokenFilter() = default;
  virtual void Apply(std::vector<std::string>* tokens) const = 0;
};

namespace {

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

icu::UnicodeString ToUnicode(std::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), s.size()));
}

std::string ToUtf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

// One word break iterator per thread (they are not thread-safe, and
// creating one loads rules: too slow per call).
icu::BreakIterator* WordBreaker() {
  thread_local std::unique_ptr<icu::BreakIterator> it = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> b(
        icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) b.reset();
    return b;
  }();
  return it.get();
}

void StandardTokens(std::string_view text, std::vector<std::string>* out) {
  icu::BreakIterator* words = WordBreaker();
  if (words == nullptr) return;  // no ICU data: nothing to index
  const icu::UnicodeString u = ToUnicode(text);
  words->setText(u);
  int32_t start = words->first();
  for (int32_t end = words->next(); end != icu::BreakIterator::DONE;
       start = end, end = words->next()) {
    // Rule status below UBRK_WORD_NONE_LIMIT: spaces and punctuation.
    if (words->getRuleStatus() < UBRK_WORD_NONE_LIMIT) continue;
    out->push_back(ToUtf8(icu::UnicodeString(u, start, end - start)));
  }
  // The iterator keeps an alias of `u`; drop it before `u` goes away.
  words->setText(icu::UnicodeString());
}

void WhitespaceTokens(std::string_view text, std::vector<std::string>* out) {
  const uint8_t* s = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t n = static_cast<int32_t>(text.size());
  int32_t i = 0;
  int32_t start = -1;
  while (i < n) {
    const int32_t at = i;
    UChar32 c = 0;
    U8_NEXT(s, i, n, c);
    const bool space = c >= 0 && u_isUWhiteSpace(c);
    if (space) {
      if (start >= 0) out->emplace_back(text.substr(start, at - start));
      start = -1;
    } else if (start < 0) {
      start = at;
    }
  }
  if (start >= 0) out->emplace_back(text.substr(start));
}

class LowercaseFilter : public TokenFilter {
 public:
  void Apply(std::vector<std::string>* tokens) const override {
    for (std::string& t : *tokens) {
      if (IsAscii(t)) {
        for (char& c : t) {
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
        continue;
      }
      icu::UnicodeString u = ToUnicode(t);
      u.toLower(icu::Locale::getRoot());
      t = ToUtf8(u);
    }
  }
};

class AsciiFoldingFilter : public TokenFilter {
 public:
  void Apply(std::vector<std::string>* tokens) const override {
    thread_local std::unique_ptr<icu::Transliterator> fold = [] {
      UErrorCode status = U_ZERO_ERROR;
      std::unique_ptr<icu::Transliterator> t(
          icu::Transliterator::createInstance("Latin-ASCII", UTRANS_FORWARD,
                                              status));
      if (U_FAILURE(status)) t.reset();
      return t;
    }();
    for (std::string& t : *tokens) {
      if (IsAscii(t)) continue;
      icu::UnicodeString u = ToUnicode(t);
      if (fold != nullptr) {
        fold->transliterate(u);
      } else {
        // Without the transliterator data: decompose and drop the marks.
        UErrorCode status = U_ZERO_ERROR;
        const icu::Normalizer2* nfkd =
            icu::Normalizer2::getNFKDInstance(status);
        if (U_SUCCESS(status)) u = nfkd->normalize(u, status);
        icu::UnicodeString kept;
        for (int32_t i = 0; i < u.length();) {
          const UChar32 c = u.char32At(i);
          if (u_charType(c) != U_NON_SPACING_MARK) kept.append(c);
          i += U16_LENGTH(c);
        }
        u = kept;
      }
      t = ToUtf8(u);
    }
  }
};

class AlphanumOnlyFilter : public TokenFilter {
 public:
  void Apply(std::vector<std::string>* tokens) const override {
    tokens->erase(std::remove_if(tokens->begin(), tokens->end(),
                                 [](const std::string& t) {
                                   for (char c : t) {
                                     const bool ok = (c >= 'a' && c <= 'z') ||
                                                     (c >= 'A' && c <= 'Z') ||
                                                     (c >= '0' && c <= '9');
                                     if (!ok) return true;
                                   }
                                   return t.empty();
                                 }),
                  tokens->end());
  }
};

class CnCharOnlyFilter : public TokenFilter {
 public:
  void Apply(std::vector<std::string>* tokens) const override {
    tokens->erase(
        std::remove_if(
            tokens->begin(), tokens->end(),
            [](const std::string& t) {
              const uint8_t* s = reinterpret_cast<const uint8_t*>(t.data());
              const int32_t n = static_cast<int32_t>(t.size());
              for (int32_t i = 0; i < n;) {
                UChar32 c = 0;
                U8_NEXT(s, i, n, c);
                UErrorCode status = U_ZERO_ERROR;
                if (c < 0 || uscript_getScript(c, &status) != USCRIPT_HAN) {
                  return true;
                }
              }
              return t.empty();
            }),
        tokens->end());
  }
};

class LengthFilter : public TokenFilter {
 public:
  explicit LengthFilter(int64_t max) : max_(max) {}
  void Apply(std::vector<std::string>* tokens) const override {
    tokens->erase(std::remove_if(tokens->begin(), tokens->end(),
                                 [&](const std::string& t) {
                                   // Characters, not bytes.
                                   int64_t chars = 0;
                                   for (char c : t) {
                                     chars += (c & 0xC0) != 0x80;
                                   }
                                   return chars > max_;
                                 }),
                  tokens->end());
  }

 private:
  int64_t max_;
};

class StopFilter : public TokenFilter {
 public:
  explicit StopFilter(absl::flat_hash_set<std::string> words)
      : words_(std::move(words)) {}
  void Apply(std::vector<std::string>* tokens) const override {
    tokens->erase(std::remove_if(
                      tokens->begin(), tokens->end(),
                      [&](const std::string& t) { return words_.contains(t); }),
                  tokens->end());
  }

 private:
  absl::flat_hash_set<std::string> words_;
};

// Snowball stemmers keep state while stemming: one per thread and language.
class StemmerFilter : public TokenFilter {
 public:
  explicit StemmerFilter(std::string language)
      : language_(std::move(language)) {}
  void Apply(std::vector<std::string>* tokens) const override {
    struct Stemmers {
      std::map<std::string, sb_stemmer*> by_language;
      ~Stemmers() {
        for (auto& [k, s] : by_language) sb_stemmer_delete(s);
      }
    };
    thread_local Stemmers stemmers;
    sb_stemmer*& s = stemmers.by_language[language_];
    if (s == nullptr) s = sb_stemmer_new(language_.c_str(), "UTF_8");
    if (s == nullptr) return;  // checked when the analyzer was made
    for (std::string& t : *tokens) {
      const sb_symbol* stemmed =
          sb_stemmer_stem(s, reinterpret_cast<const sb_symbol*>(t.data()),
                          static_cast<int>(t.size()));
      if (stemmed == nullptr) continue;  // out of memory: keep the word
      t.assign(reinterpret_cast<const char*>(stemmed),
               static_cast<size_t>(sb_stemmer_length(s)));
    }
  }

 private:
  std::string language_;
};

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("analyzer_params: ", what));
}

// Stop words from a "stop_words" list; "_english_" stands for the English
// list.
absl::StatusOr<absl::flat_hash_set<std::string>> StopWords(const Value& list,
                                                           const char* where) {
  if (!list.is_array()) {
    return Bad(absl::StrCat(where,
                            " stop_words: expected a list of strings (got ",
                            list.ToJson().substr(0, 40), ")"));
  }
  absl::flat_hash_set<std::string> words;
  for (const Value& w : list.AsArray()) {
    if (!w.is_string()) {
      return Bad(absl::StrCat(where, " stop_words: expected strings (got ",
                              w.ToJson().substr(0, 40), ")"));
    }
    if (w.AsString() == "_english_") {
      for (const std::string& e : EnglishStopWords()) words.insert(e);
    } else {
      words.insert(w.AsString());
    }
  }
  return words;
}

absl::StatusOr<std::string> StemmerLanguage(const Value& v) {
  if (!v.is_string()) {
    return Bad("stemmer language: expected a string (got " +
               v.ToJson().substr(0, 40) + ")");
  }
  std::string language = v.AsString();
  for (char& c : language) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  sb_stemmer* probe = sb_stemmer_new(language.c_str(), "UTF_8");
  if (probe == nullptr) {
    std::vector<std::string> known;
    for (const char** l = sb_stemmer_list(); *l != nullptr; ++l) {
      known.push_back(*l);
    }
    return Bad(absl::StrCat("stemmer language '", v.AsString(),
                            "' is not supported (expected one of: ",
                            absl::StrJoin(known, ", "), ")"));
  }
  sb_stemmer_delete(probe);
  return language;
}

absl::StatusOr<std::unique_ptr<TokenFilter>> MakeFilter(const Value& f) {
  if (f.is_string()) {
    const std::string& name = f.AsString();
    if (name == "lowercase") return std::make_unique<LowercaseFilter>();
    if (name == "asciifolding") return std::make_unique<AsciiFoldingFilter>();
    if (name == "alphanumonly") return std::make_unique<AlphanumOnlyFilter>();
    if (name == "cncharonly") return std::make_unique<CnCharOnlyFilter>();
    return Bad(absl::StrCat(
        "filter '", name,
        "' is not supported (expected lowercase, asciifolding, alphanumonly, "
        "cncharonly, or an object of type stop, stemmer or length)"));
  }
  if (!f.is_object()) {
    return Bad("filter: expected a name or an object (got " +
               f.ToJson().substr(0, 40) + ")");
  }
  const Value* type = f.Find("type");
  if (type == nullptr || !type->is_string()) {
    return Bad("filter object: expected a \"type\" string");
  }
  const std::string& name = type->AsString();
  auto only_keys = [&](std::set<std::string> keys) -> absl::Status {
    for (const auto& [k, v] : f.AsObject()) {
      if (k != "type" && keys.count(k) == 0) {
        return Bad(absl::StrCat("filter '", name, "': unknown key '", k, "'"));
      }
    }
    return absl::OkStatus();
  };
  if (name == "lowercase" || name == "asciifolding" || name == "alphanumonly" ||
      name == "cncharonly") {
    COVE_RETURN_IF_ERROR(only_keys({}));
    return MakeFilter(Value(name));
  }
  if (name == "stop") {
    COVE_RETURN_IF_ERROR(only_keys({"stop_words"}));
    const Value* list = f.Find("stop_words");
    if (list == nullptr) return Bad("filter 'stop': stop_words is missing");
    COVE_ASSIGN_OR_RETURN(auto words, StopWords(*list, "filter 'stop'"));
    return std::make_unique<StopFilter>(std::move(words));
  }
  if (name == "stemmer") {
    COVE_RETURN_IF_ERROR(only_keys({"language"}));
    const Value* language = f.Find("language");
    if (language == nullptr) {
      return Bad("filter 'stemmer': language is missing");
    }
    COVE_ASSIGN_OR_RETURN(std::string l, StemmerLanguage(*language));
    return std::make_unique<StemmerFilter>(std::move(l));
  }
  if (name == "length") {
    COVE_RETURN_IF_ERROR(only_keys({"max"}));
    const Value* max = f.Find("max");
    if (max == nullptr || !max->is_int() || max->AsInt() < 1) {
      return Bad("filter 'length': max must be a positive integer");
    }
    return std::make_unique<LengthFilter>(max->AsInt());
  }
  return Bad(absl::StrCat("filter type '", name,
                          "' is not supported (expected stop, stemmer, length, "
                          "lowercase, asciifolding, alphanumonly or "
                          "cncharonly)"));
}

}  // namespace

const std::vector<std::string>& EnglishStopWords() {
  static const std::vector<std::string> words = {
      "a",    "an",   "and",  "are",  "as",   "at",    "be",   "but",   "by",
      "for",  "if",   "in",   "into", "is",   "it",    "no",   "not",   "of",
      "on",   "or",   "such", "that", "the",  "their", "then", "there", "these",
      "they", "this", "to",   "was",  "will", "with"};
  return words;
}

uint32_t TermId(std::string_view token) {
  auto rotl = [](uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
  const uint8_t* data = reinterpret_cast<const uint8_t*>(token.data());
  const size_t len = token.size();
  const size_t blocks = len / 4;
  constexpr uint32_t c1 = 0xcc9e2d51u;
  constexpr uint32_t c2 = 0x1b873593u;
  uint32_t h = 0;
  for (size_t i = 0; i < blocks; ++i) {
    uint32_t k = 0;
    std::memcpy(&k, data + 4 * i, 4);  // little-endian hosts
    k *= c1;
    k = rotl(k, 15);
    k *= c2;
    h ^= k;
    h = rotl(h, 13);
    h = h * 5 + 0xe6546b64u;
  }
  const uint8_t* tail = data + 4 * blocks;
  uint32_t k = 0;
  switch (len & 3) {
    case 3:
      k ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      k ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      k ^= tail[0];
      k *= c1;
      k = rotl(k, 15);
      k *= c2;
      h ^= k;
  }
  h ^= static_cast<uint32_t>(len);
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

Analyzer::~Analyzer() = default;

absl::StatusOr<std::shared_ptr<const Analyzer>> Analyzer::Make(
    std::string_view params_json) {
  std::shared_ptr<Analyzer> a(new Analyzer());
  a->params_ = std::string(params_json);
  Value params = Value(Value::Object{});
  if (!params_json.empty()) {
    auto parsed = Value::FromJson(params_json);
    if (!parsed.ok()) return Bad(std::string(parsed.status().message()));
    params = *std::move(parsed);
  }
  if (!params.is_object()) {
    return Bad("expected a JSON object (got " + params.ToJson().substr(0, 40) +
               ")");
  }
  const Value* type = params.Find("type");
  if (type != nullptr) {
    if (!type->is_string()) return Bad("type: expected a string");
    for (const auto& [k, v] : params.AsObject()) {
      if (k != "type" && k != "stop_words") {
        return Bad(absl::StrCat("unknown key '", k, "' for type '",
                                type->AsString(),
                                "' (expected type and stop_words)"));
      }
    }
    const std::string& name = type->AsString();
    if (name != "standard" && name != "english") {
      return Bad(absl::StrCat("analyzer type '", name,
                              "' is not supported (expected standard or "
                              "english)"));
    }
    a->filters_.push_back(std::make_unique<LowercaseFilter>());
    absl::flat_hash_set<std::string> stop;
    if (name == "english") {
      for (const std::string& w : EnglishStopWords()) stop.insert(w);
    }
    if (const Value* extra = params.Find("stop_words")) {
      COVE_ASSIGN_OR_RETURN(auto words, StopWords(*extra, name.c_str()));
      stop.insert(words.begin(), words.end());
    }
    if (!stop.empty()) {
      a->filters_.push_back(std::make_unique<StopFilter>(std::move(stop)));
    }
    if (name == "english") {
      a->filters_.push_back(std::make_unique<StemmerFilter>("english"));
    }
    return std::shared_ptr<const Analyzer>(std::move(a));
  }
  for (const auto& [k, v] : params.AsObject()) {
    if (k != "tokenizer" && k != "filter") {
      return Bad(absl::StrCat("unknown key '", k,
                              "' (expected type, or tokenizer and filter)"));
    }
  }
  if (params.AsObject().empty()) {
    // Milvus' default: the standard analyzer.
    a->filters_.push_back(std::make_unique<LowercaseFilter>());
    return std::shared_ptr<const Analyzer>(std::move(a));
  }
  const Value* tokenizer = params.Find("tokenizer");
  if (tokenizer == nullptr) {
    return Bad(
        "tokenizer is missing (expected \"standard\" or "
        "\"whitespace\")");
  }
  std::string tname;
  if (tokenizer->is_string()) {
    tname = tokenizer->AsString();
  } else if (tokenizer->is_object() && tokenizer->Find("type") != nullptr &&
             tokenizer->Find("type")->is_string() &&
             tokenizer->AsObject().size() == 1) {
    tname = tokenizer->Find("type")->AsString();
  } else {
    return Bad("tokenizer: expected a name or {\"type\": name} (got " +
               tokenizer->ToJson().substr(0, 40) + ")");
  }
  if (tname == "standard") {
    a->tokenizer_ = Tokenizer::kStandard;
  } else if (tname == "whitespace") {
    a->tokenizer_ = Tokenizer::kWhitespace;
  } else {
    return Bad(absl::StrCat("tokenizer '", tname,
                            "' is not supported (expected standard or "
                            "whitespace)"));
  }
  if (const Value* filters = params.Find("filter")) {
    if (!filters->is_array()) {
      return Bad("filter: expected a list (got " +
                 filters->ToJson().substr(0, 40) + ")");
    }
    for (const Value& f : filters->AsArray()) {
      COVE_ASSIGN_OR_RETURN(std::unique_ptr<TokenFilter> filter, MakeFilter(f));
      a->filters_.push_back(std::move(filter));
    }
  }
  return std::shared_ptr<const Analyzer>(std::move(a));
}

std::vector<std::string> Analyzer::Analyze(std::string_view text) const {
  std::vector<std::string> tokens;
  if (tokenizer_ == Tokenizer::kStandard) {
    StandardTokens(text, &tokens);
  } else {
    WhitespaceTokens(text, &tokens);
  }
  for (const auto& f : filters_) f->Apply(&tokens);
  return tokens;
}

}  // namespace cove::engine::text
