// Scalar indexes (STL_SORT, Trie, BITMAP, INVERTED, AUTOINDEX on scalar
// fields): filters answered through them return exactly the rows a scan
// returns, checked as a property over generated data and filters (nulls,
// deletes, upserts, growing and sealed segments, compaction, a snapshot
// reload) against a twin collection without scalar indexes; and which index
// type takes which field type, as Milvus says.
#include "engine/indexes/scalar_index.h"

#include <cmath>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/bytes.h"
#include "common/status_macros.h"
#include "engine/build_pool.h"
#include "engine/collection.h"
#include "engine/expr/eval.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace scalar_index_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

FieldDef Field(const std::string& name, DataType type, bool nullable = false) {
  FieldDef f;
  f.name = name;
  f.type = type;
  f.nullable = nullable;
  if (type == DataType::kVarChar) f.max_length = 32;
  if (type == DataType::kFloatVector) f.dim = 2;
  if (type == DataType::kArray) {
    f.element_type = DataType::kInt64;
    f.max_capacity = 4;
  }
  return f;
}

Schema TestSchema() {
  Schema s;
  FieldDef id = Field("id", DataType::kInt64);
  id.is_primary_key = true;
  s.fields = {id,
              Field("a", DataType::kInt64, true),
              Field("b", DataType::kInt32),
              Field("c", DataType::kInt8, true),
              Field("f", DataType::kFloat),
              Field("d", DataType::kDouble, true),
              Field("s", DataType::kVarChar, true),
              Field("t", DataType::kVarChar),
              Field("flag", DataType::kBool, true),
              Field("j", DataType::kJson, true),
              Field("arr", DataType::kArray, true),
              Field("vec", DataType::kFloatVector)};
  return s;
}

IndexDef Def(const std::string& field, IndexKind kind) {
  IndexDef def;
  def.field_name = field;
  def.kind = kind;
  return def;
}

// Rows with small value domains (equalities hit) and ~1/8 nulls.
class RowGen {
 public:
  explicit RowGen(uint32_t seed) : rng_(seed) {}
  std::vector<Value> Row(int64_t id) {
    auto maybe_null = [&](Value v) { return Pick(8) == 0 ? Value() : v; };
    static const char* kWords[] = {"",   "a",   "ab", "abc", "abd",      "b",
                                   "ba", "bab", "c",  "zz",  "\xc3\xa9t"};
    return {Value(id),
            maybe_null(Value(static_cast<int64_t>(Pick(40)) - 20)),
            Value(static_cast<int64_t>(Pick(6))),
            maybe_null(Value(static_cast<int64_t>(Pick(256)) - 128)),
            Value(static_cast<double>(static_cast<float>(Pick(20) * 0.25))),
            maybe_null(Value(Pick(10) * 1.5 - 5)),
            maybe_null(Value(std::string(kWords[Pick(11)]))),
            Value(std::string(kWords[Pick(11)])),
            maybe_null(Value(Pick(2) == 0)),
            maybe_null(Value(
                Value::Object{{"k", Value(static_cast<int64_t>(Pick(3)))}})),
            maybe_null(Array()),
            Value::FloatVector({static_cast<float>(Pick(1000)),
                                static_cast<float>(Pick(1000))})};
  }
  Value Array() {
    Value::Array a;
    const int n = Pick(5);
    for (int i = 0; i < n; ++i)
      a.push_back(Value(static_cast<int64_t>(Pick(10))));
    return Value(std::move(a));
  }
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

// Random filters over every field, leaves an index answers and leaves it
// does not, nested through and/or/not.
class FilterGen {
 public:
  explicit FilterGen(RowGen* g) : g_(g) {}

  std::string Filter(int depth) {
    if (depth == 0 || g_->Pick(3) == 0) return Leaf();
    switch (g_->Pick(3)) {
      case 0:
        return absl::StrCat("(", Filter(depth - 1), " and ", Filter(depth - 1),
                            ")");
      case 1:
        return absl::StrCat("(", Filter(depth - 1), " or ", Filter(depth - 1),
                            ")");
      default:
        return absl::StrCat("not (", Filter(depth - 1), ")");
    }
  }

