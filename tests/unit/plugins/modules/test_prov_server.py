# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import pytest

from ansible_collections.provisioning.platform.plugins.modules import prov_server

SERVERS = "/usr/local/provisioning servers create"


def test_create_then_converge(run_module, fake):
    first = run_module(prov_server.main, {"infra": "prod"})
    assert not first.failed, first
    assert first["changed"] is True and first["attached"] is False and first["converged"] is False
    assert first["task"]["status"] == "Completed" and first["task"]["name"] == "create_servers"
    assert first["ansible_facts"]["prov_server_task"]["id"] == first["task_id"]
    assert first["plan"] is None and first["elapsed"] > 0
    assert first["signature"] == "servers:create::infra=prod:settings="
    second = run_module(prov_server.main, {"infra": "prod"})
    assert second["changed"] is False and second["converged"] is True
    assert second["task_id"] == first["task_id"]
    assert len(fake.submissions()) == 1


def test_request_body_and_cli_wait_flag(run_module, fake):
    run_module(prov_server.main, {"infra": "prod", "settings": "prod.ncl", "wait_for_servers": True})
    body = fake.submissions()[0]["body"]
    assert body == {"infra": "prod", "settings": "prod.ncl", "check_mode": False, "wait": True}


def test_attaches_to_in_flight_task(run_module, fake):
    running = fake.add_task("create_servers", SERVERS, ["--infra", "prod", "--wait"], status="Running", age=5)
    fake.task(running["id"]).static = False
    fake.task(running["id"]).duration = 30
    result = run_module(prov_server.main, {"infra": "prod"})
    assert result["attached"] is True and result["changed"] is True
    assert result["task_id"] == running["id"] and result["task"]["status"] == "Completed"
    assert fake.submissions() == []


def test_force_submits_even_when_converged(run_module, fake):
    fake.add_task("create_servers", SERVERS, ["--infra", "prod"], status="Completed")
    result = run_module(prov_server.main, {"infra": "prod", "force": True})
    assert result["changed"] is True and len(fake.submissions()) == 1


def test_wait_false_returns_task_id_at_once(run_module, fake, clock):
    start = clock.t
    result = run_module(prov_server.main, {"infra": "prod", "wait": False})
    assert result["changed"] is True and result["task_id"] == fake.tasks[-1].record["id"]
    assert result["task"]["status"] == "Pending"
    assert clock.t == start


def test_failed_task_fails_with_error_and_output(run_module, fake):
    fake.next_outcome.append(("Failed", "partial log", "quota exceeded in de-fra1"))
    result = run_module(prov_server.main, {"infra": "prod"})
    assert result.failed and result["changed"] is True
    assert result["msg"] == 'Failed to create server workflow for infra "prod": task %s ended Failed: ' \
                            'quota exceeded in de-fra1' % result["task_id"]
    assert result["error"] == "quota exceeded in de-fra1" and result["output"] == "partial log"
    assert result["task"]["status"] == "Failed"
    # a rerun submits again (the newest matching task failed)
    again = run_module(prov_server.main, {"infra": "prod"})
    assert not again.failed and len(fake.submissions()) == 2


def test_timeout_then_next_run_attaches(run_module, fake):
    fake.duration = 100
    result = run_module(prov_server.main, {"infra": "prod", "wait_timeout": 10})
    assert result.failed and result["changed"] is True
    assert result["last_status"] == "Running" and result["task_id"]
    assert result["last_task"]["id"] == result["task_id"]
    assert "timed out after 10.0s" in result["msg"] and result["task_id"] in result["msg"]
    again = run_module(prov_server.main, {"infra": "prod"})
    assert again["attached"] is True and again["task_id"] == result["task_id"]
    assert again["task"]["status"] == "Completed" and len(fake.submissions()) == 1


def test_check_mode_dry_run_and_diff(run_module, fake):
    result = run_module(prov_server.main, {"infra": "prod"}, check_mode=True, diff=True)
    assert not result.failed, result
    assert result["changed"] is True and result["task"] is None and result["task_id"] is None
    assert result["ansible_facts"]["prov_server_task"] is None
    subs = fake.submissions()
    assert len(subs) == 1 and subs[0]["body"]["check_mode"] is True
    assert "--check" in fake.tasks[-1].record["args"]
    assert result["plan"]["output"] == "PLAN: would create servers on prod"
    assert result["plan"]["dry_run_task_id"] == result["dry_run_task"]["id"]
    assert "PLAN: would create servers on prod" in result["diff"]["after"]
    assert "no task for this workflow" in result["diff"]["before"]
    # the dry run does not make a real run converge
    real = run_module(prov_server.main, {"infra": "prod"})
    assert real["changed"] is True and real["converged"] is False
    assert fake.submissions()[-1]["body"]["check_mode"] is False


def test_check_mode_local_prediction_sends_nothing(run_module, fake):
    result = run_module(prov_server.main, {"infra": "prod", "check_mode_dry_run": False}, check_mode=True, diff=True)
    assert result["changed"] is True and fake.submissions() == []
    assert result["plan"]["action"] == "submit" and result["plan"]["output"] is None
    assert result["plan"]["body"] == {"infra": "prod", "check_mode": False, "wait": False}
    assert "would run: /usr/local/provisioning servers create --infra prod" in result["diff"]["after"]


