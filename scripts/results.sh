#!/usr/bin/env bash
# Runs every experiment of docs/RESULTS.md over seeds 0 1 2 (release build) into results/
# (git-ignored), then prints the table. Takes hours on 2 cores; run a subset with
#   scripts/results.sh mlp | cnn | sweep | divergences | born-again-mlp | born-again-cnn | self
#                      | cnn-augment | cnn-clean | cnn-mid | mlp-clean | mlp-augment
#                      | mlp-long | cnn-long | clean-teacher | clean-features | resnet | resnet-features
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
# "Distillation that pays off": one CNN teacher per seed trained with the augmentation
# (Configs/fashion-cnn-augment.yaml); every student row is distilled from it.
# cnn-augment: KD with augmentation, teacher live (with the same-augmentation baseline) or
# cached for 4 and 16 views, and DIST with the teacher live. cnn-clean: on clean images with
# cached teacher outputs, the clean baseline and KD at T = 4, alpha = 0.9, the (T, alpha) candidates on the validation split (seed 0), DKD,
# DIST, KD on standardised logits.
# cnn-mid: the 105.9k mid-size CNN student, DIST and its baseline. mlp-clean / mlp-augment: the
# MLP student as cnn-clean / cnn-augment, from the same CNN teachers. mlp-long / cnn-long: the
# long schedule (100 / 50 epochs) of the validation-best recipe, with a baseline as long.
if [[ $what == all || $what == cnn-* || $what == mlp-* ]]; then
    for s in $seeds; do teacher fashion-cnn-augment Configs/fashion-cnn-augment.yaml "$s"; done
fi
if [[ $what == all || $what == cnn-augment ]]; then
    for s in $seeds; do
        t="$out/teachers/fashion-cnn-augment-s$s.safetensors"
        run "cnn-aug-live-s$s" Configs/fashion-cnn-augment.yaml --seed "$s" --teacher "$t"
        run "cnn-aug-views4-s$s" Configs/fashion-cnn-views4.yaml --seed "$s" --teacher "$t"
        run "cnn-aug-views16-s$s" Configs/fashion-cnn-views16.yaml --seed "$s" --teacher "$t"
        run "cnn-aug-dist-s$s" Configs/fashion-cnn-dist-augment.yaml --seed "$s" --teacher "$t"
    done
fi
clean_rows() { # arch kd_config best_T best_alpha: the rows on clean images of cnn-clean / mlp-clean
    local arch=$1 kd_config=$2 best_t=$3 best_a=$4
    for s in $seeds; do
        t="$out/teachers/fashion-cnn-augment-s$s.safetensors"
        run "$arch-clean-base-s$s" "Configs/fashion-$arch-clean.yaml" --seed "$s" --teacher "$t"
        for row in dkd dist std; do run "$arch-clean-$row-s$s" "Configs/fashion-$arch-$row.yaml" --seed "$s" --teacher "$t"; done
    done
    for Ta in "1 0.5" "2 0.5" "1 0.9" "2 0.9" "4 0.5"; do
        set -- $Ta
        run "select-$arch-clean-T$1-a$2" "$kd_config" --seed 0 --temperature "$1" --alpha "$2" \
            --teacher "$out/teachers/fashion-cnn-augment-s0.safetensors"
    done    # The candidate best on the validation split (seed 0), on every seed.
    for s in $seeds; do
        run "$arch-clean-T$best_t-a$best_a-s$s" "$kd_config" --seed "$s" --temperature "$best_t" --alpha "$best_a" \
            --teacher "$out/teachers/fashion-cnn-augment-s$s.safetensors"
    done
}
# Best on validation at seed 0: CNN T = 1, alpha = 0.9; MLP T = 1, alpha = 0.5.
[[ $what == all || $what == cnn-clean ]] && clean_rows cnn Configs/fashion-cnn-clean-kd.yaml 1 0.9
if [[ $what == all || $what == cnn-mid ]]; then
    for s in $seeds; do
        run "cnn-mid-dist-s$s" Configs/fashion-cnn-mid-dist.yaml --seed "$s" --teacher "$out/teachers/fashion-cnn-augment-s$s.safetensors"
    done
