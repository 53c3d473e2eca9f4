"""The remote backend: cove.Client and cove.MilvusClient against cove-server.

The `cove_server` fixture (conftest.py) starts <build>/src/server/cove-server
with --data DIR --listen 127.0.0.1:0; these tests are skipped when it is not
built.
"""

import threading

import numpy as np
import pytest

import cove


@pytest.fixture
def remote(cove_server, request):
    with cove.Client(cove_server, timeout=30) as c:
        name = "r_" + request.node.name.replace("[", "_").replace("]", "_")[:40]
        if c.has_collection(name):
            c.drop_collection(name)
        yield c, name
        if not c.closed and c.has_collection(name):
            c.drop_collection(name)


def test_remote_roundtrip(remote, vectors):
    client, name = remote
    assert client.backend == "remote"
    client.check_health()
    assert client.get_server_version()
    client.create_collection(name, dimension=8, metric_type="L2")
    data = vectors(200, 8)
    r = client.insert(name, {"id": np.arange(200), "vector": data,
                             "tag": ["even" if i % 2 == 0 else "odd" for i in range(200)]})
    assert r.count == 200 and r.ids.tolist() == list(range(200))
    res = client.search(name, data[:3], limit=4, output_fields=["tag"])
    assert [int(ids[0]) for ids in res.ids] == [0, 1, 2]
    assert res.distances[0].dtype == np.float32
    assert res.entities[1][0]["tag"] == "odd"
    rows = client.query(name, "tag == 'even' and id < 10", output_fields=["tag", "vector"])
    assert sorted(r["id"] for r in rows) == [0, 2, 4, 6, 8]
    np.testing.assert_allclose(rows[0]["vector"], data[rows[0]["id"]], rtol=1e-6)
    assert client.count(name) == 200
    assert client.delete(name, [0, 1]).count == 2
    assert client.get(name, [0, 1, 2])[0]["id"] == 2
    d = client.describe_collection(name)
    assert [f.name for f in d.schema.fields][:2] == ["id", "vector"]


def test_remote_errors(remote):
    client, name = remote
    with pytest.raises(cove.NotFoundError):
        client.describe_collection(name + "_missing")
    client.create_collection(name, dimension=4)
    with pytest.raises(cove.AlreadyExistsError):
        client.create_collection(name, dimension=4)
    with pytest.raises(cove.InvalidArgumentError):
        client.insert(name, [{"id": 1, "vector": [1.0, 2.0]}])


def test_remote_names_that_are_not_utf8(remote, capfd):
    """Issue 13, item 17: a collection or field name that is not UTF-8 gets a
    clear INVALID_ARGUMENT quoting the escaped bytes, without protobuf's
    invalid-UTF-8 errors (the field names travel inside the serialized
    schema)."""
    client, name = remote
    for kwargs in ({"name": b"bad\xff\xfe"},
                   {"name": name, "primary_field_name": b"id\xff"},
                   {"name": name, "vector_field_name": b"v\xc3"}):
        with pytest.raises(cove.InvalidArgumentError) as err:
            client.create_collection(dimension=4, **kwargs)
        message = str(err.value)
        assert "not valid UTF-8" in message and "\\x" in message, message
    assert not client.has_collection(name)
    assert "invalid UTF-8" not in capfd.readouterr().err
    # A non-ASCII letter is refused naming the whole character.
    with pytest.raises(cove.InvalidArgumentError, match="\u00e9"):
        client.create_collection("caf\u00e9", dimension=4)


def test_remote_threads(remote, vectors):
    client, name = remote
    client.create_collection(name, dimension=8, metric_type="L2")
    data = vectors(500, 8)
    client.insert(name, {"id": np.arange(500), "vector": data})
    errors = []

    def worker(k):
        try:
            for j in range(10):
                i = (k * 37 + j * 11) % 500
                assert client.search(name, data[i], limit=1).ids[0][0] == i
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


