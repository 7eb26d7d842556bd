# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch definitions: local validation (before anything is submitted), the request body,
identity by name + definition, and the execution order used as the check-mode plan."""

from ansible_collections.provisioning.platform.plugins.module_utils.errors import ValidationError
from ansible_collections.provisioning.platform.plugins.module_utils.spec import SAME, UNDO, definition_hash

OPERATION_TYPES = ("server_batch", "taskserv_batch", "cluster_batch")
STORAGE_BACKENDS = ("filesystem", "surrealdb")
# Per-type list fields that must be lists when present.
LIST_FIELDS = {"server_batch": "server_configs", "taskserv_batch": "taskservs", "cluster_batch": "clusters"}


def _label(index, op):
    op_id = op.get("id") if isinstance(op, dict) else None
    if isinstance(op_id, str) and op_id:
        return 'operations[%d] (id "%s")' % (index, op_id)
    return "operations[%d]" % index


def validate_operations(operations):
    """Return the list of problems in ``operations`` (empty when valid)."""
    problems = []
    if not isinstance(operations, list) or not operations:
        return ["operations must be a non-empty list of operation dicts"]
    ids = {}
    for index, op in enumerate(operations):
        if not isinstance(op, dict):
            problems.append("operations[%d]: must be a dict, got %s" % (index, type(op).__name__))
            continue
        label = _label(index, op)
        op_id = op.get("id")
        if not isinstance(op_id, str) or not op_id.strip():
            problems.append("%s: id is required and must be a non-empty string" % label)
        elif op_id in ids:
            problems.append('%s: duplicate id "%s" (already used by operations[%d])' % (label, op_id, ids[op_id]))
        else:
            ids[op_id] = index
        op_type = op.get("type")
        if op_type not in OPERATION_TYPES:
            problems.append("%s: type %r is not one of %s" % (label, op_type, ", ".join(OPERATION_TYPES)))
        else:
            field = LIST_FIELDS[op_type]
            if field in op and not isinstance(op[field], list):
                problems.append("%s: %s must be a list" % (label, field))
        deps = op.get("dependencies", [])
        if deps is None:
            deps = []
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            problems.append("%s: dependencies must be a list of operation ids" % label)
    if problems:
        return problems
    for index, op in enumerate(operations):
        label = _label(index, op)
        for dep in op.get("dependencies") or []:
            if dep == op["id"]:
                problems.append('%s: depends on itself' % label)
            elif dep not in ids:
                problems.append('%s: dependency "%s" does not exist; known ids: %s'
                                % (label, dep, ", ".join(sorted(ids))))
    if problems:
        return problems
    cycle = find_cycle(operations)
    if cycle:
        problems.append("operations form a dependency cycle: %s" % " -> ".join(cycle))
    return problems


def find_cycle(operations):
    graph = dict((op["id"], list(op.get("dependencies") or [])) for op in operations)
    state = {}
    path = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for dep in graph.get(node, []):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if state.get(dep) is None:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for op in operations:
        if state.get(op["id"]) is None:
            found = visit(op["id"])
            if found:
                return found
    return None


def execution_order(operations):
    """Waves of operation ids: each wave only depends on earlier waves."""
    remaining = dict((op["id"], set(op.get("dependencies") or [])) for op in operations)
    order = [op["id"] for op in operations]
    done = set()
    waves = []
    while remaining:
        wave = [i for i in order if i in remaining and remaining[i] <= done]
        if not wave:  # pragma: no cover - cycles are rejected before
            break
        waves.append(wave)
        for i in wave:
            del remaining[i]
            done.add(i)
    return waves


def _normalize_op(op):
    out = dict(op)
    out["dependencies"] = list(op.get("dependencies") or [])
    return out


class BatchSpec(object):
    """A batch definition as the module submits it."""

    def __init__(self, name, operations=None, version="1.0.0", storage_backend="filesystem", parallel_limit=5,
                 rollback_enabled=True, require_operations=True):
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("name is required and must be a non-empty string", field="name")
        self.name = name.strip()
        if storage_backend not in STORAGE_BACKENDS:
            raise ValidationError("storage_backend must be one of %s, got %r"
                                  % (", ".join(STORAGE_BACKENDS), storage_backend), field="storage_backend")
        if parallel_limit is not None and (not isinstance(parallel_limit, int) or parallel_limit < 1):
            raise ValidationError("parallel_limit must be an integer >= 1, got %r" % (parallel_limit,),
                                  field="parallel_limit")
        self.version = version
        self.storage_backend = storage_backend
        self.parallel_limit = parallel_limit
        self.rollback_enabled = bool(rollback_enabled)
        if operations is None and not require_operations:
            self.operations = None
        else:
            problems = validate_operations(operations)
            if problems:
                raise ValidationError("invalid batch definition: " + "; ".join(problems), field="operations")
            self.operations = [_normalize_op(op) for op in operations]

    def body(self):
        return {
            "name": self.name,
            "version": self.version,
            "storage_backend": self.storage_backend,
            "parallel_limit": self.parallel_limit,
            "rollback_enabled": self.rollback_enabled,
            "operations": self.operations,
        }

    @property
    def signature(self):
        return "batch:%s:%s" % (self.name, definition_hash(self.body()))

    def describe(self):
        return 'run batch "%s"' % self.name

    def definition_matches(self, record):
        if self.operations is None:
            return True
        for key in ("version", "storage_backend", "parallel_limit", "rollback_enabled"):
            if key in record and record.get(key) is not None and record.get(key) != getattr(self, key):
                return False
        ops = record.get("operations")
        if not isinstance(ops, list):
            return False
        by_id = dict((op.get("id"), op) for op in ops if isinstance(op, dict))
        if set(by_id) != set(op["id"] for op in self.operations):
            return False
        for op in self.operations:
            theirs = by_id[op["id"]]
            for key, value in op.items():
                mine = value
                other = theirs.get(key)
                if key == "dependencies":
                    mine, other = sorted(mine or []), sorted(other or [])
                if mine != other:
                    return False
        return True

    def relation(self, record):
        """SAME (same name and definition), UNDO (same name, other definition) or None."""
        if not isinstance(record, dict) or record.get("name") != self.name:
            return None
        return SAME if self.definition_matches(record) else UNDO

    def plan(self):
        return {"name": self.name, "waves": execution_order(self.operations or []),
                "operations": [op["id"] for op in self.operations or []]}
