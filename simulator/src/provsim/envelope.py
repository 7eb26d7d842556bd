"""The response envelope, API errors and request parsing shared by every route.

Every JSON answer is `{"success": bool, "data": ..., "error": str|null}`; errors add `code`.
Parsing helpers raise ApiError with a message that starts with the offending field's name.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

from aiohttp import web

from .model import NAME_RE, NAME_RULE

STATUSES = ("Pending", "Running", "Completed", "Failed", "Cancelled")
ERROR_CODES = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "INVALID_REQUEST", 415: "INVALID_REQUEST",
               422: "VALIDATION_ERROR", 429: "RATE_LIMITED", 500: "INTERNAL_ERROR", 502: "BAD_GATEWAY",
               503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}


# ---- envelope ------------------------------------------------------------------------------

def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"success": True, "data": data, "error": None}, status=status, headers=headers)


class ApiError(Exception):
    """Raised by handlers; the envelope middleware turns it into `{"success": false, ...}`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"success": False, "data": None, "error": message, "code": ERROR_CODES.get(status, "ERROR")}
    return web.json_response(body, status=status, headers=headers)


# ---- request parsing -----------------------------------------------------------------------

async def json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        raise ApiError(400, "body: required, a JSON object")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"body: invalid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body: expected a JSON object")
    return body


def field_name(body: dict, key: str, required: bool = True) -> str | None:
    """A name that ends up on the provisioning CLI's command line: strictly validated."""
    value = body.get(key)
    if value is None:
        if required:
            raise ApiError(400, f"{key}: required field missing")
        return None
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ApiError(400, f"{key}: expected {NAME_RULE} (got {value!r})")
    return value


def field_str(body: dict, key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"{key}: expected a non-empty string")
    return value


def field_bool(body: dict, key: str) -> bool:
    value = body.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ApiError(400, f"{key}: expected a boolean")
    return value


def field_choice(body: dict, key: str, choices: tuple[str, ...], default: str) -> str:
    value = body.get(key)
    if value is None:  # absent and null both mean "the default", like the other optional fields
        value = default
    if value not in choices:
        raise ApiError(400, f"{key}: must be one of {', '.join(choices)} (got {value!r})")
    return value


def query_int(request: web.Request, key: str, default: int, low: int, high: int | None) -> int:
    raw = request.query.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{key}: expected an integer (got {raw!r})") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ApiError(400, f"{key}: must be {bounds} (got {value})")
    return value


def query_status(request: web.Request) -> str | None:
    raw = request.query.get("status")
    if raw is None:
        return None
    for status in STATUSES:  # clients may send any case; the platform's values are PascalCase
        if raw.lower() == status.lower():
            return status
    raise ApiError(400, f"status: must be one of {', '.join(STATUSES)} (got {raw!r})")


def route_template(request: web.Request) -> str:
    """The registered route (`/tasks/{id}`), which stats, faults, limits and denials key on."""
    template = request.get("template")
    if template is None:
        resource = request.match_info.route.resource
        # Unmatched paths share one name, so random URLs cannot blow up the stats table.
        template = resource.canonical if resource is not None else "(no route)"
        request["template"] = template
    return template


def abort_connection(request: web.Request) -> None:
    """Reset the TCP connection: SO_LINGER 0 makes close() send RST instead of FIN."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
