#!/usr/bin/env python3
"""Backups through the control plane with cove.ControlClient.

Creates a cluster and fills it through its data plane (cove.Client), backs
it up, lists and reads the backup, restores it into a new cluster and checks
every restored row against the original, sets a backup policy, then deletes
the backup. The same steps as examples/backups.cc. Exits non-zero if
anything is wrong.

    python3 examples/python/backups.py --endpoint http://127.0.0.1:PORT \\
        --api-key KEY --bucket DIR [--org ID]

The endpoint and key may also come from COVE_CLOUD_ENDPOINT and COVE_API_KEY.
Run it against cove-cloud (docs/cloud-emulator.md); docs/control-plane.md
describes backups.
"""

import argparse
import os
import sys
import tempfile

import numpy as np

import cove

ROWS = 200


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def all_rows(data: cove.Client) -> dict:
    """Every row of collection "docs" with all its fields, by primary key."""
    rows = data.query("docs", filter="id >= 0", output_fields=["*"])
    return {row["id"]: row for row in rows}


def same_row(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        if k == "vector":
            if not np.array_equal(np.asarray(a[k]), np.asarray(b[k])):
                return False
        elif a[k] != b[k]:
            return False
    return True


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
        org = cc.create_organization(args.org, display_name="Example Org")
        project = cc.create_project(org.name, "search")
        env = cc.create_environment(
            project.name, "aws", cloud_account_id="123456789012",
            region="us-east-1", vpc_id="vpc-0123abcd", bucket=bucket,
            role_arn="arn:aws:iam::123456789012:role/cove-byoc",
            external_id=org.external_id)
        print(f"    {env.name}: {env.state.name}")

        step("create cluster 'orders'")
        cluster = cc.create_cluster(project.name, "orders", environment=env.name,
                                    cu_size=1)
        print(f"    {cluster.name}: {cluster.state.name}, endpoint {cluster.endpoint}")

        step(f"insert {ROWS} rows through the data plane")
        rng = np.random.default_rng(7)
        vectors = rng.random((ROWS, 4), dtype=np.float32)
        with cove.Client(cluster.endpoint, user=cluster.admin_user or "root",
                         password=cluster.admin_password) as data:
            data.create_collection("docs", dimension=4)
            data.insert("docs", [
                {"id": i, "vector": vectors[i], "title": f"document {i}",
                 "meta": {"shard": i % 4, "tags": ["a", "b"]}}
                for i in range(ROWS)])
            original = all_rows(data)
        assert len(original) == ROWS, len(original)
        print(f"    inserted {len(original)} rows")

        step("back it up (an operation) and wait")
        op = cc.start_create_backup(cluster.name, backup_id="before-migration")
        print(f"    operation {op.name} ({op.info.verb})")
        op.wait(timeout=120)
        backup = op.backup
        print(f"    {backup.name}: {backup.state.name}, {backup.row_count} rows, "
              f"{backup.size_bytes} bytes, collections {backup.collections}, "
              f"files: {backup.location}")
        assert backup.state == cove.BackupState.READY, backup
        assert backup.row_count == ROWS, backup.row_count

        step("list the cluster's backups, and get one")
        listed = list(cc.list_backups(cluster.name))
        for b in listed:
            print(f"    {b.name} {b.state.name}")
        assert [b.name for b in listed] == [backup.name], listed
        got = cc.get_backup(backup.name)
        assert got.size_bytes == backup.size_bytes and got.etag == backup.etag, got

        step("restore it into a new cluster 'orders-copy'")
        copy = cc.restore_backup(backup.name, parent=project.name,
                                 cluster_id="orders-copy", environment=env.name,
                                 cu_size=1, wait_timeout=120)
        print(f"    {copy.name}: {copy.state.name}, endpoint {copy.endpoint}")

        step("compare the restored rows with the originals, row by row")
        with cove.Client(copy.endpoint, user=copy.admin_user or "root",
                         password=copy.admin_password) as data:
            restored = all_rows(data)
        assert len(restored) == len(original), (len(restored), len(original))
        for key, row in original.items():
            assert key in restored, f"row {key} not restored"
            assert same_row(row, restored[key]), (row, restored[key])
        print(f"    {len(restored)} rows equal; row 7: title={restored[7]['title']!r} "
              f"meta={restored[7]['meta']}")

        step("a backup policy: every 6 hours, keep the newest 7")
        policy = cc.set_backup_policy(cluster.name, interval=6 * 3600,
                                      retention_count=7).backup_policy
        print(f"    enabled {policy.enabled}, every {policy.interval / 3600:g} h, "
              f"keep {policy.retention_count}, next backup at {policy.next_backup_time}")
        assert policy.enabled and policy.interval == 6 * 3600, policy
        assert policy.next_backup_time is not None, policy

        step("delete the backup")
        cc.delete_backup(backup.name)
        try:
            cc.get_backup(backup.name)
        except cove.NotFoundError as e:
            print(f"    get after delete: {e}")
        else:
            raise AssertionError("the deleted backup is still there")
        assert not os.path.exists(os.path.join(bucket, backup.location))

    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
