#!/usr/bin/env bash
# The modules against every simulator fault. For each: the task succeeds after retrying or fails
# naming the cause; never a second workflow for one request; no task lost; no secret in the
# output at -vvvv.
set -euo pipefail
source ../setup_provsim/files/provsim.sh
provsim_start --scenario "${PROVSIM_SCENARIO_DEFAULT}"
export PROVSIM_WORK
export PROVISIONING_USERNAME=admin PROVISIONING_PASSWORD=admin-demo-password
LOGS="${PROVSIM_WORK}/logs"
mkdir -p "${LOGS}"

# vplay NAME PLAYBOOK [ARGS...]: run at -vvvv into logs/NAME.log; show the recap, or the tail on failure.
vplay() {
    local name=$1
    shift
    if run_playbook "$@" -vvvv >"${LOGS}/${name}.log" 2>&1; then
        grep -E '^localhost +: ' "${LOGS}/${name}.log" | sed "s/^/${name}: /"
    else
        echo "---- ${name} failed; last 60 lines of ${LOGS}/${name}.log ----" >&2
        tail -n 60 "${LOGS}/${name}.log" >&2
        return 1
    fi
}

# 1. The HTTP faults, one infra each.
vplay faults faults.yml

# 2. A bogus token, ad hoc, nothing but the environment.
if (unset PROVISIONING_USERNAME PROVISIONING_PASSWORD; export PROVISIONING_TOKEN=bogus-token-5d1e8b
        adhoc -m provisioning.platform.prov_task_info -a 'infra=faults-badcreds' -vvvv) \
        >"${LOGS}/badtoken.log" 2>&1; then
    echo "FAIL: a bogus token must fail" >&2
    exit 1
fi
grep -q 'localhost | FAILED' "${LOGS}/badtoken.log" || { tail -n 30 "${LOGS}/badtoken.log" >&2; exit 1; }
grep -q '401' "${LOGS}/badtoken.log"
grep -q 'PROVISIONING_TOKEN' "${LOGS}/badtoken.log"   # the fix is named
echo "badtoken: failed with 401, naming PROVISIONING_TOKEN"

# 3. The orchestrator SIGKILLed while a module waits, then restarted on the same port and data dir.
created() { sim_api GET /_sim/stats | "${PROVSIM_PY}" -c 'import json,sys; print(json.load(sys.stdin)["data"]["tasks_created"]["servers"])'; }
before="$(created)"
run_playbook restart.yml -vvvv >"${LOGS}/restart.log" 2>&1 &
waiter=$!
for _ in $(seq 1 300); do
    [[ "$(created)" -gt "${before}" ]] && break
    sleep 0.1
done
sleep 0.5   # let the task start running and the module start polling
provsim_kill
echo "restart: simulator SIGKILLed mid-wait"
sleep 1
provsim_restart
echo "restart: simulator back on ${PROVSIM_URL}"
if ! wait "${waiter}"; then
    echo "---- restart.yml failed; last 60 lines ----" >&2
    tail -n 60 "${LOGS}/restart.log" >&2
    exit 1
fi
grep -E '^localhost +: ' "${LOGS}/restart.log" | sed 's/^/restart: /'

# 4. Count tasks per infra: exactly one per request, the one returned, Completed.
"${PROVSIM_PY}" verify.py "${PROVSIM_URL}" "${PROVSIM_WORK}/ids.json" "${PROVSIM_WORK}/restart-ids.json"

# 5. TLS: a test CA made now (trustme, from the dev venv), the simulator on HTTPS.
provsim_stop
mkdir -p "${PROVSIM_WORK}/tls"
"${PROVSIM_PY}" - "${PROVSIM_WORK}/tls" <<'PY'
import sys
import trustme
out = sys.argv[1]
ca = trustme.CA()
cert = ca.issue_cert("127.0.0.1", "localhost")
ca.cert_pem.write_to_path(out + "/ca.pem")
cert.private_key_pem.write_to_path(out + "/key.pem")
cert.cert_chain_pems[0].write_to_path(out + "/cert.pem")
PY
provsim_start --tls-cert "${PROVSIM_WORK}/tls/cert.pem" --tls-key "${PROVSIM_WORK}/tls/key.pem"
vplay tls tls.yml

# 6. No secret anywhere in the output at -vvvv.
grep -q 'ESTABLISH LOCAL CONNECTION' "${LOGS}/faults.log"   # really -vvvv
leaks=0
for secret in admin-demo-password wrong-password-7f3c9a bogus-token-5d1e8b; do
    if grep -l -F -- "${secret}" "${LOGS}"/*.log; then
        echo "FAIL: '${secret}' appears in the logs above" >&2
        leaks=1
    fi
done
# any JWT (header.payload.signature, base64url of '{"')
if grep -n -o -E 'eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}' "${LOGS}"/*.log | head -n 5 | grep .; then
    echo "FAIL: a JWT appears in the logs above" >&2
    leaks=1
fi
[[ ${leaks} -eq 0 ]]
echo "faults: no password or token in $(cat "${LOGS}"/*.log | wc -l) lines of -vvvv output"
