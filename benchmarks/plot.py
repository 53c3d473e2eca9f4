#!/usr/bin/env python3
"""Plots recall@10 against QPS for every data set and index of an
ann_benchmark JSON report. Usage: plot.py report.json out.png"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    report = json.load(open(sys.argv[1]))
    sets = [s for s in report if s.get("indexes")]
    fig, axes = plt.subplots(1, len(sets), figsize=(6 * len(sets), 4.5),
                             squeeze=False)
    for ax, s in zip(axes[0], sets):
        for name, entry in sorted(s["indexes"].items()):
            curve = sorted(entry.get("curve", []), key=lambda p: p["recall"])
            ax.plot([p["recall"] for p in curve], [p["qps"] for p in curve],
                    marker="o", markersize=3, label=name)
        ax.axvline(0.95, color="grey", linestyle=":", linewidth=1)
        ax.set_yscale("log")
        ax.set_xlabel("recall@10")
        ax.set_ylabel("queries per second (1 thread)")
        ax.set_title(f"{s['dataset']} ({s['n']} x {s['dim']}, {s['metric']})")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    print(f"wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
