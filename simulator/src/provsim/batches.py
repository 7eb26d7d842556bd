"""Batch workflows: validate a definition, run its operations as a DAG, roll back on failure.

Each operation becomes one task (see engine.task_naming) once its dependencies have completed
and fewer than `parallel_limit` operations of the batch are in flight; ready operations start
in definition order.  On a failure:

* with `rollback_enabled` (the default, as in the platform's plan) the batch stops: running
  operations are cancelled, pending ones never start, and the model changes of every completed
  operation (and the failed one's partial work) are reverted, newest first.  The batch record
  lists the reverted operations in `rolled_back` and says so in `error`;
* without it, only the operations that depend on the failed one are cancelled; the rest run on.

A batch record is rewritten in the same transaction as the task change that caused it, so a
restart always finds batch and tasks consistent.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Callable

from .engine import TERMINAL, Engine, iso
from .model import NAME_RE, NAME_RULE, Model
from .store import Store

OPERATION_TYPES = {"server_batch": "servers", "taskserv_batch": "taskserv", "cluster_batch": "cluster"}
STORAGE_BACKENDS = ("filesystem", "surrealdb")
ITEM_FIELDS = {"server_batch": "server_configs", "taskserv_batch": "taskservs", "cluster_batch": "clusters"}
DEFAULT_INFRA = "default"
MAX_PARALLEL = 1000


class BatchError(ValueError):
    """The definition is invalid; the message names the field or operation."""


def _names(op: dict[str, Any], field: str, where: str) -> list[str] | None:
    """The item names of one of the op's lists (`server_configs`, `taskservs`, `clusters`)."""
    value = op.get(field)
    if value is None:
        return None
    if not isinstance(value, list):
        raise BatchError(f"{where}.{field}: expected a list")
    names = []
    for i, item in enumerate(value):
        # An item is a name, or an object naming it by `name` (or `cluster_type`); every name given must be valid.
        given = [item[k] for k in ("name", "cluster_type") if k in item] if isinstance(item, dict) else [item]
        if not given or not all(isinstance(n, str) and NAME_RE.match(n) for n in given):
            raise BatchError(f"{where}.{field}[{i}]: expected {NAME_RULE} (a string, or an object with 'name')")
        names.append(given[0])
    return names


def _item_names(op: dict[str, Any], where: str) -> list[str]:
    lists = {field: _names(op, field, where) for field in ITEM_FIELDS.values()}
    names = lists[ITEM_FIELDS[op["type"]]]
    if op["type"] == "server_batch":
        return names or []  # none listed: the infra's planned servers
    if not names:
        raise BatchError(f"{where}.{ITEM_FIELDS[op['type']]}: required for type {op['type']}, a non-empty list")
    return names


def validate(definition: Any) -> dict[str, Any]:
    """Check a batch definition; return it normalised.  Raises BatchError naming the problem."""
    if not isinstance(definition, dict):
        raise BatchError("body: expected a JSON object (the batch definition)")
    name = definition.get("name")
    if not isinstance(name, str) or not name:
        raise BatchError("name: required, a non-empty string")
    version = definition.get("version", "1.0.0")
    if not isinstance(version, str):
        raise BatchError("version: expected a string")
    backend = definition.get("storage_backend", "filesystem")
    if backend not in STORAGE_BACKENDS:
        raise BatchError(f"storage_backend: must be one of {', '.join(STORAGE_BACKENDS)}")
    limit = definition.get("parallel_limit", 5)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PARALLEL:
        raise BatchError(f"parallel_limit: expected an integer between 1 and {MAX_PARALLEL}")
    rollback = definition.get("rollback_enabled", True)
    if not isinstance(rollback, bool):
        raise BatchError("rollback_enabled: expected a boolean")
    ops = definition.get("operations")
    if not isinstance(ops, list) or not ops:
        raise BatchError("operations: required, a non-empty list")

    normalised, seen = [], set()
    for i, op in enumerate(ops):
        where = f"operations[{i}]"
        if not isinstance(op, dict):
            raise BatchError(f"{where}: expected an object")
        op_id = op.get("id")
        if not isinstance(op_id, str) or not op_id:
            raise BatchError(f"{where}.id: required, a non-empty string")
        if op_id in seen:
            raise BatchError(f"{where}.id: duplicate operation id '{op_id}'")
        seen.add(op_id)
        if not isinstance(op.get("type"), str) or op["type"] not in OPERATION_TYPES:
            raise BatchError(f"{where}.type: unknown operation type {op.get('type')!r} "
                             f"(expected one of {', '.join(OPERATION_TYPES)})")
        deps = op.get("dependencies", [])
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            raise BatchError(f"{where}.dependencies: expected a list of operation ids")
        if op.get("provider") is not None and not isinstance(op["provider"], str):
            raise BatchError(f"{where}.provider: expected a string")
        if op.get("infra") is not None and (not isinstance(op["infra"], str) or not NAME_RE.match(op["infra"])):
            raise BatchError(f"{where}.infra: expected {NAME_RULE}")
        items = _item_names(op, where)
        normalised.append({**op, "dependencies": list(deps), "provider": op.get("provider"),
                           "infra": op.get("infra") or DEFAULT_INFRA, "_items": items})

    for i, op in enumerate(normalised):
        for dep in op["dependencies"]:
            if dep == op["id"]:
                raise BatchError(f"operations[{i}].dependencies: operation '{dep}' depends on itself")
            if dep not in seen:
                raise BatchError(f"operations[{i}].dependencies: unknown operation '{dep}' (operation '{op['id']}')")
    cycle = _find_cycle(normalised)
    if cycle:
        raise BatchError(f"operations: dependency cycle {' -> '.join(cycle)}")
    return {"name": name, "version": version, "storage_backend": backend, "parallel_limit": limit,
            "rollback_enabled": rollback, "operations": normalised}


