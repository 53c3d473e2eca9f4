"""cove-server driven by the real pymilvus 2.5 (unmodified), as its users do.

The flows of pymilvus' documentation (MilvusClient and ORM): quickstart,
schemas, indexes, partitions, aliases, databases, iterators, group-by, RBAC, bulk
import, cluster information; each checks the results, not just that no error
was raised. pymilvus comes from ../shared/clients/pymilvus (see
pymilvus_support.py); without it the module is skipped, saying why.
"""

import json
import time

import numpy as np
import pytest

from pymilvus_support import ROOT_PASSWORD, import_pymilvus

pymilvus = import_pymilvus()
from pymilvus import (  # noqa: E402
    Collection,
    CollectionSchema,
    DataType,
    FieldSchema,
    MilvusClient,
    MilvusException,
    connections,
    utility,
)
DIM = 8


def _vectors(n, dim=DIM, seed=7):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def _brute_force(data, query, k, metric):
    if metric == "L2":
        d = ((data - query) ** 2).sum(axis=1)
        return list(np.argsort(d, kind="stable")[:k])
    if metric == "IP":
        return list(np.argsort(-(data @ query), kind="stable")[:k])
    norm = data / np.linalg.norm(data, axis=1, keepdims=True)
    return list(np.argsort(-(norm @ (query / np.linalg.norm(query))), kind="stable")[:k])


# --- quickstart ---------------------------------------------------------------


def test_quickstart(client):
    name = "quick_start"
    if client.has_collection(name):
        client.drop_collection(name)
    client.create_collection(collection_name=name, dimension=DIM)
    desc = client.describe_collection(name)
    assert [f["name"] for f in desc["fields"]] == ["id", "vector"]
    assert desc["enable_dynamic_field"] is True
    assert client.get_load_state(name)["state"].name == "Loaded"

    vecs = _vectors(100)
    rows = [{"id": i, "vector": vecs[i].tolist(), "color": f"c{i % 3}", "n": i}
            for i in range(100)]
    res = client.insert(name, rows)
    assert res["insert_count"] == 100
    assert list(res["ids"]) == list(range(100))

    hits = client.search(name, data=[vecs[5].tolist()], limit=3, output_fields=["color", "n"])
    assert len(hits) == 1 and len(hits[0]) == 3
    assert hits[0][0]["id"] == 5
    assert hits[0][0]["entity"]["color"] == "c2"
    assert hits[0][0]["distance"] == pytest.approx(1.0, abs=1e-5)  # COSINE
    expected = _brute_force(vecs, vecs[5], 3, "COSINE")
    assert [h["id"] for h in hits[0]] == expected

    filtered = client.search(name, data=[vecs[5].tolist()], limit=5, filter='color == "c1"',
                             output_fields=["color"])
    assert len(filtered[0]) == 5
    assert all(h["entity"]["color"] == "c1" for h in filtered[0])

    got = client.query(name, filter="n >= 95", output_fields=["n", "color"])
    assert sorted(r["n"] for r in got) == [95, 96, 97, 98, 99]
    count = client.query(name, filter="", output_fields=["count(*)"])
    assert count[0]["count(*)"] == 100
    got = client.get(name, ids=[1, 2])
    assert sorted(r["id"] for r in got) == [1, 2]
    assert got[0]["vector"] == pytest.approx(vecs[got[0]["id"]].tolist(), abs=1e-6)

    deleted = client.delete(name, ids=[1, 2])
    assert deleted["delete_count"] == 2
    deleted = client.delete(name, filter="n >= 98")
    assert deleted["delete_count"] == 2
    assert client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"] == 96
    assert client.get_collection_stats(name)["row_count"] >= 96

    client.drop_collection(name)
    assert not client.has_collection(name)


def test_upsert_and_search_params(client):
    name = "params"
    client.drop_collection(name)
    client.create_collection(name, dimension=DIM, metric_type="L2")
    vecs = _vectors(50, seed=3)
    client.insert(name, [{"id": i, "vector": vecs[i].tolist()} for i in range(50)])
    res = client.upsert(name, [{"id": 3, "vector": vecs[4].tolist(), "tag": "moved"}])
    assert res["upsert_count"] == 1
    row = client.get(name, ids=[3], output_fields=["tag"])
    assert row[0]["tag"] == "moved"
    # Search params as users write them: numbers as strings, empty params.
    for params in ({"params": {"ef": "64"}}, {"params": {}}, {}, {"metric_type": "L2"}):
        hits = client.search(name, data=[vecs[7].tolist()], limit=2, search_params=params)
        assert hits[0][0]["id"] == 7
    hits = client.search(name, data=[vecs[7].tolist()], limit=3, round_decimal=2)
    for h in hits[0]:
        assert h["distance"] == pytest.approx(round(h["distance"], 2), abs=1e-6)
    # Range search.
    hits = client.search(name, data=[vecs[7].tolist()], limit=10,
                         search_params={"params": {"radius": 8.0, "range_filter": 0.0}})
    d = ((vecs - vecs[7]) ** 2).sum(axis=1)
    assert sorted(h["id"] for h in hits[0]) == sorted(
        int(i) for i in np.argsort(d)[:10] if d[i] < 8.0 and i != 3)[:len(hits[0])]
    client.drop_collection(name)


def test_unsupported_search_parameters_are_refused(client):
    name = "refusals"
    client.drop_collection(name)
    client.create_collection(name, dimension=DIM)
    client.insert(name, [{"id": i, "vector": _vectors(1, seed=i)[0].tolist(), "g": i % 2}
                         for i in range(10)])
    q = [_vectors(1)[0].tolist()]
    # Dynamic keys cannot group (Milvus 2.5 neither).
    with pytest.raises(MilvusException, match="group_by_field: field 'g' does not exist"):
        client.search(name, data=q, limit=3, group_by_field="g")
    with pytest.raises(MilvusException, match="bogus"):
        client.search(name, data=q, limit=3, search_params={"params": {"bogus": 1}})
    with pytest.raises(MilvusException, match="ignore_growing"):
        client.search(name, data=q, limit=3, search_params={"ignore_growing": True})
    client.drop_collection(name)


# --- search iterator (v2) ------------------------------------------------------


