#!/usr/bin/env bash
# The modules under async/poll: fire and forget, then async_status; and async with polling.
set -euo pipefail
source ../setup_provsim/files/provsim.sh
provsim_start --scenario "${PROVSIM_SCENARIO_DEFAULT}"
# async job status files go to the scratch dir the EXIT trap removes, not ~/.ansible_async
export ANSIBLE_ASYNC_DIR="${PROVSIM_WORK}/async"
run_playbook main.yml "$@"
