"""RAG-style retrieval with cove.MilvusClient: full-text (BM25) search, a
TEXT_MATCH filter, and a hybrid search fusing BM25 with a dense vector
search (RRF), over the paragraphs of a real text (the GPL-3).

The dense vectors here come from a small hashed bag-of-words embedding so
that the example needs no model; a real application would use an embedding
model. Exits non-zero when a result is not what it should be.
"""

import hashlib
import math
import re
import sys

from cove import (AnnSearchRequest, DataType, Function, FunctionType, MilvusClient,
                  RRFRanker)

DIM = 64


def embed(text):
    """A unit vector of hashed word counts (a stand-in for a real model)."""
    v = [0.0] * DIM
    for word in re.findall(r"[a-z]+", text.lower()):
        v[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
    n = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / n for x in v]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/common-licenses/GPL-3"
    with open(path, encoding="utf-8") as f:
        docs = [p for p in f.read().split("\n\n") if len(p) > 20]

    client = MilvusClient(":memory:")
    schema = MilvusClient.create_schema()
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                     analyzer_params={"type": "english"}, enable_match=True)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                 input_field_names=["text"], output_field_names=["sparse"]))
    index_params = MilvusClient.prepare_index_params()
    index_params.add_index("dense", index_type="HNSW", metric_type="COSINE")
    index_params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    client.create_collection("license", schema=schema, index_params=index_params)
    res = client.insert("license", [{"id": i, "text": t, "dense": embed(t)}
                                    for i, t in enumerate(docs)])
    print(f"inserted {res['insert_count']} paragraphs")

    question = "Can I charge a fee for conveying copies?"
    # Full-text search: the question's words, scored by BM25.
    bm25 = client.search("license", data=[question], anns_field="sparse", limit=3,
                         output_fields=["text"])[0]
    # A keyword filter: paragraphs that mention a warranty.
    matched = client.query("license", filter="TEXT_MATCH(text, 'warranty')",
                           output_fields=["text"])
    if not matched or any("warrant" not in r["text"].lower() for r in matched):
        sys.exit("TEXT_MATCH returned a paragraph without the word")
    print(f"{len(matched)} paragraphs mention a warranty")
    # Hybrid: BM25 and the dense search, fused by reciprocal rank.
    reqs = [AnnSearchRequest([question], "sparse", {"metric_type": "BM25"}, limit=20),
            AnnSearchRequest([embed(question)], "dense", {"metric_type": "COSINE"}, limit=20)]
    hybrid = client.hybrid_search("license", reqs, RRFRanker(60), limit=3,
                                  output_fields=["text"])[0]
    for title, hits in (("BM25", bm25), ("hybrid (RRF)", hybrid)):
        print(f"{title}:")
        for h in hits:
            snippet = " ".join(h["entity"]["text"].split())[:80]
            print(f"  {h['id']:4d}  {h['distance']:.4f}  {snippet}")
    if not bm25 or not hybrid:
        sys.exit("no hits")
    if any("fee" not in h["entity"]["text"].lower() and "charge" not in
           h["entity"]["text"].lower() for h in bm25[:1]):
        sys.exit("the best BM25 hit does not mention a fee or a charge")
    # RRF scores: at most 2 / (60 + 1), decreasing.
    scores = [h["distance"] for h in hybrid]
    if scores != sorted(scores, reverse=True) or scores[0] > 2 / 61 + 1e-6:
        sys.exit(f"unexpected fused scores {scores}")


if __name__ == "__main__":
    main()
