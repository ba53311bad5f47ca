#!/usr/bin/env bash
# Installs the Debian packages kd needs, only those that are missing (runs as root or via sudo).
#   libblas-dev, liblapacke-dev  BLAS/LAPACKE headers and the generic libblas/liblapacke to link
#   libopenblas0-pthread         makes libblas.so.3 resolve to OpenBLAS through Debian's alternatives
#   zlib1g-dev                   gzip decompression of IDX files
#   dataset-fashion-mnist        the real data set (IDX .gz files under /usr/share/datasets)
#   chromium                     headless browser of `make report-check` (opens report.html,
#                                fails on a console message or a blank screenshot)
#   libopenmpi-dev, openmpi-bin  Open MPI (mpi.h, libmpi, mpirun) for `mpirun -np N kd distill`;
#                                plain `kd` never initialises MPI
#   python3-venv                 only when python3 cannot make venvs: the interop tests create
#                                one under .build/ for numpy, safetensors, onnx, onnxruntime
set -euo pipefail
packages=(libblas-dev liblapacke-dev libopenblas0-pthread zlib1g-dev dataset-fashion-mnist chromium libopenmpi-dev openmpi-bin)
command -v python3 >/dev/null && python3 -c "import venv, ensurepip" 2>/dev/null || packages+=(python3 python3-venv)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "bootstrap: swift is not on PATH (Swift 6 toolchain required)" >&2; exit 1; }
