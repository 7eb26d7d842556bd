#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: prov_taskserv
short_description: Create, delete or generate a task service on an infrastructure
version_added: 0.1.0
description:
  - Submits the orchestrator's task-service workflow (C(POST /workflows/taskserv/create)) to
    create, delete or generate a task service (for example kubernetes, cilium, containerd)
    on an infrastructure, waits for its task, and returns the final task record.
  - Idempotent. A run attaches to an identical workflow still in flight, reports
    C(changed=false) when the newest identical workflow already Completed and no newer
    opposite operation (C(delete) after C(create), or the reverse) undid it, and submits
    otherwise (see the notes).
author:
  - Provisioning Platform maintainers (@provisioning-platform)
options:
  taskserv:
    description:
      - Name of the task service, for example V(kubernetes).
    type: str
    required: true
  operation:
    description:
      - What to do with the task service. V(delete) undoes V(create) (and V(generate)); V(create) undoes V(delete).
    type: str
    choices: [create, delete, generate]
    default: create
  infra:
    description:
      - Name of the infrastructure (workspace).
    type: str
    required: true
  settings:
    description:
      - Settings file passed to the provisioning run (C(--settings)). Part of the workflow's identity.
    type: str
  wait_for_taskserv:
    description:
      - The API's own C(wait) flag (C(--wait)); the provisioning run inside the task waits until the
        task service is ready before the task completes.
      - Not the same as O(wait), which makes this module wait for the task.
    type: bool
    default: false
  force:
    description:
      - Submit a new workflow even when an identical one is in flight or already converged.
    type: bool
    default: false
  check_mode_dry_run:
    description:
      - In check mode, ask the orchestrator for a dry run (C(check_mode=true) in the request) and
        return its output as RV(plan.output) (and in RV(diff) with C(--diff)).
      - With V(false), check mode predicts locally from the task list only and sends nothing.
      - Has no effect outside check mode.
    type: bool
    default: true
extends_documentation_fragment:
  - provisioning.platform.connection
  - provisioning.platform.wait
  - provisioning.platform.attributes
  - provisioning.platform.idempotency
seealso:
  - module: provisioning.platform.prov_task_info
"""

EXAMPLES = r"""
- name: Install kubernetes on infra "prod"
  provisioning.platform.prov_taskserv:
    taskserv: kubernetes
    infra: prod
  register: k8s

- name: Generate the cilium configuration without waiting for the task
  provisioning.platform.prov_taskserv:
    taskserv: cilium
    operation: generate
    infra: prod
    wait: false

- name: Remove containerd from infra "lab"; a second run reports ok
  provisioning.platform.prov_taskserv:
    taskserv: containerd
    operation: delete
    infra: lab

- name: Re-run an installation even though it already completed
  provisioning.platform.prov_taskserv:
    taskserv: kubernetes
    infra: prod
    force: true

- name: Use the fact in a later task
  ansible.builtin.debug:
    msg: "kubernetes task {{ ansible_facts.prov_taskserv_task.id }} is {{ ansible_facts.prov_taskserv_task.status }}"
"""

RETURN = r"""
task:
  description:
    - The task record of the workflow, redacted of secrets. The submitted task, the in-flight task
      this run attached to, or the completed task that made the workflow converged.
    - On failure and timeout, the last record seen.
    - V(null) in check mode when a new workflow would be submitted (see RV(dry_run_task)).
  returned: always
  type: dict
  contains:
      id:
        description: Task id (UUID).
        type: str
        sample: 6f1c2c7e-3d7a-4d0e-9a53-2b1f0c9c1a11
      name:
        description: Task name, C(<operation>_<kind>).
        type: str
        sample: create_taskserv
      command:
        description: Command the orchestrator runs.
        type: str
        sample: /usr/local/provisioning taskserv create
      args:
        description: Command arguments (target, C(--infra), C(--settings), C(--check), C(--wait)).
        type: list
        elements: str
        sample: ["kubernetes", "--infra", "prod"]
      dependencies:
        description: Ids of tasks that must finish first.
        type: list
        elements: str
        sample: []
      status:
        description: V(Pending), V(Running), V(Completed), V(Failed) or V(Cancelled).
        type: str
        sample: Completed
      created_at:
        description: Creation time (RFC 3339, UTC).
        type: str
        sample: "2026-01-05T10:00:00Z"
      started_at:
        description: Start time, or null while Pending.
        type: str
        sample: "2026-01-05T10:00:01Z"
      completed_at:
        description: Completion time, or null while in flight.
        type: str
        sample: "2026-01-05T10:05:30Z"
      output:
        description: Output of the task (for a dry run, the plan).
        type: str
        sample: kubernetes installed on 3 servers
      error:
        description: Error text when the task Failed.
        type: str
        sample: null
      progress:
        description: Progress in percent, when the orchestrator reports it.
        type: float
        sample: 100.0
