"""The orchestrator's routes (docs/api-contract.md, docs/openapi.yaml) and the application wiring.

The middleware chain is in middleware.py, the WebSocket in websocket.py, the `/_sim/` admin API
in admin.py, the state behind it all in simulator.py.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid

import yaml
from aiohttp import web

from .admin import add_admin_routes
from .batches import BatchError, validate
from .engine import iso
from .envelope import ApiError, field_bool, field_choice, field_name, field_str, json_body, ok, query_int, query_status
from .middleware import MIDDLEWARES
from .simulator import SIM_KEY, Simulator, sim_of
from .websocket import SOCKETS, close_sockets, websocket

TASKSERV_OPERATIONS = ("create", "delete", "generate")
CLUSTER_OPERATIONS = ("create", "delete")


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
    sim.check_infra(request, lambda: sim.infra_of_task(task_id))
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
    # 1-minute load average per core as a percentage, capped: the closest portable CPU figure.
    load = min(100.0, os.getloadavg()[0] / (os.cpu_count() or 1) * 100.0)
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



def add_auth_routes(app: web.Application) -> None:
    app.router.add_get("/health", health)
    app.router.add_post("/auth/login", login)
    app.router.add_post("/auth/refresh", refresh)
    app.router.add_post("/auth/logout", logout)


def build_app(sim: Simulator) -> web.Application:
    app = web.Application(middlewares=MIDDLEWARES, client_max_size=1024 * 1024)
    app[SIM_KEY] = sim
    app[SOCKETS] = set()
    app.on_shutdown.append(close_sockets)
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
    add_admin_routes(r)
    return app


def build_auth_app(sim: Simulator) -> web.Application:
    """The second, "control center" listener (`--auth-port`): health and /auth/* only."""
    app = web.Application(middlewares=MIDDLEWARES, client_max_size=64 * 1024)
    app[SIM_KEY] = sim
    add_auth_routes(app)
    return app
