// Durability of the embedded backend on a data directory: reopen, locking,
// read-only readers, encryption at rest, corruption and crashes (SIGKILL).
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/bytes.h"
#include "cove/client.h"
#include "embedded/requests.h"
#include "engine/collection.h"
#include "engine/schema.h"
#include "engine/storage/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kDurableDim = 4;

std::string DurableTempDir() {
  std::string tmpl = ::testing::TempDir() + "cove_store_XXXXXX";
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl + "/data";
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (auto* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(dir + "/" + n);
  }
  closedir(d);
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Row MakeRow(int64_t id, const std::string& tag = "t") {
  float f = static_cast<float>(id);
  return Row{{"id", Value(id)},
             {"vector", Value::FloatVector({1.0f, f, f * 0.5f, 2.0f})},
             {"tag", Value(tag)}};
}

int64_t Count(Client& client, const std::string& collection) {
  QueryRequest q;
  q.collection_name = collection;
  q.output_fields = {"count(*)"};
  auto rows = client.Query(q);
  EXPECT_THAT(rows, IsOk());
  return rows.ok() ? (*rows)[0].at("count(*)").AsInt() : -1;
}

std::set<int64_t> AllIds(Client& client, const std::string& collection) {
  QueryRequest q;
  q.collection_name = collection;
  q.filter = "id >= 0";
  q.output_fields = {"id"};
  auto rows = client.Query(q);
  EXPECT_THAT(rows, IsOk());
  std::set<int64_t> ids;
  if (rows.ok()) {
    for (const Row& r : *rows) ids.insert(r.at("id").AsInt());
  }
  return ids;
}

// id INT64 (primary key), vector (kDurableDim), tag VARCHAR(8).
CollectionSchema TagSchema() {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema vec;
  vec.name = "vector";
  vec.type = DataType::kFloatVector;
  vec.dim = kDurableDim;
  FieldSchema tag;
  tag.name = "tag";
  tag.type = DataType::kVarChar;
  tag.max_length = 8;
  schema.AddField(id).AddField(vec).AddField(tag);
  return schema;
}

// Partition and clustering keys survive a reopen from the log and from a
// snapshot (Flush checkpoints).
TEST(DurableTest, KeyFieldsSurviveReopen) {
  const std::string dir = DurableTempDir();
  CollectionSchema schema = TagSchema();
  schema.fields[2].is_partition_key = true;
  FieldSchema ts;
  ts.name = "ts";
  ts.type = DataType::kInt64;
  ts.is_clustering_key = true;
  schema.AddField(ts);
  schema.num_partitions = 5;
  auto check = [](Client& client) {
    ASSERT_OK_AND_ASSIGN(CollectionDescription d,
                         client.DescribeCollection("keys"));
    ASSERT_EQ(d.schema.fields.size(), 4u);
    EXPECT_TRUE(d.schema.fields[2].is_partition_key);
    EXPECT_TRUE(d.schema.fields[3].is_clustering_key);
    EXPECT_FALSE(d.schema.fields[1].is_partition_key);
    EXPECT_EQ(d.schema.num_partitions, 5);
    EXPECT_THAT(client.CreatePartition("keys", "p"),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("partition key ('tag')")));
    // The rows stay in the partitions of their keys' hashes.
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> names,
                         client.ListPartitions("keys"));
    ASSERT_EQ(names.size(), 5u);
    std::vector<int64_t> want(5);
    for (int64_t i = 0; i < 40; ++i) {
      ++want[engine::PartitionKeySlot(Value(absl::StrCat("t", i % 7)), 5)];
    }
    for (int p = 0; p < 5; ++p) {
      EXPECT_EQ(names[p], absl::StrCat("_default_", p));
      ASSERT_OK_AND_ASSIGN(CollectionStats stats,
                           client.GetPartitionStats("keys", names[p]));
      EXPECT_EQ(stats.row_count, want[p]) << names[p];
    }
  };
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    ASSERT_OK(client.CreateCollection("keys", schema));
    std::vector<Row> rows;
    for (int64_t i = 0; i < 40; ++i) {
      Row row = MakeRow(i, absl::StrCat("t", i % 7));
      row["ts"] = Value(i);
      rows.push_back(std::move(row));
    }
    ASSERT_OK(client.Insert("keys", rows));
    check(client);
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    check(client);
    ASSERT_OK(client.Flush("keys"));
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    check(client);
  }
}

