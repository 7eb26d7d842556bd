"""Workflows, task records, the infrastructure model, progress and input validation."""

import uuid

import pytest
from conftest import wait_for

TASK_FIELDS = {"id", "name", "command", "args", "dependencies", "status", "created_at", "started_at",
               "completed_at", "output", "error", "progress"}


def test_health_needs_no_token(api):
    body = api.get("/health", auth=False).json()
    assert body == {"success": True, "data": "Orchestrator is healthy", "error": None}


def test_server_workflow_lifecycle_and_naming(api):
    api.scenario(durations={"servers": 1.0})  # long enough to be seen Running on a busy machine
    task_id = api.submit(infra="prod", settings="prod-settings.k", wait=True)
    uuid.UUID(task_id)
    first = api.task(task_id)
    assert set(first) == TASK_FIELDS
    assert first["name"] == "create_servers"
    assert first["command"] == "/usr/local/provisioning servers create"
    assert first["args"] == ["--infra", "prod", "--settings", "prod-settings.k", "--wait"]
    assert first["status"] in ("Pending", "Running") and first["completed_at"] is None
    running = wait_for(lambda: (t := api.task(task_id))["status"] == "Running" and t, what="Running")
    assert running["started_at"] is not None and running["output"] is None
    done = api.wait_task(task_id)
    assert done["status"] == "Completed" and done["progress"] == 100.0 and done["error"] is None
    assert done["output"] == "Created 3 servers: web-01, web-02, web-03"
    assert done["created_at"] <= done["started_at"] <= done["completed_at"]
    assert api.model()["prod"]["servers"] == ["web-01", "web-02", "web-03"]


def test_second_run_is_idempotent(api):
    api.wait_task(api.submit(infra="prod"))
    again = api.wait_task(api.submit(infra="prod"))
    assert again["output"] == "Nothing to do: 3 servers already exist"


def test_check_mode_reports_and_changes_nothing(api):
    task = api.wait_task(api.submit(infra="prod", check_mode=True))
    assert task["args"] == ["--infra", "prod", "--check"]
    assert task["status"] == "Completed"
    assert task["output"] == "Would create 3 servers: web-01, web-02, web-03"
    assert api.model()["prod"]["servers"] == []


def test_unknown_infra_gets_default_servers(api):
    task = api.wait_task(api.submit(infra="lab"))
    assert task["output"] == "Created 2 servers: lab-01, lab-02"


def test_existing_state_from_scenario(api):
    task = api.wait_task(api.submit("/workflows/taskserv/create", infra="staging", taskserv="containerd"))
    assert task["output"] == "Nothing to do: containerd already installed on staging"


def test_taskserv_create_delete_generate(api):
    route = "/workflows/taskserv/create"
    created = api.wait_task(api.submit(route, infra="prod", taskserv="kubernetes", wait=True))
    assert created["name"] == "create_taskserv"
    assert created["command"] == "/usr/local/provisioning taskserv create"
    assert created["args"] == ["kubernetes", "--infra", "prod", "--wait"]
    assert created["output"] == "Installed kubernetes on infra prod"
    assert api.model()["prod"]["taskservs"] == ["kubernetes"]
    again = api.wait_task(api.submit(route, infra="prod", taskserv="kubernetes"))
    assert again["output"] == "Nothing to do: kubernetes already installed on prod"
    generated = api.wait_task(api.submit(route, operation="generate", infra="prod", taskserv="kubernetes"))
    assert generated["name"] == "generate_taskserv" and "Generated kubernetes configuration" in generated["output"]
    check = api.wait_task(api.submit(route, operation="delete", infra="prod", taskserv="kubernetes", check_mode=True))
    assert check["output"] == "Would remove kubernetes from infra prod"
    assert api.model()["prod"]["taskservs"] == ["kubernetes"]
    deleted = api.wait_task(api.submit(route, operation="delete", infra="prod", taskserv="kubernetes"))
    assert deleted["command"] == "/usr/local/provisioning taskserv delete"
    assert deleted["output"] == "Removed kubernetes from infra prod"
    assert api.model()["prod"]["taskservs"] == []
    gone = api.wait_task(api.submit(route, operation="delete", infra="prod", taskserv="kubernetes"))
    assert gone["output"] == "Nothing to do: kubernetes not installed on prod"


