"""Evaluation reports: several systems on several datasets, as a table, JSON or Markdown."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from drummernet.datasets.annotations import load_dataset
from drummernet.errors import OutputError
from drummernet.evaluation.runner import (
    Transcriber,
    evaluate_tracks,
    model_activations,
    score_activations,
    tune_peak_picking,
)
from drummernet.fileio import atomic_write, write_text
from drummernet.model.network import AnalysisNetwork
from drummernet.transcription.notes import CLASS_SETS, PeakPicking


def dataset_name(path: str | Path) -> str:
    """A short name for a dataset folder (its last component)."""
    return Path(path).resolve().name


def evaluate_model(
    model: AnalysisNetwork,
    datasets: Sequence[str | Path],
    classes: str = "paper",
    peaks: PeakPicking | None = None,
    tune_on: str | Path | Sequence[str | Path] | None = None,
    max_seconds: float | None = None,
    progress: Callable | None = None,
    widen_classes: bool = True,
    errors: list[str] | None = None,
) -> dict:
    """Score a model on each dataset; with ``tune_on``, per-class thresholds (and, with
    ``widen_classes``, whether a class adds its family's left-out components, see
    :func:`tune_peak_picking`) are first chosen on that (validation) set and then
    used unchanged on every dataset (several sets: their tracks pooled, e.g. drums alone
    and under a band). The tuning set may be scored too (its
    activations are computed once); its scores are then optimistic, and the report
    says which set was used for tuning. With ``errors``, tracks whose annotations or
    audio cannot be used are reported there and left out."""
    peaks = peaks or PeakPicking.for_model(model)
    report: dict = {"classes": classes, "datasets": {}}
    cache: dict[str, list] = {}  # the tuning set's activations, reused if it is also scored
    tune_sets = [tune_on] if isinstance(tune_on, str | Path) else list(tune_on or [])
    if tune_sets:
        pooled, names = [], []
        for tune in tune_sets:
            runs = model_activations(model, load_dataset(tune, errors), classes, max_seconds,
                                     progress=progress, errors=errors)  # fmt: skip
            cache[str(Path(tune).resolve())] = runs
            pooled += runs
            names += [f"{dataset_name(tune)}/{result.source}" for result, _ in runs]
        peaks, info = tune_peak_picking(pooled, names, peaks, classes, widen_classes)
        report["tuning"] = {"dataset": " + ".join(str(t) for t in tune_sets), **info}
    report["peak_picking"] = peaks.to_dict()
    for path in datasets:
        start = time.monotonic()
        key = str(Path(path).resolve())
        if key in cache:
            runs = cache[key]
        else:
            runs = model_activations(model, load_dataset(path, errors), classes, max_seconds,
                                     progress=progress, errors=errors)  # fmt: skip
        result = score_activations(runs, [r.source for r, _ in runs], peaks, classes)
        result["n_tracks"] = len(runs)
        result["seconds"] = round(time.monotonic() - start, 1)
        report["datasets"][dataset_name(path)] = result
    return report


def evaluate_transcriber(
    transcriber: Transcriber,
    datasets: Sequence[str | Path],
    classes: str = "paper",
    max_seconds: float | None = None,
    progress: Callable | None = None,
    errors: list[str] | None = None,
) -> dict:
    """Score any transcriber (e.g. the NMFD baseline) the same way."""
    report: dict = {"classes": classes, "datasets": {}}
    for path in datasets:
        start = time.monotonic()
        result = evaluate_tracks(transcriber, load_dataset(path, errors), classes, max_seconds,
                                 progress=progress, errors=errors)  # fmt: skip
        result["n_tracks"] = len(result["per_track"])
        result["seconds"] = round(time.monotonic() - start, 1)
        report["datasets"][dataset_name(path)] = result
    return report


def evaluate_nmfd(
    datasets: Sequence[str | Path],
    classes: str = "paper",
    tune_on: str | Path | None = None,
    max_seconds: float | None = None,
    progress: Callable | None = None,
    errors: list[str] | None = None,
) -> dict:
    """The NMFD baseline on ``datasets``; with ``tune_on`` its per-class thresholds are
    chosen on that set first, exactly as DrummerNet's are (``errors``: as
    :func:`evaluate_model`)."""
    from drummernet.nmfd import nmfd_transcriber, tune_nmfd

    tuning = None
    delta: float | dict[str, float] = 0.15
    if tune_on is not None:
        tracks = load_dataset(tune_on, errors)
        delta = tune_nmfd(tracks, classes, max_seconds=max_seconds, errors=errors)
        tuning = {"dataset": str(tune_on), "chosen": delta}
    report = evaluate_transcriber(
        nmfd_transcriber(classes, delta=delta), datasets, classes, max_seconds, progress, errors
    )
    if tuning:
        report["tuning"] = tuning
    return report


def _row(name: str, system: str, result: dict, labels: list[str]) -> list[str]:
    paper, micro = result["paper"], result["micro"]
    cells = [f"{paper[k]:.3f}" if k in paper else "  -  " for k in [*labels, "mean"]]
    cells += [f"{micro[k]['f1']:.3f}" if k in micro else "  -  " for k in labels]
    cells.append(f"{micro['mean']:.3f}")
    return [name, system, str(result["n_tracks"]), *cells]


def table_rows(reports: dict[str, dict]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: one per (dataset, system); paper figures then micro figures."""
    classes = next(iter(reports.values()))["classes"]
    labels = list(CLASS_SETS[classes])
    header = ["dataset", "system", "tracks", *labels, "mean", *[f"µ{k}" for k in labels], "µmean"]
    rows = []
    names = sorted({d for r in reports.values() for d in r["datasets"]})
    for name in names:
        for system, report in reports.items():
            if name in report["datasets"]:
                rows.append(_row(name, system, report["datasets"][name], labels))
    return header, rows


