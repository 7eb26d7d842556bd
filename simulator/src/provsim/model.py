"""The infrastructure behind the orchestrator: servers, task services and clusters per infra.

Workflows are planned against this model when they start running, so their output says what
really happened ("Created 3 servers: ...", "Nothing to do: ...").  A plan is a list of steps;
each step may carry one change (add/remove an item of one collection of one infra), applied
when the step completes.  Check-mode plans carry no changes.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable

from .store import Store

COLLECTIONS = ("servers", "taskservs", "clusters")
# Infra, server, taskserv and cluster names end up on the provisioning CLI's command line.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
NAME_RULE = "a name of letters, digits, '.', '_' or '-'"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Model:
    def __init__(self, store: Store, scenario_getter: Callable[[], Any]) -> None:
        self._store = store
        self._scenario = scenario_getter
        self._infras = store.load_infras()

    def reset(self) -> None:
        self._infras = {}

    def state(self, infra: str) -> dict[str, list[str]]:
        """The live state of one infra, created from the scenario's `existing` on first use."""
        if infra not in self._infras:
            spec = self._scenario().infras.get(infra)
            existing = spec["existing"] if spec else {}
            self._infras[infra] = {c: list(existing.get(c, [])) for c in COLLECTIONS}
        return self._infras[infra]

    def snapshot(self) -> dict[str, dict[str, list[str]]]:
        """Every infra the scenario names or a workflow touched (GET /_sim/model)."""
        names = sorted(set(self._scenario().infras) | set(self._infras))
        return {name: copy.deepcopy(self.state(name)) for name in names}

    def apply(self, change: dict[str, str], revert: bool = False) -> None:
        items = self.state(change["infra"])[change["collection"]]
        add = (change["op"] == "add") != revert
        if add and change["item"] not in items:
            items.append(change["item"])
        elif not add and change["item"] in items:
            items.remove(change["item"])
        self._store.put_infra(change["infra"], self.state(change["infra"]))


def _step(name: str, infra: str | None = None, collection: str | None = None,
          op: str | None = None, item: str | None = None) -> dict[str, Any]:
    change = None if op is None else {"infra": infra, "collection": collection, "op": op, "item": item}
    return {"name": name, "change": change}


def plan_servers(model: Model, infra: str, names: list[str], check: bool) -> dict[str, Any]:
    """Create the servers `names` of `infra` that do not exist yet."""
    existing = model.state(infra)["servers"]
    missing = [n for n in names if n not in existing]
    if not names:
        return {"steps": [_step("Reading settings")], "output": f"Nothing to do: no servers defined for infra {infra}"}
    if not missing:
        return {"steps": [_step("Checking existing servers")],
                "output": f"Nothing to do: {plural(len(names), 'server')} already exist"}
    listed = ", ".join(missing)
    if check:
        return {"steps": [_step("Validating settings"), _step("Planning changes")],
                "output": f"Would create {plural(len(missing), 'server')}: {listed}"}
    output = f"Created {plural(len(missing), 'server')}: {listed}"
    if len(missing) < len(names):
        output += f" ({len(names) - len(missing)} already existed)"
    return {"steps": [_step(f"Creating server {n}", infra, "servers", "add", n) for n in missing], "output": output}


TASKSERV_VERBS = {
    "create": ("Install", "Installed", "on", "already installed on", "add"),
    "delete": ("Remove", "Removed", "from", "not installed on", "remove"),
}
CLUSTER_VERBS = {
    "create": ("Create", "Created", "on", "already exists on", "add"),
    "delete": ("Remove", "Removed", "from", "does not exist on", "remove"),
}


def plan_taskservs(model: Model, infra: str, operation: str, names: list[str], check: bool) -> dict[str, Any]:
    """Install (`create`), remove (`delete`) or render (`generate`) task services on an infra."""
    listed = ", ".join(names)
    if operation == "generate":
        verb = "Would generate" if check else "Generated"
        return {"steps": [_step("Reading settings"), _step(f"Rendering {listed} configuration")],
                "output": f"{verb} {listed} configuration for infra {infra}"}
    present, past, prep, already, op = TASKSERV_VERBS[operation]
    installed = model.state(infra)["taskservs"]
    todo = [n for n in names if (n not in installed) == (op == "add")]
    if not todo:
        return {"steps": [_step("Checking installed task services")],
                "output": f"Nothing to do: {listed} {already} {infra}"}
    todo_listed = ", ".join(todo)
    if check:
        return {"steps": [_step("Validating settings"), _step("Planning changes")],
                "output": f"Would {present.lower()} {todo_listed} {prep} infra {infra}"}
    steps = [_step("Validating settings")]
    steps += [_step(f"{present.rstrip('e')}ing {n}", infra, "taskservs", op, n) for n in todo]
    steps.append(_step(f"Verifying {todo_listed}"))
    return {"steps": steps, "output": f"{past} {todo_listed} {prep} infra {infra}"}


def plan_clusters(model: Model, infra: str, operation: str, names: list[str], check: bool) -> dict[str, Any]:
    present, past, prep, already, op = CLUSTER_VERBS[operation]
    clusters = model.state(infra)["clusters"]
    todo = [n for n in names if (n not in clusters) == (op == "add")]
    word = "cluster" if len(names) == 1 else "clusters"
    if not todo:
        return {"steps": [_step("Checking clusters")],
                "output": f"Nothing to do: {word} {', '.join(names)} {already} {infra}"}
    todo_listed = ", ".join(todo)
    word = "cluster" if len(todo) == 1 else "clusters"
    if check:
        return {"steps": [_step("Validating settings"), _step("Planning changes")],
                "output": f"Would {present.lower()} {word} {todo_listed} {prep} infra {infra}"}
    steps = [_step("Validating settings")]
    steps += [_step(f"{present.rstrip('e')}ing cluster {n}", infra, "clusters", op, n) for n in todo]
    steps.append(_step(f"Verifying {word} {todo_listed}"))
    return {"steps": steps, "output": f"{past} {word} {todo_listed} {prep} infra {infra}"}


def plan_for(model: Model, spec: dict[str, Any]) -> dict[str, Any]:
    """Plan the workflow `spec` stored with a task (see engine.Engine.submit) against the model now."""
    kind, infra, check = spec["workflow"], spec["infra"], spec["check"]
    if kind == "servers":
        return plan_servers(model, infra, spec["items"], check)
    if kind == "taskserv":
        return plan_taskservs(model, infra, spec["operation"], spec["items"], check)
    return plan_clusters(model, infra, spec["operation"], spec["items"], check)