def test_cluster_create_and_delete(api):
    route = "/workflows/cluster/create"
    created = api.wait_task(api.submit(route, infra="prod", cluster_type="buildkit"))
    assert (created["name"], created["args"]) == ("create_cluster", ["buildkit", "--infra", "prod"])
    assert created["output"] == "Created cluster buildkit on infra prod"
    assert api.model()["prod"]["clusters"] == ["buildkit"]
    deleted = api.wait_task(api.submit(route, operation="delete", infra="prod", cluster_type="buildkit"))
    assert deleted["output"] == "Removed cluster buildkit from infra prod"
    assert api.model()["prod"]["clusters"] == []


def test_scenario_failure_ends_failed_with_partial_output(api):
    api.scenario(failures=[{"kind": "servers", "infra": "prod", "name": "web-02", "error": "quota exceeded"}])
    task = api.wait_task(api.submit(infra="prod"))
    assert task["status"] == "Failed"
    assert task["error"] == "quota exceeded"
    assert task["output"] == "Completed 1 of 3 steps (Creating server web-01); failed at: Creating server web-02"
    assert api.model()["prod"]["servers"] == ["web-01"]  # partial work stays, as on a real platform
    progress = api.data("GET", f"/state/workflows/{task['id']}/progress")
    assert progress["status"] == "Failed" and progress["current_step"] == "Failed at: Creating server web-02"


def test_failure_at_progress_and_times(api):
    api.scenario(failures=[{"kind": "taskserv", "name": "cilium", "at_progress": 10, "error": "boom", "times": 1}])
    route = "/workflows/taskserv/create"
    first = api.wait_task(api.submit(route, infra="prod", taskserv="cilium"))
    assert (first["status"], first["error"], first["progress"]) == ("Failed", "boom", 10.0)
    second = api.wait_task(api.submit(route, infra="prod", taskserv="cilium"))
    assert second["status"] == "Completed"  # `times: 1` fails only the first matching run