// A partition key collection written by a version before partition key
// pruning (its settings record has no layout, its rows are all in
// "_default") still opens and answers correctly: it keeps its one
// partition and is not pruned, before and after a snapshot.
TEST(DurableTest, PartitionKeyCollectionOfAnOlderVersionKeepsOnePartition) {
  const std::string dir = DurableTempDir();
  CollectionSchema schema = TagSchema();
  IndexSpec flat;
  flat.field_name = "vector";
  flat.index_type = IndexType::kFlat;
  flat.metric_type = MetricType::kL2;
  {
    // The records that version wrote: the collection (its settings: level
    // byte with the keys bit, no properties, key "tag" over 4 partitions, no
    // clustering key) and an insert into partition 0.
    auto store = engine::Store::Open(
        dir, {}, [](std::string_view) { return absl::OkStatus(); },
        [](std::string_view) { return absl::OkStatus(); });
    ASSERT_OK(store.status());
    internal::ByteWriter create;
    create.U8(static_cast<uint8_t>(engine::RecordType::kCreateCollection));
    create.Str("default");
    create.Str("old");
    create.I64(4242);
    engine::EncodeSchema(internal::ToEngineSchema(schema), &create);
    create.Varint(1);
    ASSERT_OK_AND_ASSIGN(engine::IndexDef def, internal::ToIndexDef(flat));
    engine::EncodeIndexDef(def, &create);
    create.U8(0x80);  // Strong, key fields follow
    create.Varint(0);
    create.Varint(0);
    create.Str("tag");
    create.Varint(4);
    create.Str("");
    ASSERT_OK((*store)->Append(create.bytes()));
    internal::ByteWriter insert;
    insert.U8(static_cast<uint8_t>(engine::RecordType::kInsert));
    insert.I64(4242);
    insert.U32(0);
    insert.I64(0);
    insert.Varint(30);
    for (int64_t i = 0; i < 30; ++i) {
      const Row row = MakeRow(i, absl::StrCat("t", i % 3));
      insert.Val(row.at("id"));
      insert.Val(row.at("vector"));
      insert.Val(row.at("tag"));
    }
    ASSERT_OK((*store)->Append(insert.bytes()));
  }
  auto check = [](Client& client, int64_t rows) {
    ASSERT_OK_AND_ASSIGN(CollectionDescription d,
                         client.DescribeCollection("old"));
    EXPECT_TRUE(d.schema.fields[2].is_partition_key);
    EXPECT_EQ(d.schema.num_partitions, 4);
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> names,
                         client.ListPartitions("old"));
    EXPECT_THAT(names, ::testing::ElementsAre("_default"));
    ASSERT_OK_AND_ASSIGN(CollectionStats stats,
                         client.GetPartitionStats("old", "_default"));
    EXPECT_EQ(stats.row_count, rows);
    ASSERT_OK(client.LoadCollection("old"));
    QueryRequest q;
    q.collection_name = "old";
    q.filter = "tag == \"t1\" and id < 12";
    q.output_fields = {"id"};
    ASSERT_OK_AND_ASSIGN(std::vector<Row> got, client.Query(q));
    std::set<int64_t> ids;
    for (const Row& r : got) ids.insert(r.at("id").AsInt());
    EXPECT_EQ(ids, (std::set<int64_t>{1, 4, 7, 10}));
  };
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    check(client, 30);
    // New rows join the one partition; an upsert changes a key in place.
    ASSERT_OK(client.Insert("old", {MakeRow(30, "t1")}));
    ASSERT_OK(client.Upsert("old", {MakeRow(1, "t2")}));
    ASSERT_OK(client.Upsert("old", {MakeRow(2, "t1")}));
    ASSERT_OK_AND_ASSIGN(CollectionStats stats,
                         client.GetPartitionStats("old", "_default"));
    EXPECT_EQ(stats.row_count, 31);
    ASSERT_OK(client.Delete("old", {Value(int64_t{2})}));
    ASSERT_OK(client.Upsert("old", {MakeRow(1, "t1")}));
    check(client, 30);
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    check(client, 30);
    ASSERT_OK(client.Flush("old"));  // a snapshot
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    check(client, 30);
  }
}

