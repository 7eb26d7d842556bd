"""WebSocket event fan-out.

Producers (engine, batch coordinator) call `publish` synchronously from the ticker; each
connected client has a bounded queue drained by its own sender task, so a slow client can
never stall the task clock.  A client whose queue overflows is disconnected (close 1013).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from .engine import iso

EVENT_CATEGORIES = {
    "task": "TaskStatusChanged",
    "workflow": "WorkflowProgressUpdate",
    "batch": "BatchOperationUpdate",
}
EVENT_TYPES = set(EVENT_CATEGORIES.values())
QUEUE_LIMIT = 10_000


def parse_event_filter(names: list[str]) -> set[str]:
    """Event types from a mix of categories (`task`) and exact types; raises ValueError."""
    wanted = set()
    for name in names:
        name = name.strip()
        if not name:
            continue
        if name in EVENT_CATEGORIES:
            wanted.add(EVENT_CATEGORIES[name])
        elif name in EVENT_TYPES:
            wanted.add(name)
        else:
            raise ValueError(f"unknown event type or category {name!r}")
    return wanted or set(EVENT_TYPES)


class Subscriber:
    def __init__(self, events: set[str]) -> None:
        self.events = events
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False


class Hub:
    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()

    def publish(self, event_type: str, data: dict[str, Any], metadata: dict[str, Any]) -> None:
        if not self.subscribers:
            return
        message = json.dumps({"event_type": event_type, "timestamp": iso(time.time()),
                              "data": data, "metadata": metadata})
        for sub in list(self.subscribers):
            if event_type not in sub.events or sub.overflowed:
                continue
            try:
                sub.queue.put_nowait(message)
            except asyncio.QueueFull:
                sub.overflowed = True
                self._stop(sub)

    def close_all(self) -> None:
        for sub in list(self.subscribers):
            self._stop(sub)

    def _stop(self, sub: Subscriber) -> None:
        """Drop the backlog and wake the sender with the end-of-stream sentinel."""
        self.subscribers.discard(sub)
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)
