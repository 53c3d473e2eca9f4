"""The web console in a real browser (headless Chromium) against a real
cove-cloud: the user journeys of issue 18, in order, sharing one emulator.

Each test fails on any JavaScript error or Content-Security-Policy violation
in the browser's console (conftest.browser). Screenshots of the main pages
are saved as artefacts.
"""
import base64
import http.client
import json
import re
import shlex
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

selenium = pytest.importorskip(
    "selenium", reason="Selenium is not installed (Debian python3-selenium)")
from selenium.common.exceptions import (  # noqa: E402
    NoAlertPresentException, StaleElementReferenceException, TimeoutException)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# What the journeys create and later tests use.
STATE = {}
WAIT = 45


def wait(driver, cond, timeout=WAIT, message=""):
    # Pages redraw parts of themselves live: an element found a moment ago
    # may have been replaced; look again.
    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,)).until(cond, message)


def find(driver, css, timeout=WAIT):
    return wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, css)),
                timeout, f"no visible {css}")


def text_in(driver, css, text, timeout=WAIT):
    wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text),
         timeout, f"{css} never showed {text!r}")


def fill(driver, form_css, values):
    """Types into the inputs of a form by name; selects pick by value."""
    form = find(driver, form_css)
    for name, value in values.items():
        el = form.find_element(By.NAME, name)
        if el.tag_name == "select":
            el.find_element(By.CSS_SELECTOR, f"option[value='{value}']").click()
        elif el.get_attribute("type") == "checkbox":
            if el.is_selected() != bool(value):
                el.click()
        else:
            el.clear()
            el.send_keys(value)
    return form


def submit(driver, form_css, values):
    # A page may redraw itself under the test (an operation that ends
    # redraws the page): fill the new form again.
    for attempt in range(5):
        try:
            form = fill(driver, form_css, values)
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            return form
        except StaleElementReferenceException:
            if attempt == 4:
                raise
            time.sleep(0.2)


def click(driver, locator):
    """Clicks the element once it is clickable, looking again when the page
    redrew it in between."""
    for attempt in range(5):
        try:
            wait(driver, EC.element_to_be_clickable(locator)).click()
            return
        except StaleElementReferenceException:
            if attempt == 4:
                raise
            time.sleep(0.2)


def go(driver, cloud, fragment):
    driver.get(f"{cloud.url}/#/{fragment}")


def accept_confirm(driver):
    wait(driver, EC.alert_is_present(), 10, "no confirmation dialog").accept()


def shot(driver, artifacts, name, top=True):
    if top:
        driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(artifacts / f"{name}.png"))


def sign_in(driver, cloud, key):
    driver.get(cloud.url + "/")
    driver.execute_script("sessionStorage.clear()")
    driver.get(cloud.url + "/#/")
    submit(driver, "#sign-in", {"apiKey": key})
    find(driver, "#sign-out")


def sign_out(driver):
    find(driver, "#sign-out").click()
    find(driver, "#sign-in")
    assert driver.execute_script("return sessionStorage.length") == 0


def cluster_state(cloud, name):
    status, c = cloud.api("GET", f"/v1/{name}")
    assert status == 200, c
    return c


# ---- journeys -----------------------------------------------------------------


