#!/usr/bin/env python3
"""Quickstart: the embedded engine from Python, with numpy in and out.

Creates a collection with a schema, inserts 5,000 vectors with scalar fields
(a numpy column insert), searches with a filter and prints the hits. Runs
in-process: no server. Exits non-zero if anything is wrong.

    python3 examples/python/quickstart.py [URI]      # default ":memory:"
"""

import sys

import numpy as np

import cove

DIM = 64
ROWS = 5000


def main(uri: str) -> int:
    rng = np.random.default_rng(7)
    with cove.Client(uri) as client:
        if client.has_collection("products"):
            client.drop_collection("products")

        # A schema: an INT64 key, a vector, two scalar fields, dynamic fields on.
        schema = cove.CollectionSchema(enable_dynamic_field=True)
        schema.add_field("id", cove.DataType.INT64, is_primary=True)
        schema.add_field("embedding", cove.DataType.FLOAT_VECTOR, dim=DIM)
        schema.add_field("category", cove.DataType.VARCHAR, max_length=32)
        schema.add_field("price", cove.DataType.DOUBLE)
        index = cove.IndexParams()
        index.add_index("embedding", index_type="HNSW", metric_type="L2",
                        params={"M": 16, "efConstruction": 200})
        client.create_collection("products", schema=schema, indexes=index)

        # Insert columns: a float32 (ROWS, DIM) matrix is read in place.
        categories = np.array(["books", "music", "games", "tools"])
        result = client.insert("products", {
            "id": np.arange(ROWS),
            "embedding": rng.standard_normal((ROWS, DIM), dtype=np.float32),
            "category": categories[np.arange(ROWS) % 4].tolist(),
            "price": (np.arange(ROWS) % 100).astype(np.float64),
            "in_stock": (np.arange(ROWS) % 3 != 0).tolist(),  # a dynamic field
        })
        print(f"inserted {result.count} rows")

        # Search two query vectors, keeping cheap books that are in stock.
        queries = rng.standard_normal((2, DIM), dtype=np.float32)
        hits = client.search("products", queries, limit=5,
                             filter="category == {cat} and price < 50 and in_stock == true",
                             filter_params={"cat": "books"},
                             output_fields=["category", "price", "in_stock"],
                             params={"ef": 64})
        for q, query_hits in enumerate(hits):
            print(f"query {q}: ids={query_hits.ids.tolist()}")
            for hit in query_hits:
                e = hit.entity
                print(f"  id={hit.id} distance={hit.distance:.3f} category={e['category']} "
                      f"price={e['price']} in_stock={e['in_stock']}")
                if e["category"] != "books" or e["price"] >= 50 or not e["in_stock"]:
                    print("quickstart: a hit does not match the filter", file=sys.stderr)
                    return 1
            if len(query_hits) != 5 or not np.all(np.diff(query_hits.distances) >= 0):
                print("quickstart: expected 5 hits, closest first", file=sys.stderr)
                return 1

        counted = client.count("products", 'category in ["books", "music"]')
        print(f"books and music: {counted}")
        if counted != ROWS // 2:
            print("quickstart: wrong count", file=sys.stderr)
            return 1
        try:
            client.describe_collection("no_such_collection")
        except cove.NotFoundError as e:  # also a LookupError
            print(f"as expected: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ":memory:"))
