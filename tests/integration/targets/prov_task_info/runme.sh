#!/usr/bin/env bash
# prov_task_info against a simulator this script starts (and always stops).
set -euo pipefail
source ../setup_provsim/files/provsim.sh
provsim_start --scenario "${PROVSIM_SCENARIO_DEFAULT}"

# More tasks than one page (the API's limit is 1,000): dry-run workflows, which leave the model alone.
"${PROVSIM_PY}" - "${PROVSIM_URL}" 1005 <<'PY'
import json, sys, urllib.request
base, count = sys.argv[1], int(sys.argv[2])
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)
token = call("POST", "/auth/login", {"username": "admin", "password": "admin-demo-password"})["data"]["token"]
for _ in range(count):
    call("POST", "/workflows/servers/create", {"infra": "it-info-bulk", "check_mode": True}, token)
print(f"submitted {count} dry-run workflows for it-info-bulk")
PY

run_playbook main.yml "$@"

# Ad hoc, credentials from the environment only, list-valued argument.
export PROVISIONING_USERNAME=admin PROVISIONING_PASSWORD=admin-demo-password
adhoc -m provisioning.platform.prov_task_info -a 'infra=it-info-a status=Completed wait=false' "$@" \
    | tee "${PROVSIM_WORK}/adhoc.log"
grep -q 'localhost | SUCCESS' "${PROVSIM_WORK}/adhoc.log"
grep -q '"output": "Created 2 servers: it-info-a-01, it-info-a-02"' "${PROVSIM_WORK}/adhoc.log"
adhoc -m provisioning.platform.prov_task_info -a 'infra=nothing-here' "$@" \
    | tee "${PROVSIM_WORK}/adhoc-empty.log"
grep -q '"tasks": \[\]' "${PROVSIM_WORK}/adhoc-empty.log"
