#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/Package.swift) and runs each for FUZZ_SECONDS, one after
# the other, one job each. The committed seeds (Fuzz/Corpus/<name>) are copied into a working
# corpus under .build-fuzz/ so the repository stays small; crashes land in .build-fuzz/crashes/.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: idx npy csv safetensors config)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-60}}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx npy csv safetensors config)
mkdir -p .build-fuzz/crashes
flags=(-c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
# The Fuzz package sees the main package's sources through a path dependency; touching its
# manifest makes SwiftPM re-plan, so files added to the main package are picked up.
touch Fuzz/Package.swift
if ! swift build --package-path Fuzz "${flags[@]}" > .build-fuzz/build.log 2>&1; then
    grep -E "error" .build-fuzz/build.log | head -20 >&2
    echo "fuzz build failed (.build-fuzz/build.log)" >&2
    exit 1
fi
bin=$(swift build --package-path Fuzz "${flags[@]}" --show-bin-path)
for t in "${targets[@]}"; do
    case $t in
        idx) exe=FuzzIDX ;; npy) exe=FuzzNPY ;; csv) exe=FuzzCSV ;; safetensors) exe=FuzzSafeTensors ;; config) exe=FuzzConfig ;;
        *) echo "unknown fuzz target '$t' (idx, npy, csv, safetensors, config)" >&2; exit 2 ;;
    esac
    corpus=.build-fuzz/corpus-$t
    mkdir -p "$corpus"
    cp -n Fuzz/Corpus/$t/* "$corpus"/ 2>/dev/null || true
    echo "== $exe for ${seconds}s"
    "$bin/$exe" "$corpus" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix=.build-fuzz/crashes/$t- 2>&1 \
        | tee .build-fuzz/$t.log | grep -E "^(stat::|==|INFO: Seed|#[0-9]+ *DONE)|ERROR|Fatal|crash" || true
done
