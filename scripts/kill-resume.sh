#!/usr/bin/env bash
# Crash test: really kill -9 a `kd distill` in the middle of a student epoch, resume it with
# `kd distill --resume`, and compare every checkpoint and metrics.jsonl (minus timings) byte for
# byte with a run that was never interrupted. Exit 0 when identical.
# Usage: scripts/kill-resume.sh [KD_BINARY]   (needs the Fashion-MNIST files, as `make demo`)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kd=${1:-}
if [ -z "$kd" ]; then
    swift build --package-path "$root" -c release --product kd 2>&1 | grep -E "error|Build" || true
    kd=$(swift build --package-path "$root" -c release --show-bin-path)/kd
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > small.yaml <<'YAML'
input: [1, 28, 28]
layers: [flatten, {linear: {out: 128}}, batchnorm, relu, {dropout: {p: 0.3}}, {linear: {out: 10}}]
YAML
cat > kill.yaml <<'YAML'
name: kill
seed: 7
data: {source: fashion-mnist, limit: 6000, test_limit: 1000, validation: 500}
training: {epochs: 2, batch_size: 32, optimizer: {name: sgd, lr: 0.05, momentum: 0.9, nesterov: true}, schedule: cosine}
teacher: {model: small.yaml}
student: {model: small.yaml, training: {epochs: 4, optimizer: adam}}
distillation: {temperature: 4, alpha: 0.7, baseline: true}
YAML
echo "uninterrupted run..."
"$kd" distill -c kill.yaml --out full --quiet
echo "run to kill..."
"$kd" distill -c kill.yaml --out killed --quiet &
pid=$!
# Wait for the teacher's 2 epochs and the student's first, then kill inside student epoch 2.
while [ "$(cat killed/metrics.jsonl 2>/dev/null | wc -l)" -lt 3 ]; do
    kill -0 $pid 2>/dev/null || { echo "run ended before it could be killed" >&2; exit 1; }
    sleep 0.05
done
sleep 0.4
kill -9 $pid
wait $pid 2>/dev/null || true
echo "killed (kill -9) after $(wc -l < killed/metrics.jsonl) epoch lines; files: $(ls killed | tr '\n' ' ')"
ls -a killed | grep -q '\.tmp-' && echo "note: a temporary file was left by the kill (never a half checkpoint)"
echo "resuming..."
"$kd" distill --resume killed --quiet
status=0
for f in teacher student baseline; do
    if cmp -s full/$f.safetensors killed/$f.safetensors; then echo "identical: $f.safetensors"; else echo "DIFFERENT: $f.safetensors"; status=1; fi
done
strip() { sed -E 's/"(seconds|samples_per_s)":[^,}]*,?//g' "$1"; }
if diff <(strip full/metrics.jsonl) <(strip killed/metrics.jsonl) > /dev/null; then echo "identical: metrics.jsonl (without timings)"; else echo "DIFFERENT: metrics.jsonl"; status=1; fi
exit $status
