// Analyzers: tokenization, filters and analyzer_params as Milvus defines
// them.
#include <string>
#include <vector>

#include "engine/text/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine::text {
namespace {
namespace text_analyzer_test {

using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Tokens(const std::string& params,
                                const std::string& text) {
  auto a = Analyzer::Make(params);
  EXPECT_TRUE(a.ok()) << a.status();
  if (!a.ok()) return {};
  return (*a)->Analyze(text);
}

TEST(AnalyzerTest, StandardSplitsOnUnicodeWordBoundariesAndLowercases) {
  EXPECT_THAT(Tokens(R"({"type": "standard"})",
                     "The Quick-brown FOX, jumped! over 3.14 dogs' don't"),
              ElementsAre("the", "quick", "brown", "fox", "jumped", "over",
                          "3.14", "dogs", "don't"));
  // Non-ASCII letters are words and are lowercased too.
  EXPECT_THAT(Tokens("", "Über GRÜNE Äpfel — ΕΛΛΗΝΙΚΆ"),
              ElementsAre("über", "grüne", "äpfel", "ελληνικά"));
  // Empty params and {} are the standard analyzer.
  EXPECT_EQ(Tokens("{}", "Hello World"), Tokens("", "Hello World"));
  EXPECT_TRUE(Tokens("", "  ,;  ").empty());
}

TEST(AnalyzerTest, IdeographsAreWords) {
  const std::vector<std::string> t = Tokens("", "東京 is big");
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[t.size() - 2], "is");
  EXPECT_EQ(t.back(), "big");
}

TEST(AnalyzerTest, EnglishRemovesStopWordsAndStems) {
  EXPECT_THAT(
      Tokens(R"({"type": "english"})", "The runners were running in the races"),
      ElementsAre("runner", "were", "run", "race"));
  // Extra stop words add to the English ones.
  EXPECT_THAT(Tokens(R"({"type": "english", "stop_words": ["runners"]})",
                     "The runners were running"),
              ElementsAre("were", "run"));
  EXPECT_THAT(Tokens(R"({"type": "standard", "stop_words": ["_english_"]})",
                     "the cat and the hat"),
              ElementsAre("cat", "hat"));
}

TEST(AnalyzerTest, CustomChains) {
  EXPECT_THAT(Tokens(R"({"tokenizer": "whitespace", "filter": []})",
                     "Hello,  World\tAgain"),
              ElementsAre("Hello,", "World", "Again"));
  EXPECT_THAT(Tokens(R"({"tokenizer": "standard",
                 "filter": ["lowercase", "asciifolding",
                            {"type": "length", "max": 5},
                            {"type": "stop", "stop_words": ["cafe"]}]})",
                     "Café crème naïve extraordinary"),
              ElementsAre("creme", "naive"));
  EXPECT_THAT(Tokens(R"({"tokenizer": {"type": "standard"},
                         "filter": ["alphanumonly"]})",
                     "abc 3.14 déjà x1"),
              ElementsAre("abc", "x1"));
  EXPECT_THAT(Tokens(R"({"tokenizer": "standard",
                         "filter": [{"type": "stemmer", "language": "French"}]})",
                     "continuellement"),
              ElementsAre("continuel"));
  EXPECT_THAT(Tokens(R"({"tokenizer": "standard", "filter": ["cncharonly"]})",
                     "abc 中文"),
              ::testing::Each(::testing::Not(HasSubstr("abc"))));
}

TEST(AnalyzerTest, RefusesWhatItDoesNotSupportByName) {
  EXPECT_THAT(Analyzer::Make(R"({"type": "chinese"})").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("analyzer type 'chinese'")));
  EXPECT_THAT(Analyzer::Make(R"({"tokenizer": "jieba"})").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tokenizer 'jieba'")));
  EXPECT_THAT(
      Analyzer::Make(R"({"tokenizer": "standard", "filter": ["upper"]})")
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'upper'")));
  EXPECT_THAT(Analyzer::Make(R"({"type": "standard", "colour": 1})").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown key 'colour'")));
  EXPECT_THAT(
      Analyzer::Make(
          R"({"tokenizer": "standard", "filter": [{"type": "stemmer", "language": "klingon"}]})")
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("stemmer language 'klingon'")));
  EXPECT_THAT(Analyzer::Make("[1]").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected a JSON object")));
  EXPECT_THAT(Analyzer::Make("{nope").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("analyzer_params")));
}

TEST(AnalyzerTest, InvalidUtf8NeverCrashes) {
  const std::string bad = std::string("ok \xff\xfe word \xc3", 12);
  const std::vector<std::string> t = Tokens("", bad);
  EXPECT_THAT(t, ::testing::Contains("ok"));
  EXPECT_THAT(t, ::testing::Contains("word"));
  Tokens(
      R"({"tokenizer": "whitespace", "filter": ["lowercase", "asciifolding"]})",
      bad);
}

TEST(TermIdTest, IsMurmur3) {
  // Reference values of MurmurHash3_x86_32 with seed 0.
  EXPECT_EQ(TermId(""), 0u);
  EXPECT_EQ(TermId("hello"), 0x248bfa47u);
  EXPECT_EQ(TermId("The quick brown fox jumps over the lazy dog"), 0x2e4ff723u);
  EXPECT_NE(TermId("run"), TermId("runs"));
}

}  // namespace text_analyzer_test
}  // namespace
}  // namespace cove::engine::text
