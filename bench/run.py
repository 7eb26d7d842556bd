#!/usr/bin/env python3
"""`make bench`: the collection's modules against the hand-written `uri` loop, side by side.

One simulator (fixed durations, auth on, one bearer token shared by both sides) serves every run.
For each scenario the three sides run one after another, never at the same time:

  ours   the collection's modules at their default settings (only url/token and the
         workflow's own parameters are passed)
  uri5   the playbook a user writes today: `uri` POST, then `uri` GET with until/retries/delay: 5
  uri1   the same with delay: 1

Per run it records wall time, completion-detection latency per task (the wall-clock moment the
play's task returned, logged by bench/callback_plugins/bench_timing.py, minus the simulator's
completed_at; simulator and controller share this machine's clock), HTTP requests by route and
429s (from GET /_sim/stats, reset before every run) and failures.  Then the ratios ours/uri.

Writes bench/results/latest.json (and per-run logs under bench/results/runs/), prints one table
and, for a full run, rewrites the generated top of bench/RESULTS.md (the hand-written analysis
below its `<!-- analysis -->` marker is kept).  A full run takes about 6 minutes on an idle
2-core machine.  `--quick` shrinks durations and counts to smoke-test the harness (2-3 minutes)
and leaves RESULTS.md alone.  `--name X` writes results/X.json instead, for comparing a patched
copy of the collection (point ANSIBLE_COLLECTIONS_PATH at it).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import pathlib
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BENCH = pathlib.Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PLAYBOOKS = BENCH / "playbooks"
TERMINAL = ("Completed", "Failed", "Cancelled")
SIDES = ("ours", "uri5", "uri1")
URI_DELAY = {"uri5": 5, "uri1": 1}
TOKEN_USER = {"username": "bench", "password": "bench-password"}  # as in bench/scenarios/bench.yml


# ------------------------------------------------------------------------------ helpers

def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_ts(value) -> float | None:
    if not value:
        return None
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def median(values):
    return statistics.median(values) if values else None


def rnd(value, digits=3):
    return None if value is None else round(value, digits)


def find_tool(name: str) -> str:
    here = pathlib.Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if not found:
        sys.exit(f"bench: {name} not found next to {sys.executable} or on PATH (run `make venv`)")
    return found


# ------------------------------------------------------------------------------ simulator

class Simulator:
    """One `provsim serve` process on a free port, plus a tiny JSON client for it."""

    def __init__(self, workdir: pathlib.Path, scenario_file: pathlib.Path):
        self.workdir = workdir
        self.scenario_file = scenario_file
        self.proc = None
        self.log = None
        self.url = None
        self.token = None

    def start(self, timeout: float = 30.0) -> None:
        ready = self.workdir / "ready.json"
        self.log = open(self.workdir / "provsim.log", "w", encoding="utf-8")  # noqa: SIM115
        cmd = [find_tool("provsim"), "serve", "--host", "127.0.0.1", "--port", "0",
               "--data-dir", str(self.workdir / "data"), "--scenario", str(self.scenario_file),
               "--ready-file", str(ready)]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"provsim exited with {self.proc.returncode}; see {self.workdir / 'provsim.log'}")
            if ready.exists() and ready.stat().st_size:
                self.url = self._url_from_ready(ready.read_text(encoding="utf-8"))
                if self.url:
                    break
            time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError("provsim did not write its ready file in time")

    @staticmethod
    def _url_from_ready(text: str) -> str | None:
        text = text.strip()
        try:
            data = json.loads(text)
        except ValueError:
            data = text
        if isinstance(data, dict):
            if data.get("url"):
                return str(data["url"]).rstrip("/")
            if data.get("port"):
                return f"http://{data.get('host', '127.0.0.1')}:{data['port']}"
            return None
        if isinstance(data, int):
            return f"http://127.0.0.1:{data}"
        if isinstance(data, str) and data.startswith("http"):
            return data.splitlines()[0].rstrip("/")
        if isinstance(data, str) and data.isdigit():
            return f"http://127.0.0.1:{data}"
        return None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None

    def call(self, method: str, path: str, body=None, auth: bool = True, expect_ok: bool = True):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if auth and self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        if expect_ok and status >= 400:
            raise RuntimeError(f"{method} {path} -> {status}: {payload}")
        if isinstance(payload, dict) and isinstance(payload.get("success"), bool):
            return payload.get("data")
        return payload

    def login(self) -> None:
        data = self.call("POST", "/auth/login", dict(TOKEN_USER), auth=False)
        self.token = data.get("token") or data.get("access_token")

    def configure(self, changes: dict) -> None:
        """Reset tasks/model/faults, then apply this run's scenario sections."""
        self.call("POST", "/_sim/reset", {}, auth=False)
        self.call("PUT", "/_sim/scenario", changes, auth=False)
        self.login()  # a reset may revoke tokens or rotate the signing key

    def reset_stats(self) -> None:
        self.call("POST", "/_sim/stats/reset", {}, auth=False)

    def stats(self) -> dict:
        return self.call("GET", "/_sim/stats", auth=False)

    def all_tasks(self) -> dict[str, dict]:
        tasks = self.call("GET", "/tasks?limit=1000")
        if isinstance(tasks, dict):
            tasks = tasks.get("tasks") or tasks.get("items") or []
        return {t["id"]: t for t in tasks}

    def batch(self, batch_id: str) -> dict:
        return self.call("GET", f"/batch/operations/{batch_id}")