def test_progress_moves_and_eta_is_truthful(api):
    api.scenario(durations={"servers": 1.0})
    task_id = api.submit(infra="prod")
    seen = []
    done = None
    while done is None:
        info = api.data("GET", f"/state/workflows/{task_id}/progress")
        seen.append(info)
        if info["status"] == "Completed":
            done = info
    progresses = [i["progress"] for i in seen]
    assert progresses == sorted(progresses) and len(set(progresses)) > 3
    running = [i for i in seen if i["status"] == "Running"]
    mid = running[len(running) // 2]
    assert 0 < mid["estimated_time_remaining"] <= 1.0
    assert mid["total_steps"] == 3 and mid["current_step"].startswith("Creating server")
    assert done["estimated_time_remaining"] == 0 and done["completed_steps"] == 3


def test_list_tasks_newest_first_filters_and_pages(api):
    ids = [api.submit(infra=f"list{i}") for i in range(5)]
    listed = api.data("GET", "/tasks")
    assert [t["id"] for t in listed] == ids[::-1]
    assert [t["id"] for t in api.data("GET", "/tasks?limit=2&offset=1")] == ids[::-1][1:3]
    for task_id in ids:
        api.wait_task(task_id)
    assert len(api.data("GET", "/tasks?status=Completed")) == 5
    assert api.data("GET", "/tasks?status=completed") == api.data("GET", "/tasks?status=Completed")
    assert api.data("GET", "/tasks?status=Running") == []


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=abc", "limit"),
    ("offset=-1", "offset"), ("status=Done", "status"),
])
def test_list_tasks_bad_params(api, query, field):
    response = api.get(f"/tasks?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["error"].startswith(f"{field}:")


def test_unknown_and_malformed_task_ids(api):
    for task_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = api.get(f"/tasks/{task_id}")
        assert response.status_code == 404
        assert response.json()["error"] == f"Task not found: {task_id}"
    response = api.get(f"/state/workflows/{uuid.uuid4()}/progress")
    assert response.status_code == 404 and "Workflow not found" in response.json()["error"]


@pytest.mark.parametrize("route, body, field", [
    ("/workflows/servers/create", {}, "infra"),
    ("/workflows/servers/create", {"infra": 5}, "infra"),
    ("/workflows/servers/create", {"infra": "../etc"}, "infra"),
    ("/workflows/servers/create", {"infra": "prod", "check_mode": "yes"}, "check_mode"),
    ("/workflows/servers/create", {"infra": "prod", "wait": 1}, "wait"),
    ("/workflows/servers/create", {"infra": "prod", "settings": ""}, "settings"),
    ("/workflows/taskserv/create", {"infra": "prod"}, "taskserv"),
    ("/workflows/taskserv/create", {"infra": "prod", "taskserv": "k8s", "operation": "upgrade"}, "operation"),
    ("/workflows/cluster/create", {"infra": "prod"}, "cluster_type"),
    ("/workflows/cluster/create", {"infra": "prod", "cluster_type": "b", "operation": "generate"}, "operation"),
])
def test_submission_validation_names_the_field(api, route, body, field):
    response = api.post(route, json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{field}:")
    assert api.data("GET", "/tasks") == []


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_bodies(api, raw):
    response = api.post("/workflows/servers/create", data=raw, headers={"Content-Type": "application/json",
                                                                        "Authorization": f"Bearer {api.token}"})
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["error"].startswith("body:") and "Traceback" not in body["error"]


def test_unknown_route_and_method(api):
    missing = api.get("/nope")
    assert missing.status_code == 404 and missing.json()["success"] is False
    wrong = api.request("DELETE", "/tasks")
    assert wrong.status_code == 405 and "not allowed" in wrong.json()["error"]


def test_system_health_and_metrics(api):
    health = api.data("GET", "/state/system/health")
    assert health["overall_status"] == "Healthy" and "storage" in health["components"]
    api.wait_task(api.submit(infra="prod"))
    metrics = api.data("GET", "/state/system/metrics")
    assert metrics["total_workflows"] == 1 and metrics["completed_workflows"] == 1
    assert metrics["active_workflows"] == 0
    assert set(metrics["system_load"]) == {"cpu_usage", "memory_usage", "disk_usage"}


def test_openapi_is_served(api):
    as_json = api.get("/openapi.json", auth=False).json()
    assert as_json["openapi"].startswith("3.") and "/tasks/{id}" in as_json["paths"]
    assert api.get("/openapi.yaml", auth=False).text.startswith("openapi:")


def test_sim_reset_clears_everything(api):
    api.wait_task(api.submit(infra="prod"))
    api.scenario(durations={"servers": 9})
    api.fault(route="GET /health", kind="status")
    api.data("POST", "/_sim/reset")
    assert api.data("GET", "/_sim/scenario")["durations"]["servers"] == 0.3  # the startup scenario
    assert api.data("GET", "/_sim/faults") == []
    assert api.data("GET", "/tasks") == []
    assert api.model()["prod"]["servers"] == []
    assert api.stats()["total_requests"] == 1  # only the GET /tasks above (/_sim/* is not counted)


def test_null_optional_fields_mean_default(api):
    task = api.wait_task(api.submit("/workflows/taskserv/create", infra="prod", taskserv="cilium", operation=None,
                                    settings=None, check_mode=None, wait=None))
    assert task["name"] == "create_taskserv" and task["args"] == ["cilium", "--infra", "prod"]


def test_huge_offset_and_oversized_body(api):
    assert api.data("GET", f"/tasks?offset={10**30}") == []
    response = api.post("/workflows/servers/create", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                        headers={"Content-Type": "application/json", "Authorization": f"Bearer {api.token}"},
                        check=False)
    assert response.status_code == 413 and response.json()["success"] is False
