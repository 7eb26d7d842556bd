# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.provisioning.platform.plugins.modules import prov_server, prov_task_info

SERVERS = "/usr/local/provisioning servers create"


def test_by_id_and_unknown_id(run_module, fake):
    rec = fake.add_task("create_servers", SERVERS, ["--infra", "prod"])
    result = run_module(prov_task_info.main, {"id": rec["id"]})
    assert result["changed"] is False and result["task"]["id"] == rec["id"]
    assert result["tasks"] == [result["task"]] and result["ansible_facts"]["prov_tasks"] == result["tasks"]
    missing = run_module(prov_task_info.main, {"id": "nope"})
    assert not missing.failed and missing["tasks"] == [] and missing["missing"] == ["nope"]
    assert missing["task"] is None


def test_filters_page_past_1000(run_module, fake):
    for i in range(1200):
        fake.add_task("create_servers", SERVERS, ["--infra", "prod" if i % 2 else "dev"], age=5000 - i,
                      status="Failed" if i % 3 == 0 else "Completed")
    result = run_module(prov_task_info.main, {"infra": "prod"})
    assert len(result["tasks"]) == 600
    assert [e["params"]["offset"] for e in fake.log if e["path"] == "/tasks"] == ["0", "1000"]
    failed = run_module(prov_task_info.main, {"status": "failed", "infra": "dev"})
    assert failed["tasks"] and all(t["status"] == "Failed" for t in failed["tasks"])
    assert fake.log[-1]["params"]["status"] == "Failed"
    limited = run_module(prov_task_info.main, {"name": "create_servers", "limit": 3})
    assert len(limited["tasks"]) == 3


def test_nothing_matches_is_empty_list(run_module, fake):
    result = run_module(prov_task_info.main, {"name": "create_cluster"})
    assert not result.failed and result["tasks"] == [] and result["ansible_facts"]["prov_tasks"] == []


def test_wait_for_ids_one_list_request_per_poll(run_module, fake):
    ids = [run_module(prov_server.main, {"infra": name, "wait": False})["task_id"] for name in ("a", "b", "c")]
    before = len(fake.log)
    result = run_module(prov_task_info.main, {"ids": ids, "wait": True})
    assert [t["id"] for t in result["tasks"]] == ids
    assert all(t["status"] == "Completed" for t in result["tasks"])
    polls = fake.log[before:]
    assert all(e["path"] == "/tasks" for e in polls)  # never one GET per id


def test_wait_timeout_reports(run_module, fake):
    fake.duration = 100
    task_id = run_module(prov_server.main, {"infra": "a", "wait": False})["task_id"]
    result = run_module(prov_task_info.main, {"id": task_id, "wait": True, "wait_timeout": 3})
    assert result.failed and result["last_status"] == "Running" and task_id in result["msg"]
    assert "attaches" not in result["msg"] and "run prov_task_info again" in result["msg"]


def test_wait_timeout_on_many_reports_the_newest_records(run_module, fake):
    fake.duration = 100
    ids = [run_module(prov_server.main, {"infra": name, "wait": False})["task_id"] for name in ("a", "b")]
    result = run_module(prov_task_info.main, {"ids": ids, "wait": True, "wait_timeout": 3})
    assert result.failed and "run prov_task_info again" in result["msg"]
    last = result["last_task"]
    reported = [t for t in result["tasks"] if t["id"] == last["id"]][0]
    assert reported["progress"] == last["progress"] and reported["progress"] > 0


def test_bad_status_and_exclusive_ids(run_module, fake):
    result = run_module(prov_task_info.main, {"status": "Done"})
    assert result.failed and result["field"] == "status" and "Pending, Running" in result["msg"]
    result = run_module(prov_task_info.main, {"id": "a", "ids": ["b"]})
    assert result.failed and "mutually exclusive" in result["msg"]
    assert fake.log == []


def test_supports_check_mode(run_module, fake):
    fake.add_task("create_servers", SERVERS, ["--infra", "prod"])
    result = run_module(prov_task_info.main, {}, check_mode=True)
    assert not result.failed and len(result["tasks"]) == 1
