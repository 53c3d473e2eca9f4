"""Binary vectors through the real pymilvus 2.5 against cove-server.

pymilvus' binary vector flow: a BINARY_VECTOR field (dim in bits), rows as
bytes (numpy.packbits(...).tobytes()), BIN_FLAT and BIN_IVF_FLAT indexes,
HAMMING and JACCARD searches with distances checked against a numpy
reference, SUBSTRUCTURE / SUPERSTRUCTURE on BIN_FLAT, query and get giving
the codes back as pymilvus does ([bytes]), and the refusals.
"""

import pytest

from pymilvus_support import import_pymilvus

pymilvus = import_pymilvus()
np = pytest.importorskip("numpy")
from pymilvus import DataType, MilvusClient, MilvusException  # noqa: E402

DIM = 128  # bits
ROWS = 300


def _codes(seed, n, density=0.5):
    bits = np.random.default_rng(seed).random((n, DIM)) < density
    return np.packbits(bits, axis=-1)  # n x DIM/8 uint8


def _distances(metric, q, rows):
    """The numpy reference: Hamming counts or Jaccard distances."""
    qb = np.unpackbits(q)[None, :].astype(bool)
    rb = np.unpackbits(rows, axis=-1).astype(bool)
    if metric == "HAMMING":
        return (qb ^ rb).sum(axis=1).astype(float)
    inter = (qb & rb).sum(axis=1)
    union = (qb | rb).sum(axis=1)
    return np.where(union == 0, 1.0, 1.0 - inter / np.maximum(union, 1))


def _make(client, name, index_type, metric, params=None):
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("tag", DataType.INT64)
    schema.add_field("code", DataType.BINARY_VECTOR, dim=DIM)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="code", index_type=index_type, metric_type=metric,
                           params=params or {})
    client.create_collection(name, schema=schema, index_params=index_params)


@pytest.mark.parametrize("index_type,metric", [
    ("BIN_FLAT", "HAMMING"), ("BIN_FLAT", "JACCARD"),
    ("BIN_IVF_FLAT", "HAMMING"), ("BIN_IVF_FLAT", "JACCARD")])
def test_binary_search_matches_numpy(client, index_type, metric):
    name = f"bin_{index_type.lower()}_{metric.lower()}"
    ivf = index_type == "BIN_IVF_FLAT"
    _make(client, name, index_type, metric, {"nlist": 4} if ivf else None)
    codes = _codes(7, ROWS)
    rows = [{"id": i, "tag": i % 3, "code": codes[i].tobytes()} for i in range(ROWS)]
    assert client.insert(name, rows)["insert_count"] == ROWS
    client.flush(name)
    desc = client.describe_index(name, "code")
    assert desc["index_type"] == index_type
    assert desc["metric_type"] == metric

    queries = _codes(8, 3)
    search_params = {"metric_type": metric, "params": {"nprobe": 4} if ivf else {}}
    res = client.search(name, data=[q.tobytes() for q in queries], limit=8,
                        search_params=search_params, output_fields=["code"])
    assert len(res) == 3
    for q, hits in zip(queries, res):
        ref = np.sort(_distances(metric, q, codes))[:8]
        got = [h["distance"] for h in hits]
        assert np.allclose(got, ref, atol=1e-6), (got, ref)
        for h in hits:
            # Each hit's distance is its own row's, and its code comes back.
            own = _distances(metric, q, codes[h["id"]][None, :])[0]
            assert h["distance"] == pytest.approx(own, abs=1e-6)
            assert h["entity"]["code"] == codes[h["id"]].tobytes()

    # A filter, and a row finding itself first.
    res = client.search(name, data=[codes[42].tobytes()], limit=5, filter="tag == 0",
                        search_params=search_params)
    assert res[0][0]["id"] == 42 and res[0][0]["distance"] == 0.0
    assert all(h["id"] % 3 == 0 for h in res[0])

    got = client.query(name, filter="id in [5, 6]", output_fields=["code"])
    assert sorted(r["id"] for r in got) == [5, 6]
    for r in got:
        assert r["code"] == [codes[r["id"]].tobytes()]
    got = client.get(name, ids=[9], output_fields=["code"])
    assert got[0]["code"] == [codes[9].tobytes()]
    client.drop_collection(name)


def test_binary_structure_metrics_and_range(client):
    name = "bin_structure"
    _make(client, name, "BIN_FLAT", "SUBSTRUCTURE")
    dense = _codes(3, 100, density=0.9)
    client.insert(name, [{"id": i, "tag": 0, "code": dense[i].tobytes()}
                         for i in range(100)])
    q = _codes(4, 1, density=0.05)[0]
    res = client.search(name, data=[q.tobytes()], limit=100)
    qb = np.unpackbits(q).astype(bool)
    contains = [i for i in range(100)
                if not (qb & ~np.unpackbits(dense[i]).astype(bool)).any()]
    assert contains, "the query should be in some rows"
    assert sorted(h["id"] for h in res[0]) == contains
    assert all(h["distance"] == 0.0 for h in res[0])
    with pytest.raises(MilvusException, match="range search"):
        client.search(name, data=[q.tobytes()], limit=5,
                      search_params={"params": {"radius": 3}})
    client.release_collection(name)
    client.drop_index(name, "code")
    # Range search on HAMMING: range_filter <= d < radius.
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="code", index_type="BIN_FLAT", metric_type="HAMMING")
    client.create_index(name, index_params)
    client.load_collection(name)
    d = _distances("HAMMING", dense[0], dense)
    lo, hi = np.sort(d)[1], np.sort(d)[30]
    res = client.search(name, data=[dense[0].tobytes()], limit=100,
                        search_params={"params": {"radius": float(hi),
                                                  "range_filter": float(lo)}})
    want = sorted(i for i in range(100) if lo <= d[i] < hi)
    assert sorted(h["id"] for h in res[0]) == want
    client.drop_collection(name)


def test_binary_refusals(client):
    name = "bin_refusals"
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("code", DataType.BINARY_VECTOR, dim=DIM)
    client.create_collection(name, schema=schema)
    for index_type, metric, message in [
            ("BIN_FLAT", "L2", "metric L2 is not a metric of BINARY_VECTOR"),
            ("HNSW", "HAMMING", "index type HNSW is not supported on BINARY_VECTOR"),
            ("BIN_IVF_FLAT", "SUPERSTRUCTURE", "only supported by BIN_FLAT")]:
        index_params = client.prepare_index_params()
        index_params.add_index(field_name="code", index_type=index_type, metric_type=metric)
        with pytest.raises(MilvusException, match=message):
            client.create_index(name, index_params)
    with pytest.raises(MilvusException, match="wrong vector dimension|dimension"):
        client.insert(name, [{"id": 1, "code": b"\x01\x02"}])
    client.drop_collection(name)
