// TEXT_MATCH(field, 'words') filters: rows whose analyzed text holds any
// analyzed term of the words, through the text indexes of sealed segments
// and by analysis of the growing segment's rows, combined with every kind
// of filter; checked against a recount from the analyzer's tokens on a real
// text (the GPL-3's paragraphs), across deletes, compaction and a snapshot.
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/bytes.h"
#include "common/status_macros.h"
#include "engine/build_pool.h"
#include "engine/collection.h"
#include "engine/text/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace text_match_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kAnalyzer[] = R"({"type": "english"})";

std::vector<std::string> Corpus() {
  std::ifstream in("/usr/share/common-licenses/GPL-3");
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> out;
  for (absl::string_view p : absl::StrSplit(ss.str(), "\n\n")) {
    if (p.size() > 20) out.emplace_back(p);
  }
  return out;
}

Schema MatchSchema() {
  Schema s;
  FieldDef id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  s.fields.push_back(id);
  FieldDef text;
  text.name = "text";
  text.type = DataType::kVarChar;
  text.max_length = 65535;
  text.nullable = true;
  text.enable_analyzer = true;
  text.enable_match = true;
  text.analyzer_params = kAnalyzer;
  s.fields.push_back(text);
  FieldDef plain;  // analyzed, but not for TEXT_MATCH
  plain.name = "plain";
  plain.type = DataType::kVarChar;
  plain.max_length = 64;
  plain.enable_analyzer = true;
  s.fields.push_back(plain);
  FieldDef tag;
  tag.name = "tag";
  tag.type = DataType::kInt64;
  s.fields.push_back(tag);
  FieldDef vec;
  vec.name = "vec";
  vec.type = DataType::kFloatVector;
  vec.dim = 2;
  s.fields.push_back(vec);
  return s;
}

class TextMatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CollectionContext context;
    context.segments.seal_rows = 30;
    context.pool = std::make_shared<BuildPool>(2);
    auto c = Collection::Create("docs", MatchSchema(), 0, std::move(context));
    ASSERT_THAT(c.status(), IsOk());
    c_ = *std::move(c);
    IndexDef def;
    def.field_name = "vec";
    def.kind = IndexKind::kFlat;
    def.metric = Metric::kL2;
    ASSERT_THAT(c_->CreateIndex(def), IsOk());
    ASSERT_THAT(c_->Load(), IsOk());
    const std::vector<std::string> corpus = Corpus();
    ASSERT_GT(corpus.size(), 100u) << "GPL-3 text not found";
    std::vector<std::vector<Value>> rows;
    for (size_t i = 0; i < corpus.size(); ++i) {
      const int64_t id = static_cast<int64_t>(i);
      // Every 13th text is null.
      if (i % 13 != 5) docs_[id] = corpus[i];
      rows.push_back({Value(id), i % 13 == 5 ? Value() : Value(corpus[i]),
                      Value("x"), Value(id % 4),
                      Value::FloatVector({static_cast<float>(i), 0.0f})});
    }
    ASSERT_THAT(c_->Insert(std::move(rows), "", false).status(), IsOk());
    c_->WaitForIndexBuilds();
  }

  // Ids of the rows whose text holds any term of `words` (the reference).
  std::set<int64_t> Matching(const std::string& words) const {
    auto analyzer = text::Analyzer::Make(kAnalyzer);
    std::vector<std::string> q = (*analyzer)->Analyze(words);
    std::set<std::string> want(q.begin(), q.end());
    std::set<int64_t> out;
    for (const auto& [id, text] : docs_) {
      for (const std::string& t : (*analyzer)->Analyze(text)) {
        if (want.count(t)) {
          out.insert(id);
          break;
        }
      }
    }
    return out;
  }

  absl::StatusOr<std::set<int64_t>> Query(const std::string& filter) const {
    COVE_ASSIGN_OR_RETURN(expr::CompiledFilter compiled,
                          c_->CompileFilter(filter, {}));
    QuerySpec spec;
    spec.filter = &compiled;
    COVE_ASSIGN_OR_RETURN(QueryRows rows, c_->Query(spec));
    std::set<int64_t> ids;
    for (RowRef ref : rows.rows) {
      ids.insert(c_->ValueAt(*rows.state, ref, 0).AsInt());
    }
    return ids;
  }

  void ExpectMatches(const std::string& words) {
    std::set<int64_t> want = Matching(words);
    auto got = Query("TEXT_MATCH(text, '" + words + "')");
    ASSERT_THAT(got.status(), IsOk());
    EXPECT_EQ(*got, want) << words;
  }

  std::unique_ptr<Collection> c_;
  std::map<int64_t, std::string> docs_;
};

TEST_F(TextMatchTest, SealedSegmentsHaveTextIndexes) {
  auto state = c_->Pin();
  size_t indexed = 0;
  size_t sealed = 0;
  for (const auto& seg : state->segments) {
    if (!seg->sealed) continue;
    ++sealed;
    if (seg->TextIndexOf(1) != nullptr) ++indexed;
    EXPECT_EQ(seg->TextIndexOf(2), nullptr);  // no enable_match
  }
  EXPECT_GT(sealed, 2u);
  EXPECT_EQ(indexed, sealed);
  // Their bytes count in the segments' memory.
  size_t text_bytes = 0;
  for (const auto& seg : state->segments) {
    if (seg->TextIndexOf(1) != nullptr) {
      text_bytes += seg->TextIndexOf(1)->MemoryBytes();
    }
  }
  size_t total = 0;
  for (const SegmentInfo& info : c_->Segments()) total += info.memory_bytes;
  EXPECT_GT(text_bytes, 0u);
  EXPECT_GE(total, text_bytes);
  EXPECT_EQ(c_->MemoryBytes(), total);
}

