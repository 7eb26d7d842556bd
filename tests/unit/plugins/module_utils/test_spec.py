# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.provisioning.platform.plugins.module_utils.errors import ValidationError
from ansible_collections.provisioning.platform.plugins.module_utils.spec import (
    SAME, SAME_CHECK, UNDO, WorkflowSpec, parse_task,
)


def task(name, command, args, **kw):
    out = dict(id="t", name=name, command=command, args=args, status="Completed")
    out.update(kw)
    return out


def test_server_spec_wire_format():
    spec = WorkflowSpec("servers", "prod", settings="prod.ncl", cli_wait=True)
    assert spec.route == "/workflows/servers/create"
    assert spec.body() == {"infra": "prod", "settings": "prod.ncl", "check_mode": False, "wait": True}
    assert spec.body(check_mode=True)["check_mode"] is True
    assert spec.task_name == "create_servers"
    assert spec.command == "/usr/local/provisioning servers create"
    assert spec.args() == ["--infra", "prod", "--settings", "prod.ncl", "--wait"]
    assert spec.args(check_mode=True) == ["--infra", "prod", "--settings", "prod.ncl", "--check", "--wait"]
    assert spec.describe() == 'create server workflow for infra "prod"'


def test_taskserv_and_cluster_wire_format():
    ts = WorkflowSpec("taskserv", "prod", operation="delete", target="kubernetes")
    assert ts.body() == {"operation": "delete", "taskserv": "kubernetes", "infra": "prod", "check_mode": False,
                         "wait": False}
    assert ts.task_name == "delete_taskserv" and ts.args() == ["kubernetes", "--infra", "prod"]
    cl = WorkflowSpec("cluster", "prod", target="buildkit")
    assert cl.body()["cluster_type"] == "buildkit" and cl.command.endswith("cluster create")


def test_signature_is_stable_and_distinguishes_identity():
    a = WorkflowSpec("taskserv", "prod", target="kubernetes")
    assert a.signature == WorkflowSpec("taskserv", "prod", target="kubernetes", cli_wait=True).signature
    assert a.signature != WorkflowSpec("taskserv", "prod", target="cilium").signature
    assert a.signature != WorkflowSpec("taskserv", "prod", target="kubernetes", settings="s").signature
    assert a.signature != WorkflowSpec("taskserv", "prod", operation="delete", target="kubernetes").signature
    assert a.signature == "taskserv:create:kubernetes:infra=prod:settings="


@pytest.mark.parametrize("record", [
    task("create_taskserv", "/usr/local/provisioning taskserv create", ["kubernetes", "--infra", "prod", "--wait"]),
    task("create_taskserv", "x", "kubernetes --infra prod"),
    task("create_taskserv", "x", ["kubernetes", "--infra=prod"]),
    task("", "/usr/local/provisioning taskserv create", ["kubernetes", "--infra", "prod"]),
    task("Create_Taskserv", None, ["kubernetes", "-i", "prod"]),
])
def test_parse_is_tolerant(record):
    parsed = parse_task(record)
    assert (parsed.kind, parsed.operation, parsed.target, parsed.infra) == ("taskserv", "create", "kubernetes", "prod")
    assert WorkflowSpec("taskserv", "prod", target="kubernetes").relation(record) == SAME


def test_relations():
    spec = WorkflowSpec("taskserv", "prod", target="kubernetes")
    cmd = "/usr/local/provisioning taskserv"
    assert spec.relation(task("create_taskserv", cmd + " create", ["kubernetes", "--infra", "prod", "--check"])) \
        == SAME_CHECK
    assert spec.relation(task("delete_taskserv", cmd + " delete", ["kubernetes", "--infra", "prod"])) == UNDO
    assert spec.relation(task("delete_taskserv", cmd + " delete", ["kubernetes", "--infra", "prod", "--check"])) \
        is None
    assert spec.relation(task("create_taskserv", cmd + " create", ["kubernetes", "--infra", "dev"])) is None
    assert spec.relation(task("create_taskserv", cmd + " create", ["cilium", "--infra", "prod"])) is None
    assert spec.relation(task("generate_taskserv", cmd + " generate", ["kubernetes", "--infra", "prod"])) is None
    assert spec.relation(task("create_servers", "/usr/local/provisioning servers create", ["--infra", "prod"])) \
        is None
    assert spec.relation({"name": "something_else"}) is None
    assert spec.relation("garbage") is None
    servers = WorkflowSpec("servers", "prod")
    assert servers.relation(task("create_servers", "/usr/local/provisioning servers create",
                                 ["--infra", "prod", "--settings", "x"])) is None


@pytest.mark.parametrize("kwargs, field", [
    (dict(kind="servers", infra=""), "infra"),
    (dict(kind="servers", infra="   "), "infra"),
    (dict(kind="servers", infra=None), "infra"),
    (dict(kind="servers", infra="two words"), "infra"),
    (dict(kind="servers", infra="--check"), "infra"),
    (dict(kind="servers", infra=5), "infra"),
    (dict(kind="taskserv", infra="prod", target=""), "taskserv"),
    (dict(kind="taskserv", infra="prod", target="k8s", operation="upgrade"), "operation"),
    (dict(kind="cluster", infra="prod", target=None), "cluster_type"),
    (dict(kind="cluster", infra="prod", target="b", operation="generate"), "operation"),
    (dict(kind="nope", infra="prod"), "kind"),
])
def test_validation_names_the_field(kwargs, field):
    kind = kwargs.pop("kind")
    with pytest.raises(ValidationError) as info:
        WorkflowSpec(kind, **kwargs)
    assert info.value.field == field
    assert field in info.value.msg
