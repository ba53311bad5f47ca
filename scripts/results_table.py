"""Aggregates kd run folders into the Markdown tables of docs/RESULTS.md.

Usage: python3 scripts/results_table.py RESULTS_DIR
Groups run folders by name without their "-s<seed>" suffix; for every model of a group's
summary.json (teacher, student, baseline, generation-k, self) prints the test accuracy as
mean +- sample std over seeds, with the epochs and training seconds taken from metrics.jsonl."""
import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def phases(folder):
    """{phase: (epochs, seconds)} from a run folder's metrics.jsonl."""
    out = defaultdict(lambda: [0, 0.0])
    path = folder / "metrics.jsonl"
    if path.exists():
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            out[entry["phase"]][0] = max(out[entry["phase"]][0], entry["epoch"])
            out[entry["phase"]][1] += entry["seconds"]
    return out


def main(root):
    groups = defaultdict(list)
    for summary in sorted(Path(root).glob("*/summary.json")):
        name = re.sub(r"-s\d+$", "", summary.parent.name)
        groups[name].append(summary.parent)
    print("| run | model | test accuracy (%) | seeds | epochs | train s |")
    print("|---|---|---|---|---|---|")
    for name, folders in groups.items():
        rows = defaultdict(list)
        timing = defaultdict(list)
        for folder in folders:
            summary = json.loads((folder / "summary.json").read_text())
            times = phases(folder)
            for model in summary["models"]:
                rows[model["name"]].append(100 * model["accuracy"])
                if model["name"] in times:
                    timing[model["name"]].append(times[model["name"]])
            if "ensemble" in summary:
                rows["ensemble (gen 1-%d)" % len(summary["ensemble"]["members"])].append(100 * summary["ensemble"]["accuracy"])
        for model, accuracies in rows.items():
            mean = statistics.mean(accuracies)
            spread = " ± %.2f" % statistics.stdev(accuracies) if len(accuracies) > 1 else ""
            epochs = timing[model][0][0] if timing[model] else "-"
            seconds = "%.0f" % statistics.mean(t[1] for t in timing[model]) if timing[model] else "-"
            print(f"| {name} | {model} | {mean:.2f}{spread} | {len(accuracies)} | {epochs} | {seconds} |")


if __name__ == "__main__":
    main(sys.argv[1])
