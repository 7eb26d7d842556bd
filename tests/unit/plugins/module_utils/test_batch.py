# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.provisioning.platform.plugins.module_utils.batch import (
    BatchSpec, execution_order, validate_operations,
)
from ansible_collections.provisioning.platform.plugins.module_utils.errors import ValidationError

OPS = [
    {"id": "upcloud_servers", "type": "server_batch", "provider": "upcloud", "dependencies": []},
    {"id": "aws_taskservs", "type": "taskserv_batch", "dependencies": ["upcloud_servers"], "taskservs": ["k8s"]},
    {"id": "clusters", "type": "cluster_batch", "dependencies": ["aws_taskservs", "upcloud_servers"]},
]


def test_valid_definition_and_waves():
    assert validate_operations(OPS) == []
    assert execution_order(OPS) == [["upcloud_servers"], ["aws_taskservs"], ["clusters"]]


@pytest.mark.parametrize("ops, expected", [
    ([], "operations must be a non-empty list"),
    ("x", "operations must be a non-empty list"),
    ([{"id": "a", "type": "server_batch"}, {"id": "a", "type": "server_batch"}],
     'operations[1] (id "a"): duplicate id "a" (already used by operations[0])'),
    ([{"id": "a", "type": "vm_batch"}], "operations[0] (id \"a\"): type 'vm_batch' is not one of server_batch"),
    ([{"type": "server_batch"}], "operations[0]: id is required"),
    ([{"id": "a", "type": "server_batch"}, {"id": "aws_taskservs", "type": "taskserv_batch", "dependencies": ["foo"]},
      {"id": "c", "type": "server_batch"}],
     'operations[1] (id "aws_taskservs"): dependency "foo" does not exist'),
    ([{"id": "a", "type": "server_batch", "dependencies": ["a"]}], 'operations[0] (id "a"): depends on itself'),
    ([{"id": "a", "type": "server_batch", "dependencies": ["b"]},
      {"id": "b", "type": "server_batch", "dependencies": ["a"]}],
     "operations form a dependency cycle: a -> b -> a"),
    ([{"id": "a", "type": "server_batch", "dependencies": "b"}], "dependencies must be a list"),
    ([{"id": "a", "type": "taskserv_batch", "taskservs": "k8s"}], "taskservs must be a list"),
    (["a"], "operations[0]: must be a dict"),
])
def test_problems_name_the_operation(ops, expected):
    problems = validate_operations(ops)
    assert any(expected in p for p in problems), problems


def test_spec_rejects_bad_input_with_field():
    with pytest.raises(ValidationError) as info:
        BatchSpec("b", [{"id": "a", "type": "nope"}])
    assert info.value.field == "operations" and "invalid batch definition" in info.value.msg
    with pytest.raises(ValidationError) as info:
        BatchSpec("", OPS)
    assert info.value.field == "name"
    with pytest.raises(ValidationError) as info:
        BatchSpec("b", OPS, parallel_limit=0)
    assert info.value.field == "parallel_limit"
    with pytest.raises(ValidationError) as info:
        BatchSpec("b", OPS, storage_backend="s3")
    assert info.value.field == "storage_backend"


def test_definition_match_tolerates_echoed_extras():
    spec = BatchSpec("b", OPS)
    record = dict(spec.body(), id="x", status="Completed")
    record["operations"] = [dict(op, status="Completed", progress=100.0, task_id="t") for op in spec.operations]
    assert spec.relation(record) == "same"
    record["operations"][1]["taskservs"] = ["cilium"]
    assert spec.relation(record) == "undo"
    assert spec.relation({"name": "other"}) is None
    assert spec.signature.startswith("batch:b:") and spec.signature == BatchSpec("b", OPS).signature