// A collection moved into another database stays there, with its rows and
// settings, after a reopen from the log and from a snapshot.
TEST(DurableTest, MoveIntoAnotherDatabaseSurvivesReopen) {
  const std::string dir = DurableTempDir();
  CallOptions archive;
  archive.db_name = "archive";
  auto check = [&](Client& client) {
    ASSERT_OK_AND_ASSIGN(auto names, client.ListCollections());
    EXPECT_TRUE(names.empty());
    ASSERT_OK_AND_ASSIGN(names, client.ListCollections(archive));
    EXPECT_EQ(names, std::vector<std::string>{"old_docs"});
    ASSERT_OK_AND_ASSIGN(auto rows,
                         client.Get("old_docs", {Value(7)}, {"tag"}, archive));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].at("tag"), Value("seven"));
    ASSERT_OK_AND_ASSIGN(CollectionDescription d,
                         client.DescribeCollection("old_docs", archive));
    EXPECT_EQ(d.schema.properties.at("collection.ttl.seconds"), "3600");
    // Field properties (AlterCollectionField) too.
    for (const FieldSchema& f : d.schema.fields) {
      if (f.name != "vector") continue;
      EXPECT_EQ(f.properties,
                (std::map<std::string, std::string>{{"mmap.enabled", "true"}}));
    }
  };
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    ASSERT_OK(client.CreateCollection("docs", kDurableDim));
    ASSERT_OK(client.connection()->AlterCollectionProperties(
        "docs", {{"collection.ttl.seconds", "3600"}}, {}, {}));
    ASSERT_OK(client.connection()->AlterCollectionField(
        "docs", "vector", {{"mmap.enabled", "true"}}, {}));
    ASSERT_OK(
        client.Insert("docs", {MakeRow(7, "seven"), MakeRow(8)}).status());
    ASSERT_OK(client.CreateDatabase("archive"));
    ASSERT_OK(client.RenameCollection("docs", "old_docs", "archive"));
    check(client);
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    check(client);
    ASSERT_OK(client.Flush("old_docs", archive));
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    check(client);
  }
}

// Partition-level load state survives a reopen from the log and from a
// snapshot.
TEST(DurableTest, PartitionLoadStateSurvivesReopen) {
  const std::string dir = DurableTempDir();
  auto check = [](Client& client) {
    ASSERT_OK_AND_ASSIGN(LoadState p, client.GetLoadState("docs", {"p"}));
    EXPECT_EQ(p, LoadState::kNotLoaded);
    ASSERT_OK_AND_ASSIGN(LoadState d,
                         client.GetLoadState("docs", {"_default"}));
    EXPECT_EQ(d, LoadState::kLoaded);
    EXPECT_EQ(AllIds(client, "docs"), (std::set<int64_t>{1}));
  };
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    ASSERT_OK(client.CreateCollection("docs", kDurableDim));
    ASSERT_OK(client.CreatePartition("docs", "p"));
    ASSERT_OK(client.Insert("docs", {MakeRow(1)}).status());
    InsertRequest in_p;
    in_p.collection_name = "docs";
    in_p.partition_name = "p";
    in_p.rows = {MakeRow(2)};
    ASSERT_OK(client.Insert(in_p).status());
    ASSERT_OK(client.ReleasePartitions("docs", {"p"}));
    check(client);
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    check(client);
    ASSERT_OK(client.Flush("docs"));
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    check(client);
  }
}

