# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module runner: builds the client from the module's parameters, runs the engine, shapes
results, check mode, diff and facts, and is the one place that turns the collection's typed
exceptions into ``fail_json``."""

import time
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.provisioning.platform.plugins.module_utils import client as client_mod
from ansible_collections.provisioning.platform.plugins.module_utils import retry as retry_mod
from ansible_collections.provisioning.platform.plugins.module_utils.batch import BatchSpec
from ansible_collections.provisioning.platform.plugins.module_utils.engine import (
    ATTACH, CONVERGED, Engine, batch_id_of,
)
from ansible_collections.provisioning.platform.plugins.module_utils.errors import (
    NotFoundError, ProvisioningError, TaskFailed, ValidationError, WaitTimeout,
)
from ansible_collections.provisioning.platform.plugins.module_utils.redact import redact, redact_text
from ansible_collections.provisioning.platform.plugins.module_utils.spec import WorkflowSpec, parse_task
from ansible_collections.provisioning.platform.plugins.module_utils.waiter import (
    PollSchedule, is_success, is_terminal, status_of, wait_for_many,
)

FACT_NAMES = {
    "servers": "prov_server_task",
    "taskserv": "prov_taskserv_task",
    "cluster": "prov_cluster_task",
    "batch": "prov_batch",
    "task_info": "prov_tasks",
}

TASK_STATUSES = ("Pending", "Running", "Completed", "Failed", "Cancelled")


class Timebase(object):
    """Clock, sleeper and wall clock used by a run; unit tests replace ``TIMEBASE``."""

    def __init__(self, clock=time.monotonic, sleep=time.sleep, wall=time.time):
        self.clock = clock
        self.sleep = sleep
        self.wall = wall


TIMEBASE = Timebase()


class Runner(object):
    """Everything a module run needs; modules only build the argspec and call a ``run_*``."""

    def __init__(self, module, action="run workflow"):
        self.module = module
        self.params = module.params
        self.timebase = TIMEBASE
        self.start = self.timebase.clock()
        self.action = action
        self.secrets = [self.params.get(k) for k in ("token", "password", "mfa_code") if self.params.get(k)]
        self.client = None
        self.engine = None
        self.changed = False
        self.partial = {}

    # ------------------------------------------------------------------ helpers
    def elapsed(self):
        return round(self.timebase.clock() - self.start, 3)

    def deadline(self):
        timeout = self.params.get("wait_timeout")
        if timeout is None:
            timeout = 1800
        return self.start + max(0, timeout)

    def schedule(self):
        initial = self.params.get("poll_interval") or 0.25
        cap = self.params.get("poll_max_interval") or 5.0
        return PollSchedule(initial=initial, maximum=max(initial, cap))

    def all_secrets(self):
        """The user's secrets plus those the client obtained (login and refreshed tokens)."""
        return list(self.secrets) + (list(self.client.secrets) if self.client is not None else [])

    def redact(self, value):
        return redact(value, self.all_secrets())

    def check_libraries(self):
        if not client_mod.HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"),
                                  exception="".join(traceback.format_exception_only(
                                      type(client_mod.REQUESTS_IMPORT_ERROR), client_mod.REQUESTS_IMPORT_ERROR)))
        if not retry_mod.HAS_TENACITY:
            self.module.fail_json(msg=missing_required_lib("tenacity"),
                                  exception="".join(traceback.format_exception_only(
                                      type(retry_mod.TENACITY_IMPORT_ERROR), retry_mod.TENACITY_IMPORT_ERROR)))

    def validate_wait_options(self):
        for name, minimum in (("wait_timeout", 0), ("poll_interval", 0.01), ("poll_max_interval", 0.01)):
            value = self.params.get(name)
            if value is not None and value < minimum:
                raise ValidationError("%s must be >= %s, got %s" % (name, minimum, value), field=name)

    def connect(self):
        p = self.params
        tb = self.timebase
        self.client = client_mod.OrchestratorClient(
            url=p.get("url"), auth_url=p.get("auth_url"), token=p.get("token"), username=p.get("username"),
            password=p.get("password"), mfa_code=p.get("mfa_code"), validate_certs=p.get("validate_certs", True),
            ca_path=p.get("ca_path"), proxy=p.get("proxy"), request_timeout=p.get("request_timeout"),
            max_retries=p.get("max_retries") if p.get("max_retries") is not None else 5,
            clock=tb.clock, sleep=tb.sleep, wall=tb.wall)
        self.engine = Engine(self.client, clock=tb.clock, sleep=tb.sleep, wall=tb.wall)
        return self.client

    def fail(self, exc, **fields):
        """The one conversion of typed exceptions into fail_json."""
        if isinstance(exc, ValidationError):
            msg = exc.msg
        else:
            msg = "Failed to %s: %s" % (self.action, exc.msg)
        result = dict(self.partial)
        result.update(exc.result_fields())
        result.update(fields)
        result.setdefault("changed", self.changed)
        result["elapsed"] = self.elapsed()
        self.module.fail_json(msg=redact_text(msg, self.all_secrets()),
                              **self.redact(result))

    def exit(self, **result):
        result.setdefault("changed", self.changed)
        result["elapsed"] = self.elapsed()
        self.module.exit_json(**self.redact(result))

    def guarded(self, func):
        """Run ``func`` converting every error to fail_json (never a traceback in msg)."""
        self.check_libraries()
        try:
            self.validate_wait_options()
            return func()
        except ProvisioningError as exc:
            self.fail(exc)
        except Exception as exc:  # pylint: disable=broad-except
            self.module.fail_json(msg=redact_text("Failed to %s: unexpected %s: %s" % (self.action, type(exc).__name__,
                                                                                       exc), self.all_secrets()),
                                  # the traceback repeats the exception text, so it is redacted too
                                  exception=redact_text(traceback.format_exc(), self.all_secrets()),
                                  changed=self.changed, **self.redact(self.partial))


