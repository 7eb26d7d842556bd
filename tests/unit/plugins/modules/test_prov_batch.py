# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.provisioning.platform.plugins.modules import prov_batch

OPS = [
    {"id": "upcloud_servers", "type": "server_batch", "provider": "upcloud", "infra": "prod",
     "server_configs": [{"name": "web-01", "plan": "1xCPU-2GB"}]},
    {"id": "aws_taskservs", "type": "taskserv_batch", "dependencies": ["upcloud_servers"],
     "taskservs": ["kubernetes"]},
]


def args(**kw):
    out = {"name": "deploy", "operations": OPS}
    out.update(kw)
    return out


def test_run_then_converge(run_module, fake):
    first = run_module(prov_batch.main, args())
    assert not first.failed, first
    assert first["changed"] and first["batch"]["status"] == "Completed"
    assert [op["status"] for op in first["batch"]["operations"]] == ["Completed", "Completed"]
    assert first["ansible_facts"]["prov_batch"]["id"] == first["batch_id"]
    body = fake.submissions("/batch/execute")[0]["body"]
    assert body["name"] == "deploy" and body["parallel_limit"] == 5 and body["storage_backend"] == "filesystem"
    assert body["operations"][0]["dependencies"] == []
    second = run_module(prov_batch.main, args())
    assert second["changed"] is False and second["converged"] is True
    assert len(fake.submissions("/batch/execute")) == 1


def test_invalid_definition_names_operation_and_sends_nothing(run_module, fake):
    bad = [dict(OPS[0]), {"id": "aws_taskservs", "type": "taskserv_batch", "dependencies": ["foo"]},
           {"id": "upcloud_servers", "type": "vm_batch"}]
    result = run_module(prov_batch.main, args(operations=bad))
    assert result.failed and result["field"] == "operations"
    assert 'operations[1] (id "aws_taskservs"): dependency "foo" does not exist' in result["msg"] or \
        'operations[2] (id "upcloud_servers"): duplicate id' in result["msg"]
    assert fake.log == []


def test_cycle_rejected(run_module, fake):
    ops = [{"id": "a", "type": "server_batch", "dependencies": ["b"]},
           {"id": "b", "type": "server_batch", "dependencies": ["a"]}]
    result = run_module(prov_batch.main, args(operations=ops))
    assert result.failed and "cycle: a -> b -> a" in result["msg"] and fake.log == []


def test_failed_batch_lists_failed_operations(run_module, fake):
    fake.fail_ops = {"aws_taskservs": "kubernetes install failed"}
    result = run_module(prov_batch.main, args())
    assert result.failed and result["changed"] is True
    assert "aws_taskservs (Failed: kubernetes install failed)" in result["msg"]
    assert result["batch"]["status"] == "Failed"


def test_timeout_with_cancel(run_module, fake):
    fake.duration = 100
    result = run_module(prov_batch.main, args(wait_timeout=5, cancel_on_timeout=True))
    assert result.failed and result["cancelled"] is True and "cancelled (cancel_on_timeout)" in result["msg"]
    assert "attaches" not in result["msg"]  # nothing is left running to attach to
    assert result["batch"]["status"] == "Cancelled" and result["last_status"] == "Cancelled"
    assert fake.count("POST", "/batch/operations/") == 1


def test_timeout_without_cancel_then_attach(run_module, fake):
    fake.duration = 100
    result = run_module(prov_batch.main, args(wait_timeout=5))
    assert result.failed and result["last_status"] == "Running" and result["batch_id"]
    again = run_module(prov_batch.main, args())
    assert again["attached"] is True and again["batch_id"] == result["batch_id"]
    assert len(fake.submissions("/batch/execute")) == 1


def test_absent_cancels_in_flight_then_unchanged(run_module, fake):
    fake.duration = 100
    run_module(prov_batch.main, args(wait=False))
    check = run_module(prov_batch.main, {"name": "deploy", "state": "absent"}, check_mode=True)
    assert check["changed"] is True and fake.count("POST", "/batch/operations/") == 0
    cancelled = run_module(prov_batch.main, {"name": "deploy", "state": "absent"})
    assert cancelled["changed"] is True and cancelled["batch"]["status"] == "Cancelled"
    again = run_module(prov_batch.main, {"name": "deploy", "state": "absent"})
    assert again["changed"] is False


def test_check_mode_plan_waves(run_module, fake):
    result = run_module(prov_batch.main, args(), check_mode=True, diff=True)
    assert result["changed"] is True and fake.submissions("/batch") == []
    assert result["plan"]["waves"] == [["upcloud_servers"], ["aws_taskservs"]]
    assert "wave 2: aws_taskservs" in result["diff"]["after"]


def test_present_requires_operations(run_module, fake):
    result = run_module(prov_batch.main, {"name": "deploy"})
    assert result.failed and "operations" in result["msg"] and fake.log == []


def test_bad_storage_backend(run_module, fake):
    result = run_module(prov_batch.main, args(storage_backend="s3"))
    assert result.failed and "storage_backend" in result["msg"] and fake.log == []
