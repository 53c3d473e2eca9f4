"""Full-text search (BM25) in the Python package: cove.MilvusClient with
pymilvus' names (Function, FunctionType.BM25, enable_analyzer,
analyzer_params, raw-text search) and cove.Client, embedded; scores checked
against BM25 computed here from the standard analyzer's tokens."""

import math
import re

import pytest

import cove
from cove import DataType, Function, FunctionType, MilvusClient

DOCS = [
    "Information retrieval is a field of study.",
    "Information retrieval focuses on finding relevant information in large datasets.",
    "Data mining and information retrieval overlap in research.",
    "The quick brown fox jumps over the lazy dog.",
    "A field guide to the birds of the northern forests.",
]


def _tokens(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def _bm25(docs, query, k1=1.2, b=0.75):
    tf = []
    for text in docs:
        d = {}
        for t in _tokens(text):
            d[t] = d.get(t, 0) + 1
        tf.append(d)
    lengths = [sum(d.values()) for d in tf]
    n, avgdl = len(docs), sum(lengths) / len(docs)
    q = {}
    for t in _tokens(query):
        q[t] = q.get(t, 0) + 1
    out = {}
    for i, d in enumerate(tf):
        common = [t for t in q if t in d]
        if not common:
            continue
        s = 0.0
        for t in common:
            df = sum(1 for o in tf if t in o)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            s += q[t] * idf * d[t] * (k1 + 1) / (d[t] + k1 * (1 - b + b * lengths[i] / avgdl))
        out[docs[i]] = s
    return sorted(out.items(), key=lambda kv: -kv[1])


def _schema(analyzer=None):
    schema = MilvusClient.create_schema()
    schema.add_field(field_name="id", datatype=DataType.INT64, is_primary=True, auto_id=True)
    kwargs = {} if analyzer is None else {"analyzer_params": analyzer}
    schema.add_field(field_name="text", datatype=DataType.VARCHAR, max_length=1000,
                     enable_analyzer=True, enable_match=True, **kwargs)
    schema.add_field(field_name="sparse", datatype=DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="text_bm25_emb", input_field_names=["text"],
                                 output_field_names=["sparse"],
                                 function_type=FunctionType.BM25))
    return schema


def _index():
    index_params = MilvusClient.prepare_index_params()
    index_params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX",
                           metric_type="BM25", params={"bm25_k1": 1.2, "bm25_b": 0.75})
    return index_params


def test_milvus_client_full_text_search(milvus):
    milvus.create_collection("fts", schema=_schema(), index_params=_index())
    assert milvus.insert("fts", [{"text": t} for t in DOCS])["insert_count"] == len(DOCS)
    query = "whats the focus of information retrieval?"
    res = milvus.search("fts", data=[query], anns_field="sparse", limit=3,
                        output_fields=["text"],
                        search_params={"params": {"drop_ratio_search": 0.0}})
    expect = _bm25(DOCS, query)[:3]
    assert [h["entity"]["text"] for h in res[0]] == [t for t, _ in expect]
    for hit, (_, score) in zip(res[0], expect):
        assert hit["distance"] == pytest.approx(score, rel=1e-4)
    # Search-time k1/b, a filter and "*" (the BM25 output is left out).
    res = milvus.search("fts", data=["field"], anns_field="sparse", limit=5,
                        filter="text like 'A %'", output_fields=["*"],
                        search_params={"params": {"bm25_k1": 2.0, "bm25_b": 0.2}})
    assert [h["entity"]["text"] for h in res[0]] == [DOCS[4]]
    assert res[0][0]["distance"] == pytest.approx(dict(_bm25(DOCS, "field", 2.0, 0.2))[DOCS[4]],
                                                  rel=1e-4)
    assert "sparse" not in res[0][0]["entity"]

    # TEXT_MATCH: any analyzed term, combined with other filters.
    rows = milvus.query("fts", filter="TEXT_MATCH(text, 'birds mining') and id >= 0",
                        output_fields=["text"])
    assert sorted(r["text"] for r in rows) == sorted([DOCS[2], DOCS[4]])
    with pytest.raises(cove.InvalidArgumentError, match="has no enable_match"):
        milvus.query("fts", filter="TEXT_MATCH(id, 'x')")

    d = milvus.describe_collection("fts")
    fields = {f["name"]: f for f in d["fields"]}
    assert fields["text"]["params"]["enable_analyzer"] == "true"
    assert fields["text"]["params"]["enable_match"] == "true"
    assert fields["sparse"]["is_function_output"] is True
    assert d["functions"][0]["name"] == "text_bm25_emb"
    assert d["functions"][0]["type"] == FunctionType.BM25
    assert d["functions"][0]["input_field_names"] == ["text"]
    assert d["functions"][0]["output_field_names"] == ["sparse"]


def test_client_full_text_search_english(client):
    schema = _schema(analyzer={"type": "english"})
    assert schema.fields[1].analyzer_params == '{"type":"english"}'
    client.create_collection("fts", schema=schema, indexes=_index())
    client.insert("fts", [{"text": "She runs every morning"}, {"text": "A quiet evening"}])
    res = client.search("fts", ["running"], anns_field="sparse", limit=3,
                        output_fields=["text"])
    assert len(res) == 1 and len(res[0].ids) == 1
    assert res[0].entities[0]["text"] == "She runs every morning"
    described = client.describe_collection("fts").schema
    assert described.fields[1].analyzer_params == '{"type":"english"}'
    assert described.fields[2].is_function_output
    assert described.functions[0].output_field_names == ["sparse"]


def test_refusals(milvus):
    milvus.create_collection("fts", schema=_schema(), index_params=_index())
    with pytest.raises(cove.InvalidArgumentError, match="unexpected function output field"):
        milvus.insert("fts", [{"text": "hello", "sparse": {"1": 1.0}}])
    milvus.insert("fts", [{"text": "hello world"}])
    with pytest.raises(cove.InvalidArgumentError, match="not allowed to retrieve raw data"):
        milvus.search("fts", data=["hello"], anns_field="sparse", output_fields=["sparse"])
    with pytest.raises(cove.InvalidArgumentError, match="jieba"):
        milvus.create_collection("other", schema=_schema(analyzer={"tokenizer": "jieba"}))
    with pytest.raises(cove.UnimplementedError, match="multi_analyzer_params"):
        MilvusClient.create_schema().add_field("t", DataType.VARCHAR, max_length=10,
                                               multi_analyzer_params={"analyzers": {}})
    bad = _schema()
    bad.add_function(Function("embed", FunctionType.TEXTEMBEDDING, ["text"], ["sparse"]))
    with pytest.raises(cove.UnimplementedError, match="TEXTEMBEDDING"):
        milvus.create_collection("other", schema=bad)
