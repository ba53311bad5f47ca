#!/usr/bin/env bash
# kd vs PyTorch, side by side on this machine: the same architectures, data (Fashion-MNIST),
# batch size (128), optimizer (Adam 1e-3), KD loss (T=4, alpha=0.9) and epochs, run back to
# back, then the ratios (PyTorch time / kd time: > 1 means kd is faster).
#
#   scripts/bench-vs-pytorch.sh              # EPOCHS=3, ROUNDS=2 by default; results in .build/bench/
#   EPOCHS=5 ROUNDS=3 scripts/bench-vs-pytorch.sh
#   ARCHS="resnet8" RESNET_EPOCHS=1 scripts/bench-vs-pytorch.sh   # only some architectures
#
# ARCHS (default "mlp cnn resnet8") picks the architectures; the ResNet-8 cases time
# RESNET_EPOCHS epochs (default 1: a ResNet-8 teacher epoch takes minutes on 2 cores).
#   TORCH_PYTHON=/path/to/python scripts/bench-vs-pytorch.sh   # use an existing torch 2.15 install
#   AUGMENT=1 OUT=.build/bench-aug scripts/bench-vs-pytorch.sh  # every training batch augmented
#   BEFORE=/path/to/older/kd scripts/bench-vs-pytorch.sh  # adds that kd's times in the same run
#
# AUGMENT=1 trains on augmented batches on both sides: random crop from a 2-pixel zero padding and
# a horizontal flip per sample (`kd bench --augment --no-mix`, `torch_kd.py --augment`), the
# teacher of the KD cases run on the student's view; kd adds its cached-views case (4 views).
#
# BEFORE=path runs that kd binary's bench right after this kd's, case for case, so a change is
# measured before and after against the same PyTorch run (a "kd before" column and its ratio).
#
# PyTorch: unless TORCH_PYTHON is set, the script creates a virtualenv in .build/torch-venv
# (git-ignored) and installs torch==2.15.0 and numpy from PyPI into it with pip (a large
# download, once). PyTorch runs with 2 threads (torch.set_num_threads), kd with its defaults.
# The Fashion-MNIST files come from Debian's dataset-fashion-mnist package or KD_DATA_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-3}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-2}
ARCHS=${ARCHS:-"mlp cnn resnet8"}
RESNET_EPOCHS=${RESNET_EPOCHS:-1}
AUGMENT=${AUGMENT:-}
kd_augment=() torch_augment=()
[[ -n "$AUGMENT" ]] && kd_augment=(--augment --no-mix) torch_augment=(--augment)
OUT=${OUT:-.build/bench}
# The PyTorch reference lives in the project's shared folder, beside every clone.
TORCH_KD=${TORCH_KD:-../shared/bench/torch_kd.py}
[ -f "$TORCH_KD" ] || { echo "bench-vs-pytorch: $TORCH_KD not found (set TORCH_KD to shared/bench/torch_kd.py)" >&2; exit 1; }
mkdir -p "$OUT"

