"""Each fault kind, fault bookkeeping (count, probability, removal) and /_sim/stats."""

import time

import pytest
import requests
from conftest import wait_for

SUBMIT = "POST /workflows/servers/create"


def test_status_fault_with_retry_after_then_recovers(api):
    fault = api.fault(route=SUBMIT, kind="status", status=503, retry_after=2, count=2)
    assert fault["id"] and fault["remaining"] == 2
    for _ in range(2):
        response = api.post("/workflows/servers/create", json={"infra": "prod"})
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
        assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert api.post("/workflows/servers/create", json={"infra": "prod"}).status_code == 200
    assert len(api.data("GET", "/tasks")) == 1  # rejected submissions created nothing
    assert api.data("GET", "/_sim/faults") == []  # exhausted faults disarm themselves
    stats = api.stats()
    assert stats["requests"][SUBMIT] == {"200": 1, "503": 2}
    assert stats["faults_fired"] == {"status": 2}


def test_502_and_429_bursts_on_any_route(api):
    api.fault(route="GET *", kind="status", status=502, count=1)
    assert api.get("/tasks", check=False).status_code == 502
    api.fault(route="*", kind="status", status=429, retry_after=1, count=1)
    limited = api.get("/tasks/00000000-0000-0000-0000-000000000000")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"


def test_reset_drops_the_connection_and_commits_nothing(api):
    api.fault(route=SUBMIT, kind="reset", count=1)
    with pytest.raises(requests.ConnectionError):
        api.post("/workflows/servers/create", json={"infra": "prod"})
    assert api.data("GET", "/tasks") == []
    assert api.stats()["requests"][SUBMIT] == {"reset": 1}


def test_lost_response_commits_the_task_but_the_client_never_hears(api):
    api.fault(route=SUBMIT, kind="lost_response", count=1)
    with pytest.raises(requests.ConnectionError):
        api.post("/workflows/servers/create", json={"infra": "prod"})
    tasks = api.data("GET", "/tasks")
    assert len(tasks) == 1 and tasks[0]["name"] == "create_servers"
    assert api.wait_task(tasks[0]["id"])["status"] == "Completed"


def test_slow_response(api):
    api.fault(route="GET /tasks", kind="slow", delay=0.4, count=1)
    start = time.monotonic()
    assert api.get("/tasks").status_code == 200
    assert time.monotonic() - start >= 0.4
    assert api.data("GET", "/_sim/faults") == []  # one shot: later requests are not slowed


def test_malformed_json(api):
    api.fault(route="GET /tasks/{id}", kind="malformed", count=1)
    task_id = api.submit(infra="prod")
    response = api.get(f"/tasks/{task_id}", check=False)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        response.json()
    assert api.task(task_id)["id"] == task_id


def test_success_false_with_200(api):
    api.fault(route=SUBMIT, kind="success_false", error="orchestrator busy", count=1)
    response = api.post("/workflows/servers/create", json={"infra": "prod"}, check=False)
    assert response.status_code == 200
    assert response.json() == {"success": False, "data": None, "error": "orchestrator busy"}
    assert api.data("GET", "/tasks") == []


def test_expire_token_invalidates_the_current_token(api):
    api.fault(route="GET /tasks", kind="expire_token", count=1)
    first = api.get("/tasks")
    assert first.status_code == 401 and first.json()["error"] == "Token expired"
    assert api.get("/state/system/health").status_code == 401  # the token stays dead
    api.login()
    assert api.get("/tasks").status_code == 200


def test_expire_token_on_login_issues_short_lived_tokens(api):
    api.fault(route="POST /auth/login", kind="expire_token", ttl=1.5, count=1)
    data = api.login()
    assert data["expires_in"] == 1.5
    assert api.get("/tasks").status_code == 200
    wait_for(lambda: api.get("/tasks").status_code == 401, timeout=5, what="the short token to expire")


def test_probability_and_listing_and_removal(api):
    never = api.fault(route="GET /tasks", kind="status", status=503, probability=0.0)
    always = api.fault(route="GET /state/system/health", kind="status", status=503, probability=1.0)
    assert {f["id"] for f in api.data("GET", "/_sim/faults")} == {never["id"], always["id"]}
    assert all(api.get("/tasks").status_code == 200 for _ in range(20))
    assert all(api.get("/state/system/health").status_code == 503 for _ in range(5))
    assert api.data("DELETE", f"/_sim/faults/{always['id']}")
    assert api.get("/state/system/health").status_code == 200
    assert api.delete("/_sim/faults/999").status_code == 404
    api.data("DELETE", "/_sim/faults")
    assert api.data("GET", "/_sim/faults") == []


def test_random_probability_fires_some_of_the_time(api):
    api.fault(route="GET /tasks", kind="status", status=503, probability=0.5)
    statuses = [api.get("/tasks").status_code for _ in range(60)]
    assert 5 < statuses.count(503) < 55


@pytest.mark.parametrize("fault, message", [
    ({"kind": "explode"}, "fault.kind: must be one of"),
    ({"kind": "status", "status": 200}, "fault.status:"),
    ({"kind": "status", "route": "tasks"}, "fault.route:"),
    ({"kind": "slow", "delay": -1}, "fault.delay:"),
    ({"kind": "reset", "probability": 2}, "fault.probability:"),
    ({"kind": "reset", "count": 0}, "fault.count:"),
    ({"kind": "reset", "colour": "red"}, "fault: unknown key(s) colour"),
    ({"kind": {"not": "hashable"}}, "fault.kind: must be one of"),
])
def test_invalid_faults_are_rejected(api, fault, message):
    response = api.post("/_sim/faults", json=fault)
    assert response.status_code == 400 and response.json()["error"].startswith(message)


def test_faults_from_the_scenario_file(new_server, tmp_path):
    from conftest import write_scenario

    scenario = write_scenario(tmp_path, "faults:\n  - {route: 'GET /tasks', kind: status, status: 503, count: 1}\n")
    _, client = new_server("--no-auth", scenario=scenario)
    assert client.get("/tasks").status_code == 503
    assert client.get("/tasks").status_code == 200


def test_stats_count_requests_and_reset(api):
    api.get("/tasks")
    api.get("/tasks/nope")
    api.submit("/workflows/taskserv/create", infra="prod", taskserv="kubernetes")
    stats = api.stats()
    assert stats["requests"]["GET /tasks"] == {"200": 1}
    assert stats["requests"]["GET /tasks/{id}"] == {"404": 1}
    assert stats["tasks_created"]["taskserv"] == 1
    assert stats["status_totals"]["200"] >= 2 and "/_sim/stats" not in str(stats["requests"])
    api.data("POST", "/_sim/stats/reset")
    assert api.stats()["total_requests"] == 0
