#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: prov_batch
short_description: Run (or cancel) a batch of server, task-service and cluster operations
version_added: 0.1.0
description:
  - Validates a batch definition locally (unique operation ids, known operation types, existing
    dependencies, no dependency cycle; every error names the operation), submits it
    (C(POST /batch/execute)), waits for it, and returns the batch with every operation's status.
  - Idempotent by name and definition. A run attaches to an in-flight batch with the same name and
    definition, reports C(changed=false) when the newest such batch Completed (and no newer batch
    with the same name but another definition superseded it), and submits otherwise.
  - O(state=absent) cancels the newest in-flight batch with this name (and, when O(operations) is
    given, this definition). A batch that is already terminal, or none at all, is left alone
    (C(changed=false)).
author:
  - Provisioning Platform maintainers (@provisioning-platform)
options:
  name:
    description:
      - Name of the batch. With the definition, this is the batch's identity.
    type: str
    required: true
  version:
    description:
      - Version string of the batch definition.
    type: str
    default: 1.0.0
  storage_backend:
    description:
      - Where the orchestrator keeps the batch state.
    type: str
    choices: [filesystem, surrealdb]
    default: filesystem
  parallel_limit:
    description:
      - Maximum number of operations that run at once.
    type: int
    default: 5
  rollback_enabled:
    description:
      - Roll back completed operations when one fails.
    type: bool
    default: true
  operations:
    description:
      - The operations. Each is a dict with C(id) (unique), C(type) (V(server_batch),
        V(taskserv_batch) or V(cluster_batch)), optional C(dependencies) (ids of other operations),
        and the type's own fields such as C(provider), C(infra), C(server_configs), C(taskservs)
        or C(clusters), passed through unchanged.
      - Required with O(state=present).
    type: list
    elements: dict
  state:
    description:
      - V(present) runs the batch; V(absent) cancels it if it is in flight.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Submit a new batch even when an identical one is in flight or already Completed.
    type: bool
    default: false
  cancel_on_timeout:
    description:
      - When O(wait_timeout) expires, cancel the batch before failing (otherwise it keeps running
        and the next run attaches to it).
    type: bool
    default: false
extends_documentation_fragment:
  - provisioning.platform.connection
  - provisioning.platform.wait
  - provisioning.platform.attributes
  - provisioning.platform.idempotency
attributes:
  check_mode:
    support: full
    details:
      - Check mode validates the definition and looks the batch up with the same code a real run
        uses; it never submits or cancels anything. The orchestrator has no batch dry run, so the
        plan (RV(plan)) is computed locally, including the dependency waves.
  diff_mode:
    support: full
    details:
      - RV(diff.before) is the lookup verdict, RV(diff.after) the plan or every operation's final status.
seealso:
  - module: provisioning.platform.prov_task_info
"""

EXAMPLES = r"""
- name: Servers, then task services on them
  provisioning.platform.prov_batch:
    name: multi_cloud_deployment
    version: "1.0.0"
    storage_backend: filesystem
    parallel_limit: 2
    operations:
      - id: upcloud_servers
        type: server_batch
        provider: upcloud
        infra: prod
        dependencies: []
        server_configs:
          - {name: web-01, plan: 1xCPU-2GB, zone: de-fra1}
      - id: aws_taskservs
        type: taskserv_batch
        provider: aws
        infra: prod
        dependencies: [upcloud_servers]
        taskservs: [kubernetes, cilium, containerd]
    wait_timeout: 1200
  register: batch

- name: Every operation's status
  ansible.builtin.debug:
    msg: "{{ batch.batch.operations | map(attribute='status') | list }}"

- name: Submit a long batch and cancel it if it is not done in 10 minutes
  provisioning.platform.prov_batch:
    name: nightly_rebuild
    operations:
      - {id: servers, type: server_batch, infra: lab}
      - {id: k8s, type: taskserv_batch, infra: lab, dependencies: [servers], taskservs: [kubernetes]}
    wait_timeout: 600
    cancel_on_timeout: true

- name: Cancel it if it is still running
  provisioning.platform.prov_batch:
    name: nightly_rebuild
    state: absent
