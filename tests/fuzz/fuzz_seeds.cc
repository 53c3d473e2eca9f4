// Writes the engine-produced seed inputs of the fuzz targets: a write-ahead
// log and a snapshot written by the embedded engine, saved indexes of every
// type, and serialized Milvus requests made by the client-side conversions.
// (The filter and JSON seeds are plain text files kept in the tree.)
//
//   fuzz_seeds <tests/fuzz/corpus>
//
// Rerun it when a format changes; the output is deterministic except for
// ids and timestamps.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/indexes/index_io.h"
#include "engine/indexes/vector_index.h"
#include "engine/storage/wal.h"
#include "fuzz/fuzz_util.h"
#include "milvus/convert.h"

namespace {

using cove::CollectionSchema;
using cove::DataType;
using cove::FieldSchema;
using cove::Value;
namespace milvus_pb = ::milvus::proto::milvus;

std::string g_out;

void Put(const std::string& target, const std::string& name,
         const std::string& bytes) {
  std::string dir = g_out + "/" + target;
  ::mkdir(dir.c_str(), 0755);
  cove::fuzz::WriteFileOrDie(dir + "/" + name, bytes);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) cove::fuzz::Fail(what, s);
}

FieldSchema Field(const char* name, DataType type) {
  FieldSchema f;
  f.name = name;
  f.type = type;
  return f;
}

CollectionSchema MainSchema() {
  CollectionSchema schema;
  FieldSchema id = Field("id", DataType::kInt64);
  id.is_primary_key = true;
  schema.AddField(id);
  FieldSchema v = Field("v", DataType::kFloatVector);
  v.dim = 4;
  schema.AddField(v);
  FieldSchema s = Field("s", DataType::kVarChar);
  s.max_length = 16;
  s.nullable = true;
  schema.AddField(s);
  FieldSchema j = Field("j", DataType::kJson);
  j.nullable = true;
  schema.AddField(j);
  FieldSchema a = Field("a", DataType::kArray);
  a.element_type = DataType::kInt64;
  a.max_capacity = 4;
  a.nullable = true;
  schema.AddField(a);
  FieldSchema n = Field("n", DataType::kInt32);
  n.default_value = Value(7);
  schema.AddField(n);
  schema.enable_dynamic_field = true;
  return schema;
}

std::vector<cove::Row> MainRows(int from, int count) {
  std::vector<cove::Row> rows;
  for (int i = from; i < from + count; ++i) {
    cove::Row row;
    row["id"] = Value(i);
    row["v"] = Value::FloatVector({1.0f * i, 0.5f, -1.0f, 0.25f * (i % 3)});
    if (i % 2 == 0) row["s"] = Value(i % 4 == 0 ? "red" : "blue");
    row["j"] = Value::MakeObject({{"k", Value(i)}, {"t", Value("x")}});
    row["a"] = Value::MakeArray({Value(i), Value(2)});
    if (i % 3 == 0) row["extra"] = Value(i * 1.5);
    rows.push_back(std::move(row));
  }
  return rows;
}