# REPORT_ONLY=1 prints the table again from the results already in $OUT.
if [[ -z "${REPORT_ONLY:-}" ]]; then
    if [[ -z "${TORCH_PYTHON:-}" ]]; then
        VENV=.build/torch-venv
        if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
            echo "== installing torch==2.15.0 into $VENV (pip, PyPI)"
            python3 -m venv "$VENV"
            "$VENV/bin/pip" install -q torch==2.15.0 numpy
        fi
        TORCH_PYTHON=$VENV/bin/python
    fi

    if [[ -z "${KD:-}" ]]; then   # KD=/path/to/kd reuses an existing release binary
        echo "== building kd (release)"
        swift build -c release >/dev/null
        KD=$(swift build -c release --show-bin-path)/kd
    fi

    echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    # Back to back, kd then PyTorch, one architecture after another, ROUNDS times; each case keeps
    # its fastest round on both sides, so a slow spell of a shared machine penalises neither.
    for round in $(seq "$ROUNDS"); do
        for arch in $ARCHS; do
            case $arch in
                mlp) models=mlp-teacher,mlp-student epochs=$EPOCHS ;;
                cnn) models=cnn-torchref,cnn-student epochs=$EPOCHS ;;
                resnet8) models=resnet8-teacher,resnet8-student epochs=$RESNET_EPOCHS ;;
                *) echo "bench-vs-pytorch: unknown architecture '$arch' in ARCHS (mlp, cnn, resnet8)" >&2; exit 1 ;;
            esac
            echo "== round $round of $ROUNDS: kd bench, $arch ($epochs epochs per case)"
            "$KD" bench --epochs "$epochs" --only "$models" "${kd_augment[@]}" --json "$OUT/kd-$arch-$round.json" | tee "$OUT/kd-$arch-$round.txt"
            if [[ -n "${BEFORE:-}" ]]; then
                echo "== round $round: kd before ($BEFORE), $arch"
                "$BEFORE" bench --epochs "$epochs" --only "$models" "${kd_augment[@]}" --json "$OUT/kd-before-$arch-$round.json" | tee "$OUT/kd-before-$arch-$round.txt"
            fi
            echo "== round $round: PyTorch, $arch"
            "$TORCH_PYTHON" "$TORCH_KD" --arch "$arch" --epochs "$epochs" --threads "$THREADS" "${torch_augment[@]}" | tee "$OUT/torch-$arch-$round.jsonl"
        done
    done
    echo "== PyTorch eager inference latency"
    PYTHONPATH="$(dirname "$TORCH_KD")" "$TORCH_PYTHON" scripts/torch_latency.py "$THREADS" 1.0 | tee "$OUT/torch-latency.jsonl"

    # Peak memory of a real `kd distill` (1 teacher epoch, 1 student epoch, teacher soft targets cached).
    echo "== kd distill peak memory"
    cat > "$OUT/memory.yaml" <<YAML
name: bench-memory
seed: 0
data: {source: fashion-mnist}
training: {epochs: 1, batch_size: 128, optimizer: {name: adam, lr: 0.001}}
teacher: {model: $PWD/Models/mlp-teacher.yaml}
student: {model: $PWD/Models/mlp-student.yaml}
distillation: {temperature: 4, alpha: 0.9, divergence: kl, baseline: false}
YAML
    python3 - "$KD" "$OUT" <<'PY'
import json, resource, subprocess, sys
kd, out = sys.argv[1], sys.argv[2]
subprocess.run([kd, 'distill', '--config', f'{out}/memory.yaml', '--out', f'{out}/memory-run', '--force', '--quiet'], check=True)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
json.dump({'peak_rss_mb': rss}, open(f'{out}/kd-distill-memory.json', 'w'))
PY
fi

python3 - "$OUT" "$ROUNDS" "$AUGMENT" $ARCHS <<'PY'
import json, os, sys
out, rounds, augmented, parts = sys.argv[1], range(1, int(sys.argv[2]) + 1), bool(sys.argv[3]), sys.argv[4:]
def load_kd(prefix):
    """Each case's fastest round of `kd bench` results {out}/{prefix}-{arch}-{round}.json, by architecture."""
    kd = {}
    for part in parts:
        runs = [json.load(open(f'{out}/{prefix}-{part}-{r}.json')) for r in rounds]
        kd[part] = runs[0]
        kd[part]['training'] = [min((run['training'][i] for run in runs), key=lambda c: c['epoch_s'])
                                for i in range(len(runs[0]['training']))]
        kd[part]['inference'] = [min((run['inference'][i] for run in runs), key=lambda c: c['batch1_ms'])
                                 for i in range(len(runs[0]['inference']))]
        kd[part]['sgemm_reference_gflops'] = max(run['sgemm_reference_gflops'] for run in runs)
    return kd