# ====================================================================== workflows
def _merge(base, **fields):
    out = dict(base)
    out.update(fields)
    return out


def spec_from_params(kind, params):
    target_param = {"servers": None, "taskserv": "taskserv", "cluster": "cluster_type"}[kind]
    cli_wait = {"servers": "wait_for_servers", "taskserv": "wait_for_taskserv", "cluster": "wait_for_cluster"}[kind]
    return WorkflowSpec(kind, infra=params.get("infra"), operation=params.get("operation") or "create",
                        target=params.get(target_param) if target_param else None,
                        settings=params.get("settings"), cli_wait=params.get(cli_wait))


def _describe_state(spec, decision):
    task = decision.newest_related
    head = "%s: %s" % (spec.signature, spec.describe())
    if task is None:
        return "%s\nstate: no task for this workflow found\n" % head
    return "%s\nnewest related task: %s %s (%s)\nstate: %s\n" % (
        head, task.get("name"), task.get("id"), task.get("status"), decision.reason)


def _plan(spec, action, client, dry_run_task=None, attach_task=None):
    plan = {"action": action, "method": "POST", "url": client.base_url + spec.route,
            "body": spec.body(check_mode=False), "command": spec.command_line(), "dry_run_task_id": None,
            "output": None}
    if action == "attach" and attach_task is not None:
        plan["task_id"] = attach_task.get("id")
    if dry_run_task is not None:
        plan["dry_run_task_id"] = dry_run_task.get("id")
        plan["output"] = dry_run_task.get("output")
    return plan


def _plan_text(plan):
    lines = []
    if plan["action"] == "attach":
        lines.append("would attach to in-flight task %s (nothing new submitted)" % plan.get("task_id"))
    elif plan["action"] == "none":
        lines.append("nothing to do (converged)")
    else:
        lines.append("would submit: %s %s" % (plan["method"], plan["url"]))
        lines.append("would run: %s" % plan["command"])
    if plan.get("output"):
        lines.append("dry-run output (task %s):" % plan.get("dry_run_task_id"))
        lines.append(str(plan["output"]))
    return "\n".join(lines) + "\n"