task_id:
  description: Id of RV(task) (V(null) when there is no real task). Returned on failure too, so a rerun can attach.
  returned: always
  type: str
  sample: 6f1c2c7e-3d7a-4d0e-9a53-2b1f0c9c1a11
attached:
  description: True when an identical workflow was already in flight and this run attached to it instead of submitting.
  returned: always
  type: bool
  sample: false
converged:
  description: True when the newest matching task had Completed and nothing undid it, so nothing was submitted.
  returned: always
  type: bool
  sample: false
signature:
  description: The workflow's identity used for idempotency (kind, operation, target, infra, settings).
  returned: always
  type: str
  sample: taskserv:create:kubernetes:infra=prod:settings=
plan:
  description: In check mode, what a real run would do. V(null) outside check mode.
  returned: always
  type: dict
  contains:
    action:
      description: V(submit), V(attach) or V(none).
      type: str
      sample: submit
    method:
      description: HTTP method of the submission.
      type: str
      sample: POST
    url:
      description: URL the workflow would be submitted to.
      type: str
      sample: http://localhost:9090/workflows/taskserv/create
    body:
      description: Request body that would be sent.
      type: dict
      sample: {"infra": "prod", "check_mode": false, "wait": false}
    command:
      description: Command line the orchestrator would run.
      type: str
      sample: /usr/local/provisioning taskserv create --infra prod
    task_id:
      description: With RV(plan.action=attach), the in-flight task that would be attached to.
      type: str
      returned: when attaching
    dry_run_task_id:
      description: Id of the orchestrator dry-run task (V(null) without O(check_mode_dry_run)).
      type: str
    output:
      description: Output of the orchestrator's dry run (V(null) without one).
      type: str
      sample: "Would create 3 servers"
dry_run_task:
  description: The orchestrator's dry-run task (its C(args) carry C(--check)); same fields as RV(task).
  returned: in check mode when a workflow would be submitted and O(check_mode_dry_run=true)
  type: dict
  sample: {"id": "0b9c...", "name": "create_taskserv", "status": "Completed", "output": "..."}
diff:
  description: Text diff, with C(--diff).
  returned: in diff mode
  type: dict
  contains:
    before:
      description: The newest related task found and the lookup verdict.
      type: str
    after:
      description: The plan (check mode), or the task's final status and output.
      type: str
elapsed:
  description: Seconds the module run took.
  returned: always
  type: float
  sample: 12.3
ansible_facts:
  description: Facts set for later tasks (no secrets).
  returned: always
  type: dict
  contains:
    prov_taskserv_task:
      description:
        - Same record as RV(task), with the same fields (V(null) in check mode when only a dry run exists).
      type: dict
status:
  description: HTTP status of the failed request.
  returned: on an HTTP error
  type: int
  sample: 503
url:
  description: URL of the failed request.
  returned: on an HTTP or connection error
  type: str
  sample: http://localhost:9090/workflows/taskserv/create
response:
  description: Body of the failed response, redacted.
  returned: on an HTTP error
  type: raw
  sample: {"success": false, "data": null, "error": "Service unavailable"}
task_status:
  description: Terminal status of a task that Failed or was Cancelled.
  returned: when the task failed
  type: str
  sample: Failed
error:
  description: The task's C(error).
  returned: when the task failed
  type: str
output:
  description: The task's C(output).
  returned: when the task failed
  type: str
last_status:
  description: Status of the task when O(wait_timeout) expired.
  returned: on timeout
  type: str
  sample: Running
last_task:
  description: Last task record seen before O(wait_timeout) expired.
  returned: on timeout
  type: dict
field:
  description: Name of the invalid option.
  returned: on invalid input
  type: str
  sample: infra
submit_attempts:
  description: How many submissions were made when their outcome stayed unknown.
  returned: when submission failed with an unknown outcome
  type: int
  sample: 2
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.provisioning.platform.plugins.module_utils.options import (  # noqa: E402
    module_argspec, module_kwargs,
)
from ansible_collections.provisioning.platform.plugins.module_utils.runner import run_workflow  # noqa: E402

OWN_OPTIONS = dict(
    taskserv=dict(type="str", required=True),
    operation=dict(type="str", default="create", choices=["create", "delete", "generate"]),
    infra=dict(type="str", required=True),
    settings=dict(type="str"),
    wait_for_taskserv=dict(type="bool", default=False),
    force=dict(type="bool", default=False),
    check_mode_dry_run=dict(type="bool", default=True),
)


def main():
    module = AnsibleModule(argument_spec=module_argspec(OWN_OPTIONS), **module_kwargs())
    run_workflow(module, "taskserv")


if __name__ == "__main__":
    main()
