"""cove.MilvusClient: pymilvus' MilvusClient names, arguments and result shapes."""

import random

import numpy as np
import pytest

import cove
from cove import DataType, MilvusClient


def test_pymilvus_quickstart_flow(tmp_path):
    client = MilvusClient(str(tmp_path / "milvus_demo.db"))
    if client.has_collection(collection_name="demo_collection"):
        client.drop_collection(collection_name="demo_collection")
    client.create_collection(collection_name="demo_collection", dimension=8)
    docs = ["Artificial intelligence was founded as an academic discipline in 1956.",
            "Alan Turing was the first person to conduct substantial research in AI.",
            "Born in Maida Vale, London, Turing was raised in southern England."]
    random.seed(1)
    vectors = [[random.uniform(-1, 1) for _ in range(8)] for _ in docs]
    data = [{"id": i, "vector": vectors[i], "text": docs[i], "subject": "history"}
            for i in range(len(vectors))]
    res = client.insert(collection_name="demo_collection", data=data)
    assert res["insert_count"] == 3 and res["ids"] == [0, 1, 2]

    res = client.search(collection_name="demo_collection", data=[vectors[0]],
                        filter="subject == 'history'", limit=2,
                        output_fields=["text", "subject"])
    assert len(res) == 1 and len(res[0]) == 2
    hit = res[0][0]
    assert isinstance(hit, dict)
    assert set(hit) == {"id", "distance", "entity"}
    assert hit["id"] == 0 and isinstance(hit["id"], int)
    assert isinstance(hit["distance"], float)
    assert hit["distance"] == pytest.approx(1.0, abs=1e-5)  # COSINE to itself
    assert hit["entity"] == {"text": docs[0], "subject": "history"}  # no "id", as Milvus
    assert hit.id == 0 and hit.entity.get("text") == docs[0] and hit.text == docs[0]
    assert str(res).startswith("data: [[")
    res = client.search("demo_collection", [vectors[1]], limit=1)
    assert res[0][0]["entity"] == {} and res[0][0]["id"] == 1
    res = client.search("demo_collection", [vectors[1]], limit=1, output_fields=["*"])
    assert set(res[0][0]["entity"]) >= {"id", "vector", "text", "subject"}

    res = client.query(collection_name="demo_collection", filter="subject == 'history'",
                       output_fields=["text", "subject"])
    assert sorted(r["id"] for r in res) == [0, 1, 2]
    res = client.query(collection_name="demo_collection", filter="id in [0, 2]",
                       output_fields=["vector"])
    assert isinstance(res[0]["vector"], list) and isinstance(res[0]["vector"][0], float)
    assert client.query("demo_collection", output_fields=["count(*)"]) == [{"count(*)": 3}]
    res = client.get("demo_collection", ids=[1, 2], output_fields=["text"])
    assert [r["text"] for r in res] == docs[1:]

    res = client.delete(collection_name="demo_collection", filter="subject == 'history'")
    assert res["delete_count"] == 3
    client.close()