# ------------------------------------------------------------------------------ scenarios

class Profile:
    """Durations and counts of the scenarios; --quick shrinks them to smoke-test the harness."""

    def __init__(self, quick: bool):
        self.quick = quick
        f = 0.3 if quick else 1.0
        self.s1_duration = 10.0 * f
        self.s2_hosts = 6 if quick else 20
        self.s2_min, self.s2_max = 5.0 * f, 20.0 * f
        base = {"net": 2.0, "web": 3.0, "db": 3.0, "k8s": 2.0, "ingress": 3.0, "monitoring": 2.0}
        self.batch_durations = {k: v * f for k, v in base.items()}
        self.s4_count = 12 if quick else 50
        self.s4_min, self.s4_max = 2.0 * f, 12.0 * f
        self.overhead_runs = 3 if quick else 7


BATCH_OPERATIONS = [
    # id, type, dependencies, items
    ("net", "server_batch", [], None),
    ("web", "taskserv_batch", ["net"], ["containerd"]),
    ("db", "taskserv_batch", ["net"], ["postgres"]),
    ("k8s", "taskserv_batch", ["web", "db"], ["kubernetes"]),
    ("ingress", "cluster_batch", ["k8s"], ["ingress"]),
    ("monitoring", "cluster_batch", ["k8s"], ["monitoring"]),
]
ITEM_FIELD = {"server_batch": "server_configs", "taskserv_batch": "taskservs", "cluster_batch": "clusters"}


def batch_operations(infra: str) -> list[dict]:
    ops = []
    for op_id, op_type, deps, items in BATCH_OPERATIONS:
        op = {"id": op_id, "type": op_type, "dependencies": deps, "infra": infra}
        if items:
            op[ITEM_FIELD[op_type]] = items
        ops.append(op)
    return ops


def spread(n: int, low: float, high: float) -> list[float]:
    return [round(low + (high - low) * i / max(1, n - 1), 3) for i in range(n)]


# --no-eta: the orchestrator has no progress endpoint (it is [R], reconstructed, in the contract),
# so the modules must fall back to their poll schedule and progress extrapolation.
NO_ETA_FAULTS = [{"route": "GET /state/workflows/{id}/progress", "kind": "status", "status": 404,
                  "error": "Not found (benchmark: no progress endpoint)"}]


class Scenario:
    """One benchmark scenario: what the simulator is told, what each side runs."""

    key = ""
    title = ""
    playbook = ""          # <playbook>_ours.yml / <playbook>_uri.yml
    rate_limited = False
    no_eta = False

    def changes(self, side: str) -> dict:
        changes = self.sim_changes(side)
        if self.no_eta:
            changes["faults"] = NO_ETA_FAULTS
        return changes

    def __init__(self, profile: Profile):
        self.p = profile

    def names(self, side: str) -> list[str]:
        raise NotImplementedError

    def durations(self, side: str) -> list[float]:
        raise NotImplementedError

    def sim_changes(self, side: str) -> dict:
        rules = [{"kind": "servers", "infra": name, "seconds": secs}
                 for name, secs in zip(self.names(side), self.durations(side))]
        changes = {"duration_overrides": rules,
                   "rate_limits": {"enabled": self.rate_limited}}
        return changes

    def inventory(self, side: str, rundir: pathlib.Path) -> pathlib.Path | None:
        lines = ["[bench]"] + self.names(side) + [
            "", "[bench:vars]", "ansible_connection=local",
            f"ansible_python_interpreter={sys.executable}", ""]
        path = rundir / "inventory.ini"
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    def forks(self) -> int:
        return max(5, len(self.names("ours")))

    def prepare(self, side: str, sim: Simulator) -> dict:
        """Anything to do before the timed play; returns extra vars."""
        return {}


