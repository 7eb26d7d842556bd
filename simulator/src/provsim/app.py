"""HTTP and WebSocket routes (docs/api-contract.md, docs/openapi.yaml) and the middleware chain.

Request path, outermost first:

    stats -> envelope (catch-all: never a 500 traceback) -> faults -> rate limit -> auth -> route

Faults come first because a load balancer's 503 or a dropped connection happens before the
orchestrator's own checks; the rate limiter runs before authentication, as in the platform's
security middleware.  `/_sim/*` (the simulator's admin API) bypasses faults, limits and auth.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import json
import logging
import os
import shutil
import socket
import struct
import time
import uuid
from typing import Any, Awaitable, Callable

import yaml
from aiohttp import WSMsgType, web

from .auth import Auth, AuthError
from .batches import BatchError, Coordinator, validate
from .engine import Engine, iso
from .events import Hub, Subscriber, parse_event_filter
from .faults import FaultBook, parse_fault
from .model import NAME_RE, NAME_RULE, Model
from .ratelimit import RateLimiter
from .scenario import Scenario, ScenarioError
from .stats import Stats
from .store import Store

log = logging.getLogger("provsim")

STATUSES = ("Pending", "Running", "Completed", "Failed", "Cancelled")
TASKSERV_OPERATIONS = ("create", "delete", "generate")
CLUSTER_OPERATIONS = ("create", "delete")
PUBLIC_PATHS = {"/health", "/auth/login", "/auth/refresh", "/openapi.yaml", "/openapi.json", "/ws"}
WS_AUTH_TIMEOUT = 5.0
ERROR_CODES = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "INVALID_REQUEST", 415: "INVALID_REQUEST",
               422: "VALIDATION_ERROR", 429: "RATE_LIMITED", 500: "INTERNAL_ERROR", 502: "BAD_GATEWAY",
               503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# ---- envelope ------------------------------------------------------------------------------

def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"success": True, "data": data, "error": None}, status=status, headers=headers)


class ApiError(Exception):
    """Raised by handlers; the envelope middleware turns it into `{"success": false, ...}`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"success": False, "data": None, "error": message, "code": ERROR_CODES.get(status, "ERROR")}
    return web.json_response(body, status=status, headers=headers)


# ---- request parsing -----------------------------------------------------------------------

async def json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        raise ApiError(400, "body: required, a JSON object")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"body: invalid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body: expected a JSON object")
    return body


def field_name(body: dict, key: str, required: bool = True) -> str | None:
    """A name that ends up on the provisioning CLI's command line: strictly validated."""
    value = body.get(key)
    if value is None:
        if required:
            raise ApiError(400, f"{key}: required field missing")
        return None
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ApiError(400, f"{key}: expected {NAME_RULE} (got {value!r})")
    return value


def field_str(body: dict, key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"{key}: expected a non-empty string")
    return value


def field_bool(body: dict, key: str) -> bool:
    value = body.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ApiError(400, f"{key}: expected a boolean")
    return value


def field_choice(body: dict, key: str, choices: tuple[str, ...], default: str) -> str:
    value = body.get(key)
    if value is None:  # absent and null both mean "the default", like the other optional fields
        value = default
    if value not in choices:
        raise ApiError(400, f"{key}: must be one of {', '.join(choices)} (got {value!r})")
    return value


def query_int(request: web.Request, key: str, default: int, low: int, high: int | None) -> int:
    raw = request.query.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{key}: expected an integer (got {raw!r})") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ApiError(400, f"{key}: must be {bounds} (got {value})")
    return value


def query_status(request: web.Request) -> str | None:
    raw = request.query.get("status")
    if raw is None:
        return None
    for status in STATUSES:  # clients may send any case; the platform's values are PascalCase
        if raw.lower() == status.lower():
            return status
    raise ApiError(400, f"status: must be one of {', '.join(STATUSES)} (got {raw!r})")


def route_template(request: web.Request) -> str:
    resource = request.match_info.route.resource
    # Unmatched paths share one name, so random URLs cannot blow up the stats table.
    return resource.canonical if resource is not None else "(no route)"


