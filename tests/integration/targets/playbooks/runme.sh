#!/usr/bin/env bash
# The collection's playbooks, run by FQCN from the installed collection, the way a user runs them.
set -euo pipefail
source ../setup_provsim/files/provsim.sh
provsim_start --scenario "${PROVSIM_SCENARIO_DEFAULT}"
export PROVISIONING_USERNAME=admin PROVISIONING_PASSWORD=admin-demo-password
LOG="${PROVSIM_WORK}"

# recap_is NAME KEY=VALUE...: the PLAY RECAP line of log NAME has these counters.
recap_is() {
    local log="${LOG}/$1.log" want line
    shift
    line="$(grep -E '^localhost +: ' "${log}" | tail -n 1)"
    for want in "$@"; do
        if [[ " ${line} " != *" ${want} "* ]]; then
            echo "FAIL: expected ${want} in the PLAY RECAP of $(basename "${log}"): ${line}" >&2
            return 1
        fi
    done
}

# model_is PYTHON-EXPR: assert on GET /_sim/model (`m`) and GET /_sim/stats (`s`).
model_is() {
    local model stats
    model="$(sim_api GET /_sim/model)"
    stats="$(sim_api GET /_sim/stats)"
    "${PROVSIM_PY}" - "$1" "${model}" "${stats}" <<'PY'
import json, sys
expr, m, s = sys.argv[1], json.loads(sys.argv[2])["data"], json.loads(sys.argv[3])["data"]
if not eval(expr):
    sys.exit(f"FAIL: {expr}\nmodel: {json.dumps(m, indent=1)}\nstats tasks_created={s['tasks_created']} batches_created={s['batches_created']}")
PY
}

play() {
    local name=$1
    shift
    run_playbook "$@" "${PB_ARGS[@]}" 2>&1 | tee "${LOG}/${name}.log"
    return "${PIPESTATUS[0]}"
}
PB_ARGS=("$@")

# --check --diff first: the dry run predicts and creates nothing.
play deploy-check provisioning.platform.deploy --check --diff
grep -q 'Would create 2 servers: demo-01, demo-02' "${LOG}/deploy-check.log"
grep -q 'Would install containerd on infra demo' "${LOG}/deploy-check.log"
recap_is deploy-check failed=0
model_is "m.get('demo', {}).get('servers', []) == [] and s['batches_created'] == 0"

# deploy: servers -> taskservs -> cluster, then the batch.
play deploy provisioning.platform.deploy
recap_is deploy failed=0
grep -q 'Created 2 servers: demo-01, demo-02' "${LOG}/deploy.log"
model_is "m['demo'] == {'servers': ['demo-01', 'demo-02'], 'taskservs': ['containerd', 'kubernetes', 'cilium'], 'clusters': ['buildkit']}"
model_is "m['demo-edge'] == {'servers': ['demo-edge-01', 'demo-edge-02'], 'taskservs': ['containerd', 'kubernetes'], 'clusters': ['buildkit']}"
before="$(sim_api GET /_sim/stats)"

# The second run changes nothing and submits nothing.
play deploy-again provisioning.platform.deploy
recap_is deploy-again changed=0 failed=0
model_is "s['tasks_created'] == json.loads('''${before}''')['data']['tasks_created'] and s['batches_created'] == 1"

# status: the demo infra's tasks, all fine.
play status provisioning.platform.status -e prov_status_infra=demo -e prov_status_fail_on_failed=true
recap_is status failed=0 changed=0
grep -q '[0-9]* task(s)' "${LOG}/status.log"
grep -q 'create_servers *Completed' "${LOG}/status.log"

# batch: its own definition (prov_batch's target covers reruns and cancel).
play batch provisioning.platform.batch
recap_is batch failed=0 changed=1
grep -q 'batch multi-provider-rollout: Completed' "${LOG}/batch.log"
model_is "m['batch-upcloud']['clusters'] == ['buildkit'] and m['batch-aws']['servers'] == ['batch-db-01']"

# teardown: clusters, then task services; servers stay. Twice.
play teardown provisioning.platform.teardown
recap_is teardown failed=0
grep -q 'no server-delete workflow' "${LOG}/teardown.log"
model_is "m['demo'] == {'servers': ['demo-01', 'demo-02'], 'taskservs': [], 'clusters': []} and m['demo-edge']['taskservs'] == []"
play teardown-again provisioning.platform.teardown
recap_is teardown-again changed=0 failed=0

# status fails the play when asked to and a task failed (the failure made ad hoc).
if adhoc -m provisioning.platform.prov_server -a 'infra=role-broken' "$@" >"${LOG}/adhoc.log" 2>&1; then
    echo "FAIL: a failing workflow must fail the ad-hoc call" >&2
    exit 1
fi
grep -q 'role target infra is out of capacity' "${LOG}/adhoc.log"
if play status-failed provisioning.platform.status -e prov_status_infra=role-broken -e prov_status_fail_on_failed=true; then
    echo "FAIL: status.yml must fail when a task failed and prov_status_fail_on_failed is set" >&2
    exit 1
fi
recap_is status-failed failed=1
grep -q 'Failed or cancelled: ' "${LOG}/status-failed.log"
echo "playbooks: all checks passed"
