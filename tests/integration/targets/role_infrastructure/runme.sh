#!/usr/bin/env bash
# The infrastructure role: dependency order, idempotency, check mode, argument validation, absent.
set -euo pipefail
source ../setup_provsim/files/provsim.sh
provsim_start --scenario "${PROVSIM_SCENARIO_DEFAULT}"
run_playbook main.yml "$@"
