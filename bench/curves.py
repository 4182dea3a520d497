"""Benchmark figure: F1 against training items for several runs, from the JSON files
that ``bench/warm_start.py`` writes (one per run or several runs in one file).

Each LABEL=FILE draws one curve per panel (the mean F1 of KD SD HH, and of KD SD HH
TT CY), a point per checkpoint (a LABEL given again adds the rows of another file to
its curve), and a Markdown table of the same numbers: the
F1-against-items comparison at equal budget that issue 38 asks of each timbre source
and network. Runs are told apart by the folder of their checkpoints when a file
holds several (``LABEL=FILE:FOLDER``).

    python bench/curves.py "15 kits=A.json" "crnn=B.json" --out curves.png \
        [--table curves.md] [--title TEXT]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def runs(specs: list[str]) -> dict[str, list[dict]]:
    """``{label: rows sorted by items}`` from ``LABEL=FILE[:FOLDER]`` arguments."""
    out: dict[str, list[dict]] = {}
    for spec in specs:
        label, sep, rest = spec.partition("=")
        if not sep:
            raise SystemExit(f"curves: give LABEL=FILE, not {spec!r}")
        file, _, folder = rest.partition(":")
        try:
            rows = json.loads(Path(file).read_text())["rows"]
        except (OSError, ValueError, KeyError) as exc:
            raise SystemExit(f"curves: {file}: not a warm_start result ({exc})") from None
        rows = [r for r in rows if not folder or folder in r["model"]]
        if not rows:
            raise SystemExit(f"curves: {file}: no row of a model under {folder!r}")
        out[label] = sorted(out.get(label, []) + rows, key=lambda r: r["items"])
    return out


def table(curves: dict[str, list[dict]]) -> str:
    """Markdown: a row per run, a column per item count, ``KD SD HH / five classes``."""
    items = sorted({r["items"] for rows in curves.values() for r in rows})
    lines = ["| run | " + " | ".join(f"{n:,}" for n in items) + " items |",
             "|---|" + "---|" * len(items)]  # fmt: skip
    for label, rows in curves.items():
        by_items = {r["items"]: f"{r['mean']:.3f} / {r['mean_all']:.3f}" for r in rows}
        lines.append(f"| {label} | " + " | ".join(by_items.get(n, "") for n in items) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="LABEL=FILE or LABEL=FILE:FOLDER")
    parser.add_argument("--out", required=True, help="figure (.png)")
    parser.add_argument("--table", help="also write the numbers as Markdown here")
    parser.add_argument("--title", default="Validation F1 against training items")
    args = parser.parse_args()
    curves = runs(args.runs)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, key, name in zip(axes, ("mean", "mean_all"), ("KD SD HH", "KD SD HH TT CY"),
                             strict=True):  # fmt: skip
        for label, rows in curves.items():
            ax.plot([r["items"] for r in rows], [r[key] for r in rows], marker="o", label=label)
        ax.set(title=f"mean F1 of {name}", xlabel="training items (2-s segments)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("F1 (thresholds tuned per class)")
    axes[1].legend(fontsize=8)
    fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(table(curves), end="")
    if args.table:
        Path(args.table).write_text(table(curves))
    print(f"written {args.out}" + (f" and {args.table}" if args.table else ""))


if __name__ == "__main__":
    main()