def test_schema_and_index_params(milvus):
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=True)
    schema.add_field(field_name="my_id", datatype=DataType.INT64, is_primary=True)
    schema.add_field(field_name="my_vector", datatype=DataType.FLOAT_VECTOR, dim=5)
    schema.add_field(field_name="my_varchar", datatype=DataType.VARCHAR, max_length=512)
    schema.add_field(field_name="my_array", datatype=DataType.ARRAY,
                     element_type=DataType.VARCHAR, max_capacity=5, max_length=32)
    schema.add_field(field_name="my_json", datatype=DataType.JSON, nullable=True)
    schema.add_field(field_name="score", datatype=DataType.FLOAT, default_value=0.5)
    index_params = MilvusClient.prepare_index_params()
    index_params.add_index(field_name="my_vector", index_type="HNSW", metric_type="L2",
                           index_name="vec_idx", params={"M": 16, "efConstruction": 100})
    milvus.create_collection(collection_name="customized_setup", schema=schema,
                             index_params=index_params)
    assert milvus.get_load_state("customized_setup") == {"state": cove.LoadState.Loaded}
    assert str(milvus.get_load_state("customized_setup")["state"]) == "Loaded"

    d = milvus.describe_collection("customized_setup")
    assert d["collection_name"] == "customized_setup"
    assert d["enable_dynamic_field"] is True and d["auto_id"] is False
    fields = {f["name"]: f for f in d["fields"]}
    assert fields["my_id"]["type"] == DataType.INT64 and fields["my_id"]["is_primary"]
    assert fields["my_vector"]["params"] == {"dim": 5}
    assert fields["my_varchar"]["params"] == {"max_length": 512}
    assert fields["my_array"]["element_type"] == DataType.VARCHAR
    assert fields["my_array"]["params"]["max_capacity"] == 5
    assert fields["my_json"]["nullable"] is True
    assert fields["score"]["default_value"] == 0.5
    assert [f["field_id"] for f in d["fields"]] == [100, 101, 102, 103, 104, 105]

    assert milvus.list_indexes("customized_setup") == ["vec_idx"]
    assert milvus.list_indexes("customized_setup", field_name="my_varchar") == []
    idx = milvus.describe_index("customized_setup", "vec_idx")
    assert idx["index_type"] == "HNSW" and idx["metric_type"] == "L2"
    assert idx["field_name"] == "my_vector" and idx["M"] == "16"
    with pytest.raises(cove.NotFoundError):
        milvus.describe_index("customized_setup", "nope")

    rows = [{"my_id": i, "my_vector": [float(i)] * 5, "my_varchar": f"v{i}",
             "my_array": ["a", "b"], "my_json": {"i": i} if i % 2 else None}
            for i in range(10)]
    assert milvus.insert("customized_setup", rows)["insert_count"] == 10
    got = milvus.get("customized_setup", 3, output_fields=["*"])[0]
    assert got["score"] == pytest.approx(0.5) and got["my_json"] == {"i": 3}
    res = milvus.search("customized_setup", [[3.0] * 5], limit=3, anns_field="my_vector",
                        search_params={"metric_type": "L2", "params": {"ef": 32}},
                        output_fields=["my_varchar"])
    assert res[0][0]["id"] == 3 and res[0][0]["entity"]["my_varchar"] == "v3"
    # offset in search_params, filter with template parameters.
    res = milvus.search("customized_setup", [[3.0] * 5], limit=2,
                        search_params={"params": {"ef": 32}, "offset": 1},
                        filter="my_id > {lo}", filter_params={"lo": 1})
    assert [h["id"] for h in res[0]] == [2, 4] or [h["id"] for h in res[0]] == [4, 2]

    milvus.release_collection("customized_setup")
    assert milvus.get_load_state("customized_setup")["state"] == cove.LoadState.NotLoad
    milvus.drop_index("customized_setup", "vec_idx")
    assert milvus.list_indexes("customized_setup") == []
    ip = milvus.prepare_index_params()
    ip.add_index(field_name="my_vector", index_type="IVF_FLAT", metric_type="L2", nlist=2)
    milvus.create_index("customized_setup", ip)
    milvus.load_collection("customized_setup")
    assert milvus.describe_index("customized_setup", "my_vector")["nlist"] == "2"


