#!/usr/bin/env bash
# make demo: provision an infrastructure against the bundled orchestrator simulator, twice.
#
#   1. start the simulator (simulator/scenarios/default.yaml) on a free loopback port, with a fresh
#      data dir under .tmp/demo, and stop it on exit whatever happens;
#   2. run the deploy playbook (servers -> task services -> cluster, then a batch);
#   3. print what the orchestrator now holds;
#   4. run the playbook again and prove it changed nothing: PLAY RECAP changed=0 and no new
#      workflow submitted (counted by the simulator).
# Exits non-zero if any step failed. `make demo` installs everything first (venv, collection).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-${ROOT}/.venv}"
BIN="${VENV}/bin"
WORK="${WORK:-${ROOT}/.tmp}"
DEMO="${WORK}/demo"
SCENARIO="${DEMO_SCENARIO:-${ROOT}/simulator/scenarios/default.yaml}"
PLAYBOOK="${DEMO_PLAYBOOK:-provisioning.platform.deploy}"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-${WORK}/collections}"
export PATH="${BIN}:${PATH}"
# Colour when a person is watching; plain text in logs and CI.
if [[ -t 1 ]]; then unset ANSIBLE_NOCOLOR; else export ANSIBLE_NOCOLOR=1; fi
export ANSIBLE_DISPLAY_SKIPPED_HOSTS=false
export ANSIBLE_DEPRECATION_WARNINGS="${ANSIBLE_DEPRECATION_WARNINGS:-false}"
# Implicit localhost only: no inventory to parse, so no "no inventory" warnings either.
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false

