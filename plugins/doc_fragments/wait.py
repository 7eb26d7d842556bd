# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment(object):
    """Wait options shared by the workflow modules (argspec: module_utils/options.py)."""

    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Wait until the task reaches a terminal status (V(Completed), V(Failed) or V(Cancelled)).
      - With V(false) the module returns as soon as the task exists, with its id.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait in total, counted once from the start of the module run (lookups,
        submission, retries and polling all share this deadline).
      - On timeout the module fails, returns the task id, its last status and the last task
        record seen, and leaves the task running; the next run attaches to it.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds before the first status poll. Later polls back off (x1.5) up to
        O(poll_max_interval).
      - When the orchestrator reports an estimated time remaining (or the task's progress
        allows one to be extrapolated), the module sleeps until just after the predicted
        completion instead, never past it, then polls at about this interval.
    type: float
    default: 0.25
  poll_max_interval:
    description:
      - Upper bound, in seconds, of the interval between two status polls.
    type: float
    default: 5.0
"""
