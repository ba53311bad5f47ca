"""Aggregates kd run folders into the Markdown tables of docs/RESULTS.md.

Usage: python3 scripts/results_table.py RESULTS_DIR
Groups run folders by name without their "-s<seed>" suffix; for every model of a group's
summary.json (teacher, student, baseline, generation-k, self) prints the test accuracy as
mean +- sample std over seeds, with the epochs and training seconds taken from metrics.jsonl.
A folder without summary.json (a `kd train` run) counts each phase's last test accuracy once
the phase has run the epochs of the folder's config.yaml (so a run in progress is left out)."""
import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def phases(folder):
    """{phase: [epochs, seconds, last test accuracy]} from a run folder's metrics.jsonl."""
    out = defaultdict(lambda: [0, 0.0, None])
    path = folder / "metrics.jsonl"
    if path.exists():
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            phase = out[entry["phase"]]
            if entry["epoch"] >= phase[0]:
                phase[0], phase[2] = entry["epoch"], entry.get("test_acc")
            phase[1] += entry["seconds"]
    return out


def models(folder, times):
    """[(name, accuracy)] of a run folder: its summary.json, else each phase's last test accuracy."""
    path = folder / "summary.json"
    if not path.exists():  # a kd train run: only once it has run all its epochs
        config = (folder / "config.yaml").read_text() if (folder / "config.yaml").exists() else ""
        epochs = re.search(r"^\s+epochs:\s*(\d+)", config, re.M)
        return [(phase, values[2]) for phase, values in times.items()
                if values[2] is not None and epochs and values[0] == int(epochs.group(1))]
    summary = json.loads(path.read_text())
    found = [(model["name"], model["accuracy"]) for model in summary["models"]]
    if "ensemble" in summary:
        found.append(("ensemble (gen 1-%d)" % len(summary["ensemble"]["members"]), summary["ensemble"]["accuracy"]))
    return found


def main(root):
    groups = defaultdict(list)
    for metrics in sorted(Path(root).glob("*/metrics.jsonl")):
        name = re.sub(r"-s\d+$", "", metrics.parent.name)
        groups[name].append(metrics.parent)
    print("| run | model | test accuracy (%) | seeds | epochs | train s |")
    print("|---|---|---|---|---|---|")
    for name, folders in groups.items():
        rows = defaultdict(list)
        timing = defaultdict(list)
        for folder in folders:
            times = phases(folder)
            for model, accuracy in models(folder, times):
                rows[model].append(100 * accuracy)
                phase = "teacher" if model == "generation-0" else model  # born-again trains gen 0 as its teacher
                if phase in times:
                    timing[model].append(times[phase])
        for model, accuracies in rows.items():
            mean = statistics.mean(accuracies)
            spread = " ± %.2f" % statistics.stdev(accuracies) if len(accuracies) > 1 else ""
            epochs = timing[model][0][0] if timing[model] else "-"
            seconds = "%.0f" % statistics.mean(t[1] for t in timing[model]) if timing[model] else "-"
            print(f"| {name} | {model} | {mean:.2f}{spread} | {len(accuracies)} | {epochs} | {seconds} |")


if __name__ == "__main__":
    main(sys.argv[1])