kd = load_kd('kd')
has_before = all(os.path.exists(f'{out}/kd-before-{part}-{r}.json') for part in parts for r in rounds)
before = load_kd('kd-before') if has_before else None
torch = {}
for part in parts:
    for r in rounds:
        for line in open(f'{out}/torch-{part}-{r}.jsonl'):
            row = json.loads(line); key = (part, row['phase'])
            if key not in torch or row['epoch_s_median'] < torch[key]['epoch_s_median']: torch[key] = row
tlat = {r['model']: r for r in map(json.loads, open(f'{out}/torch-latency.jsonl'))}
def kd_case(part, model, mode, results=kd):
    return next(r for r in results[part]['training'] if r['model'] == model and r['mode'] == mode)
def met(value, target):
    return '' if not target else ('yes' if value >= float(target.strip('x%>= ')) else 'NO')
rows = []   # label, PyTorch, kd before, kd, PyTorch/kd before, PyTorch/kd, target, met
def epoch(case):
    once = f" (+{case['cache_s']:.1f} s once for the cache)" if case.get('cache_s') else ''
    return f"{case['epoch_s']:.2f} s{once}"
def ratio(label, part, phase, model, mode, target):
    t = torch[(part, phase)]['epoch_s_median']; k = kd_case(part, model, mode)
    b = kd_case(part, model, mode, before) if before else None
    r = t / k['epoch_s']
    rows.append((label, f"{t:.2f} s", epoch(b) if b else '', epoch(k), f"{t / b['epoch_s']:.2f}x" if b else '',
                 f"{r:.2f}x", target, met(r, target)))
# Targets: issue 18's ratios (PyTorch time / kd time).
cases = [  # label, architecture, PyTorch phase, kd model, kd mode, target
    ('MLP teacher 784-1200-1200-10', 'mlp', 'teacher', 'mlp-teacher', 'hard', '>= 1.5x'),
    ('MLP student, hard labels', 'mlp', 'student_ce', 'mlp-student', 'hard', ''),
    ('MLP student, KD (kd: cached teacher)', 'mlp', 'student_kd', 'mlp-student', 'kd-cached', '>= 4x'),
    ('MLP student, KD (kd: live teacher)', 'mlp', 'student_kd', 'mlp-student', 'kd-live', ''),
    ('CNN teacher conv32-conv64-fc256', 'cnn', 'teacher', 'cnn-torchref', 'hard', '>= 2x'),
    ('CNN student, hard labels', 'cnn', 'student_ce', 'cnn-student', 'hard', ''),
    ('CNN student, KD (kd: cached teacher)', 'cnn', 'student_kd', 'cnn-student', 'kd-cached', '>= 3x'),
    ('CNN student, KD (kd: live teacher)', 'cnn', 'student_kd', 'cnn-student', 'kd-live', '>= 3x' if augmented else ''),
    ('CNN student, KD (kd: 4 cached views)', 'cnn', 'student_kd', 'cnn-student', 'kd-views', ''),
    ('ResNet-8 teacher resnet8(32, 64, 128)', 'resnet8', 'teacher', 'resnet8-teacher', 'hard', '>= 1.0x'),
    ('ResNet-8 student resnet8(16, 32, 64), hard labels', 'resnet8', 'student_ce', 'resnet8-student', 'hard', '>= 2x'),
    ('ResNet-8 student, KD (both: live teacher)', 'resnet8', 'student_kd', 'resnet8-student', 'kd-live', '>= 2x'),
]
for label, part, phase, model, mode, target in cases:
    # With augmentation a clean-image cache would teach other views than the student's: kd has no such
    # case (its runs refuse it); the cached views are kd's cache for augmented training.
    if part not in parts or (mode == 'kd-cached' and augmented) or (mode == 'kd-views' and not augmented):
        continue
    ratio(label + (', augmented' if augmented else ''), part, phase, model, mode, target)
