#!/usr/bin/env bash
# Packaging test: what a user who installs the Galaxy tarball gets, without this repository.
#
#  1. ansible-galaxy collection build into a temporary directory;
#  2. list the tarball: it must hold the collection (modules, module_utils, docs fragments,
#     playbooks, roles, meta, AWX extension, EE metadata, changelog) and nothing of the
#     development tree (simulator, tests output, caches, .venv, bench, tools, tests/awx|ee, ...);
#  3. install it into a temporary collections path;
#  4. from a directory outside the checkout, with ANSIBLE_COLLECTIONS_PATH set to that path only,
#     run a playbook of our own and the collection's own provisioning.platform.status playbook
#     against the simulator, and check that ansible resolves the modules from the installed copy.
#
# usage: tools/packaging-test.sh          (make packaging; needs the dev venv: make venv)
# env:   KEEP=1 keeps the scratch directory and prints its path.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${VENV:-$ROOT/.venv}/bin
export PATH="$BIN:$PATH"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/prov-packaging.XXXXXX")
SIM_PID=""

cleanup() {
    local rc=$?
    if [[ -n $SIM_PID ]] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    if [[ ${KEEP:-} == 1 ]]; then
        echo "packaging: scratch kept in $SCRATCH"
    else
        rm -rf "$SCRATCH"
    fi
    exit $rc
}
trap cleanup EXIT

fail() {
    echo "packaging: FAIL: $*" >&2
    exit 1
}

say() { echo "packaging: $*"; }

# ---------------------------------------------------------------- 1. build
version=$(sed -n 's/^version: *//p' "$ROOT/galaxy.yml" | tr -d "\"'")
[[ -n $version ]] || fail "no version in galaxy.yml"
mkdir -p "$SCRATCH/dist"
(cd "$ROOT" && ansible-galaxy collection build --force --output-path "$SCRATCH/dist") > "$SCRATCH/build.log" 2>&1 \
    || { cat "$SCRATCH/build.log" >&2; fail "ansible-galaxy collection build failed"; }
tarball="$SCRATCH/dist/provisioning-platform-$version.tar.gz"
[[ -f $tarball ]] || fail "ansible-galaxy collection build did not write $tarball"
say "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

# ---------------------------------------------------------------- 2. contents
tar -tzf "$tarball" | sed -e 's#^\./##' -e '/^$/d' | sort > "$SCRATCH/contents.txt"
say "tarball holds $(grep -cv '/$' "$SCRATCH/contents.txt") files"

# Development-only trees and junk that must never ship (extended regular expressions, matched
# against each member path).
forbidden=(
    '^simulator(/|$)'
    '^bench(/|$)'
    '^tools(/|$)'
    '^\.venv(/|$)'
    '^\.tmp(/|$)'
    '^\.stage(/|$)'
    '^\.ci(/|$)'
    '^\.git(/|$)'
    '^\.gitignore$'
    '^Makefile$'
    '^requirements-dev\.txt$'
    '^tests/output(/|$)'
    '^tests/awx(/|$)'
    '^tests/ee(/|$)'
    '^tests/integration/inventory$'
    '(^|/)__pycache__(/|$)'
    '\.py[co]$'
    '(^|/)\.pytest_cache(/|$)'
    '(^|/)\.hypothesis(/|$)'
    '(^|/)\.mypy_cache(/|$)'
    '(^|/)\.ruff_cache(/|$)'
    '(^|/)\.ansible(/|$)'
    '\.egg-info(/|$)'
    '\.tar\.gz$'
    '^changelogs/\.plugin-cache\.yaml$'
    '(^|/)collections/ansible_collections(/|$)'
)
bad=0
for pattern in "${forbidden[@]}"; do
    if grep -qE "$pattern" "$SCRATCH/contents.txt"; then
        echo "packaging: tarball must not contain /$pattern/ ($(grep -cE "$pattern" "$SCRATCH/contents.txt") members):" >&2
        grep -E "$pattern" "$SCRATCH/contents.txt" | head -10 | sed 's/^/    /' >&2
        bad=1
    fi
done
[[ $bad == 0 ]] || fail "the tarball holds development files; extend build_ignore in galaxy.yml"

required=(
    MANIFEST.json FILES.json README.md LICENSE requirements.txt bindep.txt
    meta/runtime.yml meta/execution-environment.yml
    extensions/awx/credential_type.yml extensions/awx/credential_type_task.yml
    extensions/awx/workflow/submit.yml extensions/awx/workflow/wait.yml extensions/awx/workflow/report.yml
    docs/awx.md
    changelogs/changelog.yaml
    plugins/modules/prov_server.py plugins/modules/prov_taskserv.py plugins/modules/prov_cluster.py
    plugins/modules/prov_batch.py plugins/modules/prov_task_info.py
    plugins/module_utils/client.py
    playbooks/status.yml playbooks/deploy.yml
)
for member in "${required[@]}"; do
    grep -qxF "$member" "$SCRATCH/contents.txt" || fail "the tarball lacks $member"