def format_table(reports: dict[str, dict]) -> str:
    """A plain-text table for the terminal."""
    header, rows = table_rows(reports)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]]
    note = (
        "F1: mean of per-track F1 (paper); µ: hits, misses, false alarms summed (micro); "
        "both over the tracks whose reference has the class (- : no track has it)"
    )
    return "\n".join([*lines, note])


def format_markdown(reports: dict[str, dict]) -> str:
    """The same table in Markdown."""
    header, rows = table_rows(reports)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


#: What ``evaluate -o`` and ``ablation -o`` write, by file extension.
REPORT_KINDS = {".json": "JSON", ".md": "Markdown table"}
FIGURE_KINDS = {".png": "bar chart", ".pdf": "bar chart", ".svg": "bar chart"}


def validate_output(path: str | Path, kinds: Mapping[str, str]) -> Path:
    """Check, before any work, that ``path`` has one of ``kinds``' extensions and that
    its folder exists; :class:`OutputError` naming the file otherwise."""
    path = Path(path)
    if path.suffix.lower() not in kinds:
        known = ", ".join(f"{ext} ({what})" for ext, what in kinds.items())
        raise OutputError(f"{path}: unknown report type {path.suffix or '(none)'!r}; use {known}")
    if not path.parent.is_dir():
        raise OutputError(f"{path}: cannot write (folder {path.parent} does not exist)")
    return path


def write_report(reports: dict[str, dict], path: str | Path) -> None:
    """JSON (``.json``) or a Markdown table (``.md``), written atomically."""
    path = validate_output(path, REPORT_KINDS)
    json_text = path.suffix.lower() == ".json"
    write_text(
        path, json.dumps(reports, indent=1) + "\n" if json_text else format_markdown(reports)
    )


#: Mean F1 over IDMT, MDB and ENST per variant, as the paper's Figure 8 reports it.
PAPER_FIGURE_8 = {
    "paper": 0.718,
    "soft": 0.576,
    "mel": 0.659,
    "stft": 0.684,
    "noe": 0.701,
    "conv": 0.707,
}


