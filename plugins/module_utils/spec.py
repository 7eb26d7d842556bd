# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Workflow specs: what a module asks for, the request body it sends, the task record the
orchestrator makes of it (``name``/``command``/``args``, see docs/api-contract.md), and how an
existing task record relates to it."""

import hashlib
import json
import shlex

from ansible_collections.provisioning.platform.plugins.module_utils.errors import ValidationError

CLI = "/usr/local/provisioning"

KINDS = {
    # kind: (route, cli noun, target field, operations)
    "servers": ("/workflows/servers/create", "servers", None, ("create",)),
    "taskserv": ("/workflows/taskserv/create", "taskserv", "taskserv", ("create", "delete", "generate")),
    "cluster": ("/workflows/cluster/create", "cluster", "cluster_type", ("create", "delete")),
}

# operation -> operations that undo its effect on the same target.
UNDONE_BY = {
    "create": ("delete",),
    "delete": ("create",),
    "generate": ("delete",),
}

# Relations of a task record to a spec.
SAME = "same"                # same workflow (same kind, operation, target, infra, settings), real run
SAME_CHECK = "same_check"    # the same workflow's dry run (--check): never counts as converged
UNDO = "undo"                # same target and infra, an operation that undoes this one
UNRELATED = None


def _clean(value, field, required=False):
    if value is None:
        if required:
            raise ValidationError("%s is required and must be a non-empty string" % field, field=field)
        return None
    if not isinstance(value, str):
        raise ValidationError("%s must be a string, got %s" % (field, type(value).__name__), field=field)
    stripped = value.strip()
    if not stripped:
        if required:
            raise ValidationError("%s must be a non-empty string (got %r)" % (field, value), field=field)
        return None
    if any(ch.isspace() for ch in stripped) and field != "settings":
        raise ValidationError("%s must not contain whitespace (got %r)" % (field, value), field=field)
    if stripped.startswith("-"):
        raise ValidationError("%s must not start with '-' (got %r); it would be read as a CLI flag" % (field, value),
                              field=field)
    return stripped


class ParsedTask(object):
    """What a task record says about the workflow that created it."""

    def __init__(self, kind, operation, target, infra, settings, check, cli_wait):
        self.kind = kind
        self.operation = operation
        self.target = target
        self.infra = infra
        self.settings = settings
        self.check = check
        self.cli_wait = cli_wait

    def __repr__(self):  # pragma: no cover - debugging aid
        return "ParsedTask(%r)" % self.__dict__


def _args_list(args):
    if isinstance(args, list):
        return [str(a) for a in args]
    if isinstance(args, str):
        try:
            return shlex.split(args)
        except ValueError:
            return args.split()
    return []


def parse_task(task):
    """Parse a task record's name/command/args into a ParsedTask, or None if it is not a workflow task."""
    if not isinstance(task, dict):
        return None
    name = task.get("name") if isinstance(task.get("name"), str) else ""
    command = task.get("command") if isinstance(task.get("command"), str) else ""
    kind = operation = None
    # From the name first: create_servers, <op>_taskserv, <op>_cluster.
    for candidate in ("servers", "taskserv", "cluster"):
        suffix = "_" + candidate
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            kind, operation = candidate, name[:-len(suffix)].lower()
            break
    # Then from the command: ".../provisioning servers create".
    words = command.split()
    if kind is None and len(words) >= 2:
        noun, verb = words[-2].lower(), words[-1].lower()
        if noun in ("server", "servers"):
            noun = "servers"
        if noun in KINDS:
            kind, operation = noun, verb
    if kind is None:
        return None
    args = _args_list(task.get("args"))
    infra = settings = None
    check = wait = False
    positional = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--infra", "-i", "--settings", "-s") and i + 1 < len(args):
            if arg in ("--infra", "-i"):
                infra = args[i + 1]
            else:
                settings = args[i + 1]
            i += 2
            continue
        if arg.startswith("--infra="):
            infra = arg.split("=", 1)[1]
        elif arg.startswith("--settings="):
            settings = arg.split("=", 1)[1]
        elif arg in ("--check", "-c", "--check-mode", "--dry-run"):
            check = True
        elif arg in ("--wait", "-w"):
            wait = True
        elif not arg.startswith("-"):
            positional.append(arg)
        i += 1
    target = positional[0] if positional else None
    return ParsedTask(kind, operation, target, infra, settings or None, check, wait)


