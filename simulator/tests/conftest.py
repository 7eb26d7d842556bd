"""Fixtures: the simulator started as a subprocess exactly as a user starts it, and an HTTP
client that validates every response of a documented route against docs/openapi.yaml."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

import pytest
import requests
from openapi_check import OpenApiChecker

SIMULATOR = pathlib.Path(__file__).resolve().parents[1]
SCENARIOS = SIMULATOR / "scenarios"
FAST = SCENARIOS / "fast.yaml"
ADMIN = ("admin", "admin-demo-password")


def wait_for(condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01, what: str = "condition"):
    """Poll until `condition()` is truthy and return its value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Server:
    """One `python -m provsim serve --port 0 --ready-file F` process."""

    def __init__(self, data_dir: pathlib.Path, scenario: pathlib.Path | None = FAST, *extra: str) -> None:
        self.data_dir = data_dir
        self.scenario = scenario
        self.extra = list(extra)
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.stderr_text = ""

    def start(self) -> "Server":
        ready = pathlib.Path(tempfile.mkdtemp(prefix="provsim-ready-")) / "url"
        cmd = [sys.executable, "-m", "provsim", "serve", "--port", "0", "--data-dir", str(self.data_dir),
               "--ready-file", str(ready), *self.extra]
        if self.scenario is not None:
            cmd += ["--scenario", str(self.scenario)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: ready.exists() or self.proc.poll() is not None, timeout=15, what="simulator ready file")
        if self.proc.poll() is not None:
            raise RuntimeError(f"simulator exited {self.proc.returncode}: {self.proc.stderr.read()}")
        self.url = ready.read_text().strip()
        self.ready_line = self.proc.stdout.readline().strip()
        return self

    def stop(self) -> int:
        """SIGTERM and wait: returns the exit status (0 expected)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        finally:
            self.collect_output()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.collect_output()

    def collect_output(self) -> None:
        self.stderr_text = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()


class Api:
    """requests.Session bound to a base URL; every response is checked against the OpenAPI doc."""

    def __init__(self, url: str, checker: OpenApiChecker) -> None:
        self.url = url
        self.session = requests.Session()
        self.checker = checker
        self.token: str | None = None

    def login(self, username: str = ADMIN[0], password: str = ADMIN[1]) -> dict[str, Any]:
        response = self.post("/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        self.token = data["token"]
        return data

    def request(self, method: str, path: str, check: bool = True, auth: bool = True, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if auth and self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        kwargs.setdefault("timeout", 10)
        response = self.session.request(method, self.url + path, headers=headers, **kwargs)
        if check:
            self.checker.check(method, path, response)
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # ---- helpers ---------------------------------------------------------------------

    def data(self, method: str, path: str, **kwargs) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        body = response.json()
        assert body["success"] is True and body["error"] is None
        return body["data"]

    def submit(self, route: str = "/workflows/servers/create", **body) -> str:
        body.setdefault("infra", "prod")
        return self.data("POST", route, json=body)

    def task(self, task_id: str) -> dict[str, Any]:
        return self.data("GET", f"/tasks/{task_id}")

    def wait_task(self, task_id: str, timeout: float = 5.0) -> dict[str, Any]:
        return wait_for(lambda: (t := self.task(task_id))["status"] in ("Completed", "Failed", "Cancelled") and t,
                        timeout=timeout, what=f"task {task_id} to finish")

    def batch(self, batch_id: str) -> dict[str, Any]:
        return self.data("GET", f"/batch/operations/{batch_id}")

    def wait_batch(self, batch_id: str, timeout: float = 8.0) -> dict[str, Any]:
        return wait_for(lambda: (b := self.batch(batch_id))["status"] in ("Completed", "Failed", "Cancelled") and b,
                        timeout=timeout, what=f"batch {batch_id} to finish")

    def scenario(self, **changes) -> dict[str, Any]:
        return self.data("PUT", "/_sim/scenario", json=changes)

    def fault(self, **fault) -> dict[str, Any]:
        return self.data("POST", "/_sim/faults", json=fault)

    def model(self) -> dict[str, Any]:
        return self.data("GET", "/_sim/model")

    def stats(self) -> dict[str, Any]:
        return self.data("GET", "/_sim/stats")


@pytest.fixture(scope="session")
def checker() -> OpenApiChecker:
    return OpenApiChecker(SIMULATOR.parent / "docs" / "openapi.yaml")


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    srv = Server(tmp_path_factory.mktemp("data")).start()
    yield srv
    assert srv.stop() == 0


@pytest.fixture
def api(server: Server, checker: OpenApiChecker) -> Api:
    """A logged-in admin client on a freshly reset shared simulator."""
    client = Api(server.url, checker)
    client.data("POST", "/_sim/reset")
    client.login()
    return client


@pytest.fixture
def new_server(tmp_path, checker) -> Callable[..., tuple[Server, Api]]:
    """Start a private simulator (for restarts, other scenarios, CLI flags)."""
    started: list[Server] = []

    def start(*extra: str, scenario: pathlib.Path | None = FAST, data_dir: pathlib.Path | None = None):
        srv = Server(data_dir or tmp_path / f"data{len(started)}", scenario, *extra).start()
        started.append(srv)
        return srv, Api(srv.url, checker)

    yield start
    for srv in started:
        if srv.proc.poll() is None:
            srv.stop()
        elif not srv.proc.stdout.closed:
            srv.collect_output()  # a test stopped it itself


def write_scenario(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / f"scenario-{os.urandom(4).hex()}.yaml"
    path.write_text(text)
    return path
