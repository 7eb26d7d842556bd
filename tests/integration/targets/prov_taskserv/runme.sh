#!/usr/bin/env bash
# prov_taskserv against a simulator this script starts (and always stops).
set -euo pipefail
source ../setup_provsim/files/provsim.sh
provsim_start --scenario "${PROVSIM_SCENARIO_DEFAULT}"

run_playbook main.yml "$@"

# Ad hoc, credentials from the environment only.
export PROVISIONING_USERNAME=admin PROVISIONING_PASSWORD=admin-demo-password
adhoc -m provisioning.platform.prov_task_info -a 'infra=it-ts name=create_taskserv' "$@" \
    | tee "${PROVSIM_WORK}/adhoc.log"
grep -q 'localhost | SUCCESS' "${PROVSIM_WORK}/adhoc.log"
grep -q '"output": "Installed containerd on infra it-ts"' "${PROVSIM_WORK}/adhoc.log"
