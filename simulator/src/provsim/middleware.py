"""The middleware chain, outermost first:

    stats -> envelope (catch-all: never a 500 traceback) -> faults -> rate limit -> auth -> route

Faults come first because a load balancer's 503 or a dropped connection happens before the
orchestrator's own checks; the rate limiter runs before authentication, as in the platform's
security middleware.  `/_sim/*` (the simulator's admin API) bypasses faults, limits and auth.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from aiohttp import web

from .auth import AuthError
from .envelope import ApiError, abort_connection, error_response, route_template
from .simulator import sim_of

log = logging.getLogger("provsim")

PUBLIC_PATHS = {"/health", "/auth/login", "/auth/refresh", "/openapi.yaml", "/openapi.json", "/ws"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def rate_category(method: str, template: str) -> str | None:
    if template.startswith("/auth/"):
        return "auth"
    if method == "POST" and (template.startswith("/workflows/") or template.startswith("/batch/")):
        return "submissions"
    if method == "GET" and template.startswith(("/tasks", "/batch/", "/workflows/batch/", "/state/")):
        return "status"
    return None


@web.middleware
async def stats_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = sim_of(request)
    template = route_template(request)
    if template.startswith("/_sim/"):
        return await handler(request)
    response = await handler(request)
    sim.stats.request(request.method, template, "reset" if request.get("reset") else response.status)
    return response


@web.middleware
async def envelope_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.message, exc.headers)
    except AuthError as exc:
        return error_response(exc.status, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status == 404:
            message = f"No such route: {request.method} {request.path}"
        elif exc.status == 405:
            message = f"Method {request.method} not allowed on {request.path}"
        elif exc.status == 413:
            message = "body: too large"
        else:
            message = exc.reason
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return error_response(exc.status, message, headers)
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception:  # noqa: BLE001 - the catch-all that keeps tracebacks out of bodies
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal simulator error (see the simulator's log)")


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = sim_of(request)
    template = route_template(request)
    if template.startswith("/_sim/") or template.startswith("/openapi.") or template == "/ws":
        return await handler(request)
    fault = sim.faults.pick(request.method, template)
    if fault is None:
        return await handler(request)
    kind = fault["kind"]
    sim.stats.fault(kind)
    if kind == "status":
        headers = {"Retry-After": str(int(fault["retry_after"]) if fault["retry_after"].is_integer()
                                      else fault["retry_after"])} if fault["retry_after"] is not None else None
        return error_response(fault["status"], fault["error"] or f"simulated fault: HTTP {fault['status']}", headers)
    if kind == "reset":
        request["reset"] = True
        abort_connection(request)
        return web.Response(status=500)  # never reaches the client: the transport is gone
    if kind == "lost_response":
        response = await handler(request)  # fully processed and committed ...
        request["reset"] = True
        abort_connection(request)  # ... but the answer never arrives
        return response
    if kind == "slow":
        await asyncio.sleep(fault["delay"])
        return await handler(request)
    if kind == "malformed":
        truncated = b'{"success": true, "data": {"id": "trunc'
        return web.Response(status=200, body=truncated, content_type="application/json")
    if kind == "success_false":
        return web.json_response({"success": False, "data": None, "error": fault["error"] or "simulated failure"})
    # expire_token: a login/refresh issues a short-lived token; any other call loses its token now.
    if template in ("/auth/login", "/auth/refresh"):
        request["token_ttl"] = fault["ttl"]
    else:
        _, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if token:
            sim.auth.expire(token.strip())
    return await handler(request)


@web.middleware
async def ratelimit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = sim_of(request)
    limits = sim.scenario.rate_limits
    category = rate_category(request.method, route_template(request)) if limits["enabled"] else None
    if category is None:
        return await handler(request)
    allowed, headers = sim.limiter.check(request.remote or "unknown", category, limits)
    if not allowed:
        return error_response(429, f"Rate limit exceeded: {limits[category]} {category} requests "
                                   f"per {limits['window']:g}s", headers)
    response = await handler(request)
    response.headers.update(headers)
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = sim_of(request)
    template = route_template(request)
    if not sim.auth_enabled or template in PUBLIC_PATHS or template.startswith("/_sim/"):
        return await handler(request)
    if template == "(no route)":
        return await handler(request)  # 404/405 for everyone: a route's existence is no secret
    claims = sim.auth.authenticate(request.headers.get("Authorization"))
    request["claims"] = claims
    route = f"{request.method} {template}"
    for rule in sim.scenario.denials:
        if rule["user"] == claims["username"] and rule["infra"] is None and rule["route"] in (None, route):
            raise ApiError(403, f"Forbidden: user '{claims['username']}' may not call {route}")
    return await handler(request)

MIDDLEWARES = [stats_middleware, envelope_middleware, fault_middleware, ratelimit_middleware, auth_middleware]