 private:
  std::string Op() {
    static const char* kOps[] = {"==", "!=", "<", "<=", ">", ">="};
    return kOps[g_->Pick(6)];
  }
  std::string Int(int lo, int hi) {
    return absl::StrCat(lo + g_->Pick(hi - lo));
  }
  std::string Word() {
    static const char* kWords[] = {"\"\"",  "\"a\"",   "\"ab\"", "\"abc\"",
                                   "\"b\"", "\"bab\"", "\"zz\"", "\"q\""};
    return kWords[g_->Pick(8)];
  }
  std::string Number(const std::string& field) {
    if (field == "a") return Int(-25, 25);
    if (field == "b") return Int(-1, 7);
    if (field == "c") return Int(-130, 130);
    if (field == "f") return absl::StrCat(g_->Pick(22) * 0.25 - 0.25);
    return absl::StrCat(g_->Pick(12) * 1.5 - 6.5);  // d, also non-integral
  }
  std::string Leaf() {
    static const char* kNums[] = {"a", "b", "c", "f", "d", "id"};
    const std::string n = kNums[g_->Pick(6)];
    switch (g_->Pick(15)) {
      case 0:
      case 1:
        return absl::StrCat(n, " ", Op(), " ", Number(n));
      case 2:
        return absl::StrCat(n, " ", Op(), " ", g_->Pick(2) ? "2.5" : "-0.5");
      case 3:
        return absl::StrCat(Number(n), " ", g_->Pick(2) ? "<" : "<=", " ", n,
                            " ", g_->Pick(2) ? "<" : "<=", " ", Number(n));
      case 4:
        return absl::StrCat(n, g_->Pick(2) ? " in [" : " not in [", Number(n),
                            ", ", Number(n), ", ", Number(n), "]");
      case 5:
        return absl::StrCat(g_->Pick(2) ? "s" : "t", " ", Op(), " ", Word());
      case 6: {
        static const char* kLike[] = {"\"ab%\"",       "\"a%\"", "\"%\"",
                                      "\"abc\"",       "\"%b\"", "\"b_b\"",
                                      "\"\xc3\xa9%\"", "\"zz%\""};
        return absl::StrCat(g_->Pick(2) ? "s" : "t", " like ",
                            kLike[g_->Pick(8)]);
      }
      case 7:
        return absl::StrCat(g_->Pick(2) ? "s" : "t",
                            g_->Pick(2) ? " in [" : " not in [", Word(), ", ",
                            Word(), "]");
      case 8: {
        static const char* kFlag[] = {"flag", "not flag", "flag == true",
                                      "flag != true", "flag in [false]"};
        return kFlag[g_->Pick(5)];
      }
      case 9: {
        static const char* kNullable[] = {"a", "c", "d", "s", "flag", "b"};
        return absl::StrCat(kNullable[g_->Pick(6)],
                            g_->Pick(2) ? " is null" : " is not null");
      }
      case 10:
        return absl::StrCat(n, " + 1 ", Op(), " ", Number(n));  // a scan
      case 11:
        return absl::StrCat("j[\"k\"] == ", g_->Pick(3));  // JSON: a scan
      case 12:
        return absl::StrCat("id % 5 == ", g_->Pick(5));
      case 13: {
        static const char* kFn[] = {"array_contains", "array_contains_any",
                                    "array_contains_all"};
        const int fn = g_->Pick(3);
        if (fn == 0)
          return absl::StrCat("array_contains(arr, ", Int(-1, 11), ")");
        std::string list;
        const int n = g_->Pick(4);
        for (int i = 0; i < n; ++i) {
          absl::StrAppend(&list, i ? ", " : "",
                          g_->Pick(6) == 0 ? "2.5" : Int(-1, 11));
        }
        return absl::StrCat(kFn[fn], "(arr, [", list, "])");
      }
      default:
        return absl::StrCat(n, " ", Op(), " ", Number(n));
    }
  }

