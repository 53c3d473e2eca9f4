// Milvus' partition key mode in the engine (Collection::SetPartitionKey):
// rows hashed by their key into the key partitions, upserts that move rows,
// and reads pruned to the partitions a filter pins the key to, which must
// answer exactly as the unpruned reads do (a property over generated data
// and filters).
#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "embedded/requests.h"
#include "engine/build_pool.h"
#include "engine/collection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace partition_key_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

constexpr int kDim = 4;

// Known slots: MurmurHash3 x86_32 (seed 0) of the 8 little-endian bytes of
// an INT64, or of a VARCHAR's bytes, modulo n. Rows are stored by these:
// they must never change.
TEST(PartitionKeySlotTest, IsMurmur3OfTheKeyBytes) {
  // murmur3_32("") == 0, ("a") == 0x3c2569b2, ("hello") == 0x248bfa47
  // (reference values of the algorithm, seed 0); of 8 zero bytes
  // 0x63852afc, of 7 as 8 little-endian bytes 0xf7cc5443 (the pymilvus
  // test's Python murmur3 agrees).
  EXPECT_EQ(PartitionKeySlot(Value(""), 1u << 31), 0u);
  EXPECT_EQ(PartitionKeySlot(Value("a"), 1000003), 0x3c2569b2u % 1000003);
  EXPECT_EQ(PartitionKeySlot(Value("hello"), 1000003), 0x248bfa47u % 1000003);
  EXPECT_EQ(PartitionKeySlot(Value(int64_t{0}), 1000003),
            0x63852afcu % 1000003);
  EXPECT_EQ(PartitionKeySlot(Value(int64_t{7}), 1000003),
            0xf7cc5443u % 1000003);
  // Spread: 16 slots over 1,600 consecutive keys, each slot used.
  std::vector<int> per_slot(16);
  for (int64_t k = 0; k < 1600; ++k) ++per_slot[PartitionKeySlot(Value(k), 16)];
  for (int n : per_slot) {
    EXPECT_GT(n, 60);
    EXPECT_LT(n, 140);
  }
}

TEST(PinnedValuesTest, RecognizesEqualityInAndOrAnd) {
  expr::Schema schema;
  auto add = [&](const char* name, expr::FieldType type) {
    expr::FieldInfo f;
    f.name = name;
    f.type = type;
    f.field_index = static_cast<int>(schema.fields.size());
    schema.fields.push_back(std::move(f));
  };
  add("k", expr::FieldType::kInt64);
  add("x", expr::FieldType::kInt64);
  add("s", expr::FieldType::kVarChar);
  auto pinned = [&](const std::string& text) -> std::optional<std::string> {
    auto f = expr::Compile(text, schema, {{"v", Value(int64_t{7})}});
    EXPECT_THAT(f.status(), IsOk()) << text;
    if (!f.ok()) return std::nullopt;
    auto v = f->PinnedValues(0);
    if (!v.has_value()) return std::nullopt;
    std::vector<std::string> out;
    for (const Value& x : *v) out.push_back(x.ToJson());
    std::sort(out.begin(), out.end());
    return absl::StrJoin(out, ",");
  };
  EXPECT_EQ(pinned("k == 3"), "3");
  EXPECT_EQ(pinned("3 == k"), "3");
  EXPECT_EQ(pinned("k == {v}"), "7");
  EXPECT_EQ(pinned("k in [1, 2, 3]"), "1,2,3");
  EXPECT_EQ(pinned("k == 1 or k == 2"), "1,2");
  EXPECT_EQ(pinned("k == 1 or k in [4, 5]"), "1,4,5");
  EXPECT_EQ(pinned("x > 3 and k == 2"), "2");
  EXPECT_EQ(pinned("x > 3 and (k == 1 or k == 2) and s == \"a\""), "1,2");
  EXPECT_EQ(pinned("k in [1, 2, 3] and k == 2"), "2");
  EXPECT_EQ(pinned("(k == 1 and x > 2) or (k == 4 and x < 1)"), "1,4");
  EXPECT_EQ(pinned("k == 1 or x > 3"), std::nullopt);
  EXPECT_EQ(pinned("not (k == 1)"), std::nullopt);
  EXPECT_EQ(pinned("k != 1"), std::nullopt);
  EXPECT_EQ(pinned("k not in [1, 2]"), std::nullopt);
  EXPECT_EQ(pinned("k > 1"), std::nullopt);
  EXPECT_EQ(pinned("x == 1"), std::nullopt);
  EXPECT_EQ(pinned(""), std::nullopt);
  EXPECT_EQ(pinned("k + 1 == 3"), std::nullopt);
}

