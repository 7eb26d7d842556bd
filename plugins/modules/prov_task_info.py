#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: prov_task_info
short_description: Read orchestrator tasks by id, by ids, or by filters, optionally waiting for them
version_added: 0.1.0
description:
  - Returns one task (O(id)), several (O(ids)), or every task matching filters (O(status),
    O(name), O(infra)), paging through the whole task list 1000 at a time.
  - Returns an empty list (not a failure) when nothing matches; unknown ids are listed in RV(missing).
  - With O(wait=true) it waits until every returned task is terminal, reading the task list once
    per poll (one request for all the ids) and fetching only ids that are not in the newest 1000.
author:
  - Provisioning Platform maintainers (@provisioning-platform)
options:
  id:
    description:
      - Id of one task. Also returned as RV(task).
    type: str
  ids:
    description:
      - Ids of several tasks, returned in this order.
    type: list
    elements: str
  status:
    description:
      - Only tasks with this status (compared case-insensitively).
    type: str
  name:
    description:
      - Only tasks with this name, for example V(create_servers).
    type: str
  infra:
    description:
      - Only tasks whose arguments name this infrastructure (C(--infra)).
    type: str
  limit:
    description:
      - Return at most this many tasks (newest first). By default every matching task.
    type: int
  wait:
    description:
      - Wait until every returned task is terminal (V(Completed), V(Failed) or V(Cancelled)).
      - A task that fails does not make this module fail; check RV(tasks[].status).
    default: false
extends_documentation_fragment:
  - provisioning.platform.connection
  - provisioning.platform.wait
  - provisioning.platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - The module only reads; it runs the same way in check mode.
  diff_mode:
    support: none
    details:
      - The module changes nothing, so there is no diff.
seealso:
  - module: provisioning.platform.prov_server
  - module: provisioning.platform.prov_batch
"""

EXAMPLES = r"""
- name: Every failed task of infra "prod"
  provisioning.platform.prov_task_info:
    status: Failed
    infra: prod
  register: failed

- name: Show them
  ansible.builtin.debug:
    msg: "{{ failed.tasks | map(attribute='error') | list }}"

- name: One task
  provisioning.platform.prov_task_info:
    id: "{{ ansible_facts.prov_server_task.id }}"
  when: ansible_facts.prov_server_task is defined and ansible_facts.prov_server_task is not none

- name: Launch two workflows without waiting
  provisioning.platform.prov_taskserv:
    taskserv: "{{ item }}"
    infra: prod
    wait: false
  loop: [kubernetes, cilium]
  register: launched

- name: Wait for both with one list request per poll
  provisioning.platform.prov_task_info:
    ids: "{{ launched.results | map(attribute='task_id') | list }}"
    wait: true
    wait_timeout: 900
  register: done

- name: The 10 newest create_servers tasks
  provisioning.platform.prov_task_info:
    name: create_servers
    limit: 10
"""

RETURN = r"""
tasks:
  description: The tasks found (newest first for filters, in O(ids) order for ids), redacted; V([]) when none.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Task id.
      type: str
    name:
      description: Task name.
      type: str
    command:
      description: Command the orchestrator runs.
      type: str
    args:
      description: Command arguments.
      type: list
      elements: str
    dependencies:
      description: Ids of tasks that must finish first.
      type: list
      elements: str
    status:
      description: V(Pending), V(Running), V(Completed), V(Failed) or V(Cancelled).
      type: str
    created_at:
      description: Creation time.
      type: str
    started_at:
      description: Start time.
      type: str
    completed_at:
      description: Completion time.
      type: str
    output:
      description: Task output.
      type: str
    error:
      description: Task error.
      type: str
    progress:
      description: Progress in percent, when reported.
      type: float
task:
  description: The task of O(id), or V(null) when it does not exist.
  returned: when O(id) is given
  type: dict
missing:
  description: Requested ids the orchestrator does not know.
  returned: always
  type: list
  elements: str
  sample: []
elapsed:
  description: Seconds the module run took.
  returned: always
  type: float
ansible_facts:
  description: Facts set for later tasks (no secrets).
  returned: always
  type: dict
  contains:
    prov_tasks:
      description: Same as RV(tasks).
      type: list
      elements: dict
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
last_status:
  description: Status of the first unfinished task when O(wait_timeout) expired.
  returned: on timeout
  type: str
last_task:
  description: Last record seen of the first unfinished task.
  returned: on timeout
  type: dict
field:
  description: Name of the invalid option.
  returned: on invalid input
  type: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.provisioning.platform.plugins.module_utils.options import (  # noqa: E402
    module_argspec, module_kwargs,
)
from ansible_collections.provisioning.platform.plugins.module_utils.runner import run_task_info  # noqa: E402

OWN_OPTIONS = dict(
    id=dict(type="str"),
    ids=dict(type="list", elements="str"),
    status=dict(type="str"),
    name=dict(type="str"),
    infra=dict(type="str"),
    limit=dict(type="int"),
)


def main():
    module = AnsibleModule(argument_spec=module_argspec(OWN_OPTIONS, wait=False),
                           mutually_exclusive=[("id", "ids")], **module_kwargs())
    run_task_info(module)


if __name__ == "__main__":
    main()
