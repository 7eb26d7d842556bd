# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.provisioning.platform.plugins.module_utils.errors import NotFoundError, WaitTimeout
from ansible_collections.provisioning.platform.plugins.module_utils.waiter import (
    PollSchedule, is_terminal, wait_for_many, wait_for_task,
)
from ansible_collections.provisioning.platform.tests.unit.fake_orchestrator import FakeClock


class Task(object):
    """A task that completes at ``done_at`` (fake monotonic time)."""

    def __init__(self, clock, done_at, final="Completed", progress=True):
        self.clock = clock
        self.start = clock.t
        self.done_at = done_at
        self.final = final
        self.progress = progress
        self.fetches = []

    def fetch(self):
        self.fetches.append(self.clock.t)
        if self.clock.t >= self.done_at:
            return {"id": "t1", "status": self.final, "progress": 100.0}
        rec = {"id": "t1", "status": "Running"}
        if self.progress:
            rec["progress"] = 100.0 * (self.clock.t - self.start) / (self.done_at - self.start)
        return rec

    def eta(self):
        return {"estimated_time_remaining": max(0.0, self.done_at - self.clock.t)}


def test_schedule_backoff_and_cap():
    sched = PollSchedule(initial=0.25, maximum=5.0)
    delays = [sched.delay(n, 0) for n in range(12)]
    assert delays[0] == 0.25 and delays[1] == 0.375
    assert all(b >= a for a, b in zip(delays, delays[1:]))
    assert max(delays) == 5.0


def test_schedule_lands_just_after_eta_and_never_past_cap():
    sched = PollSchedule(initial=0.25, maximum=5.0, lag=0.05)
    assert sched.delay(3, now=10.0, predicted=12.0) == pytest.approx(2.05)
    assert sched.delay(3, now=10.0, predicted=100.0) == 5.0
    assert sched.delay(3, now=10.0, predicted=9.0, overdue=0) == 0.25
    assert sched.delay(3, now=10.0, predicted=9.0, overdue=2) == pytest.approx(0.5625)


@pytest.mark.parametrize("duration", [1.0, 4.0, 10.0, 30.0, 90.0])
def test_eta_gives_low_latency_and_few_requests(duration):
    clock = FakeClock()
    task = Task(clock, clock.t + duration)
    calls = {"eta": 0}

    def eta():
        calls["eta"] += 1
        return task.eta()

    record = wait_for_task(task.fetch, clock.t + 600, clock=clock.monotonic, sleep=clock.sleep, eta=eta)
    assert record["status"] == "Completed"
    latency = clock.t - task.done_at
    assert 0 <= latency <= 0.3
    requests = len(task.fetches) + calls["eta"]
    delay1_loop = int(duration) + 1
    assert requests < delay1_loop / 2.0 or requests <= 2


def test_progress_extrapolation_without_eta_endpoint():
    clock = FakeClock()
    task = Task(clock, clock.t + 30.0)
    wait_for_task(task.fetch, clock.t + 600, clock=clock.monotonic, sleep=clock.sleep)
    assert clock.t - task.done_at <= 0.3
    assert len(task.fetches) < 31 / 2.0


def test_no_hints_backs_off_to_cap():
    clock = FakeClock()
    task = Task(clock, clock.t + 60.0, progress=False)
    wait_for_task(task.fetch, clock.t + 600, clock=clock.monotonic, sleep=clock.sleep)
    assert max(clock.sleeps) == 5.0
    assert clock.sleeps[0] == 0.25
    assert clock.t - task.done_at <= 5.0


def test_stops_at_first_terminal_status_including_failure():
    clock = FakeClock()
    task = Task(clock, clock.t + 2.0, final="Failed")
    record = wait_for_task(task.fetch, clock.t + 600, clock=clock.monotonic, sleep=clock.sleep)
    assert record["status"] == "Failed"
    fetches = len(task.fetches)
    assert is_terminal(record) and fetches == len(task.fetches)


def test_initial_terminal_record_returns_without_polling():
    clock = FakeClock()
    record = wait_for_task(lambda: pytest.fail("polled"), clock.t + 5, clock=clock.monotonic, sleep=clock.sleep,
                           initial={"id": "x", "status": "completed"})
    assert record["status"] == "completed" and clock.sleeps == []


def test_timeout_reports_last_task_and_polls_at_deadline():
    clock = FakeClock()
    start = clock.t
    task = Task(clock, clock.t + 1000.0)
    with pytest.raises(WaitTimeout) as info:
        wait_for_task(task.fetch, start + 30, clock=clock.monotonic, sleep=clock.sleep, task_id="t1")
    exc = info.value
    assert exc.task_id == "t1" and exc.last_status == "Running"
    assert exc.elapsed == pytest.approx(30.0)
    assert exc.last_task["id"] == "t1"
    assert task.fetches[-1] == pytest.approx(start + 30)


