#!/usr/bin/env bash
# prov_server against a simulator this script starts (and always stops).
set -euo pipefail
source ../setup_provsim/files/provsim.sh
provsim_start --scenario "${PROVSIM_SCENARIO_DEFAULT}"

# 1. Everything that can run in one playbook: create, rerun, check mode, diff, failure, timeout and
#    attach, wait: false + prov_task_info, facts, module_defaults, environment credentials.
run_playbook main.yml "$@"

# 2. --check --diff from the command line: the orchestrator's dry run, nothing created.
run_playbook check.yml --check --diff "$@" | tee "${PROVSIM_WORK}/check.log"
grep -q 'Would create 2 servers: it-srv-cli-01, it-srv-cli-02' "${PROVSIM_WORK}/check.log"
grep -q -- '--check' "${PROVSIM_WORK}/check.log"   # the dry-run task's args, shown in the diff

# 3. Ad hoc, credentials from the environment only.
export PROVISIONING_USERNAME=admin PROVISIONING_PASSWORD=admin-demo-password
adhoc -m provisioning.platform.prov_task_info -a 'infra=it-srv status=Completed' "$@" \
    | tee "${PROVSIM_WORK}/adhoc.log"
grep -q '"name": "create_servers"' "${PROVSIM_WORK}/adhoc.log"
grep -q 'localhost | SUCCESS' "${PROVSIM_WORK}/adhoc.log"
