# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import email.utils

import pytest

from ansible_collections.provisioning.platform.plugins.module_utils.errors import (
    ApiError, ConnectionFailure, TLSFailure,
)
from ansible_collections.provisioning.platform.plugins.module_utils.retry import (
    RetryPolicy, is_retryable, parse_retry_after,
)
from ansible_collections.provisioning.platform.tests.unit.fake_orchestrator import FakeClock


def test_parse_retry_after_seconds_and_date():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    when = email.utils.formatdate(1000.0 + 12, usegmt=True)
    assert parse_retry_after(when, now=1000.0) == pytest.approx(12.0)
    assert parse_retry_after(email.utils.formatdate(900.0, usegmt=True), now=1000.0) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize("exc, idempotent, expected", [
    (ApiError(503), True, True),
    (ApiError(502), True, True),
    (ApiError(504), True, True),
    (ApiError(429), True, True),
    (ApiError(429), False, True),   # rate limiter runs before any handler: not processed
    (ApiError(503), False, False),  # a workflow POST is never blindly re-sent
    (ApiError(500), True, False),
    (ApiError(400), True, False),
    (ConnectionFailure("http://h", "reset", sent=None), True, True),
    (ConnectionFailure("http://h", "reset", sent=None), False, False),
    (ConnectionFailure("http://h", "refused", sent=False), False, True),
    (TLSFailure("https://h", "bad cert"), True, False),
])
def test_retryable_matrix(exc, idempotent, expected):
    assert is_retryable(exc, idempotent) is expected


def _flaky(failures, result="ok"):
    calls = []

    def func():
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return result
    return func, calls


def test_retries_then_succeeds_with_backoff():
    clock = FakeClock()
    policy = RetryPolicy(max_retries=5, clock=clock.monotonic, sleep=clock.sleep, wall=clock.time)
    func, calls = _flaky([ApiError(503), ApiError(502)])
    assert policy.call(func, idempotent=True) == "ok"
    assert len(calls) == 3
    assert len(clock.sleeps) == 2
    assert 0.25 <= clock.sleeps[0] <= 0.5 and 0.5 <= clock.sleeps[1] <= 1.0


def test_honours_retry_after_seconds_and_http_date():
    clock = FakeClock()
    policy = RetryPolicy(clock=clock.monotonic, sleep=clock.sleep, wall=clock.time)
    date = email.utils.formatdate(clock.time() + 9, usegmt=True)
    func, _calls = _flaky([ApiError(429, retry_after="3"), ApiError(503, retry_after=date)])
    assert policy.call(func, idempotent=True) == "ok"
    assert 3.0 <= clock.sleeps[0] <= 3.3  # Retry-After is a minimum; jitter only adds to it
    assert clock.sleeps[1] == pytest.approx(6.0, abs=1.0)  # the date was 9s away, ~3s were already slept


def test_no_retry_for_non_idempotent_5xx():
    clock = FakeClock()
    policy = RetryPolicy(clock=clock.monotonic, sleep=clock.sleep)
    func, calls = _flaky([ApiError(503)])
    with pytest.raises(ApiError):
        policy.call(func, idempotent=False)
    assert len(calls) == 1 and clock.sleeps == []


def test_bounded_by_attempts_and_deadline():
    clock = FakeClock()
    policy = RetryPolicy(max_retries=2, clock=clock.monotonic, sleep=clock.sleep)
    func, calls = _flaky([ApiError(503)] * 10)
    with pytest.raises(ApiError):
        policy.call(func)
    assert len(calls) == 3
    clock2 = FakeClock()
    policy2 = RetryPolicy(max_retries=10, clock=clock2.monotonic, sleep=clock2.sleep)
    func2, calls2 = _flaky([ApiError(503, retry_after="60")] * 10)
    with pytest.raises(ApiError):
        policy2.call(func2, deadline=clock2.t + 30)
    assert len(calls2) == 1 and clock2.sleeps == []  # waiting 60s would pass the deadline


def test_zero_retries_calls_once():
    policy = RetryPolicy(max_retries=0)
    func, calls = _flaky([ApiError(503)])
    with pytest.raises(ApiError):
        policy.call(func)
    assert len(calls) == 1
