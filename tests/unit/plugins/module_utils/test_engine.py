# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.provisioning.platform.plugins.module_utils.batch import BatchSpec
from ansible_collections.provisioning.platform.plugins.module_utils.client import OrchestratorClient
from ansible_collections.provisioning.platform.plugins.module_utils.engine import (
    ATTACH, CONVERGED, SUBMIT, Engine, newest_first, parse_time,
)
from ansible_collections.provisioning.platform.plugins.module_utils.errors import ApiError
from ansible_collections.provisioning.platform.plugins.module_utils.spec import WorkflowSpec
from ansible_collections.provisioning.platform.tests.unit.fake_orchestrator import make_session

CMD = "/usr/local/provisioning taskserv "
K8S = WorkflowSpec("taskserv", "prod", target="kubernetes")


@pytest.fixture
def engine(fake, clock):
    client = OrchestratorClient(session=make_session(fake), clock=clock.monotonic, sleep=clock.sleep, wall=clock.time)
    return Engine(client, clock=clock.monotonic, sleep=clock.sleep, wall=clock.time)


def add(fake, op, status, age, target="kubernetes", infra="prod", check=False):
    args = [target, "--infra", infra] + (["--check"] if check else [])
    return fake.add_task("%s_taskserv" % op, CMD + op, args, status=status, age=age)


def test_parse_time_and_ordering():
    assert parse_time("2026-01-05T10:00:00Z") == 1767607200.0
    assert parse_time("2026-01-05T10:00:00.123456789Z") == pytest.approx(1767607200.123456)
    assert parse_time("2026-01-05T11:00:00+01:00") == 1767607200.0
    assert parse_time("2026-01-05T10:00:00.5Z") == 1767607200.5
    assert parse_time("garbage") is None and parse_time(None) is None
    recs = [{"created_at": "2026-01-05T10:00:00Z"}, {"created_at": "2026-01-05T11:00:00Z"}, {}]
    assert newest_first(recs)[0]["created_at"] == "2026-01-05T11:00:00Z"


def test_empty_list_submits(engine, clock):
    assert engine.lookup(K8S, clock.t + 60).action == SUBMIT


def test_in_flight_attaches(engine, fake, clock):
    running = add(fake, "create", "Running", 10)
    decision = engine.lookup(K8S, clock.t + 60)
    assert decision.action == ATTACH and decision.task["id"] == running["id"]


def test_completed_converges(engine, fake, clock):
    done = add(fake, "create", "Completed", 50)
    add(fake, "create", "Completed", 20, target="cilium")
    decision = engine.lookup(K8S, clock.t + 60)
    assert decision.action == CONVERGED and decision.task["id"] == done["id"]


def test_newer_undo_forces_submit(engine, fake, clock):
    add(fake, "create", "Completed", 50)
    add(fake, "delete", "Completed", 20)
    assert engine.lookup(K8S, clock.t + 60).action == SUBMIT
    # ... and for the delete spec, the delete is converged
    delete = WorkflowSpec("taskserv", "prod", operation="delete", target="kubernetes")
    assert engine.lookup(delete, clock.t + 60).action == CONVERGED


def test_cancelled_unstarted_undo_is_ignored(engine, fake, clock):
    add(fake, "create", "Completed", 50)
    undo = add(fake, "delete", "Cancelled", 20)
    fake.task(undo["id"]).record["started_at"] = None
    assert engine.lookup(K8S, clock.t + 60).action == CONVERGED


def test_newest_failed_submits(engine, fake, clock):
    add(fake, "create", "Completed", 50)
    add(fake, "create", "Failed", 20)
    assert engine.lookup(K8S, clock.t + 60).action == SUBMIT


def test_check_mode_tasks_never_converge(engine, fake, clock):
    add(fake, "create", "Completed", 20, check=True)
    assert engine.lookup(K8S, clock.t + 60).action == SUBMIT
    add(fake, "create", "Running", 10, check=True)
    assert engine.lookup(K8S, clock.t + 60).action == SUBMIT


def test_lookup_pages_past_1000(engine, fake, clock):
    target = add(fake, "create", "Completed", 5000)
    for i in range(1500):
        fake.add_task("create_servers", "/usr/local/provisioning servers create", ["--infra", "i%d" % i],
                      age=4000 - i)
    decision = engine.lookup(K8S, clock.t + 60)
    assert decision.action == CONVERGED and decision.task["id"] == target["id"]
    offsets = [e["params"]["offset"] for e in fake.log if e["path"] == "/tasks"]
    assert offsets == ["0", "1000"]
    assert all(e["params"]["limit"] == "1000" for e in fake.log if e["path"] == "/tasks")