def abort_connection(request: web.Request) -> None:
    """Reset the TCP connection: SO_LINGER 0 makes close() send RST instead of FIN."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


def load_openapi() -> dict[str, Any] | None:
    resource = importlib.resources.files("provsim") / "openapi.yaml"
    try:
        return yaml.safe_load(resource.read_text(encoding="utf-8"))
    except (FileNotFoundError, OSError):
        return None


# ---- the simulator ---------------------------------------------------------------------------

class Simulator:
    """All state behind the routes; one per process."""

    def __init__(self, data_dir: str, scenario: Scenario, auth_enabled: bool = True) -> None:
        self.initial_scenario = scenario
        self.scenario = scenario
        self.auth_enabled = auth_enabled
        self.data_dir = data_dir
        self.store = Store(data_dir)
        self.stats = Stats()
        self.hub = Hub()
        self.model = Model(self.store, lambda: self.scenario)
        self.engine = Engine(self.store, self.model, lambda: self.scenario, self.hub.publish, self.stats.task)
        self.batches = Coordinator(self.store, self.engine, self.model, lambda: self.scenario,
                                   self.hub.publish, self.stats.batch)
        self.auth = Auth(self.store, lambda: self.scenario)
        self.faults = FaultBook(scenario.seed)
        self.limiter = RateLimiter()
        self.openapi = load_openapi()
        self._arm_scenario_faults()
        self._ticker: asyncio.Task | None = None
        self.started = time.time()

    def _arm_scenario_faults(self) -> None:
        self.faults.clear()
        for fault in self.scenario.faults:
            self.faults.add(fault)

    async def start(self) -> None:
        self.batches.recover()
        resumed = self.engine.recover(self.scenario.on_restart)
        self.batches.resume()
        if resumed:
            log.warning("recovered %d unfinished task(s) (on_restart: %s)", resumed, self.scenario.on_restart)
        self._ticker = asyncio.create_task(self.engine.run(), name="provsim-task-clock")

    async def stop(self) -> None:
        self.hub.close_all()
        if self._ticker is not None:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
        self.store.close()

    def reset(self) -> None:
        self.engine.reset()
        self.batches.reset()
        self.model.reset()
        self.store.clear_workload()
        self.scenario = self.initial_scenario
        self._arm_scenario_faults()
        self.limiter.reset()
        self.stats.reset()

    def check_infra(self, request: web.Request, infra: str) -> None:
        """403 when the scenario denies the calling user this infra (on this route or any)."""
        claims = request.get("claims")
        if claims is None:
            return
        route = f"{request.method} {route_template(request)}"
        for rule in self.scenario.denials:
            if rule["user"] == claims["username"] and rule["infra"] == infra and rule["route"] in (None, route):
                raise ApiError(403, f"Forbidden: user '{claims['username']}' may not act on infra '{infra}'")

    def infra_of_task(self, task_id: str) -> str | None:
        live = self.engine.active.get(task_id)
        if live is not None:
            return live["plan"]["spec"]["infra"]
        found = self.store.get_task(task_id)
        return found[1]["spec"]["infra"] if found else None


SIM_KEY = web.AppKey("simulator", Simulator)


def sim_of(request: web.Request) -> Simulator:
    return request.app[SIM_KEY]


# ---- middlewares ------------------------------------------------------------------------------

def rate_category(method: str, template: str) -> str | None:
    if template.startswith("/auth/"):
        return "auth"
    if method == "POST" and (template.startswith("/workflows/") or template.startswith("/batch/")):
        return "submissions"
    if method == "GET" and template.startswith(("/tasks", "/batch/", "/workflows/batch/", "/state/")):
        return "status"
    return None


@web.middleware
async def stats_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = sim_of(request)
    template = route_template(request)
    if template.startswith("/_sim/"):
        return await handler(request)
    response = await handler(request)
    sim.stats.request(request.method, template, "reset" if request.get("reset") else response.status)
    return response


@web.middleware
async def envelope_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.message, exc.headers)
    except AuthError as exc:
        return error_response(exc.status, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status == 404:
            message = f"No such route: {request.method} {request.path}"
        elif exc.status == 405:
            message = f"Method {request.method} not allowed on {request.path}"
        elif exc.status == 413:
            message = "body: too large"
        else:
            message = exc.reason
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return error_response(exc.status, message, headers)
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception:  # noqa: BLE001 - the catch-all that keeps tracebacks out of bodies
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal simulator error (see the simulator's log)")


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = sim_of(request)
    template = route_template(request)
    if template.startswith("/_sim/") or template.startswith("/openapi.") or template == "/ws":
        return await handler(request)
    fault = sim.faults.pick(request.method, template)
    if fault is None:
        return await handler(request)
    kind = fault["kind"]
    sim.stats.fault(kind)
    if kind == "status":
        headers = {"Retry-After": str(int(fault["retry_after"]) if fault["retry_after"].is_integer()
                                      else fault["retry_after"])} if fault["retry_after"] is not None else None
        return error_response(fault["status"], fault["error"] or f"simulated fault: HTTP {fault['status']}", headers)
    if kind == "reset":
        request["reset"] = True
        abort_connection(request)
        return web.Response(status=500)  # never reaches the client: the transport is gone
    if kind == "lost_response":
        response = await handler(request)  # fully processed and committed ...
        request["reset"] = True
        abort_connection(request)  # ... but the answer never arrives
        return response
    if kind == "slow":
        await asyncio.sleep(fault["delay"])
        return await handler(request)
    if kind == "malformed":
        return web.Response(status=200, body=b'{"success": true, "data": {"id": "trunc', content_type="application/json")
    if kind == "success_false":
        return web.json_response({"success": False, "data": None, "error": fault["error"] or "simulated failure"})
    # expire_token: a login/refresh issues a short-lived token; any other call loses its token now.
    if template in ("/auth/login", "/auth/refresh"):
        request["token_ttl"] = fault["ttl"]
    else:
        _, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if token:
            sim.auth.expire(token.strip())
    return await handler(request)


@web.middleware
async def ratelimit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = sim_of(request)
    limits = sim.scenario.rate_limits
    category = rate_category(request.method, route_template(request)) if limits["enabled"] else None
    if category is None:
        return await handler(request)
    allowed, headers = sim.limiter.check(request.remote or "unknown", category, limits)
    if not allowed:
        return error_response(429, f"Rate limit exceeded: {limits[category]} {category} requests "
                                   f"per {limits['window']:g}s", headers)
    response = await handler(request)
    response.headers.update(headers)
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = sim_of(request)
    template = route_template(request)
    if not sim.auth_enabled or template in PUBLIC_PATHS or template.startswith("/_sim/"):
        return await handler(request)
    if template == "(no route)":
        return await handler(request)  # 404/405 for everyone: a route's existence is no secret
    claims = sim.auth.authenticate(request.headers.get("Authorization"))
    request["claims"] = claims
    route = f"{request.method} {template}"
    for rule in sim.scenario.denials:
        if rule["user"] == claims["username"] and rule["infra"] is None and rule["route"] in (None, route):
            raise ApiError(403, f"Forbidden: user '{claims['username']}' may not call {route}")
    return await handler(request)


# ---- orchestrator routes ---------------------------------------------------------------------

async def health(request: web.Request) -> web.Response:
    return ok("Orchestrator is healthy")


async def login(request: web.Request) -> web.Response:
    body = await json_body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not username:
        raise ApiError(400, "username: required, a non-empty string")
    if not isinstance(password, str):
        raise ApiError(400, "password: required, a string")
    mfa = body.get("mfa_code")
    if mfa is not None and not isinstance(mfa, (str, int)):
        raise ApiError(400, "mfa_code: expected a string")
    return ok(sim_of(request).auth.login(username, password, None if mfa is None else str(mfa),
                                         request.get("token_ttl")))


async def refresh(request: web.Request) -> web.Response:
    body = await json_body(request)
    for key in ("token", "refresh_token"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise ApiError(400, f"{key}: expected a string")
    return ok(sim_of(request).auth.refresh(body.get("token"), body.get("refresh_token"), request.get("token_ttl")))


async def logout(request: web.Request) -> web.Response:
    sim = sim_of(request)
    claims = request.get("claims") or sim.auth.authenticate(request.headers.get("Authorization"))
    sim.auth.logout(claims)
    return ok("Logged out")


async def list_tasks(request: web.Request) -> web.Response:
    sim = sim_of(request)
    status = query_status(request)
    limit = query_int(request, "limit", 50, 1, 1000)
    offset = query_int(request, "offset", 0, 0, None)
    return ok(sim.engine.overlay(sim.store.list_tasks(status, limit, offset)))


def valid_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def get_task(request: web.Request) -> web.Response:
    sim = sim_of(request)
    task_id = request.match_info["id"]
    task = sim.engine.view(task_id) if valid_id(task_id) else None
    if task is None:
        raise ApiError(404, f"Task not found: {task_id}")
    sim.check_infra(request, sim.infra_of_task(task_id))
    return ok(task)


async def _submit(request: web.Request, workflow: str, operations: tuple[str, ...] | None,
                  item_key: str | None) -> web.Response:
    sim = sim_of(request)
    body = await json_body(request)
    infra = field_name(body, "infra")
    operation = field_choice(body, "operation", operations, "create") if operations else "create"
    spec = {
        "workflow": workflow, "operation": operation, "infra": infra,
        "items": [field_name(body, item_key)] if item_key else sim.scenario.planned_servers(infra),
        "settings": field_str(body, "settings"), "check": field_bool(body, "check_mode"),
        "wait": field_bool(body, "wait"), "batch": None,
    }
    sim.check_infra(request, infra)
    task = sim.engine.submit(spec)  # committed to SQLite before we answer
    return ok(task["id"])


async def create_servers(request: web.Request) -> web.Response:
    return await _submit(request, "servers", None, None)


async def create_taskserv(request: web.Request) -> web.Response:
    return await _submit(request, "taskserv", TASKSERV_OPERATIONS, "taskserv")


async def create_cluster(request: web.Request) -> web.Response:
    return await _submit(request, "cluster", CLUSTER_OPERATIONS, "cluster_type")


async def execute_batch(request: web.Request) -> web.Response:
    sim = sim_of(request)
    body = await json_body(request)
    try:
        definition = validate(body)
    except BatchError as exc:
        raise ApiError(400, str(exc)) from None
    for op in definition["operations"]:
        sim.check_infra(request, op["infra"])
    return ok(sim.batches.submit(definition))


async def list_batches(request: web.Request) -> web.Response:
    sim = sim_of(request)
    status = query_status(request)
    limit = query_int(request, "limit", 50, 1, 1000)
    offset = query_int(request, "offset", 0, 0, None)
    return ok(sim.batches.list(status, limit, offset))


async def get_batch(request: web.Request) -> web.Response:
    batch_id = request.match_info["id"]
    batch = sim_of(request).batches.view(batch_id) if valid_id(batch_id) else None
    if batch is None:
        raise ApiError(404, f"Batch operation not found: {batch_id}")
    return ok(batch)


async def cancel_batch(request: web.Request) -> web.Response:
    sim = sim_of(request)
    batch_id = request.match_info["id"]
    batch = sim.batches.view(batch_id) if valid_id(batch_id) else None
    if batch is None:
        raise ApiError(404, f"Batch operation not found: {batch_id}")
    cancelled = sim.batches.cancel(batch_id)
    if cancelled is None:
        raise ApiError(409, f"Batch operation {batch_id} is already {batch['status']}; nothing to cancel")
    return ok(cancelled)


async def workflow_progress(request: web.Request) -> web.Response:
    sim = sim_of(request)
    workflow_id = request.match_info["id"]
    info = None
    if valid_id(workflow_id):
        info = sim.engine.progress_info(workflow_id) or sim.batches.progress_info(workflow_id)
    if info is None:
        raise ApiError(404, f"Workflow not found: {workflow_id}")
    return ok(info)


async def system_health(request: web.Request) -> web.Response:
    sim = sim_of(request)
    lag = sim.engine.lag.summary()
    clock = "Healthy" if lag["p99_lag"] < 0.5 else "Degraded"
    return ok({
        "overall_status": "Healthy" if clock == "Healthy" else "Degraded",
        "components": {"storage": "Healthy", "batch_coordinator": "Healthy", "monitoring": "Healthy",
                       "task_clock": clock},
        "last_check": iso(time.time()),
    })


async def system_metrics(request: web.Request) -> web.Response:
    sim = sim_of(request)
    store = sim.store
    load = os.getloadavg()[0] / (os.cpu_count() or 1) * 100.0
    disk = shutil.disk_usage(sim.data_dir)
    with open("/proc/self/statm", encoding="ascii") as statm:  # Linux: resident pages of this process
        rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    total_mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return ok({
        "total_workflows": store.count_tasks(),
        "active_workflows": len(sim.engine.active),
        "pending_workflows": store.count_tasks("Pending"),
        "completed_workflows": store.count_tasks("Completed"),
        "failed_workflows": store.count_tasks("Failed"),
        "cancelled_workflows": store.count_tasks("Cancelled"),
        "system_load": {"cpu_usage": round(load, 1), "memory_usage": round(rss / total_mem * 100.0, 2),
                        "disk_usage": round(disk.used / disk.total * 100.0, 1)},
    })


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """`/ws`: token by `?token=` or a first `{"type": "auth", "token": ...}` message."""
    sim = sim_of(request)
    try:
        events = parse_event_filter(request.query.get("events", "").split(","))
    except ValueError as exc:
        raise ApiError(400, f"events: {exc}") from None
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    user = await _ws_authenticate(sim, ws, request.query.get("token"))
    if user is None:
        return ws
    sub = Subscriber(events)
    sim.hub.subscribers.add(sub)
    await ws.send_json({"type": "authenticated", "user": user, "events": sorted(events)})
    sender = asyncio.create_task(_ws_sender(ws, sub))
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            await _ws_command(ws, sub, msg.data)
    finally:
        sim.hub.subscribers.discard(sub)
        sender.cancel()
    return ws


async def _ws_authenticate(sim: Simulator, ws: web.WebSocketResponse, token: str | None) -> str | None:
    if not sim.auth_enabled:
        return "anonymous"
    if token is None:
        try:
            msg = await ws.receive(timeout=WS_AUTH_TIMEOUT)
        except TimeoutError:
            msg = None
        try:
            first = json.loads(msg.data) if msg is not None and msg.type == WSMsgType.TEXT else {}
        except ValueError:
            first = {}
        if isinstance(first, dict) and first.get("type") == "auth" and isinstance(first.get("token"), str):
            token = first["token"]
    if token is None:
        await ws.send_json({"type": "error", "error": "authentication required: ?token= or "
                                                      "{\"type\": \"auth\", \"token\": ...} first"})
        await ws.close(code=4401, message=b"unauthorized")
        return None
    try:
        return sim.auth.verify(token, "access")["username"]
    except AuthError as exc:
        await ws.send_json({"type": "error", "error": exc.message})
        await ws.close(code=4401, message=b"unauthorized")
        return None


async def _ws_sender(ws: web.WebSocketResponse, sub: Subscriber) -> None:
    while True:
        message = await sub.queue.get()
        if message is None:  # overflow or shutdown
            await ws.close(code=1013 if sub.overflowed else 1001)
            return
        try:
            await ws.send_str(message)
        except ConnectionError:
            return


async def _ws_command(ws: web.WebSocketResponse, sub: Subscriber, text: str) -> None:
    try:
        msg = json.loads(text)
    except ValueError:
        await ws.send_json({"type": "error", "error": "message: invalid JSON"})
        return
    kind = msg.get("type") if isinstance(msg, dict) else None
    if kind == "ping":
        await ws.send_json({"type": "pong"})
    elif kind in ("subscribe", "unsubscribe"):
        names = msg.get("events") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            await ws.send_json({"type": "error", "error": "events: expected a list of event types"})
            return
        try:
            chosen = parse_event_filter(names)
        except ValueError as exc:
            await ws.send_json({"type": "error", "error": f"events: {exc}"})
            return
        sub.events = chosen if kind == "subscribe" else sub.events - chosen
        await ws.send_json({"type": kind + "d", "events": sorted(sub.events)})
    elif kind == "auth":
        await ws.send_json({"type": "authenticated"})
    else:
        await ws.send_json({"type": "error", "error": f"type: unknown message type {kind!r}"})


async def openapi_yaml(request: web.Request) -> web.Response:
    spec = sim_of(request).openapi
    if spec is None:
        raise ApiError(404, "openapi.yaml is not packaged with this simulator")
    return web.Response(text=yaml.safe_dump(spec, sort_keys=False), content_type="application/yaml")


async def openapi_json(request: web.Request) -> web.Response:
    spec = sim_of(request).openapi
    if spec is None:
        raise ApiError(404, "openapi.yaml is not packaged with this simulator")
    return web.json_response(spec)


# ---- /_sim admin routes -----------------------------------------------------------------------

async def sim_faults(request: web.Request) -> web.Response:
    return ok(sim_of(request).faults.list())


async def sim_add_fault(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        fault = parse_fault(body)
    except ScenarioError as exc:
        raise ApiError(400, str(exc)) from None
    return ok(sim_of(request).faults.add(fault))


async def sim_clear_faults(request: web.Request) -> web.Response:
    sim_of(request).faults.clear()
    return ok([])


async def sim_delete_fault(request: web.Request) -> web.Response:
    fault_id = request.match_info["id"]
    if not sim_of(request).faults.remove(fault_id):
        raise ApiError(404, f"Fault not found: {fault_id}")
    return ok(f"Fault {fault_id} removed")


async def sim_stats(request: web.Request) -> web.Response:
    sim = sim_of(request)
    summary = sim.stats.summary()
    summary["engine"] = {**sim.engine.lag.summary(), "active_tasks": len(sim.engine.active)}
    return ok(summary)


async def sim_stats_reset(request: web.Request) -> web.Response:
    sim = sim_of(request)
    sim.stats.reset()
    sim.engine.lag.reset()
    return ok("Stats reset")


async def sim_reset(request: web.Request) -> web.Response:
    sim_of(request).reset()
    return ok("Simulator reset")


async def sim_model(request: web.Request) -> web.Response:
    return ok(sim_of(request).model.snapshot())


async def sim_scenario(request: web.Request) -> web.Response:
    return ok(sim_of(request).scenario.public())


async def sim_put_scenario(request: web.Request) -> web.Response:
    sim = sim_of(request)
    body = await json_body(request)
    try:
        updated = sim.scenario.updated(body)
    except ScenarioError as exc:
        raise ApiError(400, str(exc)) from None
    sim.scenario = updated
    if "faults" in body:
        sim._arm_scenario_faults()  # noqa: SLF001 - same module
    if "rate_limits" in body:
        sim.limiter.reset()
    return ok(updated.public())


# ---- wiring -----------------------------------------------------------------------------------

MIDDLEWARES = [stats_middleware, envelope_middleware, fault_middleware, ratelimit_middleware, auth_middleware]


def add_auth_routes(app: web.Application) -> None:
    app.router.add_get("/health", health)
    app.router.add_post("/auth/login", login)
    app.router.add_post("/auth/refresh", refresh)
    app.router.add_post("/auth/logout", logout)


def build_app(sim: Simulator) -> web.Application:
    app = web.Application(middlewares=MIDDLEWARES, client_max_size=1024 * 1024)
    app[SIM_KEY] = sim
    add_auth_routes(app)
    r = app.router
    r.add_get("/tasks", list_tasks)
    r.add_get("/tasks/{id}", get_task)
    r.add_post("/workflows/servers/create", create_servers)
    r.add_post("/workflows/taskserv/create", create_taskserv)
    r.add_post("/workflows/cluster/create", create_cluster)
    for prefix in ("/batch", "/workflows/batch"):  # both prefixes are documented (api-contract §4)
        r.add_post(f"{prefix}/execute", execute_batch)
        r.add_get(f"{prefix}/operations", list_batches)
        r.add_get(f"{prefix}/operations/{{id}}", get_batch)
        r.add_post(f"{prefix}/operations/{{id}}/cancel", cancel_batch)
    r.add_get("/state/system/health", system_health)
    r.add_get("/state/system/metrics", system_metrics)
    r.add_get("/state/workflows/{id}/progress", workflow_progress)
    r.add_get("/ws", websocket)
    r.add_get("/openapi.yaml", openapi_yaml)
    r.add_get("/openapi.json", openapi_json)
    r.add_get("/_sim/faults", sim_faults)
    r.add_post("/_sim/faults", sim_add_fault)
    r.add_delete("/_sim/faults", sim_clear_faults)
    r.add_delete("/_sim/faults/{id}", sim_delete_fault)
    r.add_get("/_sim/stats", sim_stats)
    r.add_post("/_sim/stats/reset", sim_stats_reset)
    r.add_post("/_sim/reset", sim_reset)
    r.add_get("/_sim/model", sim_model)
    r.add_get("/_sim/scenario", sim_scenario)
    r.add_put("/_sim/scenario", sim_put_scenario)
    return app


def build_auth_app(sim: Simulator) -> web.Application:
    """The second, "control center" listener (`--auth-port`): health and /auth/* only."""
    app = web.Application(middlewares=MIDDLEWARES, client_max_size=64 * 1024)
    app[SIM_KEY] = sim
    add_auth_routes(app)
    return app
