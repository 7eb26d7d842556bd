# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed exceptions raised by the client and the engine.

They are converted to ``fail_json`` in exactly one place (``runner.py``). Every message and
``response`` is redacted when the exception is built.
"""

from ansible_collections.provisioning.platform.plugins.module_utils.redact import redact, redact_text


class ProvisioningError(Exception):
    """Base class. ``msg`` is user-facing; ``extra`` is merged into the failure result."""

    def __init__(self, msg, status=None, url=None, response=None, extra=None):
        self.msg = redact_text(str(msg))
        self.status = status
        self.url = redact_text(url) if url else url
        self.response = redact(response)
        self.extra = redact(dict(extra or {}))
        super(ProvisioningError, self).__init__(self.msg)

    def result_fields(self):
        """Keys added to the failure result (never the message)."""
        out = {}
        if self.status is not None:
            out["status"] = self.status
        if self.url:
            out["url"] = self.url
        if self.response is not None:
            out["response"] = self.response
        out.update(self.extra)
        return out


class ApiError(ProvisioningError):
    """The orchestrator answered with HTTP >= 400 or ``success: false``."""

    def __init__(self, status, reason=None, server_error=None, url=None, response=None,
                 method=None, retry_after=None, code=None):
        self.reason = reason or ""
        self.server_error = redact_text(server_error) if server_error else server_error
        self.method = method
        self.retry_after = retry_after
        self.code = code
        if status is not None:
            head = "HTTP %s %s" % (status, self.reason) if self.reason else "HTTP %s" % status
        else:
            head = "orchestrator reported failure"
        msg = head.strip()
        if self.server_error:
            msg = "%s: %s" % (msg, self.server_error)
        super(ApiError, self).__init__(msg, status=status, url=url, response=response)


class NotFoundError(ApiError):
    """HTTP 404."""


class AuthenticationError(ApiError):
    """HTTP 401 (after one refresh / re-login attempt), or a failed login."""

    def __init__(self, status, reason=None, server_error=None, url=None, response=None,
                 method=None, hint=None):
        super(AuthenticationError, self).__init__(status, reason, server_error, url, response, method)
        if hint:
            self.msg = redact_text("%s. %s" % (self.msg.rstrip("."), hint))
            self.args = (self.msg,)


class ConnectionFailure(ProvisioningError):
    """The orchestrator could not be reached. The message names the host and the cause."""

    def __init__(self, base_url, cause, url=None, sent=None):
        self.base_url = base_url
        self.cause = cause
        self.sent = sent
        msg = "Failed to connect to orchestrator at %s: %s" % (base_url, describe_cause(cause))
        super(ConnectionFailure, self).__init__(msg, url=url)


class TLSFailure(ConnectionFailure):
    """TLS handshake or certificate verification failed; the message says how to fix it."""

    def __init__(self, base_url, cause, url=None):
        super(TLSFailure, self).__init__(base_url, cause, url=url, sent=False)
        self.msg = redact_text(
            "TLS error talking to orchestrator at %s: %s. If the server uses a private CA, set "
            "ca_path (PROVISIONING_CA_PATH) to its CA bundle; to skip verification (insecure) set "
            "validate_certs: false (PROVISIONING_VALIDATE_CERTS=false)." % (base_url, describe_cause(cause)))
        self.args = (self.msg,)


class RequestTimeout(ConnectionFailure):
    """No response within request_timeout."""

    def __init__(self, base_url, cause, url=None, timeout=None, sent=None):
        super(RequestTimeout, self).__init__(base_url, cause, url=url, sent=sent)
        self.msg = redact_text(
            "Timed out after %ss waiting for the orchestrator at %s to answer (%s); raise "
            "request_timeout (PROVISIONING_REQUEST_TIMEOUT) if the server is slow."
            % (timeout, base_url, describe_cause(cause)))
        self.args = (self.msg,)


class ValidationError(ProvisioningError):
    """Bad module input, detected locally before anything is sent."""

    def __init__(self, msg, field=None):
        self.field = field
        super(ValidationError, self).__init__(msg, extra={"field": field} if field else None)


class UnknownSubmitOutcome(ProvisioningError):
    """A workflow-creating POST may or may not have been accepted (timeout, reset after send, 5xx)."""

    def __init__(self, cause, url=None):
        self.cause = cause
        fields = cause.result_fields() if isinstance(cause, ProvisioningError) else {}
        super(UnknownSubmitOutcome, self).__init__(
            getattr(cause, "msg", str(cause)), status=fields.get("status"), url=url or fields.get("url"),
            response=fields.get("response"))


class TaskFailed(ProvisioningError):
    """The task (or batch) reached Failed or Cancelled."""

    def __init__(self, task, what="task"):
        self.task = redact(task or {})
        status = self.task.get("status")
        error = self.task.get("error")
        msg = "%s %s ended %s" % (what, self.task.get("id") or self.task.get("batch_id"), status)
        if error:
            msg += ": %s" % error
        super(TaskFailed, self).__init__(msg, extra={
            "task_status": status, "error": error, "output": self.task.get("output")})


class WaitTimeout(ProvisioningError):
    """wait_timeout elapsed before the task reached a terminal status.

    ``records`` holds the newest record seen of every task waited on (multi-task waits), so the
    failure result never reports an older snapshot than ``last_task``.
    """

    REATTACH = "it is still tracked by the orchestrator and the next run attaches to it"

    def __init__(self, task_id, last_status, elapsed, last_task, what="task", records=None):
        self.task_id = task_id
        self.what = what
        self.elapsed = elapsed
        self.last_task = redact(last_task)
        self.records = records or {}
        super(WaitTimeout, self).__init__("", extra={"last_status": last_status, "last_task": self.last_task})
        self.update(last_status=last_status, followup=self.REATTACH)

    def update(self, last_status=None, last_task=None, followup=None):
        """Restate the outcome after the caller acted on the timeout (cancelled it, for example)."""
        if last_task is not None:
            self.last_task = redact(last_task)
            self.extra["last_task"] = self.last_task
        if last_status is not None:
            self.last_status = last_status
            self.extra["last_status"] = last_status
        if followup is not None:
            self.followup = followup
        self.msg = redact_text("timed out after %.1fs waiting for %s %s (last status: %s); %s" % (
            self.elapsed, self.what, self.task_id, self.last_status, self.followup))
        self.args = (self.msg,)


def describe_cause(cause):
    """``ExceptionClass: message`` of the innermost useful cause of a requests/urllib3 error."""
    if cause is None:
        return "unknown error"
    if isinstance(cause, str):
        return cause
    inner = cause
    seen = set()
    # Walk down to the most specific underlying error (e.g. ConnectionRefusedError).
    while id(inner) not in seen:
        seen.add(id(inner))
        nxt = None
        reason = getattr(inner, "reason", None)
        if isinstance(reason, BaseException):
            nxt = reason
        elif inner.args and isinstance(inner.args[0], BaseException):
            nxt = inner.args[0]
        elif len(inner.args) > 1 and isinstance(inner.args[1], BaseException):
            nxt = inner.args[1]
        elif inner.__cause__ is not None:
            nxt = inner.__cause__
        if nxt is None:
            break
        inner = nxt
    text = str(inner)
    # urllib3 prefixes "<connection object at 0x...>: "; drop that noise.
    if ">: " in text:
        text = text.split(">: ", 1)[1]
    name = type(inner).__name__
    if name in ("NewConnectionError",) and "Errno 111" in text:
        name = "ConnectionRefusedError"
    return redact_text("%s: %s" % (name, text) if text else name)
