"""cove.Client on the embedded backend: collections, data, numpy, persistence."""

import io
import sys

import numpy as np
import pytest

import cove
from cove import _core


def make_schema(dim=8):
    schema = cove.CollectionSchema(enable_dynamic_field=True, description="products")
    schema.add_field("id", cove.DataType.INT64, is_primary=True)
    schema.add_field("embedding", cove.DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("category", cove.DataType.VARCHAR, max_length=32)
    schema.add_field("price", cove.DataType.DOUBLE, nullable=True)
    schema.add_field("tags", cove.DataType.ARRAY, element_type=cove.DataType.INT64,
                     max_capacity=4)
    schema.add_field("meta", cove.DataType.JSON)
    return schema


def test_version_and_health(client):
    assert cove.__version__ == _core.version()
    assert client.backend == "embedded"
    assert "cove-embedded" in client.get_server_version()
    client.check_health()
    assert "embedded" in repr(client)


def test_quick_collection_roundtrip(client, vectors):
    client.create_collection("docs", dimension=16, metric_type="L2")
    assert client.has_collection("docs")
    assert client.list_collections() == ["docs"]
    assert client.get_load_state("docs") is cove.LoadState.Loaded
    data = vectors(100, 16)
    rows = [{"id": i, "vector": data[i], "title": f"doc {i}", "n": i % 5} for i in range(100)]
    r = client.insert("docs", rows)
    assert r.count == 100
    assert isinstance(r.ids, np.ndarray) and r.ids.dtype == np.int64
    assert r.ids.tolist() == list(range(100))
    assert client.get_collection_stats("docs") == {"row_count": 100}

    res = client.search("docs", data[:3], limit=5, output_fields=["title", "n"])
    assert len(res) == 3
    for q in range(3):
        assert isinstance(res.ids[q], np.ndarray) and res.ids[q].dtype == np.int64
        assert res.distances[q].dtype == np.float32
        assert res.ids[q][0] == q  # a vector is its own nearest neighbour (L2)
        assert res.distances[q][0] == pytest.approx(0.0, abs=1e-4)
        assert np.all(np.diff(res.distances[q]) >= 0)  # closest first
        assert res.entities[q][0]["title"] == f"doc {q}"
    hit = res[0][0]
    assert isinstance(hit, cove.SearchHit) and hit.id == 0 and hit.entity["n"] == 0
    assert [h.id for h in res[1]] == res.ids[1].tolist()

    rows = client.query("docs", "n == 3", output_fields=["title", "vector"])
    assert len(rows) == 20
    assert all(r["title"].startswith("doc ") for r in rows)
    v = rows[0]["vector"]
    assert isinstance(v, np.ndarray) and v.dtype == np.float32 and v.shape == (16,)
    np.testing.assert_array_equal(v, data[rows[0]["id"]])
    assert client.count("docs") == 100
    assert client.count("docs", "n < 2") == 40

    got = client.get("docs", [5, 7, 1000], output_fields=["title"])
    assert sorted(r["id"] for r in got) == [5, 7]
    assert client.get("docs", 5)[0]["id"] == 5

    d = client.delete("docs", [1, 2, 3])
    assert d.count == 3
    d = client.delete("docs", filter="n == 4")
    assert d.count == 20  # ids 4, 9, ..., 99
    assert client.count("docs") == 100 - 3 - 20
    client.flush("docs")


def test_varchar_keys(client):
    client.create_collection("s", dimension=2, id_type="string", max_length=16)
    r = client.insert("s", [{"id": "a", "vector": [1, 0]}, {"id": "b", "vector": [0, 1]}])
    assert r.ids == ["a", "b"]
    res = client.search("s", [1.0, 0.0], limit=2)
    assert res.ids[0] == ["a", "b"]
    assert res[0][0].id == "a"


def test_insert_accepts_a_single_row_and_generators(client):
    client.create_collection("g", dimension=2)
    assert client.insert("g", {"id": 1, "vector": [1.0, 0.0]}).ids.tolist() == [1]
    rows = ({"id": i, "vector": np.array([0.0, 1.0])} for i in range(2, 5))
    assert client.insert("g", rows).count == 3
    # A dict of columns without a matrix is ambiguous: it is read as one row.
    assert client.insert("g", {"id": 9, "vector": [0.5, 0.5], "tags": [1, 2]}).count == 1
    assert client.count("g") == 5


def test_auto_id(client):
    client.create_collection("a", dimension=2, auto_id=True)
    r = client.insert("a", [{"vector": [1, 0]}, {"vector": [0, 1]}])
    assert r.count == 2 and len(set(r.ids.tolist())) == 2


def test_schema_collection_with_indexes(client, vectors):
    schema = make_schema()
    index = cove.IndexParams()
    index.add_index("embedding", index_type="HNSW", metric_type="COSINE",
                    params={"M": 8, "efConstruction": 64})
    client.create_collection("p", schema=schema, indexes=index)
    d = client.describe_collection("p")
    assert d.name == "p"
    assert d.schema == schema
    assert d.schema.enable_dynamic_field
    assert d.schema.fields[1].dim == 8 and d.schema.fields[1].dtype is cove.DataType.FLOAT_VECTOR
    assert d.schema.fields[4].element_type is cove.DataType.INT64
    assert d.partitions == ["_default"]
    idx = client.describe_indexes("p")
    assert len(idx) == 1
    assert idx[0].index_type is cove.IndexType.HNSW
    assert idx[0].metric_type is cove.MetricType.COSINE
    assert idx[0].params["M"] == "8"

    data = vectors(50, 8)
    rows = [{"id": i, "embedding": data[i], "category": "books" if i % 2 else "music",
             "price": None if i == 0 else float(i), "tags": [i, i + 1],
             "meta": {"k": i, "nested": {"ok": True}}, "extra": "dyn"} for i in range(50)]
    client.insert("p", rows)
    client.wait_for_index("p", timeout=30, progress=False)
    out = client.query("p", "category == {c} and price > 10", filter_params={"c": "books"},
                       output_fields=["*"], limit=100)
    assert out and all(r["category"] == "books" and r["price"] > 10 for r in out)
    r0 = client.get("p", 0, output_fields=["*"])[0]
    assert r0["price"] is None
    assert r0["tags"] == [0, 1]
    assert r0["meta"] == {"k": 0, "nested": {"ok": True}}
    assert r0["extra"] == "dyn"
    res = client.search("p", data[10], limit=3, filter="category == 'music'",
                        output_fields=["category"], params={"ef": 32})
    assert all(e["category"] == "music" for e in res.entities[0])


def test_unsupported_datatype_is_unimplemented(client):
    schema = cove.CollectionSchema()
    schema.add_field("id", cove.DataType.INT64, is_primary=True)
    schema.add_field("v", cove.DataType.INT8_VECTOR, dim=8)
    with pytest.raises(cove.UnimplementedError):
        client.create_collection("b", schema=schema)


def test_binary_vectors(client):
    """BINARY_VECTOR rows as bytes and numpy uint8 arrays; queries likewise;
    HAMMING distances against numpy; codes read back as bytes."""
    schema = cove.CollectionSchema()
    schema.add_field("id", cove.DataType.INT64, is_primary=True)
    schema.add_field("code", cove.DataType.BINARY_VECTOR, dim=64)
    index = cove.IndexParams()
    index.add_index("code", index_type="BIN_FLAT", metric_type="HAMMING")
    client.create_collection("bits", schema=schema, indexes=index)
    codes = np.random.default_rng(3).integers(0, 256, size=(80, 8), dtype=np.uint8)
    client.insert("bits", [{"id": i, "code": codes[i].tobytes() if i % 2 else codes[i]}
                           for i in range(80)])
    ref = np.unpackbits(codes[5] ^ codes, axis=-1).sum(axis=1)
    for data in ([codes[5].tobytes()], codes[5], codes[5:6], [codes[5]]):
        res = client.search("bits", data, limit=4, output_fields=["code"])
        assert len(res.ids) == 1
        assert list(res.distances[0]) == sorted(ref)[:4]
        assert res.ids[0][0] == 5
        for i, e in zip(res.ids[0], res.entities[0]):
            assert e["code"] == codes[i].tobytes()
    rows = client.query("bits", "id in [1, 2]", output_fields=["code"])
    assert {r["id"]: r["code"] for r in rows} == {1: codes[1].tobytes(),
                                                  2: codes[2].tobytes()}
    with pytest.raises(cove.InvalidArgumentError, match="expected 64 bits in 8 bytes"):
        client.insert("bits", [{"id": 100, "code": b"\x01"}])


def _bf16_bits(x):
    """float32 values rounded to bfloat16 (to nearest even), as uint16."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def test_float16_and_bfloat16_vectors(client, rng):
    schema = cove.CollectionSchema()
    schema.add_field("id", cove.DataType.INT64, is_primary=True)
    schema.add_field("h", cove.DataType.FLOAT16_VECTOR, dim=12)
    schema.add_field("b", cove.DataType.BFLOAT16_VECTOR, dim=12)
    index = cove.IndexParams()
    index.add_index("h", index_type="FLAT", metric_type="L2")
    index.add_index("b", index_type="FLAT", metric_type="IP")
    client.create_collection("half", schema=schema, indexes=index)
    h = rng.standard_normal((80, 12)).astype(np.float16)
    b = _bf16_bits(rng.standard_normal((80, 12)))
    # float16 rows as numpy float16 arrays, bfloat16 rows as raw bytes.
    client.insert("half", [{"id": i, "h": h[i], "b": b[i].tobytes()} for i in range(80)])
    d = client.describe_collection("half")
    assert [f.dtype for f in d.schema.fields[1:]] == [cove.DataType.FLOAT16_VECTOR,
                                                      cove.DataType.BFLOAT16_VECTOR]
    q = rng.standard_normal((2, 12)).astype(np.float16)
    res = client.search("half", q, anns_field="h", limit=4, output_fields=["h", "b"])
    d2 = ((q[:, None, :].astype(np.float64) - h[None].astype(np.float64)) ** 2).sum(-1)
    for i in range(2):
        assert res.ids[i].tolist() == np.argsort(d2[i], kind="stable")[:4].tolist()
        np.testing.assert_allclose(res.distances[i], np.sort(d2[i])[:4], rtol=1e-4)
        for e, id_ in zip(res.entities[i], res.ids[i]):
            # read back as bytes, bit for bit
            assert e["h"] == h[id_].tobytes() and e["b"] == b[id_].tobytes()
    # bfloat16: float32 queries are rounded to the field's type.
    bq = (_bf16_bits(rng.standard_normal(12)).astype(np.uint32) << 16).view(np.float32)
    res = client.search("half", bq, anns_field="b", limit=3)
    bf = (b.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    ip = bf @ bq.astype(np.float64)
    assert res.ids[0].tolist() == np.argsort(-ip, kind="stable")[:3].tolist()
    with pytest.raises(cove.InvalidArgumentError, match="expected BFLOAT16_VECTOR"):
        client.insert("half", [{"id": 99, "h": h[0], "b": h[0]}])
    with pytest.raises(cove.InvalidArgumentError, match="index type DISKANN is not supported"):
        client.release_collection("half")
        client.drop_index("half", "h")
        client.create_index("half", {"field_name": "h", "index_type": "DISKANN",
                                     "metric_type": "L2"})


def test_columns_insert_and_numpy_inputs(client, vectors):
    client.create_collection("c", dimension=4)
    data = vectors(30, 4)
    r = client.insert("c", {"id": np.arange(30), "vector": data, "tag": ["x"] * 30})
    assert r.count == 30
    # float64, lists and Fortran-ordered arrays are converted.
    for q in (data[:2].astype(np.float64), data[:2].tolist(), np.asfortranarray(data[:2])):
        res = client.search("c", q, limit=1)
        assert res.ids[0][0] == 0 and res.ids[1][0] == 1
    # A single 1-D vector is one query.
    assert len(client.search("c", data[3], limit=1)) == 1


def test_float32_c_contiguous_input_is_not_copied():
    a = np.random.default_rng(0).standard_normal((5, 8), dtype=np.float32)
    addr, rows, dim = _core._float_matrix_source(a)
    assert (addr, rows, dim) == (a.ctypes.data, 5, 8)
    one = a[2]
    addr, rows, dim = _core._float_matrix_source(one)
    assert (addr, rows, dim) == (one.ctypes.data, 1, 8)
    # Other dtypes and layouts are converted (a new buffer).
    b = a.astype(np.float64)
    assert _core._float_matrix_source(b)[0] != b.ctypes.data
    f = np.asfortranarray(a)
    assert _core._float_matrix_source(f)[0] != f.ctypes.data


def test_value_roundtrip():
    v = {"n": None, "b": True, "i": -(2**63), "f": 1.5, "s": "héllo", "l": [1, "x", [2.5]],
         "d": {"k": {"z": False}}, "np_i": np.int32(7), "np_f": np.float64(2.25),
         "np_b": np.bool_(True)}
    out = _core._roundtrip_value(v)
    assert out == {"n": None, "b": True, "i": -(2**63), "f": 1.5, "s": "héllo",
                   "l": [1, "x", [2.5]], "d": {"k": {"z": False}}, "np_i": 7,
                   "np_f": 2.25, "np_b": True}
    assert type(out["np_i"]) is int and type(out["b"]) is bool
    vec = _core._roundtrip_value(np.array([1, 2], dtype=np.float32))
    assert isinstance(vec, np.ndarray) and vec.dtype == np.float32
    assert _core._roundtrip_value(np.array([1, 2], dtype=np.int64)) == [1, 2]


def test_upsert(client):
    client.create_collection("u", dimension=2)
    client.insert("u", [{"id": 1, "vector": [1, 0], "v": "old"}])
    r = client.upsert("u", [{"id": 1, "vector": [0, 1], "v": "new"},
                            {"id": 2, "vector": [1, 1], "v": "two"}])
    assert r.count == 2
    rows = {r["id"]: r["v"] for r in client.query("u", "id >= 0", output_fields=["v"])}
    assert rows == {1: "new", 2: "two"}


def test_partitions_aliases_databases(client):
    client.create_collection("c", dimension=2)
    client.create_partition("c", "p1")
    assert client.has_partition("c", "p1")
    assert sorted(client.list_partitions("c")) == ["_default", "p1"]
    client.insert("c", [{"id": 1, "vector": [1, 0]}], partition_name="p1")
    client.insert("c", [{"id": 2, "vector": [1, 0]}])
    assert [r["id"] for r in client.query("c", "id > 0", partition_names=["p1"])] == [1]
    res = client.search("c", [1, 0], limit=5, partition_names=["_default"])
    assert res.ids[0].tolist() == [2]
    with pytest.raises(cove.FailedPreconditionError):
        client.drop_partition("c", "p1")  # loaded: release first, as in Milvus
    client.release_collection("c")
    client.drop_partition("c", "p1")
    client.load_collection("c")
    assert not client.has_partition("c", "p1")

    client.create_alias("c", "c_alias")
    assert client.list_aliases("c") == ["c_alias"]
    a = client.describe_alias("c_alias")
    assert (a.alias, a.collection) == ("c_alias", "c")
    assert client.count("c_alias") == 1
    client.create_collection("d", dimension=2)
    client.alter_alias("d", "c_alias")
    assert client.describe_alias("c_alias").collection == "d"
    client.drop_alias("c_alias")
    with pytest.raises(cove.NotFoundError):
        client.describe_alias("c_alias")

    client.rename_collection("d", "d2")
    assert sorted(client.list_collections()) == ["c", "d2"]

    client.create_database("analytics")
    assert "analytics" in client.list_databases()
    client.create_collection("x", dimension=2, db_name="analytics")
    assert client.list_collections(db_name="analytics") == ["x"]
    assert "x" not in client.list_collections()
    client.use_database("analytics")
    assert client.list_collections() == ["x"]
    client.drop_collection("x")
    client.use_database("default")
    client.drop_database("analytics")
    assert "analytics" not in client.list_databases()


def test_load_release_and_indexes(client):
    client.create_collection("c", dimension=4)
    client.release_collection("c")
    assert client.get_load_state("c") is cove.LoadState.NotLoad
    with pytest.raises(cove.FailedPreconditionError):
        client.search("c", [1, 2, 3, 4])
    client.load_collection("c")
    assert client.get_load_state("c") is cove.LoadState.Loaded
    assert client.get_load_state("missing") is cove.LoadState.NotExist
    names = [i.index_name for i in client.describe_indexes("c")]
    client.release_collection("c")
    for n in names:
        client.drop_index("c", n)
    assert client.describe_indexes("c") == []
    client.create_index("c", {"field_name": "vector", "index_type": "IVF_FLAT",
                              "metric_type": "L2", "params": {"nlist": 4}})
    (idx,) = client.describe_indexes("c")
    assert idx.index_type is cove.IndexType.IVF_FLAT and idx.params["nlist"] == "4"


def test_query_iterator(client):
    client.create_collection("c", dimension=2)
    client.insert("c", [{"id": i, "vector": [1, i]} for i in range(25)])
    batches = list(client.query_iterator("c", "id >= 0", batch_size=10))
    assert [len(b) for b in batches] == [10, 10, 5]
    assert [r["id"] for b in batches for r in b] == list(range(25))  # key order
    it = client.query_iterator("c", "id >= 3", batch_size=4, limit=6, output_fields=["vector"])
    first = next(it)
    assert [r["id"] for r in first] == [3, 4, 5, 6]
    # The iterator reads the snapshot of its creation: later writes do not
    # show (7 is still returned, 100 is not).
    client.delete("c", [7])
    client.insert("c", [{"id": 100, "vector": [0, 0]}])
    assert [r["id"] for r in next(it)] == [7, 8]
    assert list(it) == []
    it = client.query_iterator("c", "id >= 0", batch_size=4)
    next(it)
    it.close()  # releases the snapshot at once
    with pytest.raises(cove.NotFoundError):
        client.query_iterator("missing", "id > 0")


def test_search_iterator(client, vectors):
    client.create_collection("s", dimension=8, metric_type="L2")
    data = vectors(300, 8)
    client.insert("s", {"id": np.arange(300), "vector": data})
    pages = list(client.search_iterator("s", data[0], batch_size=64, output_fields=["id"]))
    assert all(len(p) == 64 for p in pages[:-1]) and 0 < len(pages[-1]) <= 64
    ids = np.concatenate([p.ids for p in pages]).tolist()
    # Exact even on AUTOINDEX (HNSW): every row once, itself first.
    assert ids[0] == 0 and sorted(ids) == list(range(300))
    dist = np.concatenate([p.distances for p in pages])
    assert np.all(np.diff(dist) >= -1e-4)  # closest first across pages
    capped = list(client.search_iterator("s", data[0], batch_size=50, limit=120))
    assert sum(len(p) for p in capped) == 120


def test_reopen_data_directory(tmp_path, vectors):
    path = str(tmp_path / "data")
    data = vectors(20, 4)
    with cove.Client(path) as c:
        c.create_collection("keep", dimension=4, metric_type="L2")
        c.insert("keep", {"id": np.arange(20), "vector": data})
        c.create_partition("keep", "later")
    # The directory is locked while open; after close it can be reopened.
    with cove.Client(path) as c:
        assert c.list_collections() == ["keep"]
        assert c.count("keep") == 20
        assert "later" in c.list_partitions("keep")
        res = c.search("keep", data[7], limit=1)
        assert res.ids[0][0] == 7
        c.delete("keep", [7])
    with cove.Client(path, read_only=True) as c:
        assert c.count("keep") == 19
        with pytest.raises(cove.Error):
            c.insert("keep", [{"id": 100, "vector": [0, 0, 0, 1]}])


def test_second_writer_is_refused(tmp_path):
    path = str(tmp_path / "data")
    with cove.Client(path):
        with pytest.raises(cove.FailedPreconditionError):
            cove.Client(path)


def test_encryption_at_rest(tmp_path):
    path = str(tmp_path / "enc")
    key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
    with cove.Client(path, encryption_key=key) as c:
        c.create_collection("secret", dimension=2)
        c.insert("secret", [{"id": 1, "vector": [1, 0], "text": "plaintext-marker"}])
    blob = b"".join(p.read_bytes() for p in (tmp_path / "enc").rglob("*") if p.is_file())
    assert b"plaintext-marker" not in blob
    with cove.Client(path, encryption_key=key) as c:
        assert c.get("secret", 1, output_fields=["text"])[0]["text"] == "plaintext-marker"


def test_batched_insert_with_progress_bar(client, vectors, monkeypatch):
    client.create_collection("big", dimension=4)
    data = vectors(2500, 4)
    # No TTY: no bar, even with progress=True.
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    r = client.insert("big", {"id": np.arange(1000), "vector": data[:1000]}, batch_size=300)
    assert r.count == 1000 and r.ids.tolist() == list(range(1000))
    assert err.getvalue() == ""
    # A TTY: the fallback bar (tqdm disabled) is drawn on stderr.
    import cove._progress as progress
    monkeypatch.setattr(progress, "_stderr_isatty", lambda: True)
    monkeypatch.setattr(progress, "_tqdm", None)
    rows = [{"id": 1000 + i, "vector": data[1000 + i]} for i in range(1500)]
    r = client.insert("big", rows, batch_size=500)
    assert r.count == 1500
    out = err.getvalue()
    assert "insert big" in out and "1500/1500" in out
    # progress=False: nothing.
    err.truncate(0)
    err.seek(0)
    client.upsert("big", rows, batch_size=500, progress=False)
    assert err.getvalue() == ""
    assert client.count("big") == 2500


def test_rbac_calls_are_unimplemented_on_embedded(client):
    for call in (lambda: client.list_users(), lambda: client.create_role("r"),
                 lambda: client.grant_privilege(cove.Grant("r", "Global", "*", "All")),
                 lambda: client.list_grants("r"), lambda: client.describe_user("u")):
        with pytest.raises(cove.UnimplementedError):
            call()


def test_columns_of_different_lengths_name_the_lengths(client, vectors):
    client.create_collection("ragged", dimension=4)
    with pytest.raises(cove.InvalidArgumentError, match="differ in length") as err:
        client.insert("ragged", {"id": np.arange(3), "vector": vectors(2, 4)})
    assert "'id': 3" in str(err.value) and "'vector': 2" in str(err.value)


def test_rows_of_float_lists(client):
    # pymilvus users' rows: vectors as lists of Python floats. They are read
    # straight into float32 vectors; a list for an ARRAY<DOUBLE> field keeps
    # its doubles exactly, and bad vectors are still refused by name.
    schema = cove.CollectionSchema()
    schema.add_field("id", cove.DataType.INT64, is_primary=True)
    schema.add_field("vec", cove.DataType.FLOAT_VECTOR, dim=3)
    schema.add_field("xs", cove.DataType.ARRAY, element_type=cove.DataType.DOUBLE,
                     max_capacity=4)
    index = cove.IndexParams()
    index.add_index("vec", index_type="FLAT", metric_type="L2")
    client.create_collection("lists", schema=schema, indexes=index)
    rows = [{"id": 0, "vec": [0.1, 0.2, 0.3], "xs": [0.1, 1e300]},
            {"id": 1, "vec": (1.0, 2, 3.5), "xs": [2.5]},  # a tuple, an int
            {"id": 2, "vec": [1.5, -2.25, 0.0], "xs": []}]
    assert client.insert("lists", rows).count == 3
    got = {r["id"]: r for r in client.query("lists", "id >= 0",
                                            output_fields=["vec", "xs"])}
    np.testing.assert_array_equal(got[0]["vec"], np.float32([0.1, 0.2, 0.3]))
    np.testing.assert_array_equal(got[1]["vec"], np.float32([1.0, 2.0, 3.5]))
    np.testing.assert_array_equal(got[2]["vec"], np.float32([1.5, -2.25, 0.0]))
    assert got[0]["xs"] == [0.1, 1e300]
    with pytest.raises(cove.InvalidArgumentError, match="not a finite"):
        client.insert("lists", [{"id": 3, "vec": [1.0, float("nan"), 2.0], "xs": []}])
    with pytest.raises(cove.InvalidArgumentError, match="wrong dimension"):
        client.insert("lists", [{"id": 4, "vec": [1.0, 2.0], "xs": []}])
    with pytest.raises(cove.InvalidArgumentError, match="vec"):
        client.insert("lists", [{"id": 5, "vec": [1.0, "x", 2.0], "xs": []}])
    assert client.get_collection_stats("lists") == {"row_count": 3}