def test_search_iterator_v2(client, caplog):
    """pymilvus' search_iterator takes the v2 protocol (no fallback warning):
    every row once, in (distance, id) order, ties across page ends kept, over
    the collection as it was at the first page."""
    name = "search_iter"
    client.drop_collection(name)
    client.create_collection(name, dimension=DIM, metric_type="L2")
    vecs = _vectors(300)
    vecs[100:160] = vecs[5]  # 61 rows at one distance: ties across pages
    client.insert(name, [{"id": i, "vector": vecs[i].tolist(), "tag": i % 3}
                         for i in range(300)])
    q = vecs[5] + 0.25
    d = ((vecs - q) ** 2).sum(axis=1)
    expected = sorted(range(300), key=lambda i: (np.float32(d[i]), i))
    with caplog.at_level("WARNING"):
        it = client.search_iterator(name, data=[q.tolist()], batch_size=16,
                                    output_fields=["tag"])
    assert "fall" not in caplog.text.lower()
    seen, dists = [], []
    while True:
        page = it.next()
        if not page:
            break
        assert len(page) <= 16
        seen += [h["id"] for h in page]
        dists += [h["distance"] for h in page]
        assert all(h["entity"]["tag"] == h["id"] % 3 for h in page)
        if len(seen) == 64:
            # Rows written after the first page are not seen by it.
            client.insert(name, [{"id": 1000, "vector": q.tolist(), "tag": 1}])
    it.close()
    assert sorted(seen) == list(range(300))
    assert dists == sorted(dists)
    # Exact order, ties by primary key (float32 distances as the server's).
    assert [i for i in seen if 100 <= i < 160 or i == 5] == [5] + list(range(100, 160))
    assert seen[:20] == expected[:20]

    # A filter and a limit.
    it = client.search_iterator(name, data=[q.tolist()], batch_size=7, limit=30,
                                filter="tag == 2")
    got = []
    while True:
        page = it.next()
        if not page:
            break
        got += [h["id"] for h in page]
    assert len(got) == 30 and all(i % 3 == 2 or i == 1000 for i in got)
    assert 1000 not in got  # tag 1

    # The protocol's errors: several queries, a forged token, a wrong bound.
    conn = client._get_connection()
    v2 = {"search_iter_v2": True, "iterator": True, "search_iter_batch_size": 3}
    with pytest.raises(MilvusException, match="one query vector"):
        conn.search(name, [q.tolist(), q.tolist()], "", {}, 3, **v2)
    with pytest.raises(MilvusException, match="unknown or ended"):
        conn.search(name, [q.tolist()], "", {}, 3, search_iter_id="f" * 32,
                    search_iter_last_bound=0.5, **v2)
    first = conn.search(name, [q.tolist()], "", {}, 3, **v2)
    info = first.get_search_iterator_v2_results_info()
    assert len(info.token) == 32 and info.last_bound == pytest.approx(first[0][2].distance)
    with pytest.raises(MilvusException, match="not where a page"):
        conn.search(name, [q.tolist()], "", {}, 3, search_iter_id=info.token,
                    search_iter_last_bound=info.last_bound + 1.0, **v2)
    nxt = conn.search(name, [q.tolist()], "", {}, 3, search_iter_id=info.token,
                      search_iter_last_bound=info.last_bound, **v2)
    # Row 1000 (the query itself) is seen by iterators started after it.
    assert [h.id for h in first[0]] + [h.id for h in nxt[0]] == ([1000] + expected)[:6]
    # Another collection does not know the token.
    client.create_collection(name + "_other", dimension=DIM)
    with pytest.raises(MilvusException, match="unknown or ended"):
        conn.search(name + "_other", [q.tolist()], "", {}, 3, search_iter_id=info.token,
                    search_iter_last_bound=info.last_bound, **v2)
    client.drop_collection(name + "_other")
    client.drop_collection(name)


# --- group-by search ---------------------------------------------------------------


def _expected_groups(vecs, cats, query, groups, size):
    """The grouping rule on exact L2 order: the first `groups` values, up to
    `size` hits each, groups in the order of their closest hit."""
    order = np.argsort(((vecs - query) ** 2).sum(axis=1), kind="stable")
    out = {}
    for i in order:
        c = cats[i]
        if c not in out:
            if len(out) == groups:
                continue
            out[c] = []
        if len(out[c]) < size:
            out[c].append(int(i))
    return [(c, ids) for c, ids in out.items()]


def test_group_by_search(client, server):
    name = "grouping"
    client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("doc", DataType.VARCHAR, max_length=16)
    schema.add_field("chunk", DataType.INT32)
    index = client.prepare_index_params()
    index.add_index("vec", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=index)
    vecs = _vectors(300, seed=21)
    docs = [f"doc{i % 7}" for i in range(300)]
    client.insert(name, [{"id": i, "vec": vecs[i].tolist(), "doc": docs[i], "chunk": i % 5}
                         for i in range(300)])
    q = _vectors(2, seed=22)

    # MilvusClient: group_by_field, group_size, strict_group_size as keywords.
    res = client.search(name, data=q.tolist(), limit=3, group_by_field="doc", group_size=2,
                        strict_group_size=True, output_fields=["doc"])
    assert len(res) == 2
    for qi in range(2):
        want = _expected_groups(vecs, docs, q[qi], 3, 2)
        assert [h["id"] for h in res[qi]] == [i for _, ids in want for i in ids]
        assert [h["entity"]["doc"] for h in res[qi]] == [c for c, ids in want for _ in ids]
        distances = [h["distance"] for h in res[qi]]
        for h in res[qi]:
            assert h["distance"] == pytest.approx(float(((vecs[h["id"]] - q[qi]) ** 2).sum()),
                                                  rel=1e-4)
        # Groups come in the order of their closest hit.
        firsts = distances[::2]
        assert firsts == sorted(firsts)
    # Without group_size: one hit per group, no value repeated (the pymilvus
    # group-by example's check), on an INT32 field.
    res = client.search(name, data=[q[0].tolist()], limit=4, group_by_field="chunk",
                        output_fields=["chunk"])
    assert len(res[0]) == 4
    assert len({h["entity"]["chunk"] for h in res[0]}) == 4
    want = _expected_groups(vecs, [i % 5 for i in range(300)], q[0], 4, 1)
    assert [h["id"] for h in res[0]] == [ids[0] for _, ids in want]
    # In search_params, with a filter: the groups of the matching rows only.
    res = client.search(name, data=[q[0].tolist()], limit=2, filter="chunk != 0",
                        search_params={"metric_type": "L2", "params": {},
                                       "group_by_field": "doc", "group_size": 3},
                        output_fields=["doc", "chunk"])
    keep = [i for i in range(300) if i % 5 != 0]
    want = _expected_groups(vecs[keep], [docs[i] for i in keep], q[0], 2, 3)
    assert [h["id"] for h in res[0]] == [keep[i] for _, ids in want for i in ids]
    assert all(h["entity"]["chunk"] != 0 for h in res[0])
    # What cannot group is refused, naming the parameter.
    with pytest.raises(MilvusException, match="group_by_field 'vec'"):
        client.search(name, data=[q[0].tolist()], limit=2, group_by_field="vec")
    with pytest.raises(MilvusException, match="group_size"):
        client.search(name, data=[q[0].tolist()], limit=2, group_by_field="doc", group_size=0)

    # The ORM: Collection.search with the same keywords.
    alias = "grouping_orm"
    connections.connect(alias, uri=server.uri, token=f"root:{ROOT_PASSWORD}")
    try:
        coll = Collection(name, using=alias)
        res = coll.search(data=[q[1].tolist()], anns_field="vec",
                          param={"metric_type": "L2", "params": {}}, limit=3,
                          group_by_field="doc", group_size=2, strict_group_size=True,
                          output_fields=["doc"])
        want = _expected_groups(vecs, docs, q[1], 3, 2)
        assert list(res[0].ids) == [i for _, ids in want for i in ids]
        assert [h.entity.get("doc") for h in res[0]] == [c for c, ids in want for _ in ids]
    finally:
        connections.disconnect(alias)
    client.drop_collection(name)


# --- schemas and indexes ------------------------------------------------------------