  RowGen* g_;
};

class ScalarIndexTest : public ::testing::Test {
 protected:
  std::unique_ptr<Collection> Make(bool indexed) {
    CollectionContext context;
    context.segments.seal_rows = 64;
    context.pool = std::make_shared<BuildPool>(2);
    auto c = Collection::Create("scalars", TestSchema(), 0, context);
    EXPECT_THAT(c.status(), IsOk());
    IndexDef vec = Def("vec", IndexKind::kFlat);
    vec.metric = Metric::kL2;
    EXPECT_THAT((*c)->CreateIndex(vec), IsOk());
    if (indexed) {
      for (const IndexDef& def :
           {Def("id", IndexKind::kStlSort), Def("a", IndexKind::kStlSort),
            Def("b", IndexKind::kBitmap), Def("c", IndexKind::kInverted),
            Def("f", IndexKind::kStlSort), Def("d", IndexKind::kAutoIndex),
            Def("s", IndexKind::kTrie), Def("t", IndexKind::kBitmap),
            Def("flag", IndexKind::kAutoIndex),
            Def("arr", IndexKind::kBitmap)}) {
        EXPECT_THAT((*c)->CreateIndex(def), IsOk()) << def.field_name;
      }
    }
    EXPECT_THAT((*c)->Load(), IsOk());
    return *std::move(c);
  }

  void SetUp() override {
    plain_ = Make(false);
    indexed_ = Make(true);
  }

  // The same write on both collections.
  void Insert(int64_t from, int64_t to, bool upsert) {
    std::vector<std::vector<Value>> rows;
    for (int64_t id = from; id < to; ++id) rows.push_back(gen_.Row(id));
    auto copy = rows;
    ASSERT_THAT(plain_->Insert(std::move(copy), "", upsert).status(), IsOk());
    ASSERT_THAT(indexed_->Insert(std::move(rows), "", upsert).status(), IsOk());
  }
  void Delete(const std::vector<int64_t>& ids) {
    DeleteSpec spec;
    for (int64_t id : ids) spec.ids.push_back(Value(id));
    ASSERT_THAT(plain_->Delete(spec).status(), IsOk());
    ASSERT_THAT(indexed_->Delete(spec).status(), IsOk());
  }

  static absl::StatusOr<std::vector<int64_t>> Ids(const Collection& c,
                                                  const std::string& filter) {
    COVE_ASSIGN_OR_RETURN(expr::CompiledFilter compiled,
                          c.CompileFilter(filter, {}));
    QuerySpec spec;
    spec.filter = &compiled;
    COVE_ASSIGN_OR_RETURN(QueryRows rows, c.Query(spec));
    std::vector<int64_t> ids;
    for (RowRef ref : rows.rows) {
      ids.push_back(c.ValueAt(*rows.state, ref, 0).AsInt());
    }
    return ids;
  }

  // The scores of a filtered search (ties may order rows differently when
  // the two collections compacted at other moments).
  static absl::StatusOr<std::vector<float>> SearchScores(
      const Collection& c, const std::string& filter) {
    COVE_ASSIGN_OR_RETURN(expr::CompiledFilter compiled,
                          c.CompileFilter(filter, {}));
    const float q[2] = {500.0f, 500.0f};
    SearchSpec spec;
    spec.queries = q;
    spec.num_queries = 1;
    spec.k = 7;
    spec.filter = &compiled;
    COVE_ASSIGN_OR_RETURN(SearchHits hits, c.Search(spec));
    std::vector<float> scores;
    for (const ScoredRow& h : hits.hits[0]) scores.push_back(h.score);
    return scores;
  }

