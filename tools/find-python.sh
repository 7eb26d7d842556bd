#!/usr/bin/env bash
# Print the path of a Python >= 3.12 found on this machine (ansible-core 2.21 needs 3.12+).
# pyenv shims for 3.12/3.13 fail when those versions are not selected, so real interpreter
# paths under $(pyenv root)/versions are tried first, newest first.
set -euo pipefail

candidates=()
if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    while IFS= read -r exe; do
        candidates+=("$exe")
    done < <(find "$root"/versions -maxdepth 3 -path '*/bin/python3.1[2-9]' 2>/dev/null | sort -rV)
fi
candidates+=(python3.14 python3.13 python3.12 python3)

for exe in "${candidates[@]}"; do
    if command -v "$exe" >/dev/null 2>&1 \
        && "$exe" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
        command -v "$exe"
        exit 0
    fi
done
echo "No Python >= 3.12 found (tried: ${candidates[*]}). Install one, or run: make PYTHON=/path/to/python3.12" >&2
exit 1