def test_index_progress_is_truthful(client):
    """DescribeIndex counts rows as the engine serves them: rows of the
    growing segment (searched exactly) are pending until a flush seals them
    and the build finishes; GetIndexState says InProgress meanwhile."""
    name = "index_progress"
    client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=DIM)
    index = client.prepare_index_params()
    index.add_index("vec", index_type="HNSW", metric_type="L2", index_name="vec_idx",
                    params={"M": 8, "efConstruction": 64})
    client.create_collection(name, schema=schema, index_params=index)
    vecs = _vectors(120, seed=31)
    client.insert(name, [{"id": i, "vec": vecs[i].tolist()} for i in range(120)])
    d = client.describe_index(name, "vec_idx")
    assert d["total_rows"] == 120
    assert d["indexed_rows"] + d["pending_index_rows"] == 120
    # Just inserted, the rows are growing (pending) unless the idle sealer
    # (1 s) has already sealed and indexed them: either way the state agrees.
    assert d["state"] == ("InProgress" if d["pending_index_rows"] > 0 else "Finished")
    progress = utility.index_building_progress(name, "vec_idx", using=client._using)
    assert progress["total_rows"] == 120
    assert d["indexed_rows"] <= progress["indexed_rows"] <= 120
    client.flush(name)
    # pymilvus' own wait: GetIndexState polled until Finished.
    assert utility.wait_for_index_building_complete(name, "vec_idx", timeout=60,
                                                    using=client._using)
    d = client.describe_index(name, "vec_idx")
    assert (d["indexed_rows"], d["pending_index_rows"], d["state"]) == (120, 0, "Finished")
    client.drop_collection(name)


def test_custom_schema_and_indexes(client):
    name = "customized"
    client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=True,
                                        description="a custom schema")
    schema.add_field("my_id", DataType.INT64, is_primary=True)
    schema.add_field("my_vector", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("title", DataType.VARCHAR, max_length=64)
    schema.add_field("score", DataType.DOUBLE, nullable=True)
    schema.add_field("tags", DataType.ARRAY, element_type=DataType.INT64, max_capacity=4)
    index_params = client.prepare_index_params()
    index_params.add_index("my_vector", index_type="HNSW", metric_type="L2",
                           params={"M": 8, "efConstruction": 64}, index_name="vec_idx")
    client.create_collection(name, schema=schema, index_params=index_params,
                             consistency_level="Bounded")
    desc = client.describe_collection(name)
    assert desc["description"] == "a custom schema"
    assert desc["consistency_level"] == 2  # Bounded, as stored
    fields = {f["name"]: f for f in desc["fields"]}
    assert fields["my_vector"]["params"]["dim"] == DIM
    assert fields["title"]["params"]["max_length"] == 64
    assert fields["score"].get("nullable") is True
    assert client.list_indexes(name) == ["vec_idx"]
    idx = client.describe_index(name, "vec_idx")
    assert idx["index_type"] == "HNSW" and idx["metric_type"] == "L2"
    assert str(idx["M"]) == "8"

    # Creating the same index again succeeds; a different one is refused.
    client.create_index(name, index_params)
    other = client.prepare_index_params()
    other.add_index("my_vector", index_type="FLAT", metric_type="L2", index_name="vec_idx")
    with pytest.raises(MilvusException):
        client.create_index(name, other)

    vecs = _vectors(30, seed=11)
    client.insert(name, [{"my_id": i, "my_vector": vecs[i].tolist(), "title": f"t{i}",
                          "score": None if i % 2 else float(i), "tags": [i]}
                         for i in range(30)])
    client.load_collection(name)
    hits = client.search(name, data=[vecs[4].tolist()], limit=1, anns_field="my_vector",
                         output_fields=["title", "score", "tags"])
    assert hits[0][0]["my_id"] == 4
    entity = hits[0][0]["entity"]
    assert (entity["title"], entity["score"], entity["tags"]) == ("t4", 4.0, [4])
    rows = client.query(name, filter="score is null", output_fields=["my_id"], limit=100)
    assert sorted(r["my_id"] for r in rows) == list(range(1, 30, 2))

    client.alter_index_properties(name, "vec_idx", properties={"mmap.enabled": True})
    assert client.describe_index(name, "vec_idx")["mmap.enabled"] == "True"
    client.drop_index_properties(name, "vec_idx", property_keys=["mmap.enabled"])
    assert "mmap.enabled" not in client.describe_index(name, "vec_idx")

    client.release_collection(name)
    assert client.get_load_state(name)["state"].name == "NotLoad"
    client.drop_index(name, "vec_idx")
    assert client.list_indexes(name) == []
    client.drop_collection(name)


@pytest.mark.parametrize(
    "index_type,metric,build,search",
    [
        ("IVF_PQ", "L2", {"nlist": 16, "m": 8, "nbits": 8}, {"nprobe": 16, "rerank": 100}),
        ("IVF_PQ", "COSINE", {"nlist": 16, "m": 16, "nbits": 6}, {"nprobe": 16}),
        ("SCANN", "L2", {"nlist": 16, "with_raw_data": True}, {"nprobe": 16, "reorder_k": 100}),
        ("SCANN", "IP", {"nlist": 16}, {"nprobe": 16, "reorder_k": 100}),
        ("DISKANN", "L2", {}, {"search_list": 100}),
        ("DISKANN", "COSINE", {"max_degree": 32, "search_list_size": 64}, {"search_list": 100}),
    ],
)
def test_pq_indexes(client, index_type, metric, build, search):
    # IVF_PQ and SCANN as pymilvus users create them (Milvus' parameter
    # names), flushed so that searches go through the built index.
    name = f"pq_{index_type.lower()}_{metric.lower()}"
    dim = 32
    client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
    index_params = client.prepare_index_params()
    index_params.add_index("vec", index_type=index_type, metric_type=metric, params=build)
    client.create_collection(name, schema=schema, index_params=index_params)
    data = _vectors(3000, dim=dim, seed=5)
    client.insert(name, [{"id": i, "vec": data[i].tolist()} for i in range(len(data))])
    client.flush(name)
    idx = client.describe_index(name, "vec")
    assert idx["index_type"] == index_type and idx["metric_type"] == metric
    assert idx["indexed_rows"] == 3000 and idx["state"] == "Finished"
    client.load_collection(name)
    queries = _vectors(20, dim=dim, seed=6)
    found = client.search(name, data=[q.tolist() for q in queries], limit=10,
                          anns_field="vec", search_params={"params": search})
    hits = 0
    for q, row in zip(queries, found):
        truth = set(_brute_force(data, q, 10, metric))
        hits += len(truth & {h["id"] for h in row})
    assert hits / 200 >= 0.9, (index_type, metric, hits / 200)
    mine = client.search(name, data=[data[77].tolist()], limit=1, anns_field="vec",
                         search_params={"params": search})
    assert mine[0][0]["id"] == 77
    client.drop_collection(name)


def test_pq_index_params_are_checked(client):
    name = "pq_bad_params"
    client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=DIM)
    client.create_collection(name, schema=schema)
    for params, message in [
        ({"nlist": 8, "m": 3}, "m: must divide the dimension 8 (got 3)"),
        ({"nlist": 8, "nbits": 20}, "index param 'nbits'"),
        ({"nlist": 8, "M": 16}, "index param 'M': not a parameter of IVF_PQ"),
    ]:
        bad = client.prepare_index_params()
        bad.add_index("vec", index_type="IVF_PQ", metric_type="L2", params=params)
        with pytest.raises(MilvusException, match=message.replace("(", r"\(").replace(")", r"\)")):
            client.create_index(name, bad)
    client.drop_collection(name)


