"""Evaluation reports: several systems on several datasets, as a table, JSON or Markdown."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from drummernet.datasets.annotations import load_dataset
from drummernet.evaluation.runner import (
    Transcriber,
    evaluate_tracks,
    model_activations,
    score_activations,
    tune_peak_picking,
)
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
    tune_on: str | Path | None = None,
    max_seconds: float | None = None,
    progress: Callable | None = None,
    widen_classes: bool = True,
) -> dict:
    """Score a model on each dataset; with ``tune_on``, per-class thresholds (and, with
    ``widen_classes``, whether a class adds its family's left-out components, see
    :func:`tune_peak_picking`) are first chosen on that (validation) set and then
    used unchanged on every dataset. The tuning set may be scored too (its
    activations are computed once); its scores are then optimistic, and the report
    says which set was used for tuning."""
    peaks = peaks or PeakPicking.for_model(model)
    report: dict = {"classes": classes, "datasets": {}}
    cache: dict[str, tuple] = {}  # the tuning set's activations, reused if it is also scored
    if tune_on is not None:
        tracks = load_dataset(tune_on)
        runs = model_activations(model, tracks, classes, max_seconds, progress=progress)
        cache[str(Path(tune_on).resolve())] = (tracks, runs)
        names = [t.name for t in tracks]
        peaks, info = tune_peak_picking(runs, names, peaks, classes, widen_classes)
        report["tuning"] = {"dataset": str(tune_on), **info}
    report["peak_picking"] = peaks.to_dict()
    for path in datasets:
        start = time.monotonic()
        key = str(Path(path).resolve())
        if key in cache:
            tracks, runs = cache[key]
        else:
            tracks = load_dataset(path)
            runs = model_activations(model, tracks, classes, max_seconds, progress=progress)
        result = score_activations(runs, [t.name for t in tracks], peaks, classes)
        result["n_tracks"] = len(tracks)
        result["seconds"] = round(time.monotonic() - start, 1)
        report["datasets"][dataset_name(path)] = result
    return report


def evaluate_transcriber(
    transcriber: Transcriber,
    datasets: Sequence[str | Path],
    classes: str = "paper",
    max_seconds: float | None = None,
    progress: Callable | None = None,
) -> dict:
    """Score any transcriber (e.g. the NMFD baseline) the same way."""
    report: dict = {"classes": classes, "datasets": {}}
    for path in datasets:
        start = time.monotonic()
        tracks = load_dataset(path)
        result = evaluate_tracks(transcriber, tracks, classes, max_seconds, progress=progress)
        result["n_tracks"] = len(tracks)
        result["seconds"] = round(time.monotonic() - start, 1)
        report["datasets"][dataset_name(path)] = result
    return report


def evaluate_nmfd(
    datasets: Sequence[str | Path],
    classes: str = "paper",
    tune_on: str | Path | None = None,
    max_seconds: float | None = None,
    progress: Callable | None = None,
) -> dict:
    """The NMFD baseline on ``datasets``; with ``tune_on`` its per-class thresholds are
    chosen on that set first, exactly as DrummerNet's are."""
    from drummernet.evaluation.nmfd import nmfd_transcriber, tune_nmfd

    tuning = None
    delta: float | dict[str, float] = 0.15
    if tune_on is not None:
        delta = tune_nmfd(load_dataset(tune_on), classes, max_seconds=max_seconds)
        tuning = {"dataset": str(tune_on), "chosen": delta}
    report = evaluate_transcriber(
        nmfd_transcriber(classes, delta=delta), datasets, classes, max_seconds, progress
    )
    if tuning:
        report["tuning"] = tuning
    return report


def _row(name: str, system: str, result: dict, labels: list[str]) -> list[str]:
    paper, micro = result["paper"], result["micro"]
    cells = [f"{paper[k]:.3f}" if k in paper else "  -  " for k in [*labels, "mean"]]
    cells += [f"{micro[k]['f1']:.3f}" for k in labels] + [f"{micro['mean']:.3f}"]
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
    note = "F1: mean of per-track F1 (paper); µ: hits, misses, false alarms summed (micro)"
    return "\n".join([*lines, note])


def format_markdown(reports: dict[str, dict]) -> str:
    """The same table in Markdown."""
    header, rows = table_rows(reports)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_report(reports: dict[str, dict], path: str | Path) -> None:
    """JSON (``.json``) or Markdown (anything else), written atomically."""
    path = Path(path)
    text = (
        json.dumps(reports, indent=1) + "\n" if path.suffix == ".json" else format_markdown(reports)
    )
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


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
        items = str(row["trained_items"] or "?")
        cells = [variant, row["preset"], items, *cells, f"{row['mean']:.3f}", reported]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