class SingleServer(Scenario):
    key, playbook = "s1", "servers"

    @property
    def title(self):
        return f"1 server workflow, {self.p.s1_duration:g} s"

    def names(self, side):
        return [f"s1-{side}"]

    def durations(self, side):
        return [self.p.s1_duration]


class ManyHosts(Scenario):
    key, playbook = "s2", "servers"

    @property
    def title(self):
        return f"{self.p.s2_hosts} hosts at once, {self.p.s2_min:g}-{self.p.s2_max:g} s"

    def names(self, side):
        return [f"{self.key}-{side}-{i:02d}" for i in range(1, self.p.s2_hosts + 1)]

    def durations(self, side):
        # interleave so the host order says nothing about the finishing order
        values = spread(self.p.s2_hosts, self.p.s2_min, self.p.s2_max)
        return values[0::2] + values[1::2]


class ManyHostsRateLimited(ManyHosts):
    key = "s5"

    @property
    def title(self):
        return f"as s2, status limit {self.status_limit}/{self.window:g} s"
    rate_limited = True
    # The documented limits (auth 10/min, submissions 100/min, status 1000/min, sliding 60 s
    # window per client); --s5-status-limit / --s5-window tighten them to model a shared budget.
    status_limit = 1000
    window = 60

    def sim_changes(self, side):
        changes = super().sim_changes(side)
        changes["rate_limits"] = {"enabled": True, "status": self.status_limit, "window": self.window}
        return changes


class Batch(Scenario):
    key, playbook = "s3", "batch"
    title = "6-op batch with dependencies"

    def names(self, side):
        return [f"s3-{side}"]

    def sim_changes(self, side):
        rules = [{"kind": "batch_op", "name": op_id, "seconds": secs}
                 for op_id, secs in self.p.batch_durations.items()]
        return {"duration_overrides": rules, "rate_limits": {"enabled": False}}

    def inventory(self, side, rundir):
        return None

    def forks(self):
        return 5

    def prepare(self, side, sim):
        return {"batch_name": f"bench-{side}", "batch_operations": batch_operations(self.names(side)[0])}


class ManyIds(Scenario):
    key, playbook = "s4", "taskinfo"

    @property
    def title(self):
        return f"wait on {self.p.s4_count} task ids, {self.p.s4_min:g}-{self.p.s4_max:g} s"

    def names(self, side):
        return [f"s4-{side}-{i:02d}" for i in range(1, self.p.s4_count + 1)]

    def durations(self, side):
        values = spread(self.p.s4_count, self.p.s4_min, self.p.s4_max)
        return values[0::2] + values[1::2]

    def inventory(self, side, rundir):
        return None

    def forks(self):
        return 5

    def prepare(self, side, sim):
        # Submitted through the API directly, before the timed play: only the waiting is measured.
        ids = []
        for name in self.names(side):
            data = sim.call("POST", "/workflows/servers/create", {"infra": name})
            ids.append(data if isinstance(data, str) else (data.get("task_id") or data.get("id")))
        return {"task_ids": ids}


SCENARIOS = [SingleServer, ManyHosts, Batch, ManyIds, ManyHostsRateLimited]


# ------------------------------------------------------------------------------ one run

