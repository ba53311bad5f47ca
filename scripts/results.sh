#!/usr/bin/env bash
# Runs every experiment of docs/RESULTS.md over seeds 0 1 2 (release build) into results/
# (git-ignored), then prints the table. Takes hours on 2 cores; run a subset with
#   scripts/results.sh mlp | cnn | sweep | divergences | born-again-mlp | born-again-cnn | self
#                      | cnn-augment-select | cnn-augment | mlp-augment-select | mlp-augment
set -euo pipefail
cd "$(dirname "$0")/.."
# KD=path runs a kd built elsewhere (e.g. a copy, so rebuilding does not change a sweep midway).
if [ -z "${KD:-}" ]; then
    swift build -c release >/dev/null
    KD="$(swift build -c release --show-bin-path)/kd"
fi
kd=$KD
out=${RESULTS_DIR:-results}
seeds=${SEEDS:-"0 1 2"}
mkdir -p "$out/teachers"
what=${1:-all}

run() { # name config [kd distill flags...]
    local name=$1 config=$2; shift 2
    [ -f "$out/$name/summary.json" ] && { echo "skip $name (done)"; return; }
    echo "== $name"
    "$kd" distill --config "$config" --out "$out/$name" --force --quiet "$@"
}

teacher() { # name config seed: trains the seed's teacher once
    local name=$1 config=$2 seed=$3
    [ -f "$out/teachers/$name-s$seed.safetensors" ] && return
    echo "== teacher $name seed $seed"
    "$kd" train --config "$config" --seed "$seed" --out "$out/$name-teacher-s$seed" --force --quiet
    cp "$out/$name-teacher-s$seed/teacher.safetensors" "$out/teachers/$name-s$seed.safetensors"
}

if [[ $what == all || $what == mlp || $what == sweep || $what == divergences ]]; then
    for s in $seeds; do teacher fashion-mlp Configs/fashion-mlp.yaml "$s"; done
fi
if [[ $what == all || $what == mlp ]]; then
    for s in $seeds; do
        run "mlp-T4-a0.9-s$s" Configs/fashion-mlp.yaml --seed "$s" --teacher "$out/teachers/fashion-mlp-s$s.safetensors"
        # The best (T, alpha) of the seed-0 sweep below.
        run "mlp-T1-a0.5-s$s" Configs/fashion-mlp.yaml --seed "$s" --temperature 1 --alpha 0.5 \
            --teacher "$out/teachers/fashion-mlp-s$s.safetensors"
    done
fi
if [[ $what == all || $what == sweep ]]; then
    for T in 1 2 4 8; do for a in 0.1 0.5 0.9; do
        run "sweep-mlp-T$T-a$a" Configs/fashion-mlp.yaml --seed 0 --temperature "$T" --alpha "$a" \
            --teacher "$out/teachers/fashion-mlp-s0.safetensors"
    done; done
fi
if [[ $what == all || $what == divergences ]]; then
    for d in reverse-kl js; do for s in $seeds; do
        run "mlp-$d-s$s" "Configs/fashion-mlp-$d.yaml" --seed "$s" --teacher "$out/teachers/fashion-mlp-s$s.safetensors"
    done; done
fi
if [[ $what == all || $what == cnn ]]; then
    for s in $seeds; do
        teacher fashion-cnn Configs/fashion-cnn.yaml "$s"
        run "cnn-s$s" Configs/fashion-cnn.yaml --seed "$s" --teacher "$out/teachers/fashion-cnn-s$s.safetensors"
    done
fi
for arch in mlp cnn; do
    if [[ $what == all || $what == born-again-$arch ]]; then
        for s in $seeds; do
            run "ban-$arch-s$s" "Configs/born-again-$arch.yaml" --seed "$s" --teacher "$out/teachers/ban-$arch-s$s.safetensors"
        done
    fi
done
if [[ $what == all || $what == self ]]; then
    for s in $seeds; do run "self-mlp-s$s" Configs/self-mlp.yaml --seed "$s"; done
fi
# "Distillation that pays off": one teacher per seed trained with the augmentation
# (Configs/fashion-cnn-augment.yaml), every student row distilled from it.
for arch in cnn mlp; do
    if [[ $what == all || $what == $arch-augment-select || $what == $arch-augment ]]; then
        for s in $seeds; do teacher "fashion-$arch-augment" "Configs/fashion-$arch-augment.yaml" "$s"; done
    fi
    if [[ $what == all || $what == $arch-augment-select ]]; then
        # (T, alpha) of KD with augmentation and a live teacher, chosen on the validation split (seed 0).
        for Ta in "4 0.9" "1 0.5" "2 0.7" "1 1"; do
            set -- $Ta
            run "select-$arch-aug-T$1-a$2" "Configs/fashion-$arch-augment.yaml" --seed 0 --temperature "$1" \
                --alpha "$2" --teacher "$out/teachers/fashion-$arch-augment-s0.safetensors"
        done
    fi
    if [[ $what == all || $what == $arch-augment ]]; then
        T=${AUG_T:-4} alpha=${AUG_ALPHA:-0.9} # the choice of $arch-augment-select
        rows=(std views4)
        [ $arch == cnn ] && rows+=(views16)
        for s in $seeds; do
            t="$out/teachers/fashion-$arch-augment-s$s.safetensors"
            kd_flags=(--seed "$s" --teacher "$t" --temperature "$T" --alpha "$alpha")
            run "$arch-aug-live-s$s" "Configs/fashion-$arch-augment.yaml" "${kd_flags[@]}"
            run "$arch-aug-clean-s$s" "Configs/fashion-$arch-clean.yaml" "${kd_flags[@]}"
            for row in dkd dist; do run "$arch-aug-$row-s$s" "Configs/fashion-$arch-$row.yaml" --seed "$s" --teacher "$t"; done
            for row in "${rows[@]}"; do run "$arch-aug-$row-s$s" "Configs/fashion-$arch-$row.yaml" "${kd_flags[@]}"; done
        done
    fi
done
python3 scripts/results_table.py "$out"
