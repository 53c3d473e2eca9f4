"""Partition keys through the real pymilvus 2.5 against cove-server.

As in Milvus, a collection with a partition key field has its rows hashed by
the key into num_partitions partitions named _default_0 .. _default_{n-1}
(list_partitions shows them; partitions are not named by hand), and a
filter that pins the key (`key == v`, `key in [...]`, conjunctions with
those) reads only the partitions of those values. The hash is Cove's own,
documented in docs/compatibility.md: MurmurHash3 x86_32 (seed 0) of a
VARCHAR's UTF-8 bytes or an INT64's 8 little-endian bytes, modulo n;
this file recomputes it in Python to check where every row went. Results
are checked against a recount in Python: pruning never changes them.
"""

import json
import random
import time

import numpy as np
import pytest

from pymilvus_support import ROOT_PASSWORD, import_pymilvus

pymilvus = import_pymilvus()
from pymilvus import DataType, MilvusClient, MilvusException, connections, utility  # noqa: E402

DIM = 8


def murmur3_32(data, seed=0):
    c1, c2 = 0xCC9E2D51, 0x1B873593
    mask = 0xFFFFFFFF

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & mask

    h = seed
    n = len(data)
    end = n - n % 4
    for i in range(0, end, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = rotl((k * c1) & mask, 15)
        h ^= (k * c2) & mask
        h = (rotl(h, 13) * 5 + 0xE6546B64) & mask
    tail = data[end:]
    if tail:
        k = int.from_bytes(tail, "little")
        k = rotl((k * c1) & mask, 15)
        h ^= (k * c2) & mask
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    return h ^ (h >> 16)


def slot(key, n):
    if isinstance(key, int):
        data = key.to_bytes(8, "little", signed=True)
    else:
        data = key.encode("utf-8")
    return murmur3_32(data) % n


def test_murmur3_reference_values():
    assert murmur3_32(b"") == 0
    assert murmur3_32(b"a") == 0x3C2569B2
    assert murmur3_32(b"hello") == 0x248BFA47


def _make(client, name, key_type, num_partitions=None):
    client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=DIM)
    if key_type == DataType.VARCHAR:
        schema.add_field("key", DataType.VARCHAR, max_length=16, is_partition_key=True)
    else:
        schema.add_field("key", DataType.INT64, is_partition_key=True)
    schema.add_field("n", DataType.INT64)
    index = client.prepare_index_params()
    index.add_index("vec", index_type="FLAT", metric_type="L2")
    kwargs = {} if num_partitions is None else {"num_partitions": num_partitions}
    client.create_collection(name, schema=schema, index_params=index, **kwargs)


def _expect_spread(client, name, rows, n):
    want = [0] * n
    for r in rows.values():
        want[slot(r["key"], n)] += 1
    got = [client.get_partition_stats(name, f"_default_{p}")["row_count"] for p in range(n)]
    assert got == want
    assert sum(1 for c in got if c > 0) > 1  # spread, not all in one


def _ids(client, name, flt):
    return sorted(r["id"] for r in client.query(name, filter=flt, output_fields=["id"]))


def _search_ids(client, name, vec, flt, limit=5):
    hits = client.search(name, data=[vec], limit=limit, filter=flt, output_fields=["id"])
    return [(h["id"], round(h["distance"], 4)) for h in hits[0]]


def _brute(rows, vec, pred, limit=5):
    scored = sorted((float(np.sum((np.array(r["vec"]) - vec) ** 2)), r["id"])
                    for r in rows.values() if pred(r))
    return [(i, round(d, 4)) for d, i in scored[:limit]]


