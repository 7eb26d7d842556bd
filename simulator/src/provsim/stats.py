"""Request and workload counters for GET /_sim/stats (benchmarks and tests count what a client sent)."""

from __future__ import annotations

import collections
import time
from typing import Any

from .engine import iso


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.since = time.time()
        self.requests: collections.Counter[tuple[str, str, str]] = collections.Counter()
        self.tasks_created: collections.Counter[str] = collections.Counter()
        self.batches_created = 0
        self.faults_fired: collections.Counter[str] = collections.Counter()

    def request(self, method: str, template: str, status: int | str) -> None:
        self.requests[(method, template, str(status))] += 1

    def task(self, kind: str) -> None:
        self.tasks_created[kind] += 1

    def batch(self) -> None:
        self.batches_created += 1

    def fault(self, kind: str) -> None:
        self.faults_fired[kind] += 1

    def summary(self) -> dict[str, Any]:
        by_route: dict[str, dict[str, int]] = {}
        by_status: collections.Counter[str] = collections.Counter()
        for (method, template, status), count in sorted(self.requests.items()):
            by_route.setdefault(f"{method} {template}", {})[status] = count
            by_status[status] += count
        return {
            "since": iso(self.since),
            "total_requests": sum(self.requests.values()),
            "requests": by_route,
            "status_totals": dict(by_status),
            "rate_limited": by_status.get("429", 0),
            "tasks_created": {k: self.tasks_created.get(k, 0) for k in ("servers", "taskserv", "cluster", "batch_op")},
            "batches_created": self.batches_created,
            "faults_fired": dict(self.faults_fired),
        }
