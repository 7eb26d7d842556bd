"""The Simulator: every piece of state behind the routes, wired together (one per process)."""

from __future__ import annotations

import asyncio
import importlib.resources
import logging
from typing import Any, Callable

import yaml
from aiohttp import web

from .auth import Auth
from .batches import Coordinator
from .engine import Engine
from .envelope import ApiError, route_template
from .events import Hub
from .faults import FaultBook
from .model import Model
from .ratelimit import RateLimiter
from .scenario import Scenario
from .stats import Stats
from .store import Store

log = logging.getLogger("provsim")


def load_openapi() -> dict[str, Any] | None:
    """docs/openapi.yaml, packaged as provsim/openapi.yaml (a symlink in the source tree)."""
    resource = importlib.resources.files("provsim") / "openapi.yaml"
    try:
        text = resource.read_text(encoding="utf-8")
    except OSError:
        return None
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders only


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
        self._openapi: dict[str, Any] | None = None
        self.arm_scenario_faults()
        self._ticker: asyncio.Task | None = None

    @property
    def openapi(self) -> dict[str, Any] | None:
        if self._openapi is None:  # parsed on first use: it would cost every start ~0.1 s
            self._openapi = load_openapi()
        return self._openapi

    def arm_scenario_faults(self) -> None:
        """Replace the armed faults by the scenario's (at start, on reset, on PUT /_sim/scenario)."""
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
        self.faults = FaultBook(self.scenario.seed)  # reseeded: probability faults replay identically
        self.arm_scenario_faults()
        self.limiter.reset()
        self.stats.reset()

    def check_infra(self, request: web.Request, infra: str | Callable[[], str]) -> None:
        """403 when the scenario denies the calling user this infra (on this route or any).
        `infra` may be a callable, looked up only when a denial could apply (hot read path)."""
        claims = request.get("claims")
        if claims is None:
            return
        route = f"{request.method} {route_template(request)}"
        rules = [r for r in self.scenario.denials if r["user"] == claims["username"] and r["infra"] is not None
                 and r["route"] in (None, route)]
        if not rules:
            return
        name = infra() if callable(infra) else infra
        if any(rule["infra"] == name for rule in rules):
            raise ApiError(403, f"Forbidden: user '{claims['username']}' may not act on infra '{name}'")

    def infra_of_task(self, task_id: str) -> str | None:
        live = self.engine.active.get(task_id)
        if live is not None:
            return live["plan"]["spec"]["infra"]
        found = self.store.get_task(task_id)
        return found[1]["spec"]["infra"] if found else None


SIM_KEY = web.AppKey("simulator", Simulator)


def sim_of(request: web.Request) -> Simulator:
    return request.app[SIM_KEY]