  // Many generated filters: the indexed collection answers as the plain one.
  void ExpectSameAnswers(int filters) {
    FilterGen fg(&gen_);
    int nonempty = 0;
    for (int i = 0; i < filters; ++i) {
      const std::string filter = fg.Filter(3);
      auto want = Ids(*plain_, filter);
      ASSERT_THAT(want.status(), IsOk()) << filter;
      auto got = Ids(*indexed_, filter);
      ASSERT_THAT(got.status(), IsOk()) << filter;
      ASSERT_EQ(*got, *want) << filter;
      nonempty += !want->empty();
      if (i % 8 == 0) {
        auto s_want = SearchScores(*plain_, filter);
        auto s_got = SearchScores(*indexed_, filter);
        ASSERT_THAT(s_got.status(), IsOk());
        ASSERT_EQ(*s_got, *s_want) << filter;
      }
    }
    EXPECT_GT(nonempty, filters / 4);  // the filters select something
  }

  // Sealed segments of the indexed collection hold the scalar indexes.
  size_t IndexedSegments() const {
    size_t n = 0;
    for (const auto& seg : indexed_->Pin()->segments) {
      n += seg->ScalarIndexOf(1) != nullptr;  // "a"
    }
    return n;
  }

  RowGen gen_{20261207};
  std::unique_ptr<Collection> plain_;
  std::unique_ptr<Collection> indexed_;
};

TEST_F(ScalarIndexTest, FiltersMatchTheScanThroughWritesCompactionAndReload) {
  Insert(0, 600, false);  // 9 sealed segments and a growing one
  indexed_->WaitForIndexBuilds();
  ASSERT_GE(IndexedSegments(), 9u);
  ExpectSameAnswers(150);

  // Deletes (tombstones in sealed segments) and upserts of sealed rows.
  std::vector<int64_t> gone;
  for (int64_t id = 0; id < 600; id += 7) gone.push_back(id);
  Delete(gone);
  Insert(100, 180, /*upsert=*/true);
  Insert(600, 650, false);
  ExpectSameAnswers(100);  // before the new builds finish, and after
  indexed_->WaitForIndexBuilds();
  ExpectSameAnswers(100);

  plain_->Seal();
  indexed_->Seal();
  ASSERT_THAT(plain_->Compact(), IsOk());
  ASSERT_THAT(indexed_->Compact(), IsOk());
  indexed_->WaitForIndexBuilds();
  ASSERT_GT(IndexedSegments(), 0u);
  ExpectSameAnswers(100);

  // A snapshot keeps the index specs; the indexes are rebuilt from the rows.
  internal::ByteWriter w;
  indexed_->Serialize(&w);
  const std::string bytes = w.Take();
  internal::ByteReader r(bytes);
  CollectionContext context;
  context.segments.seal_rows = 64;
  context.pool = std::make_shared<BuildPool>(1);
  auto restored = Collection::Deserialize(&r, kCollectionFormatV3, context);
  ASSERT_THAT(restored.status(), IsOk());
  indexed_ = *std::move(restored);
  ExpectSameAnswers(30);
  indexed_->WaitForIndexBuilds();
  EXPECT_GT(IndexedSegments(), 0u);
  EXPECT_EQ(indexed_->DescribeIndexes().size(), 11u);
  ExpectSameAnswers(100);
}

TEST_F(ScalarIndexTest, DescribeReportsIndexedRowsAndDropWorksWhileLoaded) {
  Insert(0, 200, false);  // 3 sealed segments (192 rows), 8 growing
  indexed_->WaitForIndexBuilds();
  bool found = false;
  for (const IndexStatus& s : indexed_->DescribeIndexes()) {
    if (s.def.field_name != "s") continue;
    found = true;
    EXPECT_EQ(s.def.kind, IndexKind::kTrie);
    EXPECT_EQ(s.def.index_name, "s");
    EXPECT_EQ(s.total_rows, 200);
    EXPECT_EQ(s.indexed_rows, 192);
    EXPECT_EQ(s.growing_rows, 8);
  }
  EXPECT_TRUE(found);
  // The same index again is a no-op; another one on the field is not.
  EXPECT_THAT(indexed_->CreateIndex(Def("s", IndexKind::kTrie)), IsOk());
  EXPECT_THAT(indexed_->CreateIndex(Def("s", IndexKind::kInverted)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Dropped while loaded: filters scan the field again, same rows.
  const auto before = Ids(*indexed_, "s like \"ab%\" and b in [1, 2]");
  ASSERT_THAT(indexed_->DropIndex("s"), IsOk());
  for (const auto& seg : indexed_->Pin()->segments) {
    EXPECT_EQ(seg->ScalarIndexOf(6), nullptr);
  }
  EXPECT_EQ(*Ids(*indexed_, "s like \"ab%\" and b in [1, 2]"), *before);
  EXPECT_EQ(indexed_->DescribeIndexes().size(), 10u);
  // Named indexes, and a name used twice.
  IndexDef named = Def("s", IndexKind::kInverted);
  named.index_name = "s_idx";
  ASSERT_THAT(plain_->CreateIndex(named), IsOk());
  IndexDef dup = Def("b", IndexKind::kInverted);
  dup.index_name = "s_idx";
  EXPECT_THAT(plain_->CreateIndex(dup),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("index name 's_idx'")));
  dup.index_name = "vec";  // the vector index's name
  EXPECT_THAT(plain_->CreateIndex(dup),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_THAT(plain_->DropIndex("s_idx"), IsOk());
  EXPECT_EQ(plain_->DescribeIndexes().size(), 1u);
}

TEST_F(ScalarIndexTest, IndexTypesTakeTheFieldTypesMilvusAllows) {
  auto c = Make(false);
  struct Case {
    const char* field;
    IndexKind kind;
    const char* error;  // null: accepted
  };
  for (const Case& k : std::vector<Case>{
           {"a", IndexKind::kStlSort, nullptr},
           {"f", IndexKind::kStlSort, nullptr},
           {"s", IndexKind::kStlSort,
            "index type STL_SORT is not supported on VARCHAR fields"},
           {"flag", IndexKind::kStlSort,
            "index type STL_SORT is not supported on BOOL fields"},
           {"t", IndexKind::kTrie, nullptr},
           {"b", IndexKind::kTrie,
            "index type Trie is not supported on INT32 fields"},
           {"c", IndexKind::kBitmap, nullptr},
           {"flag", IndexKind::kBitmap, nullptr},
           {"d", IndexKind::kBitmap,
            "index type BITMAP is not supported on DOUBLE fields"},
           {"id", IndexKind::kBitmap,
            "index type BITMAP is not supported on the primary key"},
           {"s", IndexKind::kInverted, nullptr},
           {"j", IndexKind::kInverted,
            "index type INVERTED on JSON fields is not supported"},
           {"b", IndexKind::kHnsw, "index type HNSW is for vector fields"},
           {"arr", IndexKind::kStlSort,
            "index type STL_SORT is not supported on ARRAY fields of INT64"},
           {"arr", IndexKind::kInverted, nullptr},
           {"d", IndexKind::kAutoIndex, nullptr},
       }) {
    const absl::Status st = c->CreateIndex(Def(k.field, k.kind));
    if (k.error == nullptr) {
      EXPECT_THAT(st, IsOk()) << k.field;
    } else {
      EXPECT_THAT(
          st, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(k.error)))
          << k.field;
    }
  }
  IndexDef with_param = Def("id", IndexKind::kStlSort);
  with_param.params["nlist"] = "4";
  EXPECT_THAT(c->CreateIndex(with_param),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("index param 'nlist'")));
  EXPECT_THAT(c->CreateIndex(Def("vec", IndexKind::kStlSort)),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

// The index itself, against a brute-force evaluation of each question, for
// both layouts, with NaN, -0.0 and nulls among the values.
TEST(ScalarIndexUnitTest, AnswersAsTheRowsSay) {
  std::mt19937 rng(7);
  std::vector<Value> column;
  const double values[] = {-0.0, 0.0, 1.5, -2, 3, std::nan(""), 1e300, -7.25};
  for (int i = 0; i < 500; ++i) {
    const int k = static_cast<int>(rng() % 10);
    column.push_back(k >= 8 ? Value() : Value(values[k]));
  }
  for (auto layout :
       {ScalarIndex::Layout::kSorted, ScalarIndex::Layout::kBitmap}) {
    auto index =
        ScalarIndex::Build(column, column.size(), DataType::kDouble, layout);
    ASSERT_NE(index, nullptr);
    EXPECT_EQ(index->cardinality(), 6u);  // -0.0 == 0.0; NaN apart
    for (double c : {0.0, 1.5, -2.0, 2.0, std::nan(""), 1e300, -100.0}) {
      for (auto op :
           {expr::CompareOp::kEq, expr::CompareOp::kNe, expr::CompareOp::kLt,
            expr::CompareOp::kLe, expr::CompareOp::kGt, expr::CompareOp::kGe}) {
        expr::IndexQuery q;
        q.op = op;
        q.value = Value(c);
        Bitset got;
        ASSERT_TRUE(index->Answer(q, &got));
        for (size_t r = 0; r < column.size(); ++r) {
          const expr::Tri want = expr::CompareTri(
              op, expr::FromValue(column[r]), expr::FromValue(q.value));
          ASSERT_EQ(got.Test(r), want == expr::Tri::kTrue)
              << r << " " << c << " " << expr::CompareOpName(op);
          ASSERT_EQ(index->nulls().Test(r), column[r].is_null());
        }
      }
    }
  }
  // ARRAY columns: keyed by the elements, answering containment.
  std::vector<Value> arrays;
  for (int i = 0; i < 300; ++i) {
    if (rng() % 7 == 0) {
      arrays.push_back(Value());
      continue;
    }
    Value::Array a;
    for (size_t k = rng() % 5; k > 0; --k) {
      a.push_back(Value(static_cast<int64_t>(rng() % 8)));
    }
    arrays.push_back(Value(std::move(a)));
  }
  for (auto layout :
       {ScalarIndex::Layout::kSorted, ScalarIndex::Layout::kBitmap}) {
    auto index = ScalarIndex::Build(arrays, arrays.size(), DataType::kArray,
                                    layout, DataType::kInt64);
    ASSERT_NE(index, nullptr);
    for (auto kind : {expr::IndexQuery::Kind::kContainsAny,
                      expr::IndexQuery::Kind::kContainsAll}) {
      for (const Value::Array& values :
           std::vector<Value::Array>{{},
                                     {Value(int64_t{3})},
                                     {Value(int64_t{1}), Value(2.0)},
                                     {Value(int64_t{4}), Value(2.5)},
                                     {Value(int64_t{5}), Value()}}) {
        expr::IndexQuery q;
        q.kind = kind;
        q.values = values;
        Bitset got;
        ASSERT_TRUE(index->Answer(q, &got));
        expr::ContainsPred pred(std::make_unique<expr::FieldNode>(0),
                                kind == expr::IndexQuery::Kind::kContainsAll
                                    ? expr::ContainsMode::kAll
                                    : expr::ContainsMode::kAny,
                                Value(values));
        for (size_t r = 0; r < arrays.size(); ++r) {
          struct One : expr::RowAccessor {
            const Value* v;
            const Value& Get(int) const override { return *v; }
          } row;
          row.v = &arrays[r];
          ASSERT_EQ(got.Test(r), pred.Eval(row) == expr::Tri::kTrue) << r;
        }
      }
      // Not a question for an array index, and vice versa.
      expr::IndexQuery eq;
      eq.value = Value(int64_t{1});
      Bitset unused;
      EXPECT_FALSE(index->Answer(eq, &unused));
    }
  }
  // A value of another kind than the field's: no index (filters scan).
  std::vector<Value> mixed = {Value(int64_t{1}), Value("x")};
  EXPECT_EQ(ScalarIndex::Build(mixed, 2, DataType::kInt64,
                               ScalarIndex::Layout::kSorted),
            nullptr);
}

}  // namespace scalar_index_test
}  // namespace
}  // namespace cove::engine