def run_workflow(module, kind):
    """Entry point of prov_server, prov_taskserv and prov_cluster."""
    runner = Runner(module)
    fact = FACT_NAMES[kind]

    def body():
        try:
            spec = spec_from_params(kind, module.params)
        except ValidationError:
            runner.action = "validate input"
            raise
        runner.action = spec.describe()
        client = runner.connect()
        engine = runner.engine
        p = module.params
        deadline = runner.deadline()
        decision = engine.lookup(spec, deadline)
        before = _describe_state(spec, decision)
        base = dict(task=None, task_id=None, attached=False, converged=False, plan=None, signature=spec.signature)
        want_diff = bool(getattr(module, "_diff", False))

        if decision.action == CONVERGED and not p.get("force"):
            task = decision.task
            result = _merge(base, task=task, task_id=task.get("id"), converged=True, changed=False)
            if module.check_mode:
                result["plan"] = _plan(spec, "none", client)
            if want_diff:
                result["diff"] = {"before": before, "after": before,
                                  "before_header": spec.signature, "after_header": spec.signature}
            result["ansible_facts"] = {fact: task}
            return runner.exit(**result)

        attach = decision.action == ATTACH and not p.get("force")

        if module.check_mode:
            runner.changed = True
            if attach:
                plan = _plan(spec, "attach", client, attach_task=decision.task)
                result = _merge(base, task=decision.task, task_id=decision.task.get("id"), attached=True,
                                plan=plan, changed=True)
                result["ansible_facts"] = {fact: decision.task}
            else:
                dry = None
                if p.get("check_mode_dry_run"):
                    runner.changed = False  # a dry run changes nothing
                    sub = engine.submit(spec, deadline, check_mode=True, seen=decision.seen_ids)
                    dry = sub.record or {"id": sub.task_id}
                    runner.partial = {"dry_run_task": dry, "task": None, "task_id": None}
                    if p.get("wait"):
                        dry = engine.wait(sub.task_id, deadline, schedule=runner.schedule(),
                                          initial=sub.record, what="dry-run task")
                        if not is_success(dry):
                            runner.action = "%s (dry run)" % spec.describe()
                            raise TaskFailed(dry, what="dry-run task")
                    runner.changed = True
                plan = _plan(spec, "submit", client, dry_run_task=dry)
                result = _merge(base, plan=plan, changed=True)
                result["dry_run_task"] = dry
                result["ansible_facts"] = {fact: None}
            if want_diff:
                result["diff"] = {"before": before, "after": _plan_text(result["plan"]),
                                  "before_header": spec.signature, "after_header": spec.signature + " (planned)"}
            return runner.exit(**result)

        # ---------------------------------------------------------------- real run
        if attach:
            task_id = decision.task.get("id")
            record = decision.task
            submitted = False
        else:
            sub = engine.submit(spec, deadline, check_mode=False, seen=decision.seen_ids)
            task_id, record, submitted = sub.task_id, sub.record, True
            runner.changed = True
        runner.partial = _merge(base, task_id=task_id, task=record, attached=attach)

        if not p.get("wait"):
            if record is None or not record.get("status"):
                try:
                    record = engine.fetch_task(task_id, deadline)
                except ProvisioningError:
                    record = {"id": task_id}
            result = _merge(base, task=record, task_id=task_id, attached=attach, changed=True)
            result["ansible_facts"] = {fact: record}
            if want_diff:
                result["diff"] = {"before": before, "after": "submitted task %s (%s), not waited on\n"
                                  % (task_id, status_of(record) or "unknown"),
                                  "before_header": spec.signature, "after_header": spec.signature}
            return runner.exit(**result)

        try:
            final = engine.wait(task_id, deadline, schedule=runner.schedule(),
                                initial=record if record and record.get("status") else None)
        except WaitTimeout as exc:
            runner.partial["task"] = exc.last_task
            runner.changed = submitted
            raise
        runner.partial["task"] = final
        if not is_success(final):
            runner.changed = submitted
            raise TaskFailed(final)
        result = _merge(base, task=final, task_id=task_id, attached=attach, changed=True)
        result["ansible_facts"] = {fact: final}
        if want_diff:
            result["diff"] = {"before": before,
                              "after": "task %s %s\n%s\n" % (task_id, final.get("status"), final.get("output") or ""),
                              "before_header": spec.signature, "after_header": spec.signature}
        return runner.exit(**result)

    return runner.guarded(body)


# ====================================================================== batches
def _batch_failures(batch):
    failed = []
    for op in batch.get("operations") or []:
        if isinstance(op, dict) and status_of(op) in ("failed", "cancelled"):
            text = "%s (%s" % (op.get("id"), op.get("status"))
            if op.get("error"):
                text += ": %s" % op.get("error")
            failed.append(text + ")")
    return failed


