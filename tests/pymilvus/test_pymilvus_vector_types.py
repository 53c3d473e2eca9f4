"""FLOAT16_VECTOR and BFLOAT16_VECTOR fields through the real pymilvus 2.5.

As pymilvus' float16 / bfloat16 examples use them: rows as numpy float16
arrays (FieldData float16_vector bytes) or as raw little-endian bytes (how
bfloat16 travels without ml_dtypes), queries as numpy float16 arrays
(Float16Vector placeholders) or float32 lists (FloatVector, rounded to the
field's type), output vectors back as bytes; hits checked against a numpy
reference in float64, and an unsupported index refused by name.
"""

import numpy as np
import pytest

from pymilvus_support import import_pymilvus

pymilvus = import_pymilvus()
from pymilvus import DataType, MilvusClient, MilvusException  # noqa: E402

DIM = 24


def _make(client, name, dtype, metric, index_type="FLAT"):
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", dtype, dim=DIM)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="vec", index_type=index_type, metric_type=metric)
    client.create_collection(name, schema=schema, index_params=index_params)


def _bf16_bits(x):
    """float32 values rounded to bfloat16 (to nearest even), as uint16."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def _bf16_to_f64(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def _expect(base, queries, metric, limit):
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
    _make(client, name, DataType.FLOAT16_VECTOR, metric)
    rng = np.random.default_rng(3)
    base = rng.standard_normal((200, DIM)).astype(np.float16)
    rows = [{"id": i, "vec": base[i]} for i in range(len(base))]
    assert client.insert(name, rows)["insert_count"] == 200
    queries = rng.standard_normal((3, DIM)).astype(np.float16)
    res = client.search(name, data=list(queries), anns_field="vec", limit=6,
                        output_fields=["vec"], search_params={"metric_type": metric})
    ids, scores = _expect(base.astype(np.float64), queries.astype(np.float64), metric, 6)
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
    _make(client, name, DataType.BFLOAT16_VECTOR, "IP")
    rng = np.random.default_rng(4)
    bits = _bf16_bits(rng.standard_normal((150, DIM)))
    rows = [{"id": i, "vec": bits[i].tobytes()} for i in range(len(bits))]
    assert client.insert(name, rows)["insert_count"] == 150
    # float32 queries whose values are bfloat16 numbers: searched exactly
    qbits = _bf16_bits(rng.standard_normal((2, DIM)))
    queries = _bf16_to_f64(qbits).astype(np.float32)
    res = client.search(name, data=[q.tolist() for q in queries], anns_field="vec",
                        limit=5, output_fields=["vec"])
    ids, scores = _expect(_bf16_to_f64(bits), _bf16_to_f64(qbits), "IP", 5)
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
                       match="index type IVF_FLAT is not supported on FLOAT16_VECTOR"):
        _make(client, "f16_ivf", DataType.FLOAT16_VECTOR, "L2", index_type="IVF_FLAT")


def test_float16_hnsw_index(client):
    name = "f16_hnsw"
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT16_VECTOR, dim=DIM)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="vec", index_type="HNSW", metric_type="L2",
                           params={"M": 8, "efConstruction": 64})
    client.create_collection(name, schema=schema, index_params=index_params)
    rng = np.random.default_rng(6)
    base = rng.standard_normal((400, DIM)).astype(np.float16)
    client.insert(name, [{"id": i, "vec": base[i]} for i in range(len(base))])
    client.flush(name)
    (desc,) = [client.describe_index(name, n) for n in client.list_indexes(name)]
    assert desc["index_type"] == "HNSW"
    res = client.search(name, data=list(base[:5]), anns_field="vec", limit=3,
                        search_params={"metric_type": "L2", "params": {"ef": 32}})
    assert [hits[0]["id"] for hits in res] == [0, 1, 2, 3, 4]
    assert all(hits[0]["distance"] == pytest.approx(0.0, abs=1e-6) for hits in res)
