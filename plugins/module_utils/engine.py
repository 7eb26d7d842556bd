# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workflow engine: idempotent lookup, submit (with unknown-outcome recovery) and wait.

Idempotency rules (the same for every workflow module, and for check mode):

* a task for the same workflow (same kind, operation, target, infra and settings) that is
  Pending or Running -> attach to it and wait; never submit a second one;
* the newest such task Completed, and no newer task on the same target ran an operation that
  undoes it (for example a delete after a create) -> converged, nothing is submitted;
* otherwise (no such task, newest one Failed or Cancelled, or undone) -> submit;
* dry-run (``--check``) tasks never count as converged; ``force`` submits regardless.

A workflow-creating POST whose outcome is unknown (timeout, reset after send, 5xx) is never
blindly re-sent: the engine looks for a matching task created after the submission started
(allowing for clock skew), polling the list a few times with backoff, and re-submits at most
once, only when no such task exists.
"""

import datetime
import time

from ansible_collections.provisioning.platform.plugins.module_utils.client import extract_task_id
from ansible_collections.provisioning.platform.plugins.module_utils.errors import (
    ApiError, NotFoundError, ProvisioningError, UnknownSubmitOutcome,
)
from ansible_collections.provisioning.platform.plugins.module_utils.spec import SAME, SAME_CHECK, UNDO, parse_task
from ansible_collections.provisioning.platform.plugins.module_utils.waiter import (
    PollSchedule, is_terminal, status_of, wait_for_task,
)

ATTACH = "attach"
CONVERGED = "converged"
SUBMIT = "submit"

IN_FLIGHT = ("pending", "running", "queued", "scheduled", "starting")


def parse_time(value):
    """Epoch seconds from an RFC 3339 timestamp (``Z`` or offset), or None."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    # Python < 3.11 fromisoformat accepts at most 6 fractional digits.
    if "." in text:
        head, dummy, rest = text.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = head + "." + (digits + "000000")[:6] + rest
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.timestamp()


def newest_first(records):
    """Sort a page newest first by created_at (stable; undated records keep their place at the end)."""
    dated = [(parse_time(r.get("created_at")), i, r) for i, r in enumerate(records)]
    return [item[2] for item in sorted(dated, key=lambda x: (x[0] is None, -(x[0] or 0), x[1]))]


class Decision(object):
    """Outcome of a lookup."""

    def __init__(self, action, task=None, reason="", seen_ids=None, newest_related=None, scanned=0):
        self.action = action
        self.task = task
        self.reason = reason
        self.seen_ids = seen_ids or set()
        self.newest_related = newest_related
        self.scanned = scanned


class Submission(object):
    def __init__(self, task_id, record=None, recovered=False, attempts=1):
        self.task_id = task_id
        self.record = record
        self.recovered = recovered
        self.attempts = attempts


