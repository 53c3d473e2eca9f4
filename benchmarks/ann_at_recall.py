#!/usr/bin/env python3
"""QPS of every index at one recall, from ann_benchmark text outputs.

Usage: benchmarks/ann_at_recall.py [--recall 0.95] RUN.txt [RUN.txt ...]

For each file, set and index, the QPS is interpolated log-linearly between
the two sweep points whose recall@10 brackets the target (the first point
if it already reaches it, nan if none does), and divided by hnswlib's in
the same file. With several files it also prints, per set and index, the
best QPS, and the median and range of the ratios.
"""
import math
import re
import statistics
import sys


def parse(path):
    out, cur = {}, None
    for line in open(path):
        m = re.match(r'== (\S+):', line)
        if m:
            cur = m.group(1)
            out[cur] = {}
            continue
        m = re.match(r'(\S+)\s+(\d+)\s+([01]\.\d+)\s+(\d+)\s*$', line)
        if m and cur:
            out[cur].setdefault(m.group(1), []).append(
                (int(m.group(2)), float(m.group(3)), float(m.group(4))))
    return out


def at(points, target):
    pts = sorted(points)
    if pts and pts[0][1] >= target:
        return pts[0][2]
    for (_, r0, q0), (_, r1, q1) in zip(pts, pts[1:]):
        if r0 < target <= r1:
            t = (target - r0) / (r1 - r0)
            return math.exp(math.log(q0) + t * (math.log(q1) - math.log(q0)))
    return float('nan')


def main(argv):
    target = 0.95
    if len(argv) > 1 and argv[0] == '--recall':
        target = float(argv[1])
        argv = argv[2:]
    runs = {}
    for path in argv:
        for s, idx in parse(path).items():
            h = at(idx.get('hnswlib', []), target)
            row = []
            for n, pts in idx.items():
                q = at(pts, target)
                runs.setdefault((s, n), []).append((q, q / h))
                row.append(f'{n}={q:.0f}({q / h:.2f})')
            print(f'{path}: {s}: {" ".join(row)}')
    if len(argv) > 1:
        print()
        for (s, n), v in runs.items():
            ratios = [r for _, r in v]
            print(f'{s} {n}: best {max(q for q, _ in v):.0f} QPS, ratio median '
                  f'{statistics.median(ratios):.2f} ({min(ratios):.2f}-'
                  f'{max(ratios):.2f}) over {len(v)} runs')


if __name__ == '__main__':
    main(sys.argv[1:])
