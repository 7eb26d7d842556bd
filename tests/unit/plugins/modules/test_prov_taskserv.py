# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.provisioning.platform.plugins.modules import prov_taskserv


def test_create_delete_create_cycle(run_module, fake, clock):
    args = {"taskserv": "kubernetes", "infra": "prod"}
    first = run_module(prov_taskserv.main, args)
    assert first["changed"] and first["task"]["name"] == "create_taskserv"
    assert first["task"]["args"] == ["kubernetes", "--infra", "prod"]
    assert first["ansible_facts"]["prov_taskserv_task"]["id"] == first["task_id"]
    assert not run_module(prov_taskserv.main, args)["changed"]
    clock.advance(1)
    deleted = run_module(prov_taskserv.main, dict(args, operation="delete"))
    assert deleted["changed"] and deleted["task"]["name"] == "delete_taskserv"
    assert not run_module(prov_taskserv.main, dict(args, operation="delete"))["changed"]
    clock.advance(1)
    again = run_module(prov_taskserv.main, args)  # the delete undid the create
    assert again["changed"] and again["converged"] is False
    assert len(fake.submissions()) == 3


def test_body_and_other_targets_are_independent(run_module, fake):
    run_module(prov_taskserv.main, {"taskserv": "cilium", "infra": "prod", "operation": "generate",
                                    "settings": "net.ncl", "wait_for_taskserv": True})
    assert fake.submissions()[0]["body"] == {"operation": "generate", "taskserv": "cilium", "infra": "prod",
                                             "settings": "net.ncl", "check_mode": False, "wait": True}
    result = run_module(prov_taskserv.main, {"taskserv": "kubernetes", "infra": "prod"})
    assert result["changed"]


def test_unknown_operation_rejected(run_module, fake):
    result = run_module(prov_taskserv.main, {"taskserv": "kubernetes", "infra": "prod", "operation": "upgrade"})
    assert result.failed and "operation" in result["msg"] and "create, delete, generate" in result["msg"]
    assert fake.log == []


def test_missing_required(run_module, fake):
    result = run_module(prov_taskserv.main, {"infra": "prod"})
    assert result.failed and "taskserv" in result["msg"] and fake.log == []
    result = run_module(prov_taskserv.main, {"infra": "prod", "taskserv": ""})
    assert result.failed and result["field"] == "taskserv" and fake.log == []


def test_check_mode_diff(run_module, fake):
    result = run_module(prov_taskserv.main, {"taskserv": "kubernetes", "infra": "prod"}, check_mode=True, diff=True)
    assert result["changed"] and "PLAN: would create taskserv on prod" in result["diff"]["after"]
    assert all(s["body"]["check_mode"] for s in fake.submissions())
