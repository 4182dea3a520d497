"""Transcribe annotated tracks with a model (or any transcriber) and score them.

For a model, the activations of each track are computed once
(:func:`model_activations`) and peak picking is re-run per setting, so a
threshold sweep costs one forward pass per track.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace

import numpy as np

from drummernet.audio import AudioError, load_audio
from drummernet.components import COMPONENTS, component_class
from drummernet.config import SAMPLE_RATE
from drummernet.datasets.annotations import Track, class_onsets
from drummernet.evaluation.metrics import WINDOW_S, ClassScore, score_track, summarise
from drummernet.model.network import AnalysisNetwork
from drummernet.transcription.api import transcribe
from drummernet.transcription.notes import CLASS_SETS, PeakPicking, pick_events
from drummernet.transcription.result import Transcription

#: A transcriber: (mono audio at ``sample_rate``) -> {label: onset times in s}.
Transcriber = Callable[[np.ndarray], Mapping[str, np.ndarray]]
#: Thresholds ``--tune-on`` tries per class (a sigmoid head's probabilities use the top).
THRESHOLD_GRID = (0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7)
#: Cached network runs on a set of tracks: ``(transcription, reference onsets)`` pairs.
Runs = Sequence[tuple[Transcription, dict[str, np.ndarray]]]


def _crop(
    track: Track, classes: str, max_seconds: float | None, window: float, sample_rate: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A track's audio at ``sample_rate`` and its reference onsets, both cut at
    ``max_seconds`` (onsets within ``window`` of the cut left out)."""
    audio = load_audio(track.audio_path, sample_rate)
    reference = class_onsets(track.components, CLASS_SETS[classes])
    if max_seconds is not None:
        audio = audio[: int(max_seconds * sample_rate)]
        reference = {k: v[v < max_seconds - window] for k, v in reference.items()}
    return audio, reference


def _decoded(
    tracks: Iterable[Track],
    classes: str,
    max_seconds: float | None,
    window: float,
    sample_rate: int,
    errors: list[str] | None,
) -> Iterator[tuple[Track, np.ndarray, dict[str, np.ndarray]]]:
    """``(track, audio, reference)`` of each track (see :func:`_crop`); a track whose
    audio cannot be used goes to ``errors`` and is left out (raised if ``errors`` is None)."""
    for track in tracks:
        try:
            audio, reference = _crop(track, classes, max_seconds, window, sample_rate)
        except AudioError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
            continue
        yield track, audio, reference


def _summary(names: list[str], per_track: list[dict[str, ClassScore]], labels: list[str]) -> dict:
    result = summarise(per_track, labels)
    result["per_track"] = {
        name: {label: round(s.f1, 4) for label, s in scores.items() if s.n_reference}
        for name, scores in zip(names, per_track, strict=True)
    }
    return result


def evaluate_tracks(
    transcriber: Transcriber,
    tracks: Sequence[Track],
    classes: str = "paper",
    max_seconds: float | None = None,
    window: float = WINDOW_S,
    progress: Callable | None = None,
    sample_rate: int = SAMPLE_RATE,
    errors: list[str] | None = None,
) -> dict:
    """Score any ``transcriber`` on ``tracks``: :func:`summarise` plus per-track F1.

    ``max_seconds`` scores only the start of each track (its reference cropped too);
    the transcriber is given mono audio at ``sample_rate``. With ``errors``, a
    track whose audio cannot be used is reported there and left out.
    """
    labels = list(CLASS_SETS[classes])
    names, per_track = [], []
    shown = progress(tracks) if progress else tracks
    for track, audio, reference in _decoded(shown, classes, max_seconds, window, sample_rate,
                                            errors):  # fmt: skip
        names.append(track.name)
        per_track.append(score_track(reference, transcriber(audio), labels, window))
    return _summary(names, per_track, labels)


def model_activations(
    model: AnalysisNetwork,
    tracks: Sequence[Track],
    classes: str = "paper",
    max_seconds: float | None = None,
    window: float = WINDOW_S,
    progress: Callable | None = None,
    errors: list[str] | None = None,
) -> list[tuple[Transcription, dict[str, np.ndarray]]]:
    """Run the network once per track: ``(transcription, reference onsets)`` pairs,
    each transcription's ``source`` the track's name. With ``errors``, a track whose
    audio cannot be used is reported there and left out."""
    out = []
    rate = model.config.sample_rate
    shown = progress(tracks) if progress else tracks
    for track, audio, reference in _decoded(shown, classes, max_seconds, window, rate, errors):
        result = transcribe(audio, sr=rate, model=model, classes=classes, check_mix=False)
        result.source = track.name
        out.append((result, reference))
    return out