if [[ -t 1 ]]; then B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' D=$'\e[2m' N=$'\e[0m'; else B='' G='' R='' D='' N=''; fi
step() { printf '\n%s== %s%s\n' "${B}" "$*" "${N}"; }
info() { printf '   %-12s %s\n' "$1" "$2"; }
die() { printf '\n%sdemo FAILED:%s %s\n' "${R}${B}" "${N}" "$*" >&2; exit 1; }

for tool in provsim ansible-playbook python; do
    [[ -x "${BIN}/${tool}" ]] || die "${BIN}/${tool} is missing; run 'make demo' (it creates the venv first)"
done
[[ -d "${ANSIBLE_COLLECTIONS_PATH}/ansible_collections/provisioning/platform" ]] ||
    die "provisioning.platform is not installed in ${ANSIBLE_COLLECTIONS_PATH}; run 'make demo'"

rm -rf "${DEMO}"
mkdir -p "${DEMO}/data"

SIM_PID=""
stop_simulator() {
    [[ -n "${SIM_PID}" ]] || return 0
    kill -TERM "${SIM_PID}" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "${SIM_PID}" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "${SIM_PID}" 2>/dev/null || true
    wait "${SIM_PID}" 2>/dev/null || true
    SIM_PID=""
    printf '%s   simulator stopped%s\n' "${D}" "${N}"
}
trap stop_simulator EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# sim GET /_sim/...: the simulator's admin API (no auth, never part of a real orchestrator).
sim() {
    "${BIN}/python" - "${URL}" "$@" <<'PY'
import json, sys, urllib.request
base, method, path = sys.argv[1:4]
with urllib.request.urlopen(urllib.request.Request(base + path, method=method), timeout=10) as resp:
    print(json.dumps(json.load(resp)["data"]))
PY
}

step "provisioning.platform demo"
"${BIN}/provsim" serve --host 127.0.0.1 --port 0 --data-dir "${DEMO}/data" --scenario "${SCENARIO}" \
    --ready-file "${DEMO}/ready" >"${DEMO}/provsim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 200); do
    [[ -s "${DEMO}/ready" ]] && break
    kill -0 "${SIM_PID}" 2>/dev/null || { cat "${DEMO}/provsim.log" >&2; SIM_PID=""; die "the simulator did not start"; }
    sleep 0.05
done
[[ -s "${DEMO}/ready" ]] || die "the simulator was not ready after 10 s (see ${DEMO}/provsim.log)"
URL="$(head -n 1 "${DEMO}/ready")"
info simulator "${URL}  (pid ${SIM_PID}, scenario ${SCENARIO#"${ROOT}"/})"
info data "${DEMO#"${ROOT}"/}/data"
info logs "${DEMO#"${ROOT}"/}/run-1.log, run-2.log, provsim.log"

# The modules read their connection from the environment (env_fallback): nothing secret on a
# command line, nothing in the playbook. admin / admin-demo-password is the scenario's demo user.
export PROVISIONING_URL="${URL}" PROVISIONING_USERNAME=admin PROVISIONING_PASSWORD=admin-demo-password

step "1/2  ansible-playbook ${PLAYBOOK}   (servers -> task services -> cluster, then a batch)"
start=${SECONDS}
set +e
ansible-playbook "${PLAYBOOK}" 2>&1 | tee "${DEMO}/run-1.log"
rc=${PIPESTATUS[0]}
set -e
[[ ${rc} -eq 0 ]] || die "the first run failed (exit ${rc}); see ${DEMO}/run-1.log"
first_run=$((SECONDS - start))

step "What the orchestrator holds now   (GET /_sim/model, ${first_run}s)"
sim GET /_sim/model >"${DEMO}/model.json"
sim GET /_sim/stats >"${DEMO}/stats-1.json"
"${BIN}/python" - "${DEMO}/model.json" "${DEMO}/stats-1.json" <<'PY'
import json, sys
model, stats = (json.load(open(p)) for p in sys.argv[1:3])
rows = [(infra, state) for infra, state in sorted(model.items()) if any(state.values())]
print("   %-12s %-32s %-32s %s" % ("infra", "servers", "task services", "clusters"))
for infra, state in rows:
    print("   %-12s %-32s %-32s %s" % (infra, ", ".join(state["servers"]) or "-",
                                      ", ".join(state["taskservs"]) or "-", ", ".join(state["clusters"]) or "-"))
made = stats["tasks_created"]
print("\n   %d workflows ran: servers %d, task services %d, clusters %d, batch operations %d (in %d batch%s)"
      % (sum(made.values()), made["servers"], made["taskserv"], made["cluster"], made["batch_op"],
         stats["batches_created"], "" if stats["batches_created"] == 1 else "es"))
PY

step "2/2  the same playbook again: it must change nothing"
set +e
ansible-playbook "${PLAYBOOK}" >"${DEMO}/run-2.log" 2>&1
rc=$?
set -e
[[ ${rc} -eq 0 ]] || { tail -n 40 "${DEMO}/run-2.log" >&2; die "the second run failed (exit ${rc}); see ${DEMO}/run-2.log"; }
sim GET /_sim/stats >"${DEMO}/stats-2.json"
recap="$(grep -E '^localhost +: ' "${DEMO}/run-2.log" | tail -n 1 | tr -s ' ')"
info "PLAY RECAP" "${recap#localhost : }"
verdict="$("${BIN}/python" - "${DEMO}/stats-1.json" "${DEMO}/stats-2.json" <<'PY'
import json, sys
one, two = (json.load(open(p)) for p in sys.argv[1:3])
tasks = sum(two["tasks_created"].values()) - sum(one["tasks_created"].values())
batches = two["batches_created"] - one["batches_created"]
print("%d %d" % (tasks, batches))
PY
)"
read -r new_tasks new_batches <<<"${verdict}"
info submitted "${new_tasks} new workflows, ${new_batches} new batches   (the simulator's own count)"
grep -Eq '^localhost +: .* changed=0 ' "${DEMO}/run-2.log" || die "the second run reported changes: ${recap}"
[[ "${new_tasks}" == 0 && "${new_batches}" == 0 ]] || die "the second run submitted ${new_tasks} workflows and ${new_batches} batches"

step "${G}demo OK${N}${B}: provisioned once, and the second run was a no-op"
printf '   next: %s\n' "make test   (everything CI runs; see README.md)" \
    "README.md, Quick start: the same playbooks against your own orchestrator"