struct Gen {
  std::mt19937 rng;
  bool string_key;
  int keys;  // distinct key values

  Value Key() { return KeyOf(static_cast<int>(rng() % keys)); }
  Value KeyOf(int i) const {
    return string_key ? Value(absl::StrCat("t", i))
                      : Value(int64_t{i * 7 - 30});
  }
  std::string Lit(int i) const { return KeyOf(i).ToJson(); }
  Row MakeRow(int64_t id) {
    std::normal_distribution<float> g;
    std::vector<float> v(kDim);
    for (float& x : v) x = g(rng);
    return Row{{"id", Value(id)},
               {"vec", Value::FloatVector(v)},
               {"k", Key()},
               {"x", Value(static_cast<int64_t>(rng() % 100))}};
  }
  // A filter: pinned or not, selective or not.
  std::string Filter() {
    auto lit = [&] { return Lit(static_cast<int>(rng() % (keys + 2))); };
    const int x = static_cast<int>(rng() % 100);
    switch (rng() % 12) {
      case 0:
        return absl::StrCat("k == ", lit());
      case 1:
        return absl::StrCat("k in [", lit(), ", ", lit(), ", ", lit(), "]");
      case 2:
        return absl::StrCat("k == ", lit(), " and x > ", x);
      case 3:
        return absl::StrCat("x < ", x, " and (k == ", lit(), " or k == ", lit(),
                            ")");
      case 4:
        return absl::StrCat("k == ", lit(), " or x > ", x);
      case 5:
        return absl::StrCat("not (k == ", lit(), ")");
      case 6:
        return absl::StrCat("k != ", lit(), " and x >= ", x);
      case 7:
        return absl::StrCat("k in [", lit(), ", ", lit(), "] and k in [", lit(),
                            ", ", lit(), "]");
      case 8:
        return absl::StrCat("(k == ", lit(), " and x > ", x,
                            ") or (k == ", lit(), " and x <= ", x, ")");
      case 9:
        return absl::StrCat("x > ", x);
      case 10:
        return absl::StrCat("k == ", lit(), " and k == ", lit());
      default:
        return string_key ? absl::StrCat("k like \"t1%\" and x > ", x)
                          : absl::StrCat("k > ", lit(), " and x > ", x);
    }
  }
};

CollectionSchema KeySchema(bool string_key) {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = cove::DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema vec;
  vec.name = "vec";
  vec.type = cove::DataType::kFloatVector;
  vec.dim = kDim;
  FieldSchema k;
  k.name = "k";
  k.type = string_key ? cove::DataType::kVarChar : cove::DataType::kInt64;
  k.max_length = 16;
  FieldSchema x;
  x.name = "x";
  x.type = cove::DataType::kInt64;
  schema.AddField(id).AddField(vec).AddField(k).AddField(x);
  return schema;
}

std::vector<std::string> KeyPartitionNames(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(absl::StrCat("_default_", i));
  return names;
}

std::unique_ptr<Collection> MakeKeyCollection(bool string_key, int partitions,
                                              cove::IndexType type) {
  CollectionContext context;
  context.segments.seal_rows = 90;
  context.pool = std::make_shared<BuildPool>(2);
  auto c =
      Collection::Create("pk", internal::ToEngineSchema(KeySchema(string_key)),
                         0, std::move(context));
  EXPECT_THAT(c.status(), IsOk());
  EXPECT_THAT((*c)->SetPartitionKey(2, KeyPartitionNames(partitions)), IsOk());
  IndexSpec spec;
  spec.field_name = "vec";
  spec.index_type = type;
  spec.metric_type = MetricType::kL2;
  if (type == cove::IndexType::kHnsw) {
    spec.params = {{"M", "8"}, {"efConstruction", "64"}};
  }
  EXPECT_THAT(internal::CreateIndexIn(**c, spec), IsOk());
  EXPECT_THAT((*c)->Load(), IsOk());
  return *std::move(c);
}

