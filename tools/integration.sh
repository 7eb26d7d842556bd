#!/usr/bin/env bash
# make integration: ansible-test integration on staged copies of the collection.
#
#   tools/integration.sh                 both alias groups (shippable/posix/group1 and group2) side
#                                        by side, one staged copy each, lines prefixed [group1]/[group2]
#   tools/integration.sh TARGET...       just these targets (or any ansible-test target selection,
#                                        e.g. --start-at faults), in one process
#
# --local, because the targets need provsim and trustme from the dev venv; ansible-test keeps PATH
# and points ANSIBLE_COLLECTIONS_PATH at the staged copy itself, so the Makefile's installed copy
# (.tmp/collections) must not shadow the code under test. Every target starts its own simulator on
# a free port, so the two groups never share state. INTEGRATION_JOBS=1 runs the groups one after
# the other.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-${ROOT}/.venv/bin}"
STAGE="${STAGE:-${TMPDIR:-/tmp}/provisioning-platform-stage}"
PYTHON_VERSION="${ANSIBLE_TEST_PYTHON:-3.13}"
export PATH="${BIN}:${PATH}"
unset ANSIBLE_COLLECTIONS_PATH

# run NAME SELECTION...: stage a copy as NAME and run ansible-test on SELECTION there.
run() {
    local dest="${STAGE}/integration-$1"
    shift
    "${BIN}/python" "${ROOT}/tools/stage.py" "${dest}" >/dev/null
    cd "${dest}/ansible_collections/provisioning/platform"
    "${BIN}/ansible-test" integration --local --python "${PYTHON_VERSION}" --color no "$@"
}

if [[ $# -gt 0 ]]; then
    run selected "$@"
    exit
fi

start=${SECONDS}
if [[ "${INTEGRATION_JOBS:-2}" == 1 ]]; then
    (run group1 shippable/posix/group1/) && rc1=0 || rc1=$?
    (run group2 shippable/posix/group2/) && rc2=0 || rc2=$?
else
    (run group1 shippable/posix/group1/ 2>&1 | sed -u 's/^/[group1] /'; exit "${PIPESTATUS[0]}") &
    pid1=$!
    (run group2 shippable/posix/group2/ 2>&1 | sed -u 's/^/[group2] /'; exit "${PIPESTATUS[0]}") &
    pid2=$!
    trap 'kill "${pid1}" "${pid2}" 2>/dev/null || true' INT TERM
    wait "${pid1}" && rc1=0 || rc1=$?
    wait "${pid2}" && rc2=0 || rc2=$?
fi
verdict() { [[ $1 -eq 0 ]] && echo passed || echo "FAILED (exit $1)"; }
echo "integration: group1 $(verdict "${rc1}"), group2 $(verdict "${rc2}") in $((SECONDS - start)) s"
[[ ${rc1} -eq 0 && ${rc2} -eq 0 ]]
