"""Login, refresh, logout, token failures, denials (403) and rate limits (429)."""

import time

import pytest
from conftest import wait_for


def test_login_returns_token_and_user(api):
    data = api.login()
    assert data["token"] == data["access_token"] and data["token_type"] == "Bearer"
    assert data["expires_in"] == 900 and data["expires_at"].endswith("Z")
    assert data["user"] == {"id": "user-admin", "username": "admin", "email": "admin@example.com", "roles": ["admin"]}


@pytest.mark.parametrize("body, status, message", [
    ({"username": "admin", "password": "wrong"}, 401, "Invalid username or password"),
    ({"username": "nobody", "password": "x"}, 401, "Invalid username or password"),
    ({"password": "x"}, 400, "username:"),
    ({"username": "admin"}, 400, "password:"),
    ({"username": "mfa-user", "password": "mfa-password"}, 401, "MFA required"),
    ({"username": "mfa-user", "password": "mfa-password", "mfa_code": "000000"}, 401, "Invalid mfa_code"),
])
def test_login_failures(api, body, status, message):
    response = api.post("/auth/login", json=body, auth=False)
    assert response.status_code == status
    assert response.json()["error"].startswith(message)


def test_login_with_mfa(api):
    response = api.post("/auth/login", json={"username": "mfa-user", "password": "mfa-password", "mfa_code": "123456"})
    assert response.status_code == 200


@pytest.mark.parametrize("header, message", [
    (None, "Missing bearer token"),
    ("Basic abc", "Authorization header must be"),
    ("Bearer not.a.jwt", "Invalid token"),
])
def test_requests_without_a_valid_token_get_401(api, header, message):
    headers = {} if header is None else {"Authorization": header}
    response = api.get("/tasks", auth=False, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"].startswith(message)


def test_refresh_rotates_and_old_refresh_token_dies(api):
    first = api.login()
    response = api.post("/auth/refresh", json={"token": first["token"], "refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    second = response.json()["data"]
    assert second["token"] != first["token"]
    api.token = second["token"]
    assert api.get("/tasks").status_code == 200
    replay = api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and replay.json()["error"] == "Token revoked"
    # An access token is not a refresh token, but a current access token alone may refresh.
    assert api.post("/auth/refresh", json={"refresh_token": second["token"]}).status_code == 401
    assert api.post("/auth/refresh", json={"token": second["token"]}).status_code == 200
    assert api.post("/auth/refresh", json={}).status_code == 400


def test_logout_revokes_the_session(api):
    data = api.login()
    assert api.data("POST", "/auth/logout") == "Logged out"
    response = api.get("/tasks")
    assert response.status_code == 401 and response.json()["error"] == "Token revoked"
    refresh = api.post("/auth/refresh", json={"refresh_token": data["refresh_token"]})
    assert refresh.status_code == 401


def test_expired_token(api):
    api.scenario(auth={"token_ttl": 1.5})
    data = api.login()
    assert data["expires_in"] == 1.5
    assert api.get("/tasks").status_code == 200
    wait_for(lambda: api.get("/tasks").status_code == 401, timeout=5, what="expiry")
    assert api.get("/tasks").json()["error"] == "Token expired"


def test_denied_route_and_denied_infra(api):
    api.login("viewer", "viewer-password")
    response = api.post("/workflows/servers/create", json={"infra": "staging"})
    assert response.status_code == 403 and "may not call POST /workflows/servers/create" in response.json()["error"]
    response = api.post("/workflows/taskserv/create", json={"infra": "prod", "taskserv": "kubernetes"})
    assert response.status_code == 403 and "infra 'prod'" in response.json()["error"]
    assert api.post("/workflows/taskserv/create", json={"infra": "staging", "taskserv": "cilium"}).status_code == 200
    admin_task = None
    api.login()
    admin_task = api.submit(infra="prod")
    api.login("viewer", "viewer-password")
    assert api.get(f"/tasks/{admin_task}").status_code == 403
    assert api.get("/tasks").status_code == 200


def test_rate_limits_off_by_default(api):
    for _ in range(15):
        assert api.post("/auth/login", json={"username": "admin", "password": "x"}).status_code == 401


def test_auth_rate_limit(api):
    api.scenario(rate_limits={"enabled": True, "auth": 3, "window": 60})
    statuses = [api.post("/auth/login", json={"username": "admin", "password": "admin-demo-password"}).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api.post("/auth/login", json={"username": "admin", "password": "admin-demo-password"})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["X-RateLimit-Limit"] == "3" and limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert limited.json()["code"] == "RATE_LIMITED"
    assert api.stats()["rate_limited"] == 2


def test_status_and_submission_limits_are_separate_and_window_slides(api):
    api.scenario(rate_limits={"enabled": True, "status": 2, "submissions": 1, "window": 2})
    assert [api.get("/tasks").status_code for _ in range(3)] == [200, 200, 429]
    ok = api.post("/workflows/servers/create", json={"infra": "prod"})
    assert ok.status_code == 200 and ok.headers["X-RateLimit-Remaining"] == "0"
    assert api.post("/workflows/servers/create", json={"infra": "prod"}).status_code == 429
    wait_for(lambda: api.get("/tasks").status_code == 200, timeout=6, what="the window to slide")
    api.scenario(rate_limits={"enabled": False})
    assert all(api.get("/tasks").status_code == 200 for _ in range(5))


def test_no_auth_mode_accepts_anonymous_requests(new_server):
    _, client = new_server("--no-auth")
    assert client.get("/tasks").status_code == 200
    assert client.post("/workflows/servers/create", json={"infra": "prod"}).status_code == 200


def test_auth_port_serves_control_center(new_server):
    import socket

    with socket.socket() as probe:  # a free port for the second listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    srv, client = new_server("--auth-port", str(port))
    control = type(client)(f"http://127.0.0.1:{port}", client.checker)
    data = control.login()
    client.token = data["token"]
    assert client.get("/tasks").status_code == 200  # a Control Center token works on the orchestrator
    assert control.get("/tasks", check=False).status_code == 404  # the control center serves auth only
    assert control.data("POST", "/auth/logout") == "Logged out"
    assert client.get("/tasks").status_code == 401