def test_lookup_is_bounded_by_max_pages_and_horizon(engine, fake, clock):
    add(fake, "create", "Completed", 5000)
    for i in range(30):
        fake.add_task("create_servers", "/usr/local/provisioning servers create", ["--infra", "i%d" % i], age=100)
    engine.page_size = 10
    engine.max_pages = 2
    assert engine.lookup(K8S, clock.t + 60).action == SUBMIT
    assert fake.count("GET", "/tasks") == 2
    engine.max_pages = 20
    engine.horizon = 1000
    assert engine.lookup(K8S, clock.t + 60).action == SUBMIT  # the match is older than the horizon


@pytest.mark.parametrize("kind", ["reset_after_commit", "timeout_after_commit", "status_after_commit"])
def test_unknown_outcome_finds_committed_task_and_never_resubmits(engine, fake, clock, kind):
    add(fake, "create", "Failed", 30)
    fake.add_fault("POST", "/workflows", kind, status=502)
    decision = engine.lookup(K8S, clock.t + 60)
    sub = engine.submit(K8S, clock.t + 60, seen=decision.seen_ids)
    assert sub.recovered is True
    assert len(fake.submissions()) == 1
    assert sub.task_id == fake.tasks[-1].record["id"]


def test_unknown_outcome_provably_absent_resubmits_once(engine, fake, clock):
    fake.add_fault("POST", "/workflows", "status", status=503)
    sub = engine.submit(K8S, clock.t + 60)
    assert sub.recovered is False and sub.attempts == 2
    assert len(fake.submissions()) == 2 and len(fake.tasks) == 1
    assert fake.count("GET", "/tasks") == 4  # re-polled with backoff before concluding


def test_unknown_outcome_twice_fails_with_server_error(engine, fake, clock):
    fake.add_fault("POST", "/workflows", "status", status=503, count=-1)
    with pytest.raises(ApiError) as info:
        engine.submit(K8S, clock.t + 60)
    assert info.value.msg.startswith("HTTP 503 Service Unavailable")
    assert info.value.extra["submit_attempts"] == 2
    assert len(fake.submissions()) == 2


def test_recovery_ignores_old_matching_tasks(engine, fake, clock):
    add(fake, "create", "Running", 10000)  # unknown to the lookup (outside skew), must not be adopted
    fake.add_fault("POST", "/workflows", "status", status=503)
    sub = engine.submit(K8S, clock.t + 60)
    assert sub.recovered is False and len(fake.submissions()) == 2


def test_check_mode_recovery_only_adopts_dry_runs(engine, fake, clock):
    fake.add_fault("POST", "/workflows", "reset_after_commit")
    sub = engine.submit(K8S, clock.t + 60, check_mode=True)
    assert sub.recovered and "--check" in fake.task(sub.task_id).record["args"]


def test_missing_task_id_in_response(engine, fake, clock):
    fake.id_shape = "nothing"
    with pytest.raises(ApiError) as info:
        engine.submit(K8S, clock.t + 60)
    assert "no task id" in info.value.msg


def test_batch_lookup_by_name_and_definition(engine, fake, clock):
    ops = [{"id": "a", "type": "server_batch", "infra": "prod"}]
    spec = BatchSpec("b1", ops)
    assert engine.lookup_batch(spec, clock.t + 60).action == SUBMIT
    sub = engine.submit_batch(spec, clock.t + 60)
    assert engine.lookup_batch(spec, clock.t + 60).action == ATTACH
    clock.advance(100)
    decision = engine.lookup_batch(spec, clock.t + 60)
    assert decision.action == CONVERGED and decision.task["id"] == sub.task_id
    other = BatchSpec("b1", [{"id": "a", "type": "server_batch", "infra": "dev"}])
    assert engine.lookup_batch(other, clock.t + 60).action == SUBMIT
    engine.submit_batch(other, clock.t + 60)
    clock.advance(100)
    assert engine.lookup_batch(spec, clock.t + 60).action == SUBMIT  # superseded by another definition


def test_batch_unknown_outcome_recovered(engine, fake, clock):
    spec = BatchSpec("b1", [{"id": "a", "type": "server_batch"}])
    fake.add_fault("POST", "/batch/execute", "reset_after_commit")
    sub = engine.submit_batch(spec, clock.t + 60)
    assert sub.recovered and len(fake.batches) == 1