TEST_F(TextMatchTest, AnyTermMatchesAsTheReference) {
  for (const char* words :
       {"patent", "warranty liability", "Conveying modified versions",
        "installation information", "the of and", "zebra", "licensees"}) {
    ExpectMatches(words);
  }
  // Stemming: "licensing" finds what "license" finds.
  EXPECT_EQ(*Query("text_match(text, 'licensing')"),
            *Query("text_match(text, 'license')"));
  EXPECT_FALSE(Query("TEXT_MATCH(text, 'license')")->empty());
}

TEST_F(TextMatchTest, CombinesWithOtherFilters) {
  const std::set<int64_t> patent = Matching("patent");
  const std::set<int64_t> source = Matching("source");
  std::set<int64_t> want;
  for (int64_t id : patent) {
    if (id % 4 == 1) want.insert(id);
  }
  EXPECT_EQ(*Query("TEXT_MATCH(text, 'patent') and tag == 1"), want);
  want.clear();
  for (const auto& [id, text] : docs_) {
    if (!patent.count(id)) want.insert(id);
  }
  // Null texts are UNKNOWN: neither TEXT_MATCH nor its negation matches.
  EXPECT_EQ(*Query("not TEXT_MATCH(text, 'patent')"), want);
  want = patent;
  for (int64_t id = 0; id < 5; ++id) want.insert(id);
  EXPECT_EQ(*Query("TEXT_MATCH(text, 'patent') or id < 5"), want);
  want.clear();
  for (int64_t id : patent) {
    if (source.count(id)) want.insert(id);
  }
  EXPECT_EQ(
      *Query("TEXT_MATCH(text, 'patent') && TEXT_MATCH(text, \"source\")"),
      want);
  want.clear();
  for (int64_t id : patent) {
    if (id >= 10 && id < 60 && id % 4 != 2) want.insert(id);
  }
  EXPECT_EQ(*Query("10 <= id < 60 and TEXT_MATCH(text, 'patent') and tag in "
                   "[0, 1, 3]"),
            want);
  // A placeholder for the words.
  auto compiled =
      c_->CompileFilter("text_match(text, {w})", {{"w", Value("patent")}});
  ASSERT_THAT(compiled.status(), IsOk());
  QuerySpec spec;
  spec.filter = &*compiled;
  auto rows = c_->Query(spec);
  ASSERT_THAT(rows.status(), IsOk());
  EXPECT_EQ(rows->rows.size(), patent.size());
}

TEST_F(TextMatchTest, DeletesGrowingRowsCompactionAndSnapshots) {
  DeleteSpec del;
  for (int64_t id = 0; id < 120; id += 3) {
    del.ids.push_back(Value(id));
    docs_.erase(id);
  }
  ASSERT_THAT(c_->Delete(del).status(), IsOk());
  // A growing row (no text index yet) and an upsert of a sealed one.
  docs_[1000] = "a patent on zebras";
  docs_[1] = "nothing about that here";
  ASSERT_THAT(
      c_->Insert({{Value(int64_t{1000}), Value(docs_[1000]), Value("x"),
                   Value(int64_t{0}), Value::FloatVector({1.0f, 1.0f})},
                  {Value(int64_t{1}), Value(docs_[1]), Value("x"),
                   Value(int64_t{1}), Value::FloatVector({1.0f, 1.0f})}},
                 "", /*upsert=*/true)
          .status(),
      IsOk());
  ExpectMatches("patent zebra");
  ASSERT_THAT(c_->Compact(), IsOk());
  c_->WaitForIndexBuilds();
  ExpectMatches("patent zebra");
  ExpectMatches("copyright");

  internal::ByteWriter w;
  c_->Serialize(&w);
  const std::string bytes = w.Take();
  internal::ByteReader r(bytes);
  CollectionContext context;
  context.segments.seal_rows = 30;
  context.pool = std::make_shared<BuildPool>(1);
  auto restored = Collection::Deserialize(&r, kCollectionFormatV3, context);
  ASSERT_THAT(restored.status(), IsOk());
  c_ = *std::move(restored);
  ExpectMatches("patent zebra");
  c_->WaitForIndexBuilds();
  ExpectMatches("patent zebra");
}

TEST_F(TextMatchTest, RefusedWithoutEnableMatch) {
  EXPECT_THAT(c_->CompileFilter("TEXT_MATCH(plain, 'x')", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field 'plain' has no enable_match")));
  EXPECT_THAT(c_->CompileFilter("TEXT_MATCH(tag, 'x')", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field 'tag' has no enable_match")));
  EXPECT_THAT(c_->CompileFilter("TEXT_MATCH(nope, 'x')", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("needs a field name")));
  EXPECT_THAT(c_->CompileFilter("TEXT_MATCH(text, 3)", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("needs a string")));
  EXPECT_THAT(c_->CompileFilter("TEXT_MATCH(text)", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("takes 2 arguments")));
}

}  // namespace text_match_test
}  // namespace
}  // namespace cove::engine