// A store with a few collections, segments, deletes, indexes of every type,
// partitions, aliases and a second database: its log and its snapshot.
void StoreSeeds() {
  cove::fuzz::ScratchDir dir;
  cove::EmbeddedOptions options = cove::fuzz::FuzzEmbeddedOptions();
  std::string wal;
  {
    auto c = cove::internal::MakeEmbeddedConnection(dir.path(), options);
    if (!c.ok()) cove::fuzz::Fail("open", c.status());
    cove::CallOptions call;
    cove::IndexSpec hnsw;
    hnsw.field_name = "v";
    hnsw.index_type = cove::IndexType::kHnsw;
    hnsw.metric_type = cove::MetricType::kL2;
    hnsw.params = {{"M", "4"}, {"efConstruction", "16"}};
    Check((*c)->CreateCollection("c", MainSchema(), {hnsw}, call), "create c");
    Check((*c)->CreatePartition("c", "p1", call), "partition");
    cove::InsertRequest insert;
    insert.collection_name = "c";
    insert.rows = MainRows(0, 12);
    Check((*c)->Insert(insert, call).status(), "insert");
    insert.partition_name = "p1";
    insert.rows = MainRows(12, 6);
    Check((*c)->Insert(insert, call).status(), "insert p1");
    cove::DeleteRequest del;
    del.collection_name = "c";
    del.filter = "id in [1, 2, 13]";
    Check((*c)->Delete(del, call).status(), "delete");
    insert.partition_name.clear();
    insert.rows = MainRows(2, 1);
    Check((*c)->Upsert(insert, call).status(), "upsert");
    Check((*c)->CreateAlias("c", "c_alias", call), "alias");

    CollectionSchema k;
    FieldSchema pk = Field("pk", DataType::kVarChar);
    pk.is_primary_key = true;
    pk.max_length = 8;
    k.AddField(pk);
    FieldSchema kv = Field("kv", DataType::kFloatVector);
    kv.dim = 2;
    k.AddField(kv);
    FieldSchema kw = Field("kw", DataType::kFloatVector);
    kw.dim = 3;
    k.AddField(kw);
    cove::IndexSpec ivf;
    ivf.field_name = "kv";
    ivf.index_type = cove::IndexType::kIvfFlat;
    ivf.metric_type = cove::MetricType::kIP;
    ivf.params = {{"nlist", "2"}};
    cove::IndexSpec sq;
    sq.field_name = "kw";
    sq.index_type = cove::IndexType::kIvfSq8;
    sq.params = {{"nlist", "2"}};
    Check((*c)->CreateDatabase("db2", call), "database");
    cove::CallOptions db2;
    db2.db_name = "db2";
    Check((*c)->CreateCollection("k", k, {ivf, sq}, db2), "create k");
    cove::InsertRequest kinsert;
    kinsert.collection_name = "k";
    for (int i = 0; i < 10; ++i) {
      cove::Row row;
      row["pk"] = Value("k" + std::to_string(i));
      row["kv"] = Value::FloatVector({1.0f, 0.1f * i});
      row["kw"] = Value::FloatVector({0.0f, 1.0f, -0.1f * i});
      kinsert.rows.push_back(std::move(row));
    }
    Check((*c)->Insert(kinsert, db2).status(), "insert k");
    CollectionSchema h;
    FieldSchema hid = Field("id", DataType::kInt64);
    hid.is_primary_key = true;
    hid.auto_id = true;
    h.AddField(hid);
    FieldSchema hv = Field("hv", DataType::kFloatVector);
    hv.dim = 2;
    h.AddField(hv);
    cove::IndexSpec hsq;
    hsq.field_name = "hv";
    hsq.index_type = cove::IndexType::kHnswSq;
    hsq.metric_type = cove::MetricType::kCosine;
    Check((*c)->CreateCollection("h", h, {hsq}, call), "create h");
    cove::InsertRequest hinsert;
    hinsert.collection_name = "h";
    for (int i = 0; i < 9; ++i) {
      cove::Row row;
      row["hv"] = Value::FloatVector({1.0f, 0.3f * i});
      hinsert.rows.push_back(std::move(row));
    }
    Check((*c)->Insert(hinsert, call).status(), "insert h");
    Check((*c)->RenameCollection("h", "h2", call), "rename");
    wal = ReadFile(dir.File("wal-0.log"));
  }
  Put("wal", "engine-log", std::string(1, '\0') + wal);
  // The same records, one per "|REC|"-separated part.
  std::string records = std::string(1, '\1');
  bool first = true;
  cove::fuzz::WriteFileOrDie(dir.File("copy.log"), wal);
  auto read = cove::engine::ReadWal(dir.File("copy.log"), nullptr,
                                    [&](std::string_view r) {
                                      if (!first) records += "|REC|";
                                      first = false;
                                      records.append(r);
                                      return absl::OkStatus();
                                    });
  Check(read.status(), "read log");
  Put("wal", "engine-records", records);
  std::string snapshot = ReadFile(dir.File("snapshot-1.cove"));
  if (snapshot.size() < 40) {
    cove::fuzz::Fail("snapshot", absl::NotFoundError("no snapshot-1.cove"));
  }
  Put("snapshot", "engine-snapshot", snapshot.substr(40));
}

