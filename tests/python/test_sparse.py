"""Sparse vectors through cove.Client (embedded): rows and query vectors in
the forms pymilvus takes ({index: value} dicts, a scipy-like sparse row),
results checked against a brute-force inner product, and sparse values read
back as {index: value}."""

import math
import random

import pytest

import cove
from cove import DataType, MilvusClient


class _Coo:
    """The part of scipy.sparse.coo_matrix the conversion uses (scipy is not
    a dependency of the tests)."""

    def __init__(self, cols, data, shape):
        self.col, self.data, self.shape = _List(cols), _List(data), shape

    def tocoo(self):
        return self

    def copy(self):
        return _Coo(list(self.col), list(self.data), self.shape)

    def sum_duplicates(self):
        merged = {}
        for c, v in zip(self.col, self.data):
            merged[c] = merged.get(c, 0.0) + v
        self.col, self.data = _List(merged), _List(merged.values())


class _List(list):
    def tolist(self):
        return list(self)


def _ip(a, b):
    return sum(v * b.get(i, 0.0) for i, v in a.items())


@pytest.fixture
def sparse_coll(milvus):
    schema = MilvusClient.create_schema()
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    idx = MilvusClient.prepare_index_params()
    idx.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    milvus.create_collection("s", schema=schema, index_params=idx)
    rng = random.Random(5)
    rows = []
    for i in range(60):
        keys = rng.sample(range(1000), rng.randint(1, 8))
        rows.append({"id": i, "sparse": {k: rng.uniform(0.1, 1.0) for k in keys}})
    return milvus.client, rows


def test_dict_rows_and_queries_match_brute_force(sparse_coll):
    client, rows = sparse_coll
    client.insert("s", rows)
    query = {k: v for k, v in rows[7]["sparse"].items()}
    query[999] = 0.5
    res = client.search("s", [query], limit=5, anns_field="sparse")
    want = sorted(rows, key=lambda r: (-_ip(query, r["sparse"]), r["id"]))[:5]
    assert list(res[0].ids) == [r["id"] for r in want]
    assert list(res[0].distances) == pytest.approx([_ip(query, r["sparse"]) for r in want],
                                                   rel=1e-5)
    # One sparse vector (not in a list) is one query.
    assert list(client.search("s", query, limit=5, anns_field="sparse")[0].ids) == \
        list(res[0].ids)
    # Read back as {index: value}, float32-rounded.
    got = client.query("s", filter="id == 7", output_fields=["sparse"])
    assert set(got[0]["sparse"]) == set(rows[7]["sparse"])
    for k, v in rows[7]["sparse"].items():
        assert got[0]["sparse"][k] == pytest.approx(v, rel=1e-6)


def test_scipy_like_rows_and_queries(sparse_coll):
    client, rows = sparse_coll
    # Duplicate entries of a COO row are summed, as scipy does.
    client.insert("s", [{"id": 1, "sparse": _Coo([4, 9, 4], [0.25, 1.0, 0.25], (1, 1000))},
                        {"id": 2, "sparse": {4: 1.0}}])
    got = client.query("s", filter="id == 1", output_fields=["sparse"])
    assert got[0]["sparse"] == {4: 0.5, 9: 1.0}
    res = client.search("s", [_Coo([9], [2.0], (1, 1000))], limit=2, anns_field="sparse")
    assert list(res[0].ids) == [1]
    assert res[0].distances[0] == pytest.approx(2.0)


def test_bad_sparse_values_are_refused_by_name(sparse_coll):
    client, _ = sparse_coll
    with pytest.raises(cove.InvalidArgumentError, match="index out of range"):
        client.insert("s", [{"id": 1, "sparse": {-3: 1.0}}])
    with pytest.raises(cove.InvalidArgumentError, match="finite"):
        client.insert("s", [{"id": 1, "sparse": {3: math.inf}}])
    with pytest.raises(TypeError, match="values must be numbers"):
        client.insert("s", [{"id": 1, "sparse": {3: "x"}}])
    with pytest.raises(cove.InvalidArgumentError, match="one row"):
        client.insert("s", [{"id": 1, "sparse": _Coo([1, 2], [1.0, 1.0], (2, 10))}])
    with pytest.raises(cove.InvalidArgumentError, match=r"data\[1\].*sparse vector"):
        client.search("s", [{1: 1.0}, [0.5, 0.5]], limit=2, anns_field="sparse")


def test_milvus_client_grouped_sparse_search(milvus):
    """group_by_field on a sparse field: walking the rows by inner product,
    at most group_size per tag, limit tags (as Milvus 2.5)."""
    schema = MilvusClient.create_schema()
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("tag", DataType.VARCHAR, max_length=8)
    idx = MilvusClient.prepare_index_params()
    idx.add_index("sparse", index_type="SPARSE_WAND", metric_type="IP")
    milvus.create_collection("sg", schema=schema, index_params=idx)
    rng = random.Random(12)
    rows = [{"id": i, "tag": f"t{i % 5}",
             "sparse": {k: rng.uniform(0.1, 1.0) for k in rng.sample(range(30), 6)}}
            for i in range(120)]
    milvus.insert("sg", rows)
    query = {k: rng.uniform(0.1, 1.0) for k in rng.sample(range(30), 4)}
    res = milvus.search("sg", data=[query], anns_field="sparse", limit=3, filter="id >= 10",
                        group_by_field="tag", group_size=2, strict_group_size=True,
                        output_fields=["tag"])[0]
    ranked = sorted((r for r in rows
                     if r["id"] >= 10 and set(query) & set(r["sparse"])),
                    key=lambda r: (-_ip(query, r["sparse"]), r["id"]))
    groups = {}
    for r in ranked:
        if r["tag"] not in groups:
            if len(groups) == 3:
                continue
            groups[r["tag"]] = []
        if len(groups[r["tag"]]) < 2:
            groups[r["tag"]].append(r)
    want = [r for members in groups.values() for r in members]
    assert len(want) == 6
    assert [h["id"] for h in res] == [r["id"] for r in want]
    assert [h["entity"]["tag"] for h in res] == [r["tag"] for r in want]
    assert [h["distance"] for h in res] == pytest.approx(
        [_ip(query, r["sparse"]) for r in want], rel=1e-5)