def test_quick_create_options(milvus):
    milvus.create_collection("q", dimension=4, primary_field_name="pk", id_type="string",
                             vector_field_name="emb", metric_type="IP", auto_id=False,
                             max_length=64)
    d = milvus.describe_collection("q")
    names = [f["name"] for f in d["fields"]]
    assert names == ["pk", "emb"]
    assert d["fields"][0]["type"] == DataType.VARCHAR
    assert milvus.describe_index("q", milvus.list_indexes("q")[0])["metric_type"] == "IP"
    r = milvus.insert("q", {"pk": "a", "emb": [1, 0, 0, 0]})
    assert r["ids"] == ["a"]
    r = milvus.upsert("q", [{"pk": "a", "emb": [0, 1, 0, 0]}, {"pk": "b", "emb": [1, 0, 0, 0]}])
    assert r["upsert_count"] == 2
    hits = milvus.search("q", np.array([[1, 0, 0, 0]], dtype=np.float32), limit=1)
    assert hits[0][0]["id"] == "b"
    assert milvus.delete("q", ids="b")["delete_count"] == 1
    assert milvus.get_collection_stats("q") == {"row_count": 1}


def test_settings_are_stored_and_described(milvus):
    """consistency_level, properties, partition keys, field and index
    properties, database properties: stored and described, never dropped."""
    milvus.create_collection("s", dimension=4, consistency_level="Bounded",
                             properties={"collection.ttl.seconds": 60})
    d = milvus.describe_collection("s")
    assert d["consistency_level"] == 2
    assert d["properties"] == {"collection.ttl.seconds": "60"}
    milvus.alter_collection_properties("s", {"mmap.enabled": True})
    milvus.drop_collection_properties("s", ["collection.ttl.seconds"])
    assert milvus.describe_collection("s")["properties"] == {"mmap.enabled": "True"}
    with pytest.raises(cove.InvalidArgumentError, match="collection.ttl.seconds"):
        milvus.alter_collection_properties("s", {"collection.ttl.seconds": "soon"})
    with pytest.raises(cove.InvalidArgumentError, match="consistency_level"):
        milvus.create_collection("bad", dimension=4, consistency_level="Sometimes")

    index = milvus.list_indexes("s")[0]
    milvus.alter_index_properties("s", index, {"mmap.enabled": True})
    assert milvus.describe_index("s", index)["mmap.enabled"] == "True"
    milvus.drop_index_properties("s", index, ["mmap.enabled"])
    assert "mmap.enabled" not in milvus.describe_index("s", index)

    schema = MilvusClient.create_schema(partition_key_field="tenant")
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=4)
    schema.add_field("tenant", DataType.VARCHAR, max_length=4)
    schema.add_field("doc", DataType.JSON, mmap_enabled=False, is_clustering_key=False)
    index_params = milvus.prepare_index_params()
    index_params.add_index("vector", index_type="FLAT", metric_type="L2")
    milvus.create_collection("keyed", schema=schema, index_params=index_params,
                             num_partitions=8, consistency_level=0)
    d = milvus.describe_collection("keyed")
    fields = {f["name"]: f for f in d["fields"]}
    assert fields["tenant"]["is_partition_key"] is True
    assert fields["doc"]["params"]["mmap_enabled"] is False
    assert d["num_partitions"] == 8 and d["consistency_level"] == 0
    row = {"id": 1, "vector": [1, 0, 0, 0], "tenant": "acme-corp", "doc": {}}
    with pytest.raises(cove.InvalidArgumentError, match="max_length"):
        milvus.insert("keyed", [row])
    milvus.alter_collection_field("keyed", "tenant", {"max_length": 16})
    milvus.alter_collection_field("keyed", "doc", {"mmap.enabled": True})
    milvus.insert("keyed", [row])
    fields = {f["name"]: f for f in milvus.describe_collection("keyed")["fields"]}
    assert fields["tenant"]["params"]["max_length"] == 16
    assert fields["doc"]["params"]["mmap_enabled"] is True

    milvus.create_database("tuned", properties={"database.max.collections": 3})
    assert milvus.describe_database("tuned") == {"name": "tuned",
                                                 "database.max.collections": "3"}
    milvus.alter_database_properties("tuned", {"app": "x"})
    milvus.drop_database_properties("tuned", ["database.max.collections"])
    assert milvus.describe_database("tuned") == {"name": "tuned", "app": "x"}
    info = milvus._client.describe_database("tuned")
    assert info.id > 0 and info.created_timestamp > 0