void IndexSeeds() {
  struct Kind {
    const char* name;
    cove::engine::IndexType type;
  } kinds[] = {{"flat", cove::engine::IndexType::kFlat},
               {"hnsw", cove::engine::IndexType::kHnsw},
               {"hnsw_sq", cove::engine::IndexType::kHnswSq},
               {"ivf_flat", cove::engine::IndexType::kIvfFlat},
               {"ivf_sq8", cove::engine::IndexType::kIvfSq8}};
  std::vector<float> data;
  for (int i = 0; i < 12 * 3; ++i) data.push_back(0.1f * (i % 7) - 0.2f);
  for (const Kind& k : kinds) {
    cove::engine::IndexParams p;
    p.type = k.type;
    p.dim = 3;
    p.m = 4;
    p.ef_construction = 8;
    p.nlist = 2;
    p.build_threads = 1;
    auto index = cove::engine::MakeIndex(p);
    if (!index.ok()) cove::fuzz::Fail(k.name, index.status());
    Check((*index)->Build(data.data(), 12), k.name);
    std::string saved;
    Check((*index)->Save(&saved), k.name);
    Put("index", k.name, std::string(1, '\0') + saved);
    Put("index", std::string(k.name) + "-fixup", std::string(1, '\1') + saved);
  }
}

template <typename Message>
void PutRequest(const char* name, int selector, const Message& m) {
  std::string bytes(1, static_cast<char>(selector));
  bytes += m.SerializeAsString();
  Put("milvus", name, bytes);
}

void MilvusSeeds() {
  const CollectionSchema schema = MainSchema();
  {
    milvus_pb::InsertRequest r;
    r.set_collection_name("c");
    auto rows = MainRows(10, 3);
    rows[0]["dyn"] = Value::MakeArray({Value(true), Value("d")});
    rows[1].erase("s");
    Check(cove::internal::InsertRowsToFieldData(schema, rows,
                                                r.mutable_fields_data()),
          "insert rows");
    r.set_num_rows(3);
    PutRequest("insert", 0, r);
    milvus_pb::UpsertRequest u;
    u.set_collection_name("c");
    *u.mutable_fields_data() = r.fields_data();
    PutRequest("upsert", 1, u);
  }
  {
    cove::DeleteRequest d;
    d.collection_name = "c";
    d.filter = "id in [1, 3] or s like \"r%\"";
    milvus_pb::DeleteRequest r;
    Check(cove::internal::DeleteRequestToProto(d, &r), "delete");
    PutRequest("delete", 2, r);
  }
  {
    cove::SearchRequest s;
    s.collection_name = "c";
    s.anns_field = "v";
    s.dim = 4;
    s.vectors = {0.0f, 1.0f, 0.5f, -1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
    s.limit = 3;
    s.offset = 1;
    s.filter = "n == {n} and j[\"k\"] >= 0";
    s.filter_params["n"] = Value(7);
    s.output_fields = {"s", "j", "extra"};
    s.metric_type = cove::MetricType::kL2;
    s.params["radius"] = Value(100.0);
    milvus_pb::SearchRequest r;
    Check(cove::internal::SearchRequestToProto(s, &r), "search");
    PutRequest("search", 3, r);
  }
  {
    cove::QueryRequest q;
    q.collection_name = "c";
    q.filter = "a[0] > {lo} and s in {names}";
    q.filter_params["lo"] = Value(0);
    q.filter_params["names"] = Value::MakeArray({Value("red"), Value("x")});
    q.output_fields = {"*"};
    q.limit = 5;
    milvus_pb::QueryRequest r;
    Check(cove::internal::QueryRequestToProto(q, &r), "query");
    PutRequest("query", 4, r);
    cove::QueryRequest count;
    count.collection_name = "k";
    count.output_fields = {"count(*)"};
    milvus_pb::QueryRequest rc;
    Check(cove::internal::QueryRequestToProto(count, &rc), "count");
    PutRequest("query-count", 4, rc);
  }
  {
    milvus_pb::CreateCollectionRequest r;
    r.set_collection_name("new_c");
    r.set_schema(
        cove::internal::SchemaToProto("new_c", schema).SerializeAsString());
    PutRequest("create-collection", 5, r);
  }
  {
    cove::IndexSpec spec;
    spec.field_name = "v";
    spec.index_type = cove::IndexType::kIvfSq8;
    spec.metric_type = cove::MetricType::kIP;
    spec.params = {{"nlist", "4"}};
    milvus_pb::CreateIndexRequest r;
    r.set_collection_name("k");
    cove::internal::IndexSpecToProto(spec, &r);
    r.set_field_name("kv");
    PutRequest("create-index", 6, r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds <tests/fuzz/corpus>\n");
    return 2;
  }
  g_out = argv[1];
  StoreSeeds();
  IndexSeeds();
  MilvusSeeds();
  return 0;
}
