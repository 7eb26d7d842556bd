"""Fault injection: the failures a client must survive, armed per route by count or probability.

A fault is matched against "METHOD TEMPLATE" of the request, where TEMPLATE is the route
template the simulator registered (`/tasks/{id}`, not `/tasks/1234`).  Either part may be `*`,
and the whole route may be `*`.  The HTTP middleware in app.py decides what each kind does; this
module only owns the schema and the bookkeeping (which fault fires, how many shots are left).
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from .scenario import ScenarioError

FAULT_KINDS = ("status", "reset", "lost_response", "slow", "malformed", "success_false", "expire_token")
FAULT_KEYS = {"route", "kind", "status", "retry_after", "delay", "error", "ttl", "count", "probability"}


def _number(value: Any, where: str, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ScenarioError(f"{where}: expected a number >= {minimum:g}")
    return float(value)


def parse_fault(data: Any, where: str = "fault") -> dict[str, Any]:
    """Validate one fault definition and return it normalised (every key present)."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a mapping")
    unknown = sorted(set(data) - FAULT_KEYS)
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)}")
    kind = data.get("kind")
    if kind not in FAULT_KINDS:
        raise ScenarioError(f"{where}.kind: must be one of {', '.join(FAULT_KINDS)}")
    route = data.get("route", "*")
    if not isinstance(route, str) or not (route == "*" or len(route.split(" ")) == 2):
        raise ScenarioError(f"{where}.route: expected '*' or 'METHOD /path/template' (e.g. 'GET /tasks/{{id}}')")
    status = data.get("status", 503 if kind == "status" else None)
    if kind == "status" and (isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599):
        raise ScenarioError(f"{where}.status: expected an HTTP error status 400..599")
    count = data.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ScenarioError(f"{where}.count: expected an integer >= 1")
    probability = data.get("probability")
    if probability is not None:
        probability = _number(probability, f"{where}.probability")
        if probability > 1:
            raise ScenarioError(f"{where}.probability: must be between 0 and 1")
    error = data.get("error")
    if error is not None and not isinstance(error, str):
        raise ScenarioError(f"{where}.error: expected a string")
    return {
        "route": route if route == "*" else route.split(" ")[0].upper() + " " + route.split(" ")[1],
        "kind": kind,
        "status": status if kind == "status" else None,
        "retry_after": (None if data.get("retry_after") is None
                        else _number(data["retry_after"], f"{where}.retry_after")),
        "delay": _number(data.get("delay", 1.0), f"{where}.delay") if kind == "slow" else None,
        "error": error,
        "ttl": _number(data.get("ttl", 1.0), f"{where}.ttl") if kind == "expire_token" else None,
        "count": count,
        "probability": probability,
    }


def route_matches(pattern: str, method: str, template: str) -> bool:
    if pattern == "*":
        return True
    want_method, want_path = pattern.split(" ", 1)
    return want_method in ("*", method) and want_path in ("*", template)


class FaultBook:
    """The armed faults.  A fault with `count` is removed after firing that many times."""

    def __init__(self, seed: int | None = None) -> None:
        self._faults: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._random = random.Random(seed)

    def add(self, fault: dict[str, Any]) -> dict[str, Any]:
        fault_id = str(next(self._ids))
        entry = {"id": fault_id, **fault, "remaining": fault["count"], "fired": 0}
        self._faults[fault_id] = entry
        return dict(entry)

    def remove(self, fault_id: str) -> bool:
        return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        return [dict(f) for f in self._faults.values()]

    def pick(self, method: str, template: str) -> dict[str, Any] | None:
        """The first armed fault that matches and fires this time, with its shot consumed."""
        for fault_id, fault in list(self._faults.items()):
            if not route_matches(fault["route"], method, template):
                continue
            if fault["probability"] is not None and self._random.random() >= fault["probability"]:
                continue
            fault["fired"] += 1
            if fault["remaining"] is not None:
                fault["remaining"] -= 1
                if fault["remaining"] <= 0:
                    del self._faults[fault_id]
            return dict(fault)
        return None
