# shellcheck shell=bash
# Shared by every integration target's runme.sh:  source ../setup_provsim/files/provsim.sh
#
# provsim_start [--scenario FILE] [provsim serve options...]
#     starts the simulator on a free loopback port with a fresh data dir, waits until it is ready,
#     exports PROVSIM_URL (and PROVISIONING_URL) and installs an EXIT trap that always stops it.
# provsim_stop | provsim_kill | provsim_restart
#     SIGTERM / SIGKILL / start again on the same port and data dir (durability tests).
# sim_api METHOD PATH [JSON]
#     calls the simulator's admin API (/_sim/...) and prints the response body.
#
# The simulator comes from the dev venv (`make venv` installs it editable). ansible-test keeps
# PATH, so `provsim` resolves to .venv/bin/provsim; PROVSIM overrides.

PROVSIM_SETUP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROVSIM_SCENARIO_DEFAULT="${PROVSIM_SETUP_DIR}/scenario.yaml"
PROVSIM_PY="$(command -v python || command -v python3)"
PROVSIM_WORK="$(mktemp -d "${TMPDIR:-/tmp}/provsim-it.XXXXXX")"
PROVSIM_PID=""
PROVSIM_ARGS=()

provsim_cmd() {
    if [[ -n "${PROVSIM:-}" ]]; then
        echo "${PROVSIM}"
    elif command -v provsim >/dev/null 2>&1; then
        command -v provsim
    else
        echo "provsim not found on PATH: run 'make venv' (it installs the simulator) or set PROVSIM" >&2
        return 1
    fi
}

provsim_cleanup() {
    local rc=$?
    provsim_stop || true
    if [[ $rc -ne 0 && -f "${PROVSIM_WORK}/provsim.log" ]]; then
        echo "---- provsim log (last 40 lines) ----" >&2
        tail -n 40 "${PROVSIM_WORK}/provsim.log" >&2 || true
    fi
    rm -rf "${PROVSIM_WORK}"
    return $rc
}
trap provsim_cleanup EXIT

# _provsim_spawn PORT: start `provsim serve` in the background and wait for its ready file.
_provsim_spawn() {
    local port=$1 ready="${PROVSIM_WORK}/ready" cmd
    cmd="$(provsim_cmd)"
    rm -f "${ready}"
    "${cmd}" serve --host 127.0.0.1 --port "${port}" --data-dir "${PROVSIM_WORK}/data" \
        --ready-file "${ready}" "${PROVSIM_ARGS[@]}" >>"${PROVSIM_WORK}/provsim.log" 2>&1 &
    PROVSIM_PID=$!
    for _ in $(seq 1 200); do
        if [[ -s "${ready}" ]]; then
            PROVSIM_URL="$(head -n 1 "${ready}")"
            export PROVSIM_URL PROVISIONING_URL="${PROVSIM_URL}"
            return 0
        fi
        if ! kill -0 "${PROVSIM_PID}" 2>/dev/null; then
            echo "provsim exited before it was ready:" >&2
            cat "${PROVSIM_WORK}/provsim.log" >&2
            PROVSIM_PID=""
            return 1
        fi
        sleep 0.05
    done
    echo "provsim not ready after 10 s" >&2
    return 1
}

provsim_start() {
    local has_scenario=0 arg
    for arg in "$@"; do [[ "${arg}" == "--scenario" ]] && has_scenario=1; done
    PROVSIM_ARGS=("$@")
    if [[ ${has_scenario} -eq 0 ]]; then
        PROVSIM_ARGS+=(--scenario "${PROVSIM_SCENARIO_DEFAULT}")
    fi
    mkdir -p "${PROVSIM_WORK}/data"
    _provsim_spawn 0
    echo "provsim listening on ${PROVSIM_URL} (data ${PROVSIM_WORK}/data)"
}

provsim_port() {
    local rest=${PROVSIM_URL##*:}
    echo "${rest%%/*}"
}

provsim_stop() {
    [[ -n "${PROVSIM_PID}" ]] || return 0
    kill -TERM "${PROVSIM_PID}" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "${PROVSIM_PID}" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "${PROVSIM_PID}" 2>/dev/null || true
    wait "${PROVSIM_PID}" 2>/dev/null || true
    PROVSIM_PID=""
}

provsim_kill() {
    [[ -n "${PROVSIM_PID}" ]] || return 0
    kill -KILL "${PROVSIM_PID}" 2>/dev/null || true
    wait "${PROVSIM_PID}" 2>/dev/null || true
    PROVSIM_PID=""
}

# Same port, same data dir: what a supervisor restarting the orchestrator does.
provsim_restart() {
    _provsim_spawn "$(provsim_port)"
}

sim_api() {
    "${PROVSIM_PY}" - "${PROVSIM_URL}" "$@" <<'PY'
import json, ssl, sys, urllib.request
base, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(base + path, data=body, method=method,
                             headers={"Content-Type": "application/json"} if body else {})
ctx = ssl._create_unverified_context()  # admin calls only; the modules are what is tested for TLS
with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
    sys.stdout.write(resp.read().decode())
PY
}

# ansible-playbook against implicit localhost (never `-i localhost,`: interpreter discovery then
# picks a pyenv shim). ansible-test's inventory only adds `testhost`, so passing it is harmless
# and avoids the "no inventory" warning.
run_playbook() {
    local inv=()
    [[ -n "${INVENTORY_PATH:-}" ]] && inv=(-i "${INVENTORY_PATH}")
    ansible-playbook "${inv[@]}" "$@"
}

# adhoc ARGS...: `ansible localhost ARGS...` from outside the collection tree (inside it, ansible
# and with ANSIBLE_PLAYBOOK_DIR, which ansible-test sets, ansible warns "running with default
# collection"), with ansible-test's inventory when there is one.
adhoc() {
    local inv=()
    [[ -n "${INVENTORY_PATH:-}" ]] && inv=(-i "${INVENTORY_PATH}")
    (cd "${PROVSIM_WORK}" && unset ANSIBLE_PLAYBOOK_DIR && ansible localhost "${inv[@]}" "$@")
}
