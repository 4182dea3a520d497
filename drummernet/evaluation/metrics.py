"""Onset scores with the paper's protocol: ``mir_eval`` F-measure in a 50 ms window.

Two summaries per class, both over the tracks whose reference has that class
(the paper's protocol): the paper's figure (mean of per-track F1) and the micro
figure (hits, misses and false alarms summed over those tracks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import mir_eval
import numpy as np

WINDOW_S = 0.05


@dataclass(frozen=True)
class ClassScore:
    """Counts of one class in one track (or summed over tracks)."""

    hits: int
    n_reference: int
    n_estimate: int

    @property
    def precision(self) -> float:
        return self.hits / self.n_estimate if self.n_estimate else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.n_reference if self.n_reference else 0.0

    @property
    def f1(self) -> float:
        total = self.n_reference + self.n_estimate
        return 2 * self.hits / total if total else 0.0

    def __add__(self, other: ClassScore) -> ClassScore:
        return ClassScore(
            self.hits + other.hits,
            self.n_reference + other.n_reference,
            self.n_estimate + other.n_estimate,
        )


def validate(onsets: np.ndarray, name: str) -> np.ndarray:
    """Onset times as a sorted 1-D float array; raise ValueError naming ``name`` otherwise."""
    onsets = np.asarray(onsets, dtype=float).reshape(-1)
    if not np.all(np.isfinite(onsets)) or np.any(onsets < 0):
        raise ValueError(f"{name}: onset times must be finite and non-negative")
    return np.sort(onsets)


def score_onsets(
    reference: np.ndarray, estimate: np.ndarray, window: float = WINDOW_S
) -> ClassScore:
    """Hits between two onset lists (one-to-one matching, ``mir_eval.onset``)."""
    reference, estimate = validate(reference, "reference"), validate(estimate, "estimate")
    if len(reference) and len(estimate):
        hits = len(mir_eval.util.match_events(reference, estimate, window))
    else:
        hits = 0
    return ClassScore(hits, len(reference), len(estimate))


def score_track(
    reference: Mapping[str, np.ndarray],
    estimate: Mapping[str, np.ndarray],
    labels: Sequence[str],
    window: float = WINDOW_S,
) -> dict[str, ClassScore]:
    """``{label: ClassScore}`` of one track for ``labels`` (missing labels: no onsets)."""
    empty = np.zeros(0)
    return {
        label: score_onsets(reference.get(label, empty), estimate.get(label, empty), window)
        for label in labels
    }


def summarise(tracks: Sequence[Mapping[str, ClassScore]], labels: Sequence[str]) -> dict:
    """Paper (mean per-track F1) and micro figures per class, and their means over ``labels``.

    Returns ``{"paper": {label: f1, "mean": ...}, "micro": {label: {"f1", "precision",
    "recall", "hits", "n_reference", "n_estimate"}, "mean": ...}, "tracks": {label: n}}``.
    Both figures score a class only on the tracks whose reference has it (the
    paper's protocol): estimates of a class a track does not contain do not count
    against it, and a class no reference track has is left out of both means.
    """
    paper: dict[str, float] = {}
    micro: dict[str, dict | float] = {}
    counted: dict[str, int] = {}
    for label in labels:
        scored = [t[label] for t in tracks if label in t and t[label].n_reference > 0]
        counted[label] = len(scored)
        if scored:
            paper[label] = float(np.mean([s.f1 for s in scored]))
        if not scored:  # no reference has the class: left out of both figures
            continue
        total = sum(scored, ClassScore(0, 0, 0))
        micro[label] = {
            "f1": total.f1,
            "precision": total.precision,
            "recall": total.recall,
            "hits": total.hits,
            "n_reference": total.n_reference,
            "n_estimate": total.n_estimate,
        }
    paper["mean"] = float(np.mean([paper[k] for k in labels if k in paper])) if paper else 0.0
    present = [micro[k]["f1"] for k in labels if k in micro]  # type: ignore[index]
    micro["mean"] = float(np.mean(present)) if present else 0.0
    return {"paper": paper, "micro": micro, "tracks": counted}
