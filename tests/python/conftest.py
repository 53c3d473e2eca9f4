"""Fixtures of the Python tests.

The tests run against the INSTALLED package: run pytest from a directory
where `import cove` cannot pick up python/cove from the source tree (the
repository root is fine: the package lives in python/cove). See
docs/python.md for the command.
"""

import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import cove

REPO = Path(__file__).resolve().parents[2]
SOURCE_PACKAGE = REPO / "python" / "cove"


def pytest_report_header(config):
    return f"cove {cove.__version__} from {Path(cove.__file__).parent}"


@pytest.fixture(scope="session", autouse=True)
def _installed_package():
    here = Path(cove.__file__).resolve().parent
    if here == SOURCE_PACKAGE.resolve():
        pytest.exit("tests/python must run against the installed package, not "
                    f"{SOURCE_PACKAGE}: run pytest from the repository root with "
                    "the venv's python (see docs/python.md)", returncode=4)


@pytest.fixture
def client():
    """An embedded in-memory cove.Client."""
    with cove.Client(":memory:") as c:
        yield c


@pytest.fixture
def milvus():
    """An embedded in-memory cove.MilvusClient."""
    with cove.MilvusClient(":memory:") as c:
        yield c


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def vectors(rng):
    """vectors(n, dim): n random float32 vectors, a C-contiguous (n, dim) array."""
    def make(n, dim):
        return rng.standard_normal((n, dim), dtype=np.float32)
    return make


def _server_binary():
    env = os.environ.get("COVE_SERVER_BIN")
    if env:
        return Path(env)
    candidates = []
    if os.environ.get("COVE_BUILD_DIR"):
        candidates.append(Path(os.environ["COVE_BUILD_DIR"]) / "release" / "src" / "server" / "cove-server")
        candidates.append(Path(os.environ["COVE_BUILD_DIR"]) / "src" / "server" / "cove-server")
    candidates.append(REPO / "build" / "release" / "src" / "server" / "cove-server")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


@pytest.fixture(scope="module")
def cove_server(tmp_path_factory):
    """A cove-server on 127.0.0.1 (any free port); yields its http:// URI.

    The binary: $COVE_SERVER_BIN, else <build>/src/server/cove-server of
    $COVE_BUILD_DIR/release or build/release. Skipped when it is not built.
    """
    binary = _server_binary()
    if binary is None:
        pytest.skip("cove-server is not built (set COVE_SERVER_BIN, or build "
                    "build/release/src/server/cove-server): remote tests skipped")
    data = tmp_path_factory.mktemp("server") / "data"
    proc = subprocess.Popen([str(binary), "--data", str(data), "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    port = None
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        m = re.search(r"listening on .*:(\d+)\s*$", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        proc.kill()
        proc.wait()
        pytest.fail("cove-server did not report its port:\n" + "".join(lines))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()

