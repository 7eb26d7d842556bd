"""The task clock: Pending -> Running -> Completed | Failed | Cancelled, over scenario durations.

Progress is a pure function of wall-clock time (`started` + `duration`), so a read computes it
exactly and nothing needs to tick for it to move.  The single ticker coroutine only wakes for
the moments something *changes*: a task starts, a step completes (its change is applied to the
model), a planned failure hits, a task finishes.  Those moments sit in one heap, so 1,000
concurrent tasks cost one heap entry each, not a poll loop; the ticker records how late it
processed each moment (`lag`), which the benchmark reports.

Everything is persisted through the store in the same transaction as the model change, so a
SIGKILL between two moments loses nothing: on restart `recover` resumes each unfinished task
on its original clock (or fails it, per the scenario's `on_restart`).
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import heapq
import itertools
import json
import logging
import time
import uuid
from typing import Any, Callable

from .model import Model, plan_for
from .store import Store

log = logging.getLogger("provsim")

TERMINAL = ("Completed", "Failed", "Cancelled")
RESTART_ERROR = "orchestrator restarted while the task was running"
DEFAULT_FAILURE_PROGRESS = 50.0
PROVISIONING_CLI = "/usr/local/provisioning"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    stamp = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def task_naming(spec: dict[str, Any]) -> tuple[str, str, list[str]]:
    """The `name`, `command` and `args` the platform records for a workflow (api-contract §3)."""
    workflow, operation = spec["workflow"], spec["operation"]
    if workflow == "servers":
        name, command, args = "create_servers", f"{PROVISIONING_CLI} servers create", []
    else:
        name, command = f"{operation}_{workflow}", f"{PROVISIONING_CLI} {workflow} {operation}"
        args = list(spec["items"])
    args += ["--infra", spec["infra"]]
    if spec.get("settings"):
        args += ["--settings", spec["settings"]]
    if spec["check"]:
        args.append("--check")
    if spec.get("wait"):
        args.append("--wait")
    return name, command, args


class LagMeter:
    """How late the ticker handled each scheduled moment (seconds)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.events = 0
        self.max = 0.0
        self._recent: collections.deque[float] = collections.deque(maxlen=2000)

    def record(self, lag: float) -> None:
        self.events += 1
        self.max = max(self.max, lag)
        self._recent.append(lag)

    def summary(self) -> dict[str, Any]:
        recent = sorted(self._recent)
        p99 = recent[int(len(recent) * 0.99)] if recent else 0.0
        mean = sum(recent) / len(recent) if recent else 0.0
        return {"events": self.events, "max_lag": round(self.max, 4),
                "mean_lag": round(mean, 4), "p99_lag": round(p99, 4)}


