# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment(object):
    """Attributes shared by every module; modules may refine the details."""

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Check mode never submits a real workflow. Whether the run would change anything is decided
        by the same task lookup a real run uses (see the idempotency notes).
      - When the lookup finds the workflow converged, nothing is sent and C(changed=false).
      - Otherwise, with O(check_mode_dry_run=true) (the default) the module asks the orchestrator
        for a dry run (the API's C(check_mode=true), a task whose args carry C(--check)), waits for
        it and returns its output in RV(plan) (and in RV(diff) with C(--diff)). The dry-run task
        shows up in the orchestrator's task list; it provisions nothing and never counts as
        converged. With O(check_mode_dry_run=false) the prediction is purely local.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The diff is text. RV(diff.before) describes the newest related task the lookup found and
        its verdict; RV(diff.after) is the plan (check mode) or the task's final status and output.
  action_group:
    description: Use C(group/provisioning.platform.prov) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - provisioning.platform.prov
"""