def test_collections_partitions_aliases_databases(milvus):
    milvus.create_collection("c1", dimension=2)
    assert milvus.list_collections() == ["c1"]
    milvus.create_partition("c1", "p")
    assert milvus.has_partition("c1", "p")
    assert sorted(milvus.list_partitions("c1")) == ["_default", "p"]
    milvus.insert("c1", [{"id": 1, "vector": [1, 0]}], partition_name="p")
    assert milvus.get_partition_stats("c1", "p") == {"row_count": 1}
    res = milvus.query("c1", filter="id > 0", partition_names=["p"])
    assert [r["id"] for r in res] == [1]
    # Partition-level loading, as Milvus.
    milvus.insert("c1", [{"id": 2, "vector": [0, 1]}])  # into _default
    milvus.release_partitions("c1", ["p"])
    assert str(milvus.get_load_state("c1")["state"]) == "Loaded"
    assert str(milvus.get_load_state("c1", partition_name="p")["state"]) == "NotLoad"
    assert [r["id"] for r in milvus.query("c1", filter="id > 0")] == [2]
    with pytest.raises(cove.FailedPreconditionError, match="partition 'p' .* not loaded"):
        milvus.query("c1", filter="id > 0", partition_names=["p"])
    assert milvus.get_partition_stats("c1", "p") == {"row_count": 1}
    milvus.load_partitions("c1", ["p"])
    assert sorted(r["id"] for r in milvus.query("c1", filter="id > 0")) == [1, 2]
    milvus.release_partitions("c1", ["p", "_default"])
    assert str(milvus.get_load_state("c1")["state"]) == "NotLoad"
    milvus.load_partitions("c1", "p")
    hits = milvus.search("c1", [[1, 0]], limit=5)
    assert [h["id"] for h in hits[0]] == [1]
    with pytest.raises(cove.NotFoundError, match=r"partition 'q' not found"):
        milvus.load_partitions("c1", ["q"])
    with pytest.raises(cove.UnimplementedError, match="load_fields"):
        milvus.load_partitions("c1", ["p"], load_fields=["id"])
    with pytest.raises(cove.FailedPreconditionError, match="release it first"):
        milvus.drop_partition("c1", "p")
    milvus.release_partitions("c1", ["p"])
    milvus.drop_partition("c1", "p")
    milvus.load_partitions("c1", ["_default"])
    assert str(milvus.get_load_state("c1")["state"]) == "Loaded"
    assert not milvus.has_partition("c1", "p")

    milvus.create_alias("c1", "alias1")
    assert milvus.describe_alias("alias1") == {"alias": "alias1", "collection_name": "c1",
                                                "db_name": "default"}
    la = milvus.list_aliases("c1")
    assert la["aliases"] == ["alias1"] and la["collection_name"] == "c1"
    assert milvus.list_aliases()["aliases"] == ["alias1"]
    milvus.create_collection("c2", dimension=2)
    milvus.alter_alias("c2", "alias1")
    assert milvus.describe_alias("alias1")["collection_name"] == "c2"
    milvus.drop_alias("alias1")
    milvus.rename_collection("c2", "c3")
    assert sorted(milvus.list_collections()) == ["c1", "c3"]

    milvus.create_database("db2")
    assert set(milvus.list_databases()) >= {"default", "db2"}
    milvus.using_database("db2")
    assert milvus.list_collections() == []
    milvus.create_collection("inner", dimension=2)
    assert milvus.list_collections() == ["inner"]
    milvus.drop_collection("inner")
    milvus.using_database("default")
    # target_db moves a collection into another database.
    milvus.rename_collection("c3", "c4", target_db="db2")
    assert milvus.list_collections() == ["c1"]
    milvus.using_database("db2")
    assert milvus.list_collections() == ["c4"]
    milvus.drop_collection("c4")
    milvus.using_database("default")
    milvus.drop_database("db2")
    assert "db2" not in milvus.list_databases()
    milvus.flush("c1")
    assert milvus.get_server_version()


