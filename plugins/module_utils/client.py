# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client for the Provisioning Platform orchestrator.

One ``requests.Session`` (keep-alive) per module run. ``verify`` and ``proxies`` are passed on
every request so that ``validate_certs: false`` and ``ca_path`` cannot be overridden by
``REQUESTS_CA_BUNDLE``. Tolerates the wrapped ``{success, data, error}`` envelope and bare
bodies, and the documented task-id shapes. Authenticates with a token, or logs in with
username/password against ``auth_url``; on HTTP 401 it refreshes (or logs in again) once.
"""

import os
import time

try:
    from http.client import responses as HTTP_REASONS
except ImportError:  # pragma: no cover
    HTTP_REASONS = {}

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by the sanity import test
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

try:
    from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
except ImportError:  # pragma: no cover
    ANSIBLE_VERSION = "unknown"

from urllib.parse import quote, urlsplit

from ansible_collections.provisioning.platform.plugins.module_utils.errors import (
    ApiError, AuthenticationError, ConnectionFailure, NotFoundError, ProvisioningError,
    RequestTimeout, TLSFailure, UnknownSubmitOutcome, ValidationError, describe_cause,
)
from ansible_collections.provisioning.platform.plugins.module_utils.options import DEFAULT_URL
from ansible_collections.provisioning.platform.plugins.module_utils.redact import redact_text
from ansible_collections.provisioning.platform.plugins.module_utils.retry import RetryPolicy
from ansible_collections.provisioning.platform.plugins.module_utils.version import (
    COLLECTION_NAME, COLLECTION_VERSION,
)

USER_AGENT = "%s/%s (+ansible-core/%s)" % (COLLECTION_NAME, COLLECTION_VERSION, ANSIBLE_VERSION)

TASK_ID_KEYS = ("task_id", "id", "workflow_id", "batch_id")

# Names of exceptions (anywhere in the cause chain) proving the request never left this host.
_NOT_SENT_CAUSES = ("NewConnectionError", "NameResolutionError", "ConnectionRefusedError",
                    "gaierror", "ConnectTimeoutError", "ProxyError", "LocationParseError")

# Tests replace this to mount an in-process transport adapter.
SESSION_FACTORY = None


def new_session():
    if SESSION_FACTORY is not None:
        return SESSION_FACTORY()
    return requests.Session()


def extract_task_id(data):
    """Task id from a submission response payload: a bare string or ``{task_id|id|workflow_id}``."""
    if isinstance(data, str) and data.strip():
        return data.strip()
    if isinstance(data, dict):
        for key in TASK_ID_KEYS:
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
        for key in ("task", "data", "workflow"):
            if isinstance(data.get(key), (dict, str)):
                found = extract_task_id(data[key])
                if found:
                    return found
    return None


def _error_message(payload, text):
    if isinstance(payload, dict):
        err = payload.get("error")
        if isinstance(err, dict):
            err = err.get("message") or err.get("error") or err.get("detail")
        if isinstance(err, str) and err:
            return err
        for key in ("message", "detail", "msg"):
            value = payload.get(key)
            if isinstance(value, str) and value:
                return value
    if text:
        return text.strip()[:500]
    return None


def _not_sent(exc):
    seen = set()
    stack = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if type(item).__name__ in _NOT_SENT_CAUSES:
            return True
        stack.extend([getattr(item, "reason", None), item.__cause__, item.__context__])
        stack.extend(arg for arg in getattr(item, "args", ()) if isinstance(arg, BaseException))
    return False


class OrchestratorClient(object):
    """Thin, typed wrapper over the orchestrator REST API."""

    def __init__(self, url=DEFAULT_URL, auth_url=None, token=None, username=None, password=None,
                 mfa_code=None, validate_certs=True, ca_path=None, proxy=None, request_timeout=30.0,
                 max_retries=5, session=None, clock=time.monotonic, sleep=time.sleep, wall=time.time,
                 on_retry=None):
        self.base_url = self._check_url(url or DEFAULT_URL, "url", "PROVISIONING_URL")
        self.auth_base = self._check_url(auth_url, "auth_url", "PROVISIONING_AUTH_URL") if auth_url else self.base_url
        if ca_path and not os.path.exists(ca_path):
            raise ValidationError(
                "ca_path %s does not exist; point ca_path (PROVISIONING_CA_PATH) at a PEM CA bundle" % ca_path,
                field="ca_path")
        if (username is None) != (password is None):
            raise ValidationError("username and password must be given together (PROVISIONING_USERNAME, "
                                  "PROVISIONING_PASSWORD)", field="username" if username is None else "password")
        if request_timeout is not None and request_timeout <= 0:
            raise ValidationError("request_timeout must be a positive number of seconds, got %s" % request_timeout,
                                  field="request_timeout")
        if not HAS_REQUESTS:  # pragma: no cover - runner checks first
            raise ProvisioningError("the requests library is required")
        self.verify = (ca_path or True) if validate_certs else False
        self.proxies = {"http": proxy, "https": proxy} if proxy else None
        self.timeout = request_timeout
        self.username = username
        self._password = password
        self._mfa_code = mfa_code
        self._token = token or None
        self._refresh_token = None
        self.secrets = [s for s in (token, password, mfa_code) if s]
        self.retry = RetryPolicy(max_retries=max_retries, clock=clock, sleep=sleep, wall=wall, on_retry=on_retry)
        self.session = session if session is not None else new_session()
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}

    @staticmethod
    def _check_url(url, field, env):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError(
                "%s %r is not an http(s) URL; set %s (%s) to e.g. http://orchestrator.example.com:9090"
                % (field, url, field, env), field=field)
        return url.rstrip("/")

    # ---------------------------------------------------------------- low level
    def _remember_secret(self, value):
        if value and value not in self.secrets:
            self.secrets.append(value)

    def _send(self, method, url, params=None, body=None, auth=True):
        headers = dict(self.headers)
        if auth and self._token:
            headers["Authorization"] = "Bearer %s" % self._token
        base = self.auth_base if url.startswith(self.auth_base) and self.auth_base != self.base_url else self.base_url
        try:
            resp = self.session.request(method, url, params=params, json=body, headers=headers,
                                        timeout=self.timeout, verify=self.verify, proxies=self.proxies)
        except requests.exceptions.SSLError as exc:
            raise TLSFailure(base, exc, url=url)
        except requests.exceptions.ConnectTimeout as exc:
            raise RequestTimeout(base, exc, url=url, timeout=self.timeout, sent=False)
        except requests.exceptions.Timeout as exc:
            raise RequestTimeout(base, exc, url=url, timeout=self.timeout, sent=None)
        except requests.exceptions.ProxyError as exc:
            failure = ConnectionFailure(base, exc, url=url, sent=False)
            failure.msg = redact_text("Failed to connect to orchestrator at %s through proxy %s: %s; check proxy "
                                      "(PROVISIONING_PROXY)" % (base, self.proxies["https"] if self.proxies else
                                                                "(from environment)", describe_cause(exc)))
            raise failure
        except requests.exceptions.ConnectionError as exc:
            raise ConnectionFailure(base, exc, url=url, sent=False if _not_sent(exc) else None)
        except requests.exceptions.RequestException as exc:
            raise ConnectionFailure(base, exc, url=url, sent=False if _not_sent(exc) else None)
        return self._parse(resp, method, url)

    def _parse(self, resp, method, url):
        text = None
        try:
            payload = resp.json()
        except ValueError:
            payload = None
            text = resp.text
        envelope = isinstance(payload, dict) and isinstance(payload.get("success"), bool)
        failed = resp.status_code >= 400 or (envelope and payload.get("success") is False)
        if not failed:
            if envelope:
                return payload.get("data")
            return payload if payload is not None else text
        reason = resp.reason or HTTP_REASONS.get(resp.status_code, "")
        if resp.status_code < 400:
            reason = "%s (success: false)" % (reason or "OK")
        message = _error_message(payload, text)
        code = payload.get("code") if isinstance(payload, dict) else None
        cls = ApiError
        if resp.status_code == 401:
            cls = AuthenticationError
        elif resp.status_code == 404:
            cls = NotFoundError
        kwargs = dict(url=url, response=payload if payload is not None else (text or "")[:2000], method=method)
        if cls is AuthenticationError:
            raise AuthenticationError(resp.status_code, reason, message, **kwargs)
        raise cls(resp.status_code, reason, message, retry_after=resp.headers.get("Retry-After"), code=code, **kwargs)

    # ---------------------------------------------------------------- auth
    def _absorb_tokens(self, data, url):
        if isinstance(data, dict):
            token = data.get("token") or data.get("access_token")
            refresh = data.get("refresh_token")
        else:
            token, refresh = None, None
        if not isinstance(token, str) or not token:
            raise ApiError(None, server_error="the auth response carried no token", url=url, response=data)
        self._token = token
        self._remember_secret(token)
        if isinstance(refresh, str) and refresh:
            self._refresh_token = refresh
            self._remember_secret(refresh)

    def login(self, deadline=None):
        url = self.auth_base + "/auth/login"
        body = {"username": self.username, "password": self._password}
        if self._mfa_code:
            body["mfa_code"] = self._mfa_code
        try:
            data = self.retry.call(lambda: self._send("POST", url, body=body, auth=False), True, deadline)
        except (AuthenticationError, ApiError) as exc:
            if exc.status in (400, 401, 403):
                raise AuthenticationError(
                    exc.status, exc.reason, exc.server_error, url=url, response=exc.response, method="POST",
                    hint="Login as %r was rejected; check username/password (PROVISIONING_USERNAME/"
                         "PROVISIONING_PASSWORD) and mfa_code, or supply a token (PROVISIONING_TOKEN)" % self.username)
            if exc.status == 404:
                raise ApiError(exc.status, exc.reason, "no login endpoint at %s; set auth_url (PROVISIONING_AUTH_URL) "
                               "to the control center URL" % url, url=url, response=exc.response, method="POST")
            raise
        self._absorb_tokens(data, url)

    def refresh(self, deadline=None):
        url = self.auth_base + "/auth/refresh"
        body = {}
        if self._token:
            body["token"] = self._token
        if self._refresh_token:
            body["refresh_token"] = self._refresh_token
        data = self.retry.call(lambda: self._send("POST", url, body=body, auth=False), True, deadline)
        self._absorb_tokens(data, url)

    def _reauthenticate(self, deadline):
        """One refresh (or re-login) after a 401. Returns True when a new token was obtained."""
        if self._token or self._refresh_token:
            try:
                self.refresh(deadline)
                return True
            except (ApiError, ConnectionFailure):
                pass
        if self.username:
            self._token = None
            self.login(deadline)
            return True
        return False

    def _auth_hint(self):
        if self.username:
            return "Credentials for %r were accepted at login but the orchestrator rejected the token" % self.username
        if self._token:
            return "The token was rejected and could not be refreshed; supply a valid token (PROVISIONING_TOKEN) " \
                   "or username/password (PROVISIONING_USERNAME/PROVISIONING_PASSWORD)"
        return "The orchestrator requires authentication; set token (PROVISIONING_TOKEN) or username/password " \
               "(PROVISIONING_USERNAME/PROVISIONING_PASSWORD)"

    # ---------------------------------------------------------------- requests
    def request(self, method, path, params=None, body=None, idempotent=None, deadline=None, retry=True):
        """Send one API request (with retries when allowed) and return the unwrapped payload."""
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD", "OPTIONS")
        url = self.base_url + path

        def attempt():
            if self._token is None and self.username:
                self.login(deadline)
            try:
                return self._send(method, url, params=params, body=body)
            except AuthenticationError as exc:
                rejected = exc
            # One refresh (or re-login) after a 401, then the request once more.
            if self._reauthenticate(deadline):
                try:
                    return self._send(method, url, params=params, body=body)
                except AuthenticationError as exc:
                    rejected = exc
            raise AuthenticationError(rejected.status, rejected.reason, rejected.server_error, url=url,
                                      response=rejected.response, method=method, hint=self._auth_hint())

        if not retry:
            return attempt()
        return self.retry.call(attempt, idempotent, deadline)

    def get(self, path, params=None, deadline=None, retry=True):
        return self.request("GET", path, params=params, deadline=deadline, retry=retry)

    def submit(self, path, body, deadline=None):
        """POST that creates a workflow/batch. Never blindly re-sent.

        Raises UnknownSubmitOutcome when the request may have been processed (5xx, timeout or
        connection reset after sending). Raises ConnectionFailure only when it was provably not sent.
        """
        try:
            return self.request("POST", path, body=body, idempotent=False, deadline=deadline)
        except ApiError as exc:
            if exc.status is not None and exc.status >= 500:
                raise UnknownSubmitOutcome(exc, url=self.base_url + path)
            raise
        except TLSFailure:
            raise
        except ConnectionFailure as exc:
            if exc.sent is False:
                raise
            raise UnknownSubmitOutcome(exc, url=self.base_url + path)

    # ---------------------------------------------------------------- API helpers
    def list_tasks(self, status=None, limit=1000, offset=0, deadline=None):
        params = {"limit": int(limit), "offset": int(offset)}
        if status:
            params["status"] = status
        data = self.get("/tasks", params=params, deadline=deadline)
        return _as_list(data, ("tasks", "items", "data"))

    def get_task(self, task_id, deadline=None):
        data = self.get("/tasks/%s" % quote(str(task_id), safe=""), deadline=deadline)
        if isinstance(data, dict) and "id" not in data and isinstance(data.get("task"), dict):
            data = data["task"]
        return data

    def get_progress(self, task_id, deadline=None):
        # Only a hint for the poll schedule: a rate-limited or failed read must not make the wait
        # sleep out a Retry-After, so it is tried once and the waiter polls without it.
        data = self.get("/state/workflows/%s/progress" % quote(str(task_id), safe=""), deadline=deadline,
                        retry=False)
        return data if isinstance(data, dict) else None

    def list_batches(self, status=None, limit=1000, offset=0, deadline=None):
        params = {"limit": int(limit), "offset": int(offset)}
        if status:
            params["status"] = status
        data = self.get("/batch/operations", params=params, deadline=deadline)
        return _as_list(data, ("operations", "batches", "items", "data"))

    def get_batch(self, batch_id, deadline=None):
        return self.get("/batch/operations/%s" % quote(str(batch_id), safe=""), deadline=deadline)

    def cancel_batch(self, batch_id, deadline=None):
        return self.request("POST", "/batch/operations/%s/cancel" % quote(str(batch_id), safe=""),
                            idempotent=True, deadline=deadline)


def _as_list(data, keys):
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)]
    if isinstance(data, dict):
        for key in keys:
            if isinstance(data.get(key), list):
                return [item for item in data[key] if isinstance(item, dict)]
    return []
