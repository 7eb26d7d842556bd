"""The simulator's admin API under `/_sim/` (no auth; no real orchestrator has this prefix)."""

from __future__ import annotations

from aiohttp import web

from .envelope import ApiError, json_body, ok
from .faults import parse_fault
from .scenario import ScenarioError
from .simulator import sim_of


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
        sim.arm_scenario_faults()
    if "rate_limits" in body:
        sim.limiter.reset()
    return ok(updated.public())


def add_admin_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/_sim/faults", sim_faults)
    router.add_post("/_sim/faults", sim_add_fault)
    router.add_delete("/_sim/faults", sim_clear_faults)
    router.add_delete("/_sim/faults/{id}", sim_delete_fault)
    router.add_get("/_sim/stats", sim_stats)
    router.add_post("/_sim/stats/reset", sim_stats_reset)
    router.add_post("/_sim/reset", sim_reset)
    router.add_get("/_sim/model", sim_model)
    router.add_get("/_sim/scenario", sim_scenario)
    router.add_put("/_sim/scenario", sim_put_scenario)
