# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Provisioning Platform collection maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment(object):
    """Idempotency rules shared by the workflow and batch modules (module_utils/engine.py)."""

    DOCUMENTATION = r"""
options: {}
notes:
  - "Idempotency: before submitting, the module reads the orchestrator's task list (newest first,
    1000 per page, at most 20 pages) and looks for tasks of the same workflow: same kind,
    operation, target, infra and settings (parsed from each task's C(name) and C(args))."
  - "A matching task that is Pending or Running is attached to and waited on
    (RV(attached=true)); a second one is never submitted."
  - "If the newest matching task Completed and no newer task on the same target undid it (a
    C(delete) after a C(create), or the reverse), the workflow is converged: nothing is
    submitted, C(changed=false), and that task is returned (RV(converged=true))."
  - "Otherwise (no matching task, the newest one Failed or was Cancelled, or it was undone) a new
    workflow is submitted. O(force=true) submits in every case. Dry-run tasks (C(--check))
    never count as converged."
  - "A submission whose outcome is unknown (request timeout, connection reset after sending,
    HTTP 5xx) is never re-sent blindly: the module looks for a matching task created after the
    submission started (allowing 5 minutes of clock skew), re-reading the list a few times with
    backoff, and re-submits once only when no such task exists."
  - "C(changed) is true when this run submitted a workflow or attached to one still in flight.
    On failure or timeout, C(changed) is true only if this run submitted the workflow."
"""