std::vector<int64_t> QueryIds(const Collection& c, const std::string& filter,
                              const std::vector<std::string>& partitions = {}) {
  QueryRequest q;
  q.filter = filter;
  q.partition_names = partitions;
  q.output_fields = {"id"};
  auto rows = internal::QueryIn(c, q);
  EXPECT_THAT(rows.status(), IsOk()) << filter;
  std::vector<int64_t> ids;
  if (!rows.ok()) return ids;
  for (const Row& r : *rows) ids.push_back(r.at("id").AsInt());
  std::sort(ids.begin(), ids.end());
  return ids;
}

struct Found {
  std::vector<std::vector<std::pair<int64_t, float>>> hits;
  bool operator==(const Found& o) const { return hits == o.hits; }
};

Found SearchFound(const Collection& c, const std::string& filter,
                  const std::vector<float>& queries) {
  SearchRequest s;
  s.vectors = queries;
  s.dim = kDim;
  s.limit = 7;
  s.filter = filter;
  s.params = {{"ef", Value(int64_t{16})}};
  auto results = internal::SearchIn(c, s);
  EXPECT_THAT(results.status(), IsOk()) << filter;
  Found f;
  if (!results.ok()) return f;
  for (const auto& q : results->hits) {
    f.hits.emplace_back();
    for (const Hit& h : q) f.hits.back().emplace_back(h.id.AsInt(), h.distance);
  }
  return f;
}

// Every live row is in the partition its key hashes to.
void ExpectRowsInTheirPartitions(const Collection& c, int partitions,
                                 const std::map<int64_t, Value>& key_of) {
  std::vector<int64_t> all;
  for (int p = 0; p < partitions; ++p) {
    const std::string name = absl::StrCat("_default_", p);
    std::vector<int64_t> want;
    for (const auto& [id, key] : key_of) {
      if (static_cast<int>(PartitionKeySlot(key, partitions)) == p) {
        want.push_back(id);
      }
    }
    EXPECT_EQ(QueryIds(c, "id >= 0", {name}), want) << name;
    auto count = c.PartitionRowCount(name);
    ASSERT_THAT(count.status(), IsOk());
    EXPECT_EQ(*count, static_cast<int64_t>(want.size()));
  }
}

class PartitionKeyPropertyTest
    : public ::testing::TestWithParam<std::tuple<bool, cove::IndexType>> {};