def ablation_report(
    models: dict[str, AnalysisNetwork],
    datasets: Sequence[str | Path],
    max_seconds: float | None = None,
    progress: Callable | None = None,
) -> dict:
    """Figure 8: mean F1 (paper figure, KD/SD/HH) of each variant per dataset and overall.

    ``models`` maps a variant name (``paper``, ``soft``, ``mel`` ...) to its model;
    every model is scored with the thresholds stored in it (or the paper's).
    """
    rows = {}
    for variant, model in models.items():
        report = evaluate_model(model, datasets, max_seconds=max_seconds, progress=progress)
        per_set = {name: r["paper"]["mean"] for name, r in report["datasets"].items()}
        rows[variant] = {
            "preset": model.config.name,
            "datasets": per_set,
            "mean": sum(per_set.values()) / len(per_set),
            "paper_reported": PAPER_FIGURE_8.get(model.config.name),
            "trained_items": model.metadata.get("trained_items"),
        }
    return {"figure": 8, "variants": rows}


def format_ablation(report: dict) -> str:
    """Figure 8 as a Markdown table: one row per variant."""
    variants = report["variants"]
    names = sorted({d for v in variants.values() for d in v["datasets"]})
    header = ["variant", "preset", "items", *names, "mean", "paper (3 sets)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for variant, row in variants.items():
        cells = [f"{row['datasets'][n]:.3f}" if n in row["datasets"] else "-" for n in names]
        reported = f"{row['paper_reported']:.3f}" if row["paper_reported"] else "-"
        items = "?" if row["trained_items"] is None else str(row["trained_items"])
        cells = [variant, row["preset"], items, *cells, f"{row['mean']:.3f}", reported]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_ablation(report: dict, path: str | Path) -> None:
    """Figure 8 as ``.json``, a Markdown table (``.md``) or a bar chart (``.png``,
    ``.pdf``, ``.svg``: mean F1 per variant and dataset, as in the paper)."""
    path = validate_output(path, {**REPORT_KINDS, **FIGURE_KINDS})
    suffix = path.suffix.lower()
    if suffix in FIGURE_KINDS:
        plot_ablation(report, path)
    else:
        text = json.dumps(report, indent=1) + "\n" if suffix == ".json" else format_ablation(report)
        write_text(path, text)


def plot_ablation(report: dict, path: str | Path) -> None:
    """The paper's Figure 8: grouped bars of mean F1 (KD, SD, HH) per variant, one
    bar per dataset and one for their mean; the paper's reported mean as a mark."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = report["variants"]
    names = sorted({d for v in variants.values() for d in v["datasets"]})
    groups = [*names, "mean"]
    width = 0.8 / len(groups)
    fig, ax = plt.subplots(figsize=(1.4 + 1.1 * len(variants) * max(1, len(groups) / 3), 3.8))
    for j, group in enumerate(groups):
        values = [
            row["mean"] if group == "mean" else row["datasets"].get(group, float("nan"))
            for row in variants.values()
        ]
        xs = [i + (j - (len(groups) - 1) / 2) * width for i in range(len(variants))]
        ax.bar(xs, values, width, label=group, color=None if group != "mean" else "0.3")
    reported = [(i, row["paper_reported"]) for i, row in enumerate(variants.values())
                if row["paper_reported"]]  # fmt: skip
    if reported:
        ax.plot(*zip(*reported, strict=True), "k_", ms=22, mew=2, label="paper (3 sets)")
    ax.set_xticks(range(len(variants)), list(variants))
    ax.set_ylabel("F1 (mean of KD, SD, HH)")
    ax.set_ylim(0, 1)
    ax.set_title("Ablation (the paper's Figure 8)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    try:
        atomic_write(path, lambda p: fig.savefig(p, dpi=100, format=Path(path).suffix[1:]))
    finally:
        plt.close(fig)
