"""Helpers of the pymilvus interop tests: find pymilvus, start cove-server.

pymilvus 2.5.18 is not part of the project: the tests import it from
`../shared/clients/pymilvus` (beside the repository; `COVE_PYMILVUS_DIR`
overrides the folder) and skip, saying why, where it is absent.
"""

import importlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# root's password on the servers these tests start.
ROOT_PASSWORD = "interop-Root-pw1"


def server_binary():
    """$COVE_SERVER_BIN, else build/release's cove-server, or None."""
    env = os.environ.get("COVE_SERVER_BIN")
    if env:
        return Path(env)
    c = REPO / "build" / "release" / "src" / "server" / "cove-server"
    return c if c.is_file() and os.access(c, os.X_OK) else None


def pymilvus_dir():
    """The folder holding the `pymilvus` package, or None."""
    env = os.environ.get("COVE_PYMILVUS_DIR")
    candidates = [Path(env)] if env else []
    # ../shared beside the repository; a git worktree sits one level deeper.
    for base in (REPO.parent, REPO.parent.parent):
        candidates.append(base / "shared" / "clients" / "pymilvus")
    for c in candidates:
        if (c / "pymilvus" / "__init__.py").is_file():
            return c
    return None


def import_pymilvus():
    """Imports the shared pymilvus, or skips the calling module saying why."""
    where = pymilvus_dir()
    if where is None:
        pytest.skip("pymilvus interop tests skipped: ../shared/clients/pymilvus "
                    "(the test client, kept outside the repository) is absent; "
                    "set COVE_PYMILVUS_DIR to a folder holding pymilvus 2.5",
                    allow_module_level=True)
    for module, package in (("grpc", "python3-grpcio"), ("google.protobuf", "python3-protobuf"),
                            ("pandas", "python3-pandas"), ("ujson", "python3-ujson"),
                            ("dotenv", "python3-dotenv")):
        try:
            importlib.import_module(module)
        except ImportError:
            pytest.skip(f"pymilvus interop tests skipped: pymilvus needs {module} "
                        f"(Debian package {package}; scripts/install-deps.sh test)",
                        allow_module_level=True)
    if str(where) not in sys.path:
        sys.path.insert(0, str(where))
    return importlib.import_module("pymilvus")


class CoveServer:
    """A cove-server process on 127.0.0.1 with a port chosen by the kernel."""

    def __init__(self, binary, data, auth_password=None, import_dir=None, extra=()):
        args = [str(binary), "--data", str(data), "--listen", "127.0.0.1:0"]
        if auth_password is not None:
            pw_file = Path(str(data) + ".root-password")
            pw_file.write_text(auth_password + "\n")
            args += ["--auth", "--root-password-file", str(pw_file)]
        if import_dir is not None:
            args += ["--import-dir", str(import_dir)]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.port = None
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None:
                    break
                continue
            lines.append(line)
            m = re.search(r"listening on .*:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.stop()
            raise RuntimeError("cove-server did not report its port:\n" + "".join(lines))
        self.uri = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