def ansible_env(timing_log: pathlib.Path | None, forks: int) -> dict:
    env = os.environ.copy()
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".tmp" / "collections"))
    env.update({
        "ANSIBLE_CALLBACK_PLUGINS": str(BENCH / "callback_plugins"),
        "ANSIBLE_FORKS": str(forks),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_CONFIG": str(BENCH / "ansible.cfg"),
    })
    if timing_log:
        env["ANSIBLE_CALLBACKS_ENABLED"] = "bench_timing"
        env["BENCH_TIMING_LOG"] = str(timing_log)
    # the environment must not leak connection settings into "defaults"
    for var in list(env):
        if var.startswith("PROVISIONING_"):
            del env[var]
    return env


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by finished child processes and their descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def read_timing(path: pathlib.Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def summarise_routes(stats) -> tuple[dict, int, int]:
    """(requests by 'METHOD route' excluding /_sim, total, 429 count) from GET /_sim/stats."""
    by_route: dict[str, int] = {}
    too_many = 0
    for row in _stat_rows(stats):
        route, method, status, count = row
        if route.startswith("/_sim"):
            continue
        key = f"{method} {route}"
        by_route[key] = by_route.get(key, 0) + count
        if int(status) == 429:
            too_many += count
    return dict(sorted(by_route.items())), sum(by_route.values()), too_many


def _stat_rows(stats):
    """(route, method, status, count) rows from GET /_sim/stats, whose `requests` maps
    "METHOD /route/template" to {status: count}."""
    body = stats.get("requests", {}) if isinstance(stats, dict) else {}
    for key, statuses in body.items():
        method, _, route = key.partition(" ")
        if isinstance(statuses, dict):
            for status, count in statuses.items():
                yield (route, method, status, int(count))


def run_side(scn: Scenario, side: str, sim: Simulator, rundir: pathlib.Path) -> dict:
    rundir.mkdir(parents=True, exist_ok=True)
    sim.configure(scn.changes(side))
    extra = {"api_url": sim.url, "api_token": sim.token}
    extra.update(scn.prepare(side, sim))
    if side != "ours":
        extra["poll_delay"] = URI_DELAY[side]
        extra["poll_retries"] = int(600 / URI_DELAY[side])
    (rundir / "extra_vars.json").write_text(json.dumps(extra, indent=1), encoding="utf-8")
    inventory = scn.inventory(side, rundir)
    playbook = PLAYBOOKS / f"{scn.playbook}_{'ours' if side == 'ours' else 'uri'}.yml"
    timing = rundir / "timing.jsonl"
    timing.unlink(missing_ok=True)
    cmd = [find_tool("ansible-playbook"), str(playbook), "-e", f"@{rundir / 'extra_vars.json'}"]
    if inventory:
        cmd += ["-i", str(inventory)]
    sim.reset_stats()  # after prepare(): s4's submissions through the API are not counted
    load_before = os.getloadavg()[0]
    cpu0 = children_cpu()
    t0 = time.time()
    with open(rundir / "ansible.log", "w", encoding="utf-8") as log:
        proc = subprocess.run(cmd, env=ansible_env(timing, scn.forks()), stdout=log, stderr=subprocess.STDOUT,
                              cwd=rundir, timeout=600, check=False)
    wall = time.time() - t0
    cpu = children_cpu() - cpu0
    stats = sim.stats()
    if scn.rate_limited:  # the harness's own reads below must not be rate limited
        sim.call("PUT", "/_sim/scenario", {"rate_limits": {"enabled": False}}, auth=False)
    routes, total, too_many = summarise_routes(stats)
    events = read_timing(timing)

    # The moment the play learned each object was terminal: the task's own result (for a loop,
    # the whole loop's result, after its last item) and, for loops, also each item's result.
    returned: dict[str, float] = {}
    item_returned: dict[str, float] = {}
    kinds: dict[str, str] = {}
    failed_events = 0
    for ev in events:
        if ev["event"] in ("failed", "item_failed", "unreachable"):
            failed_events += 1
        if ev["event"] not in ("ok", "failed", "item_ok", "item_failed"):
            continue
        if not str(ev.get("task", "")).startswith("[timed]"):
            continue
        target = item_returned if ev["event"].startswith("item_") else returned
        for obj in ev.get("objects") or []:
            if obj["kind"] == "batch_op":
                continue
            target.setdefault(obj["id"], ev["t"])
            kinds[obj["id"]] = obj["kind"]
    for obj_id, t_ret in returned.items():
        item_returned.setdefault(obj_id, t_ret)

    truth = sim.all_tasks()
    expected = extra.get("task_ids") or []
    latencies, item_latencies, completed, not_completed, missing = [], [], [], [], []
    for obj_id, t_ret in returned.items():
        rec = sim.batch(obj_id) if kinds[obj_id] == "batch" else truth.get(obj_id)
        if not rec:
            missing.append(obj_id)
            continue
        done = parse_ts(rec.get("completed_at"))
        if rec.get("status") != "Completed" or done is None:
            not_completed.append(obj_id)
            continue
        completed.append(done)
        latencies.append(t_ret - done)
        item_latencies.append(item_returned[obj_id] - done)
    n_expected = len(expected) if expected else (1 if scn.key in ("s1", "s3") else len(scn.names(side)))
    unseen = max(0, n_expected - len(returned))
    failures = failed_events + len(not_completed) + len(missing) + unseen + (1 if proc.returncode else 0)
    retries = sum(1 for ev in events if ev["event"] == "retry")
    timed_returns = [t for t in returned.values()]
    result = {
        "scenario": scn.key, "side": side, "rc": proc.returncode, "wall_s": rnd(wall, 2),
        "tasks_timed": len(returned), "tasks_expected": n_expected,
        "latency_median_s": rnd(median(latencies)), "latency_max_s": rnd(max(latencies) if latencies else None),
        "latency_min_s": rnd(min(latencies) if latencies else None),
        # loops only differ here: each item's own return (the play still waits for the loop)
        "item_latency_median_s": rnd(median(item_latencies)),
        "item_latency_max_s": rnd(max(item_latencies) if item_latencies else None),
        "controller_cpu_s": rnd(cpu, 2),
        # how long after the last completion the play's last timed task returned
        "last_done_to_return_s": rnd(max(timed_returns) - max(completed) if completed and timed_returns else None),
        "requests": total, "requests_by_route": routes, "http_429": too_many,
        "failures": failures, "failed_events": failed_events, "not_completed": len(not_completed),
        "missing": len(missing), "unseen": unseen, "uri_retries": retries,
        "load_1m_before": round(load_before, 2), "load_1m_after": round(os.getloadavg()[0], 2),
        "rundir": os.path.relpath(rundir, BENCH),
    }
    (rundir / "result.json").write_text(json.dumps({"result": result, "sim_stats": stats}, indent=1),
                                        encoding="utf-8")
    return result


# ------------------------------------------------------------------------------ per-call overhead

def per_call_overhead(sim: Simulator, runs: int, rundir: pathlib.Path) -> dict:
    sim.configure({"duration_overrides": [], "rate_limits": {"enabled": False}})
    task_id = sim.call("POST", "/workflows/servers/create", {"infra": "overhead"})
    task_id = task_id if isinstance(task_id, str) else task_id.get("task_id") or task_id.get("id")
    deadline = time.time() + 60
    while sim.call("GET", f"/tasks/{task_id}")["status"] not in TERMINAL:
        if time.time() > deadline:
            raise RuntimeError("overhead task never finished")
        time.sleep(0.2)
    ansible = find_tool("ansible")
    ours = {"url": sim.url, "token": sim.token, "id": task_id}
    uri = {"url": f"{sim.url}/tasks/{task_id}", "headers": {"Authorization": f"Bearer {sim.token}"}}
    cmds = {
        "ours": [ansible, "localhost", "-m", "provisioning.platform.prov_task_info", "-a", json.dumps(ours)],
        "uri": [ansible, "localhost", "-m", "ansible.builtin.uri", "-a", json.dumps(uri)],
    }
    env = ansible_env(None, 5)
    times = {"ours": [], "uri": []}
    cpus = {"ours": [], "uri": []}
    rundir.mkdir(parents=True, exist_ok=True)
    # one warm-up each (page cache, pyc), then interleaved runs so load drifts hit both sides alike
    for side in ("ours", "uri"):
        subprocess.run(cmds[side], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    sim.reset_stats()
    for i in range(runs):
        for side in (("ours", "uri") if i % 2 == 0 else ("uri", "ours")):
            cpu0 = children_cpu()
            t0 = time.perf_counter()
            proc = subprocess.run(cmds[side], env=env, capture_output=True, text=True, check=False)
            times[side].append(time.perf_counter() - t0)
            cpus[side].append(children_cpu() - cpu0)
            if proc.returncode != 0:
                (rundir / f"{side}-fail.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
                raise RuntimeError(f"per-call overhead: {side} failed (rc {proc.returncode}), "
                                   f"see {rundir / (side + '-fail.log')}")
    routes, total, _ = summarise_routes(sim.stats())
    res = {side: {"median_s": rnd(median(v)), "min_s": rnd(min(v)), "max_s": rnd(max(v)),
                  "runs_s": [rnd(x) for x in v], "cpu_median_s": rnd(median(cpus[side])),
                  "cpu_runs_s": [rnd(x) for x in cpus[side]]} for side, v in times.items()}
    res["ratio_ours_uri"] = rnd(res["ours"]["median_s"] / res["uri"]["median_s"])
    res["cpu_ratio_ours_uri"] = rnd(res["ours"]["cpu_median_s"] / res["uri"]["cpu_median_s"])
    res["requests"] = {"total": total, "by_route": routes, "runs": runs * 2}
    return res


# ------------------------------------------------------------------------------ report

def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return round(a / b, 3)


def compare(results: list[dict]) -> dict:
    by = {(r["scenario"], r["side"]): r for r in results}
    out = {}
    for key in dict.fromkeys(r["scenario"] for r in results):
        ours = by.get((key, "ours"))
        if not ours:
            continue
        row = {}
        for side in ("uri5", "uri1"):
            other = by.get((key, side))
            if not other:
                continue
            row[side] = {
                "wall": ratio(ours["wall_s"], other["wall_s"]),
                "latency_median": ratio(ours["latency_median_s"], other["latency_median_s"]),
                "latency_max": ratio(ours["latency_max_s"], other["latency_max_s"]),
                "requests": ratio(ours["requests"], other["requests"]),
            }
        out[key] = row
    return out


def targets(results, ratios, overhead) -> list[dict]:
    by = {(r["scenario"], r["side"]): r for r in results}
    rows = []
    for key, row in ratios.items():
        lat = row.get("uri5", {}).get("latency_median")
        if lat is not None:
            rows.append({"target": f"{key}: median latency <= 1/4 of uri delay 5", "value": lat, "limit": 0.25,
                         "met": lat <= 0.25})
        req = row.get("uri1", {}).get("requests")
        if req is not None:
            rows.append({"target": f"{key}: requests <= 1/2 of uri delay 1", "value": req, "limit": 0.5,
                         "met": req <= 0.5})
    s5 = [by.get(("s5", s)) for s in SIDES]
    if all(s5):
        ours, uri5, uri1 = s5
        uri_hit = (uri5["http_429"] + uri1["http_429"]) > 0
        # not demonstrable (None) when the uri loop never hit the limit either
        rows.append({"target": "s5: no 429 for ours where the uri loop gets them",
                     "value": f"ours {ours['http_429']}, uri5 {uri5['http_429']}, uri1 {uri1['http_429']}",
                     "limit": "ours 0 and uri > 0",
                     "met": (ours["http_429"] == 0) if uri_hit else None})
    if overhead:
        rows.append({"target": "per-call overhead within 1.2x of uri", "value": overhead["ratio_ours_uri"],
                     "limit": 1.2, "met": overhead["ratio_ours_uri"] <= 1.2})
    return rows


def fmt(value, unit=""):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}{unit}"
    return f"{value}{unit}"


def table(results, ratios, scenarios) -> str:
    titles = {s.key: s.title for s in scenarios}
    head = ["scenario", "side", "wall s", "ctl CPU s", "lat med s", "lat max s", "last->ret s", "requests", "429",
            "fail", "wall x", "lat med x", "requests x"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        rat = ratios.get(r["scenario"], {}).get(r["side"], {}) if r["side"] != "ours" else {}
        lines.append("| " + " | ".join([
            f"{r['scenario']} {titles.get(r['scenario'], '')}" if r["side"] == "ours" else "",
            {"ours": "ours (defaults)", "uri5": "uri delay 5", "uri1": "uri delay 1"}[r["side"]],
            fmt(r["wall_s"]), fmt(r["controller_cpu_s"]), fmt(r["latency_median_s"]), fmt(r["latency_max_s"]),
            fmt(r["last_done_to_return_s"]),
            fmt(r["requests"]), fmt(r["http_429"]), fmt(r["failures"]),
            fmt(rat.get("wall")), fmt(rat.get("latency_median")), fmt(rat.get("requests")),
        ]) + " |")
    return "\n".join(lines)


def route_table(results) -> str:
    routes = sorted({k for r in results for k in r["requests_by_route"]})
    short = {k: k.replace("/workflows/servers/create", "/workflows/servers/create") for k in routes}
    head = ["scenario", "side"] + [short[k] for k in routes]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        lines.append("| " + " | ".join([r["scenario"], r["side"]] +
                                       [str(r["requests_by_route"].get(k, "")) for k in routes]) + " |")
    return "\n".join(lines)


def machine() -> dict:
    model = "unknown"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        core = subprocess.run([find_tool("ansible"), "--version"], capture_output=True, text=True,
                              check=False).stdout.splitlines()[0]
    except (IndexError, OSError):
        core = "unknown"
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "ansible": core, "os": platform.platform(), "load_1m_5m_15m": [round(x, 2) for x in os.getloadavg()],
            "collection": collection_revision()}


def _digest(plugins: pathlib.Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(plugins.rglob("*.py")):
        digest.update(path.relative_to(plugins).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def collection_revision() -> str:
    """Which code was measured: the installed copy's plugins/ digest, and how it relates to the checkout."""
    coll = pathlib.Path(os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".tmp" / "collections")).split(":")[0])
    installed = _digest(coll / "ansible_collections" / "provisioning" / "platform" / "plugins")
    checkout = _digest(ROOT / "plugins")
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=False).stdout.strip() or "?"
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "plugins"], capture_output=True,
                               text=True, check=False).stdout.strip()
    except OSError:
        head, dirty = "?", ""
    where = "= the checkout" if installed == checkout else f"!= the checkout's plugins/ ({checkout})"
    return (f"installed plugins/*.py sha256 {installed} {where}; checkout git {head}"
            f"{' + uncommitted plugins/ changes' if dirty else ''}")


