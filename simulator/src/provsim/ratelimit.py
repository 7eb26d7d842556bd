"""Per-client sliding-window rate limits, as the platform documents them (auth 10/min,
submissions 100/min, status queries 1000/min).  Off unless the scenario enables them."""

from __future__ import annotations

import collections
import math
import time
from typing import Any


class RateLimiter:
    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], collections.deque[float]] = {}

    def reset(self) -> None:
        self._hits.clear()

    def check(self, client: str, category: str, limits: dict[str, Any]) -> tuple[bool, dict[str, str]]:
        """Count one request; returns (allowed, headers to send)."""
        now = time.time()
        window, limit = limits["window"], limits[category]
        hits = self._hits.setdefault((client, category), collections.deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        allowed = len(hits) < limit
        if allowed:
            hits.append(now)
        reset_at = (hits[0] + window) if hits else now + window
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - len(hits))),
            "X-RateLimit-Reset": str(math.ceil(reset_at)),
        }
        if not allowed:
            headers["Retry-After"] = str(max(1, math.ceil(reset_at - now)))
        return allowed, headers
