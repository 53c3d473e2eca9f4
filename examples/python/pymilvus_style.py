#!/usr/bin/env python3
"""The pymilvus quickstart, run on Cove: only the import line differs.

pymilvus' own quickstart (milvus.io, "Quickstart with Milvus Lite") with the
embedding model replaced by random vectors, as its docs also do. With
pymilvus, the first line would be `from pymilvus import MilvusClient`.

    python3 examples/python/pymilvus_style.py      # creates ./milvus_demo.db

docs/python.md shows the script verbatim (a test checks that it matches).
"""
from cove import MilvusClient

import random

client = MilvusClient("milvus_demo.db")

if client.has_collection(collection_name="demo_collection"):
    client.drop_collection(collection_name="demo_collection")
client.create_collection(
    collection_name="demo_collection",
    dimension=768,  # The vectors we will use in this demo have 768 dimensions
)

docs = [
    "Artificial intelligence was founded as an academic discipline in 1956.",
    "Alan Turing was the first person to conduct substantial research in AI.",
    "Born in Maida Vale, London, Turing was raised in southern England.",
]
vectors = [[random.uniform(-1, 1) for _ in range(768)] for _ in docs]
data = [
    {"id": i, "vector": vectors[i], "text": docs[i], "subject": "history"}
    for i in range(len(vectors))
]
res = client.insert(collection_name="demo_collection", data=data)
print(res)

res = client.search(
    collection_name="demo_collection",
    data=[vectors[0]],
    filter="subject == 'history'",
    limit=2,
    output_fields=["text", "subject"],
)
print(res)

res = client.query(
    collection_name="demo_collection",
    filter="subject == 'history'",
    output_fields=["text", "subject"],
)
print(res)

res = client.delete(
    collection_name="demo_collection",
    filter="subject == 'history'",
)
print(res)

# --- Cove-specific checks, so that the example doubles as a test. ---
assert res["delete_count"] == 3, res
assert client.query("demo_collection", output_fields=["count(*)"]) == [{"count(*)": 0}]
client.close()
