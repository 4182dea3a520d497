"""Benchmark: the paper's Figure 8 at equal budget, mean and spread over seeds.

Scores the runs of ``scripts/train_ablations.sh`` (model files in folders named
``VARIANT-sSEED``). Each model's per-class thresholds (paper classes, KD/SD/HH) are
chosen on GMD validation tracks (``--first``/``--tracks``, first ``--max-seconds``),
and then used unchanged on the MDB Drums dev stems. Peak picking is the paper's:
each curve scaled to max 1, no absolute floor (``--floor``). The paper's Figure 8 reports
the mean over three sets; its figures stand beside ours. Writes
``bench/results/figure8/figure8-<date>.json``, a Markdown table and the figure.

    OMP_WAIT_POLICY=PASSIVE python bench/figure8.py data/work/figure8/*-s*/last.pt \
        --validation data/work/gmd-validation --mdb ../shared/data/mdb-drums-dev
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from dataclasses import replace
from pathlib import Path

from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)

ROOT = Path(__file__).resolve().parents[1]
#: The paper's Figure 8 (mean F1 over its three sets) by variant.
PAPER = {"full": 0.718, "soft": 0.576, "mel": 0.659, "stft": 0.684, "noe": 0.701, "conv": 0.707}
ORDER = ("full", "soft", "mel", "stft", "noe", "conv")
RUN = re.compile(r"^(?P<variant>[a-z]+)-s(?P<seed>\d+)$")


def variant_seed(path: str) -> tuple[str, int]:
    """``(variant, seed)`` from a model file inside ``.../VARIANT-sSEED/``."""
    match = RUN.match(Path(path).resolve().parent.name)
    if not match:
        raise SystemExit(f"{path}: not inside a VARIANT-sSEED folder of train_ablations.sh")
    return match["variant"], int(match["seed"])


def score(path: str, validation: list, mdb: list, max_seconds: float, mdb_seconds: float,
          floor: float = 0.0) -> dict:  # fmt: skip
    """Validation F1 with thresholds tuned there, and MDB F1 with the same thresholds.
    Peak picking is the paper's (each curve scaled to max 1) with an absolute ``floor``
    (default 0, as the paper: the softmax head's curves peak near 0.01, below the
    package's default floor of 0.02, which would leave it no onsets at all)."""
    from drummernet.evaluation.runner import model_activations, score_activations, tune_peak_picking
    from drummernet.model import load_model
    from drummernet.transcription.notes import PeakPicking

    model = load_model(path)
    runs = model_activations(model, validation, "paper", max_seconds)
    names = [t.name for t in validation]
    base = replace(PeakPicking.for_model(model), floor=floor)
    peaks, info = tune_peak_picking(runs, names, base, "paper", False)
    row = {"model": path, "items": model.metadata.get("trained_items"),
           "deltas": info["chosen"],
           "validation": score_activations(runs, names, peaks, "paper")["paper"]}  # fmt: skip
    if mdb:
        mdb_runs = model_activations(model, mdb, "paper", mdb_seconds)
        row["mdb"] = score_activations(mdb_runs, [t.name for t in mdb], peaks, "paper")["paper"]
    return row


def summarise(rows: list[dict]) -> dict[str, dict]:
    """Per variant: mean and spread (max - min) over seeds of each set's mean F1."""
    out: dict[str, dict] = {}
    rank = {v: i for i, v in enumerate(ORDER)}
    for variant in sorted({r["variant"] for r in rows}, key=lambda v: (rank.get(v, 99), v)):
        mine = [r for r in rows if r["variant"] == variant]
        entry = {"seeds": [r["seed"] for r in mine], "paper": PAPER.get(variant)}
        for key in ("validation", "mdb"):
            values = [r[key]["mean"] for r in mine if key in r]
            if values:
                entry[key] = round(statistics.fmean(values), 4)
                entry[f"{key}_spread"] = round(max(values) - min(values), 4)
                entry[f"{key}_per_class"] = {
                    c: round(statistics.fmean(r[key][c] for r in mine if c in r[key]), 4)
                    for c in ("KD", "SD", "HH") if any(c in r[key] for r in mine)
                }  # fmt: skip
        out[variant] = entry
    return out


def table(summary: dict[str, dict]) -> str:
    """The Markdown table: ours (mean ± half the spread) beside the paper's."""
    lines = [
        "| variant | seeds | GMD validation | MDB dev | paper (3 sets) |",
        "|---|---|---|---|---|",
    ]
    for variant, e in summary.items():
        cells = []
        for key in ("validation", "mdb"):
            cells.append(f"{e[key]:.3f} ± {e[f'{key}_spread'] / 2:.3f}" if key in e else "-")
        paper = f"{e['paper']:.3f}" if e["paper"] else "-"
        lines.append(f"| {variant} | {len(e['seeds'])} | {cells[0]} | {cells[1]} | {paper} |")
    return "\n".join(lines) + "\n"


def plot(summary: dict[str, dict], rows: list[dict], path: Path) -> None:
    """Bars per variant (validation, MDB), each seed a dot, the paper's figure a mark."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = list(summary)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for j, (key, label) in enumerate((("validation", "GMD validation"), ("mdb", "MDB dev"))):
        xs = [i + (j - 0.5) * 0.3 for i in range(len(variants))]
        ax.bar(xs, [summary[v].get(key, float("nan")) for v in variants], 0.3, label=label)
        for x, v in zip(xs, variants, strict=True):
            seeds = [r[key]["mean"] for r in rows if r["variant"] == v and key in r]
            ax.plot([x] * len(seeds), seeds, "k.", ms=4)
    marks = [(i, summary[v]["paper"]) for i, v in enumerate(variants) if summary[v]["paper"]]
    if marks:
        ax.plot(*zip(*marks, strict=True), "r_", ms=22, mew=2, label="paper (3 sets)")
    ax.set_xticks(range(len(variants)), variants)
    ax.set_ylabel("F1 (mean of KD, SD, HH)")
    ax.set_ylim(0, 1)
    ax.set_title("Figure 8 at equal budget (dots: seeds)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="VARIANT-sSEED/last.pt model files")
    parser.add_argument("--validation", default=str(ROOT / "data" / "work" / "gmd-validation"))
    parser.add_argument("--first", type=int, default=16, help="validation tracks skipped")
    parser.add_argument("--tracks", type=int, default=24)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--mdb", help="MDB Drums dev folder (scored with the chosen thresholds)")
    parser.add_argument("--mdb-seconds", type=float, default=60.0)
    parser.add_argument("--floor", type=float, default=0.0,
                        help="peak picking's absolute floor (default 0: the paper's)")  # fmt: skip
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()

    from drummernet.datasets.annotations import load_dataset

    names = [variant_seed(path) for path in args.models]  # a stray file: said before any work
    validation = load_dataset(args.validation)[args.first : args.first + args.tracks]
    mdb = load_dataset(args.mdb) if args.mdb else []
    rows = []
    for path, (variant, seed) in zip(args.models, names, strict=True):
        scored = score(path, validation, mdb, args.max_seconds, args.mdb_seconds, args.floor)
        row = {"variant": variant, "seed": seed, **scored}
        rows.append(row)
        print(
            f"{variant} seed {seed}: validation {row['validation']['mean']:.3f}"
            + (f", MDB {row['mdb']['mean']:.3f}" if "mdb" in row else ""),
            flush=True,
        )
    summary = summarise(rows)
    out = dated_path(args.out, "figure8")
    protocol = {"validation": args.validation, "first": args.first, "tracks": args.tracks,
                "max_seconds": args.max_seconds, "mdb": args.mdb,
                "mdb_seconds": args.mdb_seconds, "floor": args.floor}  # fmt: skip
    out.write_text(json.dumps({"protocol": protocol, "summary": summary, "runs": rows},
                              indent=1) + "\n")  # fmt: skip
    out.with_suffix(".md").write_text(table(summary))
    plot(summary, rows, out.with_suffix(".png"))
    print(table(summary) + f"written {out} (.md, .png)")


if __name__ == "__main__":
    from drummernet.errors import DrummerNetError

    try:
        main()
    except DrummerNetError as exc:  # a missing validation set or model file: one line
        raise SystemExit(f"figure8: {exc}") from None