TEST(DurableTest, DataSurvivesReopen) {
  const std::string dir = DurableTempDir();
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    ASSERT_OK(client.CreateCollection("docs", kDurableDim));
    ASSERT_OK(client.CreateDatabase("other"));
    ASSERT_OK(client.CreatePartition("docs", "p1"));
    std::vector<Row> rows;
    for (int i = 0; i < 50; ++i) rows.push_back(MakeRow(i));
    ASSERT_OK(client.Insert("docs", rows).status());
    InsertRequest in_p1;
    in_p1.collection_name = "docs";
    in_p1.partition_name = "p1";
    in_p1.rows = {MakeRow(100, "p")};
    ASSERT_OK(client.Insert(in_p1).status());
    ASSERT_OK(client.Delete("docs", {Value(3), Value(4)}).status());
    ASSERT_OK(client.Upsert("docs", {MakeRow(5, "replaced")}).status());
    ASSERT_OK(client.CreateAlias("docs", "articles"));
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    EXPECT_EQ(Count(client, "docs"), 49);
    EXPECT_EQ(Count(client, "articles"), 49);  // alias kept
    ASSERT_OK_AND_ASSIGN(auto got, client.Get("docs", {Value(5)}, {"tag"}));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].at("tag").AsString(), "replaced");
    ASSERT_OK_AND_ASSIGN(auto dbs, client.ListDatabases());
    EXPECT_THAT(dbs, ::testing::Contains("other"));
    QueryRequest q;
    q.collection_name = "docs";
    q.partition_names = {"p1"};
    q.output_fields = {"count(*)"};
    ASSERT_OK_AND_ASSIGN(auto in_p1, client.Query(q));
    EXPECT_EQ(in_p1[0].at("count(*)").AsInt(), 1);
    // Flush checkpoints into a snapshot; the state is the same after it.
    ASSERT_OK(client.Flush("docs"));
    ASSERT_OK(client.Insert("docs", {MakeRow(200)}).status());
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    EXPECT_EQ(Count(client, "docs"), 50);
    SearchRequest s;
    s.collection_name = "docs";
    s.vectors = {1.0f, 7.0f, 3.5f, 2.0f};
    s.dim = kDurableDim;
    s.limit = 1;
    ASSERT_OK_AND_ASSIGN(auto r, client.Search(s));
    EXPECT_EQ(r.hits[0][0].id.AsInt(), 7);
  }
}

// Scalar index specs survive a reopen from the log and from a snapshot
// (Flush checkpoints); the indexes are rebuilt from the rows, and filters
// keep their rows.
TEST(DurableTest, ScalarIndexesSurviveReopen) {
  const std::string dir = DurableTempDir();
  auto ages = [](Client& client) {
    QueryRequest q;
    q.collection_name = "people";
    q.filter = "age in [3, 4] or (10 <= age < 12 and name like \"n1%\")";
    q.output_fields = {"id"};
    auto rows = client.Query(q);
    EXPECT_THAT(rows, IsOk());
    std::set<int64_t> ids;
    if (rows.ok()) {
      for (const Row& r : *rows) ids.insert(r.at("id").AsInt());
    }
    return ids;
  };
  auto check = [&](Client& client, const std::set<int64_t>& want) {
    ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes("people"));
    std::set<std::string> names;
    for (const IndexDescription& d : indexes) {
      names.insert(d.index_name + ":" + IndexTypeName(d.index_type));
    }
    EXPECT_EQ(names, (std::set<std::string>{"age_idx:STL_SORT", "name:Trie",
                                            "vector:FLAT"}));
    EXPECT_EQ(ages(client), want);
  };
  std::set<int64_t> want;
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    CollectionSchema schema;
    FieldSchema id;
    id.name = "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    FieldSchema age;
    age.name = "age";
    age.type = DataType::kInt64;
    FieldSchema name;
    name.name = "name";
    name.type = DataType::kVarChar;
    name.max_length = 16;
    FieldSchema vec;
    vec.name = "vector";
    vec.type = DataType::kFloatVector;
    vec.dim = kDurableDim;
    schema.AddField(id).AddField(age).AddField(name).AddField(vec);
    ASSERT_OK(client.CreateCollection("people", schema));
    IndexSpec v;
    v.field_name = "vector";
    v.index_type = IndexType::kFlat;
    ASSERT_OK(client.CreateIndex("people", v));
    IndexSpec a;
    a.field_name = "age";
    a.index_name = "age_idx";
    a.index_type = IndexType::kStlSort;
    ASSERT_OK(client.CreateIndex("people", a));
    IndexSpec n;
    n.field_name = "name";
    n.index_type = IndexType::kTrie;
    ASSERT_OK(client.CreateIndex("people", n));
    ASSERT_OK(client.LoadCollection("people"));
    std::vector<Row> rows;
    for (int64_t i = 0; i < 300; ++i) {
      rows.push_back(Row{{"id", Value(i)},
                         {"age", Value(i % 20)},
                         {"name", Value("n" + std::to_string(i))},
                         {"vector", Value::FloatVector({1, 2, 3, 4})}});
      if (i % 20 == 3 || i % 20 == 4 ||
          ((i % 20 == 10 || i % 20 == 11) &&
           std::to_string(i).rfind("1", 0) == 0)) {
        want.insert(i);
      }
    }
    ASSERT_OK(client.Insert("people", rows).status());
    ASSERT_OK(client.Flush("people"));  // sealed, indexed, checkpointed
    check(client, want);
    ASSERT_OK(client.Delete("people", {Value(3), Value(4)}).status());
    want.erase(3);
    want.erase(4);
    check(client, want);
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    check(client, want);
    ASSERT_OK(client.DropIndex("people", "age_idx"));
    IndexSpec a;
    a.field_name = "age";
    a.index_name = "age_idx";
    a.index_type = IndexType::kStlSort;
    ASSERT_OK(client.CreateIndex("people", a));  // logged after the snapshot
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    check(client, want);
    ASSERT_OK(client.Flush("people"));
  }
}