def test_collection_properties_and_alter(client):
    name = "props"
    client.drop_collection(name)
    client.create_collection(name, dimension=DIM, properties={"collection.ttl.seconds": 3600})
    desc = client.describe_collection(name)
    assert desc["properties"].get("collection.ttl.seconds") == "3600"
    client.alter_collection_properties(name, properties={"mmap.enabled": True})
    desc = client.describe_collection(name)
    assert desc["properties"]["mmap.enabled"] == "True"
    assert desc["properties"]["collection.ttl.seconds"] == "3600"
    client.drop_collection_properties(name, property_keys=["collection.ttl.seconds"])
    desc = client.describe_collection(name)
    assert "collection.ttl.seconds" not in desc["properties"]
    assert desc["properties"]["mmap.enabled"] == "True"
    # Properties are stored whatever their key, as Milvus does; values of
    # the ones cove reads must parse.
    client.alter_collection_properties(name, properties={"app.owner": "team-a"})
    assert client.describe_collection(name)["properties"]["app.owner"] == "team-a"
    with pytest.raises(MilvusException, match="collection.ttl.seconds"):
        client.alter_collection_properties(name, properties={"collection.ttl.seconds": "soon"})
    client.drop_collection(name)


def test_alter_collection_field(client):
    """alter_collection_field: max_length, max_capacity and mmap.enabled, on a
    loaded collection, reported as type params and obeyed by later writes."""
    name = "field_props"
    client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("title", DataType.VARCHAR, max_length=4)
    schema.add_field("tags", DataType.ARRAY, element_type=DataType.INT64, max_capacity=2)
    schema.add_field("meta", DataType.JSON, mmap_enabled=False)
    index = client.prepare_index_params()
    index.add_index("vector", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=index)
    row = {"id": 1, "vector": _vectors(1)[0].tolist(), "title": "longer",
           "tags": [1, 2, 3], "meta": {}}
    with pytest.raises(MilvusException, match="max_length"):
        client.insert(name, [row])
    fields = {f["name"]: f for f in client.describe_collection(name)["fields"]}
    assert fields["meta"]["params"]["mmap_enabled"] is False  # from creation
    client.alter_collection_field(name, "title", field_params={"max_length": 1024})
    client.alter_collection_field(name, "tags", field_params={"max_capacity": 3})
    client.alter_collection_field(name, "meta", field_params={"mmap.enabled": True})
    client.insert(name, [row])
    fields = {f["name"]: f for f in client.describe_collection(name)["fields"]}
    assert fields["title"]["params"]["max_length"] == 1024
    assert fields["tags"]["params"]["max_capacity"] == 3
    assert fields["meta"]["params"]["mmap_enabled"] is True
    assert client.query(name, filter="id == 1", output_fields=["title"])[0]["title"] == "longer"
    with pytest.raises(MilvusException, match="primary key"):
        client.alter_collection_field(name, "id", field_params={"max_length": 8})
    with pytest.raises(MilvusException, match="nullable"):
        client.alter_collection_field(name, "title", field_params={"nullable": True})
    client.drop_collection(name)


def test_partial_load(client):
    """load_fields (as the Node SDK's PartialLoad spec): searches and queries
    see only the loaded fields; the field list holds until release."""
    name = "partial"
    client.drop_collection(name)
    schema = MilvusClient.create_schema(enable_dynamic_field=True)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("title", DataType.VARCHAR, max_length=16)
    schema.add_field("tags", DataType.ARRAY, element_type=DataType.INT64, max_capacity=4)
    index = client.prepare_index_params()
    index.add_index("vector", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=index)
    vecs = _vectors(20)
    client.insert(name, [{"id": i, "vector": vecs[i].tolist(), "title": f"t{i}",
                          "tags": [i], "extra": i} for i in range(20)])
    client.release_collection(name)
    with pytest.raises(MilvusException, match="primary key"):
        client.load_collection(name, load_fields=["vector", "title"])
    with pytest.raises(MilvusException, match="vector field"):
        client.load_collection(name, load_fields=["id", "title"])
    client.load_collection(name, load_fields=["id", "vector", "title"],
                           skip_load_dynamic_field=True)
    rows = client.query(name, filter="id < 3", output_fields=["*"])
    assert sorted(rows[0].keys()) == ["id", "title", "vector"]
    hits = client.search(name, data=[vecs[4].tolist()], limit=2, filter='title != "t9"',
                         output_fields=["title"])
    assert hits[0][0]["id"] == 4 and hits[0][0]["entity"]["title"] == "t4"
    for bad in (lambda: client.query(name, filter="id < 3", output_fields=["tags"]),
                lambda: client.query(name, filter="array_contains(tags, 1)"),
                lambda: client.query(name, filter="extra > 1"),
                lambda: client.search(name, data=[vecs[0].tolist()], limit=1,
                                      output_fields=["extra"])):
        with pytest.raises(MilvusException, match="is not loaded"):
            bad()
    with pytest.raises(MilvusException, match="release it first"):
        client.load_collection(name)
    client.release_collection(name)
    client.load_collection(name)
    rows = client.query(name, filter="id == 1", output_fields=["*"])
    assert rows[0]["tags"] == [1] and rows[0]["extra"] == 1
    client.drop_collection(name)


def test_invalid_dimension_message(client):
    with pytest.raises(MilvusException, match="invalid dimension"):
        client.create_collection("bad_dim", dimension=100000)


def test_index_wait_uses_timestamps(client):
    # create_index waits with AllocTimestamp + GetIndexState, as pymilvus does.
    ts1 = client._get_connection().alloc_timestamp()
    ts2 = client._get_connection().alloc_timestamp()
    assert ts2 > ts1
    physical_ms = ts1 >> 18
    assert abs(physical_ms - time.time() * 1000) < 60_000


# --- partitions, aliases, databases ----------------------------------------------