def test_sign_in_create_project_environment_cluster_and_scale(browser, cloud, artifacts):
    d = browser
    d.expected_statuses = {401}
    d.get(cloud.url + "/")
    find(d, "#sign-in")
    shot(d, artifacts, "sign-in")
    # A wrong key is refused and not kept.
    submit(d, "#sign-in", {"apiKey": "cove_not_a_key"})
    text_in(d, "#main", "UNAUTHENTICATED")
    assert d.execute_script("return sessionStorage.getItem('cove.apiKey')") is None
    submit(d, "#sign-in", {"apiKey": cloud.admin_key})
    find(d, "#create-organization")
    # The key is never in the URL.
    assert cloud.admin_key not in d.current_url

    submit(d, "#create-organization", {"organizationId": "acme", "displayName": "Acme Corp"})
    click(d, (By.LINK_TEXT, "Acme Corp"))
    submit(d, "#create-project", {"projectId": "search", "displayName": "Search", "region": "eu-west-1"})
    click(d, (By.LINK_TEXT, "Search"))

    bucket = cloud.tmp / "bucket-dev"
    bucket.mkdir()
    form = find(d, "#create-environment")
    ext = form.find_element(By.NAME, "externalId").get_attribute("value")
    assert ext, "the organization's external id is filled in"
    submit(d, "#create-environment", {
        "environmentId": "aws-dev", "mode": "CROSS_ACCOUNT", "region": "eu-west-1",
        "cloudAccountId": "123456789012", "vpcId": "vpc-0abc12345", "bucket": str(bucket),
        "roleArn": "arn:aws:iam::123456789012:role/cove-byoc"})
    text_in(d, "#environments", "aws-dev")

    submit(d, "#create-cluster", {"clusterId": "vectors", "displayName": "Vectors", "cuSize": "1", "replicas": "1"})
    # The operation's progress is shown live, then the cluster is RUNNING.
    find(d, "#operations li.op")
    text_in(d, "#operations", "CreateCluster")
    text_in(d, "#clusters", "RUNNING")
    password_box = find(d, "#cluster-password")
    STATE["password"] = password_box.find_element(By.CSS_SELECTOR, ".secret-value").text
    assert len(STATE["password"]) >= 8
    shot(d, artifacts, "project")
    password_box.find_element(By.TAG_NAME, "button").click()
    cluster = "organizations/acme/projects/search/clusters/vectors"
    STATE["cluster"] = cluster

    click(d, (By.LINK_TEXT, "Vectors"))
    endpoint = find(d, "#cluster-endpoint").text
    assert endpoint.startswith("http://127.0.0.1:")
    STATE["endpoint"] = endpoint
    # Scale to 2 CU: the operation runs, the page shows the new size.
    submit(d, "#scale-form", {"cuSize": "2", "replicas": "1"})
    text_in(d, "#operations", "ScaleCluster")
    text_in(d, "#cluster-facts", "2 CU")
    text_in(d, "#cluster-facts", "RUNNING")
    assert cluster_state(cloud, cluster)["cuSize"] == 2
    # A private endpoint (on the environment's own address) shows beside the
    # public one, live; then it goes again.
    status, body = cloud.api("PATCH", f"/v1/{cluster}",
                             {"cluster": {"privateEndpointEnabled": True},
                              "updateMask": "privateEndpointEnabled"})
    assert status == 200, body
    text_in(d, "#cluster-private-endpoint", "http://127.1.")
    assert find(d, "#cluster-endpoint").text == endpoint
    shot(d, artifacts, "cluster")
    status, body = cloud.api("PATCH", f"/v1/{cluster}",
                             {"cluster": {"privateEndpointEnabled": False},
                              "updateMask": "privateEndpointEnabled"})
    assert status == 200, body


def _searches(endpoint, password, stop):
    import cove
    import numpy as np
    with cove.Client(endpoint, user="root", password=password) as c:
        rng = np.random.default_rng(7)
        while not stop.is_set():
            c.search("docs", rng.standard_normal((1, 8)).astype("float32"), limit=5)
            time.sleep(0.02)


