"""cove.ControlClient backups, restore, backup policy and customer-managed
keys against a real cove-cloud emulator (skipped when it is not built)."""

import os
from pathlib import Path

import numpy as np
import pytest

import cove

from test_control import admin, cloud, foundation  # noqa: F401 (fixtures)

KEY_HEX = "8899aabbccddeeff00112233445566770f1e2d3c4b5a69788796a5b4c3d2e1f0"


def _rows(data):
    return data.query("docs", filter="id >= 0", output_fields=["*"], limit=1000)


def test_backup_restore_round_trip(admin, foundation):
    org, project, env = foundation
    created = admin.create_cluster(project.name, "src", environment=env.name,
                                   wait_timeout=60)
    rng = np.random.default_rng(7)
    vectors = rng.random((6, 4), dtype=np.float32)
    with cove.Client(created.endpoint, user="root",
                     password=created.admin_password) as data:
        data.create_collection("docs", dimension=4)
        data.insert("docs", [{"id": i, "vector": vectors[i], "tag": f"t{i}",
                              "meta": {"n": i}} for i in range(6)])
        before = _rows(data)
    assert len(before) == 6

    backup = admin.create_backup(created.name, backup_id="first", wait_timeout=60)
    assert isinstance(backup, cove.Backup)
    assert backup.state == cove.BackupState.READY
    assert backup.row_count == 6
    assert backup.collections == ["docs"]
    # Always encrypted: without a customer key, with the cluster's data key.
    assert backup.encrypted and backup.encryption_key == "keys/backup-src"
    assert [b.name for b in admin.list_backups(created.name)] == [backup.name]
    assert admin.get_backup(backup.name).size_bytes == backup.size_bytes

    copy = admin.restore_backup(backup.name, parent=project.name, cluster_id="copy",
                                environment=env.name, wait_timeout=60)
    assert copy.admin_password
    with cove.Client(copy.endpoint, user="root", password=copy.admin_password) as data:
        after = _rows(data)
    assert len(after) == len(before)
    for a, b in zip(after, before):
        assert a["id"] == b["id"] and a["tag"] == b["tag"] and a["meta"] == b["meta"]
        np.testing.assert_array_equal(np.asarray(a["vector"]), np.asarray(b["vector"]))

    # Into the existing cluster: a name conflict, unless overwrite.
    with pytest.raises(cove.AlreadyExistsError, match="docs"):
        admin.restore_backup(backup.name, target_cluster=created.name)
    admin.restore_backup(backup.name, target_cluster=created.name, overwrite=True,
                         wait_timeout=60)

    c = admin.set_backup_policy(created.name, interval=3600, retention_count=3)
    assert c.backup_policy.enabled and c.backup_policy.interval == 3600
    assert c.backup_policy.next_backup_time is not None
    with pytest.raises(cove.InvalidArgumentError, match="interval"):
        admin.set_backup_policy(created.name, interval=5)

    # A corrupted file fails the restore with DataLoss naming it.
    victim = Path(backup.location) / "data-0.jsonl.enc"
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 1
    victim.write_bytes(bytes(raw))
    with pytest.raises(cove.DataLossError, match="data-0.jsonl"):
        admin.restore_backup(backup.name, target_cluster=created.name, overwrite=True,
                             wait_timeout=60)

    admin.delete_backup(backup.name, wait_timeout=60)
    with pytest.raises(cove.NotFoundError):
        admin.get_backup(backup.name)


def test_customer_managed_key(admin, foundation):
    org, project, env = foundation
    with pytest.raises(cove.FailedPreconditionError, match="keys/cmk"):
        admin.create_cluster(project.name, "vault", environment=env.name,
                             encryption_key="keys/cmk")
    kms = Path(env.bucket) / ".kms"
    kms.mkdir(parents=True, exist_ok=True)
    key = kms / "cmk.key"
    key.write_text(KEY_HEX)
    os.chmod(key, 0o600)
    c = admin.create_cluster(project.name, "vault", environment=env.name,
                             encryption_key="keys/cmk", wait_timeout=60)
    assert c.encryption_key == "keys/cmk" and c.encryption_key_id
    backup = admin.create_backup(c.name, wait_timeout=60)
    assert backup.encrypted and backup.encryption_key == "keys/cmk"
    assert (Path(backup.location) / "catalog.json.enc").is_file()