@pytest.mark.parametrize("key_type", [DataType.VARCHAR, DataType.INT64])
def test_partition_key_spreads_prunes_and_answers_the_same(client, key_type):
    name = f"pkey_{key_type.name.lower()}"
    n = 8 if key_type == DataType.VARCHAR else 16
    _make(client, name, key_type, num_partitions=8 if key_type == DataType.VARCHAR else None)
    desc = client.describe_collection(name)
    assert desc["num_partitions"] == n
    assert client.list_partitions(name) == [f"_default_{p}" for p in range(n)]
    assert not client.has_partition(name, "_default")
    assert client.has_partition(name, f"_default_{n - 1}")

    rng = random.Random(15)
    keys = ([f"t{i}" for i in range(20)] if key_type == DataType.VARCHAR
            else [i * 1000003 - 7 for i in range(20)])
    rows = {}
    for i in range(300):
        rows[i] = {"id": i, "vec": [rng.gauss(0, 1) for _ in range(DIM)],
                   "key": rng.choice(keys), "n": rng.randrange(100)}
    client.insert(name, list(rows.values()))
    _expect_spread(client, name, rows, n)

    def lit(k):
        return f'"{k}"' if isinstance(k, str) else str(k)

    a, b, c = keys[3], keys[7], keys[11]
    filters = [
        (f"key == {lit(a)}", lambda r: r["key"] == a),
        (f"key in [{lit(a)}, {lit(b)}]", lambda r: r["key"] in (a, b)),
        (f"key == {lit(b)} and n > 40", lambda r: r["key"] == b and r["n"] > 40),
        (f"n < 70 and (key == {lit(a)} or key == {lit(c)})",
         lambda r: r["n"] < 70 and r["key"] in (a, c)),
        (f"key == {lit(a)} or n > 90", lambda r: r["key"] == a or r["n"] > 90),
        (f"key != {lit(a)} and n < 10", lambda r: r["key"] != a and r["n"] < 10),
        (f"not (key == {lit(b)}) and n > 95", lambda r: r["key"] != b and r["n"] > 95),
    ]
    query_vec = np.array([rng.gauss(0, 1) for _ in range(DIM)])
    for flt, pred in filters:
        assert _ids(client, name, flt) == sorted(r["id"] for r in rows.values() if pred(r)), flt
        assert _search_ids(client, name, query_vec.tolist(), flt) == _brute(
            rows, query_vec, pred), flt

    # An upsert that changes the key moves the row; deletes find rows by id
    # wherever they are, and by a pinned filter.
    moved = dict(rows[5], key=c if rows[5]["key"] != c else b)
    client.upsert(name, [moved])
    rows[5] = moved
    _expect_spread(client, name, rows, n)
    assert 5 in _ids(client, name, f"key == {lit(moved['key'])}")
    client.delete(name, ids=[5, 6, 7])
    for i in (5, 6, 7):
        rows.pop(i)
    client.delete(name, filter=f"key == {lit(a)} and n < 50")
    rows = {i: r for i, r in rows.items() if not (r["key"] == a and r["n"] < 50)}
    _expect_spread(client, name, rows, n)
    for flt, pred in filters:
        assert _ids(client, name, flt) == sorted(r["id"] for r in rows.values() if pred(r)), flt
    client.drop_collection(name)


def test_partitions_are_not_named_by_hand(client):
    name = "pkey_refusals"
    _make(client, name, DataType.VARCHAR, num_partitions=4)
    row = {"id": 1, "vec": [0.0] * DIM, "key": "x", "n": 0}
    client.insert(name, [row])
    milvus_says = "if partition key mode is used"
    with pytest.raises(MilvusException, match="disable create partition " + milvus_says):
        client.create_partition(name, "p1")
    with pytest.raises(MilvusException, match="disable drop partition " + milvus_says):
        client.drop_partition(name, "_default_1")
    with pytest.raises(MilvusException, match="disable load partitions " + milvus_says):
        client.load_partitions(name, ["_default_1"])
    with pytest.raises(MilvusException, match="disable release partitions " + milvus_says):
        client.release_partitions(name, ["_default_1"])
    manual = "not support manually specifying the partition names " + milvus_says
    with pytest.raises(MilvusException, match=manual):
        client.insert(name, [row], partition_name="_default_0")
    with pytest.raises(MilvusException, match=manual):
        client.query(name, filter="n >= 0", partition_names=["_default_0"])
    with pytest.raises(MilvusException, match=manual):
        client.search(name, data=[[0.0] * DIM], limit=1, partition_names=["_default_0"])
    with pytest.raises(MilvusException, match=manual):
        client.delete(name, ids=[1], partition_name="_default_0")
    # The collection still answers.
    assert client.query(name, filter='key == "x"', output_fields=["id"]) == [{"id": 1}]
    client.drop_collection(name)


def test_bulk_import_spreads_rows_by_the_key(server, client):
    name = "pkey_import"
    _make(client, name, DataType.VARCHAR, num_partitions=4)
    rows = {i: {"id": i, "vec": [float(i)] * DIM, "key": f"k{i % 9}", "n": i} for i in range(50)}
    (server.import_dir / "pkey_rows.json").write_text(json.dumps({"rows": list(rows.values())}))
    alias = "pkey_import"
    connections.connect(alias, uri=server.uri, token=f"root:{ROOT_PASSWORD}")
    try:
        # Naming a partition is refused up front, as Milvus does.
        with pytest.raises(MilvusException,
                           match="not allow to set partition name for collection with partition key"):
            utility.do_bulk_insert(name, files=["pkey_rows.json"], partition_name="_default_0",
                                   using=alias)
        task = utility.do_bulk_insert(name, files=["pkey_rows.json"], using=alias)
        for _ in range(200):
            state = utility.get_bulk_insert_state(task, using=alias)
            if state.state_name in ("Completed", "Failed"):
                break
            time.sleep(0.05)
        assert state.state_name == "Completed", state
    finally:
        connections.disconnect(alias)
    _expect_spread(client, name, rows, 4)
    assert _ids(client, name, 'key == "k3"') == [i for i in rows if rows[i]["key"] == "k3"]
    client.drop_collection(name)
