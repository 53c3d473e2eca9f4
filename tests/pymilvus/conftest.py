"""Fixtures of the pymilvus interop tests (see pymilvus_support.py)."""

import pytest

from pymilvus_support import ROOT_PASSWORD, CoveServer, import_pymilvus, server_binary


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A cove-server with authentication on and an import directory."""
    binary = server_binary()
    if binary is None:
        pytest.skip("cove-server is not built (set COVE_SERVER_BIN): pymilvus tests skipped")
    base = tmp_path_factory.mktemp("pymilvus")
    import_dir = base / "import"
    import_dir.mkdir()
    s = CoveServer(binary, base / "data", auth_password=ROOT_PASSWORD, import_dir=import_dir)
    s.import_dir = import_dir
    yield s
    s.stop()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    """A cove-server with authentication off."""
    binary = server_binary()
    if binary is None:
        pytest.skip("cove-server is not built (set COVE_SERVER_BIN): pymilvus tests skipped")
    s = CoveServer(binary, tmp_path_factory.mktemp("pymilvus-open") / "data")
    yield s
    s.stop()


@pytest.fixture
def client(server):
    MilvusClient = import_pymilvus().MilvusClient
    c = MilvusClient(uri=server.uri, token=f"root:{ROOT_PASSWORD}")
    yield c
    c.close()
