#!/usr/bin/env python3
"""Autoscaling and metrics with cove.ControlClient.

Turns on autoscaling for a cluster, fills it past 80% of its capacity and
shows the autoscaler's scale-up (an operation by system:autoscaler and an
audit event with the reason) and the cluster's metrics, then empties it and
shows the scale-down after the cool-down. The same steps as
examples/autoscaling.cc. Exits non-zero if anything is wrong.

    python3 examples/python/autoscaling.py --endpoint http://127.0.0.1:PORT \\
        --api-key ADMIN_KEY --bucket DIR [--org ID]

Run it against cove-cloud (docs/cloud-emulator.md) with its admin key: the
example drives the emulator's manual clock (ControlClient.emulator) so that
each autoscaler pass happens when it says and the five-minute cool-down
passes at once; on a real control plane the autoscaler runs on its own.
"""

import argparse
import os
import sys
import tempfile

import numpy as np

import cove


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def show_metrics(m: cove.ClusterMetrics) -> None:
    print(f"    metrics: {m.vector_count} vectors of {m.capacity_vectors} "
          f"(cu_usage {100 * m.cu_usage:.1f}%), {m.cu_size} CU x {m.replicas}, "
          f"{m.storage_bytes} bytes stored, {m.requests} requests ({m.errors} errors), "
          f"{m.qps:.2f} qps over {m.window_seconds} s, p99 {m.latency_p99_ms:.2f} ms")
    for k in m.kinds:
        if k.requests:
            print(f"      {k.kind}: {k.requests} requests, p95 {k.latency_p95_ms:.2f} ms")


def autoscaler_operations(cc, project, cluster):
    ops = cc.list_operations(project.name,
                             filter=f"verb=ScaleCluster AND target={cluster.name}")
    return sorted(ops, key=lambda o: o.create_time)


def show_autoscale_events(cc, org, expected: int) -> None:
    events = list(cc.list_audit_events(org.name, filter="action=clusters.autoscale"))
    for e in events:
        print(f"    audit: {e.actor} {e.action} {e.outcome.name}: {e.message}")
    assert len(events) == expected, events
    assert events[-1].actor == "system:autoscaler", events[-1]
    assert events[-1].outcome == cove.AuditOutcome.SUCCEEDED, events[-1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--endpoint", default=os.environ.get("COVE_CLOUD_ENDPOINT"))
    p.add_argument("--api-key", default=os.environ.get("COVE_API_KEY"))
    p.add_argument("--bucket", default=None)
    p.add_argument("--org", default="acme")
    args = p.parse_args()
    bucket = args.bucket or tempfile.mkdtemp(prefix="cove-example-bucket-")

    with cove.ControlClient(args.endpoint, api_key=args.api_key) as cc:
        step("organization, project and cross-account environment")
        org = cc.create_organization(args.org)
        project = cc.create_project(org.name, "search")
        env = cc.create_environment(
            project.name, "aws", cloud_account_id="123456789012",
            region="us-east-1", vpc_id="vpc-0123abcd", bucket=bucket,
            role_arn="arn:aws:iam::123456789012:role/cove-byoc",
            external_id=org.external_id)

        step("create cluster 'events' at 1 CU")
        cluster = cc.create_cluster(project.name, "events", environment=env.name,
                                    cu_size=1)
        password = cluster.admin_password  # shown only once
        print(f"    {cluster.name}: {cluster.state.name}, {cluster.cu_size} CU, "
              f"capacity {cluster.capacity_vectors} vectors")

        step("enable autoscaling: 1..8 CU, up at 80%, down below 50% for 5 min")
        cluster.autoscaling = cove.Autoscaling(
            enabled=True, min_cu_size=1, max_cu_size=8, scale_up_fill_percent=80,
            scale_down_fill_percent=50, cool_down_seconds=300)
        cluster = cc.update_cluster(cluster, ["autoscaling"])
        print(f"    {cluster.autoscaling}")

        step("switch the emulator to its manual clock")
        assert cc.emulator.set_clock().manual_clock

        capacity = cluster.capacity_vectors
        fill = capacity * 85 // 100
        step(f"fill it to 85%: insert {fill} vectors")
        with cove.Client(cluster.endpoint, user=cluster.admin_user or "root",
                         password=password) as data:
            data.create_collection("events", dimension=8)
            rng = np.random.default_rng(3)
            for start in range(0, fill, 1000):
                ids = np.arange(start, min(fill, start + 1000), dtype=np.int64)
                data.insert("events", {"id": ids,
                                       "vector": rng.random((len(ids), 8), dtype=np.float32)})
            for _ in range(3):
                data.search("events", rng.random((1, 8), dtype=np.float32), limit=5)
            before = cc.get_cluster_metrics(cluster.name, window_seconds=60)
            show_metrics(before)
            assert before.vector_count == fill and before.cu_usage >= 0.8, before

            step("an autoscaler pass (advance the clock 1 s): scale up")
            cc.emulator.advance_clock(1)
            ops = autoscaler_operations(cc, project, cluster)
            assert len(ops) == 1, ops
            print(f"    operation {ops[-1].name} {ops[-1].verb} {ops[-1].target}")
            show_autoscale_events(cc, org, 1)
            cc.emulator.advance_clock(1)  # the transition, on the emulator's clock
            cluster = cc.get_operation(ops[-1].name).wait(timeout=60)
            print(f"    {cluster.name}: {cluster.state.name}, {cluster.cu_size} CU")
            assert cluster.cu_size == 2, cluster.cu_size
            after = cc.get_cluster_metrics(cluster.name, window_seconds=60)
            show_metrics(after)
            assert after.capacity_vectors == 2 * capacity and after.cu_usage < 0.8, after

            step("delete most rows: the fill drops to 5%")
            data.delete("events", filter=f"id >= {capacity // 10}")
        cc.emulator.advance_clock(1)
        assert len(autoscaler_operations(cc, project, cluster)) == 1
        print("    no change yet: the fill must stay low for 5 minutes")

        step("advance the clock by the cool-down: scale down")
        cc.emulator.advance_clock(300)
        ops = autoscaler_operations(cc, project, cluster)
        assert len(ops) == 2, ops
        show_autoscale_events(cc, org, 2)
        cc.emulator.advance_clock(1)
        cluster = cc.get_operation(ops[-1].name).wait(timeout=60)
        print(f"    {cluster.name}: {cluster.state.name}, {cluster.cu_size} CU")
        assert cluster.cu_size == 1, cluster.cu_size
        show_metrics(cc.get_cluster_metrics(cluster.name, window_seconds=60))

        step("back to the real clock")
        cc.emulator.set_clock(real=True)

    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
