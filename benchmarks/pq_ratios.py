#!/usr/bin/env python3
"""QPS ratios of Cove's PQ indexes to their FAISS peers at equal recall.

Reads the --json output of ann_benchmark run with
--indexes cove-ivf-pq,faiss-ivfpq,cove-scann,faiss-ivfpq-fs and prints, per
data set and pair, both curves' QPS interpolated (linearly, between the two
sweep points around it) at each recall both reach, and their ratio.

  python3 benchmarks/pq_ratios.py out.json [--recalls 0.5,0.6,0.7,0.8,0.9,0.95]
"""
import argparse
import json

PAIRS = [("cove-ivf-pq", "faiss-ivfpq"), ("cove-scann", "faiss-ivfpq-fs")]


def qps_at(curve, recall):
    """QPS at `recall` on the upper envelope of a (recall, qps) sweep."""
    pts = sorted((p["recall"], p["qps"]) for p in curve)
    best = None
    for (r0, q0), (r1, q1) in zip(pts, pts[1:]):
        if r0 <= recall <= r1 and r1 > r0:
            q = q0 + (q1 - q0) * (recall - r0) / (r1 - r0)
            best = q if best is None else max(best, q)
    for r, q in pts:
        if r >= recall:
            best = q if best is None else max(best, q)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--recalls", default="0.5,0.6,0.7,0.8,0.9,0.95")
    args = ap.parse_args()
    recalls = [float(r) for r in args.recalls.split(",")]
    for ds in json.load(open(args.json)):
        idx = ds["indexes"]
        print(f"\n{ds['dataset']} ({ds['n']} x {ds['dim']}, {ds['metric']})")
        print(f"{'pair':34} {'recall':>6} {'cove QPS':>9} {'faiss QPS':>9} {'ratio':>6}")
        for cove, faiss in PAIRS:
            if cove not in idx or faiss not in idx:
                continue
            for r in recalls:
                a = qps_at(idx[cove]["curve"], r)
                b = qps_at(idx[faiss]["curve"], r)
                if a is None or b is None:
                    continue
                print(f"{cove + ' / ' + faiss:34} {r:6.2f} {a:9.0f} {b:9.0f} {a / b:6.2f}")
            for name in (cove, faiss):
                e = idx[name]
                print(f"  {name}: build {e['build_wall_s']:.1f} s, reported "
                      f"{e['reported_bytes'] / 1e6:.1f} MB, max recall "
                      f"{max(p['recall'] for p in e['curve']):.3f}")


if __name__ == "__main__":
    main()