def test_dashboard_draws_real_searches_and_explorer(browser, cloud, artifacts):
    cove = pytest.importorskip(
        "cove", reason="the cove Python package is not installed (scripts/test.sh "
        "stage 3 installs it into build/venv)")
    import numpy as np
    d = browser
    assert "cluster" in STATE, "the first journey created the cluster"
    endpoint, password = STATE["endpoint"], STATE["password"]
    with cove.Client(endpoint, user="root", password=password) as c:
        c.create_collection("docs", 8)
        rng = np.random.default_rng(1)
        vecs = rng.standard_normal((200, 8)).astype("float32")
        c.insert("docs", [{"id": i, "vector": vecs[i], "title": f"doc {i}"} for i in range(200)])
        c.flush("docs")
    stop = threading.Event()
    searcher = threading.Thread(target=_searches, args=(endpoint, password, stop))
    searcher.start()
    try:
        go(d, cloud, STATE["cluster"] + "/dashboard")
        text_in(d, "#dashboard-latest", "200")
        # The QPS chart has drawn points above zero from the searches.
        wait(d, lambda drv: drv.execute_script(
            "const c = Chart.getChart(document.getElementById('chart-qps'));"
            "return c && c.data.datasets[0].data.some((v) => v > 0);"), message="QPS never above 0")
        wait(d, lambda drv: drv.execute_script(
            "const c = Chart.getChart(document.getElementById('chart-latency'));"
            "return c && c.data.datasets[1].data.some((v) => v > 0);"), message="p99 never above 0")
        vectors = d.execute_script(
            "return Chart.getChart(document.getElementById('chart-vectors')).data.datasets[0].data")
        assert vectors[-1] == 200
        # Refreshed while open: more samples arrive.
        n = d.execute_script("return Chart.getChart(document.getElementById('chart-qps')).data.labels.length")
        wait(d, lambda drv: drv.execute_script(
            "return Chart.getChart(document.getElementById('chart-qps')).data.labels.length") > n + 1)
        # A few more seconds of load for the picture.
        wait(d, lambda drv: drv.execute_script(
            "return Chart.getChart(document.getElementById('chart-qps')).data.labels.length") >= 8)
        shot(d, artifacts, "dashboard")
    finally:
        stop.set()
        searcher.join()

    # The data explorer: credentials, collections, schema, query, search.
    go(d, cloud, STATE["cluster"] + "/explorer")
    submit(d, "#db-credentials", {"user": "root", "password": password})
    click(d, (By.CSS_SELECTOR, "button[data-collection='docs']"))
    text_in(d, "#collection-schema", "FLOAT_VECTOR")
    text_in(d, "#collection-facts", "200")
    find(d, "#collection-indexes")
    submit(d, "#query-form", {"filter": "id < 5", "outputFields": "id, title", "limit": "10"})
    text_in(d, "#explorer-results", "5 rows")
    rows = d.find_elements(By.CSS_SELECTOR, "#result-rows tbody tr")
    assert len(rows) == 5
    submit(d, "#search-form", {"primaryKey": "7", "limit": "3", "outputFields": "title"})
    text_in(d, "#explorer-results", "3 hits")
    first = d.find_element(By.CSS_SELECTOR, "#result-rows tbody tr td").text
    assert first == "7", "a row's own vector is its nearest neighbour"
    text_in(d, "#result-rows", "doc 7")
    d.set_window_size(1280, 1500)
    shot(d, artifacts, "explorer")
    d.set_window_size(1280, 1000)
    # The database password never reached the URL.
    assert password not in d.current_url


