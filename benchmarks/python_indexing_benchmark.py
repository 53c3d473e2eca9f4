#!/usr/bin/env python3
"""Every collection indexed whatever its size, measured as a user sees it.

Through the Python API (cove.MilvusClient, pymilvus' names), on Fashion-MNIST
(60,000 x 784, L2; Debian package dataset-fashion-mnist) and, when given with
--mnist DIR, MNIST (the same idx files):

1. "at once": insert in batches of 1,000, flush(), search at once (HNSW M=16,
   efConstruction=200), one query per call and 1,000 queries in one call,
   over an ef sweep, recall@10 against exact ground truth;
2. "after sealing": the same rows in a collection padded past the 65,536-row
   seal size with far-away rows (as issue 16 measured the sealed engine), the
   index waited for with wait_for_index;
3. "exact": the same rows in a FLAT collection searched right after the
   inserts (growing segment, then sealed FLAT segments: exact scans), one
   query per call and a 1,000-query batch (the blocked matrix kernel), with
   its GFLOP per CPU second against the FP32 FMA peak of one core that
   kernels_benchmark measures (--kernels-benchmark PATH);
4. insert throughput of 768-d rows (numpy columns, batches of 1,000).

Usage:
  build/venv/bin/python benchmarks/python_indexing_benchmark.py \
      [--kernels-benchmark build/release/benchmarks/kernels_benchmark] \
      [--mnist DIR] [--efs 16,32,64] [--json out.json]
"""

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

import cove
from cove import DataType, MilvusClient

FASHION = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    n, rows, cols = np.frombuffer(data, dtype=">i4", count=3, offset=4)
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows * cols).astype(
        np.float32)


def load_set(directory):
    base = read_idx(os.path.join(directory, "train-images-idx3-ubyte.gz"))
    queries = read_idx(os.path.join(directory, "t10k-images-idx3-ubyte.gz"))[:1000]
    return base, queries


def ground_truth(base, queries, k):
    norms = (base * base).sum(axis=1)
    out = []
    for q0 in range(0, len(queries), 100):
        q = queries[q0:q0 + 100]
        d = norms[None, :] - 2.0 * q @ base.T
        out.append(np.argsort(d, axis=1)[:, :k])
    return np.vstack(out)


def recall(results, truth, k):
    hits = 0
    for q, res in enumerate(results):
        hits += len(set(h["id"] for h in res[:k]) & set(truth[q][:k].tolist()))
    return hits / (len(results) * k)


def make_collection(client, name, dim, index_type="HNSW"):
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    index = MilvusClient.prepare_index_params()
    params = {"M": 16, "efConstruction": 200} if index_type == "HNSW" else {}
    index.add_index("vector", index_type=index_type, metric_type="L2", params=params)
    client.create_collection(name, schema=schema, index_params=index)


def insert(client, name, vectors, first_id=0, batch=1000):
    start = time.perf_counter()
    for b in range(0, len(vectors), batch):
        chunk = vectors[b:b + batch]
        ids = np.arange(first_id + b, first_id + b + len(chunk), dtype=np.int64)
        client._client.insert(name, {"id": ids, "vector": chunk}, progress=False)
    return time.perf_counter() - start