def run_batch(module):
    """Entry point of prov_batch."""
    runner = Runner(module)
    fact = FACT_NAMES["batch"]

    def body():
        p = module.params
        state = p.get("state") or "present"
        try:
            spec = BatchSpec(p.get("name"), p.get("operations"), version=p.get("version"),
                             storage_backend=p.get("storage_backend"), parallel_limit=p.get("parallel_limit"),
                             rollback_enabled=p.get("rollback_enabled"), require_operations=(state == "present"))
        except ValidationError:
            runner.action = "validate batch definition"
            raise
        runner.action = spec.describe() if state == "present" else 'cancel batch "%s"' % spec.name
        runner.connect()
        engine = runner.engine
        deadline = runner.deadline()
        want_diff = bool(getattr(module, "_diff", False))
        base = dict(batch=None, batch_id=None, attached=False, converged=False, plan=None, signature=spec.signature)

        if state == "absent":
            decision = engine.lookup_batch(spec, deadline, in_flight_only=True)
            if decision.action != ATTACH:
                result = _merge(base, changed=False)
                result["ansible_facts"] = {fact: None}
                if want_diff:
                    result["diff"] = {"before": "no in-flight batch %r\n" % spec.name,
                                      "after": "no in-flight batch %r\n" % spec.name}
                return runner.exit(**result)
            target = decision.task
            bid = batch_id_of(target)
            if module.check_mode:
                result = _merge(base, batch=target, batch_id=bid, changed=True,
                                plan={"action": "cancel", "batch_id": bid})
            else:
                record, cancelled = engine.cancel_batch(bid, deadline)
                runner.changed = cancelled
                result = _merge(base, batch=record, batch_id=bid, changed=cancelled)
            result["ansible_facts"] = {fact: result["batch"]}
            if want_diff:
                result["diff"] = {"before": "batch %s %s\n" % (bid, target.get("status")),
                                  "after": "batch %s Cancelled\n" % bid}
            return runner.exit(**result)

        decision = engine.lookup_batch(spec, deadline)
        if decision.action == CONVERGED and not p.get("force"):
            result = _merge(base, batch=decision.task, batch_id=batch_id_of(decision.task), converged=True, changed=False)
            result["ansible_facts"] = {fact: decision.task}
            if want_diff:
                text = "batch %s Completed (%s)\n" % (batch_id_of(decision.task), spec.signature)
                result["diff"] = {"before": text, "after": text}
            return runner.exit(**result)
        attach = decision.action == ATTACH and not p.get("force")
        plan = dict(spec.plan(), action="attach" if attach else "submit", body=spec.body())
        before = "%s\n" % decision.reason

        if module.check_mode:
            result = _merge(base, plan=plan, changed=True)
            if attach:
                result.update(batch=decision.task, batch_id=batch_id_of(decision.task), attached=True)
            result["ansible_facts"] = {fact: result["batch"]}
            if want_diff:
                waves = "\n".join("wave %d: %s" % (i + 1, ", ".join(w)) for i, w in enumerate(plan["waves"]))
                after = "would %s batch %r\n%s\n" % (plan["action"], spec.name, waves)
                result["diff"] = {"before": before, "after": after}
            return runner.exit(**result)

        if attach:
            bid, record = batch_id_of(decision.task), decision.task
        else:
            sub = engine.submit_batch(spec, deadline, seen=decision.seen_ids)
            bid, record = sub.task_id, sub.record
            runner.changed = True
        runner.partial = _merge(base, batch_id=bid, batch=record, attached=attach)
        if not p.get("wait"):
            if record is None:
                try:
                    record = runner.client.get_batch(bid, deadline=deadline)
                except ProvisioningError:
                    record = {"id": bid}
            result = _merge(base, batch=record, batch_id=bid, attached=attach, changed=True)
            result["ansible_facts"] = {fact: record}
            return runner.exit(**result)
        try:
            final = engine.wait_batch(bid, deadline, schedule=runner.schedule(),
                                      initial=record if record and record.get("status") else None)
        except WaitTimeout as exc:
            runner.partial["batch"] = exc.last_task
            runner.changed = not attach
            if p.get("cancel_on_timeout"):
                try:
                    cancelled, did = engine.cancel_batch(bid, runner.timebase.clock() + (p.get("request_timeout") or 30))
                    runner.partial["batch"] = cancelled
                    runner.partial["cancelled"] = did
                    exc.update(last_status=cancelled.get("status") if isinstance(cancelled, dict) else None,
                               last_task=cancelled if isinstance(cancelled, dict) else None,
                               followup="the batch was cancelled (cancel_on_timeout)" if did else
                               "it had already finished when cancel_on_timeout tried to cancel it")
                except ProvisioningError as cancel_exc:
                    exc.update(followup="%s; cancelling it (cancel_on_timeout) failed: %s"
                               % (exc.REATTACH, cancel_exc.msg))
            raise
        runner.partial["batch"] = final
        if not is_success(final):
            runner.changed = not attach
            exc = TaskFailed(final, what="batch")
            failures = _batch_failures(final)
            if failures:
                exc.msg += "; failed operations: %s" % ", ".join(failures)
            if final.get("rolled_back"):
                exc.msg += "; rolled back: %s" % ", ".join(str(x) for x in final["rolled_back"])
            raise exc
        result = _merge(base, batch=final, batch_id=bid, attached=attach, changed=True)
        result["ansible_facts"] = {fact: final}
        if want_diff:
            ops = "\n".join("%s: %s" % (op.get("id"), op.get("status")) for op in final.get("operations") or []
                            if isinstance(op, dict))
            result["diff"] = {"before": before, "after": "batch %s Completed\n%s\n" % (bid, ops)}
        return runner.exit(**result)

    return runner.guarded(body)