class Engine:
    def __init__(self, store: Store, model: Model, scenario: Callable[[], Any],
                 publish: Callable[[str, dict, dict], None], count_task: Callable[[str], None]) -> None:
        self._store = store
        self._model = model
        self._scenario = scenario
        self._publish = publish
        self._count_task = count_task
        self.active: dict[str, dict[str, Any]] = {}  # task id -> {"record", "plan", "due"}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._born = time.time()
        self._failure_hits: collections.Counter[str] = collections.Counter()
        # Called inside the transaction that ends a task: (record, plan) -> None.
        self.finish_listeners: list[Callable[[dict, dict], None]] = []
        self.lag = LagMeter()

    # ---- submission ------------------------------------------------------------------

    def submit(self, spec: dict[str, Any], dependencies: list[str] | tuple = ()) -> dict[str, Any]:
        scenario = self._scenario()
        now = time.time()
        name, command, args = task_naming(spec)
        timing_kind = "batch_op" if spec.get("batch") else spec["workflow"]
        preview = plan_for(self._model, spec)
        record = {
            "id": str(uuid.uuid4()), "name": name, "command": command, "args": args,
            "dependencies": list(dependencies), "status": "Pending",
            "created_at": iso(now), "started_at": None, "completed_at": None,
            "output": None, "error": None, "progress": 0.0,
        }
        plan = {
            "spec": spec, "timing_kind": timing_kind,
            "duration": scenario.duration(timing_kind, spec["infra"], self._timing_name(spec)),
            "start_due": now + scenario.queue_delay, "started": None,
            "steps": [s["name"] for s in preview["steps"]], "changes": [], "output": preview["output"],
            "done_steps": 0, "fail_at": None, "error": None, "applied": [],
        }
        self._store.put_task(record, plan)
        self._count_task(timing_kind)
        self.active[record["id"]] = {"record": record, "plan": plan, "due": None}
        self._schedule(record["id"], plan["start_due"])
        self._status_event(record, None, plan)
        return dict(record)

    @staticmethod
    def _timing_name(spec: dict[str, Any]) -> str | None:
        if spec.get("batch"):
            return spec["batch"]["op_id"]
        return spec["items"][0] if spec["workflow"] != "servers" and spec["items"] else None

    # ---- reads -----------------------------------------------------------------------

    def view(self, task_id: str) -> dict[str, Any] | None:
        """The task as clients see it now (progress computed at this instant)."""
        live = self.active.get(task_id)
        if live is None:
            return self._store.get_record(task_id)
        record = dict(live["record"])
        record["progress"] = self._progress(live["plan"], time.time(), record["status"])
        return record

    def overlay(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace stored progress of still-active tasks by their live progress."""
        now = time.time()
        for record in records:
            live = self.active.get(record["id"])
            if live is not None:
                record["progress"] = self._progress(live["plan"], now, live["record"]["status"])
        return records

    def progress_info(self, task_id: str) -> dict[str, Any] | None:
        live = self.active.get(task_id)
        if live is not None:
            record, plan = live["record"], live["plan"]
        else:
            found = self._store.get_task(task_id)
            if found is None:
                return None
            record, plan = found
        now = time.time()
        status = record["status"]
        steps, done = plan["steps"], plan["done_steps"]
        if status == "Pending":
            current = "Queued"
        elif status == "Running":
            current = steps[min(done, len(steps) - 1)]
        elif status == "Failed" and done < len(steps):
            current = f"Failed at: {steps[done]}"
        else:
            current = status
        return {
            "workflow_id": task_id, "name": record["name"], "status": status,
            "progress": self._progress(plan, now, status) if live else record["progress"],
            "current_step": current, "total_steps": len(steps), "completed_steps": done,
            "estimated_time_remaining": round(self.time_remaining(plan, status, now), 3),
        }

    def time_remaining(self, plan: dict[str, Any], status: str, now: float) -> float:
        """Seconds until this task reaches its terminal state, from the clock it will follow."""
        if status == "Pending":
            return max(0.0, plan["start_due"] - now) + plan["duration"]
        if status == "Running":
            return max(0.0, self._end_time(plan) - now)
        return 0.0

    @staticmethod
    def _end_time(plan: dict[str, Any]) -> float:
        fraction = 1.0 if plan["fail_at"] is None else plan["fail_at"] / 100.0
        return plan["started"] + plan["duration"] * fraction

    @staticmethod
    def _progress(plan: dict[str, Any], now: float, status: str) -> float:
        if status == "Pending" or plan["started"] is None:
            return 0.0
        if plan["duration"] <= 0:
            progress = 100.0
        else:
            progress = min(100.0, (now - plan["started"]) / plan["duration"] * 100.0)
        if plan["fail_at"] is not None:
            progress = min(progress, plan["fail_at"])
        return round(progress, 1)

    # ---- the clock -------------------------------------------------------------------

    def _schedule(self, task_id: str, due: float) -> None:
        self.active[task_id]["due"] = due
        heapq.heappush(self._heap, (due, next(self._seq), task_id))
        if self._wake is not None and self._heap[0][2] == task_id:
            self._wake.set()  # the ticker may be sleeping until a later moment

    async def run(self) -> None:
        """The one ticker.  Runs until cancelled."""
        self._wake = asyncio.Event()
        while True:
            if not self._heap:
                self._wake.clear()
                await self._wake.wait()
                continue
            delay = self._heap[0][0] - time.time()
            if delay > 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), delay)
                except TimeoutError:
                    pass
                continue
            self.process_due(time.time())

    def process_due(self, now: float) -> None:
        """Handle every moment that is due, in one transaction."""
        with self._store.transaction():
            while self._heap and self._heap[0][0] <= now:
                due, _, task_id = heapq.heappop(self._heap)
                live = self.active.get(task_id)
                if live is None or live["due"] != due:
                    continue  # the task finished or was rescheduled since
                if due >= self._born:  # catch-up after a restart is not lag
                    self.lag.record(now - due)
                try:
                    self._advance(live, now)
                except Exception:  # noqa: BLE001 - one broken task must not stop the clock for all
                    log.exception("task %s: simulator error; failing the task", task_id)
                    if task_id in self.active:
                        self._finish(live, "Failed", "simulator internal error (see its log)", now)

    def _advance(self, live: dict[str, Any], now: float) -> None:
        record, plan = live["record"], live["plan"]
        if record["status"] == "Pending":
            self._start(live, now)
        steps_total = len(plan["steps"])
        started, duration = plan["started"], plan["duration"]
        fail_at = plan["fail_at"]
        changed = False
        while plan["done_steps"] < steps_total:
            k = plan["done_steps"] + 1
            if fail_at is not None and 100.0 * k / steps_total > fail_at:
                break
            if started + duration * k / steps_total > now:
                break
            change = plan["changes"][k - 1]
            if change is not None:
                self._model.apply(change)
                plan["applied"].append(change)
            plan["done_steps"] = k
            changed = True
        if fail_at is not None and now >= self._end_time(plan):
            self._finish(live, "Failed", plan["error"], now)
        elif fail_at is None and now >= started + duration:
            self._finish(live, "Completed", None, now)
        else:
            if changed:
                record["progress"] = self._progress(plan, now, "Running")
                self._store.put_task(record, plan)
                self._progress_event(record, plan, now)
            self._schedule(record["id"], self._next_moment(plan))

    @staticmethod
    def _next_moment(plan: dict[str, Any]) -> float:
        total, k = len(plan["steps"]), plan["done_steps"] + 1
        moments = [Engine._end_time(plan)]
        if k <= total and (plan["fail_at"] is None or 100.0 * k / total <= plan["fail_at"]):
            moments.append(plan["started"] + plan["duration"] * k / total)
        return min(moments)

    def _start(self, live: dict[str, Any], now: float) -> None:
        record, plan = live["record"], live["plan"]
        planned = plan_for(self._model, plan["spec"])  # the model may have changed while queued
        plan["steps"] = [s["name"] for s in planned["steps"]]
        plan["changes"] = [s["change"] for s in planned["steps"]]
        plan["output"] = planned["output"]
        plan["started"] = now
        failure = self._pick_failure(plan)
        if failure is not None:
            plan["fail_at"], plan["error"] = failure
        record["status"], record["started_at"] = "Running", iso(now)
        self._store.put_task(record, plan)
        self._status_event(record, "Pending", plan)

    def _pick_failure(self, plan: dict[str, Any]) -> tuple[float, str] | None:
        spec = plan["spec"]
        for rule in self._scenario().failures:
            if rule["kind"] != plan["timing_kind"]:
                continue
            if rule["infra"] not in (None, spec["infra"]) or rule["operation"] not in (None, spec["operation"]):
                continue
            at = rule["at_progress"]
            if rule["name"] is not None:
                if spec.get("batch"):
                    if rule["name"] != spec["batch"]["op_id"]:
                        continue
                elif spec["workflow"] == "servers":
                    # Fail when that server's creation starts: the servers before it exist.
                    items = [c["item"] if c else None for c in plan["changes"]]
                    if rule["name"] not in items:
                        continue
                    if at is None:
                        at = 100.0 * items.index(rule["name"]) / len(items)
                elif rule["name"] not in spec["items"]:
                    continue
            key = json.dumps(rule, sort_keys=True)
            if rule["times"] is not None and self._failure_hits[key] >= rule["times"]:
                continue
            self._failure_hits[key] += 1
            return (DEFAULT_FAILURE_PROGRESS if at is None else at), rule["error"]
        return None

    def _finish(self, live: dict[str, Any], status: str, error: str | None, now: float) -> None:
        record, plan = live["record"], live["plan"]
        previous = record["status"]
        record["progress"] = 100.0 if status == "Completed" else self._progress(plan, now, previous)
        record["status"], record["completed_at"], record["error"] = status, iso(now), error
        record["output"] = plan["output"] if status == "Completed" else self._partial_output(plan, status)
        del self.active[record["id"]]
        with self._store.transaction():
            self._store.put_task(record, plan)
            for listener in self.finish_listeners:
                listener(record, plan)
        self._status_event(record, previous, plan)
        self._progress_event(record, plan, now)

    @staticmethod
    def _partial_output(plan: dict[str, Any], status: str) -> str:
        steps, done = plan["steps"], plan["done_steps"]
        text = f"Completed {done} of {len(steps)} steps"
        if done:
            text += f" ({', '.join(steps[:done])})"
        if done < len(steps) and plan["started"] is not None:
            text += f"; {'failed' if status == 'Failed' else 'stopped'} at: {steps[done]}"
        return text

    # ---- control ---------------------------------------------------------------------

    def cancel(self, task_id: str, reason: str) -> bool:
        live = self.active.get(task_id)
        if live is None:
            return False
        self._finish(live, "Cancelled", reason, time.time())
        return True

    def recover(self, policy: str) -> int:
        """Pick up the unfinished tasks of a previous run.  Returns how many there were."""
        unfinished = self._store.active_tasks()
        now = time.time()
        # Register them all first: failing one may make its batch cancel a sibling.
        for record, plan in unfinished:
            self.active[record["id"]] = {"record": record, "plan": plan, "due": None}
        for record, _ in unfinished:
            live = self.active.get(record["id"])
            if live is None:
                continue  # already ended by a batch reacting to another failure
            if policy == "fail":
                self._finish(live, "Failed", RESTART_ERROR, now)
            else:
                self._schedule(record["id"], now)
        return len(unfinished)

    def reset(self) -> None:
        self.active.clear()
        self._heap.clear()
        self._failure_hits.clear()
        self.lag.reset()

    # ---- events ----------------------------------------------------------------------

    def _status_event(self, record: dict[str, Any], previous: str | None, plan: dict[str, Any]) -> None:
        spec = plan["spec"]
        self._publish("TaskStatusChanged", {
            "task_id": record["id"], "name": record["name"], "status": record["status"],
            "previous_status": previous, "progress": record["progress"],
        }, {"infra": spec["infra"], "batch_id": (spec.get("batch") or {}).get("batch_id")})

    def _progress_event(self, record: dict[str, Any], plan: dict[str, Any], now: float) -> None:
        steps, done = plan["steps"], plan["done_steps"]
        current = steps[min(done, len(steps) - 1)] if steps else None
        self._publish("WorkflowProgressUpdate", {
            "workflow_id": record["id"], "name": record["name"], "progress": record["progress"],
            "current_step": current, "total_steps": len(steps), "completed_steps": done,
            "estimated_time_remaining": round(self.time_remaining(plan, record["status"], now), 3),
        }, {"infra": plan["spec"]["infra"]})
