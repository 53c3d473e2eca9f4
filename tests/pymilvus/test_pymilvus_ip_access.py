"""pymilvus against cove-server's IP access list (--ip-allow): a client whose
address (127.0.0.1 here) is outside the list gets PERMISSION_DENIED naming
its address from its first call; a list that holds it lets it work."""

import pytest

from pymilvus_support import CoveServer, import_pymilvus, server_binary


def _server(tmp_path, allow):
    binary = server_binary()
    if binary is None:
        pytest.skip("cove-server is not built (set COVE_SERVER_BIN): pymilvus tests skipped")
    return CoveServer(binary, tmp_path / "data", extra=("--ip-allow", allow))


def test_refused_outside_the_list(tmp_path):
    pymilvus = import_pymilvus()
    s = _server(tmp_path, "127.0.0.2,::1")
    try:
        with pytest.raises(Exception) as info:
            c = pymilvus.MilvusClient(uri=s.uri, timeout=10)
            c.list_collections()
        text = str(info.value)
        assert "PERMISSION_DENIED" in text or "permission" in text.lower(), text
        assert "client address 127.0.0.1 is not allowed by the IP access list" in text, text
        assert "127.0.0.2" not in text, text  # the list is never shown
    finally:
        s.stop()


def test_allowed_inside_the_list(tmp_path):
    pymilvus = import_pymilvus()
    s = _server(tmp_path, "10.0.0.0/8,127.0.0.0/8")
    try:
        c = pymilvus.MilvusClient(uri=s.uri, timeout=10)
        c.create_collection("docs", dimension=2)
        assert c.list_collections() == ["docs"]
        c.close()
    finally:
        s.stop()
