# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.provisioning.platform.plugins.module_utils.client import (
    USER_AGENT, OrchestratorClient, extract_task_id,
)
from ansible_collections.provisioning.platform.plugins.module_utils.errors import (
    ApiError, AuthenticationError, ConnectionFailure, NotFoundError, TLSFailure, UnknownSubmitOutcome,
    ValidationError,
)
from ansible_collections.provisioning.platform.tests.unit.fake_orchestrator import (
    FakeOrchestrator, make_session,
)


def make_client(fake, clock, **kwargs):
    return OrchestratorClient(session=make_session(fake), clock=clock.monotonic, sleep=clock.sleep,
                              wall=clock.time, **kwargs)


@pytest.mark.parametrize("data, expected", [
    ("abc", "abc"), ({"task_id": "t"}, "t"), ({"id": "i"}, "i"), ({"workflow_id": "w"}, "w"),
    ({"task": {"id": "n"}}, "n"), ({}, None), (None, None), ("", None),
])
def test_task_id_shapes(data, expected):
    assert extract_task_id(data) == expected


@pytest.mark.parametrize("envelope", ["wrapped", "bare"])
@pytest.mark.parametrize("id_shape", ["string", "task_id", "id", "workflow_id"])
def test_envelope_and_id_variants(clock, envelope, id_shape):
    fake = FakeOrchestrator(clock, envelope=envelope, id_shape=id_shape)
    client = make_client(fake, clock)
    task_id = extract_task_id(client.submit("/workflows/servers/create", {"infra": "prod"}))
    assert task_id == fake.tasks[-1].record["id"]
    assert client.get_task(task_id)["id"] == task_id
    assert [t["id"] for t in client.list_tasks()] == [task_id]


def test_success_false_with_http_200_is_a_failure(clock, fake):
    fake.add_fault("GET", "/tasks", "status", status=200, body={"success": False, "error": "db locked"})
    with pytest.raises(ApiError) as info:
        make_client(fake, clock, max_retries=0).list_tasks()
    assert "db locked" in info.value.msg and info.value.status == 200


def test_error_message_falls_back_to_message_key(clock, fake):
    fake.add_fault("GET", "/tasks", "status", status=400, body={"message": "limit must be <= 1000"})
    with pytest.raises(ApiError) as info:
        make_client(fake, clock).list_tasks()
    assert info.value.msg == "HTTP 400 Bad Request: limit must be <= 1000"


def test_404_is_not_found(clock, fake):
    with pytest.raises(NotFoundError) as info:
        make_client(fake, clock).get_task("nope")
    assert "Task not found: nope" in info.value.msg and info.value.status == 404


@pytest.mark.parametrize("kwargs, verify", [
    ({}, True), ({"validate_certs": False}, False), ({"validate_certs": False, "ca_path": __file__}, False),
    ({"ca_path": __file__}, __file__),
])
def test_verify_proxy_timeout_and_user_agent_on_every_request(clock, fake, kwargs, verify, monkeypatch):
    # REQUESTS_CA_BUNDLE must not override validate_certs=false or ca_path (verify is passed per request).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/env/bundle.pem")
    if verify is True:
        verify = "/env/bundle.pem"  # verification on: the environment's bundle is a legitimate choice
    client = make_client(fake, clock, proxy="http://proxy:3128", request_timeout=7.5, **kwargs)
    client.list_tasks()
    client.submit("/workflows/servers/create", {"infra": "prod"})
    for entry in fake.log:
        assert entry["verify"] == verify
        assert entry["proxies"]["https"] == "http://proxy:3128"
        assert entry["timeout"] == 7.5
        assert entry["headers"]["User-Agent"] == USER_AGENT


def test_one_session_reused(clock, fake):
    client = make_client(fake, clock)
    session = client.session
    client.list_tasks()
    client.list_tasks()
    assert client.session is session and len(fake.log) == 2


def test_bad_url_and_ca_path_and_half_credentials(clock, fake):
    with pytest.raises(ValidationError) as info:
        make_client(fake, clock, url="localhost:9090")
    assert info.value.field == "url" and "PROVISIONING_URL" in info.value.msg
    with pytest.raises(ValidationError) as info:
        make_client(fake, clock, ca_path="/nonexistent/ca.pem")
    assert info.value.field == "ca_path"
    with pytest.raises(ValidationError):
        make_client(fake, clock, username="admin")


def test_login_with_credentials_and_bearer_on_requests(clock):
    fake = FakeOrchestrator(clock, auth=True)
    client = make_client(fake, clock, username="admin", password="s3cret-pass")
    client.list_tasks()
    login = fake.log[0]
    assert login["path"] == "/auth/login" and login["body"]["username"] == "admin"
    assert fake.log[1]["headers"]["Authorization"].startswith("Bearer eyJ")


def test_separate_auth_url(clock):
    fake = FakeOrchestrator(clock, auth=True)
    client = make_client(fake, clock, url="http://orch:9090", auth_url="http://cc:9080",
                         username="admin", password="s3cret-pass")
    client.list_tasks()
    assert fake.log[0]["url"] == "http://cc:9080/auth/login"
    assert fake.log[1]["url"].startswith("http://orch:9090/tasks")


