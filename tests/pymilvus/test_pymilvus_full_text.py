"""Full-text search (BM25) through the real pymilvus 2.5 against cove-server.

The collection of pymilvus' and Milvus' full-text search example: an
auto_id key, a VARCHAR with enable_analyzer, a SPARSE_FLOAT_VECTOR filled by
Function(type=BM25), a SPARSE_INVERTED_INDEX with metric BM25; rows carry
only the text; search with raw query texts (data=["..."]) and
drop_ratio_search. Scores are checked against BM25 computed here from the
standard analyzer's tokens (lowercase words), grouping searches of the
BM25 field (group_by_field), and the schema pymilvus reads back in
describe_collection.
"""

import math
import random
import re

import pytest

from pymilvus_support import import_pymilvus

pymilvus = import_pymilvus()
from pymilvus import (  # noqa: E402
    DataType,
    Function,
    FunctionType,
    MilvusClient,
    MilvusException,
)

DOCS = [
    "Information retrieval is a field of study.",
    "Information retrieval focuses on finding relevant information in large datasets.",
    "Data mining and information retrieval overlap in research.",
    "The quick brown fox jumps over the lazy dog.",
    "Retrieval augmented generation feeds retrieved passages to a language model.",
    "A field guide to the birds of the northern forests.",
]


def _tokens(text):
    # The standard analyzer on ASCII text: words, lowercased.
    return re.findall(r"[a-z0-9]+", text.lower())


def _bm25(docs, query, k1=1.2, b=0.75):
    tf = [dict() for _ in docs]
    for d, text in zip(tf, docs):
        for t in _tokens(text):
            d[t] = d.get(t, 0) + 1
    lengths = [sum(d.values()) for d in tf]
    n = len(docs)
    avgdl = sum(lengths) / n
    q = {}
    for t in _tokens(query):
        q[t] = q.get(t, 0) + 1
    scores = {}
    for i, d in enumerate(tf):
        s = 0.0
        shares = False
        for t, qc in q.items():
            if t not in d:
                continue
            shares = True
            df = sum(1 for other in tf if t in other)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            f = d[t]
            s += qc * idf * f * (k1 + 1) / (f + k1 * (1 - b + b * lengths[i] / avgdl))
        if shares:
            scores[docs[i]] = s
    return sorted(scores.items(), key=lambda kv: -kv[1])


def _make(client, name, index_params=None, analyzer=None):
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema()
    schema.add_field(field_name="id", datatype=DataType.INT64, is_primary=True, auto_id=True)
    kwargs = {"analyzer_params": analyzer} if analyzer is not None else {}
    schema.add_field(field_name="text", datatype=DataType.VARCHAR, max_length=1000,
                     enable_analyzer=True, enable_match=True, **kwargs)
    schema.add_field(field_name="sparse", datatype=DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="text_bm25_emb", input_field_names=["text"],
                                 output_field_names=["sparse"],
                                 function_type=FunctionType.BM25))
    if index_params is None:
        index_params = client.prepare_index_params()
        index_params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX",
                               metric_type="BM25",
                               params={"inverted_index_algo": "DAAT_MAXSCORE",
                                       "bm25_k1": 1.2, "bm25_b": 0.75})
    client.create_collection(collection_name=name, schema=schema, index_params=index_params)


def test_full_text_search_example(client):
    name = "fts_demo"
    _make(client, name)
    res = client.insert(name, [{"text": t} for t in DOCS])
    assert res["insert_count"] == len(DOCS)

    queries = ["whats the focus of information retrieval?", "Field of birds"]
    results = client.search(collection_name=name, data=queries, anns_field="sparse",
                            limit=3, output_fields=["text"],
                            search_params={"params": {"drop_ratio_search": 0.0}})
    assert len(results) == 2
    for query, hits in zip(queries, results):
        expect = _bm25(DOCS, query)[:3]
        assert len(hits) == len(expect)
        for hit, (text, score) in zip(hits, expect):
            assert hit["distance"] == pytest.approx(score, rel=1e-4)
            assert hit["entity"]["text"] == text

    # Search-time k1 and b; a filter on the key of a matching row.
    got = client.query(name, filter="id >= 0", output_fields=["text"])
    ids = {r["text"]: r["id"] for r in got}
    hits = client.search(collection_name=name, data=["information retrieval"],
                         anns_field="sparse", limit=5,
                         filter=f"id != {ids[DOCS[0]]}", output_fields=["text"],
                         search_params={"metric_type": "BM25",
                                        "params": {"bm25_k1": 2.0, "bm25_b": 0.5}})[0]
    expect = [(t, s) for t, s in _bm25(DOCS, "information retrieval", 2.0, 0.5)
              if t != DOCS[0]][:5]
    assert [h["entity"]["text"] for h in hits] == [t for t, _ in expect]
    for hit, (_, score) in zip(hits, expect):
        assert hit["distance"] == pytest.approx(score, rel=1e-4)


def test_text_match(client):
    name = "fts_match"
    _make(client, name)
    client.insert(name, [{"text": t} for t in DOCS])
    rows = client.query(name, filter="TEXT_MATCH(text, 'birds datasets')",
                        output_fields=["text"])
    assert sorted(r["text"] for r in rows) == sorted([DOCS[1], DOCS[5]])
    hits = client.search(collection_name=name, data=["information retrieval"],
                         anns_field="sparse", limit=5, output_fields=["text"],
                         filter="TEXT_MATCH(text, 'mining') or TEXT_MATCH(text, 'study')")[0]
    assert sorted(h["entity"]["text"] for h in hits) == sorted([DOCS[0], DOCS[2]])
    with pytest.raises(MilvusException, match="has no enable_match"):
        client.query(name, filter="TEXT_MATCH(id, 'x')")