class WorkflowSpec(object):
    """A server / taskserv / cluster workflow request."""

    def __init__(self, kind, infra, operation="create", target=None, settings=None, cli_wait=False):
        if kind not in KINDS:
            raise ValidationError("unknown workflow kind %r" % (kind,), field="kind")
        route, noun, target_field, operations = KINDS[kind]
        self.kind = kind
        self.route = route
        self.noun = noun
        self.target_field = target_field
        if not isinstance(operation, str) or operation.strip().lower() not in operations:
            raise ValidationError("operation must be one of %s, got %r" % (", ".join(operations), operation),
                                  field="operation")
        self.operation = operation.strip().lower()
        self.infra = _clean(infra, "infra", required=True)
        if target_field:
            self.target = _clean(target, target_field, required=True)
        else:
            self.target = None
        self.settings = _clean(settings, "settings")
        self.cli_wait = bool(cli_wait)

    # ------------------------------------------------------------ wire format
    def body(self, check_mode=False):
        body = {}
        if self.target_field:
            body["operation"] = self.operation
            body[self.target_field] = self.target
        body["infra"] = self.infra
        if self.settings:
            body["settings"] = self.settings
        body["check_mode"] = bool(check_mode)
        body["wait"] = self.cli_wait
        return body

    @property
    def task_name(self):
        return "%s_%s" % (self.operation, self.noun)

    @property
    def command(self):
        return "%s %s %s" % (CLI, self.noun, self.operation)

    def args(self, check_mode=False):
        out = []
        if self.target:
            out.append(self.target)
        out += ["--infra", self.infra]
        if self.settings:
            out += ["--settings", self.settings]
        if check_mode:
            out.append("--check")
        if self.cli_wait:
            out.append("--wait")
        return out

    def command_line(self, check_mode=False):
        return " ".join([self.command] + [shlex.quote(a) for a in self.args(check_mode)])

    @property
    def identity(self):
        return {"kind": self.kind, "operation": self.operation, "target": self.target,
                "infra": self.infra, "settings": self.settings}

    @property
    def signature(self):
        """Stable string identifying this workflow (what idempotency is keyed on)."""
        parts = [self.kind, self.operation, self.target or "", "infra=%s" % self.infra,
                 "settings=%s" % (self.settings or "")]
        return ":".join(parts)

    def describe(self):
        """Human phrase used in messages: 'create server workflow for infra "prod"'."""
        if self.kind == "servers":
            return '%s server workflow for infra "%s"' % (self.operation, self.infra)
        label = "taskserv" if self.kind == "taskserv" else "cluster"
        return '%s %s "%s" on infra "%s"' % (self.operation, label, self.target, self.infra)

    # ------------------------------------------------------------ matching
    def relation(self, task):
        """SAME, SAME_CHECK, UNDO or UNRELATED (None) for a task record."""
        parsed = task if isinstance(task, ParsedTask) else parse_task(task)
        if parsed is None or parsed.kind != self.kind or parsed.infra != self.infra:
            return UNRELATED
        if (parsed.target or None) != (self.target or None):
            return UNRELATED
        if parsed.operation == self.operation:
            if (parsed.settings or None) != (self.settings or None):
                return UNRELATED
            return SAME_CHECK if parsed.check else SAME
        if parsed.check:
            return UNRELATED
        if parsed.operation in UNDONE_BY.get(self.operation, ()):
            return UNDO
        return UNRELATED

    def matches(self, task):
        return self.relation(task) == SAME


def definition_hash(definition):
    """sha256 of a canonical JSON rendering of any JSON-like structure."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