def test_suspend_resume_delete_restore_backup(browser, cloud, artifacts):
    d = browser
    go(d, cloud, STATE["cluster"])
    click(d, (By.ID, "action-suspend"))
    accept_confirm(d)
    text_in(d, "#cluster-facts", "SUSPENDED")
    click(d, (By.ID, "action-resume"))
    accept_confirm(d)
    text_in(d, "#cluster-facts", "RUNNING")
    # Delete (soft) and restore within the window, with the data.
    click(d, (By.ID, "action-delete"))
    accept_confirm(d)
    text_in(d, "#cluster-facts", "DELETED")
    text_in(d, "#cluster-facts", "Restorable until")
    click(d, (By.ID, "action-restore"))
    accept_confirm(d)
    text_in(d, "#cluster-facts", "RUNNING")
    text_in(d, "#cluster-facts", "200 of")
    go(d, cloud, STATE["cluster"] + "/backups")
    click(d, (By.ID, "action-backup"))
    text_in(d, "#operations", "CreateBackup")
    text_in(d, "#backups", "READY")
    # Restore the backup into the cluster (its collection replaced).
    click(d, (By.XPATH, "//table[@id='backups']//button[.='Restore here']"))
    accept_confirm(d)
    wait(d, EC.presence_of_element_located(
        (By.XPATH, "//li[contains(@class, 'op') and contains(@class, 'done')][span[.='RestoreBackup']]")),
        message="the restore never finished")
    assert cluster_state(cloud, STATE["cluster"])["usedVectors"] == "200"
    submit(d, "#policy-form", {"enabled": True, "interval": "30", "retentionCount": "3"})
    text_in(d, "#backup-policy", "Every 30 min, keeping 3")
    policy = cluster_state(cloud, STATE["cluster"])["backupPolicy"]
    assert policy["enabled"] and policy["interval"] == "1800s" and policy["retentionCount"] == 3
    shot(d, artifacts, "backups")


def test_api_key_secret_shown_once_then_sign_out(browser, cloud, artifacts):
    d = browser
    go(d, cloud, "organizations/acme/apiKeys")
    submit(d, "#create-key", {"displayName": "ci reader", "scope": "organizations/acme",
                              "role": "roles/project.read_only"})
    box = find(d, "#new-key-secret")
    secret = box.find_element(By.CSS_SELECTOR, ".secret-value").text
    assert secret.startswith("cove_")
    STATE["reader"] = secret
    text_in(d, "#api-keys", "ci reader")
    shot(d, artifacts, "api-keys")
    # Shown once: after a reload of the list, the secret is nowhere.
    d.refresh()
    text_in(d, "#api-keys", "ci reader")
    assert secret not in d.page_source
    assert secret not in d.current_url
    # A secret still on screen goes with the sign-out.
    submit(d, "#create-key", {"displayName": "left open", "scope": "organizations/acme",
                              "role": "roles/project.read_only"})
    left = find(d, "#new-key-secret .secret-value").text
    sign_out(d)
    assert left not in d.page_source


