"""Durability: SIGKILL mid-workflow, restart on the same data dir, nothing accepted is lost."""

from conftest import wait_for, write_scenario

SLOW_RESUME = """
infras: {prod: {servers: [web-01, web-02, web-03, web-04]}}
durations: {servers: 1.2, taskserv: 0.2, cluster: 0.3, batch_op: 0.6}
duration_overrides:  # the fail-policy batch must still be running when it is killed
  - {kind: batch_op, infra: lab, seconds: 5}
  - {kind: batch_op, infra: lab3, seconds: 5}
  - {kind: servers, infra: slow, seconds: 5}
queue_delay: 0
on_restart: %s
"""


def start_pair(new_server, tmp_path, policy):
    scenario = write_scenario(tmp_path, SLOW_RESUME % policy)
    data_dir = tmp_path / "data"
    srv, api = new_server(scenario=scenario, data_dir=data_dir)
    api.login()
    return scenario, data_dir, srv, api


def test_resume_after_sigkill_keeps_records_and_continues_the_clock(new_server, tmp_path):
    scenario, data_dir, srv, api = start_pair(new_server, tmp_path, "resume")
    done_id = api.submit("/workflows/taskserv/create", infra="prod", taskserv="containerd")
    api.wait_task(done_id)
    running_id = api.submit(infra="prod", wait=True)
    wait_for(lambda: api.model()["prod"]["servers"], what="the first server to exist")
    token = api.token
    srv.kill()

    srv2, api2 = new_server(scenario=scenario, data_dir=data_dir)
    api2.token = token  # the signing key lives in the data dir: tokens survive a restart
    assert api2.task(done_id)["output"] == "Installed containerd on infra prod"
    resumed = api2.task(running_id)
    assert resumed["status"] in ("Running", "Completed")
    finished = api2.wait_task(running_id)
    assert finished["status"] == "Completed"
    assert finished["output"] == "Created 4 servers: web-01, web-02, web-03, web-04"
    assert api2.model()["prod"]["servers"] == ["web-01", "web-02", "web-03", "web-04"]
    assert [t["id"] for t in api2.data("GET", "/tasks")] == [running_id, done_id]


def test_fail_policy_ends_in_flight_work_with_restart_error(new_server, tmp_path):
    scenario, data_dir, srv, api = start_pair(new_server, tmp_path, "fail")
    running_id = api.submit(infra="slow")
    batch = api.data("POST", "/batch/execute", json={
        "name": "b", "rollback_enabled": True,
        "operations": [{"id": "one", "type": "server_batch", "infra": "lab"},
                       {"id": "two", "type": "server_batch", "infra": "lab2", "dependencies": ["one"]},
                       {"id": "three", "type": "server_batch", "infra": "lab3"}]})
    wait_for(lambda: api.task(running_id)["status"] == "Running", what="Running")
    wait_for(lambda: all(o["status"] == "Running" for o in api.batch(batch["id"])["operations"] if o["id"] != "two"),
             what="both independent operations running")
    srv.kill()

    _, api2 = new_server(scenario=scenario, data_dir=data_dir)
    api2.login()
    failed = api2.task(running_id)
    assert failed["status"] == "Failed"
    assert failed["error"] == "orchestrator restarted while the task was running"
    assert failed["completed_at"] is not None
    after = api2.batch(batch["id"])
    assert after["status"] == "Failed"
    assert "orchestrator restarted" in after["error"]
    statuses = {o["id"]: o["status"] for o in after["operations"]}
    assert statuses["two"] == "Cancelled" and "Failed" in (statuses["one"], statuses["three"])
    # whichever failed first, the batch stopped the other: no task is left running
    assert all(api2.task(o["task_id"])["status"] in ("Failed", "Cancelled")
               for o in after["operations"] if o["task_id"])
    assert api2.data("GET", "/tasks?status=Running") == []


def test_batch_resumes_after_sigkill(new_server, tmp_path):
    scenario, data_dir, srv, api = start_pair(new_server, tmp_path, "resume")
    created = api.data("POST", "/batch/execute", json={
        "name": "resume-me",
        "operations": [{"id": "one", "type": "server_batch", "infra": "r1"},
                       {"id": "two", "type": "server_batch", "infra": "r2", "dependencies": ["one"]}]})
    wait_for(lambda: api.batch(created["id"])["operations"][0]["status"] == "Running", what="op one running")
    srv.kill()

    _, api2 = new_server(scenario=scenario, data_dir=data_dir)
    api2.login()
    done = api2.wait_batch(created["id"])
    assert done["status"] == "Completed"
    assert [o["status"] for o in done["operations"]] == ["Completed", "Completed"]
    assert api2.model()["r2"]["servers"] == ["r2-01", "r2-02"]