Value Nested(int levels) {
  Value v(1);
  for (int i = 0; i < levels; ++i) v = Value::MakeArray({v});
  return v;
}

// Found while fuzzing: a JSON value nested deeper than the log's decoder
// reads (128 levels) used to be accepted, logged, and then made the store
// fail to open (DataLoss). Such values are now refused at insert, and
// everything accepted reads back.
TEST(DurableTest, DeepJsonIsRefusedAtInsertOrReadBack) {
  const std::string dir = DurableTempDir();
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    ASSERT_OK(client.CreateCollection("docs", kDurableDim));
    for (int levels : {Value::kMaxJsonDepth + 1, 200}) {
      Row row = MakeRow(1);
      row["deep"] = Nested(levels);
      EXPECT_THAT(client.Insert("docs", {row}),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("nested deeper than 64 levels")));
    }
    Row row = MakeRow(2);
    row["deep"] = Nested(Value::kMaxJsonDepth);
    ASSERT_OK(client.Insert("docs", {row}).status());
  }
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
  ASSERT_OK_AND_ASSIGN(auto got, client.Get("docs", {Value(2)}, {"deep"}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("deep"), Nested(Value::kMaxJsonDepth));
  EXPECT_EQ(Count(client, "docs"), 1);
}

TEST(DurableTest, SecondWriterIsRefusedAndReadersSeeCommittedData) {
  const std::string dir = DurableTempDir();
  ASSERT_OK_AND_ASSIGN(Client writer, Client::Open(dir));
  ASSERT_OK(writer.CreateCollection("docs", kDurableDim));
  ASSERT_OK(writer.Insert("docs", {MakeRow(1), MakeRow(2)}).status());
  EXPECT_THAT(Client::Open(dir),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is open for writing by pid")));
  ClientOptions ro;
  ro.embedded.read_only = true;
  ASSERT_OK_AND_ASSIGN(Client reader, Client::Open(dir, ro));
  EXPECT_EQ(Count(reader, "docs"), 2);
  EXPECT_THAT(
      reader.Insert("docs", {MakeRow(3)}),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("read-only")));
  ClientOptions ro2 = ro;
  ASSERT_OK_AND_ASSIGN(Client reader2, Client::Open(dir, ro2));
  EXPECT_EQ(Count(reader2, "docs"), 2);
}