def test_read_only_key_sees_no_mutation_and_api_refuses(browser, cloud, artifacts):
    d = browser
    d.expected_statuses = {403}
    sign_in(d, cloud, STATE["reader"])
    # The key's scope is the organization: its projects, no create form.
    text_in(d, "#projects", "Search")
    assert not d.find_elements(By.CSS_SELECTOR, "#create-project")
    assert not d.find_elements(By.XPATH, "//table[@id='projects']//button")
    go(d, cloud, "organizations/acme/projects/search")
    text_in(d, "#clusters", "RUNNING")
    assert not d.find_elements(By.CSS_SELECTOR, "#create-cluster")
    assert not d.find_elements(By.CSS_SELECTOR, "#create-environment")
    go(d, cloud, STATE["cluster"])
    find(d, "#no-actions")
    assert not d.find_elements(By.CSS_SELECTOR, "#cluster-actions button")
    assert not d.find_elements(By.CSS_SELECTOR, "#scale-form")
    shot(d, artifacts, "read-only-cluster")
    go(d, cloud, STATE["cluster"] + "/backups")
    find(d, "#backups")
    assert not d.find_elements(By.ID, "action-backup")
    assert not d.find_elements(By.CSS_SELECTOR, "#policy-form")
    # A forced call from the page is refused by the API all the same.
    reply = d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/v1/' + arguments[0] + ':suspend', {method: 'POST',
              headers: {'Authorization': 'Bearer ' + sessionStorage.getItem('cove.apiKey'),
                        'Content-Type': 'application/json'}, body: '{}'})
          .then(async (r) => done([r.status, await r.json()]));""", STATE["cluster"])
    assert reply[0] == 403, reply
    assert reply[1]["error"]["status"] == "PERMISSION_DENIED"
    assert cluster_state(cloud, STATE["cluster"])["state"] == "RUNNING"
    sign_out(d)


XSS = "<img src=x onerror=alert('xss')>"


def test_xss_through_a_display_name_renders_as_text(browser, cloud, artifacts):
    d = browser
    status, _ = cloud.api("POST", "/v1/organizations",
                          {"organizationId": "xss-test", "organization": {"displayName": XSS}})
    assert status == 200, _
    status, _ = cloud.api("POST", "/v1/organizations/xss-test/projects",
                          {"projectId": "p-xss", "project": {"displayName": "<script>alert(2)</script>"}})
    assert status == 200, _
    sign_in(d, cloud, cloud.admin_key)
    link = wait(d, EC.presence_of_element_located((By.LINK_TEXT, XSS)))
    assert link.text == XSS
    assert not d.find_elements(By.CSS_SELECTOR, "img[src='x']")
    link.click()
    text_in(d, "#projects", "<script>alert(2)</script>")
    assert not d.find_elements(By.CSS_SELECTOR, "#projects script")
    time.sleep(0.3)  # let a wrongly injected handler fire, if there were one
    with pytest.raises(NoAlertPresentException):
        d.switch_to.alert.text
    shot(d, artifacts, "xss")
    sign_out(d)


def test_audit_log_filters_with_the_keyboard(browser, cloud, artifacts):
    d = browser
    d.get(cloud.url + "/")
    d.execute_script("sessionStorage.clear()")
    d.get(cloud.url + "/#/")
    # Keyboard only: the key field has the focus, Enter submits.
    wait(d, lambda drv: drv.switch_to.active_element.get_attribute("name") == "apiKey")
    d.switch_to.active_element.send_keys(cloud.admin_key + Keys.ENTER)
    find(d, "#sign-out")
    go(d, cloud, "organizations/acme")
    tab = wait(d, EC.element_to_be_clickable((By.LINK_TEXT, "Audit log")))
    d.execute_script("arguments[0].focus()", tab)
    d.switch_to.active_element.send_keys(Keys.ENTER)
    wait(d, EC.url_contains("/auditEvents"))
    find(d, "#audit-events")
    submit(d, "#audit-filter", {"outcome": "DENIED"})
    text_in(d, "#audit-events", "clusters.suspend")
    outcomes = [td.text for td in d.find_elements(By.CSS_SELECTOR, "#audit-events tbody td:nth-child(5)")]
    assert outcomes and set(outcomes) == {"DENIED"}
    submit(d, "#audit-filter", {"outcome": "", "action": "clusters.scale"})
    text_in(d, "#audit-events", "SUCCEEDED")
    shot(d, artifacts, "audit")


def test_members_invitations_roles(browser, cloud, artifacts):
    d = browser
    go(d, cloud, "organizations/acme/members")
    submit(d, "#create-invitation", {"email": "dev@example.com"})
    box = find(d, "#invitation-token")
    assert box.find_element(By.CSS_SELECTOR, ".secret-value").text
    text_in(d, "#invitations", "dev@example.com")
    go(d, cloud, "organizations/acme/roles")
    text_in(d, "#roles", "roles/project.read_only")
    submit(d, "#create-role", {"roleId": "scaler", "displayName": "Scaler",
                               "allow": "clusters.get, clusters.scale"})
    text_in(d, "#roles", "Scaler")
    submit(d, "#create-binding", {"principal": "users/dev@example.com",
                                  "role": "organizations/acme/roles/scaler",
                                  "scope": "organizations/acme/projects/search"})
    text_in(d, "#role-bindings", "users/dev@example.com")
    shot(d, artifacts, "roles")


def test_agent_mode_environment_agent_connects_and_hosts_a_cluster(browser, cloud, artifacts):
    d = browser
    go(d, cloud, "organizations/acme/projects/search")
    bucket = cloud.tmp / "bucket agent's"
    bucket.mkdir()
    submit(d, "#create-environment", {"environmentId": "on-prem", "mode": "AGENT",
                                      "cloudAccountId": "123456789012", "vpcId": "vpc-0abc12345",
                                      "bucket": str(bucket)})
    cmd = find(d, "#agent-command").text
    env = "organizations/acme/projects/search/environments/on-prem"
    assert f"cove-agent --control-plane '{cloud.grpc_address}'" in cmd
    assert f"--environment '{env}'" in cmd
    text_in(d, "#environments", "AWAITING_AGENT")
    text_in(d, "#environments", "never connected")
    shot(d, artifacts, "agent-environment", top=False)
    agent_bin = cloud.agent_binary()
    if agent_bin is None:
        pytest.skip("cove-agent is not built: the agent's connection is not checked")
    # Run the command the page shows (its token, bucket and environment).
    token = re.search(r"printf '%s' '([^']+)'", cmd).group(1)
    # The command is one shell command whatever the bucket's name holds.
    words = shlex.split(cmd.replace("\n", ""))
    assert words[words.index("--bucket") + 1] == str(bucket)
    token_file = cloud.tmp / "agent.token"
    token_file.write_text(token)
    token_file.chmod(0o600)
    agent = subprocess.Popen(
        [str(agent_bin), "--control-plane", cloud.grpc_address, "--token-file", str(token_file),
         "--bucket", str(bucket), "--environment", env, "--state-dir", str(cloud.tmp / "agent-state")],
        stdout=open(cloud.tmp / "agent.log", "w"), stderr=subprocess.STDOUT)
    try:
        # The page shows the agent's connection without a reload.
        def env_ready(drv):
            try:
                row = WebDriverWait(drv, 5).until(EC.presence_of_element_located(
                    (By.XPATH, "//table[@id='environments']//tr[td[1]='on-prem']")))
            except TimeoutException:
                return False
            state = row.find_element(By.XPATH, "td[3]").text
            return state in ("CONNECTED", "READY") and "Agent: connected" in row.text
        try:
            wait(d, env_ready)
        except TimeoutException:
            pytest.fail("the agent never connected:\n" + (cloud.tmp / "agent.log").read_text())
        # A cluster in the agent-mode environment, hosted by the agent.
        submit(d, "#create-cluster", {"clusterId": "edge", "displayName": "Edge",
                                      "environment": env, "cuSize": "1", "replicas": "1"})
        wait(d, EC.presence_of_element_located(
            (By.XPATH, "//table[@id='clusters']//tr[td[1]='Edge' and contains(., 'RUNNING')]")),
            message="the agent-mode cluster never ran")
        find(d, "#cluster-password button").click()
        shot(d, artifacts, "agent-cluster")
        status, c = cloud.api("GET", "/v1/organizations/acme/projects/search/clusters/edge")
        assert status == 200 and c["state"] == "RUNNING" and c["environment"] == env
    finally:
        agent.terminate()
        try:
            agent.wait(timeout=20)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()


# ---- HTTP-level checks of the console's routes ----------------------------------------


def _raw_get(cloud, path, headers=None):
    u = urllib.parse.urlparse(cloud.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        conn.putheader(k, v)
    conn.endheaders()
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), body


def test_static_files_headers_and_no_traversal(cloud):
    status, headers, body = _raw_get(cloud, "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert b"<script type=\"module\" src=\"/app.js\">" in body
    for path, ctype in (("/app.js", "text/javascript; charset=utf-8"),
                        ("/app.css", "text/css; charset=utf-8"),
                        ("/vendor/chart.js", "text/javascript; charset=utf-8")):
        status, headers, _ = _raw_get(cloud, path)
        assert (status, headers["content-type"]) == (200, ctype), path
    secret = cloud.state_dir / "cloud.db"
    assert secret.exists()
    for path in ("/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                 "/..%2f..%2f..%2fetc%2fpasswd", "/%2e%2e%2f%2e%2e%2fetc/passwd",
                 "/app.js%00.png", "/%00", "//etc/passwd", "/.%2e/.%2e/etc/passwd",
                 "/..\\..\\etc\\passwd", "/%5c..%5c..%5cetc%5cpasswd",
                 "/" + str(secret), "/%252e%252e/%252e%252e/etc/passwd"):
        status, headers, body = _raw_get(cloud, path)
        assert status in (400, 404), (path, status)
        assert b"root:" not in body and b"SQLite" not in body, path


def test_explorer_needs_a_key_and_database_credentials(cloud):
    cluster = STATE.get("cluster")
    if not cluster:
        pytest.skip("needs the cluster of the first journey")
    path = f"/v1/{cluster}/collections"
    auth = base64.b64encode(f"root:{STATE['password']}".encode()).decode()
    status, body = cloud.api("GET", path, key=None, headers={"X-Cove-Database-Auth": auth})
    assert status == 401 and body["error"]["status"] == "UNAUTHENTICATED"
    status, body = cloud.api("GET", path)
    assert status == 401 and "X-Cove-Database-Auth" in body["error"]["message"]
    wrong = base64.b64encode(b"root:wrong-password").decode()
    status, body = cloud.api("GET", path, headers={"X-Cove-Database-Auth": wrong})
    assert status in (401, 403), body
    assert "wrong-password" not in json.dumps(body)
    status, body = cloud.api("GET", path, headers={"X-Cove-Database-Auth": auth})
    assert status == 200 and {"name": "docs", "rowCount": 200} in body["collections"]
    status, body = cloud.api("POST", f"{path}/docs:query", {"filter": "id < 3", "colour": 1},
                             headers={"X-Cove-Database-Auth": auth})
    assert status == 400 and "colour" in body["error"]["message"]
    # JSON bodies only (no cross-site form can post one).
    req = urllib.request.Request(cloud.url + f"{path}/docs:query", data=b'{"limit": 1}', method="POST")
    req.add_header("Authorization", f"Bearer {cloud.admin_key}")
    req.add_header("X-Cove-Database-Auth", auth)
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=30)
    assert refused.value.code == 400
    assert "Content-Type" in json.loads(refused.value.read())["error"]["message"]
    status, body = cloud.api("POST", f"{path}/docs:search", {"primaryKey": "999999"},
                             headers={"X-Cove-Database-Auth": auth})
    assert status == 404 and body["error"]["status"] == "NOT_FOUND"
    # A key without clusters.get on the cluster is refused before the data
    # plane is reached (organization.member may list projects only).
    status, member_key = cloud.api("POST", "/v1/organizations/acme/apiKeys", {"apiKey": {
        "displayName": "member", "scope": "organizations/acme", "role": "roles/organization.member"}})
    assert status == 200, member_key
    status, body = cloud.api("GET", path, key=member_key["secret"], headers={"X-Cove-Database-Auth": auth})
    assert status == 403 and body["error"]["status"] == "PERMISSION_DENIED", body
    # The read-only key may get the cluster, so it may read through the explorer.
    if "reader" in STATE:
        status, body = cloud.api("POST", f"{path}/docs:query", {"filter": "id == 3", "outputFields": ["title"]},
                                 key=STATE["reader"], headers={"X-Cove-Database-Auth": auth})
        assert status == 200 and body["rows"] == [{"id": 3, "title": "doc 3"}], body
    # No secret of the requests reaches the audit log or cove-cloud's output.
    status, events = cloud.api("GET", "/v1/organizations/acme/auditEvents?pageSize=1000")
    assert status == 200
    assert STATE["password"] not in json.dumps(events)
    assert auth not in json.dumps(events)
    output = cloud.log_path.read_text()
    for secret in (STATE["password"], auth, STATE.get("reader", "-"), "wrong-password"):
        assert secret not in output


def test_the_console_log_check_sees_csp_violations(driver, cloud):
    """The check every browser test ends with is not blind: an inline script
    (which the CSP forbids) injected into the page shows up as a bad entry."""
    from conftest import _bad_log_entries
    driver.get(cloud.url + "/")
    driver.execute_script("sessionStorage.clear()")
    driver.get(cloud.url + "/#/")
    find(driver, "#sign-in")
    driver.get_log("browser")
    driver.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.pwned = 1';"
        "document.body.appendChild(s);")
    wait(driver, lambda drv: _bad_log_entries(drv.get_log("browser"), set()), 10,
         "the CSP violation was not seen in the browser log")
    assert driver.execute_script("return window.pwned === undefined")


def test_console_and_explorer_over_https(cloud, tmp_path):
    """With --tls-generate the HTTP port speaks HTTPS with the gRPC port's
    certificate, and the explorer reaches the TLS data plane trusting it."""
    import ssl
    state = tmp_path / "tls-state"
    log_path = tmp_path / "tls.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(cloud.binary), "--state-dir", str(state), "--listen", "127.0.0.1:0",
             "--http-listen", "127.0.0.1:0", "--tls-generate", "--admin-key", cloud.admin_key,
             "--transition-delay-ms", "100"], stdout=log, stderr=subprocess.STDOUT)
    try:
        url = trust = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (url and trust):
            text = log_path.read_text()
            m, t = re.search(r"^http: (\S+)", text, re.M), re.search(r"^trust: (\S+)", text, re.M)
            url, trust = (m.group(1) if m else None), (t.group(1) if t else None)
            time.sleep(0.05)
        assert url and url.startswith("https://") and trust, log_path.read_text()
        ctx = ssl.create_default_context(cafile=trust)

        def call(method, path, body=None, headers=None):
            req = urllib.request.Request(url + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
            req.add_header("Authorization", f"Bearer {cloud.admin_key}")
            if body is not None:
                req.add_header("Content-Type", "application/json")
            for k, v in (headers or {}).items():
                req.add_header(k, v)
            try:
                with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()

        status, page = call("GET", "/")
        assert status == 200 and b"/app.js" in page
        bucket = tmp_path / "bucket"
        bucket.mkdir()
        status, org = call("POST", "/v1/organizations", {"organizationId": "tls-org"})
        assert status == 200, org
        org = json.loads(org)
        assert call("POST", "/v1/organizations/tls-org/projects", {"projectId": "proj"})[0] == 200
        status, env = call("POST", "/v1/organizations/tls-org/projects/proj/environments", {
            "environmentId": "env", "environment": {
                "mode": "CROSS_ACCOUNT", "cloudAccountId": "123456789012", "region": "us-east-1",
                "vpcId": "vpc-0abc12345", "bucket": str(bucket),
                "roleArn": "arn:aws:iam::123456789012:role/cove", "externalId": org["externalId"]}})
        assert status == 200, env
        status, op = call("POST", "/v1/organizations/tls-org/projects/proj/clusters", {
            "clusterId": "vec", "cluster": {"environment": "organizations/tls-org/projects/proj/environments/env",
                                           "cuSize": 1, "replicas": 1}})
        assert status == 200, op
        op = json.loads(op)
        status, done = call("POST", f"/v1/{op['name']}:wait", {"timeoutMs": 30000})
        done = json.loads(done)
        assert done.get("done") and done["cluster"]["endpoint"].startswith("https://"), done
        auth = base64.b64encode(f"root:{done['cluster']['adminPassword']}".encode()).decode()
        status, body = call("GET", "/v1/organizations/tls-org/projects/proj/clusters/vec/collections",
                            headers={"X-Cove-Database-Auth": auth})
        assert status == 200 and json.loads(body) == {"collections": []}, body
        # Plain HTTP to the HTTPS port fails.
        u = urllib.parse.urlparse(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
            conn.request("GET", "/")
            r = conn.getresponse()
            if r.status:
                raise ConnectionError(f"plain HTTP answered {r.status}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