def test_check_mode_agrees_with_real_run_when_converged(run_module, fake):
    fake.add_task("create_servers", SERVERS, ["--infra", "prod"], status="Completed")
    result = run_module(prov_server.main, {"infra": "prod"}, check_mode=True, diff=True)
    assert result["changed"] is False and result["converged"] is True and fake.submissions() == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_check_mode_in_flight_predicts_attach(run_module, fake):
    fake.add_task("create_servers", SERVERS, ["--infra", "prod"], status="Running")
    result = run_module(prov_server.main, {"infra": "prod"}, check_mode=True)
    assert result["changed"] is True and result["attached"] is True and result["plan"]["action"] == "attach"
    assert fake.submissions() == []


def test_check_mode_dry_run_failure_fails(run_module, fake):
    fake.next_outcome.append(("Failed", "", "settings file not found"))
    result = run_module(prov_server.main, {"infra": "prod"}, check_mode=True)
    assert result.failed and result["changed"] is False
    assert "dry run" in result["msg"] and "settings file not found" in result["msg"]


def test_submit_503_message_format(run_module, fake):
    fake.add_fault("POST", "/workflows", "status", status=503, count=-1,
                   body={"success": False, "data": None, "error": "orchestrator is draining"})
    result = run_module(prov_server.main, {"infra": "prod"})
    assert result.failed and result["changed"] is False
    assert result["msg"] == 'Failed to create server workflow for infra "prod": HTTP 503 Service Unavailable: ' \
                            'orchestrator is draining'
    assert result["status"] == 503 and result["url"] == "http://localhost:9090/workflows/servers/create"
    assert result["response"]["error"] == "orchestrator is draining"
    assert len(fake.submissions()) == 2  # provably absent after the first: re-submitted exactly once


def test_lost_response_recovered_without_duplicate(run_module, fake):
    fake.add_fault("POST", "/workflows", "reset_after_commit")
    result = run_module(prov_server.main, {"infra": "prod"})
    assert not result.failed and result["changed"] is True
    assert len(fake.submissions()) == 1 and len(fake.tasks) == 1


def test_connection_refused_names_host_and_cause(run_module, fake):
    fake.add_fault("GET", "/tasks", "refuse", count=-1)
    result = run_module(prov_server.main, {"infra": "prod", "url": "http://orch.example:9090", "max_retries": 1})
    assert result.failed
    assert result["msg"].startswith('Failed to create server workflow for infra "prod": Failed to connect to '
                                    'orchestrator at http://orch.example:9090: ConnectionRefusedError')
    assert "Traceback" not in result["msg"] and fake.submissions() == []


@pytest.mark.parametrize("args, field", [
    ({"infra": ""}, "infra"),
    ({"infra": "   "}, "infra"),
    ({"infra": "a b"}, "infra"),
    ({"infra": "prod", "url": "ftp://x"}, "url"),
    ({"infra": "prod", "wait_timeout": -1}, "wait_timeout"),
    ({"infra": "prod", "ca_path": "/nonexistent.pem"}, "ca_path"),
])
def test_bad_input_fails_before_anything_is_sent(run_module, fake, args, field):
    result = run_module(prov_server.main, args)
    assert result.failed and result["field"] == field and field in result["msg"]
    assert fake.log == []  # nothing sent at all


def test_wrong_type_is_rejected_by_argspec(run_module, fake):
    result = run_module(prov_server.main, {"infra": "prod", "wait_timeout": "soon"})
    assert result.failed and "wait_timeout" in result["msg"] and fake.log == []


def test_secrets_never_in_results(run_module, fake):
    fake.auth = True
    result = run_module(prov_server.main, {"infra": "prod", "username": "admin", "password": "s3cret-pass"})
    assert not result.failed, result
    text = json.dumps(result)
    assert "s3cret-pass" not in text
    for token in fake.tokens:
        assert token not in text


def test_token_echoed_by_server_is_redacted_in_failures(run_module, fake):
    token = fake.issue_token()
    fake.auth = True
    fake.add_fault("POST", "/workflows", "status", status=400, count=-1,
                   body={"success": False, "error": "bad request from Bearer %s" % token, "token": token})
    result = run_module(prov_server.main, {"infra": "prod", "token": token})
    assert result.failed
    assert token not in json.dumps(result)


def test_unexpected_error_is_reported_without_secrets(run_module, fake, monkeypatch):
    """A bug of ours still fails cleanly: no traceback in msg, no secret in msg or traceback."""
    from ansible_collections.provisioning.platform.plugins.module_utils import engine

    def broken_lookup(self, spec, deadline):
        raise RuntimeError("lookup broke while holding s3cret-pass")

    monkeypatch.setattr(engine.Engine, "lookup", broken_lookup)
    result = run_module(prov_server.main, {"infra": "prod", "username": "admin", "password": "s3cret-pass"})
    assert result.failed and "unexpected RuntimeError" in result["msg"]
    assert "Traceback" not in result["msg"]
    assert "s3cret-pass" not in json.dumps(result)  # the traceback, where Ansible keeps it, included


def test_bad_credentials_message(run_module, fake):
    fake.auth = True
    result = run_module(prov_server.main, {"infra": "prod", "username": "admin", "password": "nope-nope"})
    assert result.failed and result["status"] == 401
    assert "HTTP 401 Unauthorized: Invalid credentials" in result["msg"]
    assert "PROVISIONING_USERNAME" in result["msg"] and fake.submissions() == []


def test_env_fallback_for_connection(run_module, fake, monkeypatch):
    monkeypatch.setenv("PROVISIONING_URL", "http://from-env:9999")
    run_module(prov_server.main, {"infra": "prod"})
    assert all(e["url"].startswith("http://from-env:9999/") for e in fake.log)
