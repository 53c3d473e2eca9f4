#!/usr/bin/env python3
"""Runs the ```sh examples of docs/open-api.md against a fresh cove-cloud.

Usage: open_api_doc_test.py <cove-cloud binary> [docs/open-api.md]

Starts cove-cloud on free ports (gRPC and --http-listen) with a fixed admin
key in a temporary state directory, then runs every ```sh block of the page
in order with `bash -eo pipefail`, with COVE_HTTP (the HTTP base URL),
COVE_KEY (the admin key) and COVE_BUCKET (an empty directory) in the
environment. Fails on the first block that exits non-zero, printing it and
its output, or when cove-cloud's output holds a secret (an Authorization
header or an API key). Blocks in ```console or ```json fences are not run.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

ADMIN_KEY = "cove_admin_open-api-doc-test"


def blocks(markdown):
    return re.findall(r"^```sh\n(.*?)^```\s*$", markdown, re.S | re.M)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    doc = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
        "open-api.md")
    with open(doc, encoding="utf-8") as f:
        examples = blocks(f.read())
    if not examples:
        print(f"FAIL: no ```sh blocks in {doc}")
        return 1
    with tempfile.TemporaryDirectory(prefix="cove-open-api-doc-") as tmp:
        state = os.path.join(tmp, "state")
        bucket = os.path.join(tmp, "bucket")
        os.makedirs(bucket)
        log_path = os.path.join(tmp, "cove-cloud.log")
        log = open(log_path, "w")
        proc = subprocess.Popen(
            [binary, "--state-dir", state, "--listen", "127.0.0.1:0",
             "--http-listen", "127.0.0.1:0", "--admin-key", ADMIN_KEY,
             "--transition-delay-ms", "20"],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            url = None
            deadline = time.monotonic() + 30
            while url is None and time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                with open(log_path) as f:
                    m = re.search(r"^http: (\S+)$", f.read(), re.M)
                if m:
                    url = m.group(1)
                else:
                    time.sleep(0.05)
            if url is None:
                with open(log_path) as f:
                    print("FAIL: cove-cloud did not start:\n" + f.read())
                return 1
            env = dict(os.environ, COVE_HTTP=url, COVE_KEY=ADMIN_KEY,
                       COVE_BUCKET=bucket)
            for i, block in enumerate(examples, 1):
                r = subprocess.run(["bash", "-eo", "pipefail", "-c", block],
                                   env=env, cwd=tmp, capture_output=True,
                                   text=True, timeout=120)
                if r.returncode != 0:
                    print(f"FAIL: block {i} of {len(examples)} exited "
                          f"{r.returncode}:\n{block}\n--- stdout\n{r.stdout}"
                          f"\n--- stderr\n{r.stderr}")
                    return 1
                print(f"ok: block {i}")
            # The Authorization header (the admin key, the examples' API
            # key) never reaches the server's output.
            log.flush()
            with open(log_path) as f:
                out = [line for line in f
                       if not line.startswith("admin key: ")]
            leaked = [line for line in out
                      if "Bearer" in line or ADMIN_KEY in line or
                      re.search(r"cove_[A-Za-z0-9_-]{20,}", line)]
            if leaked:
                print("FAIL: a secret in cove-cloud's output:\n" +
                      "".join(leaked))
                return 1
            print(f"{len(examples)} blocks passed; no secret in the "
                  f"server's output ({len(out)} lines)")
            return 0
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


if __name__ == "__main__":
    sys.exit(main())