# ====================================================================== task info
def _task_matches(task, status=None, name=None, infra=None):
    if status and status_of(task) != status.lower():
        return False
    if name and task.get("name") != name:
        return False
    if infra:
        parsed = parse_task(task)
        if parsed is None or parsed.infra != infra:
            return False
    return True


def run_task_info(module):
    """Entry point of prov_task_info."""
    runner = Runner(module, action="query tasks")

    def body():
        p = module.params
        status = p.get("status")
        if status:
            canon = [s for s in TASK_STATUSES if s.lower() == status.strip().lower()]
            if not canon:
                raise ValidationError("status must be one of %s, got %r" % (", ".join(TASK_STATUSES), status),
                                      field="status")
            status = canon[0]
        ids = []
        if p.get("id"):
            ids.append(p["id"])
        for task_id in p.get("ids") or []:
            if task_id not in ids:
                ids.append(task_id)
        for task_id in ids:
            if not isinstance(task_id, str) or not task_id.strip():
                raise ValidationError("task ids must be non-empty strings, got %r" % (task_id,), field="ids")
        limit = p.get("limit")
        if limit is not None and limit < 1:
            raise ValidationError("limit must be >= 1, got %s" % limit, field="limit")
        client = runner.connect()
        deadline = runner.deadline()
        missing = []
        records = {}
        if ids:
            runner.action = "query task%s %s" % ("s" if len(ids) > 1 else "", ", ".join(ids))

            def fetch_one(task_id):
                try:
                    return client.get_task(task_id, deadline=deadline)
                except NotFoundError:
                    return None

            if len(ids) == 1:
                records[ids[0]] = fetch_one(ids[0])
            else:
                window = dict((t.get("id"), t) for t in client.list_tasks(limit=1000, deadline=deadline))
                for task_id in ids:
                    records[task_id] = window.get(task_id) or fetch_one(task_id)
            missing = [i for i in ids if records.get(i) is None]
            found_ids = [i for i in ids if records.get(i) is not None]
        else:
            found = []
            offset = 0
            page_size = 1000
            for dummy in range(1000):
                page = client.list_tasks(status=status, limit=page_size, offset=offset, deadline=deadline)
                for task in page:
                    if _task_matches(task, status, p.get("name"), p.get("infra")):
                        found.append(task)
                        if limit and len(found) >= limit:
                            break
                if (limit and len(found) >= limit) or len(page) < page_size:
                    break
                offset += len(page)
            found_ids = [t.get("id") for t in found]
            for task in found:
                records[task.get("id")] = task
        if p.get("wait") and found_ids:
            pending = [i for i in found_ids if not is_terminal(records.get(i))]
            if pending:
                runner.partial = {"tasks": [records[i] for i in found_ids], "missing": missing}
                try:
                    final = wait_for_many(
                        pending,
                        lambda: client.list_tasks(limit=1000, deadline=deadline),
                        lambda task_id: client.get_task(task_id, deadline=deadline),
                        deadline, clock=runner.timebase.clock, sleep=runner.timebase.sleep,
                        schedule=runner.schedule(), initial=dict((i, records[i]) for i in pending))
                except WaitTimeout as exc:
                    records.update((i, r) for i, r in exc.records.items() if r is not None)
                    runner.partial["tasks"] = [records[i] for i in found_ids]
                    # Reading tasks changes nothing: there is nothing to attach to, only to wait again.
                    exc.update(followup="the orchestrator keeps running it; run prov_task_info again to "
                               "keep waiting")
                    raise
                records.update(final)
        status_filter = None if ids else status
        tasks = [records[i] for i in found_ids
                 if _task_matches(records[i], status_filter, p.get("name"), p.get("infra"))]
        result = dict(changed=False, tasks=tasks, missing=missing)
        if p.get("id"):
            result["task"] = records.get(p["id"])
        result["ansible_facts"] = {FACT_NAMES["task_info"]: tasks}
        return runner.exit(**result)

    return runner.guarded(body)