def test_bad_credentials_message(clock):
    fake = FakeOrchestrator(clock, auth=True)
    client = make_client(fake, clock, username="admin", password="wrong")
    with pytest.raises(AuthenticationError) as info:
        client.list_tasks()
    assert "HTTP 401" in info.value.msg and "PROVISIONING_PASSWORD" in info.value.msg
    assert "wrong" not in info.value.msg


def test_refresh_once_on_401_sends_token_and_refresh_token(clock):
    fake = FakeOrchestrator(clock, auth=True)
    client = make_client(fake, clock, username="admin", password="s3cret-pass")
    client.list_tasks()
    fake.tokens.clear()  # token expired / revoked
    client.list_tasks()
    refresh = [e for e in fake.log if e["path"] == "/auth/refresh"]
    assert len(refresh) == 1
    assert set(refresh[0]["body"]) == {"token", "refresh_token"}
    assert fake.log[-1]["path"] == "/tasks"


def test_refresh_failure_falls_back_to_login(clock):
    fake = FakeOrchestrator(clock, auth=True)
    client = make_client(fake, clock, username="admin", password="s3cret-pass")
    client.list_tasks()
    fake.tokens.clear()
    fake.refresh_tokens.clear()
    client.list_tasks()
    paths = [e["path"] for e in fake.log]
    assert paths == ["/auth/login", "/tasks", "/tasks", "/auth/refresh", "/auth/login", "/tasks"]


def test_static_token_rejected_fails_with_hint(clock):
    fake = FakeOrchestrator(clock, auth=True)
    client = make_client(fake, clock, token="eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln")
    with pytest.raises(AuthenticationError) as info:
        client.list_tasks()
    assert "PROVISIONING_TOKEN" in info.value.msg
    assert "eyJhbGciOiJub25lIn0" not in info.value.msg


def test_connection_refused_names_host_and_cause(clock, fake):
    fake.add_fault("GET", "/tasks", "refuse", count=-1)
    client = make_client(fake, clock, url="http://orch.example:9090", max_retries=2)
    with pytest.raises(ConnectionFailure) as info:
        client.list_tasks()
    assert info.value.msg.startswith("Failed to connect to orchestrator at http://orch.example:9090: ")
    assert "ConnectionRefusedError" in info.value.msg
    assert fake.count("GET", "/tasks") == 3  # retried


def test_tls_error_is_not_retried_and_explains_fix(clock, fake):
    fake.add_fault("GET", "/tasks", "ssl", count=-1)
    with pytest.raises(TLSFailure) as info:
        make_client(fake, clock, url="https://orch:9443").list_tasks()
    assert "ca_path" in info.value.msg and fake.count() == 1


def test_get_retried_on_503_with_retry_after(clock, fake):
    fake.add_fault("GET", "/tasks", "status", count=2, status=503, headers={"Retry-After": "2"})
    client = make_client(fake, clock)
    assert client.list_tasks() == []
    # Retry-After is a minimum; at most 10% jitter is added on top.
    assert len(clock.sleeps) == 2 and all(2.0 <= s <= 2.2 for s in clock.sleeps)


@pytest.mark.parametrize("kind", ["status", "reset_after_commit", "timeout_after_commit"])
def test_submit_unknown_outcome_is_not_resent(clock, fake, kind):
    fake.add_fault("POST", "/workflows", kind, status=503)
    client = make_client(fake, clock)
    with pytest.raises(UnknownSubmitOutcome):
        client.submit("/workflows/servers/create", {"infra": "prod"})
    assert len(fake.submissions()) == 1


def test_submit_not_sent_is_retried_safely(clock, fake):
    fake.add_fault("POST", "/workflows", "refuse", count=1)
    client = make_client(fake, clock)
    assert client.submit("/workflows/servers/create", {"infra": "prod"})
    assert len(fake.submissions()) == 2 and len(fake.tasks) == 1


def test_submit_429_is_retried_after_retry_after(clock, fake):
    fake.add_fault("POST", "/workflows", "status", status=429, headers={"Retry-After": "1"})
    client = make_client(fake, clock)
    assert client.submit("/workflows/servers/create", {"infra": "prod"})
    assert len(clock.sleeps) == 1 and 1.0 <= clock.sleeps[0] <= 1.1 and len(fake.tasks) == 1


def test_non_json_error_body(clock, fake):
    fake.add_fault("GET", "/tasks", "status", status=500, body=None)
    fake.faults[-1].body = None
    client = make_client(fake, clock, max_retries=0)
    with pytest.raises(ApiError) as info:
        client.list_tasks()
    assert info.value.status == 500


def test_progress_hint_is_read_once_even_when_rate_limited(clock, fake):
    """The ETA only shapes the poll schedule: a 429 on it must not cost a Retry-After sleep."""
    fake.add_fault("GET", "/state/workflows/", "status", count=1, status=429, headers={"Retry-After": "30"})
    client = make_client(fake, clock)
    with pytest.raises(ApiError) as info:
        client.get_progress("6f1c2c7e-3d7a-4d0e-9a53-2b1f0c9c1a11")
    assert info.value.status == 429 and clock.sleeps == [] and fake.count() == 1