fi
[[ $what == all || $what == mlp-clean ]] && clean_rows mlp Configs/fashion-mlp-clean.yaml 1 0.5
if [[ $what == all || $what == mlp-long ]]; then
    # The candidates at 100 epochs on the validation split (seed 0): KD at T = 1, alpha = 0.5 came
    # first, DIST second; both on every seed.
    t0="$out/teachers/fashion-cnn-augment-s0.safetensors"
    for row in "base-T4-a0.9 Configs/fashion-mlp-clean.yaml" "T1-a0.5 Configs/fashion-mlp-clean.yaml --temperature 1 --alpha 0.5" \
        "T2-a0.5 Configs/fashion-mlp-clean.yaml --temperature 2 --alpha 0.5" "dist Configs/fashion-mlp-dist.yaml" \
        "std Configs/fashion-mlp-std.yaml"; do
        set -- $row
        name=$1 config=$2; shift 2
        run "long-select-mlp-$name" "$config" --epochs 100 --seed 0 --teacher "$t0" "$@"
    done
    for s in $seeds; do
        t="$out/teachers/fashion-cnn-augment-s$s.safetensors"
        run "mlp-long-kd-s$s" Configs/fashion-mlp-long.yaml --seed "$s" --teacher "$t"
        run "mlp-long-dist-s$s" Configs/fashion-mlp-dist.yaml --epochs 100 --seed "$s" --teacher "$t"
    done
fi
if [[ $what == all || $what == cnn-long ]]; then
    for s in $seeds; do
        run "cnn-long-dist-s$s" Configs/fashion-cnn-dist-long.yaml --seed "$s" --teacher "$out/teachers/fashion-cnn-augment-s$s.safetensors"
    done
fi
if [[ $what == all || $what == mlp-augment ]]; then
    for s in $seeds; do
        t="$out/teachers/fashion-cnn-augment-s$s.safetensors"
        run "mlp-aug-live-s$s" Configs/fashion-mlp-augment.yaml --seed "$s" --teacher "$t"
        run "mlp-aug-views4-s$s" Configs/fashion-mlp-views4.yaml --seed "$s" --teacher "$t"
        run "mlp-aug-views16-s$s" Configs/fashion-mlp-views16.yaml --seed "$s" --teacher "$t"
    done
fi
# clean-teacher: the cnn-teacher trained on clean images (Configs/fashion-cnn-clean.yaml, the same
# validation split) as a stronger teacher than the augmented one. Per seed and student: the run
# with the hard-label baseline (the same bits as cnn-clean's / mlp-clean's) and KD at T = 4,
# alpha = 0.9, then DIST; the mid-size student's DIST run carries its own baseline.
if [[ $what == all || $what == clean-teacher ]]; then
    for s in $seeds; do
        teacher fashion-cnn-clean Configs/fashion-cnn-clean.yaml "$s"
        t="$out/teachers/fashion-cnn-clean-s$s.safetensors"
        for arch in cnn mlp; do
            run "$arch-cleanT-base-s$s" "Configs/fashion-$arch-clean.yaml" --seed "$s" --teacher "$t"
            run "$arch-cleanT-dist-s$s" "Configs/fashion-$arch-dist.yaml" --seed "$s" --teacher "$t"
        done
    done
    for s in $seeds; do   # the mid-size student runs its baseline again (same bits as cnn-mid's)
        run "cnn-mid-cleanT-dist-s$s" Configs/fashion-cnn-mid-dist.yaml --seed "$s" --teacher "$out/teachers/fashion-cnn-clean-s$s.safetensors"
    done
fi
# clean-features: the CNN student's DIST from the clean teacher (cnn-cleanT-dist) plus a FitNets
# hint or attention transfer (teacher live); baselines as clean-teacher's.
if [[ $what == all || $what == clean-features ]]; then
    for s in $seeds; do
        t="$out/teachers/fashion-cnn-clean-s$s.safetensors"
        for row in hint attention; do
            run "cnn-cleanT-dist-$row-s$s" "Configs/fashion-cnn-dist-$row.yaml" --seed "$s" --teacher "$t"
        done
    done
fi
# resnet: the ResNet-8 teacher (one seed, TEACHER_SEED, default 0) and, per seed, the ResNet-8
# student on hard labels beside DIST from that teacher (one run), then the thin ResNet-8 student
# likewise. resnet-features: the ResNet-8 student's DIST
# plus attention transfer or a FitNets hint (teacher live), per seed.
resnet_teacher="$out/teachers/fashion-resnet8-s${TEACHER_SEED:-0}.safetensors"
if [[ $what == all || $what == resnet* ]]; then
    teacher fashion-resnet8 Configs/fashion-resnet8.yaml "${TEACHER_SEED:-0}"
fi
if [[ $what == all || $what == resnet ]]; then
    for s in $seeds; do run "resnet8-dist-s$s" Configs/fashion-resnet8-dist.yaml --seed "$s" --teacher "$resnet_teacher"; done
    for s in $seeds; do
        run "resnet8-thin-dist-s$s" Configs/fashion-resnet8-thin-dist.yaml --seed "$s" --teacher "$resnet_teacher"
    done
fi
if [[ $what == all || $what == resnet-features ]]; then
    for s in $seeds; do
        for row in attention hint; do
            run "resnet8-dist-$row-s$s" "Configs/fashion-resnet8-$row.yaml" --seed "$s" --teacher "$resnet_teacher"
        done
    done
fi
python3 scripts/results_table.py "$out"