class Engine(object):
    """Drives one workflow (or batch) through lookup, submit and wait."""

    def __init__(self, client, clock=time.monotonic, sleep=time.sleep, wall=time.time, page_size=1000,
                 max_pages=20, horizon=None, skew=300.0, recovery_delays=(0.0, 0.5, 1.0, 2.0)):
        self.client = client
        self.clock = clock
        self.sleep = sleep
        self.wall = wall
        self.page_size = page_size
        self.max_pages = max_pages
        self.horizon = horizon
        self.skew = skew
        self.recovery_delays = recovery_delays

    # ------------------------------------------------------------------ listing
    def iter_records(self, lister, deadline, stop_before=None):
        """Records newest first across pages (bounded by max_pages, the horizon and stop_before)."""
        horizon_cut = self.wall() - self.horizon if self.horizon else None
        cut = max(c for c in (horizon_cut, stop_before, float("-inf")) if c is not None)
        offset = 0
        for dummy in range(self.max_pages):
            page = lister(limit=self.page_size, offset=offset, deadline=deadline)
            for record in newest_first(page):
                created = parse_time(record.get("created_at"))
                if created is not None and created < cut:
                    return
                yield record
            if len(page) < self.page_size:
                return
            offset += len(page)

    # ------------------------------------------------------------------ workflows
    def lookup(self, spec, deadline):
        """Apply the idempotency rules to the task list. Never submits anything."""
        seen = set()
        newest_related = None
        scanned = 0
        for task in self.iter_records(self.client.list_tasks, deadline):
            scanned += 1
            if task.get("id"):
                seen.add(task.get("id"))
            parsed = parse_task(task)
            relation = spec.relation(parsed) if parsed is not None else None
            if relation in (None, SAME_CHECK):
                continue
            status = status_of(task)
            if newest_related is None:
                newest_related = task
            if relation == SAME:
                if status in IN_FLIGHT or not status:
                    return Decision(ATTACH, task, "task %s for the same workflow is %s" % (task.get("id"), task.get("status")),
                                    seen, newest_related, scanned)
                if status == "completed":
                    return Decision(CONVERGED, task, "task %s for the same workflow completed" % task.get("id"),
                                    seen, newest_related, scanned)
                return Decision(SUBMIT, None, "the newest task for this workflow (%s) ended %s"
                                % (task.get("id"), task.get("status")), seen, newest_related, scanned)
            if relation == UNDO:
                if status == "cancelled" and not task.get("started_at"):
                    continue
                reason = "a newer %s task (%s, %s) undid it" % (task.get("name"), task.get("id"), task.get("status"))
                return Decision(SUBMIT, None, reason, seen, newest_related, scanned)
        return Decision(SUBMIT, None, "no task for this workflow exists", seen, newest_related, scanned)

    def _find_created(self, lister, id_of, is_match, started_wall, seen, deadline):
        """The record a POST started at ``started_wall`` created: newer than the lookup saw
        (allowing for clock skew), not in ``seen``, and matching."""
        for record in self.iter_records(lister, deadline, stop_before=started_wall - self.skew):
            if id_of(record) not in seen and is_match(record):
                return record
        return None

    def recover(self, finder, deadline):
        """Poll ``finder()`` with backoff; the record it finds, or None when provably absent."""
        for delay in self.recovery_delays:
            if delay:
                if self.clock() + delay > deadline:
                    break
                self.sleep(delay)
            try:
                found = finder()
            except ProvisioningError:
                found = None
            if found is not None:
                return found
        return None

    def submit(self, spec, deadline, check_mode=False, seen=None):
        """POST the workflow; on an unknown outcome, find the task it created or re-submit once."""
        seen = set(seen or ())
        return self._submit_recovering(
            spec.route, spec.body(check_mode=check_mode), deadline, what="task",
            find_created=lambda started: self._find_created(
                self.client.list_tasks, lambda task: task.get("id"),
                lambda task: spec.relation(task) == (SAME_CHECK if check_mode else SAME), started, seen, deadline),
            id_of_record=lambda record: record.get("id"), id_of_response=extract_task_id)

    def _submit_recovering(self, route, body, deadline, what, find_created, id_of_record, id_of_response):
        """The one POST-that-creates loop. A lost or unknown outcome (timeout, reset after send, 5xx)
        is never blindly re-sent: first look for what the POST may have created (``find_created``
        is given the wall time the attempt started), and re-submit at most once when it is provably
        absent."""
        attempts = 0
        last_unknown = None
        while attempts < 2:
            attempts += 1
            started_wall = self.wall()
            try:
                data = self.client.submit(route, body, deadline=deadline)
            except UnknownSubmitOutcome as exc:
                last_unknown = exc
                found = self.recover(lambda: find_created(started_wall), deadline)
                if found is not None:
                    return Submission(id_of_record(found), found, recovered=True, attempts=attempts)
                continue
            new_id = id_of_response(data)
            if not new_id:
                raise ApiError(None, server_error="the submission response carried no %s id" % what,
                               url=self.client.base_url + route, response=data)
            return Submission(new_id, data if isinstance(data, dict) and data.get("status") else None,
                              attempts=attempts)
        exc = last_unknown.cause if isinstance(last_unknown.cause, ProvisioningError) else last_unknown
        exc.extra["submit_attempts"] = attempts
        raise exc

    def fetch_task(self, task_id, deadline):
        return self.client.get_task(task_id, deadline=deadline)

    def wait(self, task_id, deadline, schedule=None, initial=None, use_progress=True, stats=None, what="task"):
        def fetch():
            return self.fetch_task(task_id, deadline)

        def progress():
            return self.client.get_progress(task_id, deadline=deadline)

        eta = progress if use_progress else None
        return wait_for_task(fetch, deadline, clock=self.clock, sleep=self.sleep, schedule=schedule or PollSchedule(),
                             eta=eta, initial=initial, task_id=task_id, what=what, stats=stats)

    # ------------------------------------------------------------------ batches
    def lookup_batch(self, spec, deadline, in_flight_only=False):
        seen = set()
        newest_related = None
        scanned = 0
        for batch in self.iter_records(self.client.list_batches, deadline):
            scanned += 1
            bid = batch_id_of(batch)
            if bid:
                seen.add(bid)
            relation = spec.relation(batch)
            if relation is None:
                continue
            if newest_related is None:
                newest_related = batch
            status = status_of(batch)
            if relation == SAME:
                if status in IN_FLIGHT or not status:
                    return Decision(ATTACH, batch, "batch %s with the same definition is %s" % (bid, batch.get("status")),
                                    seen, newest_related, scanned)
                if in_flight_only:
                    continue
                if status == "completed":
                    return Decision(CONVERGED, batch, "batch %s with the same definition completed" % bid,
                                    seen, newest_related, scanned)
                return Decision(SUBMIT, None, "the newest batch with this definition (%s) ended %s"
                                % (bid, batch.get("status")), seen, newest_related, scanned)
            if relation == UNDO and not in_flight_only:
                return Decision(SUBMIT, None, "a newer batch named %r with another definition (%s) superseded it"
                                % (spec.name, bid), seen, newest_related, scanned)
        return Decision(SUBMIT, None, "no batch with this name and definition exists", seen, newest_related, scanned)

    def submit_batch(self, spec, deadline, seen=None):
        seen = set(seen or ())
        return self._submit_recovering(
            "/batch/execute", spec.body(), deadline, what="batch",
            find_created=lambda started: self._find_created(
                self.client.list_batches, batch_id_of, lambda batch: spec.relation(batch) == SAME,
                started, seen, deadline),
            id_of_record=batch_id_of,
            id_of_response=lambda data: batch_id_of(data) if isinstance(data, dict) else extract_task_id(data))

    def wait_batch(self, batch_id, deadline, schedule=None, initial=None, stats=None):
        def fetch():
            return self.client.get_batch(batch_id, deadline=deadline)

        def progress():
            return self.client.get_progress(batch_id, deadline=deadline)

        return wait_for_task(fetch, deadline, clock=self.clock, sleep=self.sleep, schedule=schedule or PollSchedule(),
                             eta=progress, initial=initial, task_id=batch_id, what="batch", stats=stats)

    def cancel_batch(self, batch_id, deadline):
        """Cancel; returns (record, cancelled). A 409 (already terminal) is not an error."""
        try:
            data = self.client.cancel_batch(batch_id, deadline=deadline)
        except ApiError as exc:
            if exc.status == 409 and not isinstance(exc, NotFoundError):
                return self.client.get_batch(batch_id, deadline=deadline), False
            raise
        if not isinstance(data, dict) or not data.get("status"):
            data = self.client.get_batch(batch_id, deadline=deadline)
        return data, True


def batch_id_of(record):
    if not isinstance(record, dict):
        return None
    return record.get("batch_id") or record.get("id")


__all__ = ["Engine", "Decision", "Submission", "ATTACH", "CONVERGED", "SUBMIT", "is_terminal", "parse_time"]
