"""The command line as a user runs it: ready line, ready file, signals, TLS, bad scenarios."""

import pathlib
import shutil
import signal
import subprocess
import sys

import pytest
import requests
from conftest import SCENARIOS, Server, write_scenario


def test_ready_line_and_ready_file(new_server):
    srv, api = new_server()
    assert srv.ready_line == f"provsim listening on {srv.url}"
    assert srv.url.startswith("http://127.0.0.1:") and int(srv.url.rsplit(":", 1)[1]) > 0
    assert api.get("/health").status_code == 200


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_cleanly(tmp_path, signum):
    srv = Server(tmp_path / "data").start()
    srv.proc.send_signal(signum)
    assert srv.proc.wait(timeout=10) == 0
    srv.collect_output()
    assert "Traceback" not in srv.stderr_text


def test_console_script_and_version():
    script = shutil.which("provsim", path=str(pathlib.Path(sys.executable).parent))
    assert script is not None
    out = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("provsim ")


@pytest.mark.parametrize("text, message", [
    ("durations: {servers: -1}", "durations.servers: must be >= 0"),
    ("bogus: 1", "scenario: unknown key(s) bogus"),
    ("on_restart: maybe", "on_restart: must be one of resume, fail"),
    ("failures: [{kind: server}]", "failures[0].kind: must be one of"),
    ("rate_limits: {enabled: yes, auth: 0}", "rate_limits.auth: must be >= 1"),
    ("{unclosed", "not valid YAML/JSON"),
])
def test_invalid_scenario_exits_2_naming_the_key(tmp_path, text, message):
    scenario = write_scenario(tmp_path, text)
    out = subprocess.run([sys.executable, "-m", "provsim", "serve", "--port", "0", "--data-dir", str(tmp_path / "d"),
                          "--scenario", str(scenario)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr


def test_shipped_scenarios_load(new_server):
    srv, api = new_server("--no-auth", scenario=SCENARIOS / "default.yaml")
    scenario = api.data("GET", "/_sim/scenario")
    assert scenario["durations"]["servers"] == 3 and scenario["users"][0]["password"] == "***"


def test_runtime_scenario_update_is_validated(api):
    response = api.put("/_sim/scenario", json={"durations": {"servers": "fast"}})
    assert response.status_code == 400 and response.json()["error"].startswith("durations.servers:")
    assert api.put("/_sim/scenario", json={"nope": 1}).status_code == 400


def test_tls(tmp_path, new_server):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    srv, _ = new_server("--tls-cert", str(cert), "--tls-key", str(key))
    assert srv.url.startswith("https://127.0.0.1:")
    assert requests.get(srv.url + "/health", verify=str(cert), timeout=10).json()["success"] is True
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(srv.url + "/health", timeout=10)  # self-signed: untrusted by default


def test_port_in_use_fails_with_a_message(tmp_path, new_server):
    srv, _ = new_server()
    port = srv.url.rsplit(":", 1)[1]
    out = subprocess.run([sys.executable, "-m", "provsim", "serve", "--port", port, "--data-dir", str(tmp_path / "x")],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "provsim:" in out.stderr and "Traceback" not in out.stderr


def test_verbose_access_log_never_shows_secrets(new_server):
    srv, api = new_server("--verbose")
    data = api.login()
    api.get("/tasks")
    api.get(f"/ws?token={data['token']}", check=False)  # not an upgrade: refused, but logged
    srv.stop()
    assert "GET /tasks 200" in srv.stderr_text
    for secret in (data["token"], data["refresh_token"], "admin-demo-password"):
        assert secret not in srv.stderr_text


def test_partial_scenario_update_keeps_other_keys(api):
    updated = api.scenario(durations={"servers": 0.5})
    assert updated["durations"] == {"servers": 0.5, "taskserv": 0.2, "cluster": 0.3, "batch_op": 0.15}
    assert api.scenario(failures=[])["durations"]["servers"] == 0.5


def test_one_simulator_per_data_dir(new_server):
    srv, _ = new_server()
    out = subprocess.run([sys.executable, "-m", "provsim", "serve", "--port", "0", "--data-dir", str(srv.data_dir)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "in use by another provsim" in out.stderr