def test_partitions(client):
    name = "parts"
    client.drop_collection(name)
    client.create_collection(name, dimension=DIM)
    client.create_partition(name, "p1")
    assert client.has_partition(name, "p1")
    assert sorted(client.list_partitions(name)) == ["_default", "p1"]
    vecs = _vectors(10)
    client.insert(name, [{"id": i, "vector": vecs[i].tolist()} for i in range(5)],
                  partition_name="p1")
    client.insert(name, [{"id": i, "vector": vecs[i].tolist()} for i in range(5, 10)])
    rows = client.query(name, filter="id >= 0", partition_names=["p1"], output_fields=["id"])
    assert sorted(r["id"] for r in rows) == [0, 1, 2, 3, 4]
    client.insert(name, [{"id": 20 + i, "vector": vecs[i].tolist()} for i in range(2)],
                  partition_name="p1")
    assert client.get_partition_stats(name, "p1") == {"row_count": 7}
    assert client.get_partition_stats(name, "_default") == {"row_count": 5}
    with pytest.raises(MilvusException, match=r"partition not found\[partition=p9\]"):
        client.get_partition_stats(name, "p9")
    # Partition-level load, as Milvus: only the loaded partitions are read.
    client.release_collection(name)
    assert client.get_partition_stats(name, "p1") == {"row_count": 7}  # not loaded
    client.load_partitions(name, ["p1"])
    assert client.get_load_state(name)["state"].name == "Loaded"
    assert client.get_load_state(name, partition_name="p1")["state"].name == "Loaded"
    assert client.get_load_state(name, partition_name="_default")["state"].name == "NotLoad"
    rows = client.query(name, filter="id >= 0", output_fields=["id"])
    assert sorted(r["id"] for r in rows) == [0, 1, 2, 3, 4, 20, 21]
    hits = client.search(name, data=[vecs[7].tolist()], limit=3)
    assert all(h["id"] in (0, 1, 2, 3, 4, 20, 21) for h in hits[0])
    with pytest.raises(MilvusException, match="partition '_default' .*not loaded"):
        client.query(name, filter="id >= 0", partition_names=["_default"])
    with pytest.raises(MilvusException, match="release it first"):
        client.drop_partition(name, "p1")
    client.load_partitions(name, ["_default"])
    rows = client.query(name, filter="id >= 0", output_fields=["id"])
    assert len(rows) == 12
    client.release_partitions(name, ["p1"])
    rows = client.query(name, filter="id >= 0", output_fields=["id"])
    assert sorted(r["id"] for r in rows) == [5, 6, 7, 8, 9]
    client.release_partitions(name, ["_default"])
    assert client.get_load_state(name)["state"].name == "NotLoad"
    with pytest.raises(MilvusException, match=r"partition not found\[partition=p9\]"):
        client.load_partitions(name, ["p9"])
    client.load_collection(name)
    with pytest.raises(MilvusException, match="load_fields"):
        client.load_collection(name, load_fields=["id", "vector"])
    with pytest.raises(MilvusException, match="replica_number"):
        client.load_collection(name, replica_number=2)
    hits = client.search(name, data=[vecs[3].tolist()], limit=1, partition_names=["p1"])
    assert hits[0][0]["id"] == 3
    # Dropping what does not exist succeeds, as in Milvus.
    client.release_collection(name)
    client.drop_partition(name, "p1")
    client.drop_partition(name, "never_created")
    assert client.list_partitions(name) == ["_default"]
    client.drop_collection(name)


def test_partition_key(client):
    """Partition key mode as pymilvus' partition-key example uses it."""
    name = "tenants"
    client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("tenant", DataType.VARCHAR, max_length=16, is_partition_key=True)
    schema.add_field("ts", DataType.INT64, is_clustering_key=True)
    index = client.prepare_index_params()
    index.add_index("vec", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=index, num_partitions=8)
    desc = client.describe_collection(name)
    assert desc["num_partitions"] == 8
    fields = {f["name"]: f for f in desc["fields"]}
    assert fields["tenant"].get("is_partition_key") is True
    assert fields["ts"].get("is_clustering_key") is True
    assert not fields["id"].get("is_partition_key")
    vecs = _vectors(60, seed=41)
    tenants = [f"t{i % 3}" for i in range(60)]
    client.insert(name, [{"id": i, "vec": vecs[i].tolist(), "tenant": tenants[i], "ts": i}
                         for i in range(60)])
    hits = client.search(name, data=[vecs[4].tolist()], limit=5, filter='tenant == "t1"',
                         output_fields=["tenant"])
    keep = [i for i in range(60) if tenants[i] == "t1"]
    assert [h["id"] for h in hits[0]] == [keep[i] for i in _brute_force(vecs[keep], vecs[4], 5,
                                                                        "L2")]
    assert all(h["entity"]["tenant"] == "t1" for h in hits[0])
    # Partitions are not named by hand in partition key mode (as in Milvus).
    with pytest.raises(MilvusException, match="partition key"):
        client.create_partition(name, "p1")
    with pytest.raises(MilvusException, match="partition key"):
        client.search(name, data=[vecs[4].tolist()], limit=5, partition_names=["_default"])
    with pytest.raises(MilvusException, match="partition key"):
        client.insert(name, [{"id": 99, "vec": vecs[0].tolist(), "tenant": "t0", "ts": 0}],
                      partition_name="_default")
    client.drop_collection(name)
    # num_partitions without a partition key is refused, naming it.
    plain = MilvusClient.create_schema(auto_id=False)
    plain.add_field("id", DataType.INT64, is_primary=True)
    plain.add_field("vec", DataType.FLOAT_VECTOR, dim=DIM)
    with pytest.raises(MilvusException, match="num_partitions"):
        client.create_collection(name, schema=plain, num_partitions=4)


def test_aliases(client):
    client.drop_collection("al_a")
    client.drop_collection("al_b")
    client.create_collection("al_a", dimension=DIM)
    client.create_collection("al_b", dimension=DIM)
    client.drop_alias("al")  # does not exist: succeeds
    client.create_alias("al_a", "al")
    assert client.describe_alias("al")["collection_name"] == "al_a"
    client.insert("al", [{"id": 1, "vector": _vectors(1)[0].tolist()}])
    assert client.query("al_a", filter="", output_fields=["count(*)"])[0]["count(*)"] == 1
    client.alter_alias("al_b", "al")
    assert client.list_aliases("al_b")["aliases"] == ["al"]
    client.drop_alias("al")
    client.drop_alias("al")
    client.drop_collection("al_a")
    client.drop_collection("al_b")


def test_databases(server):
    c = MilvusClient(uri=server.uri, token=f"root:{ROOT_PASSWORD}")
    for db in ("books",):
        if db in c.list_databases():
            c.drop_database(db)
    c.create_database("books", properties={"database.max.collections": 10})
    assert "books" in c.list_databases()
    d = c.describe_database("books")
    assert d["name"] == "books"
    assert d["database.max.collections"] == "10"
    c.alter_database_properties("books", {"database.replica.number": 1})
    d = c.describe_database("books")
    assert d["database.replica.number"] == "1"
    c.drop_database_properties("books", ["database.max.collections"])
    assert "database.max.collections" not in c.describe_database("books")
    c.use_database("books")
    c.create_collection("in_books", dimension=DIM)
    assert c.list_collections() == ["in_books"]
    c.use_database("default")
    assert "in_books" not in c.list_collections()
    # rename_collection(target_db=...) moves a collection, with its rows.
    c.create_collection("to_move", dimension=DIM)
    c.insert("to_move", [{"id": i, "vector": v.tolist()} for i, v in enumerate(_vectors(4))])
    c.create_alias("to_move", "moving")
    with pytest.raises(MilvusException, match="alias"):
        c.rename_collection("to_move", "moved", target_db="books")
    c.drop_alias("moving")
    with pytest.raises(MilvusException, match="nowhere"):
        c.rename_collection("to_move", "moved", target_db="nowhere")
    c.rename_collection("to_move", "moved", target_db="books")
    assert "to_move" not in c.list_collections()
    c.use_database("books")
    assert sorted(c.list_collections()) == ["in_books", "moved"]
    assert c.query("moved", filter="", output_fields=["count(*)"])[0]["count(*)"] == 4
    c.drop_collection("moved")
    c.drop_collection("in_books")
    c.use_database("default")
    c.drop_database("books")
    assert "books" not in c.list_databases()
    c.close()


