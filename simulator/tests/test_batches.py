"""Batch workflows: validation, DAG order, parallel_limit, rollback, cancel, alias routes."""

import time
import uuid

import pytest
from conftest import wait_for


def op(op_id, kind="server_batch", deps=(), **fields):
    return {"id": op_id, "type": kind, "provider": "upcloud", "dependencies": list(deps), **fields}


def batch(*ops, **fields):
    return {"name": "deploy", "version": "1.0.0", "storage_backend": "filesystem", "parallel_limit": 5,
            "rollback_enabled": True, "operations": list(ops), **fields}


def submit(api, definition, prefix="/batch"):
    return api.data("POST", f"{prefix}/execute", json=definition)


def times_of(b):
    return {o["id"]: (o["started_at"], o["completed_at"]) for o in b["operations"]}


@pytest.mark.parametrize("definition, message", [
    ([], "body: expected a JSON object"),
    ({"operations": [op("a")]}, "name: required"),
    (batch(), "operations: required"),
    (batch(op("a"), op("a")), "operations[1].id: duplicate operation id 'a'"),
    (batch(op("a", kind="vm_batch")), "operations[0].type: unknown operation type 'vm_batch'"),
    (batch(op("a", kind={"x": 1})), "operations[0].type: unknown operation type"),
    (batch(op("a", deps=["ghost"])), "operations[0].dependencies: unknown operation 'ghost'"),
    (batch(op("a", deps=["a"])), "operations[0].dependencies: operation 'a' depends on itself"),
    (batch(op("a", deps=["c"]), op("b", deps=["a"]), op("c", deps=["b"])),
     "operations: dependency cycle a -> c -> b -> a"),
    (batch(op("a"), parallel_limit=0), "parallel_limit: expected an integer between 1 and 1000"),
    (batch(op("a"), storage_backend="s3"), "storage_backend: must be one of"),
    (batch(op("t", kind="taskserv_batch")), "operations[0].taskservs: required"),
    (batch(op("a", server_configs=[{"plan": "x"}])), "operations[0].server_configs[0]: expected a name"),
])
def test_invalid_definitions_are_rejected_naming_the_problem(api, definition, message):
    response = api.post("/batch/execute", json=definition)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert api.data("GET", "/batch/operations") == []


def test_dag_runs_in_dependency_order(api):
    definition = batch(
        op("servers", infra="prod", server_configs=[{"name": "web-01", "plan": "1xCPU-2GB"}, "web-02"]),
        op("k8s", kind="taskserv_batch", deps=["servers"], infra="prod", taskservs=["kubernetes", "cilium"]),
        op("buildkit", kind="cluster_batch", deps=["k8s"], infra="prod", clusters=["buildkit"]),
        op("other", infra="lab"),
    )
    created = submit(api, definition)
    assert created["id"] == created["batch_id"] and created["status"] == "Running"
    assert created["operations"][0]["server_configs"][0]["plan"] == "1xCPU-2GB"  # the definition is echoed
    done = api.wait_batch(created["id"])
    assert done["status"] == "Completed" and done["progress"] == 100.0 and done["error"] is None
    t = times_of(done)
    assert t["servers"][1] <= t["k8s"][0] and t["k8s"][1] <= t["buildkit"][0]
    assert t["other"][0] < t["k8s"][0]  # independent operations run in parallel
    ops = {o["id"]: o for o in done["operations"]}
    assert ops["servers"]["output"] == "Created 2 servers: web-01, web-02"
    assert ops["k8s"]["output"] == "Installed kubernetes, cilium on infra prod"
    k8s_task = api.task(ops["k8s"]["task_id"])
    assert k8s_task["args"] == ["kubernetes", "cilium", "--infra", "prod"]
    assert k8s_task["dependencies"] == [ops["servers"]["task_id"]]
    model = api.model()
    assert model["prod"] == {"servers": ["web-01", "web-02"], "taskservs": ["kubernetes", "cilium"],
                             "clusters": ["buildkit"]}
    assert model["lab"]["servers"] == ["lab-01", "lab-02"]
    assert api.stats()["tasks_created"]["batch_op"] == 4


def test_parallel_limit_caps_concurrency(api):
    created = submit(api, batch(*[op(f"op{i}", infra=f"p{i}") for i in range(4)], parallel_limit=2))
    done = api.wait_batch(created["id"])
    assert done["status"] == "Completed"
    # Sweep the tasks' lifetimes (launch to end, half-open): at most, and exactly, 2 at a time.
    tasks = [api.task(o["task_id"]) for o in done["operations"]]
    moments = sorted([(t["created_at"], 1) for t in tasks] + [(t["completed_at"], -1) for t in tasks])
    in_flight = peak = 0
    for _, delta in moments:
        in_flight += delta
        peak = max(peak, in_flight)
    assert peak == 2


