# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-process fake orchestrator (a requests transport adapter) and a fake clock.

Implements the contract of docs/api-contract.md minimally. Task and batch status progress
with the fake clock, so tests never sleep and never touch the network.
"""

import datetime
import json
import uuid
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

CLI = "/usr/local/provisioning"
WALL0 = 1767607200.0  # 2026-01-05T10:00:00Z


class FakeClock(object):
    def __init__(self):
        self.t = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.t

    def time(self):
        return WALL0 + (self.t - 1000.0)

    def sleep(self, seconds):
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.t += seconds

    def advance(self, seconds):
        self.t += seconds


def iso(wall):
    return datetime.datetime.fromtimestamp(wall, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Fault(object):
    """One injected fault for requests matching method + path prefix."""

    def __init__(self, method, path, kind, count=1, status=503, body=None, headers=None):
        self.method = method
        self.path = path
        self.kind = kind  # status | reset_after_commit | timeout_after_commit | refuse | timeout_before | ssl
        self.count = count
        self.status = status
        self.body = body
        self.headers = headers or {}

    def matches(self, method, path):
        return self.count != 0 and method == self.method and path.startswith(self.path)


class FakeTask(object):
    def __init__(self, clock, record, duration=5.0, pending=0.2, outcome="Completed", output=None, error=None,
                 static=False):
        self.clock = clock
        self.record = record
        self.created = clock.time()
        self.duration = duration
        self.pending = pending
        self.outcome = outcome
        self.output = output
        self.error = error
        self.static = static
        self.cancelled_at = None

    def view(self):
        rec = dict(self.record)
        if self.static:
            return rec
        age = self.clock.time() - self.created
        if self.cancelled_at is not None:
            rec.update(status="Cancelled", completed_at=iso(self.cancelled_at), progress=rec.get("progress", 0.0))
            return rec
        if age < self.pending:
            rec.update(status="Pending", progress=0.0)
        elif age < self.duration:
            rec.update(status="Running", started_at=iso(self.created + self.pending),
                       progress=round(100.0 * (age - self.pending) / max(0.001, self.duration - self.pending), 2))
        else:
            rec.update(status=self.outcome, started_at=iso(self.created + self.pending),
                       completed_at=iso(self.created + self.duration), progress=100.0,
                       output=self.output, error=self.error if self.outcome != "Completed" else None)
        return rec

    def eta(self):
        return max(0.0, self.duration - (self.clock.time() - self.created))


class FakeOrchestrator(BaseAdapter):
    def __init__(self, clock, auth=False, users=None, envelope="wrapped", id_shape="string", duration=5.0,
                 progress_endpoint=True):
        super(FakeOrchestrator, self).__init__()
        self.clock = clock
        self.auth = auth
        self.users = users or {"admin": "s3cret-pass"}
        self.envelope = envelope
        self.id_shape = id_shape
        self.duration = duration
        self.progress_endpoint = progress_endpoint
        self.tasks = []
        self.batches = []
        self.log = []
        self.faults = []
        self.tokens = set()
        self.refresh_tokens = {}
        self.next_outcome = []  # list of (status, output, error) for the next submissions
        self.fail_ops = {}  # batch op id -> error

    # ------------------------------------------------------------ helpers for tests
    def add_fault(self, method, path, kind, count=1, **kwargs):
        fault = Fault(method, path, kind, count, **kwargs)
        self.faults.append(fault)
        return fault

    def issue_token(self):
        token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ%s.c2lnbmF0dXJl" % uuid.uuid4().hex[:12]
        self.tokens.add(token)
        return token

    def add_task(self, name, command, args, status="Completed", age=100.0, output="ok", error=None, **extra):
        wall = self.clock.time() - age
        record = dict(id=str(uuid.uuid4()), name=name, command=command, args=list(args), dependencies=[],
                      status=status, created_at=iso(wall), started_at=iso(wall + 1),
                      completed_at=iso(wall + 2) if status in ("Completed", "Failed", "Cancelled") else None,
                      output=output, error=error, progress=100.0 if status == "Completed" else 50.0)
        record.update(extra)
        task = FakeTask(self.clock, record, static=True)
        task.created = wall
        self._insert(task)
        return record

    def _insert(self, task):
        self.tasks.append(task)
        self.tasks.sort(key=lambda t: t.created)

    def submissions(self, path_prefix="/workflows"):
        return [e for e in self.log if e["method"] == "POST" and e["path"].startswith(path_prefix)]

    def count(self, method=None, path=None):
        return len([e for e in self.log if (method is None or e["method"] == method)
                    and (path is None or e["path"].startswith(path))])

    def task(self, task_id):
        for t in self.tasks:
            if t.record["id"] == task_id:
                return t
        return None

    # ------------------------------------------------------------ transport
    def close(self):
        pass

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        parts = urlsplit(request.url)
        path = parts.path
        params = dict((k, v[0]) for k, v in parse_qs(parts.query).items())
        body = json.loads(request.body) if request.body else None
        entry = dict(method=request.method, path=path, params=params, body=body, headers=dict(request.headers),
                     verify=verify, proxies=proxies, timeout=timeout, url=request.url, t=self.clock.t)
        self.log.append(entry)
        fault = next((f for f in self.faults if f.matches(request.method, path)), None)
        if fault is not None:
            fault.count -= 1
            if fault.kind == "refuse":
                raise requests.exceptions.ConnectionError(
                    ConnectionRefusedError(111, "Connection refused"), request=request)
            if fault.kind == "ssl":
                raise requests.exceptions.SSLError("certificate verify failed: self-signed certificate", request=request)
            if fault.kind == "timeout_before":
                raise requests.exceptions.ConnectTimeout("connect timed out", request=request)
            if fault.kind == "status":
                return self._response(request, fault.status, fault.body if fault.body is not None else
                                      {"success": False, "data": None, "error": "Service temporarily unavailable"},
                                      headers=fault.headers)
            if fault.kind in ("reset_after_commit", "timeout_after_commit", "status_after_commit"):
                self._route(request, path, params, body)
                if fault.kind == "reset_after_commit":
                    raise requests.exceptions.ConnectionError(
                        ConnectionResetError(104, "Connection reset by peer"), request=request)
                if fault.kind == "timeout_after_commit":
                    raise requests.exceptions.ReadTimeout("read timed out", request=request)
                return self._response(request, fault.status, {"success": False, "error": "Bad gateway"})
        return self._route(request, path, params, body)

    def _response(self, request, status, payload, headers=None, raw=None):
        resp = requests.Response()
        resp.status_code = status
        resp.reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                       409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error",
                       502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(status, "")
        resp.headers = CaseInsensitiveDict(headers or {})
        if raw is not None:
            resp._content = raw.encode()
        else:
            resp.headers["Content-Type"] = "application/json"
            resp._content = json.dumps(payload).encode()
        resp.encoding = "utf-8"
        resp.url = request.url
        resp.request = request
        return resp

    def _ok(self, request, data):
        if self.envelope == "bare":
            return self._response(request, 200, data)
        return self._response(request, 200, {"success": True, "data": data, "error": None})

    def _err(self, request, status, message, code=None):
        return self._response(request, status, {"success": False, "data": None, "error": message, "code": code})

    def _authorized(self, request):
        if not self.auth:
            return True
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.tokens

    def _route(self, request, path, params, body):
        method = request.method
        if path == "/health":
            return self._ok(request, "Orchestrator is healthy")
        if path == "/auth/login" and method == "POST":
            body = body or {}
            if self.users.get(body.get("username")) != body.get("password"):
                return self._err(request, 401, "Invalid credentials", "UNAUTHORIZED")
            return self._ok(request, self._token_payload())
        if path == "/auth/refresh" and method == "POST":
            body = body or {}
            if body.get("refresh_token") in self.refresh_tokens:
                return self._ok(request, self._token_payload())
            return self._err(request, 401, "Invalid refresh token", "UNAUTHORIZED")
        if not self._authorized(request):
            return self._err(request, 401, "Missing or invalid token", "UNAUTHORIZED")
        if path == "/tasks" and method == "GET":
            try:
                limit = int(params.get("limit", 50))
                offset = int(params.get("offset", 0))
            except ValueError:
                return self._err(request, 400, "invalid limit/offset")
            if not 1 <= limit <= 1000:
                return self._err(request, 400, "limit must be between 1 and 1000", "INVALID_REQUEST")
            views = [t.view() for t in reversed(self.tasks)]
            if params.get("status"):
                views = [v for v in views if v["status"] == params["status"]]
            return self._ok(request, views[offset:offset + limit])
        if path.startswith("/tasks/") and method == "GET":
            task = self.task(path.split("/")[2])
            if task is None:
                return self._err(request, 404, "Task not found: %s" % path.split("/")[2], "NOT_FOUND")
            return self._ok(request, task.view())
        if path.startswith("/state/workflows/") and path.endswith("/progress"):
            task = self.task(path.split("/")[3])
            if task is None or not self.progress_endpoint:
                return self._err(request, 404, "not found", "NOT_FOUND")
            view = task.view()
            return self._ok(request, {"workflow_id": view["id"], "progress": view.get("progress"),
                                      "current_step": "x", "total_steps": 4, "completed_steps": 2,
                                      "estimated_time_remaining": task.eta()})
        if path in ("/workflows/servers/create", "/workflows/taskserv/create", "/workflows/cluster/create") \
                and method == "POST":
            return self._submit(request, path.split("/")[2], body or {})
        if path == "/batch/execute" and method == "POST":
            return self._execute_batch(request, body or {})
        if path == "/batch/operations" and method == "GET":
            views = [b.view() for b in reversed(self.batches)]
            limit = int(params.get("limit", 50))
            offset = int(params.get("offset", 0))
            return self._ok(request, views[offset:offset + limit])
        if path.startswith("/batch/operations/"):
            parts = path.split("/")
            batch = next((b for b in self.batches if b.record["id"] == parts[3]), None)
            if batch is None:
                return self._err(request, 404, "Batch not found", "NOT_FOUND")
            if len(parts) == 5 and parts[4] == "cancel" and method == "POST":
                if batch.view()["status"] in ("Completed", "Failed", "Cancelled"):
                    return self._err(request, 409, "Batch already terminal", "CONFLICT")
                batch.cancelled_at = self.clock.time()
                return self._ok(request, batch.view())
            return self._ok(request, batch.view())
        return self._err(request, 404, "no route %s %s" % (method, path), "NOT_FOUND")

    def _token_payload(self):
        token = self.issue_token()
        refresh = "rt-" + uuid.uuid4().hex
        self.refresh_tokens[refresh] = token
        return {"token": token, "access_token": token, "refresh_token": refresh, "token_type": "Bearer",
                "expires_in": 900, "user": {"id": "u1", "username": "admin", "roles": ["admin"]}}

    def _submit(self, request, kind, body):
        infra = body.get("infra")
        if not infra:
            return self._err(request, 400, "infra is required", "VALIDATION_ERROR")
        noun = {"servers": "servers", "taskserv": "taskserv", "cluster": "cluster"}[kind]
        op = body.get("operation", "create")
        args = []
        if kind == "taskserv":
            args.append(body["taskserv"])
        if kind == "cluster":
            args.append(body["cluster_type"])
        args += ["--infra", infra]
        if body.get("settings"):
            args += ["--settings", body["settings"]]
        if body.get("check_mode"):
            args.append("--check")
        if body.get("wait"):
            args.append("--wait")
        status, output, error = ("Completed", "done: %s %s on %s" % (op, noun, infra), None)
        if body.get("check_mode"):
            output = "PLAN: would %s %s on %s" % (op, noun, infra)
        if self.next_outcome:
            status, output, error = self.next_outcome.pop(0)
        record = dict(id=str(uuid.uuid4()), name="%s_%s" % (op, noun), command="%s %s %s" % (CLI, noun, op),
                      args=args, dependencies=[], status="Pending", created_at=iso(self.clock.time()),
                      started_at=None, completed_at=None, output=None, error=None, progress=0.0)
        self._insert(FakeTask(self.clock, record, duration=self.duration, outcome=status, output=output, error=error))
        task_id = record["id"]
        if self.id_shape == "string":
            data = task_id
        else:
            data = {self.id_shape: task_id}
        return self._ok(request, data)

    def _execute_batch(self, request, body):
        ids = [op.get("id") for op in body.get("operations", [])]
        if len(set(ids)) != len(ids):
            return self._err(request, 400, "duplicate operation id", "VALIDATION_ERROR")
        batch = FakeBatch(self.clock, body, self.duration, dict(self.fail_ops))
        self.batches.append(batch)
        return self._ok(request, batch.view())


class FakeBatch(FakeTask):
    def __init__(self, clock, body, duration, fail_ops):
        bid = str(uuid.uuid4())
        record = dict(body)
        record.update(id=bid, batch_id=bid, status="Pending", created_at=iso(clock.time()), started_at=None,
                      completed_at=None, progress=0.0, error=None, rolled_back=[])
        super(FakeBatch, self).__init__(clock, record, duration=duration,
                                        outcome="Failed" if fail_ops else "Completed",
                                        error="operation failed" if fail_ops else None)
        self.fail_ops = fail_ops

    def view(self):
        rec = super(FakeBatch, self).view()
        rec["batch_id"] = rec["id"]
        ops = []
        for op in self.record.get("operations", []):
            item = dict(op)
            item.update(status=rec["status"], progress=rec.get("progress"), task_id=None, output=None, error=None)
            if rec["status"] == "Failed":
                if op["id"] in self.fail_ops:
                    item.update(error=self.fail_ops[op["id"]])
                else:
                    item["status"] = "Completed"
            ops.append(item)
        rec["operations"] = ops
        return rec


def make_session(fake):
    session = requests.Session()
    session.mount("http://", fake)
    session.mount("https://", fake)
    return session