def write_results_md(doc: dict, tbl: str, rtbl: str) -> None:
    m = doc["machine"]
    ov = doc.get("per_call_overhead")
    lines = [
        "# Benchmark results: provisioning.platform modules vs the hand-written `uri` loop",
        "",
        f"Generated by `make bench` (`bench/run.py`) on {doc['finished_at']}; do not edit by hand, rerun instead.",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['os']}, Python {m['python']}, {m['ansible']}.",
        f"Collection measured: {m['collection']}.",
        f"Load average (1/5/15 min) at the start: {doc['load_at_start']}, at the end: {m['load_1m_5m_15m']}.",
        f"Total bench time: {doc['elapsed_s']:.0f} s.",
        "",
        "Sides: **ours** = the collection's modules with default wait settings "
        f"({doc['defaults_note']}); **uri delay 5 / delay 1** = `uri` POST, then `uri` GET "
        "with `until`/`retries`/`delay`. Latency = the moment the play's task returned (timing callback) minus "
        "the simulator's `completed_at`. `last->ret` = last task's return minus the last `completed_at`. "
        "Requests = every non-`/_sim` request the simulator served during the run, all routes. "
        "`x` columns = ours / that uri row.",
        "",
        tbl,
        "",
        "Requests by route:",
        "",
        rtbl,
        "",
    ]
    if ov:
        lines += [
            "Per-call overhead (`ansible localhost -m ...` on one completed task, median of "
            f"{len(ov['ours']['runs_s'])}): prov_task_info {ov['ours']['median_s']:.3f} s, uri {ov['uri']['median_s']:.3f} s, "
            f"ratio {ov['ratio_ours_uri']:.2f}; controller CPU {ov['ours']['cpu_median_s']:.3f} s vs "
            f"{ov['uri']['cpu_median_s']:.3f} s, ratio {ov['cpu_ratio_ours_uri']:.2f}.",
            "",
        ]
    lines += ["Targets:", "", "| target | value | limit | met |", "|---|---|---|---|"]
    for t in doc["targets"]:
        verdict = "n/a (uri got none)" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {t['value']} | {t['limit']} | {verdict} |")
    lines += ["", "Analysis and tuning notes: see the section below (kept by hand).", ""]
    path = BENCH / "RESULTS.md"
    # keep a hand-written analysis section if one exists
    tail = ""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        marker = "<!-- analysis -->"
        if marker in text:
            tail = text[text.index(marker):]
    path.write_text("\n".join(lines) + ("\n" + tail if tail else ""), encoding="utf-8")