def test_failure_with_rollback_reverts_completed_operations(api):
    api.scenario(failures=[{"kind": "batch_op", "name": "k8s", "at_progress": 50, "error": "apt mirror down"}])
    created = submit(api, batch(
        op("servers", infra="prod"),
        op("k8s", kind="taskserv_batch", deps=["servers"], infra="prod", taskservs=["kubernetes"]),
        op("cluster", kind="cluster_batch", deps=["k8s"], infra="prod", clusters=["buildkit"]),
    ))
    done = api.wait_batch(created["id"])
    assert done["status"] == "Failed"
    assert done["rolled_back"] == ["servers"]
    assert done["error"] == "operation 'k8s' failed: apt mirror down; rolled back: servers"
    ops = {o["id"]: o for o in done["operations"]}
    assert ops["servers"]["status"] == "Completed" and ops["servers"]["output"].endswith("(rolled back)")
    assert ops["k8s"]["status"] == "Failed" and ops["k8s"]["error"] == "apt mirror down"
    assert ops["cluster"]["status"] == "Cancelled" and ops["cluster"]["task_id"] is None
    assert api.model()["prod"] == {"servers": [], "taskservs": [], "clusters": []}


def test_failure_without_rollback_keeps_independent_work(api):
    api.scenario(failures=[{"kind": "batch_op", "name": "bad", "error": "no capacity"}])
    created = submit(api, batch(op("bad", infra="a"), op("after", deps=["bad"], infra="b"), op("free", infra="c"),
                                rollback_enabled=False))
    done = api.wait_batch(created["id"])
    ops = {o["id"]: o for o in done["operations"]}
    assert done["status"] == "Failed" and done["rolled_back"] == []
    assert done["error"] == "operation 'bad' failed: no capacity"
    assert ops["after"]["status"] == "Cancelled" and ops["after"]["error"] == "dependency 'bad' failed"
    assert ops["free"]["status"] == "Completed"
    assert api.model()["c"]["servers"] == ["c-01", "c-02"]


def test_cancel_stops_pending_and_running_operations(api):
    api.scenario(durations={"batch_op": 2.0})
    created = submit(api, batch(op("first", infra="x"), op("second", deps=["first"], infra="y")),
                     prefix="/workflows/batch")
    running_task = wait_for(lambda: api.batch(created["id"])["operations"][0]["task_id"], what="first op task")
    cancelled = api.data("POST", f"/workflows/batch/operations/{created['id']}/cancel")
    assert cancelled["status"] == "Cancelled" and cancelled["completed_at"] is not None
    assert [o["status"] for o in cancelled["operations"]] == ["Cancelled", "Cancelled"]
    task = api.task(running_task)
    assert task["status"] == "Cancelled" and task["error"] == "batch cancelled"
    again = api.post(f"/batch/operations/{created['id']}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "CONFLICT"
    assert api.model()["x"]["servers"] == []


def test_batch_lists_aliases_and_unknown_ids(api):
    first = submit(api, batch(op("a", infra="l1")))
    second = submit(api, batch(op("a", infra="l2")), prefix="/workflows/batch")
    for prefix in ("/batch", "/workflows/batch"):
        assert [b["id"] for b in api.data("GET", f"{prefix}/operations")] == [second["id"], first["id"]]
        assert api.data("GET", f"{prefix}/operations/{first['id']}")["name"] == "deploy"
        assert api.get(f"{prefix}/operations/{uuid.uuid4()}").status_code == 404
        assert api.post(f"{prefix}/operations/{uuid.uuid4()}/cancel").status_code == 404
    api.wait_batch(first["id"])
    api.wait_batch(second["id"])
    assert len(api.data("GET", "/batch/operations?status=Completed&limit=1")) == 1
    assert api.get("/batch/operations?limit=0").status_code == 400


def test_batch_progress_eta_is_truthful(api):
    api.scenario(durations={"batch_op": 0.4}, queue_delay=0)
    start = time.monotonic()
    created = submit(api, batch(op("a", infra="e1"), op("b", deps=["a"], infra="e2")))
    info = api.data("GET", f"/state/workflows/{created['id']}/progress")
    asked = time.monotonic() - start
    assert info["total_steps"] == 2 and info["status"] == "Running"
    estimate = info["estimated_time_remaining"]
    # two 0.4 s operations in sequence: 0.8 s from submission, less what has passed since
    assert 0.8 - asked - 0.05 <= estimate <= 0.8 + 0.05
    api.wait_batch(created["id"])
    actual = time.monotonic() - start
    assert actual >= 0.75  # the estimate did not promise less than the clock delivered
    assert api.data("GET", f"/state/workflows/{created['id']}/progress")["estimated_time_remaining"] == 0