def test_group_by_search(milvus, rng):
    """pymilvus' grouping keywords (and search_params keys) on the embedded
    backend: groups by value, closest group first, never ignored."""
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=4)
    schema.add_field("doc", DataType.VARCHAR, max_length=8)
    index = milvus.prepare_index_params()
    index.add_index("vec", index_type="FLAT", metric_type="L2")
    milvus.create_collection("grp", schema=schema, index_params=index)
    vecs = rng.standard_normal((200, 4)).astype(np.float32)
    docs = [f"d{i % 6}" for i in range(200)]
    milvus.insert("grp", [{"id": i, "vec": vecs[i].tolist(), "doc": docs[i]} for i in range(200)])
    q = vecs[0] + 0.01
    order = np.argsort(((vecs - q) ** 2).sum(axis=1), kind="stable")
    want = {}
    for i in order:
        if docs[i] not in want and len(want) == 3:
            continue
        want.setdefault(docs[i], [])
        if len(want[docs[i]]) < 2:
            want[docs[i]].append(int(i))
    expected = [i for ids in want.values() for i in ids]
    res = milvus.search("grp", [q.tolist()], limit=3, group_by_field="doc", group_size=2,
                        strict_group_size=True, output_fields=["doc"])
    assert [h["id"] for h in res[0]] == expected
    assert [h["entity"]["doc"] for h in res[0]] == [docs[i] for i in expected]
    res = milvus.search("grp", [q.tolist()], limit=3,
                        search_params={"params": {}, "group_by_field": "doc",
                                       "group_size": 2, "strict_group_size": "True"})
    assert [h["id"] for h in res[0]] == expected
    with pytest.raises(cove.MilvusException, match="group_by_field 'vec'"):
        milvus.search("grp", [q.tolist()], limit=3, group_by_field="vec")


def test_iterators(milvus):
    milvus.create_collection("it", dimension=2, metric_type="L2")
    milvus.insert("it", [{"id": i, "vector": [float(i), 0.0], "g": i % 3} for i in range(50)])
    qi = milvus.query_iterator("it", batch_size=20, filter="g == 0", output_fields=["g"])
    seen = []
    while True:
        page = qi.next()
        if not page:
            qi.close()
            break
        seen.extend(r["id"] for r in page)
    assert seen == list(range(0, 50, 3))
    si = milvus.search_iterator("it", [[0.0, 0.0]], batch_size=10, limit=25,
                                output_fields=["g"], search_params={"metric_type": "L2"})
    hits = []
    while True:
        page = si.next()
        if not page:
            si.close()
            break
        hits.extend(page)
    assert [h["id"] for h in hits] == list(range(25))
    assert hits[3]["entity"] == {"g": 0}


def test_users_and_roles_are_unimplemented_on_embedded(milvus):
    calls = [
        lambda: milvus.create_user(user_name="alice", password="P@ssw0rd123"),
        lambda: milvus.drop_user(user_name="alice"),
        lambda: milvus.list_users(),
        lambda: milvus.describe_user(user_name="alice"),
        lambda: milvus.update_password("alice", "a", "b"),
        lambda: milvus.create_role(role_name="reader"),
        lambda: milvus.drop_role(role_name="reader"),
        lambda: milvus.list_roles(),
        lambda: milvus.describe_role(role_name="reader"),
        lambda: milvus.grant_role(user_name="alice", role_name="reader"),
        lambda: milvus.revoke_role(user_name="alice", role_name="reader"),
        lambda: milvus.grant_privilege(role_name="reader", object_type="Collection",
                                       privilege="Search", object_name="c"),
        lambda: milvus.revoke_privilege(role_name="reader", object_type="Collection",
                                        privilege="Search", object_name="c"),
    ]
    for call in calls:
        with pytest.raises(cove.UnimplementedError):
            call()


