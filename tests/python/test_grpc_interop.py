"""cove._core loads next to python3-grpcio without symbol clashes.

Both link gRPC: grpcio its own copy, cove._core the system library. The
extension exports PyInit__core only, so neither sees the other's symbols.
"""

import subprocess
import sys

import numpy as np
import pytest

grpc = pytest.importorskip("grpc", reason="python3-grpcio is not installed")

import cove  # noqa: E402
from cove import _core  # noqa: E402


def test_extension_exports_only_its_init():
    nm = subprocess.run(["nm", "-D", "--defined-only", _core.__file__],
                        capture_output=True, text=True)
    if nm.returncode != 0:
        pytest.skip("nm is not available")
    symbols = [line.split()[-1] for line in nm.stdout.splitlines() if line.strip()]
    assert symbols == ["PyInit__core"], symbols


def _echo_server():
    def echo(request, context):
        return request

    handler = grpc.method_handlers_generic_handler(
        "test.Echo", {"Echo": grpc.unary_unary_rpc_method_handler(echo)})
    from concurrent import futures
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def test_grpc_and_cove_in_one_process(vectors):
    # grpcio: a server and a client on loopback, and a channel to a dead address.
    server, port = _echo_server()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            echo = channel.unary_unary("/test.Echo/Echo")
            assert echo(b"ping", timeout=10) == b"ping"
        dead = grpc.insecure_channel("127.0.0.1:1")
        with pytest.raises(grpc.FutureTimeoutError):
            grpc.channel_ready_future(dead).result(timeout=0.2)
        dead.close()

        # cove: an embedded search in the same process, with grpc still live.
        with cove.Client(":memory:") as client:
            client.create_collection("g", dimension=8, metric_type="L2")
            data = vectors(100, 8)
            client.insert("g", {"id": np.arange(100), "vector": data})
            res = client.search("g", data[:4], limit=1)
            assert [ids[0] for ids in res.ids] == [0, 1, 2, 3]

        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            assert channel.unary_unary("/test.Echo/Echo")(b"again", timeout=10) == b"again"
    finally:
        server.stop(None)


def test_import_order_cove_first():
    code = ("import cove, grpc, numpy as np\n"
            "c = cove.Client(':memory:')\n"
            "c.create_collection('x', dimension=2)\n"
            "c.insert('x', [{'id': 1, 'vector': [1.0, 0.0]}])\n"
            "assert c.search('x', [1.0, 0.0]).ids[0][0] == 1\n"
            "ch = grpc.insecure_channel('127.0.0.1:1'); ch.close()\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