done
# Every module in the checkout is shipped (a new module cannot be forgotten by build_ignore).
for module in "$ROOT"/plugins/modules/*.py; do
    grep -qxF "plugins/modules/$(basename "$module")" "$SCRATCH/contents.txt" \
        || fail "the tarball lacks plugins/modules/$(basename "$module")"
done
say "contents OK: ${#required[@]} required members present, no development files"

# ---------------------------------------------------------------- 3. install
# The scratch path is the only collections path here too: otherwise ansible-galaxy finds the copy
# `make collection` put in .tmp/collections and answers "Nothing to do" without installing.
ANSIBLE_COLLECTIONS_PATH="$SCRATCH/collections" \
    ansible-galaxy collection install --offline -p "$SCRATCH/collections" "$tarball" > "$SCRATCH/install.log" 2>&1 \
    || { cat "$SCRATCH/install.log" >&2; fail "ansible-galaxy collection install failed"; }
installed="$SCRATCH/collections/ansible_collections/provisioning/platform"
[[ -f $installed/MANIFEST.json && -f $installed/plugins/modules/prov_server.py ]] \
    || fail "ansible-galaxy collection install did not produce $installed"
say "installed into $SCRATCH/collections"

# ---------------------------------------------------------------- 4. run from the installed copy
# Only the temporary collections path; no ansible.cfg, no collections next to the playbook, no
# collections found through sys.path, and a working directory outside the checkout.
unset ANSIBLE_COLLECTIONS_PATHS ANSIBLE_CONFIG
export ANSIBLE_COLLECTIONS_PATH="$SCRATCH/collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_HOME="$SCRATCH/ansible-home"
export ANSIBLE_LOCAL_TEMP="$SCRATCH/ansible-tmp"
export ANSIBLE_NOCOLOR=1 ANSIBLE_DEPRECATION_WARNINGS=false ANSIBLE_RETRY_FILES_ENABLED=false
mkdir -p "$SCRATCH/run"
cd "$SCRATCH/run"
case "$PWD/" in "$ROOT"/*) fail "scratch directory $PWD is inside the checkout" ;; esac

# ansible resolves the modules and playbooks from the installed copy, nowhere else.
ansible-doc --json -t module provisioning.platform.prov_server > "$SCRATCH/doc.json"
doc_file=$("$BIN/python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["provisioning.platform.prov_server"]["doc"]["filename"])' "$SCRATCH/doc.json")
case "$doc_file" in
    "$installed"/*) say "ansible-doc resolves prov_server from the installed copy" ;;
    *) fail "ansible-doc resolved prov_server from $doc_file, not from $installed" ;;
esac

# The simulator (a development tool, not part of the tarball) plays the orchestrator.
mkdir -p "$SCRATCH/sim"
provsim serve --host 127.0.0.1 --port 0 --data-dir "$SCRATCH/sim" \
    --scenario "$ROOT/simulator/scenarios/fast.yaml" --ready-file "$SCRATCH/sim.ready" > "$SCRATCH/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 150); do
    [[ -s $SCRATCH/sim.ready ]] && break
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$SCRATCH/sim.log" >&2; fail "the simulator exited"; }
    sleep 0.1
done
[[ -s $SCRATCH/sim.ready ]] || { cat "$SCRATCH/sim.log" >&2; fail "the simulator did not become ready"; }
url=$(head -n1 "$SCRATCH/sim.ready" | tr -d '[:space:]')
say "simulator at $url"

export PROVISIONING_URL="$url"
export PROVISIONING_USERNAME=admin PROVISIONING_PASSWORD=admin-demo-password

cat > site.yml <<'EOF'
---
- name: Use the installed collection
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Servers for infra pkgtest exist
      provisioning.platform.prov_server:
        infra: pkgtest
      register: first

    - name: The same request again changes nothing
      provisioning.platform.prov_server:
        infra: pkgtest
      register: second

    - name: The task the orchestrator ran is visible
      provisioning.platform.prov_task_info:
        infra: pkgtest
      register: info

    - name: Check the results
      ansible.builtin.assert:
        that:
          - first is changed
          - first.task.status == 'Completed'
          - second is not changed
          - info.tasks | map(attribute='id') | list == [first.task_id]
          - info.tasks[0].status == 'Completed'
EOF
ansible-playbook site.yml > "$SCRATCH/site.log" 2>&1 || { cat "$SCRATCH/site.log" >&2; fail "site.yml failed"; }
grep -E '^localhost +:' "$SCRATCH/site.log" | sed 's/^/packaging: site.yml: /'

ansible-playbook provisioning.platform.status -e prov_status_infra=pkgtest -e prov_status_fail_on_failed=true \
    > "$SCRATCH/status.log" 2>&1 || { cat "$SCRATCH/status.log" >&2; fail "provisioning.platform.status failed"; }
grep -E '^localhost +:' "$SCRATCH/status.log" | sed 's/^/packaging: provisioning.platform.status: /'
say "PASS: built, listed, installed and ran provisioning.platform $version from the tarball"
