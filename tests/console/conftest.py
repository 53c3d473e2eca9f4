"""Fixtures of the console's browser tests: one real cove-cloud for the whole
suite (HTTP port, admin key, short transitions) and one headless Chromium
driven by Selenium (Debian chromium, chromium-driver, python3-selenium).

The suite is skipped, with the reason, when Chromium, its driver or Selenium
is missing, or when cove-cloud is not built. Screenshots go to
$COVE_CONSOLE_ARTIFACTS (default build/test-artifacts/console).
"""
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ADMIN_KEY = "cove_admin_console_test_key"


def _cloud_binary():
    env = os.environ.get("COVE_CLOUD_BIN")
    if env:
        return Path(env)
    build = os.environ.get("COVE_BUILD_DIR")
    candidates = []
    if build:
        candidates += [Path(build) / "release" / "src" / "cloud" / "cove-cloud",
                       Path(build) / "src" / "cloud" / "cove-cloud"]
    candidates.append(REPO / "build" / "release" / "src" / "cloud" / "cove-cloud")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


def _browser_missing():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        return ("Chromium is not installed (Debian packages chromium and "
                "chromium-driver; scripts/install-deps.sh test): console browser "
                "tests skipped")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return ("Selenium is not installed (Debian package python3-selenium): "
                "console browser tests skipped")
    return None


class Cloud:
    """A running cove-cloud: its HTTP base URL, gRPC address, admin key."""

    def __init__(self, proc, binary, grpc_address, http_url, state_dir, tmp, log_path):
        self.proc = proc
        self.log_path = log_path
        self.binary = binary
        self.grpc_address = grpc_address
        self.url = http_url
        self.state_dir = state_dir
        self.tmp = tmp
        self.admin_key = ADMIN_KEY

    def agent_binary(self):
        """cove-agent: $COVE_AGENT_BIN, else beside cove-cloud in the build
        tree (src/agent/cove-agent), else None."""
        env = os.environ.get("COVE_AGENT_BIN")
        if env:
            return Path(env)
        p = Path(self.binary).resolve().parents[1] / "agent" / "cove-agent"
        return p if p.is_file() and os.access(p, os.X_OK) else None

    def api(self, method, path, body=None, key=ADMIN_KEY, headers=None):
        """Calls the REST API; returns (status, parsed JSON body)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if key:
            req.add_header("Authorization", f"Bearer {key}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read().decode()
                return resp.status, json.loads(text) if text else {}
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, {"raw": text}


@pytest.fixture(scope="session")
def cloud(tmp_path_factory):
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)
    binary = _cloud_binary()
    if binary is None:
        pytest.skip("cove-cloud is not built (set COVE_CLOUD_BIN, or build "
                    "build/release/src/cloud/cove-cloud): console tests skipped")
    tmp = tmp_path_factory.mktemp("console")
    state = tmp / "state"
    log_path = tmp / "cove-cloud.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [str(binary), "--state-dir", str(state), "--listen", "127.0.0.1:0",
         "--http-listen", "127.0.0.1:0", "--admin-key", ADMIN_KEY,
         "--transition-delay-ms", "300"],
        stdout=log, stderr=subprocess.STDOUT, text=True)
    grpc_address = http_url = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        text = log_path.read_text()
        m = re.search(r"^cove-cloud listening on (\S+)", text, re.M)
        h = re.search(r"^http: (\S+)", text, re.M)
        if m and h:
            grpc_address, http_url = m.group(1), h.group(1)
            break
        time.sleep(0.05)
    if not (grpc_address and http_url):
        proc.kill()
        pytest.fail("cove-cloud did not report its ports:\n" + log_path.read_text())
    yield Cloud(proc, binary, grpc_address, http_url, state, tmp, log_path)
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(scope="session")
def artifacts():
    d = Path(os.environ.get("COVE_CONSOLE_ARTIFACTS",
                            REPO / "build" / "test-artifacts" / "console"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def driver(cloud):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--disable-gpu", "--window-size=1280,1000", "--lang=en-US",
                "--disable-extensions", "--no-first-run"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    d.set_page_load_timeout(30)
    yield d
    d.quit()


def _bad_log_entries(entries, expected_statuses):
    """Entries of the browser log that are errors of the page: every
    JavaScript or CSP error, and failed loads other than API replies the test
    provoked on purpose (statuses in `expected_statuses`)."""
    bad = []
    for e in entries:
        msg = e.get("message", "")
        source = e.get("source", "")
        if "Content Security Policy" in msg or "Refused to" in msg:
            bad.append(e)
        elif source in ("javascript", "security"):
            bad.append(e)
        elif e.get("level") == "SEVERE":
            m = re.search(r"status of (\d+)", msg)
            if (source == "network" and m and ("/v1/" in msg or "/console/session" in msg)
                    and int(m.group(1)) in expected_statuses):
                continue
            bad.append(e)
    return bad


@pytest.fixture
def browser(driver):
    """The shared driver; after the test, fails on any CSP violation or
    JavaScript error in the browser's console (API errors the test provoked
    on purpose are listed in browser.expected_statuses)."""
    driver.expected_statuses = set()
    driver.get_log("browser")  # drop what earlier tests left
    yield driver
    bad = _bad_log_entries(driver.get_log("browser"), driver.expected_statuses)
    assert not bad, f"browser console errors: {bad}"