def _find_cycle(ops: list[dict[str, Any]]) -> list[str] | None:
    deps = {op["id"]: op["dependencies"] for op in ops}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in deps[node]:
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for op in ops:
        if op["id"] not in state:
            found = visit(op["id"])
            if found:
                return found
    return None


class Coordinator:
    def __init__(self, store: Store, engine: Engine, model: Model, scenario: Callable[[], Any],
                 publish: Callable[[str, dict, dict], None], count_batch: Callable[[], None]) -> None:
        self._store = store
        self._scenario = scenario
        self._engine = engine
        self._model = model
        self._publish = publish
        self._count_batch = count_batch
        self._batches: dict[str, dict[str, Any]] = {}  # active batches by id
        self._by_task: dict[str, tuple[str, str]] = {}  # task id -> (batch id, op id)
        engine.finish_listeners.append(self._task_finished)

    # ---- API -------------------------------------------------------------------------

    def submit(self, definition: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        batch_id = str(uuid.uuid4())
        operations = []
        for op in definition["operations"]:
            submitted = {k: v for k, v in op.items() if not k.startswith("_")}
            operations.append({**submitted, "status": "Pending", "progress": 0.0, "task_id": None,
                               "output": None, "error": None, "started_at": None, "completed_at": None,
                               "_items": op["_items"]})
        batch = {
            "id": batch_id, "batch_id": batch_id, "name": definition["name"], "version": definition["version"],
            "storage_backend": definition["storage_backend"], "parallel_limit": definition["parallel_limit"],
            "rollback_enabled": definition["rollback_enabled"], "status": "Running",
            "created_at": iso(now), "started_at": iso(now), "completed_at": None,
            "progress": 0.0, "error": None, "rolled_back": [], "operations": operations,
        }
        self._batches[batch_id] = batch
        self._count_batch()
        with self._store.transaction():
            self._launch_ready(batch)
            self._save(batch)
        return self.view(batch_id)

    def view(self, batch_id: str) -> dict[str, Any] | None:
        batch = self._batches.get(batch_id) or self._store.get_batch(batch_id)
        if batch is None:
            return None
        return self._public(batch)

    def list(self, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        return [self._public(self._batches.get(b["id"], b)) for b in self._store.list_batches(status, limit, offset)]

    def cancel(self, batch_id: str) -> dict[str, Any] | None:
        """Cancel an active batch.  Returns None if it is already terminal (caller: 409)."""
        batch = self._batches.get(batch_id)
        if batch is None:
            return None
        with self._store.transaction():
            batch["status"] = "Cancelled"  # set first, so the task callbacks don't start new work
            for op in batch["operations"]:
                if op["status"] in TERMINAL:
                    continue
                if op["task_id"] and op["task_id"] in self._engine.active:
                    self._engine.cancel(op["task_id"], "batch cancelled")
                self._end_op(op, "Cancelled", "batch cancelled")
            self._close(batch, "Cancelled", "batch cancelled by request")
        return self._public(batch)

    def progress_info(self, batch_id: str) -> dict[str, Any] | None:
        batch = self.view(batch_id)
        if batch is None:
            return None
        ops = batch["operations"]
        done = sum(op["status"] in TERMINAL for op in ops)
        running = [op["id"] for op in ops if op["status"] == "Running"]
        current = (f"Running {', '.join(running)}" if running else
                   "Queued" if batch["status"] == "Running" else batch["status"])
        return {
            "workflow_id": batch_id, "name": batch["name"], "status": batch["status"],
            "progress": batch["progress"], "current_step": current, "total_steps": len(ops),
            "completed_steps": done, "estimated_time_remaining": round(self._time_remaining(batch_id), 3),
        }

    def recover(self) -> None:
        """Load the active batches of a previous run (before the engine recovers its tasks)."""
        for batch in self._store.active_batches():
            self._batches[batch["id"]] = batch
            for op in batch["operations"]:
                if op["task_id"] and op["status"] not in TERMINAL:
                    self._by_task[op["task_id"]] = (batch["id"], op["id"])

    def resume(self) -> None:
        """After the engine recovered: start whatever became ready while we were down."""
        with self._store.transaction():
            for batch in list(self._batches.values()):
                if batch["status"] == "Running":
                    self._launch_ready(batch)
                    self._settle(batch)

    def reset(self) -> None:
        self._batches.clear()
        self._by_task.clear()

    # ---- internals -------------------------------------------------------------------

    def _public(self, batch: dict[str, Any]) -> dict[str, Any]:
        ops = []
        for op in batch["operations"]:
            public = {k: v for k, v in op.items() if not k.startswith("_")}
            task = self._engine.active.get(op["task_id"] or "")
            if task is not None:
                public["status"] = task["record"]["status"]
                public["progress"] = self._engine.view(op["task_id"])["progress"]
            ops.append(public)
        result = {k: v for k, v in batch.items() if k != "operations" and not k.startswith("_")}
        result["operations"] = ops
        result["progress"] = round(sum(op["progress"] for op in ops) / len(ops), 1)
        return result

    def _save(self, batch: dict[str, Any]) -> None:
        batch["progress"] = round(sum(op["progress"] for op in batch["operations"]) / len(batch["operations"]), 1)
        self._store.put_batch(batch)

    def _launch_ready(self, batch: dict[str, Any]) -> None:
        ops = {op["id"]: op for op in batch["operations"]}
        in_flight = sum(1 for op in ops.values() if op["task_id"] and op["status"] not in TERMINAL)
        for op in batch["operations"]:
            if in_flight >= batch["parallel_limit"]:
                break
            if op["task_id"] or op["status"] != "Pending":
                continue
            if not all(ops[d]["status"] == "Completed" for d in op["dependencies"]):
                continue
            workflow = OPERATION_TYPES[op["type"]]
            items = op["_items"] or (self._scenario().planned_servers(op["infra"]) if workflow == "servers" else [])
            spec = {"workflow": workflow, "operation": "create", "infra": op["infra"], "items": items,
                    "check": False, "settings": None, "wait": False,
                    "batch": {"batch_id": batch["id"], "op_id": op["id"]}}
            task = self._engine.submit(spec, [ops[d]["task_id"] for d in op["dependencies"]])
            op["task_id"], op["status"] = task["id"], "Pending"
            self._by_task[task["id"]] = (batch["id"], op["id"])
            in_flight += 1

    def _task_finished(self, record: dict[str, Any], plan: dict[str, Any]) -> None:
        owner = self._by_task.pop(record["id"], None)
        if owner is None:
            return
        batch = self._batches.get(owner[0])
        if batch is None:
            return
        op = next(o for o in batch["operations"] if o["id"] == owner[1])
        op["_applied"] = plan["applied"]
        op["output"], op["error"] = record["output"], record["error"]
        op["started_at"] = record["started_at"]
        self._end_op(op, record["status"], record["error"], record["progress"], record["completed_at"])
        if batch["status"] != "Running":
            self._save(batch)  # cancelled or already failing: only record the outcome
            return
        if record["status"] == "Completed":
            self._launch_ready(batch)
        else:
            self._fail(batch, op)
        self._settle(batch)

    def _end_op(self, op: dict[str, Any], status: str, error: str | None,
                progress: float | None = None, completed_at: str | None = None) -> None:
        op["status"], op["error"] = status, error
        if progress is not None:
            op["progress"] = progress
        op["completed_at"] = completed_at or iso(time.time())

    def _fail(self, batch: dict[str, Any], failed: dict[str, Any]) -> None:
        reason = f"operation '{failed['id']}' {failed['status'].lower()}: {failed['error']}"
        if not batch["rollback_enabled"]:
            for op in self._dependents(batch, failed["id"]):
                if op["status"] not in TERMINAL:
                    self._end_op(op, "Cancelled", f"dependency '{failed['id']}' {failed['status'].lower()}")
            batch["_failure"] = reason
            return
        batch["status"] = "Failed"  # stop: task callbacks below must not launch anything
        for op in batch["operations"]:
            if op["status"] in TERMINAL:
                continue
            if op["task_id"] and op["task_id"] in self._engine.active:
                self._engine.cancel(op["task_id"], f"batch failed: {reason}")
            self._end_op(op, "Cancelled", f"batch failed: {reason}")
        finished = sorted((op for op in batch["operations"] if op.get("_applied")),
                          key=lambda op: op["completed_at"], reverse=True)
        for op in finished:
            for change in reversed(op["_applied"]):
                self._model.apply(change, revert=True)
            op["_applied"] = []
            if op["status"] == "Completed":
                batch["rolled_back"].append(op["id"])
                op["output"] = f"{op['output']} (rolled back)"
        note = (f"; rolled back: {', '.join(batch['rolled_back'])}" if batch["rolled_back"]
                else "; nothing to roll back")
        self._close(batch, "Failed", reason + note)

    def _dependents(self, batch: dict[str, Any], op_id: str) -> list[dict[str, Any]]:
        found, frontier = [], {op_id}
        while frontier:
            nxt = {op["id"] for op in batch["operations"] if set(op["dependencies"]) & frontier}
            nxt -= {o["id"] for o in found}
            found += [op for op in batch["operations"] if op["id"] in nxt]
            frontier = nxt
        return found

    def _settle(self, batch: dict[str, Any]) -> None:
        """Close the batch once every operation is terminal; otherwise just persist it."""
        if batch["status"] == "Running" and all(op["status"] in TERMINAL for op in batch["operations"]):
            failure = batch.pop("_failure", None)
            if failure:
                self._close(batch, "Failed", failure)
            else:
                self._close(batch, "Completed", None)
            return
        self._save(batch)
        self._batch_event(batch)

    def _close(self, batch: dict[str, Any], status: str, error: str | None) -> None:
        batch["status"], batch["error"], batch["completed_at"] = status, error, iso(time.time())
        self._save(batch)
        self._batches.pop(batch["id"], None)
        self._batch_event(batch)

    def _batch_event(self, batch: dict[str, Any]) -> None:
        ops = batch["operations"]
        self._publish("BatchOperationUpdate", {
            "batch_id": batch["id"], "name": batch["name"], "status": batch["status"], "progress": batch["progress"],
            "operations": [{"id": op["id"], "status": op["status"], "progress": op["progress"]} for op in ops],
        }, {"total_operations": len(ops),
            "completed_operations": sum(op["status"] == "Completed" for op in ops),
            "failed_operations": sum(op["status"] == "Failed" for op in ops)})

    def _time_remaining(self, batch_id: str) -> float:
        """Replay the launch rule (definition order, dependencies, parallel_limit) over the
        operations still to come, with the durations the scenario will give them."""
        batch = self._batches.get(batch_id)
        if batch is None:
            return 0.0
        now = time.time()
        scenario = self._scenario()
        finish: dict[str, float] = {}
        busy: list[float] = []
        for op in batch["operations"]:
            live = self._engine.active.get(op["task_id"] or "")
            if op["status"] in TERMINAL:
                finish[op["id"]] = now
            elif live is not None:
                finish[op["id"]] = now + self._engine.time_remaining(live["plan"], live["record"]["status"], now)
                busy.append(finish[op["id"]])
        slots = sorted(busy) + [now] * max(0, batch["parallel_limit"] - len(busy))
        pending = [op for op in batch["operations"] if op["id"] not in finish]
        while pending:
            ready = [op for op in pending if all(d in finish for d in op["dependencies"])]
            if not ready:
                break
            op = ready[0]
            slots.sort()
            start = max([slots.pop(0)] + [finish[d] for d in op["dependencies"]])
            finish[op["id"]] = start + scenario.queue_delay + scenario.duration("batch_op", op["infra"], op["id"])
            slots.append(finish[op["id"]])
            pending.remove(op)
        return max(0.0, max(finish.values()) - now)