def test_varchar_auto_id_keys_are_text(client):
    # Milvus generates int64 ids and keeps them as strings for a VARCHAR
    # key: reads, searches and gets by those strings work.
    name = "varchar_auto"
    client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=True)
    schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=100)
    schema.add_field("v", DataType.FLOAT_VECTOR, dim=4)
    ip = client.prepare_index_params()
    ip.add_index("v", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=ip)
    res = client.insert(name, [{"v": [0.1 * i, 0.2, 0.3, 0.4]} for i in range(5)])
    ids = list(res["ids"])
    assert len(set(ids)) == 5 and all(isinstance(i, str) and i.isdigit() for i in ids), ids
    rows = client.query(name, filter="", limit=10, output_fields=["pk"])
    assert sorted(r["pk"] for r in rows) == sorted(ids)
    hits = client.search(name, [[0.0, 0.2, 0.3, 0.4]], limit=2)
    assert hits[0][0]["pk"] == ids[0]  # hits are keyed by the primary key field
    got = client.get(name, ids=[ids[3]], output_fields=["pk"])
    assert [r["pk"] for r in got] == [ids[3]]
    assert client.describe_collection(name)["created_timestamp"] >> 18 > 1_700_000_000_000
    client.drop_collection(name)


# --- iterators -----------------------------------------------------------------


def test_query_iterator(client):
    name = "iter"
    client.drop_collection(name)
    client.create_collection(name, dimension=DIM)
    vecs = _vectors(55)
    # Keys inserted out of order, and upserts that move rows: the pages
    # must still come in key order.
    order = list(np.random.default_rng(3).permutation(55))
    client.insert(name, [{"id": int(i), "vector": vecs[i].tolist(), "n": int(i)} for i in order])
    client.upsert(name, [{"id": 4, "vector": vecs[4].tolist(), "n": 4}])
    it = client.query_iterator(name, batch_size=10, filter="n >= 3", output_fields=["n"])
    seen = []
    while True:
        page = it.next()
        if not page:
            it.close()
            break
        assert len(page) <= 10
        seen.extend(r["n"] for r in page)
    assert seen == list(range(3, 55))
    client.drop_collection(name)


def test_query_iterator_reads_the_first_pages_snapshot(client):
    # pymilvus sends the first page's session_ts back as guarantee_timestamp;
    # as in Milvus, the pages then read the collection as of the first one:
    # rows inserted, upserted or deleted between pages do not show.
    name = "iter_pinned"
    client.drop_collection(name)
    client.create_collection(name, dimension=DIM)
    vecs = _vectors(60)
    client.insert(name, [{"id": i, "vector": vecs[i].tolist(), "n": i} for i in range(60)])
    it = client.query_iterator(name, batch_size=7, filter="id >= 0", output_fields=["n"])
    seen = []
    page_no = 0
    while True:
        page = it.next()
        if not page:
            it.close()
            break
        seen.extend((r["id"], r["n"]) for r in page)
        # Between pages: a new row past every key, an upsert ahead of the
        # cursor, a delete ahead of the cursor.
        client.insert(name, [{"id": 1000 + page_no, "vector": vecs[0].tolist(), "n": -1}])
        ahead = min(59, 7 * (page_no + 2))
        client.upsert(name, [{"id": ahead, "vector": vecs[ahead].tolist(), "n": -1}])
        client.delete(name, ids=[min(59, ahead + 1)])
        page_no += 1
    assert seen == [(i, i) for i in range(60)]
    # A new iterator sees the writes.
    fresh = client.query_iterator(name, batch_size=50, filter="id >= 0", output_fields=["n"])
    rows = []
    while True:
        page = fresh.next()
        if not page:
            fresh.close()
            break
        rows.extend(page)
    assert len([r for r in rows if r["id"] >= 1000]) == page_no
    assert any(r["n"] == -1 and r["id"] < 1000 for r in rows)
    client.drop_collection(name)


# --- ORM --------------------------------------------------------------------------


def test_orm_hello_milvus(server):
    alias = "orm"
    connections.connect(alias, uri=server.uri, token=f"root:{ROOT_PASSWORD}")
    try:
        name = "hello_milvus"
        if utility.has_collection(name, using=alias):
            utility.drop_collection(name, using=alias)
        fields = [
            FieldSchema("pk", DataType.VARCHAR, is_primary=True, auto_id=False, max_length=100),
            FieldSchema("random", DataType.DOUBLE),
            FieldSchema("embeddings", DataType.FLOAT_VECTOR, dim=DIM),
        ]
        schema = CollectionSchema(fields, "hello_milvus is the simplest demo")
        coll = Collection(name, schema, consistency_level="Strong", using=alias)
        rng = np.random.default_rng(19530)
        n = 300
        vecs = rng.random((n, DIM)).astype(np.float32)
        entities = [[str(i) for i in range(n)], rng.random(n).tolist(), vecs]
        res = coll.insert(entities)
        assert res.insert_count == n
        coll.flush()
        assert coll.num_entities == n
        coll.create_index("embeddings", {"index_type": "IVF_FLAT", "metric_type": "L2",
                                         "params": {"nlist": 16}})
        assert utility.index_building_progress(name, using=alias)["indexed_rows"] >= 0
        coll.load()
        assert utility.load_state(name, using=alias).name == "Loaded"
        assert utility.loading_progress(name, using=alias)["loading_progress"] == "100%"
        result = coll.search(vecs[-2:].tolist(), "embeddings",
                             {"metric_type": "L2", "params": {"nprobe": 16}}, limit=3,
                             output_fields=["random"])
        for q, hits in enumerate(result):
            assert hits[0].id == str(n - 2 + q)
            assert hits[0].distance == pytest.approx(0.0, abs=1e-4)
        # A sparse index's key is accepted without effect on a dense field, as
        # Milvus does (the Node SDK's KeywordMatch spec sends it); out of its
        # range it is refused by name.
        same = coll.search(vecs[-2:].tolist(), "embeddings",
                           {"metric_type": "L2",
                            "params": {"nprobe": 16, "drop_ratio_search": 0.6}},
                           limit=3, output_fields=["random"])
        assert [[h.id for h in hits] for hits in same] == \
            [[h.id for h in hits] for hits in result]
        with pytest.raises(MilvusException, match="drop_ratio_search"):
            coll.search(vecs[-1:].tolist(), "embeddings",
                        {"metric_type": "L2", "params": {"drop_ratio_search": 2}},
                        limit=3)
        rows = coll.query(expr="random > 0.5", output_fields=["random", "embeddings"])
        assert rows and all(r["random"] > 0.5 for r in rows)
        ids = [str(i) for i in range(3)]
        coll.delete(f"pk in {json.dumps(ids)}")
        assert coll.query(expr=f"pk in {json.dumps(ids)}") == []
        # Segments and replicas as the admin tools read them.
        segs = utility.get_query_segment_info(name, using=alias)
        assert sum(s.num_rows for s in segs) >= n - 3
        replicas = coll.get_replicas()
        assert len(replicas.groups) == 1
        coll.release()
        utility.drop_collection(name, using=alias)
        assert not utility.has_collection(name, using=alias)
    finally:
        connections.disconnect(alias)


# --- cluster information ---------------------------------------------------------


