"""Scalar indexes through the real pymilvus 2.5 against cove-server.

The flow of pymilvus' index and bitmap examples: a collection with a vector
index, rows inserted, then STL_SORT, Trie, BITMAP and INVERTED indexes on
scalar fields (BITMAP on an ARRAY field too) created with prepare_index_params().add_index(...), listed and
described (rows indexed, no metric), filters queried and searched with the
indexes checked against the answers before them and against a recount in
Python, index types a field's type does not take refused, and a drop.
"""

import random

import pytest

from pymilvus_support import import_pymilvus

pymilvus = import_pymilvus()
from pymilvus import DataType, MilvusClient, MilvusException  # noqa: E402

COLORS = ["red", "green", "blue", "black", "brown", "", "bl\u00e9"]

# (filter, the rows it selects)
FILTERS = [
    ("age == 7", lambda r: r["age"] == 7),
    ("age != 7", lambda r: r["age"] != 7),
    ("age in [1, 2, 3, 99]", lambda r: r["age"] in (1, 2, 3, 99)),
    ("age not in [1, 2, 3]", lambda r: r["age"] not in (1, 2, 3)),
    ("10 <= age < 20", lambda r: 10 <= r["age"] < 20),
    ("age > 2.5 and age <= 4", lambda r: 2.5 < r["age"] <= 4),
    ('color like "bl%"', lambda r: r["color"].startswith("bl")),
    ('color == "red"', lambda r: r["color"] == "red"),
    ('color in ["green", "blue"]', lambda r: r["color"] in ("green", "blue")),
    ('color > "brown"', lambda r: r["color"] > "brown"),
    ("flag", lambda r: r["flag"]),
    ("flag == false and age < 10", lambda r: not r["flag"] and r["age"] < 10),
    ('not (age < 30) or color == "black"',
     lambda r: not r["age"] < 30 or r["color"] == "black"),
    ("tag == 3", lambda r: r["tag"] is not None and r["tag"] == 3),
    ("tag != 3", lambda r: r["tag"] is not None and r["tag"] != 3),
    ("tag is null", lambda r: r["tag"] is None),
    ("score >= 2.5 and tag in [0, 1]",
     lambda r: r["score"] >= 2.5 and r["tag"] in (0, 1)),
    ("id % 7 == 0 and age < 50", lambda r: r["id"] % 7 == 0 and r["age"] < 50),
    ("array_contains(nums, 3)", lambda r: 3 in r["nums"]),
    ("array_contains_any(nums, [1, 9]) and flag",
     lambda r: (1 in r["nums"] or 9 in r["nums"]) and r["flag"]),
    ("array_contains_all(nums, [2, 4])", lambda r: 2 in r["nums"] and 4 in r["nums"]),
]


def _ids(client, name, flt):
    return sorted(r["id"] for r in client.query(name, filter=flt, output_fields=["id"]))


def _search(client, name, flt):
    res = client.search(name, data=[[0.5, 0.5, 0.5, 0.5]], anns_field="vec", limit=10,
                        filter=flt, search_params={"metric_type": "L2"})
    return [round(h["distance"], 5) for h in res[0]]


def test_scalar_indexes_filter_as_before(client):
    name = "scalar_indexes"
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("age", DataType.INT64)
    schema.add_field("score", DataType.DOUBLE)
    schema.add_field("color", DataType.VARCHAR, max_length=32)
    schema.add_field("flag", DataType.BOOL)
    schema.add_field("tag", DataType.INT32, nullable=True)
    schema.add_field("nums", DataType.ARRAY, element_type=DataType.INT64, max_capacity=5)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=4)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="vec", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=index_params)

    rng = random.Random(15)
    rows = [{"id": i, "age": rng.randrange(100), "score": rng.randrange(10) * 0.5,
             "color": rng.choice(COLORS), "flag": rng.random() < 0.3,
             "tag": None if rng.random() < 0.1 else rng.randrange(6),
             "nums": [rng.randrange(10) for _ in range(rng.randrange(6))],
             "vec": [rng.random() for _ in range(4)]} for i in range(3000)]
    assert client.insert(name, rows)["insert_count"] == 3000
    client.delete(name, ids=list(range(0, 3000, 11)))
    live = [r for r in rows if r["id"] % 11 != 0]
    client.flush(name)

    before = {f: _ids(client, name, f) for f, _ in FILTERS}
    searched = {f: _search(client, name, f) for f, _ in FILTERS[::3]}
    for f, pred in FILTERS:
        assert before[f] == sorted(r["id"] for r in live if pred(r)), f

    # Index types a field's type does not take are refused, naming both.
    for field, index_type, words in [("color", "STL_SORT", "VARCHAR"),
                                     ("age", "Trie", "INT64"),
                                     ("score", "BITMAP", "DOUBLE"),
                                     ("id", "BITMAP", "primary key"),
                                     ("nums", "STL_SORT", "ARRAY")]:
        bad = client.prepare_index_params()
        bad.add_index(field_name=field, index_type=index_type, index_name=f"bad_{field}")
        with pytest.raises(MilvusException) as e:
            client.create_index(name, bad)
        assert index_type in str(e.value) and words in str(e.value)

    index_params = client.prepare_index_params()
    index_params.add_index(field_name="age", index_type="STL_SORT", index_name="age_idx")
    index_params.add_index(field_name="color", index_type="Trie")
    index_params.add_index(field_name="flag", index_type="BITMAP")
    index_params.add_index(field_name="tag", index_type="INVERTED")
    index_params.add_index(field_name="score")  # AUTOINDEX
    index_params.add_index(field_name="nums", index_type="BITMAP")
    # sync=False: pymilvus sleeps 0.5 s before each state check; the flush
    # waits for the builds instead.
    client.create_index(name, index_params, sync=False)
    client.flush(name)

    assert sorted(client.list_indexes(name)) == sorted(
        ["vec", "age_idx", "color", "flag", "tag", "score", "nums"])
    assert client.list_indexes(name, field_name="age") == ["age_idx"]
    desc = client.describe_index(name, "age_idx")
    assert desc["index_type"] == "STL_SORT"
    assert desc["field_name"] == "age"
    assert "metric_type" not in desc  # a scalar index has no metric
    assert desc["total_rows"] == len(live)
    assert desc["indexed_rows"] == len(live)
    assert desc["pending_index_rows"] == 0
    assert desc["state"] == "Finished"
    assert client.describe_index(name, "color")["index_type"] == "Trie"
    assert client.describe_index(name, "score")["index_type"] == "AUTOINDEX"
    # The same index again is a no-op, as in Milvus.
    again = client.prepare_index_params()
    again.add_index(field_name="flag", index_type="BITMAP")
    client.create_index(name, again)

    for f, _ in FILTERS:
        assert _ids(client, name, f) == before[f], f
    for f, want in searched.items():
        assert _search(client, name, f) == want, f

    # Writes after the indexes: upserts of indexed rows, new growing rows.
    upserts = [dict(r, age=7, color="blue") for r in live[:50]]
    client.upsert(name, upserts)
    by_id = {r["id"]: r for r in live}
    by_id.update({r["id"]: r for r in upserts})
    for f, pred in FILTERS:
        assert _ids(client, name, f) == sorted(i for i, r in by_id.items() if pred(r)), f

    client.drop_index(name, "age_idx")
    assert "age_idx" not in client.list_indexes(name)
    for f, pred in FILTERS:
        assert _ids(client, name, f) == sorted(i for i, r in by_id.items() if pred(r)), f
    client.drop_collection(name)