def test_describe_reads_back_the_schema(client):
    name = "fts_describe"
    _make(client, name, analyzer={"type": "english"})
    d = client.describe_collection(name)
    fields = {f["name"]: f for f in d["fields"]}
    assert fields["text"]["params"]["enable_analyzer"] == "true"
    assert fields["text"]["params"]["enable_match"] == "true"
    assert fields["text"]["params"]["analyzer_params"] == '{"type":"english"}'
    assert fields["sparse"].get("is_function_output") is True
    assert len(d["functions"]) == 1
    fn = d["functions"][0]
    assert fn["name"] == "text_bm25_emb"
    assert fn["type"] == FunctionType.BM25
    assert list(fn["input_field_names"]) == ["text"]
    assert list(fn["output_field_names"]) == ["sparse"]
    # The english analyzer stems: "running" finds "runs".
    client.insert(name, [{"text": "She runs every morning"}, {"text": "A quiet evening"}])
    hits = client.search(collection_name=name, data=["running"], anns_field="sparse",
                         limit=5, output_fields=["*"])[0]
    assert [h["entity"]["text"] for h in hits] == ["She runs every morning"]
    assert "sparse" not in hits[0]["entity"]


def test_refusals(client):
    name = "fts_refusals"
    _make(client, name)
    # The function output is computed by the server; sending it is refused
    # (by pymilvus already; cove-server refuses it too: the conformance suite).
    with pytest.raises(MilvusException, match="function output field"):
        client.insert(name, [{"text": "hello", "sparse": {1: 1.0}}])
    client.insert(name, [{"text": "hello world"}])
    # Milvus' wording, which clients match (the Node SDK's FullTextSearch spec).
    with pytest.raises(MilvusException, match="not allowed to retrieve raw data of field sparse"):
        client.search(collection_name=name, data=["hello"], anns_field="sparse",
                      limit=1, output_fields=["sparse"])
    with pytest.raises(MilvusException, match="not allowed to retrieve raw data of field sparse"):
        client.query(name, filter="id >= 0", output_fields=["text", "sparse"])
    with pytest.raises(MilvusException, match="bm25_k1"):
        client.search(collection_name=name, data=["hello"], anns_field="sparse",
                      limit=1, search_params={"params": {"bm25_k1": 9}})
    # Analyzers cove does not have are refused by name.
    with pytest.raises(MilvusException, match="jieba"):
        _make(client, "fts_jieba", analyzer={"tokenizer": "jieba"})
    # The BM25 metric belongs to function outputs.
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX",
                           metric_type="IP")
    with pytest.raises(MilvusException, match="metric_type must be BM25"):
        _make(client, "fts_ip", index_params=index_params)


def test_group_by_search_of_the_bm25_field(client):
    """Milvus 2.5 groups full-text searches too: walking the BM25 ranking
    best first, at most group_size hits per topic, limit topics."""
    name = "fts_grouping"
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema()
    schema.add_field(field_name="id", datatype=DataType.INT64, is_primary=True)
    schema.add_field(field_name="text", datatype=DataType.VARCHAR, max_length=2000,
                     enable_analyzer=True)
    schema.add_field(field_name="topic", datatype=DataType.VARCHAR, max_length=16)
    schema.add_field(field_name="sparse", datatype=DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="text_bm25", input_field_names=["text"],
                                 output_field_names=["sparse"],
                                 function_type=FunctionType.BM25))
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX",
                           metric_type="BM25")
    client.create_collection(collection_name=name, schema=schema, index_params=index_params)
    words = "river stone cloud maple ember harbor violet copper meadow falcon".split()
    rng = random.Random(7)
    # Every text its own length: BM25 scores do not tie.
    docs = [" ".join(rng.choice(words[:3] if rng.random() < 0.5 else words)
                     for _ in range(3 + i)) for i in range(60)]
    topics = [f"t{i % 6}" for i in range(60)]
    client.insert(name, [{"id": i, "text": docs[i], "topic": topics[i]} for i in range(60)])

    def walk(query, groups, size, keep=lambda i: True):
        by_text = {t: i for i, t in enumerate(docs)}
        out = {}
        for text, score in _bm25(docs, query):
            i = by_text[text]
            if not keep(i):
                continue
            if topics[i] not in out:
                if len(out) == groups:
                    continue
                out[topics[i]] = []
            if len(out[topics[i]]) < size:
                out[topics[i]].append((i, score))
        return [hit for hits in out.values() for hit in hits]

    queries = ["violet harbor", "falcon"]
    res = client.search(collection_name=name, data=queries, anns_field="sparse", limit=3,
                        group_by_field="topic", group_size=2, strict_group_size=True,
                        output_fields=["topic"])
    assert len(res) == 2
    for query, hits in zip(queries, res):
        want = walk(query, 3, 2)
        assert [h["id"] for h in hits] == [i for i, _ in want]
        for hit, (i, score) in zip(hits, want):
            assert hit["distance"] == pytest.approx(score, rel=1e-4)
            assert hit["entity"]["topic"] == topics[i]
    # In search_params, one hit per topic, with a filter.
    hits = client.search(collection_name=name, data=["copper meadow"], anns_field="sparse",
                         limit=4, filter="id >= 10",
                         search_params={"metric_type": "BM25", "params": {},
                                        "group_by_field": "topic"},
                         output_fields=["topic"])[0]
    want = walk("copper meadow", 4, 1, keep=lambda i: i >= 10)
    assert [h["id"] for h in hits] == [i for i, _ in want]
    assert len({h["entity"]["topic"] for h in hits}) == len(hits)
    client.drop_collection(name)
