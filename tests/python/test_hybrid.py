"""Hybrid search in the Python package: cove.MilvusClient.hybrid_search and
cove.Client.hybrid_search with pymilvus' AnnSearchRequest, RRFRanker and
WeightedRanker (embedded), against a fusion of the separate searches, also
grouped (group_by_field) over a dense and a BM25 field."""

import math
import random

import pytest

import cove
from cove import (AnnSearchRequest, DataType, Function, FunctionType, MilvusClient,
                  RRFRanker, WeightedRanker)

DIM = 6
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()


@pytest.fixture
def coll(milvus):
    schema = MilvusClient.create_schema()
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("text", DataType.VARCHAR, max_length=200, enable_analyzer=True)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("tag", DataType.INT64)
    schema.add_function(Function("bm25", FunctionType.BM25, ["text"], ["sparse"]))
    idx = MilvusClient.prepare_index_params()
    idx.add_index("dense", index_type="FLAT", metric_type="IP")
    idx.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    milvus.create_collection("h", schema=schema, index_params=idx)
    rng = random.Random(9)
    milvus.insert("h", [{"id": i, "dense": [rng.uniform(-1, 1) for _ in range(DIM)],
                         "text": " ".join(rng.choice(WORDS) for _ in range(5)),
                         "tag": i % 2} for i in range(200)])
    return milvus, rng


def _fuse(milvus, reqs, score_of):
    fused = {}
    for i, r in enumerate(reqs):
        hits = milvus.search("h", data=r.data, anns_field=r.anns_field, limit=r.limit,
                             filter=r.expr or "", search_params=r.param)[0]
        for rank, h in enumerate(hits):
            fused[h["id"]] = fused.get(h["id"], 0.0) + score_of(i, rank, h["distance"])
    return sorted(fused.items(), key=lambda kv: -kv[1])


def test_milvus_client_hybrid_search(coll):
    milvus, rng = coll
    q = [rng.uniform(-1, 1) for _ in range(DIM)]
    reqs = [AnnSearchRequest([q], "dense", {"metric_type": "IP"}, limit=15, expr="tag == 0"),
            AnnSearchRequest(["gamma delta"], "sparse", {"metric_type": "BM25"}, limit=10)]
    got = milvus.hybrid_search("h", reqs, RRFRanker(10), limit=5, output_fields=["tag"])
    want = _fuse(milvus, reqs, lambda i, rank, s: 1.0 / (10 + rank + 1))[:5]
    assert [h["distance"] for h in got[0]] == pytest.approx([s for _, s in want], abs=1e-6)
    assert all(set(h["entity"]) == {"tag"} for h in got[0])

    got = milvus.hybrid_search("h", reqs, WeightedRanker(0.6, 0.4), limit=8)
    norm = [lambda s: 0.5 + math.atan(s) / math.pi, lambda s: 2 * math.atan(s) / math.pi]
    want = _fuse(milvus, reqs, lambda i, rank, s: [0.6, 0.4][i] * norm[i](s))[:8]
    assert [h["distance"] for h in got[0]] == pytest.approx([s for _, s in want], abs=1e-6)

    with pytest.raises(cove.InvalidArgumentError, match="one weight per search"):
        milvus.hybrid_search("h", reqs, WeightedRanker(1.0), limit=3)


def test_milvus_client_grouped_hybrid_search(coll):
    """Grouping a hybrid search of a dense and a BM25 field: each search
    grouped by "tag", the fused rows bucketed by tag (best row scores the
    group), as computed here from the grouped searches."""
    milvus, rng = coll
    q = [rng.uniform(-1, 1) for _ in range(DIM)]
    reqs = [AnnSearchRequest([q], "dense", {"metric_type": "IP"}, limit=2),
            AnnSearchRequest(["gamma delta"], "sparse", {"metric_type": "BM25"}, limit=2,
                             expr="id > 20")]
    got = milvus.hybrid_search("h", reqs, RRFRanker(10), limit=2, output_fields=["tag"],
                               group_by_field="tag", group_size=3)[0]
    fused, tag = {}, {}
    for r in reqs:
        hits = milvus.search("h", data=r.data, anns_field=r.anns_field, limit=r.limit,
                             filter=r.expr or "", search_params=r.param, output_fields=["tag"],
                             group_by_field="tag", group_size=3)[0]
        assert len(hits) == 6  # two tags, three rows each
        for rank, h in enumerate(hits):
            fused[h["id"]] = fused.get(h["id"], 0.0) + 1.0 / (10 + rank + 1)
            tag[h["id"]] = h["entity"]["tag"]
    groups = {}
    for i, s in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0])):
        members = groups.setdefault(tag[i], [])
        if len(members) < 3:
            members.append((i, s))
    order = sorted(groups.values(), key=lambda m: (-m[0][1], -len(m), m[0][0]))
    want = [m for members in order for m in members]
    assert [h["id"] for h in got] == [i for i, _ in want]
    assert [h["distance"] for h in got] == pytest.approx([s for _, s in want], abs=1e-6)
    assert [h["entity"]["tag"] for h in got] == [tag[i] for i, _ in want]


def test_client_hybrid_search(coll):
    milvus, rng = coll
    q = [rng.uniform(-1, 1) for _ in range(DIM)]
    reqs = [AnnSearchRequest([q], "dense", {"metric_type": "IP"}, limit=10),
            AnnSearchRequest(["alpha"], "sparse", {}, limit=10)]
    res = milvus.client.hybrid_search("h", reqs, RRFRanker(), limit=4, offset=2)
    assert len(res) == 1 and len(res[0].ids) == 4
    full = milvus.client.hybrid_search("h", reqs, RRFRanker(), limit=6)
    assert list(res[0].ids) == list(full[0].ids)[2:6]
