"""Plot and tabulate the validation F1 of runs made by ``scripts/compare_presets.sh``.

    python scripts/plot_compare.py WORK [--out WORK/f1_vs_items.png]

Reads ``WORK/<preset>/validation.csv`` (and ``train.csv``), writes one PNG with
every preset's mean F1 against items seen, and prints a Markdown table of F1 per
class at the item counts all runs reached, plus each run's mean training speed.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def read_rows(path: Path) -> list[dict[str, float]]:
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    runs = {p.parent.name: read_rows(p) for p in sorted(args.work.glob("*/validation.csv"))}
    if not runs:
        raise SystemExit(f"{args.work}: no */validation.csv")
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, rows in runs.items():
        trained = [r for r in rows if r["items"] > 0]
        ax.plot([r["items"] for r in trained], [r["mean"] for r in trained], "o-", label=name)
    ax.set_xscale("log")
    ax.set_ylim(0, 1)  # a zoomed axis would make run-to-run noise look like a gap
    ax.set_xlabel("training items (2 s segments)")
    ax.set_ylabel("mean F1 (KD, SD, HH; mean of per-track F1)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out = args.out or args.work / "f1_vs_items.png"
    fig.savefig(out, dpi=100)
    print(f"written {out}\n")
    common = sorted(set.intersection(*({r["items"] for r in rows} for rows in runs.values())))
    print("| items | run | KD | SD | HH | mean |\n|---|---|---|---|---|---|")
    for items in common:
        for name, rows in runs.items():
            r = next(r for r in rows if r["items"] == items)
            print(f"| {items:.0f} | {name} | {r['KD']:.3f} | {r['SD']:.3f} | {r['HH']:.3f} "
                  f"| {r['mean']:.3f} |")  # fmt: skip
    print()
    for name in runs:
        log = args.work / name / "train.csv"
        if log.is_file():
            rows = read_rows(log)
            rate = rows[-1]["items"] / rows[-1]["elapsed_s"]
            print(f"{name}: {rows[-1]['items']:.0f} items in {rows[-1]['elapsed_s']:.0f} s "
                  f"({rate:.2f} items/s of wall time, validation included)")  # fmt: skip


if __name__ == "__main__":
    main()