# ------------------------------------------------------------------------------ main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short durations: a smoke test of the harness")
    ap.add_argument("--scenarios", default="s1,s2,s3,s4,s5", help="comma list of s1..s5 (default: all)")
    ap.add_argument("--sides", default=",".join(SIDES), help="comma list of ours,uri5,uri1")
    ap.add_argument("--no-overhead", action="store_true", help="skip the per-call overhead measurement")
    ap.add_argument("--overhead-runs", type=int, help="runs per side for the per-call overhead")
    ap.add_argument("--s5-status-limit", type=int, default=1000,
                    help="status queries allowed per window in scenario 5 (default: the documented 1000)")
    ap.add_argument("--s5-window", type=float, default=60.0,
                    help="rate-limit window in seconds in scenario 5 (default: the documented 60)")
    ap.add_argument("--no-eta", action="store_true",
                    help="answer 404 on GET /state/workflows/{id}/progress (an orchestrator without ETAs)")
    ap.add_argument("--name", default=None,
                    help="write results/NAME.json and results/runs-NAME/ instead of latest.json and runs/ "
                         "(for comparing a patched collection: set ANSIBLE_COLLECTIONS_PATH)")
    ap.add_argument("--no-results-md", action="store_true", help="do not rewrite bench/RESULTS.md")
    args = ap.parse_args()

    coll = pathlib.Path(os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".tmp" / "collections")).split(":")[0])
    if not (coll / "ansible_collections" / "provisioning" / "platform" / "plugins" / "modules").is_dir():
        sys.exit(f"bench: provisioning.platform is not installed under {coll} (run `make collection`, "
                 "or `make bench` which does it)")
    profile = Profile(args.quick)
    wanted = [k.strip() for k in args.scenarios.split(",") if k.strip()]
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    Scenario.no_eta = args.no_eta
    ManyHostsRateLimited.status_limit = args.s5_status_limit
    ManyHostsRateLimited.window = args.s5_window
    scenarios = [cls(profile) for cls in SCENARIOS if cls.key in wanted]
    started, t_start = now_iso(), time.time()
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(exist_ok=True)
    runs_root = RESULTS / ("runs-" + args.name if args.name else "runs")
    shutil.rmtree(runs_root, ignore_errors=True)

    results, overhead = [], None
    with tempfile.TemporaryDirectory(prefix="provsim-bench-") as tmp:
        sim = Simulator(pathlib.Path(tmp), BENCH / "scenarios" / "bench.yml")
        sim.start()
        try:
            sim.login()
            # first, while the machine is as quiet as it was at the start (the 20-fork runs leave
            # load behind)
            if not args.no_overhead:
                print("== per-call overhead ...", end=" ", flush=True)
                overhead = per_call_overhead(sim, args.overhead_runs or profile.overhead_runs,
                                             runs_root / "overhead")
                print(f"prov_task_info {overhead['ours']['median_s']:.3f} s, uri {overhead['uri']['median_s']:.3f} s "
                      f"(x{overhead['ratio_ours_uri']:.2f}; CPU x{overhead['cpu_ratio_ours_uri']:.2f})", flush=True)
            for scn in scenarios:
                for side in sides:
                    print(f"== {scn.key} {scn.title}: {side} ...", end=" ", flush=True)
                    res = run_side(scn, side, sim, runs_root / f"{scn.key}-{side}")
                    results.append(res)
                    print(f"{res['wall_s']:.1f} s, latency median {fmt(res['latency_median_s'])} s, "
                          f"{res['requests']} requests, {res['http_429']} x 429, {res['failures']} failures",
                          flush=True)
        finally:
            sim.stop()

    ratios = compare(results)
    tgts = targets(results, ratios, overhead)
    tbl = table(results, ratios, scenarios)
    rtbl = route_table(results)
    doc = {
        "started_at": started, "finished_at": now_iso(), "elapsed_s": round(time.time() - t_start, 1),
        "quick": args.quick, "no_eta": args.no_eta, "machine": machine(), "load_at_start": load_at_start,
        "defaults_note": "wait, wait_timeout, poll_interval, poll_max_interval not set",
        "collections_path": os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".tmp" / "collections")),
        "profile": vars(profile), "results": results, "ratios_ours_over": ratios,
        "per_call_overhead": overhead, "targets": tgts,
    }
    out = RESULTS / f"{args.name or 'latest'}.json"
    out.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    print()
    print(tbl)
    print()
    print(rtbl)
    if overhead:
        print(f"\nper-call overhead: prov_task_info {overhead['ours']['median_s']:.3f} s vs uri "
              f"{overhead['uri']['median_s']:.3f} s (median of {len(overhead['ours']['runs_s'])}): "
              f"x{overhead['ratio_ours_uri']:.2f}; CPU {overhead['ours']['cpu_median_s']:.3f} s vs "
              f"{overhead['uri']['cpu_median_s']:.3f} s: x{overhead['cpu_ratio_ours_uri']:.2f}")
    print("\ntargets:")
    for t in tgts:
        verdict = "n/a" if t["met"] is None else ("met" if t["met"] else "MISSED")
        print(f"  [{verdict}] {t['target']}: {t['value']} (limit {t['limit']})")
    print(f"\nwrote {out} ({doc['elapsed_s']:.0f} s)")
    if not args.quick and not args.no_results_md and not args.name and set(wanted) == {s.key for s in SCENARIOS} \
            and set(sides) == set(SIDES):
        write_results_md(doc, tbl, rtbl)
        print(f"wrote {BENCH / 'RESULTS.md'}")
    bad = [r for r in results if r["rc"] not in (0,)]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
