# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry policy (tenacity) for idempotent requests.

* Retried: requests marked idempotent (GETs, cancels) that fail with a connection error, or
  HTTP 429, 502, 503, 504; and any request the server provably did not process (connection
  refused before sending, HTTP 429 from the rate limiter, which runs before any handler).
* Never retried: a workflow-creating POST whose outcome is unknown (timeout or reset after the
  request was sent, 5xx). The engine recovers those by looking for the task (see engine.py).
* Waits honour ``Retry-After`` (seconds or HTTP date), else exponential backoff with full
  jitter; a retry that cannot finish before the caller's deadline is not attempted.
"""

import email.utils
import random
import time

try:
    import tenacity
    HAS_TENACITY = True
    TENACITY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by the sanity import test
    tenacity = None
    HAS_TENACITY = False
    TENACITY_IMPORT_ERROR = exc

from ansible_collections.provisioning.platform.plugins.module_utils.errors import (
    ApiError, ConnectionFailure, TLSFailure,
)

RETRY_STATUSES = frozenset((429, 502, 503, 504))


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header value (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, parsed.timestamp() - now)


def is_retryable(exc, idempotent):
    """Whether ``exc`` may be retried for a request of this kind."""
    if isinstance(exc, TLSFailure):
        return False
    if isinstance(exc, ConnectionFailure):
        # Not sent at all (refused, DNS, connect timeout) -> safe for every method.
        return idempotent or exc.sent is False
    if isinstance(exc, ApiError):
        if exc.status == 429:
            return True
        return idempotent and exc.status in RETRY_STATUSES
    return False


class RetryPolicy(object):
    """Backoff parameters plus the injectable clock/sleep used by ``call``."""

    def __init__(self, max_retries=5, base=0.5, factor=2.0, cap=30.0, clock=time.monotonic,
                 sleep=time.sleep, wall=time.time, rng=None, on_retry=None):
        self.max_retries = max(0, int(max_retries))
        self.base = base
        self.factor = factor
        self.cap = cap
        self.clock = clock
        self.sleep = sleep
        self.wall = wall
        self.rng = rng or random.Random()
        self.on_retry = on_retry

    def backoff(self, attempt):
        """Full-jitter exponential delay before retry number ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * (self.factor ** (attempt - 1)))
        return ceiling / 2.0 + self.rng.uniform(0, ceiling / 2.0)

    def delay_for(self, exc, attempt):
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            parsed = parse_retry_after(retry_after, now=self.wall())
            if parsed is not None:
                # Retry-After is a minimum. A little jitter on top keeps the parallel module runs
                # of one play (one per host) from all coming back in the same instant.
                return parsed + self.rng.uniform(0, min(1.0, 0.1 * parsed))
        return self.backoff(attempt)

    def call(self, func, idempotent=True, deadline=None):
        """Run ``func()`` with retries. ``deadline`` is a monotonic time (or None)."""
        if self.max_retries == 0 or not HAS_TENACITY:
            return func()
        delays = {}

        def _delay(retry_state):
            number = retry_state.attempt_number
            if number not in delays:
                delays[number] = self.delay_for(retry_state.outcome.exception(), number)
            return delays[number]

        def _stop(retry_state):
            if retry_state.attempt_number > self.max_retries:
                return True
            if deadline is not None and self.clock() + _delay(retry_state) > deadline:
                return True
            return False

        def _before_sleep(retry_state):
            if self.on_retry is not None:
                self.on_retry(retry_state.outcome.exception(), retry_state.attempt_number, _delay(retry_state))

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(lambda exc: is_retryable(exc, idempotent)),
            stop=_stop,
            wait=_delay,
            sleep=self.sleep,
            before_sleep=_before_sleep,
            reraise=True,
        )
        return retrying(func)