def search_qps(client, name, queries, ef, k, batch, reps=3):
    """Median over reps of queries per second of process CPU time (all
    threads: robust to the load of a shared machine), the results, and the
    median CPU seconds and wall seconds of one pass."""
    params = {"metric_type": "L2", "params": {"ef": ef}} if ef else {"metric_type": "L2"}
    cpu, wall = [], []
    for _ in range(reps):
        results = []
        c0, w0 = time.process_time(), time.perf_counter()
        if batch:
            results = client.search(name, queries, limit=k, search_params=params)
        else:
            for q in queries:
                results.extend(client.search(name, q[None, :], limit=k, search_params=params))
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    c, w = sorted(cpu)[len(cpu) // 2], sorted(wall)[len(wall) // 2]
    return len(queries) / c, results, c, w


def fma_peak(kernels_benchmark):
    if not kernels_benchmark:
        return None
    out = subprocess.run([kernels_benchmark, "--n=1000", "--nq=1"], capture_output=True,
                         text=True, check=False).stdout
    m = re.search(r"FP32 FMA peak, 1 core\s+([\d.]+) GFLOP/s", out)
    return float(m.group(1)) if m else None


def describe(client, name):
    return client.describe_index(name, "vector")


def run_set(label, base, queries, args, report):
    k = 10
    truth = ground_truth(base, queries, k)
    n, dim = base.shape
    efs = [int(x) for x in args.efs.split(",")]
    tmp = tempfile.mkdtemp(prefix="cove-pybench-")
    client = MilvusClient(os.path.join(tmp, "db"))

    # 3. exact data: a FLAT collection right after the inserts (its growing
    # segment, and FLAT segments once sealed: both exact scans)
    make_collection(client, "exact", dim, index_type="FLAT")
    insert(client, "exact", base)
    exact_one, _, _, _ = search_qps(client, "exact", queries[:100], 0, k, batch=False)
    exact_batch, resb, cpu_batch, wall_batch = search_qps(client, "exact", queries, 0, k,
                                                           batch=True)
    flops = 2.0 * len(queries) * n * dim
    row = {"set": label, "rows": n, "dim": dim,
           "exact_one_per_call_qps": exact_one,
           "exact_batch_qps": exact_batch,
           "exact_batch_recall": recall(resb, truth, k),
           "exact_batch_gflops_per_cpu_s": flops / cpu_batch / 1e9,
           "exact_batch_gflops_wall": flops / wall_batch / 1e9}
    print(f"[{label}] exact (FLAT, growing then sealed): one query per call {exact_one:,.0f} "
          f"QPS; 1,000 per call {exact_batch:,.0f} QPS (per CPU second), "
          f"{row['exact_batch_gflops_per_cpu_s']:.1f} GFLOP per CPU second, "
          f"{row['exact_batch_gflops_wall']:.1f} GFLOP/s wall, recall "
          f"{row['exact_batch_recall']:.3f}")

    # HNSW, inserted: what the index state says before flush()
    make_collection(client, "at_once", dim)
    t_insert = insert(client, "at_once", base)
    state = describe(client, "at_once")
    row["insert_rows_per_s"] = n / t_insert
    row["before_flush_state"] = state["state"]
    row["before_flush_indexed_rows"] = state["indexed_rows"]
    print(f"[{label}] inserted {n} rows in {t_insert:.1f} s; before flush: index state "
          f"{state['state']} ({state['indexed_rows']} indexed, "
          f"{state['pending_index_rows']} pending)")

    # 1. at once: flush, search
    t0 = time.perf_counter()
    client.flush("at_once")
    row["flush_s"] = time.perf_counter() - t0
    state = describe(client, "at_once")
    row["after_flush_state"] = state["state"]
    row["after_flush_indexed_rows"] = state["indexed_rows"]
    print(f"[{label}] flush() {row['flush_s']:.1f} s (seals and builds); index state "
          f"{state['state']}, {state['indexed_rows']} of {state['total_rows']} indexed")

    # 2. after sealing: padded past the seal size
    make_collection(client, "sealed", dim)
    insert(client, "sealed", base)
    far = np.full((65536 + 1000 - n, dim), 1e4, dtype=np.float32) + \
        np.arange(65536 + 1000 - n, dtype=np.float32)[:, None]
    insert(client, "sealed", far, first_id=10_000_000)
    client._client.wait_for_index("sealed", progress=False, timeout=3600)

    row["sweep"] = []
    print(f"[{label}] QPS per CPU second, median of 3:")
    print(f"[{label}] {'ef':>4} {'at once 1/call':>16} {'sealed 1/call':>14} {'ratio':>6} "
          f"{'at once 1000/call':>18} {'sealed 1000/call':>17} {'ratio':>6} {'recall':>7}")
    for ef in efs:
        a1, ra, _, _ = search_qps(client, "at_once", queries, ef, k, batch=False)
        s1, rs, _, _ = search_qps(client, "sealed", queries, ef, k, batch=False)
        ab, _, _, _ = search_qps(client, "at_once", queries, ef, k, batch=True)
        sb, _, _, _ = search_qps(client, "sealed", queries, ef, k, batch=True)
        point = {"ef": ef, "at_once_qps": a1, "sealed_qps": s1, "at_once_batch_qps": ab,
                 "sealed_batch_qps": sb, "at_once_recall": recall(ra, truth, k),
                 "sealed_recall": recall(rs, truth, k)}
        row["sweep"].append(point)
        print(f"[{label}] {ef:>4} {a1:>16,.0f} {s1:>14,.0f} {a1 / s1:>6.2f} {ab:>18,.0f} "
              f"{sb:>17,.0f} {ab / sb:>6.2f} {point['at_once_recall']:>7.3f}/"
              f"{point['sealed_recall']:.3f}")
    client.close()
    report.append(row)


def insert_throughput(report, n=20000, dim=768):
    """Insert rate of the three forms users give rows in, in the same run:
    numpy columns, rows holding numpy vectors, and rows holding lists of
    floats (pymilvus' users). Rows per second of process CPU time and of wall
    clock; each form into its own data directory, batches of 1,000."""
    rng = np.random.default_rng(7)
    data = rng.standard_normal((n, dim), dtype=np.float32)
    forms = {
        "numpy columns": None,
        "rows of numpy vectors": [{"id": i, "vector": data[i]} for i in range(n)],
        "rows of lists": [{"id": i, "vector": data[i].tolist()} for i in range(n)],
    }
    for form, rows in forms.items():
        tmp = tempfile.mkdtemp(prefix="cove-pyins-")
        client = MilvusClient(os.path.join(tmp, "db"))
        make_collection(client, "ins", dim)
        cpu, wall = time.process_time(), time.perf_counter()
        if rows is None:
            insert(client, "ins", data)
        else:
            for start in range(0, n, 1000):
                client.insert("ins", rows[start:start + 1000])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        client.close()
        print(f"insert, {dim}-d, {form}, batches of 1,000: {n / cpu:,.0f} rows per CPU "
              f"second, {n / wall:,.0f} rows/s wall ({n} rows)")
        key = form.replace(" ", "_")
        report.append({f"insert_768d_{key}_rows_per_cpu_s": n / cpu,
                       f"insert_768d_{key}_rows_per_s": n / wall})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernels-benchmark", default="")
    ap.add_argument("--mnist", default="")
    ap.add_argument("--fashion", default=FASHION)
    ap.add_argument("--efs", default="16,32,64")
    ap.add_argument("--json", default="")
    ap.add_argument("--insert-only", action="store_true",
                    help="only the insert rates of the three input forms")
    args = ap.parse_args()
    report = []
    if args.insert_only:
        insert_throughput(report)
        return
    peak = fma_peak(args.kernels_benchmark)
    threads = os.cpu_count() or 1
    if peak:
        print(f"FP32 FMA peak: {peak:.1f} GFLOP/s per core x {threads} cores = "
              f"{peak * threads:.1f} GFLOP/s")
    sets = [("fashion-mnist", args.fashion)]
    if args.mnist:
        sets.append(("mnist", args.mnist))
    for label, directory in sets:
        if not os.path.isdir(directory):
            print(f"[{label}] skipped: {directory} not found", file=sys.stderr)
            continue
        base, queries = load_set(directory)
        run_set(label, base, queries, args, report)
        if peak:
            r = report[-1]
            r["fma_peak_gflops_per_core"] = peak
            print(f"[{label}] 1,000-query exact batch: "
                  f"{r['exact_batch_gflops_per_cpu_s']:.1f} GFLOP per CPU second = "
                  f"{100 * r['exact_batch_gflops_per_cpu_s'] / peak:.0f}% of one core's FMA "
                  f"peak; wall clock on {threads} cores: {r['exact_batch_gflops_wall']:.1f} "
                  f"GFLOP/s = {100 * r['exact_batch_gflops_wall'] / (peak * threads):.0f}% of "
                  f"{threads} cores' peak")
    insert_throughput(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