TEST_P(PartitionKeyPropertyTest, PrunedReadsEqualUnprunedOnes) {
  const bool string_key = std::get<0>(GetParam());
  const cove::IndexType type = std::get<1>(GetParam());
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    Gen gen{std::mt19937(seed), string_key, static_cast<int>(5 + seed * 4)};
    // Few partitions (every segment read whole), and enough that a pinned
    // read takes a sealed segment's rows by partition (Collection::Matching).
    const int partitions = seed == 1 ? 2 : seed == 2 ? 9 : 16;
    auto c = MakeKeyCollection(string_key, partitions, type);
    // The twin gets the same writes and never prunes its deletes.
    auto twin = MakeKeyCollection(string_key, partitions, type);
    twin->set_partition_pruning(false);
    std::map<int64_t, Value> key_of;  // the live rows
    auto write = [&](std::vector<Row> rows, bool upsert) {
      InsertRequest insert;
      insert.rows = std::move(rows);
      for (const Row& r : insert.rows) key_of[r.at("id").AsInt()] = r.at("k");
      ASSERT_THAT(internal::InsertInto(*c, insert, upsert).status(), IsOk());
      ASSERT_THAT(internal::InsertInto(*twin, insert, upsert).status(), IsOk());
    };
    // Inserts, then upserts that move rows to other keys, then deletes by
    // id and by a pinned filter.
    for (int batch = 0; batch < 6; ++batch) {
      std::vector<Row> rows;
      for (int i = 0; i < 40; ++i) rows.push_back(gen.MakeRow(batch * 40 + i));
      write(std::move(rows), false);
    }
    std::vector<Row> moved;
    for (int i = 0; i < 50; ++i) moved.push_back(gen.MakeRow(gen.rng() % 240));
    write(std::move(moved), true);
    DeleteRequest del;
    for (int i = 0; i < 15; ++i) {
      del.ids.push_back(Value(static_cast<int64_t>(gen.rng() % 240)));
    }
    for (const Value& id : del.ids) key_of.erase(id.AsInt());
    ASSERT_THAT(internal::DeleteFrom(*c, del).status(), IsOk());
    ASSERT_THAT(internal::DeleteFrom(*twin, del).status(), IsOk());
    DeleteRequest by_filter;
    by_filter.filter = absl::StrCat("k == ", gen.Lit(1), " and x < 50");
    auto deleted = internal::DeleteFrom(*c, by_filter);
    auto twin_deleted = internal::DeleteFrom(*twin, by_filter);
    ASSERT_THAT(deleted.status(), IsOk());
    ASSERT_THAT(twin_deleted.status(), IsOk());
    EXPECT_EQ(deleted->count, twin_deleted->count);
    for (const Value& id : deleted->ids) key_of.erase(id.AsInt());
    c->WaitForIndexBuilds();
    twin->WaitForIndexBuilds();
    ExpectRowsInTheirPartitions(*c, partitions, key_of);
    EXPECT_EQ(c->row_count(), static_cast<int64_t>(key_of.size()));

    std::normal_distribution<float> g;
    for (int t = 0; t < 40; ++t) {
      const std::string filter = gen.Filter();
      std::vector<float> queries(2 * kDim);
      for (float& x : queries) x = g(gen.rng);
      c->set_partition_pruning(true);
      const std::vector<int64_t> pruned = QueryIds(*c, filter);
      const Found pruned_hits = SearchFound(*c, filter, queries);
      c->set_partition_pruning(false);
      EXPECT_EQ(pruned, QueryIds(*c, filter)) << filter;
      EXPECT_TRUE(pruned_hits == SearchFound(*c, filter, queries)) << filter;
      // And the same rows as the twin.
      EXPECT_EQ(pruned, QueryIds(*twin, filter)) << filter;
    }
    c->set_partition_pruning(true);
    EXPECT_EQ(QueryIds(*c, "id >= 0"), QueryIds(*twin, "id >= 0"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    KeysAndIndexes, PartitionKeyPropertyTest,
    ::testing::Combine(::testing::Bool(),
                       ::testing::Values(cove::IndexType::kFlat,
                                         cove::IndexType::kHnsw)));

TEST(PartitionKeyTest, HidesTheDefaultPartitionAndRoutesRows) {
  auto c = MakeKeyCollection(false, 4, cove::IndexType::kFlat);
  EXPECT_THAT(c->ListPartitions(), ElementsAre("_default_0", "_default_1",
                                               "_default_2", "_default_3"));
  EXPECT_FALSE(c->HasPartition("_default"));
  EXPECT_TRUE(c->HasPartition("_default_3"));
  EXPECT_THAT(c->PartitionRowCount("_default").status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(c->partition_key_column(), 2);
  // Idempotent; another layout or a bad column is refused.
  EXPECT_THAT(c->SetPartitionKey(2, KeyPartitionNames(4)), IsOk());
  EXPECT_THAT(
      c->SetPartitionKey(0, KeyPartitionNames(4)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("primary key")));
  EXPECT_THAT(c->SetPartitionKey(1, KeyPartitionNames(4)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("partition key 'vec'")));
  EXPECT_THAT(c->SetPartitionKey(2, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected 1 to 1024 partitions")));
  // Up to 1,024 key partitions (the hidden "_default" does not count).
  auto wide = MakeKeyCollection(false, 1024, cove::IndexType::kFlat);
  EXPECT_EQ(wide->ListPartitions().size(), 1024u);
  EXPECT_THAT(wide->CreatePartition("one_more"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(c->SetPartitionKey(2, KeyPartitionNames(1025)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected 1 to 1024 partitions")));
  // A row of key 5 goes to the slot of 5; upserting it with key 6 moves it.
  InsertRequest insert;
  insert.rows = {Row{{"id", Value(int64_t{1})},
                     {"vec", Value::FloatVector({1, 0, 0, 0})},
                     {"k", Value(int64_t{5})},
                     {"x", Value(int64_t{0})}}};
  ASSERT_THAT(internal::InsertInto(*c, insert, false).status(), IsOk());
  const std::string p5 =
      absl::StrCat("_default_", PartitionKeySlot(Value(int64_t{5}), 4));
  EXPECT_THAT(QueryIds(*c, "id >= 0", {p5}), ElementsAre(1));
  insert.rows[0]["k"] = Value(int64_t{6});
  ASSERT_THAT(internal::InsertInto(*c, insert, true).status(), IsOk());
  const std::string p6 =
      absl::StrCat("_default_", PartitionKeySlot(Value(int64_t{6}), 4));
  EXPECT_THAT(QueryIds(*c, "id >= 0", {p6}), ElementsAre(1));
  if (p5 != p6) EXPECT_THAT(QueryIds(*c, "id >= 0", {p5}), ElementsAre());
  EXPECT_THAT(QueryIds(*c, "k == 6"), ElementsAre(1));
  EXPECT_THAT(QueryIds(*c, "k == 5"), ElementsAre());
  EXPECT_EQ(c->row_count(), 1);
}

// The log of a partition key collection replays each row into the
// partition it was written to, and a snapshot keeps them.
TEST(PartitionKeyTest, LogAndSnapshotKeepTheRowsPartitions) {
  auto c = MakeKeyCollection(true, 5, cove::IndexType::kFlat);
  std::vector<std::string> log;
  c->set_logger(
      [&](std::string_view record, const std::function<void()>& while_syncing) {
        log.emplace_back(record);
        if (while_syncing) while_syncing();
        return absl::OkStatus();
      });
  Gen gen{std::mt19937(9), true, 11};
  std::map<int64_t, Value> key_of;
  InsertRequest insert;
  for (int i = 0; i < 60; ++i) insert.rows.push_back(gen.MakeRow(i));
  for (const Row& r : insert.rows) key_of[r.at("id").AsInt()] = r.at("k");
  ASSERT_THAT(internal::InsertInto(*c, insert, false).status(), IsOk());
  ASSERT_FALSE(log.empty());

  // Replay into a new collection put in partition key mode first.
  auto replayed = Collection::Create(
      "pk", internal::ToEngineSchema(KeySchema(true)), c->id());
  ASSERT_THAT(replayed.status(), IsOk());
  ASSERT_THAT((*replayed)->SetPartitionKey(2, KeyPartitionNames(5)), IsOk());
  for (const std::string& record : log) {
    ASSERT_THAT((*replayed)->Replay(record), IsOk());
  }
  IndexSpec spec;
  spec.field_name = "vec";
  spec.index_type = cove::IndexType::kFlat;
  spec.metric_type = MetricType::kL2;
  ASSERT_THAT(internal::CreateIndexIn(**replayed, spec), IsOk());
  ASSERT_THAT((*replayed)->Load(), IsOk());
  ExpectRowsInTheirPartitions(**replayed, 5, key_of);

  // A snapshot restores the partitions; the mode is set again.
  internal::ByteWriter w;
  c->Serialize(&w);
  internal::ByteReader r(w.bytes());
  auto restored = Collection::Deserialize(&r);
  ASSERT_THAT(restored.status(), IsOk());
  ASSERT_THAT((*restored)->SetPartitionKey(2, KeyPartitionNames(5)), IsOk());
  ASSERT_THAT((*restored)->Load(), IsOk());
  ExpectRowsInTheirPartitions(**restored, 5, key_of);
  EXPECT_THAT((*restored)->ListPartitions(),
              UnorderedElementsAreArray(KeyPartitionNames(5)));
}

}  // namespace partition_key_test
}  // namespace
}  // namespace cove::engine
