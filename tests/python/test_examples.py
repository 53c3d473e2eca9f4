"""The Python examples run (they exit non-zero when something is wrong)."""

import subprocess
import sys
from pathlib import Path

import pytest

from test_control import ADMIN_KEY, cloud  # noqa: F401 (fixture)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


def test_docs_show_the_pymilvus_script_verbatim():
    doc = (EXAMPLES.parents[1] / "docs" / "python.md").read_text()
    section = doc.split("## cove.MilvusClient", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert block.startswith("from cove import MilvusClient\n")
    script = (EXAMPLES / "pymilvus_style.py").read_text()
    assert block in script
    # Only the import line differs from pymilvus'.
    assert "pymilvus" not in block


@pytest.mark.parametrize("script,args", [
    ("quickstart.py", []),
    ("quickstart.py", ["{tmp}/quickstart-data"]),
    ("pymilvus_style.py", []),
    ("hybrid_search.py", []),
])
def test_example_runs(script, args, tmp_path):
    argv = [a.format(tmp=tmp_path) for a in args]
    out = subprocess.run([sys.executable, str(EXAMPLES / script)] + argv, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    if script == "pymilvus_style.py":
        assert (tmp_path / "milvus_demo.db").is_dir()  # an embedded data directory
        assert "'insert_count': 3" in out.stdout
    elif script == "hybrid_search.py":
        assert "paragraphs mention a warranty" in out.stdout
        assert "hybrid (RRF):" in out.stdout
    else:
        assert "inserted 5000 rows" in out.stdout


# The control-plane examples, against the module's cove-cloud (skipped when it
# is not built). Each gets its own organization; autoscaling.py switches the
# emulator's clock to manual and back, so it runs last.
@pytest.mark.parametrize("script", ["backups.py", "autoscaling.py"])
def test_control_plane_example_runs(script, cloud, tmp_path):  # noqa: F811
    argv = ["--endpoint", cloud, "--api-key", ADMIN_KEY,
            "--bucket", str(tmp_path / "bucket"), "--org", "ex-" + script[:-3]]
    out = subprocess.run([sys.executable, str(EXAMPLES / script)] + argv, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.rstrip().endswith("done"), out.stdout


@pytest.fixture(scope="module")
def tls_cloud(tmp_path_factory):
    """A cove-cloud serving TLS with a generated certificate: yields its
    https:// endpoint and the CA file to trust."""
    from test_control import _cloud_binary
    binary = _cloud_binary()
    if binary is None:
        pytest.skip("cove-cloud is not built: the TLS examples are skipped")
    state = tmp_path_factory.mktemp("tls-cloud") / "state"
    proc = subprocess.Popen(
        [str(binary), "--state-dir", str(state), "--listen", "127.0.0.1:0",
         "--admin-key", ADMIN_KEY, "--transition-delay-ms", "50", "--tls-generate"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    port, ca, lines = None, None, []
    while port is None or ca is None:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("cove-cloud listening on 127.0.0.1:"):
            port = int(line.split(":")[1].split()[0])
        if line.startswith("trust: "):
            ca = line[len("trust: "):].strip()
    if port is None or ca is None:
        proc.kill()
        proc.wait()
        pytest.fail("cove-cloud --tls-generate did not start:\n" + "".join(lines))
    try:
        yield f"https://127.0.0.1:{port}", ca
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stdout.close()


# TLS with certificate verification, one example per client.
@pytest.mark.parametrize("script", ["tls_control_plane.py", "tls_data_plane.py"])
def test_tls_example_runs(script, tls_cloud, tmp_path):
    endpoint, ca = tls_cloud
    argv = ["--endpoint", endpoint, "--api-key", ADMIN_KEY, "--ca-cert-file", ca,
            "--org", "ex-" + script[:-3].replace("_", "-")]
    if script == "tls_data_plane.py":
        argv += ["--bucket", str(tmp_path / "bucket")]
    out = subprocess.run([sys.executable, str(EXAMPLES / script)] + argv, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.rstrip().endswith("done"), out.stdout
    assert "refused" in out.stdout
