"""Command line: `provsim serve ...` runs the simulator in the foreground.

On readiness it prints exactly one line to stdout, `provsim listening on <base URL>`, and
writes the base URL to `--ready-file` (atomically: write a temporary file, then rename), so a
test harness can wait for the file instead of parsing output.  SIGTERM or SIGINT stop it
cleanly with exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pathlib
import signal
import ssl
import sys
import tempfile

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from . import __version__
from .app import Simulator, build_app, build_auth_app
from .scenario import Scenario, ScenarioError

log = logging.getLogger("provsim")
SHUTDOWN_TIMEOUT = 5.0


class AccessLogger(AbstractAccessLogger):
    """`--verbose` access log without query strings: `/ws?token=<jwt>` must never reach a log."""

    def log(self, request, response, time):  # noqa: A002 - aiohttp's signature
        self.logger.info("%s %s %s %s %.1fms", request.remote, request.method, request.path, response.status,
                         time * 1000)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="provsim", description="Provisioning Platform orchestrator simulator")
    parser.add_argument("--version", action="version", version=f"provsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the simulator in the foreground")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    serve.add_argument("--port", type=int, default=9090, help="orchestrator port; 0 picks a free one")
    serve.add_argument("--data-dir", required=True, help="where tasks, batches and the model persist")
    serve.add_argument("--scenario", help="scenario file (YAML or JSON); default: built-in defaults")
    serve.add_argument("--no-auth", action="store_true", help="accept requests without a token")
    serve.add_argument("--auth-port", type=int, help="also serve /auth/* on this 'control center' port")
    serve.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    serve.add_argument("--tls-key", help="PEM private key for --tls-cert")
    serve.add_argument("--ready-file", help="write the base URL here once listening")
    serve.add_argument("--verbose", action="store_true", help="access log and info messages on stderr")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    return args


def write_atomically(path: str, text: str) -> None:
    target = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, target)


async def serve(args: argparse.Namespace, scenario: Scenario) -> None:
    ssl_context = None
    if args.tls_cert:
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(args.tls_cert, args.tls_key)
    scheme = "https" if ssl_context else "http"

    sim = Simulator(args.data_dir, scenario, auth_enabled=not args.no_auth)
    await sim.start()
    logging_options = {"access_log": log, "access_log_class": AccessLogger} if args.verbose else {"access_log": None}
    # shutdown_timeout: how long SIGTERM waits for in-flight requests (a `slow` fault, say).
    options = {"handle_signals": False, "shutdown_timeout": SHUTDOWN_TIMEOUT, **logging_options}
    runners = [web.AppRunner(build_app(sim), **options)]
    if args.auth_port is not None:
        runners.append(web.AppRunner(build_auth_app(sim), **options))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        ports = []
        for runner, port in zip(runners, [args.port, args.auth_port][:len(runners)], strict=True):
            await runner.setup()
            site = web.TCPSite(runner, args.host, port, ssl_context=ssl_context, reuse_address=True)
            await site.start()
            ports.append(runner.addresses[0][1])
        host = f"[{args.host}]" if ":" in args.host else args.host
        url = f"{scheme}://{host}:{ports[0]}"
        if len(ports) > 1:
            print(f"provsim control center (auth) on {scheme}://{host}:{ports[1]}", file=sys.stderr, flush=True)
        if args.ready_file:
            write_atomically(args.ready_file, url + "\n")
        print(f"provsim listening on {url}", flush=True)
        await stop.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        # aiohttp logs each unparseable request (bad header bytes from fuzzers) with a traceback;
        # the client already got its 400, so that is noise unless asked for.
        logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    try:
        scenario = Scenario.load(args.scenario)
    except (ScenarioError, OSError) as exc:
        print(f"provsim: scenario: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(args, scenario))
    except OSError as exc:  # port in use, unreadable certificate, unwritable data dir ...
        print(f"provsim: {exc}", file=sys.stderr)
        return 1
    return 0
