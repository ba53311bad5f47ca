#!/usr/bin/env bash
# Prints the path of a Python that has numpy and safetensors (for the interop tests), creating
# a venv under .build/ (git-ignored) on first use. Extra package names may be passed; onnx,
# onnxruntime and torch are pinned to the versions the tests (and fixtures) were written against.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/python-venv
pinned() {
    case "$1" in
        onnx) echo "onnx==1.23.2" ;;
        onnxruntime) echo "onnxruntime==1.31.1" ;;
        torch) echo "torch==2.15.0" ;;
        *) echo "$1" ;;
    esac
}
packages=(numpy safetensors)
for name in "$@"; do packages+=("$(pinned "$name")"); done
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c "import $(IFS=,; echo "${packages[*]}" | sed 's/==[^,]*//g')" 2>/dev/null; then
    "$venv/bin/pip" install -q "${packages[@]}" >&2
fi
echo "$PWD/$venv/bin/python"