def test_task_finishing_at_the_deadline_is_not_a_timeout():
    clock = FakeClock()
    task = Task(clock, clock.t + 29.99, progress=False)
    record = wait_for_task(task.fetch, clock.t + 30, clock=clock.monotonic, sleep=clock.sleep)
    assert record["status"] == "Completed"


def test_eta_endpoint_not_found_is_disabled():
    clock = FakeClock()
    task = Task(clock, clock.t + 10.0)
    calls = []

    def eta():
        calls.append(1)
        raise NotFoundError(404)

    wait_for_task(task.fetch, clock.t + 60, clock=clock.monotonic, sleep=clock.sleep, eta=eta)
    assert len(calls) == 1


def test_wait_for_many_uses_one_list_request_per_poll():
    clock = FakeClock()
    done = {"a": clock.t + 3, "b": clock.t + 6, "old": clock.t + 2}
    stats = {}
    singles = []

    def listing():
        return [{"id": i, "status": "Completed" if clock.t >= done[i] else "Running"} for i in ("a", "b")]

    def one(task_id):
        singles.append(task_id)
        return {"id": task_id, "status": "Completed" if clock.t >= done[task_id] else "Running"}

    records = wait_for_many(["a", "b", "old"], listing, one, clock.t + 60, clock=clock.monotonic, sleep=clock.sleep,
                            stats=stats)
    assert all(r["status"] == "Completed" for r in records.values())
    assert stats["list_requests"] == stats["polls"]
    assert set(singles) == {"old"}  # only the id missing from the window is fetched on its own


def test_wait_for_many_timeout():
    clock = FakeClock()
    with pytest.raises(WaitTimeout) as info:
        wait_for_many(["a"], lambda: [{"id": "a", "status": "Pending"}], None, clock.t + 10,
                      clock=clock.monotonic, sleep=clock.sleep)
    assert info.value.last_status == "Pending"


def test_wait_for_many_uses_progress_to_land_on_completion():
    clock = FakeClock()
    start = clock.t
    ends = {"a": start + 20.0, "b": start + 30.0}

    def record(task_id):
        if clock.t >= ends[task_id]:
            return {"id": task_id, "status": "Completed", "progress": 100.0}
        return {"id": task_id, "status": "Running", "progress": 100.0 * (clock.t - start) / (ends[task_id] - start)}

    stats = {}
    wait_for_many(["a", "b"], lambda: [record("a"), record("b")], None, start + 600, clock=clock.monotonic,
                  sleep=clock.sleep, stats=stats)
    assert clock.t - ends["b"] <= 0.3
    assert stats["list_requests"] < 31 / 2.0


def test_orchestrator_eta_is_trusted_past_the_poll_cap_but_not_past_eta_cap():
    sched = PollSchedule(initial=0.25, maximum=5.0, lag=0.05, eta_cap=30.0)
    assert sched.delay(1, now=0.0, predicted=20.0, trusted=True) == pytest.approx(20.05)
    assert sched.delay(1, now=0.0, predicted=20.0, trusted=False) == 5.0  # extrapolated: keep the cap
    assert sched.delay(1, now=0.0, predicted=100.0, trusted=True) == 30.0


def test_twenty_second_task_with_an_eta_is_read_once():
    clock = FakeClock()
    task = Task(clock, clock.t + 20.0)
    record = wait_for_task(task.fetch, clock.t + 600, clock=clock.monotonic, sleep=clock.sleep, eta=task.eta)
    assert record["status"] == "Completed" and 0 <= clock.t - task.done_at <= 0.3
    assert len(task.fetches) == 1  # the ETA was asked first, then one read at completion


def test_wait_for_many_does_not_poll_for_every_completion():
    """prov_task_info returns only when all are done: polls between completions buy nothing."""
    clock = FakeClock()
    start = clock.t
    ends = dict(("t%02d" % n, start + 2.0 + 0.2 * n) for n in range(50))  # one finishes every 0.2 s

    def record(task_id):
        if clock.t >= ends[task_id]:
            return {"id": task_id, "status": "Completed", "progress": 100.0}
        return {"id": task_id, "status": "Running", "progress": 100.0 * (clock.t - start) / (ends[task_id] - start)}

    stats = {}
    wait_for_many(sorted(ends), lambda: [record(i) for i in sorted(ends)], None, start + 600,
                  clock=clock.monotonic, sleep=clock.sleep, stats=stats)
    assert 0 <= clock.t - max(ends.values()) <= 0.5
    assert stats["list_requests"] <= 10