def test_errors_surface_as_milvus_exception(milvus):
    with pytest.raises(cove.MilvusException) as info:
        milvus.describe_collection("missing")
    assert info.value.code == cove.StatusCode.NOT_FOUND
    with pytest.raises(cove.InvalidArgumentError):
        milvus.create_collection("bad")  # no dimension, no schema


def test_datatype_names_match_pymilvus():
    for name, value in [("BOOL", 1), ("INT8", 2), ("INT16", 3), ("INT32", 4), ("INT64", 5),
                        ("FLOAT", 10), ("DOUBLE", 11), ("VARCHAR", 21), ("ARRAY", 22),
                        ("JSON", 23), ("BINARY_VECTOR", 100), ("FLOAT_VECTOR", 101),
                        ("SPARSE_FLOAT_VECTOR", 104)]:
        assert DataType[name].value == value


def test_scalar_indexes_keep_the_rows_of_filters(milvus):
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("age", DataType.INT64)
    schema.add_field("color", DataType.VARCHAR, max_length=16)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=2)
    index_params = MilvusClient.prepare_index_params()
    index_params.add_index(field_name="vec", index_type="FLAT", metric_type="L2")
    milvus.create_collection("scalars", schema=schema, index_params=index_params)
    colors = ["red", "blue", "black"]
    milvus.insert("scalars", [{"id": i, "age": i % 50, "color": colors[i % 3],
                               "vec": [float(i), 0.0]} for i in range(500)])
    milvus.flush("scalars")
    filters = ["age == 7", "10 <= age < 13 and color like 'bl%'",
               "color in ['red'] or age > 47", "not (age != 3)"]

    def ids(f):
        return sorted(r["id"] for r in milvus.query("scalars", filter=f))

    before = {f: ids(f) for f in filters}
    assert before["age == 7"] == list(range(7, 500, 50))

    bad = MilvusClient.prepare_index_params()
    bad.add_index(field_name="color", index_type="STL_SORT", index_name="bad")
    with pytest.raises(cove.InvalidArgumentError,
                       match="STL_SORT is not supported on VARCHAR"):
        milvus.create_index("scalars", bad)

    index_params = MilvusClient.prepare_index_params()
    index_params.add_index(field_name="age", index_type="STL_SORT")
    index_params.add_index(field_name="color", index_type="trie", index_name="color_idx")
    milvus.create_index("scalars", index_params)
    milvus.flush("scalars")  # waits for the builds
    assert sorted(milvus.list_indexes("scalars")) == ["age", "color_idx", "vec"]
    d = milvus.describe_index("scalars", "age")
    assert d["index_type"] == "STL_SORT" and "metric_type" not in d
    assert d["indexed_rows"] == 500 and d["state"] == "Finished"
    assert milvus.describe_index("scalars", "color_idx")["index_type"] == "Trie"
    assert cove.IndexType("Trie") == cove.IndexType.Trie
    for f in filters:
        assert ids(f) == before[f], f
    milvus.drop_index("scalars", "age")  # while loaded, as Milvus allows
    assert sorted(milvus.list_indexes("scalars")) == ["color_idx", "vec"]
    for f in filters:
        assert ids(f) == before[f], f


