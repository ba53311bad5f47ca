#!/usr/bin/env bash
# Data parallelism on this machine: `mpirun -np 2 kd train` (one thread per rank) against one
# process with 2 threads (KD_THREADS=2), for the MLP and the CNN teacher, the same global batch,
# one epoch on a Fashion-MNIST subset. Prints samples/s of each, their ratio, the allreduce time
# per step rank 0 measured, and checks the bytes kd allreduces per step against the model's
# 4 x (parameters + 6 loss sums), the input of README's ring-allreduce model.
#
#   scripts/bench-mpi.sh               # LIMIT=12000 samples, BATCH=128; results in .build/bench-mpi/
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT=${LIMIT:-12000}
BATCH=${BATCH:-128}
OUT=${OUT:-.build/bench-mpi}
KD=${KD:-$(swift build -c release --show-bin-path)/kd}
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --quiet --mca btl self,vader)
mkdir -p "$OUT"
for model in mlp-teacher cnn-teacher; do
    cat > "$OUT/$model.yaml" <<YAML
name: bench-$model
seed: 0
data: {source: fashion-mnist, limit: $LIMIT, test_limit: 1000}
training: {epochs: 1, batch_size: $BATCH, optimizer: {name: adam, lr: 0.001}}
teacher: {model: $PWD/Models/$model.yaml}
YAML
    KD_THREADS=2 "$KD" train --config "$OUT/$model.yaml" --out "$OUT/$model-1" --force >"$OUT/$model-1.log" 2>&1
    KD_THREADS=1 "${MPIRUN[@]}" -np 2 "$KD" train --config "$OUT/$model.yaml" --out "$OUT/$model-2" --force \
        >"$OUT/$model-2.log" 2>&1
    one=$(grep -o '"samples_per_s":[0-9.]*' "$OUT/$model-1/metrics.jsonl" | tail -1 | cut -d: -f2)
    two=$(grep -o '"samples_per_s":[0-9.]*' "$OUT/$model-2/metrics.jsonl" | tail -1 | cut -d: -f2)
    line=$(grep '^allreduce:' "$OUT/$model-2.log" | tail -1)
    bytes=$(sed -E 's/allreduce: ([0-9]+) bytes.*/\1/' <<<"$line")
    floats=$(sed -E 's/.*\(([0-9]+) gradient floats \+ ([0-9]+) sums\).*/\1 \2/' <<<"$line")
    params=$(grep -oE '"parameters" *: *[0-9]+' "$OUT/$model-1/summary.json" | head -1 | grep -oE '[0-9]+$')
    expected=$(( 4 * (params + 6) ))
    [ "$bytes" = "$expected" ] || { echo "bench-mpi: $model sent $bytes bytes/step, expected $expected" >&2; exit 1; }
    printf '%-12s 1 process x 2 threads %8.0f samples/s | 2 ranks x 1 thread %8.0f samples/s | ratio %.2f\n' \
        "$model" "$one" "$two" "$(echo "$two / $one" | bc -l)"
    echo "             $line (= 4 x ($params parameters + 6 sums): checked; gradient floats, sums: $floats)"
done
