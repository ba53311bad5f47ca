#!/usr/bin/env bash
# make report-check: renders a small run's report.html and opens it in headless Chromium (Debian's
# `chromium`, installed by the bootstrap when missing). Fails when the page logs anything to the
# console (a script error, a resource that does not load) or its screenshot is blank. First
# checks the check itself on a page with a script error, which must be caught. The screenshot is
# left at .build/report-check/report.png; when `make demo` has run, the demo run's report is
# checked the same way into .build/report-check/demo.png.
#   KD: the kd binary (default: the debug build, built here when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/report-check
kd=${KD:-.build/debug/kd}
[ -x "$kd" ] || swift build --product kd
rm -rf "$out" && mkdir -p "$out"

# Opens file $1 in headless Chromium, screenshot to $2; prints each console message and fails if any.
browse() {
    local log="$out/$(basename "$2" .png).log"
    chromium --headless --disable-gpu --no-sandbox --enable-logging=stderr --v=0 \
        --screenshot="$2" --window-size=1280,2000 "file://$(realpath "$1")" >"$log" 2>&1 || true
    [ -s "$2" ] || { echo "report-check: chromium wrote no screenshot of $1 (see $log)" >&2; return 1; }
    if grep -F ':CONSOLE' "$log"; then
        echo "report-check: $1 logged to the console" >&2
        return 1
    fi
}

printf '<!DOCTYPE html><title>x</title><p>x</p><script>notDefined()</script>\n' >"$out/broken.html"
if browse "$out/broken.html" "$out/broken.png" >/dev/null 2>&1; then
    echo "report-check: a page with a script error passed the console check" >&2
    exit 1
fi

cat >"$out/small.yaml" <<'YAML'
input: [1, 28, 28]
layers: [flatten, {linear: {out: 32}}, relu, {linear: {out: 10}}]
YAML
cat >"$out/check.yaml" <<YAML
name: report-check
seed: 5
data: {source: fashion-mnist, limit: 1000, test_limit: 300, validation: 200}
training: {epochs: 3, batch_size: 50, optimizer: {name: adam, lr: 0.003}, schedule: {name: cosine}}
teacher: {model: $PWD/$out/small.yaml}
student: {model: $PWD/$out/small.yaml}
distillation: {temperature: 3, alpha: 0.7, baseline: true}
YAML
"$kd" distill --config "$out/check.yaml" --out "$out/run" --quiet
browse "$out/run/report.html" "$out/report.png"
python3 scripts/png_not_blank.py "$out/report.png"
echo "report-check: $out/run/report.html renders without console messages; screenshot $out/report.png"
demo=runs/demo/report.html
if [ -f "$demo" ]; then
    browse "$demo" "$out/demo.png"
    python3 scripts/png_not_blank.py "$out/demo.png"
    echo "report-check: $demo renders without console messages; screenshot $out/demo.png"
fi