def test_cluster_information(client, server):
    assert client.get_server_version().startswith("v2.5")
    assert client.list_resource_groups() == ["__default_resource_group"]
    rg = client.describe_resource_group("__default_resource_group")
    assert rg.capacity >= 1
    name = "info"
    client.drop_collection(name)
    client.create_collection(name, dimension=DIM)
    client.insert(name, [{"id": i, "vector": _vectors(1, seed=i)[0].tolist()} for i in range(20)])
    replicas = client.describe_replica(name)
    assert len(replicas) == 1 and replicas[0].resource_group == "__default_resource_group"
    connections.connect("info", uri=server.uri, token=f"root:{ROOT_PASSWORD}")
    try:
        assert utility.get_server_type(using="info") == "milvus"
        segs = utility.get_query_segment_info(name, using="info")
        assert sum(s.num_rows for s in segs) == 20
        utility.load_balance(name, src_node_id=1, using="info")
    finally:
        connections.disconnect("info")
    client.drop_collection(name)


# --- RBAC -------------------------------------------------------------------------


def test_rbac(client, server):
    for u in ("reader",):
        client.drop_user(u)  # idempotent
    client.drop_role("readers")  # idempotent
    client.create_user("reader", "reader-pw-1")
    assert "reader" in client.list_users()
    assert "root" in client.list_users()
    client.create_role("readers")
    client.grant_privilege("readers", "Collection", "Query", "rbac_c")
    client.grant_role("reader", "readers")
    assert client.describe_user("reader")["roles"] == ("readers",)
    grants = client.describe_role("readers")["privileges"]
    assert any(g["privilege"] == "Query" and g["object_name"] == "rbac_c" for g in grants)

    client.drop_collection("rbac_c")
    client.create_collection("rbac_c", dimension=DIM)
    client.insert("rbac_c", [{"id": 1, "vector": _vectors(1)[0].tolist()}])
    reader = MilvusClient(uri=server.uri, token="reader:reader-pw-1")
    assert reader.query("rbac_c", filter="id == 1", output_fields=["id"]) == [{"id": 1}]
    with pytest.raises(MilvusException, match="denied|permission"):
        reader.insert("rbac_c", [{"id": 2, "vector": _vectors(1)[0].tolist()}])
    reader.close()

    # RBAC v2: privilege groups and grants by name.
    client.drop_privilege_group("pg_rw") if "pg_rw" in [
        g["privilege_group"] for g in client.list_privilege_groups()] else None
    client.create_privilege_group("pg_rw")
    client.add_privileges_to_group("pg_rw", ["Query", "Insert"])
    groups = {g["privilege_group"]: g["privileges"] for g in client.list_privilege_groups()}
    assert sorted(groups["pg_rw"]) == ["Insert", "Query"]
    client.grant_privilege_v2("readers", "pg_rw", "rbac_c", db_name="default")
    reader = MilvusClient(uri=server.uri, token="reader:reader-pw-1")
    reader.insert("rbac_c", [{"id": 2, "vector": _vectors(1)[0].tolist()}])
    reader.close()
    client.revoke_privilege_v2("readers", "pg_rw", "rbac_c", db_name="default")
    client.remove_privileges_from_group("pg_rw", ["Insert"])
    groups = {g["privilege_group"]: g["privileges"] for g in client.list_privilege_groups()}
    assert list(groups["pg_rw"]) == ["Query"]
    assert "ClusterReadOnly" in groups and "CollectionReadWrite" in groups
    client.drop_privilege_group("pg_rw")

    client.revoke_role("reader", "readers")
    client.revoke_privilege("readers", "Collection", "Query", "rbac_c")
    client.drop_role("readers")
    client.drop_user("reader")
    assert "reader" not in client.list_users()
    client.drop_collection("rbac_c")


def test_root_user_exists_without_auth(open_server):
    c = MilvusClient(uri=open_server.uri)
    assert "root" in c.list_users()
    c.close()


# --- bulk import -------------------------------------------------------------------


def test_bulk_import_json_and_numpy(server):
    alias = "import"
    connections.connect(alias, uri=server.uri, token=f"root:{ROOT_PASSWORD}")
    c = MilvusClient(uri=server.uri, token=f"root:{ROOT_PASSWORD}")
    try:
        name = "imported"
        c.drop_collection(name)
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
        schema.add_field("label", DataType.VARCHAR, max_length=16)
        index = c.prepare_index_params()
        index.add_index("vector", index_type="FLAT", metric_type="L2")
        c.create_collection(name, schema=schema, index_params=index)
        vecs = _vectors(40, seed=5)
        rows = [{"id": i, "vector": vecs[i].tolist(), "label": f"l{i}"} for i in range(20)]
        (server.import_dir / "rows.json").write_text(json.dumps({"rows": rows}))
        task = utility.do_bulk_insert(name, files=["rows.json"], using=alias)
        state = _wait_import(utility, task, alias)
        assert state.state_name == "Completed", state
        assert state.row_count == 20
        assert state.progress == 100

        npdir = server.import_dir / "np"
        npdir.mkdir()
        np.save(npdir / "id.npy", np.arange(20, 40, dtype=np.int64))
        np.save(npdir / "vector.npy", vecs[20:40])
        np.save(npdir / "label.npy", np.array([f"l{i}" for i in range(20, 40)]))
        task2 = utility.do_bulk_insert(name, files=["np/id.npy", "np/vector.npy", "np/label.npy"],
                                       using=alias)
        state = _wait_import(utility, task2, alias)
        assert state.state_name == "Completed", state
        assert c.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"] == 40
        assert c.get(name, ids=[33], output_fields=["label"])[0]["label"] == "l33"
        hits = c.search(name, data=[vecs[33].tolist()], limit=1)
        assert hits[0][0]["id"] == 33
        tasks = utility.list_bulk_insert_tasks(collection_name=name, using=alias)
        assert {t.task_id for t in tasks} >= {task, task2}

        bad = utility.do_bulk_insert(name, files=["missing.json"], using=alias)
        state = _wait_import(utility, bad, alias)
        assert state.state_name == "Failed"
        assert "missing.json" in state.failed_reason
        c.drop_collection(name)
    finally:
        c.close()
        connections.disconnect(alias)


def _wait_import(utility, task, alias):
    for _ in range(200):
        state = utility.get_bulk_insert_state(task, using=alias)
        if state.state_name in ("Completed", "Failed"):
            return state
        time.sleep(0.05)
    return state


# --- messages ----------------------------------------------------------------------


def test_messages_and_names(client):
    with pytest.raises(MilvusException, match="not exist|not found"):
        client.describe_collection("no_such_collection")
    name = "msgs"
    client.drop_collection(name)
    client.create_collection(name, dimension=DIM)
    with pytest.raises(MilvusException) as err:
        client.create_collection("caf\u00e9", dimension=DIM)
    assert "caf\u00e9" in str(err.value) or "name" in str(err.value)
    client.drop_collection(name)


# --- FLOAT16_VECTOR and BFLOAT16_VECTOR ---------------------------------------
# As pymilvus' float16 / bfloat16 examples use them: rows as numpy float16
# arrays (FieldData float16_vector bytes) or as raw little-endian bytes (how
# bfloat16 travels without ml_dtypes), queries as numpy float16 arrays
# (Float16Vector placeholders) or float32 lists (FloatVector, rounded to the
# field's type), output vectors back as bytes; hits checked against a numpy
# reference in float64; HNSW, IVF_FLAT and IVF_PQ on them, and an
# unsupported index refused by name.

