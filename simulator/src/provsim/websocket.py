"""WebSocket `/ws`: authentication handshake, event subscription and client commands."""

from __future__ import annotations

import asyncio
import json

from aiohttp import WSCloseCode, WSMsgType, web

from .auth import AuthError
from .envelope import ApiError
from .events import Subscriber, parse_event_filter
from .simulator import Simulator, sim_of

WS_AUTH_TIMEOUT = 5.0
# Open sockets, so shutdown can close them at once: aiohttp would otherwise wait for each
# client to hang up (up to the runner's shutdown timeout) before SIGTERM takes effect.
SOCKETS = web.AppKey("websockets", set)


async def close_sockets(app: web.Application) -> None:
    for ws in list(app[SOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """`/ws`: token by `?token=` or a first `{"type": "auth", "token": ...}` message."""
    sim = sim_of(request)
    try:
        events = parse_event_filter(request.query.get("events", "").split(","))
    except ValueError as exc:
        raise ApiError(400, f"events: {exc}") from None
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    try:
        user = await _ws_authenticate(sim, ws, request.query.get("token"))
        if user is None:
            return ws
        await _ws_stream(sim, ws, Subscriber(events), user)
    finally:
        request.app[SOCKETS].discard(ws)
    return ws


async def _ws_stream(sim: Simulator, ws: web.WebSocketResponse, sub: Subscriber, user: str) -> None:
    sim.hub.subscribers.add(sub)
    await ws.send_json({"type": "authenticated", "user": user, "events": sorted(sub.events)})
    sender = asyncio.create_task(_ws_sender(ws, sub))
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            await _ws_command(ws, sub, msg.data)
    finally:
        sim.hub.subscribers.discard(sub)
        sender.cancel()


async def _ws_authenticate(sim: Simulator, ws: web.WebSocketResponse, token: str | None) -> str | None:
    if not sim.auth_enabled:
        return "anonymous"
    if token is None:
        try:
            msg = await ws.receive(timeout=WS_AUTH_TIMEOUT)
        except TimeoutError:
            msg = None
        try:
            first = json.loads(msg.data) if msg is not None and msg.type == WSMsgType.TEXT else {}
        except ValueError:
            first = {}
        if isinstance(first, dict) and first.get("type") == "auth" and isinstance(first.get("token"), str):
            token = first["token"]
    if token is None:
        await ws.send_json({"type": "error", "error": "authentication required: ?token= or "
                                                      "{\"type\": \"auth\", \"token\": ...} first"})
        await ws.close(code=4401, message=b"unauthorized")
        return None
    try:
        return sim.auth.verify(token, "access")["username"]
    except AuthError as exc:
        await ws.send_json({"type": "error", "error": exc.message})
        await ws.close(code=4401, message=b"unauthorized")
        return None


async def _ws_sender(ws: web.WebSocketResponse, sub: Subscriber) -> None:
    while True:
        message = await sub.queue.get()
        if message is None:  # overflow or shutdown
            await ws.close(code=1013 if sub.overflowed else 1001)
            return
        try:
            await ws.send_str(message)
        except ConnectionError:
            return


async def _ws_command(ws: web.WebSocketResponse, sub: Subscriber, text: str) -> None:
    try:
        msg = json.loads(text)
    except ValueError:
        await ws.send_json({"type": "error", "error": "message: invalid JSON"})
        return
    kind = msg.get("type") if isinstance(msg, dict) else None
    if kind == "ping":
        await ws.send_json({"type": "pong"})
    elif kind in ("subscribe", "unsubscribe"):
        names = msg.get("events") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            await ws.send_json({"type": "error", "error": "events: expected a list of event types"})
            return
        try:
            chosen = parse_event_filter(names)
        except ValueError as exc:
            await ws.send_json({"type": "error", "error": f"events: {exc}"})
            return
        sub.events = chosen if kind == "subscribe" else sub.events - chosen
        await ws.send_json({"type": kind + "d", "events": sorted(sub.events)})
    elif kind == "auth":
        await ws.send_json({"type": "authenticated"})
    else:
        await ws.send_json({"type": "error", "error": f"type: unknown message type {kind!r}"})
