"""Hybrid search through the real pymilvus 2.5 against cove-server.

As pymilvus' hybrid_search example: a collection with two dense vector
fields and (RAG style) a BM25 full-text field; AnnSearchRequests with their
own params, filters and limits, fused by RRFRanker and WeightedRanker. The
fused hits are checked against a fusion computed here from the same
searches run one by one (Milvus' formulas: 1 / (k + rank); weights times
scores normalized by metric with arctan).
"""

import math
import random

import pytest

from pymilvus_support import import_pymilvus

pymilvus = import_pymilvus()
from pymilvus import (  # noqa: E402
    AnnSearchRequest,
    DataType,
    Function,
    FunctionType,
    MilvusClient,
    MilvusException,
    RRFRanker,
    WeightedRanker,
)

DIM = 8
WORDS = ("vector database search engine retrieval text sparse dense hybrid rank "
         "fusion query document index graph cluster").split()


def _normalize(metric, s):
    if metric == "COSINE":
        return (1 + s) * 0.5
    if metric == "IP":
        return 0.5 + math.atan(s) / math.pi
    if metric == "BM25":
        return 2 * math.atan(s) / math.pi
    return 1 - 2 * math.atan(s) / math.pi  # L2


@pytest.fixture
def films(client):
    name = "hybrid_films"
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema()
    schema.add_field("film_id", DataType.INT64, is_primary=True)
    schema.add_field("filmVector", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("posterVector", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("plot", DataType.VARCHAR, max_length=1000, enable_analyzer=True)
    schema.add_field("plot_sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("year", DataType.INT64)
    schema.add_function(Function(name="plot_bm25", function_type=FunctionType.BM25,
                                 input_field_names=["plot"],
                                 output_field_names=["plot_sparse"]))
    index_params = client.prepare_index_params()
    index_params.add_index("filmVector", index_type="FLAT", metric_type="L2")
    index_params.add_index("posterVector", index_type="HNSW", metric_type="COSINE",
                           params={"M": 16, "efConstruction": 64})
    index_params.add_index("plot_sparse", index_type="SPARSE_INVERTED_INDEX",
                           metric_type="BM25")
    client.create_collection(name, schema=schema, index_params=index_params)
    rng = random.Random(3)
    rows = [{"film_id": i,
             "filmVector": [rng.uniform(-1, 1) for _ in range(DIM)],
             "posterVector": [rng.uniform(-1, 1) for _ in range(DIM)],
             "plot": " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))),
             "year": 1990 + i % 30}
            for i in range(300)]
    client.insert(name, rows)
    return name, rng


def _requests(rng):
    film = [[rng.uniform(-1, 1) for _ in range(DIM)] for _ in range(2)]
    poster = [[rng.uniform(-1, 1) for _ in range(DIM)] for _ in range(2)]
    return [
        AnnSearchRequest(data=film, anns_field="filmVector",
                         param={"metric_type": "L2", "params": {"nprobe": 10}}, limit=20,
                         expr="year > 2000"),
        AnnSearchRequest(data=poster, anns_field="posterVector",
                         param={"metric_type": "COSINE", "params": {"ef": 200}}, limit=15),
        AnnSearchRequest(data=["hybrid rank fusion", "sparse vector search"],
                         anns_field="plot_sparse", param={"metric_type": "BM25"}, limit=25,
                         expr="year <= 2010"),
    ], ["L2", "COSINE", "BM25"]


def _fuse(client, name, reqs, metrics, score_of):
    fused = [dict(), dict()]
    for i, req in enumerate(reqs):
        res = client.search(name, data=req.data, anns_field=req.anns_field, limit=req.limit,
                            filter=req.expr or "", search_params=req.param)
        for q, hits in enumerate(res):
            for rank, hit in enumerate(hits):
                fused[q][hit["film_id"]] = fused[q].get(hit["film_id"], 0.0) + score_of(
                    i, rank, metrics[i], hit["distance"])
    return [sorted(f.items(), key=lambda kv: -kv[1]) for f in fused]


def _check(got, want, limit):
    assert len(got) == len(want)
    for hits, full in zip(got, want):
        expect = full[:limit]
        assert len(hits) == len(expect)
        for hit, (i, score) in zip(hits, expect):
            assert hit["distance"] == pytest.approx(score, abs=1e-5)
        # Rows with distinct fused scores (among all fused rows) come in the
        # same order.
        for hit, (i, score) in zip(hits, expect):
            if sum(1 for _, s in full if abs(s - score) < 1e-9) == 1:
                assert hit["film_id"] == i


def test_hybrid_search_rrf(client, films):
    name, rng = films
    reqs, metrics = _requests(rng)
    got = client.hybrid_search(name, reqs, RRFRanker(60), limit=10,
                               output_fields=["year", "plot"])
    want = _fuse(client, name, reqs, metrics, lambda i, rank, m, s: 1.0 / (60 + rank + 1))
    _check(got, want, 10)
    for hit in got[0]:
        assert {"year", "plot"} <= set(hit["entity"])


def test_hybrid_search_weighted(client, films):
    name, rng = films
    reqs, metrics = _requests(rng)
    weights = [0.8, 0.2, 0.5]
    got = client.hybrid_search(name, reqs, WeightedRanker(*weights), limit=12)
    want = _fuse(client, name, reqs, metrics,
                 lambda i, rank, m, s: weights[i] * _normalize(m, s))
    _check(got, want, 12)


def test_hybrid_search_refusals(client, films):
    name, rng = films
    reqs, _ = _requests(rng)
    with pytest.raises(MilvusException, match="one weight per search"):
        client.hybrid_search(name, reqs, WeightedRanker(0.5, 0.5), limit=5)


def test_hybrid_search_grouping(client, films):
    """Milvus 2.5's hybrid group-by: each search groups by "year", the fused
    rows come in groups of at most group_size, a group scored by its best
    row (rank_group_scorer max) or the sum of its rows; two dense searches,
    and a dense and a full-text (BM25) one."""
    name, rng = films
    all_reqs = _requests(rng)[0]
    for reqs, scorer in ((all_reqs[:2], "max"), (all_reqs[:2], "sum"),
                         ([all_reqs[0], all_reqs[2]], "max"),
                         ([all_reqs[0], all_reqs[2]], "sum")):
        got = client.hybrid_search(name, reqs, RRFRanker(20), limit=4, output_fields=["year"],
                                   group_by_field="year", group_size=2,
                                   rank_group_scorer=scorer)
        # The oracle: the grouped searches one by one, fused and grouped here.
        fused = [dict(), dict()]
        year = {}
        for req in reqs:
            res = client.search(name, data=req.data, anns_field=req.anns_field,
                                limit=req.limit, filter=req.expr or "",
                                search_params=req.param, output_fields=["year"],
                                group_by_field="year", group_size=2)
            for q, hits in enumerate(res):
                for rank, hit in enumerate(hits):
                    fid = hit["film_id"]
                    fused[q][fid] = fused[q].get(fid, 0.0) + 1.0 / (20 + rank + 1)
                    year[fid] = hit["entity"]["year"]
        for q, hits in enumerate(got):
            rows = sorted(fused[q].items(), key=lambda kv: (-kv[1], kv[0]))
            groups = {}
            for fid, score in rows:
                members = groups.setdefault(year[fid], [])
                if len(members) < 2:
                    members.append((fid, score))
            def group_score(members):
                scores = [s for _, s in members]
                return max(scores) if scorer == "max" else sum(scores)
            order = sorted(groups.values(),
                           key=lambda m: (-group_score(m), -len(m), m[0][0]))[:4]
            want = [fid for members in order for fid, _ in members]
            assert [h["film_id"] for h in hits] == want
            for hit in hits:
                assert hit["entity"]["year"] == year[hit["film_id"]]
            per_year = {}
            for hit in hits:
                per_year[hit["entity"]["year"]] = per_year.get(hit["entity"]["year"], 0) + 1
            assert len(per_year) <= 4 and max(per_year.values()) <= 2
