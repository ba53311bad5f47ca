#!/usr/bin/env bash
# Prints the path of a Python that has numpy and safetensors (for the interop tests), creating
# a venv under .build/ (git-ignored) on first use. Extra package names may be passed.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/python-venv
packages=(numpy safetensors "$@")
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c "import $(IFS=,; echo "${packages[*]}" | sed 's/==[^,]*//g')" 2>/dev/null; then
    "$venv/bin/pip" install -q "${packages[@]}" >&2
fi
echo "$PWD/$venv/bin/python"