def inference(results):
    return {r['model']: r for part in results.values() for r in part['inference']}
kdlat, beforelat = inference(kd), inference(before) if before else {}
for model, target in (('mlp-student', '>= 5x'), ('cnn-student', '>= 5x'), ('mlp-teacher', ''), ('cnn-torchref', '')):
    if model not in kdlat: continue
    t, k = tlat[model]['batch1_ms'], kdlat[model]['batch1_ms']
    b = beforelat.get(model, {}).get('batch1_ms')
    rows.append((f'{model} inference, batch 1', f'{t*1000:.1f} us', f'{b*1000:.1f} us' if b else '', f'{k*1000:.1f} us',
                 f'{t/b:.2f}x' if b else '', f'{t/k:.2f}x', target, met(t / k, target)))
# Eval-mode inference at the bench's batch against the rate its own sgemm/convolution shapes allow.
for model in ('mlp-teacher', 'cnn-torchref', 'resnet8-teacher', 'mlp-student', 'cnn-student', 'resnet8-student'):
    if model not in kdlat: continue
    def share(r): return f"{r['samples_per_s']:.0f}/s, {100 * r['samples_per_s'] / r['gemm_bound_samples_per_s']:.0f}%"
    k, b = kdlat[model], beforelat.get(model)
    target = '>= 80%' if model.endswith(('teacher', 'torchref')) else ''
    rows.append((f"{model} inference, batch {k['batch']} (samples/s, % of its sgemm bound)", '', share(b) if b else '',
                 share(k), '', '', target, met(100 * k['samples_per_s'] / k['gemm_bound_samples_per_s'], target)))
mem = json.load(open(f'{out}/kd-distill-memory.json'))['peak_rss_mb']
budget = (60000 * 784 * 4 + (784 * 1200 + 1200 * 1200 + 1200 * 10 + 784 * 64 + 64 * 10) * 4 + 60000 * 10 * 4) / 2**20
print(f"\nkd's BLAS kernels: {kd[parts[0]].get('blas_kernels', 'not recorded')}")
columns = ['work (Fashion-MNIST, batch 128, Adam)', 'PyTorch 2.15', 'kd before', 'kd', 'PyTorch/kd before', 'PyTorch/kd',
           'target', 'met']
keep = [i for i in range(len(columns)) if before or i not in (2, 4)]   # no "before" columns without BEFORE
print('\n| ' + ' | '.join(columns[i] for i in keep) + ' |')
print('|' + '---|' * len(keep))
for r in rows: print('| ' + ' | '.join(r[i] for i in keep) + ' |')
if 'mlp' in parts:
    sg = kd['mlp']['sgemm_reference_gflops']   # 1024^3 through OpenBLAS's own threads: the machine's sgemm
    sg_kd = next(r['gflops'] for r in kd['mlp']['sgemm'] if r['shape'].endswith('1024x1024x1024'))
    for name, results in (('before', before), ('', kd)):
        if not results: continue
        teacher = kd_case('mlp', 'mlp-teacher', 'hard', results)
        print(f"\nMLP teacher training{' (kd before)' if name else ''}: {teacher['gflops']:.1f} GFLOP/s (3x forward convention) = "
              f"{100 * teacher['gflops'] / sg:.0f}% of sgemm 1024^3 with OpenBLAS's own threads ({sg:.1f} GFLOP/s, same run; "
              f"target >= 85%; kd's own split sgemm at 1024^3: {sg_kd:.1f}); "
              f"{100 * teacher['samples_per_s'] / teacher['gemm_bound_samples_per_s']:.0f}% of the step's own sgemm-time bound")
print(f"kd distill peak RSS: {mem:.0f} MB; budget 2 x (train set Float32 + models + logit cache) = 2 x {budget:.0f} MB = "
      f"{2 * budget:.0f} MB -> {'within' if mem <= 2 * budget else 'OVER'}")
PY
