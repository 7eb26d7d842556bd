"""WebSocket /ws: both authentication styles, event payloads, filters, client commands."""

import json
import signal
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


def ws_url(api, query=""):
    return api.url.replace("http", "ws", 1) + "/ws" + query


def receive_until(ws, predicate, timeout=5.0):
    """Collect messages until one satisfies `predicate`; return all collected."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        seen.append(message)
        if predicate(message):
            return seen
    raise AssertionError(f"no matching message; saw {seen}")


def test_token_in_query_and_task_events(api):
    with connect(ws_url(api, f"?token={api.token}")) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "authenticated" and hello["user"] == "admin"
        task_id = api.submit(infra="prod")
        events = receive_until(ws, lambda m: m.get("data", {}).get("status") == "Completed"
                               and m["event_type"] == "TaskStatusChanged")
    changes = [e for e in events if e["event_type"] == "TaskStatusChanged"]
    assert [(e["data"]["previous_status"], e["data"]["status"]) for e in changes] == [
        (None, "Pending"), ("Pending", "Running"), ("Running", "Completed")]
    assert all(e["data"]["task_id"] == task_id and e["data"]["name"] == "create_servers" for e in changes)
    assert changes[0]["metadata"]["infra"] == "prod" and changes[0]["timestamp"].endswith("Z")
    progress = [e for e in events if e["event_type"] == "WorkflowProgressUpdate"]
    assert progress and {"workflow_id", "progress", "current_step", "total_steps", "completed_steps",
                         "estimated_time_remaining"} <= set(progress[0]["data"])


def test_auth_message_and_batch_filter(api):
    with connect(ws_url(api, "?events=batch")) as ws:
        ws.send(json.dumps({"type": "auth", "token": api.token}))
        assert json.loads(ws.recv(timeout=5))["events"] == ["BatchOperationUpdate"]
        batch = api.data("POST", "/batch/execute", json={
            "name": "ws", "operations": [{"id": "a", "type": "server_batch", "infra": "wsb"}]})
        events = receive_until(ws, lambda m: m["data"]["status"] == "Completed")
    assert {e["event_type"] for e in events} == {"BatchOperationUpdate"}
    final = events[-1]
    assert final["data"]["batch_id"] == batch["id"] and final["data"]["operations"][0]["status"] == "Completed"
    assert final["metadata"] == {"total_operations": 1, "completed_operations": 1, "failed_operations": 0}


@pytest.mark.parametrize("first", [None, {"type": "subscribe"}, {"type": "auth", "token": "bad"}])
def test_unauthenticated_sockets_are_closed(api, first):
    query = "?token=bad" if first is None else ""
    with connect(ws_url(api, query)) as ws:
        if first is not None:
            ws.send(json.dumps(first))
        error = json.loads(ws.recv(timeout=5))
        assert error["type"] == "error"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 4401


def test_ping_subscribe_unsubscribe_and_bad_messages(api):
    with connect(ws_url(api, f"?token={api.token}")) as ws:
        ws.recv(timeout=5)
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "pong"}
        ws.send(json.dumps({"type": "unsubscribe", "events": ["workflow", "batch"]}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "unsubscribed", "events": ["TaskStatusChanged"]}
        ws.send("not json")
        assert json.loads(ws.recv(timeout=5))["error"] == "message: invalid JSON"
        ws.send(json.dumps({"type": "subscribe", "events": ["nonsense"]}))
        assert "unknown event type" in json.loads(ws.recv(timeout=5))["error"]
        api.submit(infra="prod")
        events = receive_until(ws, lambda m: m["data"]["status"] == "Running")
        assert {e["event_type"] for e in events} == {"TaskStatusChanged"}


def test_unknown_event_filter_is_400(api):
    response = api.get("/ws?events=nonsense", check=False, headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 400 and response.json()["error"].startswith("events:")


def test_sigterm_closes_open_sockets_promptly(new_server):
    srv, api = new_server("--no-auth")
    with connect(ws_url(api)) as ws, connect(ws_url(api).replace("/ws", "/ws?events=task")) as other:
        ws.recv(timeout=5)
        other.recv(timeout=5)
        start = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert srv.proc.wait(timeout=10) == 0
    assert closed.value.rcvd.code == 1001
    assert time.monotonic() - start < 3
