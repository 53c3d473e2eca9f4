"""Sparse vectors through the real pymilvus 2.5 against cove-server.

A SPARSE_FLOAT_VECTOR collection as pymilvus' sparse example builds it:
rows as dicts and as lists of (index, value) pairs (scipy matrices too when
scipy is installed), SPARSE_INVERTED_INDEX and SPARSE_WAND with
drop_ratio_build, search with drop_ratio_search, a filter and the sparse
field in the output; scores checked against a brute-force inner product.
"""

import random

import pytest

from pymilvus_support import import_pymilvus

pymilvus = import_pymilvus()
from pymilvus import DataType, MilvusClient, MilvusException  # noqa: E402


def _random_sparse(rng, terms=60):
    n = rng.randint(1, 10)
    return {rng.randrange(terms): round(rng.uniform(0.05, 1.0), 4) for _ in range(n)}


def _dot(a, b):
    return sum(v * b[k] for k, v in a.items() if k in b)


def _make(client, name, index_type):
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("tag", DataType.INT64)
    schema.add_field("emb", DataType.SPARSE_FLOAT_VECTOR)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="emb", index_type=index_type, metric_type="IP",
                           params={"drop_ratio_build": 0.0})
    client.create_collection(name, schema=schema, index_params=index_params)


@pytest.mark.parametrize("index_type", ["SPARSE_INVERTED_INDEX", "SPARSE_WAND"])
def test_sparse_collection_search(client, index_type):
    name = f"sparse_{index_type.lower()}"
    _make(client, name, index_type)
    rng = random.Random(5)
    truth = {}
    rows = []
    for i in range(300):
        v = _random_sparse(rng)
        truth[i] = (v, i % 3)
        # Half the rows as dicts, half as lists of (index, value) pairs.
        emb = v if i % 2 == 0 else sorted(v.items())
        rows.append({"id": i, "tag": i % 3, "emb": emb})
    assert client.insert(name, rows)["insert_count"] == 300
    client.delete(name, ids=[0, 1, 2, 3])
    for i in range(4):
        del truth[i]

    got = client.get(name, ids=[10, 11], output_fields=["emb"])
    assert {r["id"]: r["emb"] for r in got}[10] == pytest.approx(truth[10][0])
    assert dict(got[1]["emb"]) == pytest.approx(truth[got[1]["id"]][0])

    queries = [_random_sparse(rng) for _ in range(5)]
    res = client.search(name, data=queries, anns_field="emb", limit=7, filter="tag != 1",
                        output_fields=["tag", "emb"],
                        search_params={"metric_type": "IP",
                                       "params": {"drop_ratio_search": 0.0}})
    assert len(res) == 5
    for q, hits in zip(queries, res):
        expect = sorted(((_dot(q, v), i) for i, (v, tag) in truth.items()
                         if tag != 1 and any(k in v for k in q)),
                        key=lambda t: (-t[0], t[1]))[:7]
        assert len(hits) == len(expect)
        for hit, (score, _) in zip(hits, expect):
            assert hit["distance"] == pytest.approx(score, abs=1e-4)
            assert hit["entity"]["tag"] != 1
            assert hit["entity"]["emb"] == pytest.approx(truth[hit["id"]][0])

    # drop_ratio_search 0.5 keeps the larger half of a query's weights: a
    # query whose small weight is the only match finds nothing for that row.
    client.insert(name, [{"id": 1000, "tag": 0, "emb": {500: 1.0}},
                         {"id": 1001, "tag": 0, "emb": {501: 1.0}}])
    q = {500: 0.01, 501: 2.0}
    hits = client.search(name, data=[q], anns_field="emb", limit=5,
                         search_params={"metric_type": "IP",
                                        "params": {"drop_ratio_search": 0.5}})[0]
    assert [h["id"] for h in hits] == [1001]

    idx = client.describe_index(name, "emb")
    assert idx["index_type"] == index_type
    assert idx["metric_type"] == "IP"


def test_sparse_scipy_rows(client):
    scipy_sparse = pytest.importorskip("scipy.sparse", reason="python3-scipy is not installed")
    name = "sparse_scipy"
    _make(client, name, "SPARSE_INVERTED_INDEX")
    m = scipy_sparse.csr_matrix(([0.5, 2.0, 1.0], ([0, 0, 1], [3, 9, 3])), shape=(2, 10))
    client.insert(name, [{"id": 1, "tag": 0, "emb": m[0]}, {"id": 2, "tag": 0, "emb": m[1]}])
    hits = client.search(name, data=[{3: 1.0}], anns_field="emb", limit=5,
                         search_params={"metric_type": "IP"})[0]
    assert sorted((h["id"], h["distance"]) for h in hits) == [(1, 0.5), (2, 1.0)]


def test_sparse_refusals(client):
    name = "sparse_refusals"
    _make(client, name, "SPARSE_INVERTED_INDEX")
    client.insert(name, [{"id": 1, "tag": 0, "emb": {1: 1.0}}])
    # A dense index's key is accepted without effect, as Milvus does; a key
    # of no index is refused by name.
    plain = client.search(name, data=[{1: 1.0}], anns_field="emb", limit=3,
                          search_params={"metric_type": "IP"})[0]
    with_nprobe = client.search(name, data=[{1: 1.0}], anns_field="emb", limit=3,
                                search_params={"metric_type": "IP", "params": {"nprobe": 8}})[0]
    assert [(h["id"], h["distance"]) for h in with_nprobe] == \
        [(h["id"], h["distance"]) for h in plain] == [(1, 1.0)]
    with pytest.raises(MilvusException, match="search_k"):
        client.search(name, data=[{1: 1.0}], anns_field="emb", limit=3,
                      search_params={"metric_type": "IP", "params": {"search_k": 8}})
    with pytest.raises(MilvusException, match="metric_type"):
        client.search(name, data=[{1: 1.0}], anns_field="emb", limit=3,
                      search_params={"metric_type": "L2"})
