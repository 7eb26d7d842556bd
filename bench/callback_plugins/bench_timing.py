# -*- coding: utf-8 -*-
# Copyright: (c) 2026, provisioning.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: one JSON line per runner event with a wall-clock timestamp.

Not part of the collection (it lives in bench/, outside plugins/).  bench/run.py enables it with
ANSIBLE_CALLBACKS_ENABLED=bench_timing and ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins and
points BENCH_TIMING_LOG at a file.  The timestamp is taken when the strategy hands the result to
the callbacks in the controller process, i.e. the moment the play learns that the task returned.

For every result it extracts the orchestrator objects it can recognise, so run.py can match them
against the simulator's completed_at:
  * our modules: task_id, task{id,status,completed_at}, tasks[...] (prov_task_info),
    batch{id,status,completed_at,operations[...]} (prov_batch);
  * ansible.builtin.uri: json.data when it is a task or a batch status object.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_timing
type: aggregate
short_description: log runner events with wall-clock timestamps (benchmark harness only)
description:
  - Writes one JSON object per line to the file named by the E(BENCH_TIMING_LOG) environment variable.
requirements:
  - enable in ansible.cfg or with E(ANSIBLE_CALLBACKS_ENABLED)
"""

import json
import os
import threading
import time

from ansible.plugins.callback import CallbackBase

TERMINAL = ("Completed", "Failed", "Cancelled", "RolledBack", "Rolled back", "PartiallyCompleted")


def _objects(res):
    """Orchestrator objects (tasks or batches) recognisable in one module result."""
    found = []

    def add(obj, kind):
        if isinstance(obj, dict) and (obj.get("id") or obj.get("batch_id")):
            found.append({
                "kind": kind,
                "id": obj.get("id") or obj.get("batch_id"),
                "status": obj.get("status"),
                "completed_at": obj.get("completed_at"),
            })
            if kind == "batch":
                for op in obj.get("operations") or []:
                    if isinstance(op, dict) and op.get("task_id"):
                        found.append({"kind": "batch_op", "id": op["task_id"], "op": op.get("id"),
                                      "status": op.get("status"), "completed_at": op.get("completed_at")})

    if not isinstance(res, dict):
        return found
    for item in res.get("results") or []:  # the final result of a loop carries every item's
        found.extend(_objects(item))
    if isinstance(res.get("batch"), dict):
        add(res["batch"], "batch")
    if isinstance(res.get("task"), dict):
        add(res["task"], "task")
    elif isinstance(res.get("task_id"), str):
        found.append({"kind": "task", "id": res["task_id"], "status": None, "completed_at": None})
    for item in res.get("tasks") or []:
        add(item, "task")
    body = res.get("json")
    if isinstance(body, dict):
        data = body.get("data", body)
        if isinstance(data, dict):
            add(data, "batch" if "operations" in data else "task")
    return found


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        path = os.environ.get("BENCH_TIMING_LOG")
        self._fh = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115
        self._lock = threading.Lock()

    def _emit(self, event, **fields):
        if self._fh is None:
            return
        fields["event"] = event
        fields["t"] = time.time()
        with self._lock:
            self._fh.write(json.dumps(fields, default=str) + "\n")
            self._fh.flush()

    def _runner(self, event, result, **extra):
        res = result.result
        self._emit(event, host=result.host.get_name(), task=result.task.get_name(),
                   objects=_objects(res), attempts=res.get("attempts"),
                   status_code=res.get("status"), msg=str(res.get("msg", ""))[:500]
                   if event.endswith("failed") else None, **extra)

    def v2_playbook_on_start(self, playbook):
        self._emit("playbook_start")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._emit("task_start", task=task.get_name())

    def v2_runner_on_ok(self, result):
        self._runner("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._runner("failed", result, ignore_errors=ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._runner("unreachable", result)

    def v2_runner_item_on_ok(self, result):
        self._runner("item_ok", result)

    def v2_runner_item_on_failed(self, result):
        self._runner("item_failed", result)

    def v2_runner_retry(self, result):
        self._emit("retry", host=result.host.get_name(), task=result.task.get_name())

    def v2_playbook_on_stats(self, stats):
        self._emit("stats")
        if self._fh is not None:
            self._fh.close()
            self._fh = None