def test_remote_milvus_client(cove_server):
    client = cove.MilvusClient(uri=cove_server)
    if client.has_collection("remote_demo"):
        client.drop_collection("remote_demo")
    client.create_collection(collection_name="remote_demo", dimension=4)
    client.insert("remote_demo", [{"id": i, "vector": [float(i), 1.0, 0.0, 0.0], "s": "x"}
                                  for i in range(1, 6)])
    res = client.search("remote_demo", [[5.0, 1.0, 0.0, 0.0]], limit=2, output_fields=["s"])
    assert res[0][0]["entity"] == {"s": "x"}
    assert client.query("remote_demo", filter="id > 3", output_fields=["s"])[0]["s"] == "x"
    assert "remote_demo" in client.list_collections()
    client.drop_collection("remote_demo")
    client.close()


def test_remote_milvus_client_float16_vectors(cove_server):
    client = cove.MilvusClient(uri=cove_server)
    if client.has_collection("remote_f16"):
        client.drop_collection("remote_f16")
    schema = cove.MilvusClient.create_schema()
    schema.add_field("id", cove.DataType.INT64, is_primary=True)
    schema.add_field("vec", cove.DataType.FLOAT16_VECTOR, dim=8)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="vec", index_type="FLAT", metric_type="COSINE")
    client.create_collection("remote_f16", schema=schema, index_params=index_params)
    rng = np.random.default_rng(9)
    base = rng.standard_normal((40, 8)).astype(np.float16)
    client.insert("remote_f16", [{"id": i, "vec": base[i]} for i in range(40)])
    res = client.search("remote_f16", [base[5]], limit=3, output_fields=["vec"])
    assert res[0][0]["id"] == 5
    assert res[0][0]["distance"] == pytest.approx(1.0, abs=1e-5)
    assert res[0][0]["entity"]["vec"] == base[5].tobytes()
    # As pymilvus: query and get wrap the bytes in a one-element list.
    got = client.get("remote_f16", ids=[7], output_fields=["vec"])
    (raw,) = got[0]["vec"]
    assert np.array_equal(np.frombuffer(raw, dtype=np.float16), base[7])
    (row,) = client.query("remote_f16", filter="id == 7", output_fields=["vec"])
    assert row["vec"] == [base[7].tobytes()]
    client.drop_collection("remote_f16")
    client.close()


def test_remote_milvus_client_binary_vectors(cove_server):
    """BINARY_VECTOR through the remote backend: numpy uint8 and bytes rows,
    uint8 query matrices, HAMMING distances, [bytes] from get."""
    client = cove.MilvusClient(uri=cove_server)
    if client.has_collection("remote_bin"):
        client.drop_collection("remote_bin")
    schema = cove.MilvusClient.create_schema()
    schema.add_field("id", cove.DataType.INT64, is_primary=True)
    schema.add_field("code", cove.DataType.BINARY_VECTOR, dim=64)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="code", index_type="BIN_FLAT", metric_type="HAMMING")
    client.create_collection("remote_bin", schema=schema, index_params=index_params)
    codes = np.random.default_rng(4).integers(0, 256, size=(40, 8), dtype=np.uint8)
    client.insert("remote_bin", [{"id": i, "code": codes[i] if i % 2 else codes[i].tobytes()}
                                 for i in range(40)])
    res = client.search("remote_bin", codes[[5, 6]], limit=3, output_fields=["code"])
    for q, hits in zip((5, 6), res):
        ref = np.sort(np.unpackbits(codes[q] ^ codes, axis=-1).sum(axis=1))[:3]
        assert [h["distance"] for h in hits] == list(ref)
        assert hits[0]["id"] == q and hits[0]["entity"]["code"] == codes[q].tobytes()
    got = client.get("remote_bin", ids=[7], output_fields=["code"])
    assert got[0]["code"] == [codes[7].tobytes()]
    client.drop_collection("remote_bin")
    client.close()