def test_binary_vectors_as_pymilvus(milvus):
    """pymilvus' binary flow on cove.MilvusClient: bytes rows, BIN_IVF_FLAT,
    JACCARD distances against numpy, query/get give [bytes], hits bytes."""
    schema = milvus.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("code", DataType.BINARY_VECTOR, dim=128)
    index_params = milvus.prepare_index_params()
    index_params.add_index(field_name="code", index_type="BIN_IVF_FLAT",
                           metric_type="JACCARD", params={"nlist": 2})
    milvus.create_collection("bin", schema=schema, index_params=index_params)
    bits = np.random.default_rng(2).random((60, 128)) < 0.4
    codes = np.packbits(bits, axis=-1)
    milvus.insert("bin", [{"id": i, "code": codes[i].tobytes()} for i in range(60)])
    q = bits[7]
    ref = 1.0 - (q & bits).sum(axis=1) / (q | bits).sum(axis=1)
    res = milvus.search("bin", data=[codes[7].tobytes()], limit=5, output_fields=["code"],
                        search_params={"metric_type": "JACCARD", "params": {"nprobe": 2}})
    assert [h["distance"] for h in res[0]] == pytest.approx(sorted(ref)[:5])
    assert res[0][0]["id"] == 7 and res[0][0]["entity"]["code"] == codes[7].tobytes()
    got = milvus.query("bin", filter="id == 3", output_fields=["code"])
    assert got[0]["code"] == [codes[3].tobytes()]
    assert milvus.get("bin", ids=[4], output_fields=["code"])[0]["code"] == [codes[4].tobytes()]
    assert milvus.describe_index("bin", "code")["index_type"] == "BIN_IVF_FLAT"


@pytest.mark.parametrize("index_type,params,search", [
    ("IVF_FLAT", {"nlist": 4}, {"nprobe": 4}),
    ("IVF_SQ8", {"nlist": 4}, {"nprobe": 4, "rerank": 200}),
    ("IVF_PQ", {"nlist": 4, "m": 8}, {"nprobe": 4, "rerank": 200}),
    ("SCANN", {"nlist": 4}, {"nprobe": 4, "reorder_k": 200}),
])
def test_ivf_indexes_on_float16_and_bfloat16_fields(milvus, index_type, params, search):
    """IVF indexes created with create_index on FLOAT16_VECTOR and
    BFLOAT16_VECTOR fields, searched with numpy float16 queries (and float32
    ones for bfloat16): every list probed, re-ranked deep, is the exact top-5."""
    rng = np.random.default_rng(9)
    h = rng.standard_normal((150, 16)).astype(np.float16)
    for dtype in (DataType.FLOAT16_VECTOR, DataType.BFLOAT16_VECTOR):
        name = f"ivf16_{index_type.lower()}_{'f16' if dtype == DataType.FLOAT16_VECTOR else 'bf16'}"
        schema = milvus.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vec", dtype, dim=16)
        milvus.create_collection(name, schema=schema)
        # float16 values are exact in bfloat16 only when they have 8
        # significant bits: round them to bfloat16's grid for that field.
        rows = h if dtype == DataType.FLOAT16_VECTOR else \
            (_mc_bf16(h.astype(np.float32)).astype(np.uint32) << 16).view(np.float32)
        milvus.insert(name, [{"id": i, "vec": rows[i]} for i in range(len(rows))])
        milvus.flush(name)
        index_params = milvus.prepare_index_params()
        index_params.add_index(field_name="vec", index_type=index_type, metric_type="L2",
                               params=params)
        milvus.create_index(name, index_params)
        milvus.load_collection(name)
        assert milvus.describe_index(name, "vec")["index_type"] == index_type
        q = rng.standard_normal((2, 16)).astype(np.float16)
        queries = q if dtype == DataType.FLOAT16_VECTOR else \
            (_mc_bf16(q.astype(np.float32)).astype(np.uint32) << 16).view(np.float32)
        res = milvus.search(name, data=list(queries), limit=5,
                            search_params={"metric_type": "L2", "params": search})
        d = ((queries[:, None, :].astype(np.float64)
              - np.asarray(rows, dtype=np.float64)[None]) ** 2).sum(-1)
        for i in range(2):
            assert [hit["id"] for hit in res[i]] == np.argsort(d[i], kind="stable")[:5].tolist()
            assert [hit["distance"] for hit in res[i]] == pytest.approx(
                np.sort(d[i])[:5], rel=1e-4)


def _mc_bf16(x):
    """float32 values rounded to bfloat16 (to nearest even), as uint16."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
