"""Plot and tabulate results of ``bench/warm_start.py``: F1 against items per run.

    python scripts/plot_warm_start.py RESULT.json [RESULT.json ...] --out curves.png \
        [--label RUN_FOLDER=NAME ...] [--offset RUN_FOLDER=ITEMS ...]

Rows are grouped by run (a checkpoint's run folder, or a model file); each run is
one line (one point for a single model) of mean F1 over KD SD HH (paper classes)
and of mean over KD SD HH TT CY (all classes), against training items, as the
paper's Figure 4. A Markdown table of every row is printed.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def run_of(model: str) -> str:
    path = Path(model)
    return str(path.parent.parent if path.parent.name == "checkpoints" else path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--label", action="append", default=[], metavar="RUN=NAME")
    parser.add_argument(
        "--offset",
        action="append",
        default=[],
        metavar="RUN=ITEMS",
        help="items a run had seen before it started (a run with --init)",
    )
    args = parser.parse_args()
    names = dict(item.split("=", 1) for item in args.label)
    offsets = {run: int(n) for run, n in (item.split("=", 1) for item in args.offset)}
    runs: dict[str, list[dict]] = defaultdict(list)
    for result in args.results:
        for row in json.loads(result.read_text())["rows"]:
            run = run_of(row["model"])
            runs[run].append({**row, "items": row["items"] + offsets.get(run, 0)})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    print("| run | items | KD | SD | HH | mean | TT | CY | mean (KD SD HH TT CY) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run, rows in runs.items():
        rows = sorted({r["items"]: r for r in rows}.values(), key=lambda r: r["items"])
        name = names.get(run, run)
        for ax, key in zip(axes, ("mean", "mean_all"), strict=True):
            ax.plot([r["items"] for r in rows], [r[key] for r in rows], "o-", ms=4, label=name)
        for r in rows:
            p, a = r["paper"]["f1"], r["all"]["f1"]
            cells = [p["KD"], p["SD"], p["HH"], r["mean"], a.get("TT", 0), a.get("CY", 0),
                     r["mean_all"]]  # fmt: skip
            print(f"| {name} | {r['items']:,} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    for ax, title in zip(axes, ("KD SD HH (paper classes)", "KD SD HH TT CY (all classes)"),
                         strict=True):  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlabel("training items (2 s segments)")
        ax.set_title(f"mean F1, {title}", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("validation F1 (tuned thresholds)")
    axes[0].set_ylim(0, 1)
    axes[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=100)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
