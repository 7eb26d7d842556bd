# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The poll loop: a pure unit with an injected clock and sleeper.

* The deadline is a monotonic time computed once by the caller.
* The interval starts short (``poll_interval``) and grows 1.5x up to ``poll_max_interval``.
* When the orchestrator gives an ETA (``GET /state/workflows/{id}/progress``
  ``estimated_time_remaining``, asked for before the first poll) or the task's ``progress`` lets
  us extrapolate one, the loop sleeps until just after the predicted completion (never past it;
  at most ``poll_max_interval`` for an extrapolated ETA, at most ``eta_cap`` (30 s) for the
  orchestrator's own, so a task that fails early is still noticed within that time),
  then polls every ``poll_interval``-ish until the task is done, backing off again if the
  prediction was wrong.
* It stops at the first terminal status (Completed, Failed, Cancelled); the last poll happens
  at the deadline, so a task finishing just in time is not reported as a timeout.
"""

import time

from ansible_collections.provisioning.platform.plugins.module_utils.errors import (
    NotFoundError, ProvisioningError, WaitTimeout,
)

TERMINAL = ("completed", "failed", "cancelled")
SUCCESS = "completed"


def status_of(record):
    if not isinstance(record, dict):
        return ""
    value = record.get("status")
    return value.strip().lower() if isinstance(value, str) else ""


def is_terminal(record):
    return status_of(record) in TERMINAL


def is_success(record):
    return status_of(record) == SUCCESS


class PollSchedule(object):
    """Computes the next sleep."""

    def __init__(self, initial=0.25, maximum=5.0, factor=1.5, near=None, lag=0.05, eta_cap=30.0):
        self.initial = max(0.01, float(initial))
        self.maximum = max(self.initial, float(maximum))
        self.eta_cap = max(self.maximum, float(eta_cap))
        self.factor = max(1.0, float(factor))
        self.near = self.initial if near is None else max(0.01, float(near))
        self.lag = max(0.0, float(lag))

    def backoff(self, step):
        return min(self.maximum, self.initial * (self.factor ** max(0, step)))

    def delay(self, polls, now, predicted=None, overdue=0, trusted=False):
        """Sleep before the next poll.

        ``polls``: polls done so far; ``predicted``: monotonic time the task is expected to be
        done (or None); ``overdue``: polls done since ``predicted`` passed.
        """
        if polls == 0 and predicted is None:
            return self.initial
        if predicted is None:
            return self.backoff(polls)
        remaining = predicted - now
        if remaining > 0:
            # Land just after the predicted completion, but never wait longer than the cap.
            return min(self.eta_cap if trusted else self.maximum, remaining + self.lag)
        # At or past the prediction: poll briskly, backing off if the prediction was wrong.
        return min(self.maximum, self.near * (self.factor ** max(0, overdue)))


def _progress(record):
    value = record.get("progress") if isinstance(record, dict) else None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if value > 1.0 or value == 0.0:
        return value
    return value * 100.0 if value > 0 else None


def _eta_seconds(payload):
    if not isinstance(payload, dict):
        return None
    for key in ("estimated_time_remaining", "eta", "eta_seconds", "remaining_seconds"):
        value = payload.get(key)
        if value is None:
            continue
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        if value >= 0:
            return value
    return None


class _Predictor(object):
    """Keeps the best guess of when the task completes (monotonic time)."""

    def __init__(self):
        self.predicted = None
        self.samples = []
        self.from_server = False

    def server_eta(self, now, seconds):
        self.predicted = now + seconds
        self.from_server = True

    def observe(self, now, record):
        eta = _eta_seconds(record)
        if eta is not None:
            self.server_eta(now, eta)
            return
        pct = _progress(record)
        if pct is None or status_of(record) != "running":
            return
        self.samples.append((now, pct))
        self.samples = self.samples[-4:]
        if self.from_server and self.predicted is not None and now < self.predicted:
            return
        first_t, first_p = self.samples[0]
        if now > first_t and pct > first_p:
            rate = (pct - first_p) / (now - first_t)
            self.predicted = now + max(0.0, 100.0 - pct) / rate
            self.from_server = False


def wait_for_task(fetch, deadline, clock=time.monotonic, sleep=time.sleep, schedule=None, eta=None,
                  initial=None, task_id=None, what="task", stats=None):
    """Poll ``fetch()`` until the record is terminal; return the terminal record.

    ``eta()`` (optional) returns the orchestrator's progress payload (or seconds remaining);
    a NotFoundError from it disables it. Raises WaitTimeout with the last record seen.
    """
    schedule = schedule or PollSchedule()
    stats = stats if stats is not None else {}
    stats.setdefault("polls", 0)
    stats.setdefault("eta_requests", 0)
    start = clock()
    record = initial
    predictor = _Predictor()
    polls = 0
    overdue = 0
    eta_enabled = eta is not None
    eta_last = None
    eta_for_overdue = False
    while True:
        if record is not None and is_terminal(record):
            return record
        now = clock()
        if now >= deadline:
            raise WaitTimeout(task_id or (record or {}).get("id"), (record or {}).get("status") or "unknown",
                              now - start, record, what=what)
        if polls == 0 and eta_last is None and eta_enabled:
            delay = 0.0  # ask for the ETA at once: it decides the whole schedule
        else:
            delay = schedule.delay(polls, now, predictor.predicted, overdue, trusted=predictor.from_server)
        delay = max(0.0, min(delay, deadline - now))
        if delay > 0:
            sleep(delay)
        now = clock()
        want_eta = eta_enabled and (
            eta_last is None
            or (predictor.predicted is not None and now > predictor.predicted + schedule.near
                and not eta_for_overdue and now - eta_last >= 1.0))
        if want_eta:
            eta_last = now
            if predictor.predicted is not None and now > predictor.predicted:
                eta_for_overdue = True
            try:
                payload = eta()
            except NotFoundError:
                payload, eta_enabled = None, False
            except ProvisioningError:
                payload = None
            stats["eta_requests"] += 1
            seconds = payload if isinstance(payload, (int, float)) else _eta_seconds(payload)
            if seconds is not None:
                predictor.server_eta(now, float(seconds))
                overdue = 0
                eta_for_overdue = False
                pct = _progress(payload) if isinstance(payload, dict) else None
                # Far from done: sleep towards the prediction before fetching the task itself.
                if seconds > schedule.near and (pct is None or pct < 100.0) and now + schedule.near < deadline:
                    continue
        record = fetch()
        polls += 1
        stats["polls"] += 1
        if predictor.predicted is not None and now >= predictor.predicted:
            overdue += 1
        predictor.observe(now, record)


def wait_for_many(ids, fetch_list, fetch_one, deadline, clock=time.monotonic, sleep=time.sleep,
                  schedule=None, initial=None, stats=None):
    """Wait until every id is terminal. One ``fetch_list()`` per poll; per-id ``fetch_one`` only
    for ids missing from the listing window. Returns {id: record}."""
    schedule = schedule or PollSchedule()
    stats = stats if stats is not None else {}
    stats.setdefault("polls", 0)
    stats.setdefault("list_requests", 0)
    stats.setdefault("get_requests", 0)
    records = dict(initial or {})
    start = clock()
    polls = 1 if initial else 0
    predictors = dict((i, _Predictor()) for i in ids)
    overdue = 0
    while True:
        pending = [i for i in ids if not is_terminal(records.get(i))]
        if not pending:
            return records
        now = clock()
        if now >= deadline:
            last = records.get(pending[0]) or {}
            raise WaitTimeout(", ".join(pending), last.get("status") or "unknown", now - start, last,
                              what="tasks" if len(pending) > 1 else "task", records=records)
        # The caller returns only when every task is terminal, so aim at the latest predicted
        # completion: polls before it would only confirm what is still running.
        guesses = [predictors[i].predicted for i in pending if predictors[i].predicted is not None]
        predicted = max(guesses) if len(guesses) == len(pending) else None
        if predicted is not None and now >= predicted:
            overdue += 1
        else:
            overdue = 0
        delay = max(0.0, min(schedule.delay(polls, now, predicted, max(0, overdue - 1)), deadline - now))
        if delay > 0:
            sleep(delay)
        listing = fetch_list()
        stats["list_requests"] += 1
        by_id = dict((t.get("id"), t) for t in listing if isinstance(t, dict))
        seen_at = clock()
        for task_id in pending:
            if task_id in by_id:
                records[task_id] = by_id[task_id]
            else:
                records[task_id] = fetch_one(task_id)
                stats["get_requests"] += 1
            predictors[task_id].observe(seen_at, records[task_id])
        polls += 1
        stats["polls"] += 1
