"""cove.ControlClient against a real cove-cloud emulator (started per module).

The binary: $COVE_CLOUD_BIN, else <build>/src/cloud/cove-cloud under
$COVE_BUILD_DIR (or $COVE_BUILD_DIR/release) or build/release. The tests are
skipped when it is not built.
"""

import os
import re
import socket
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

import cove

REPO = Path(__file__).resolve().parents[2]
ADMIN_KEY = "python-test-admin-key-0123456789"
ACCOUNT = "123456789012"


def _cloud_binary():
    env = os.environ.get("COVE_CLOUD_BIN")
    if env:
        return Path(env)
    candidates = []
    if os.environ.get("COVE_BUILD_DIR"):
        build = Path(os.environ["COVE_BUILD_DIR"])
        candidates += [build / "release" / "src" / "cloud" / "cove-cloud",
                       build / "src" / "cloud" / "cove-cloud"]
    candidates.append(REPO / "build" / "release" / "src" / "cloud" / "cove-cloud")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


def _start_cloud(state, port=0, transition_delay_ms=50):
    """Starts cove-cloud on 127.0.0.1:`port` (0: any); returns (process, port).

    Skips the test when the binary is not built."""
    binary = _cloud_binary()
    if binary is None:
        pytest.skip("cove-cloud is not built (set COVE_CLOUD_BIN, or build "
                    "build/release/src/cloud/cove-cloud): control-plane tests skipped")
    proc = subprocess.Popen(
        [str(binary), "--state-dir", str(state), "--listen", f"127.0.0.1:{port}",
         "--admin-key", ADMIN_KEY,
         "--transition-delay-ms", str(transition_delay_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        m = re.match(r"cove-cloud listening on 127\.0\.0\.1:(\d+)", line)
        if m:
            return proc, int(m.group(1))
    proc.kill()
    proc.wait()
    pytest.fail("cove-cloud did not report its port:\n" + "".join(lines))


def _stop_cloud(proc):
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """A cove-cloud on 127.0.0.1 (any free port); yields its http:// endpoint."""
    proc, port = _start_cloud(tmp_path_factory.mktemp("cloud") / "state")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop_cloud(proc)


@pytest.fixture(scope="module")
def admin(cloud):
    with cove.ControlClient(cloud, api_key=ADMIN_KEY, timeout=20) as cc:
        yield cc


_counter = [0]


def _create_foundation(admin, bucket):
    """A fresh organization, project and cross-account environment."""
    _counter[0] += 1
    org = admin.create_organization(f"org-{_counter[0]}", display_name="Test")
    project = admin.create_project(org.name, "search", region="us-east-1",
                                   labels={"team": "search"})
    env = admin.create_environment(
        project.name, "aws", cloud_account_id=ACCOUNT, region="us-east-1",
        vpc_id="vpc-0123abcd", bucket=str(bucket),
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/x", external_id=org.external_id)
    assert env.state == cove.EnvironmentState.READY, env.state_message
    return org, project, env


@pytest.fixture
def foundation(admin, tmp_path):
    """A fresh organization, project and cross-account environment."""
    return _create_foundation(admin, tmp_path / "bucket")


def _count(data):
    return data.query("docs", output_fields=["count(*)"])[0]["count(*)"]


def test_lifecycle(admin, foundation):
    org, project, env = foundation
    assert admin.validate_environment(env.name).valid

    op = admin.start_create_cluster(project.name, "prod", environment=env.name,
                                    cu_size=1, labels={"tier": "gold"})
    assert isinstance(op, cove.Operation)
    created = op.wait(timeout=60)
    assert op.done and op.error is None
    assert created.state == cove.ClusterState.RUNNING
    assert created.endpoint.startswith("http://127.0.0.1:")
    password = created.admin_password
    assert password
    assert isinstance(created.create_time, datetime)
    assert created.create_time.tzinfo is not None

    vectors = np.eye(4, dtype=np.float32)
    with cove.Client(created.endpoint, user="root", password=password) as data:
        data.create_collection("docs", dimension=4)
        data.insert("docs", [{"id": i, "vector": vectors[i]} for i in range(4)],
                    progress=False)
        hits = data.search("docs", vectors[:1], limit=2)
        assert len(hits) == 1
        assert _count(data) == 4

    scaled = admin.scale_cluster(created.name, cu_size=2)
    assert scaled.cu_size == 2 and scaled.state == cove.ClusterState.RUNNING

    suspended = admin.suspend_cluster(created.name)
    assert suspended.state == cove.ClusterState.SUSPENDED
    with pytest.raises(cove.UnavailableError):
        with cove.Client(created.endpoint, user="root", password=password,
                         timeout=5) as data:
            _count(data)
    with pytest.raises(cove.FailedPreconditionError, match="SUSPENDED"):
        admin.start_suspend_cluster(created.name)

    resumed = admin.resume_cluster(created.name)
    assert resumed.state == cove.ClusterState.RUNNING
    with cove.Client(admin.get_cluster(created.name).endpoint, user="root",
                     password=password) as data:
        assert _count(data) == 4

    deleted = admin.delete_cluster(created.name)
    assert deleted.state == cove.ClusterState.DELETED
    assert deleted.purge_time is not None
    assert admin.restore_cluster(created.name).state == cove.ClusterState.RUNNING
    admin.delete_cluster(created.name)
    admin.purge_cluster(created.name)
    with pytest.raises(cove.NotFoundError):
        admin.get_cluster(created.name)
    with pytest.raises(LookupError):
        admin.get_cluster(created.name)

    events = list(admin.list_audit_events(org.name, filter="outcome=SUCCEEDED",
                                          page_size=3))
    actions = [e.action for e in events]
    for action in ["organizations.create", "projects.create", "environments.create",
                   "clusters.create", "clusters.scale", "clusters.suspend",
                   "clusters.resume", "clusters.delete", "clusters.restore",
                   "clusters.purge"]:
        assert action in actions
    assert all(e.outcome == cove.AuditOutcome.SUCCEEDED for e in events)


def test_list_pages_lazily(admin, foundation):
    org, _, _ = foundation
    for i in range(4):
        admin.create_project(org.name, f"extra-{i}", region="eu-west-1")
    page = admin.list_projects_page(org.name, page_size=2)
    assert len(page.items) == 2 and page.next_page_token
    names = [p.name for p in admin.list_projects(org.name, page_size=2)]
    assert len(names) == 5 and len(set(names)) == 5
    eu = list(admin.list_projects(org.name, filter="region=eu-west-1"))
    assert len(eu) == 4
    with pytest.raises(cove.InvalidArgumentError):
        list(admin.list_projects(org.name, filter="colour=blue"))


def test_validation_errors_are_value_errors(admin):
    with pytest.raises(cove.InvalidArgumentError, match="organization_id"):
        admin.create_organization("X")
    with pytest.raises(ValueError, match="name"):
        admin.get_cluster("clusters/prod")
    with pytest.raises(cove.InvalidArgumentError, match="cu_size"):
        admin.start_scale_cluster("organizations/acme/projects/p-1/clusters/c-1")


def test_rbac_etag_and_request_ids(cloud, admin, foundation):
    org, project, env = foundation
    key = admin.create_api_key(org.name, scope=project.name,
                               role="roles/project.read_only", api_key_id="reader")
    assert key.secret
    with cove.ControlClient(cloud, api_key=key.secret) as reader:
        assert reader.get_project(project.name).name == project.name
        with pytest.raises(cove.PermissionDeniedError):
            reader.start_create_cluster(project.name, "nope", environment=env.name)
        assert "clusters.create" not in reader.test_permissions(
            project.name, ["clusters.create", "clusters.list"])
    with cove.ControlClient(cloud, api_key="cove_nobody_000000") as stranger:
        with pytest.raises(cove.UnauthenticatedError):
            stranger.get_project(project.name)

    # A stale etag is Aborted.
    current = admin.get_project(project.name)
    current.display_name = "renamed"
    updated = admin.update_project(current, ["display_name"])
    assert updated.display_name == "renamed"
    with pytest.raises(cove.AbortedError):
        admin.update_project(current, ["display_name"])

    # The same request id: same result for the same request, AlreadyExists
    # for another one.
    rid = cove.ControlClient.new_request_id()
    first = admin.create_project(org.name, "dedup", request_id=rid)
    again = admin.create_project(org.name, "dedup", request_id=rid)
    assert again.name == first.name and again.etag == first.etag
    with pytest.raises(cove.AlreadyExistsError):
        admin.create_project(org.name, "dedup-2", request_id=rid)


def test_operation_wait_timeout_and_threads(admin, foundation):
    org, project, env = foundation
    admin.emulator.update_settings(transition_delay=1.0)
    try:
        op = admin.start_create_cluster(project.name, "slow", environment=env.name)
        with pytest.raises(cove.DeadlineExceededError, match=op.name):
            op.wait(timeout=0.1)
        with pytest.raises(TimeoutError):
            op.wait(timeout=0.05)
        running = list(admin.list_operations(org.name, filter="done=false"))
        assert [o.name for o in running] == [op.name]
        # wait() releases the GIL: other threads keep calling meanwhile.
        done = []
        waiter = threading.Thread(target=lambda: done.append(op.wait(timeout=30)))
        waiter.start()
        calls = 0
        while waiter.is_alive() and calls < 1000:
            admin.get_project(project.name)
            calls += 1
        waiter.join()
        assert calls > 1
        assert done and done[0].state == cove.ClusterState.RUNNING
    finally:
        admin.emulator.update_settings(transition_delay=0.05)


def test_emulator_faults(admin, foundation):
    org, _, _ = foundation
    settings = admin.emulator.get_settings()
    assert settings.transition_delay == pytest.approx(0.05)
    # Two UNAVAILABLE faults: the client retries them with the same request id.
    admin.emulator.inject_fault("CreateProject", cove.FaultMode.UNAVAILABLE, count=2)
    assert admin.create_project(org.name, "flaky").name.endswith("/projects/flaky")
    admin.emulator.inject_fault("GetOrganization", cove.FaultMode.FAIL,
                                code=cove.StatusCode.INTERNAL, message="boom")
    assert any(f.verb == "GetOrganization" for f in admin.emulator.list_faults())
    with pytest.raises(cove.InternalError):
        admin.get_organization(org.name)
    admin.emulator.clear_faults()
    assert admin.get_organization(org.name).name == org.name
    fault = admin.emulator.inject_fault("UpgradeCluster", cove.FaultMode.FAIL,
                                        message="replica 2 fails", replica=2)
    assert fault.replica == 2
    assert [f.replica for f in admin.emulator.list_faults()] == [2]
    admin.emulator.clear_faults()


def test_operation_wait_draws_progress(admin, foundation, monkeypatch, capsys):
    org, project, env = foundation
    monkeypatch.setattr(cove._progress, "_stderr_isatty", lambda: True)
    admin.emulator.update_settings(transition_delay=0.6)
    try:
        op = admin.start_create_cluster(project.name, "bar", environment=env.name)
        cluster = op.wait(timeout=30)
        assert cluster.state == cove.ClusterState.RUNNING
        err = capsys.readouterr().err
        assert "CreateCluster bar" in err and "100" in err
        # progress=False never draws, even on a terminal.
        op = admin.start_suspend_cluster(cluster.name)
        op.wait(timeout=30, progress=False)
        assert capsys.readouterr().err == ""
    finally:
        admin.emulator.update_settings(transition_delay=0.05)


def test_autoscaling_settings_metrics_and_a_scale_up(admin, foundation):
    org, project, env = foundation
    emu = admin.emulator
    emu.update_settings(vectors_per_cu={"performance": 10})
    try:
        cluster = admin.create_cluster(project.name, "auto", environment=env.name,
                                       cu_size=1)
        password = cluster.admin_password
        assert cluster.capacity_vectors == 10
        assert cluster.metrics_endpoint.startswith("http://127.0.0.1:")
        schedule = cove.AutoscalingSchedule(cron="30 8 * * 1-5", time_zone="Asia/Tokyo",
                                            min_cu_size=2, duration_minutes=90)
        cluster.autoscaling = cove.Autoscaling(
            enabled=True, min_cu_size=1, max_cu_size=4, scale_up_fill_percent=80,
            scale_down_fill_percent=40, cool_down_seconds=300, schedules=[schedule],
            target_qps_per_replica=2.5)
        updated = admin.update_cluster(cluster, ["autoscaling"])
        assert updated.autoscaling == cluster.autoscaling
        assert admin.get_cluster(cluster.name).autoscaling.schedules == [schedule]
        bad = cove.Autoscaling(enabled=True, min_cu_size=1, max_cu_size=4, schedules=[
            cove.AutoscalingSchedule(cron="0 9 * *", min_cu_size=2)])
        cluster.autoscaling = bad
        with pytest.raises(cove.InvalidArgumentError, match=r"schedules\[0\]\.cron"):
            admin.update_cluster(cluster, ["autoscaling"])
        with pytest.raises(ValueError, match="window_seconds"):
            admin.get_cluster_metrics(cluster.name, window_seconds=601)
        # From here on the manual clock: the autoscaler may start its operation
        # as soon as the cluster is 90% full, but it completes only when the
        # clock moves.
        emu.set_clock()

        vectors = np.eye(4, dtype=np.float32)
        with cove.Client(cluster.endpoint, user="root", password=password) as data:
            data.create_collection("docs", dimension=4)
            data.insert("docs", [{"id": i, "vector": vectors[i % 4]} for i in range(9)],
                        progress=False)
            for _ in range(5):
                data.search("docs", vectors[:1], limit=2)
        m = admin.get_cluster_metrics(cluster.name, window_seconds=600)
        assert isinstance(m, cove.ClusterMetrics)
        assert m.serving and m.cluster == cluster.name
        assert m.vector_count == 9
        assert m.cu_usage == pytest.approx(0.9)
        assert m.storage_bytes > 0
        search = next(k for k in m.kinds if k.kind == "search")
        assert isinstance(search, cove.RequestKindMetrics)
        assert search.requests == 5 and search.errors == 0
        assert search.qps == pytest.approx(5 / 600)
        assert 0 < search.latency_p50_ms <= search.latency_p99_ms
        assert isinstance(m.time, datetime)

        # 90% full: the autoscaler scales it up.
        emu.advance_clock(1)
        emu.advance_clock(1)
        scaled = admin.get_cluster(cluster.name)
        assert scaled.cu_size == 2 and scaled.capacity_vectors == 20
        events = list(admin.list_audit_events(org.name, filter="action=clusters.autoscale"))
        assert events and events[0].actor == "system:autoscaler"
        assert "autoscaler" in events[0].message
    finally:
        emu.set_clock(real=True)
        emu.update_settings(vectors_per_cu={"performance": 10000})


def test_wait_outlives_a_control_plane_restart(tmp_path):
    """SIGKILL of cove-cloud mid-wait, down for seconds, restarted on the same
    state and port: Operation.wait() with the default retry options (5
    attempts from 100 ms for a plain call) retries until its own timeout and
    returns the finished cluster."""
    state = tmp_path / "state"
    proc, port = _start_cloud(state, transition_delay_ms=1500)
    try:
        with cove.ControlClient(f"http://127.0.0.1:{port}",
                                api_key=ADMIN_KEY) as cc:
            _, project, env = _create_foundation(cc, tmp_path / "bucket")
            op = cc.start_create_cluster(project.name, "waiter",
                                         environment=env.name)
            result = {}

            def wait():
                try:
                    result["cluster"] = op.wait(timeout=120, progress=False)
                except Exception as e:  # reported by the assertion below
                    result["error"] = e

            waiter = threading.Thread(target=wait)
            waiter.start()
            time.sleep(0.2)
            proc.kill()  # SIGKILL
            proc.wait()
            proc.stdout.close()
            time.sleep(5)  # the control plane is down for 5 s
            proc, _ = _start_cloud(state, port=port, transition_delay_ms=1500)
            waiter.join(timeout=150)
            assert not waiter.is_alive()
            assert "error" not in result, result.get("error")
            assert result["cluster"].state == cove.ClusterState.RUNNING
            assert op.done
    finally:
        _stop_cloud(proc)
def test_reset_cluster_password(cloud, admin, foundation):
    """reset_cluster_password: a new root password, shown once to the caller
    (redacted in repr), the old one refused; cluster admins only."""
    org, project, env = foundation
    created = admin.create_cluster(project.name, "vault", environment=env.name,
                                   wait_timeout=60)
    old = created.admin_password
    reset = admin.reset_cluster_password(created.name, wait_timeout=60)
    assert reset.state == cove.ClusterState.RUNNING
    new = reset.admin_password
    assert new and new != old
    assert new not in repr(reset) and "admin_password=<redacted>" in repr(reset)
    with cove.Client(created.endpoint, user="root", password=new, timeout=20) as data:
        data.list_collections()
    with pytest.raises(cove.UnauthenticatedError):
        with cove.Client(created.endpoint, user="root", password=old, timeout=20) as data:
            data.list_collections()
    assert admin.get_cluster(created.name).admin_password == ""
    key = admin.create_api_key(org.name, scope=project.name,
                               role="roles/project.read_write")
    with cove.ControlClient(cloud, api_key=key.secret) as writer:
        with pytest.raises(cove.PermissionDeniedError, match="clusters.resetPassword"):
            writer.reset_cluster_password(created.name)


def test_auto_idle_and_wake(admin, foundation):
    """idle_timeout through the Python client: the cluster goes IDLE on the
    emulator clock, keeps its endpoint, and a data-plane request wakes it
    with every row written before."""
    org, project, env = foundation
    emu = admin.emulator
    emu.set_clock()
    try:
        op = admin.start_create_cluster(project.name, "nap", environment=env.name,
                                        cu_size=4, idle_timeout=120)
        emu.advance_clock(1)
        cluster = op.wait(60)
        assert cluster.idle_timeout == 120.0
        password = cluster.admin_password
        with cove.Client(cluster.endpoint, user="root", password=password,
                         timeout=20) as data:
            data.create_collection("docs", dimension=2)
            data.insert("docs", [{"id": i, "vector": [float(i), 1.0]} for i in range(12)])
        cluster.idle_timeout = 1.5
        with pytest.raises(cove.InvalidArgumentError, match="cluster.idle_timeout"):
            admin.update_cluster(cluster, ["idle_timeout"])
        cluster.idle_timeout = 60
        assert admin.update_cluster(cluster, ["idle_timeout"]).idle_timeout == 60.0
        emu.advance_clock(60)
        idle = admin.get_cluster(cluster.name)
        assert idle.state == cove.ClusterState.IDLE
        assert idle.idle_time is not None
        assert idle.endpoint == cluster.endpoint
        # The first call is refused (or retried by the client) and wakes it.
        deadline = time.monotonic() + 30
        count = None
        while count is None and time.monotonic() < deadline:
            try:
                with cove.Client(cluster.endpoint, user="root", password=password,
                                 timeout=20) as data:
                    count = _count(data)
            except cove.UnavailableError as e:
                assert "waking up from idle" in str(e) or "connect" in str(e).lower(), e
                time.sleep(0.01)
        assert count == 12
        assert admin.get_cluster(cluster.name).state == cove.ClusterState.RUNNING
    finally:
        emu.set_clock(real=True)


def test_ip_access_list(admin, foundation):
    """ip_access_list through the Python client: validated and canonicalised
    by the API, enforced on this machine's address (127.0.0.1), changed at
    once with update_cluster, and the refusal audited."""
    org, project, env = foundation
    op = admin.start_create_cluster(project.name, "fenced", environment=env.name,
                                    ip_access_list=["10.0.0.0/8"])
    cluster = op.wait(60)
    assert cluster.ip_access_list == ["10.0.0.0/8"]
    password = cluster.admin_password
    with pytest.raises(cove.PermissionDeniedError,
                       match="client address 127.0.0.1 is not allowed"):
        with cove.Client(cluster.endpoint, user="root", password=password,
                         timeout=20) as data:
            data.list_collections()
    cluster.ip_access_list = ["10.0.0.0/8", "127.0.0.1/8"]
    with pytest.raises(cove.InvalidArgumentError,
                       match=r"cluster\.ip_access_list\[1\].*127\.0\.0\.0/8"):
        admin.update_cluster(cluster, ["ip_access_list"])
    cluster.ip_access_list = ["10.0.0.0/8", "127.0.0.1"]
    updated = admin.update_cluster(cluster, ["ip_access_list"])
    assert updated.ip_access_list == ["10.0.0.0/8", "127.0.0.1/32"]
    with cove.Client(cluster.endpoint, user="root", password=password,
                     timeout=20) as data:
        assert data.list_collections() == []
    events = list(admin.list_audit_events(
        org.name, filter="action=dataPlane.ipAccessList"))
    assert len(events) == 1 and "127.0.0.1" in events[0].client_address, events


def test_private_endpoint(admin, foundation):
    """Private endpoints through the Python client: the environment's
    private network address, a cluster reachable there, its public endpoint
    off (connections refused) and on again, data kept, the refusal of a
    cluster without any endpoint naming both fields."""
    org, project, env = foundation
    assert env.private_network_address.startswith("127.1."), env
    with pytest.raises(cove.FailedPreconditionError,
                       match=r"cluster\.public_endpoint_disabled.*"
                             r"cluster\.private_endpoint_enabled"):
        admin.start_create_cluster(project.name, "nowhere", environment=env.name,
                                   public_endpoint_disabled=True)
    op = admin.start_create_cluster(project.name, "vpc", environment=env.name,
                                    private_endpoint_enabled=True)
    cluster = op.wait(60)
    password = cluster.admin_password
    assert cluster.private_endpoint.startswith(
        f"http://{env.private_network_address}:"), cluster.private_endpoint
    public = cluster.endpoint
    with cove.Client(cluster.private_endpoint, user="root", password=password,
                     timeout=20) as data:
        data.create_collection("docs", dimension=2)
        data.insert("docs", [{"id": 1, "vector": [0.5, 0.5]}])
    cluster.public_endpoint_disabled = True
    updated = admin.update_cluster(cluster, ["public_endpoint_disabled"])
    assert updated.endpoint == "" and updated.public_endpoint_disabled
    host, port = public.rsplit("/", 1)[-1].rsplit(":", 1)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=5).close()
    with cove.Client(updated.private_endpoint, user="root", password=password,
                     timeout=20) as data:
        assert _count(data) == 1
    updated.public_endpoint_disabled = False
    again = admin.update_cluster(updated, ["public_endpoint_disabled"])
    assert again.endpoint == public
    with cove.Client(public, user="root", password=password, timeout=20) as data:
        assert _count(data) == 1


def test_license_caps_scaling_and_estimate_cost(cloud, admin, foundation):
    """Licenses and cost (issue 19): the vendor's license is shown on the
    project, refuses a scale past it (RESOURCE_EXHAUSTED naming it), and
    estimate_cost equals the price table's arithmetic; customers may read
    and estimate, not set."""
    org, project, env = foundation
    emu = admin.emulator
    p = emu.set_project_license(project.name, license_id="lic-py", max_cus=8,
                                max_replicas=2)
    assert p.license is not None and p.license.max_cus == 8
    c = admin.create_cluster(project.name, "lic", environment=env.name, cu_size=4,
                             wait_timeout=60)
    got = admin.get_project(project.name).license
    assert (got.used_cus, got.used_replicas) == (4, 1)
    with pytest.raises(cove.ResourceExhaustedError, match="license 'lic-py'.*max_cus 8"):
        admin.scale_cluster(c.name, cu_size=12)
    assert admin.scale_cluster(c.name, cu_size=8, wait_timeout=60).cu_size == 8

    table = cove.PriceTable(cu_hour={"performance": 0.5}, storage_gib_month=0.1,
                            region_factor={"us-east-1": 2.0})
    settings = emu.update_settings(price_table=table)
    assert settings.price_table.cu_hour["performance"] == 0.5
    e = admin.estimate_cost(project.name, cu_size=8, replicas=2, storage_gib=100)
    assert e.region == "us-east-1" and e.region_factor == 2.0
    assert [i.item for i in e.items] == ["compute", "storage"]
    assert e.items[0].per_hour == pytest.approx(8 * 2 * 0.5 * 2.0)
    assert e.items[1].per_month == pytest.approx(100 * 0.1 * 2.0)
    assert e.per_month == pytest.approx(16 * e.hours_per_month + 20)

    key = admin.create_api_key(org.name, scope=project.name,
                               role="roles/project.read_only")
    with cove.ControlClient(cloud, api_key=key.secret) as reader:
        assert reader.get_project(project.name).license.license_id == "lic-py"
        assert reader.estimate_cost(project.name, cu_size=1).per_hour > 0
        with pytest.raises(cove.PermissionDeniedError, match="setProjectLicense"):
            reader.emulator.set_project_license(project.name, max_cus=1000)
    assert emu.clear_project_license(project.name).license is None


def test_alert_rule_fires_to_a_signed_webhook(cloud, admin, foundation):
    """Alerts (issue 19) through the Python client: a local webhook receiver
    checks the HMAC signature; a rule goes pending and fires on the emulator
    clock; test, silence, list, delete; a viewer cannot create; an ftp://
    webhook is refused."""
    import hashlib
    import hmac
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    org, project, env = foundation
    secret = b"py-hook-secret"
    events = []
    got = threading.Condition()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            ok = self.headers.get("X-Cove-Signature") == sig
            with got:
                events.append((json.loads(body)["event"], ok))
                got.notify_all()
            self.send_response(200 if ok else 401)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    def wait_events(n):
        with got:
            assert got.wait_for(lambda: len(events) >= n, timeout=20), events
        return events[n - 1]

    emu = admin.emulator
    try:
        c = admin.create_cluster(project.name, "watched", environment=env.name,
                                 wait_timeout=60)
        with pytest.raises(cove.InvalidArgumentError, match="webhook.url"):
            admin.create_alert_rule(project.name, "bad", cluster=c.name,
                                    metric=cove.AlertMetric.CU_USAGE,
                                    webhook_url="ftp://127.0.0.1/hook")
        # An empty cluster: CU usage 0 < 0.5 holds at once.
        rule = admin.create_alert_rule(
            project.name, "empty", cluster=c.name, metric=cove.AlertMetric.CU_USAGE,
            comparison=cove.AlertComparison.LESS_THAN, threshold=0.5,
            for_duration=60, webhook_url=url, webhook_secret=secret.decode(),
            audit=True)
        assert rule.webhook.secret_set and rule.webhook.secret == ""
        assert rule.for_duration == 60.0
        assert admin.test_alert_rule(rule.name)["channels"] == ["webhook", "audit"]
        assert wait_events(1) == ("test", True)

        emu.set_clock()
        emu.advance_clock(0)
        assert admin.get_alert_rule(rule.name).state == cove.AlertState.PENDING
        emu.advance_clock(60)
        r = admin.get_alert_rule(rule.name)
        assert r.state == cove.AlertState.FIRING and r.has_value and r.value < 0.5
        assert wait_events(2) == ("firing", True)

        until = emu.get_settings().now.timestamp() + 3600
        assert admin.silence_alert_rule(rule.name, until).silenced_until is not None
        assert [x.name for x in admin.list_alert_rules(
            project.name, filter="state=FIRING")] == [rule.name]

        # Only the masked fields change; a new condition restarts it.
        current = admin.get_alert_rule(rule.name)
        current.threshold = 0.0
        current.display_name = "not sent"
        r = admin.update_alert_rule(current, ["threshold"])
        assert r.threshold == 0.0 and r.display_name == "empty"
        assert r.state == cove.AlertState.INACTIVE and r.etag != current.etag
        with pytest.raises(cove.AbortedError):
            admin.update_alert_rule(current, ["threshold"])  # its etag is stale
        with pytest.raises(cove.InvalidArgumentError, match="cluster cannot change"):
            admin.update_alert_rule(r, ["cluster"])

        key = admin.create_api_key(org.name, scope=project.name,
                                   role="roles/project.read_only")
        with cove.ControlClient(cloud, api_key=key.secret) as viewer:
            assert viewer.get_alert_rule(rule.name).name == rule.name
            with pytest.raises(cove.PermissionDeniedError):
                viewer.update_alert_rule(r, ["threshold"])
            with pytest.raises(cove.PermissionDeniedError):
                viewer.create_alert_rule(project.name, "mine", cluster=c.name,
                                         metric=cove.AlertMetric.QPS, audit=True)
        admin.delete_alert_rule(rule.name)
        with pytest.raises(cove.NotFoundError):
            admin.get_alert_rule(rule.name)
    finally:
        emu.set_clock(real=True)
        server.shutdown()
def test_support_access_request_approve_use_revoke(cloud, admin, foundation):
    """Support access (issue 19): a support principal holds nothing until an
    organization owner approves its request; then it reads the cluster and,
    read-only, its data plane; every call is audited under it with the
    grant; a revoked grant opens nothing."""
    org, project, env = foundation
    c = admin.create_cluster(project.name, "helped", environment=env.name,
                             wait_timeout=60)
    with cove.Client(c.endpoint, user="root", password=c.admin_password) as data:
        data.create_collection("docs", dimension=2)
    sp = admin.emulator.create_support_principal(f"py-support-{_counter[0]}")
    assert sp.name.startswith("supportPrincipals/") and sp.secret
    owner_key = admin.create_api_key(org.name, scope=org.name,
                                     role="roles/organization.owner")
    with cove.ControlClient(cloud, api_key=sp.secret) as support, \
            cove.ControlClient(cloud, api_key=owner_key.secret) as owner:
        with pytest.raises(cove.PermissionDeniedError, match="clusters.get"):
            support.get_cluster(c.name)
        with pytest.raises(cove.InvalidArgumentError, match="duration"):
            support.request_support_access(c.name, reason="t-1", duration=2 * 86400)
        g = support.request_support_access(c.name, reason="ticket 1", duration=3600)
        assert g.state == cove.SupportAccessState.PENDING
        assert owner.approve_support_access(g.name).state == \
            cove.SupportAccessState.ACTIVE
        mine = support.get_support_access(g.name)
        assert mine.data_plane_password and mine.duration == 3600
        assert mine.data_plane_password not in repr(mine)  # redacted
        assert support.get_cluster(c.name).name == c.name
        with cove.Client(c.endpoint, user=mine.data_plane_user,
                         password=mine.data_plane_password) as data:
            assert data.list_collections() == ["docs"]
            with pytest.raises(cove.PermissionDeniedError, match="read-only"):
                data.drop_collection("docs")
        assert [x.name for x in owner.list_support_access(
            org.name, filter="state=ACTIVE")] == [g.name]
        assert [x.name for x in support.list_support_access()] == [g.name]
        events = list(owner.list_audit_events(
            org.name, filter=f"support_grant={g.name}"))
        assert {e.actor for e in events} == {sp.name}
        assert "clusters.get" in {e.action for e in events}
        assert owner.revoke_support_access(g.name, reason="done").state == \
            cove.SupportAccessState.REVOKED
        with pytest.raises(cove.PermissionDeniedError):
            support.get_cluster(c.name)
        with pytest.raises(cove.UnauthenticatedError):
            with cove.Client(c.endpoint, user=mine.data_plane_user,
                             password=mine.data_plane_password) as data:
                data.list_collections()
def test_upgrade_rollback_and_maintenance_window(cloud, admin, foundation):
    """Versions and upgrades (issue 19): releases published in the emulator's
    catalog; a broken release is rolled back (the cluster keeps its version
    and its data); a sound one upgrades; maintenance windows set, read and
    cleared."""
    org, project, env = foundation
    c = admin.create_cluster(project.name, "upg", environment=env.name,
                             wait_timeout=60)
    base = c.version
    assert base
    admin.emulator.update_settings(releases=[
        cove.Release(version="8.1.0", upgrades_from=[base]),
        cove.Release(version="8.0.9", upgrades_from=[base], broken=True)])
    assert [r.version for r in admin.list_releases(c.name)] == ["8.0.9", "8.1.0"]
    assert admin.get_cluster(c.name).available_upgrades == ["8.0.9", "8.1.0"]
    with cove.Client(c.endpoint, user="root", password=c.admin_password,
                     timeout=20) as data:
        data.create_collection("docs", dimension=2)
        data.insert("docs", [{"id": i, "vector": [float(i), 1.0]} for i in range(4)])
    with pytest.raises(cove.Error, match="rolled back to release"):
        admin.upgrade_cluster(c.name, "8.0.9", wait_timeout=60)
    got = admin.get_cluster(c.name)
    assert got.version == base and got.state == cove.ClusterState.RUNNING
    assert admin.upgrade_cluster(c.name, "8.1.0", wait_timeout=60).version == "8.1.0"
    with cove.Client(c.endpoint, user="root", password=c.admin_password,
                     timeout=20) as data:
        assert len(data.query("docs", filter="id >= 0", output_fields=["id"])) == 4

    w = cove.MaintenanceWindow(day_of_week="tuesday", start_time="22:30",
                               duration=3600, time_zone="Asia/Tokyo")
    info = admin.set_maintenance_window(c.name, w)
    assert info.window.day_of_week == "TUESDAY" and info.source == "cluster"
    assert info.next_start_time is not None
    assert admin.get_maintenance_window(c.name).window.duration == 3600
    assert admin.set_maintenance_window(c.name, None).window is None
    assert admin.get_maintenance_window(c.name).source == ""


def test_scheduled_upgrade_deferred_then_run_now(cloud, admin, foundation):
    """A scheduled upgrade (issue 19) through the Python client, on the
    emulator's manual clock: it waits for the cluster's maintenance window,
    ``action="defer"`` moves it to the window after (nothing runs in the
    deferred one), ``action="run_now"`` starts it outside any window."""
    org, project, env = foundation
    c = admin.create_cluster(project.name, "sched", environment=env.name,
                             wait_timeout=60)
    base = c.version
    admin.emulator.update_settings(releases=[
        cove.Release(version="9.1.0", upgrades_from=[base])])
    emu = admin.emulator
    try:
        now = emu.set_clock().now
        # The cluster's window: tomorrow 12:00-13:00 UTC.
        tomorrow = now + timedelta(days=1)
        opens = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 12,
                         tzinfo=timezone.utc)
        w = cove.MaintenanceWindow(day_of_week=tomorrow.strftime("%A"),
                                   start_time="12:00", duration=3600,
                                   time_zone="UTC")
        info = admin.set_maintenance_window(c.name, w)
        assert info.source == "cluster" and info.next_start_time == opens

        op = admin.start_upgrade_cluster(c.name, "9.1.0", schedule=True)
        assert not op.done
        got = admin.get_cluster(c.name)
        assert got.state == cove.ClusterState.RUNNING and got.version == base
        assert got.scheduled_upgrade.version == "9.1.0"
        assert got.scheduled_upgrade.operation == op.name
        assert got.scheduled_upgrade.start_time == opens
        with pytest.raises(cove.FailedPreconditionError):
            admin.start_upgrade_cluster(c.name, "9.1.0")
        with pytest.raises(ValueError, match="action"):
            admin.start_upgrade_cluster(c.name, action="later")

        admin.start_upgrade_cluster(c.name, action="defer")
        got = admin.get_cluster(c.name)
        assert got.scheduled_upgrade.start_time == opens + timedelta(days=7)
        assert got.scheduled_upgrade.deferrals == 1
        # Inside tomorrow's window: deferred, so it does not run.
        emu.advance_clock((opens - now).total_seconds() + 60)
        assert not op.refresh().done
        assert admin.get_cluster(c.name).version == base

        admin.start_upgrade_cluster(c.name, action="run_now")
        emu.advance_clock(1)
        upgraded = op.wait(timeout=60)
        assert op.error is None
        assert upgraded.version == "9.1.0"
        got = admin.get_cluster(c.name)
        assert got.version == "9.1.0" and got.scheduled_upgrade is None
        events = list(admin.list_audit_events(org.name,
                                              filter="action=clusters.upgrade"))
        # Scheduled, refused (one is already scheduled), deferred, run now.
        assert [e.status_code for e in events] == [
            cove.StatusCode.OK, cove.StatusCode.FAILED_PRECONDITION,
            cove.StatusCode.OK, cove.StatusCode.OK], [e.message for e in events]
    finally:
        emu.set_clock(real=True)
