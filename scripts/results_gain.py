"""What distillation buys over a same-seed baseline: the table of docs/RESULTS.md's
"Distillation that pays off" section.

Usage: python3 scripts/results_gain.py RESULTS_DIR PREFIX BASELINE_RUN
Every run folder PREFIX<row>-s<seed> is one row (its student, or with --model another model);
the baseline and the teacher come from BASELINE_RUN-s<seed> (a run with baseline: true). Per
row: test accuracy mean +- sample std over seeds, the student's last-epoch validation accuracy
(what settings are chosen by), the gain over the baseline (mean and the smallest per seed), the
fraction of the teacher-baseline gap closed, agreement with the teacher on the test set, and the
student's training seconds per run (epochs x its median epoch; a cached-views row's one-time
teacher pass over the views is not included: the run's log gives it)."""
import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def summary(folder):
    """{model name: report} of a run folder's summary.json."""
    return {m["name"]: m for m in json.loads((folder / "summary.json").read_text())["models"]}


def last_epoch(folder, phase):
    """The last metrics.jsonl record of `phase` and the phase's seconds per run: epochs x the
    median epoch (robust to an epoch that waited on another job or was paused)."""
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    records = [r for r in records if r["phase"] == phase]
    return records[-1], len(records) * statistics.median(r["seconds"] for r in records)


def mean_std(values, scale=100, digits=2):
    mean = statistics.mean(values) * scale
    if len(values) < 2:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {statistics.stdev(values) * scale:.{digits}f}"


def main(root, prefix, baseline_run):
    root = Path(root)
    rows = defaultdict(dict)
    for folder in sorted(root.glob(prefix + "*-s*")):
        match = re.fullmatch(re.escape(prefix) + r"(.+)-s(\d+)", folder.name)
        if match and (folder / "summary.json").exists():
            rows[match.group(1)][int(match.group(2))] = folder
    print("| row | test accuracy (%) | val accuracy (%) | gain over baseline (pp): mean, smallest seed "
          "| teacher-baseline gap closed | agreement with teacher (%) | student s per run | seeds |")
    print("|---|---|---|---|---|---|---|---|")
    reference = {}
    for seed in sorted({s for seeds in rows.values() for s in seeds}):
        base = root / f"{baseline_run}-s{seed}"
        if (base / "summary.json").exists():
            models = summary(base)
            reference[seed] = (models["teacher"]["accuracy"], models["baseline"]["accuracy"],
                               last_epoch(base, "baseline"))
    if reference:
        seeds = sorted(reference)
        teacher = [reference[s][0] for s in seeds]
        baseline = [reference[s][1] for s in seeds]
        print(f"| teacher | {mean_std(teacher)} | | | | | | {len(seeds)} |")
        val = [reference[s][2][0]["val_acc"] for s in seeds if reference[s][2][0].get("val_acc") is not None]
        print(f"| baseline (hard labels) | {mean_std(baseline)} | {mean_std(val) if val else ''} | | | "
              f"| {statistics.mean(reference[s][2][1] for s in seeds):.0f} | {len(seeds)} |")
    for row, folders in sorted(rows.items()):
        seeds = sorted(s for s in folders if s in reference)
        if not seeds:
            continue
        acc, val, gain, closed, agree, secs = [], [], [], [], [], []
        for s in seeds:
            student = summary(folders[s])["student"]
            record, seconds = last_epoch(folders[s], "student")
            teacher, baseline, _ = reference[s]
            acc.append(student["accuracy"])
            if record.get("val_acc") is not None:
                val.append(record["val_acc"])
            gain.append(student["accuracy"] - baseline)
            closed.append((student["accuracy"] - baseline) / (teacher - baseline))
            agree.append(student["agreement_with_teacher"])
            secs.append(seconds)
        print(f"| {row} | {mean_std(acc)} | {mean_std(val) if val else ''} | "
              f"{100 * statistics.mean(gain):+.2f}, {100 * min(gain):+.2f} | {statistics.mean(closed):+.2f} | "
              f"{mean_std(agree)} | {statistics.mean(secs):.0f} | {len(seeds)} |")


if __name__ == "__main__":
    main(*sys.argv[1:4])