def score_activations(
    runs: Runs,
    names: Sequence[str],
    peaks: PeakPicking,
    classes: str = "paper",
    window: float = WINDOW_S,
) -> dict:
    """Peak-pick cached activations with ``peaks`` and score them."""
    labels = list(CLASS_SETS[classes])
    per_track = []
    for result, reference in runs:
        events = pick_events(result.activations, result.frame_rate, result.components, classes,
                             peaks)  # fmt: skip
        estimate = {
            label: np.array([e.time for e in events if e.label == label]) for label in labels
        }
        per_track.append(score_track(reference, estimate, labels, window))
    return _summary(list(names), per_track, labels)


def sweep_thresholds(
    runs: Runs,
    names: Sequence[str],
    base: PeakPicking,
    deltas: Sequence[float] = THRESHOLD_GRID,
    classes: str = "paper",
) -> tuple[dict[str, float], list[dict]]:
    """Choose each class's delta by its paper-figure F1 on ``runs`` (a validation set).

    Returns ``({label: best delta}, [{delta, label: f1, ...} per delta tried]``.
    """
    table = []
    for delta in deltas:
        scores = score_activations(runs, names, replace(base, delta=delta, deltas={}), classes)
        table.append({"delta": float(delta), **scores["paper"]})
    return best_per_class(table, list(CLASS_SETS[classes])), table


def family_extras(classes: str = "paper") -> dict[str, tuple[str, ...]]:
    """Per label of a class set, the components of that family the set leaves out
    (for the paper's classes ``{"HH": ("HH_PHH",)}``)."""
    out = {}
    for label, members in CLASS_SETS[classes].items():
        extra = tuple(c for c in COMPONENTS if c not in members and component_class(c) == label)
        if extra:
            out[label] = extra
    return out


def tune_peak_picking(
    runs: Runs,
    names: Sequence[str],
    base: PeakPicking,
    classes: str = "paper",
    widen: bool = True,
) -> tuple[PeakPicking, dict]:
    """Choose on ``runs`` (a validation set), per class, the threshold and (with
    ``widen``) whether the class's left-out components of its family
    (:func:`family_extras`) join its curve.

    Returns the chosen :class:`PeakPicking` and ``{"chosen", "added", "sweep",
    "sweep_added"}`` (the F1 tables behind the choice).
    """
    base = replace(base, add_components={})
    best, table = sweep_thresholds(runs, names, base, classes=classes)
    extras = family_extras(classes) if widen else {}
    added: dict[str, tuple[str, ...]] = {}
    table_added: list[dict] = []
    if extras:
        widened = replace(base, add_components=extras)
        best_added, table_added = sweep_thresholds(runs, names, widened, classes=classes)

        def f1(rows: list[dict], label: str, delta: float) -> float:
            return next(row.get(label, -1.0) for row in rows if row["delta"] == delta)

        for label, members in extras.items():
            if label not in best:
                continue
            if f1(table_added, label, best_added[label]) > f1(table, label, best[label]):
                added[label] = members
                best[label] = best_added[label]
    info = {"chosen": best, "added": {k: list(v) for k, v in added.items()}, "sweep": table,
            "sweep_added": table_added}  # fmt: skip
    return replace(base, deltas=best, add_components=added), info


def best_per_class(table: Sequence[Mapping], labels: Sequence[str]) -> dict[str, float]:
    """From rows ``{"delta": d, label: F1, ...}``, each label's delta of highest F1
    (the first such row on ties); a label no row scores (no reference track has the
    class) is left out, so it keeps the model's own threshold."""
    return {
        label: max(table, key=lambda row: row.get(label, -1.0))["delta"]
        for label in labels
        if any(label in row for row in table)
    }


def model_transcriber(
    model: AnalysisNetwork, classes: str = "paper", peaks: PeakPicking | None = None
) -> Transcriber:
    """Wrap a model as a :data:`Transcriber`."""

    def run(audio: np.ndarray) -> dict[str, np.ndarray]:
        result = transcribe(audio, sr=model.config.sample_rate, model=model, classes=classes,
                            peaks=peaks, check_mix=False)  # fmt: skip
        return {label: result.onsets(label) for label in result.counts()}

    return run
