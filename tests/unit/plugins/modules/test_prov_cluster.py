# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.provisioning.platform.plugins.modules import prov_cluster


def test_create_and_converge(run_module, fake):
    args = {"cluster_type": "buildkit", "infra": "prod"}
    first = run_module(prov_cluster.main, args)
    assert first["changed"] and first["task"]["name"] == "create_cluster"
    assert fake.submissions()[0]["path"] == "/workflows/cluster/create"
    assert fake.submissions()[0]["body"]["cluster_type"] == "buildkit"
    assert first["ansible_facts"]["prov_cluster_task"]["status"] == "Completed"
    second = run_module(prov_cluster.main, args)
    assert second["changed"] is False and second["converged"] is True


def test_delete_in_check_mode_without_dry_run(run_module, fake):
    fake.add_task("create_cluster", "/usr/local/provisioning cluster create", ["buildkit", "--infra", "lab"])
    result = run_module(prov_cluster.main, {"cluster_type": "buildkit", "infra": "lab", "operation": "delete",
                                            "check_mode_dry_run": False}, check_mode=True)
    assert result["changed"] is True and result["plan"]["body"]["operation"] == "delete"
    assert fake.submissions() == []


def test_generate_is_not_a_cluster_operation(run_module, fake):
    result = run_module(prov_cluster.main, {"cluster_type": "buildkit", "infra": "lab", "operation": "generate"})
    assert result.failed and "operation" in result["msg"] and fake.log == []