"""

RETURN = r"""
batch:
  description:
    - The batch status object, redacted. On failure and timeout, the last one seen.
    - V(null) when there is none (O(state=absent) with nothing in flight, or check mode before a first run).
  returned: always
  type: dict
  contains:
    id:
      description: Batch id.
      type: str
      sample: 3b0cbd8a-8a43-4b8e-9d0b-2f3a1c6f8e21
    batch_id:
      description: Same value as RV(batch.id).
      type: str
    name:
      description: Batch name.
      type: str
      sample: multi_cloud_deployment
    status:
      description: V(Pending), V(Running), V(Completed), V(Failed) or V(Cancelled).
      type: str
      sample: Completed
    progress:
      description: Progress in percent.
      type: float
    error:
      description: Error text when the batch failed.
      type: str
    rolled_back:
      description: Ids of operations that were rolled back.
      type: list
      elements: str
    operations:
      description: Every operation with its status, plus the submitted fields.
      type: list
      elements: dict
      contains:
        id:
          description: Operation id.
          type: str
        type:
          description: Operation type.
          type: str
        status:
          description: Operation status.
          type: str
        progress:
          description: Progress in percent.
          type: float
        task_id:
          description: Id of the task the operation ran as.
          type: str
        output:
          description: Operation output.
          type: str
        error:
          description: Operation error.
          type: str
batch_id:
  description: Id of RV(batch); returned on failure too, so a rerun can attach.
  returned: always
  type: str
attached:
  description: True when an identical batch was in flight and this run attached to it.
  returned: always
  type: bool
converged:
  description: True when the newest identical batch had Completed, so nothing was submitted.
  returned: always
  type: bool
signature:
  description: The batch identity (name and a hash of the definition).
  returned: always
  type: str
  sample: batch:multi_cloud_deployment:9f2c...
plan:
  description: In check mode, what a real run would do. V(null) otherwise.
  returned: always
  type: dict
  contains:
    action:
      description: V(submit), V(attach) or V(cancel).
      type: str
    name:
      description: Batch name.
      type: str
    operations:
      description: Operation ids.
      type: list
      elements: str
    waves:
      description: Operation ids grouped in dependency order (each wave only depends on earlier ones).
      type: list
      elements: list
    body:
      description: Request body that would be sent.
      type: dict
    batch_id:
      description: With RV(plan.action=cancel), the batch that would be cancelled.
      type: str
cancelled:
  description: With O(cancel_on_timeout), whether the batch was cancelled after the timeout.
  returned: on timeout with O(cancel_on_timeout=true)
  type: bool
diff:
  description: Text diff, with C(--diff).
  returned: in diff mode
  type: dict
  contains:
    before:
      description: Lookup verdict.
      type: str
    after:
      description: Plan, or every operation's final status.
      type: str
elapsed:
  description: Seconds the module run took.
  returned: always
  type: float
ansible_facts:
  description: Facts set for later tasks (no secrets).
  returned: always
  type: dict
  contains:
    prov_batch:
      description: Same as RV(batch).
      type: dict
status:
  description: HTTP status of the failed request.
  returned: on an HTTP error
  type: int
url:
  description: URL of the failed request.
  returned: on an HTTP or connection error
  type: str
response:
  description: Body of the failed response, redacted.
  returned: on an HTTP error
  type: raw
task_status:
  description: Terminal status of a batch that Failed or was Cancelled.
  returned: when the batch failed
  type: str
error:
  description: The batch's C(error).
  returned: when the batch failed
  type: str
output:
  description: The batch's C(output), if any.
  returned: when the batch failed
  type: str
last_status:
  description: Status of the batch when O(wait_timeout) expired.
  returned: on timeout
  type: str
last_task:
  description: Last batch record seen before O(wait_timeout) expired.
  returned: on timeout
  type: dict
field:
  description: Name of the invalid option.
  returned: on invalid input
  type: str
submit_attempts:
  description: How many submissions were made when their outcome stayed unknown.
  returned: when submission failed with an unknown outcome
  type: int
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.provisioning.platform.plugins.module_utils.options import (  # noqa: E402
    module_argspec, module_kwargs,
)
from ansible_collections.provisioning.platform.plugins.module_utils.runner import run_batch  # noqa: E402

OWN_OPTIONS = dict(
    name=dict(type="str", required=True),
    version=dict(type="str", default="1.0.0"),
    storage_backend=dict(type="str", default="filesystem", choices=["filesystem", "surrealdb"]),
    parallel_limit=dict(type="int", default=5),
    rollback_enabled=dict(type="bool", default=True),
    operations=dict(type="list", elements="dict"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    force=dict(type="bool", default=False),
    cancel_on_timeout=dict(type="bool", default=False),
)


def main():
    module = AnsibleModule(argument_spec=module_argspec(OWN_OPTIONS),
                           required_if=[("state", "present", ("operations",))], **module_kwargs())
    run_batch(module)


if __name__ == "__main__":
    main()