TEST(DurableTest, EncryptionLeavesNoPlaintextAndNeedsTheRightKey) {
  const std::string dir = DurableTempDir();
  const std::string marker = "ZEBRA-MARKER-31337";
  ClientOptions options;
  options.embedded.encryption_key = std::string(64, 'c');  // hex digits
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, options));
    ASSERT_OK(client.CreateCollection("secret_docs", kDurableDim));
    std::vector<Row> rows;
    for (int i = 0; i < 20; ++i) {
      Row r = MakeRow(i, marker);
      r["vector"] = Value::FloatVector({1234.5678f, 8765.4321f, 1.0f, 2.0f});
      rows.push_back(r);
    }
    ASSERT_OK(client.Insert("secret_docs", rows).status());
    ASSERT_OK(client.Flush("secret_docs"));  // a snapshot too
    ASSERT_OK(client.Insert("secret_docs", {MakeRow(99, marker)}).status());
  }
  float needle = 1234.5678f;
  std::string needle_bytes(reinterpret_cast<const char*>(&needle), 4);
  for (const std::string& f : Files(dir)) {
    std::string data = ReadFile(f);
    EXPECT_EQ(data.find(marker), std::string::npos) << f;
    EXPECT_EQ(data.find("secret_docs"), std::string::npos) << f;
    EXPECT_EQ(data.find(needle_bytes), std::string::npos) << f;
  }
  ClientOptions wrong;
  wrong.embedded.encryption_key = std::string(64, 'd');
  EXPECT_THAT(
      Client::Open(dir, wrong),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("wrong key")));
  EXPECT_THAT(Client::Open(dir), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("encryption key")));
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, options));
  EXPECT_EQ(Count(client, "secret_docs"), 21);
}

TEST(DurableTest, FlippedByteInSnapshotIsDataLossNamingTheFile) {
  const std::string dir = DurableTempDir();
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    ASSERT_OK(client.CreateCollection("docs", kDurableDim));
    ASSERT_OK(client.Insert("docs", {MakeRow(1), MakeRow(2)}).status());
    ASSERT_OK(client.Flush("docs"));
  }
  std::string snapshot;
  for (const std::string& f : Files(dir)) {
    if (f.find("snapshot-") != std::string::npos) snapshot = f;
  }
  ASSERT_FALSE(snapshot.empty());
  std::string data = ReadFile(snapshot);
  data[data.size() / 2] ^= 0x20;
  std::ofstream(snapshot, std::ios::binary | std::ios::trunc) << data;
  EXPECT_THAT(Client::Open(dir),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(snapshot)));
}

// Forks a writer that inserts one row per call and reports each
// acknowledged id through a pipe; kills it with SIGKILL after a random
// number of acknowledgements; reopens and checks that every acknowledged row
// is there and that nothing else is, except possibly the one in flight.
TEST(DurableTest, AcknowledgedWritesSurviveSigkill) {
  const std::string dir = DurableTempDir();
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    ASSERT_OK(client.CreateCollection("docs", kDurableDim));
  }
  std::mt19937 rng(20261122);
  int64_t next_id = 0;
  std::set<int64_t> all_acked;
  for (int round = 0; round < 20; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const int64_t first = next_id;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      auto client = Client::Open(dir);
      if (!client.ok()) _exit(2);
      for (int64_t id = first;; ++id) {
        // Alternate single-row inserts and a periodic checkpoint, so kills
        // land inside both.
        if (!client->Insert("docs", {MakeRow(id)}).ok()) _exit(3);
        if (write(fds[1], &id, sizeof(id)) != sizeof(id)) _exit(4);
        if (id % 37 == 0 && !client->Flush("docs").ok()) _exit(5);
      }
    }
    close(fds[1]);
    const int wait_for = 1 + static_cast<int>(rng() % 40);
    std::set<int64_t> acked;
    int64_t id = 0;
    while (static_cast<int>(acked.size()) < wait_for &&
           read(fds[0], &id, sizeof(id)) == sizeof(id)) {
      acked.insert(id);
    }
    kill(pid, SIGKILL);
    while (read(fds[0], &id, sizeof(id)) == sizeof(id)) acked.insert(id);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early: " << status;

    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    std::set<int64_t> present = AllIds(client, "docs");
    const int64_t last_acked = acked.empty() ? first - 1 : *acked.rbegin();
    all_acked.insert(acked.begin(), acked.end());
    for (int64_t a : all_acked) {
      EXPECT_TRUE(present.count(a)) << "round " << round << " lost id " << a;
    }
    for (int64_t p : present) {
      if (p >= first) {
        EXPECT_LE(p, last_acked + 1)
            << "round " << round << ": unexpected id " << p;
      }
    }
    next_id = (present.empty() ? 0 : *present.rbegin()) + 1;
    next_id = std::max(next_id, last_acked + 2);
  }
}

}  // namespace
}  // namespace cove