_VT_DIM = 24


def _vt_make(client, name, dtype, metric, index_type="FLAT"):
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", dtype, dim=_VT_DIM)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="vec", index_type=index_type, metric_type=metric)
    client.create_collection(name, schema=schema, index_params=index_params)


def _vt_bf16_bits(x):
    """float32 values rounded to bfloat16 (to nearest even), as uint16."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def _vt_bf16_to_f64(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def _vt_expect(base, queries, metric, limit):
    if metric == "L2":
        d = ((queries[:, None, :] - base[None, :, :]) ** 2).sum(-1)
        return np.argsort(d, axis=1, kind="stable")[:, :limit], np.sort(d, axis=1)[:, :limit]
    s = queries @ base.T
    if metric == "COSINE":
        s = s / np.linalg.norm(queries, axis=1)[:, None] / np.linalg.norm(base, axis=1)[None, :]
    order = np.argsort(-s, axis=1, kind="stable")[:, :limit]
    return order, np.take_along_axis(s, order, axis=1)


@pytest.mark.parametrize("metric", ["L2", "IP", "COSINE"])
def test_float16_rows_and_queries_as_numpy(client, metric):
    name = f"f16_{metric.lower()}"
    _vt_make(client, name, DataType.FLOAT16_VECTOR, metric)
    rng = np.random.default_rng(3)
    base = rng.standard_normal((200, _VT_DIM)).astype(np.float16)
    rows = [{"id": i, "vec": base[i]} for i in range(len(base))]
    assert client.insert(name, rows)["insert_count"] == 200
    queries = rng.standard_normal((3, _VT_DIM)).astype(np.float16)
    res = client.search(name, data=list(queries), anns_field="vec", limit=6,
                        output_fields=["vec"], search_params={"metric_type": metric})
    ids, scores = _vt_expect(base.astype(np.float64), queries.astype(np.float64), metric, 6)
    for q, hits in enumerate(res):
        assert [h["id"] for h in hits] == list(ids[q])
        for h, s in zip(hits, scores[q]):
            assert h["distance"] == pytest.approx(s, rel=1e-4, abs=1e-4)
            # pymilvus hands 16-bit vectors back as bytes (a search hit) or as
            # a list holding the bytes (query and get)
            raw = h["entity"]["vec"]
            assert np.array_equal(np.frombuffer(raw, dtype=np.float16), base[h["id"]])
    got = client.get(name, ids=[7], output_fields=["vec"])
    (raw,) = got[0]["vec"]
    assert np.frombuffer(raw, dtype=np.float16).tobytes() == base[7].tobytes()


def test_bfloat16_rows_as_bytes_and_float32_queries(client):
    name = "bf16_ip"
    _vt_make(client, name, DataType.BFLOAT16_VECTOR, "IP")
    rng = np.random.default_rng(4)
    bits = _vt_bf16_bits(rng.standard_normal((150, _VT_DIM)))
    rows = [{"id": i, "vec": bits[i].tobytes()} for i in range(len(bits))]
    assert client.insert(name, rows)["insert_count"] == 150
    # float32 queries whose values are bfloat16 numbers: searched exactly
    qbits = _vt_bf16_bits(rng.standard_normal((2, _VT_DIM)))
    queries = _vt_bf16_to_f64(qbits).astype(np.float32)
    res = client.search(name, data=[q.tolist() for q in queries], anns_field="vec",
                        limit=5, output_fields=["vec"])
    ids, scores = _vt_expect(_vt_bf16_to_f64(bits), _vt_bf16_to_f64(qbits), "IP", 5)
    for q, hits in enumerate(res):
        assert [h["id"] for h in hits] == list(ids[q])
        for h, s in zip(hits, scores[q]):
            assert h["distance"] == pytest.approx(s, rel=1e-4, abs=1e-4)
            assert h["entity"]["vec"] == bits[h["id"]].tobytes()
    # bytes as queries are pymilvus' BinaryVector placeholder: refused by type
    with pytest.raises(MilvusException, match="expected BFLOAT16_VECTOR"):
        client.search(name, data=[qbits[0].tobytes()], anns_field="vec", limit=5)


def test_unsupported_index_is_refused_by_name(client):
    with pytest.raises(MilvusException,
                       match="index type DISKANN is not supported on FLOAT16_VECTOR"):
        _vt_make(client, "f16_diskann", DataType.FLOAT16_VECTOR, "L2", index_type="DISKANN")


@pytest.mark.parametrize(
    "index_type,build,search",
    [
        ("IVF_FLAT", {"nlist": 8}, {"nprobe": 8}),
        ("IVF_PQ", {"nlist": 8, "m": 12, "nbits": 8}, {"nprobe": 8, "rerank": 400}),
    ],
)
def test_float16_ivf_indexes(client, index_type, build, search):
    # IVF_FLAT and IVF_PQ on a float16 field as pymilvus creates them
    # (create_index after the collection), searched with numpy float16
    # queries: every list probed (and re-ranked deep on the 16-bit rows) is
    # the exact float64 top-5.
    name = f"f16_{index_type.lower()}"
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT16_VECTOR, dim=_VT_DIM)
    client.create_collection(name, schema=schema)
    rng = np.random.default_rng(8)
    base = rng.standard_normal((400, _VT_DIM)).astype(np.float16)
    client.insert(name, [{"id": i, "vec": base[i]} for i in range(len(base))])
    client.flush(name)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="vec", index_type=index_type, metric_type="L2",
                           params=build)
    client.create_index(name, index_params)
    client.load_collection(name)
    (desc,) = [client.describe_index(name, n) for n in client.list_indexes(name)]
    assert desc["index_type"] == index_type
    queries = rng.standard_normal((3, _VT_DIM)).astype(np.float16)
    res = client.search(name, data=list(queries), anns_field="vec", limit=5,
                        search_params={"metric_type": "L2", "params": search})
    ids, scores = _vt_expect(base.astype(np.float64), queries.astype(np.float64), "L2", 5)
    for q, hits in enumerate(res):
        assert [h["id"] for h in hits] == list(ids[q])
        for h, s in zip(hits, scores[q]):
            assert h["distance"] == pytest.approx(s, rel=1e-4, abs=1e-4)


def test_float16_hnsw_index(client):
    name = "f16_hnsw"
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT16_VECTOR, dim=_VT_DIM)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="vec", index_type="HNSW", metric_type="L2",
                           params={"M": 8, "efConstruction": 64})
    client.create_collection(name, schema=schema, index_params=index_params)
    rng = np.random.default_rng(6)
    base = rng.standard_normal((400, _VT_DIM)).astype(np.float16)
    client.insert(name, [{"id": i, "vec": base[i]} for i in range(len(base))])
    client.flush(name)
    (desc,) = [client.describe_index(name, n) for n in client.list_indexes(name)]
    assert desc["index_type"] == "HNSW"
    res = client.search(name, data=list(base[:5]), anns_field="vec", limit=3,
                        search_params={"metric_type": "L2", "params": {"ef": 32}})
    assert [hits[0]["id"] for hits in res] == [0, 1, 2, 3, 4]
    assert all(hits[0]["distance"] == pytest.approx(0.0, abs=1e-6) for hits in res)
