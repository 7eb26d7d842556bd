#!/usr/bin/env python3
"""Copy the collection into DEST/ansible_collections/provisioning/platform.

ansible-test only runs inside a path ending in ansible_collections/NAMESPACE/NAME and resolves
symlinks, so the repository root (which is the collection root) is copied, not linked. The copy
holds what git would ship: tracked files plus untracked files that are not ignored, so new work
is tested before it is committed. Development-only trees that are not part of the collection
(the simulator, benchmarks, tooling, CI glue) stay out, exactly as galaxy.yml's build_ignore.
"""
import os
import shutil
import subprocess
import sys

EXCLUDED_TOP_LEVEL = {'.ci', '.venv', '.stage', '.tmp', 'bench', 'simulator', 'tools'}
# Controller-side tests of AWX and execution-environment tooling run under plain pytest from the
# dev venv (they need ansible-runner, ansible-builder, trustme), not under ansible-test.
EXCLUDED_PATHS = ('tests/awx/', 'tests/ee/')


def collection_files(root):
    listing = subprocess.run(
        ['git', '-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
        check=True, capture_output=True,
    ).stdout.decode()
    for rel in sorted(set(filter(None, listing.split('\0')))):
        if rel.split('/', 1)[0] in EXCLUDED_TOP_LEVEL or rel.startswith(EXCLUDED_PATHS):
            continue
        if os.path.isfile(os.path.join(root, rel)):  # skips files deleted but not yet staged
            yield rel


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: stage.py DEST  (creates DEST/ansible_collections/provisioning/platform)')
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dest = os.path.join(os.path.abspath(sys.argv[1]), 'ansible_collections', 'provisioning', 'platform')
    shutil.rmtree(dest, ignore_errors=True)
    for rel in collection_files(root):
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(root, rel), target)
    print(dest)


if __name__ == '__main__':
    main()
