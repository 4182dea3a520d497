"""Transcribe annotated tracks with a model (or any transcriber) and score them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from drummernet.audio import load_audio
from drummernet.datasets.annotations import Track, class_onsets
from drummernet.evaluation.metrics import WINDOW_S, ClassScore, score_track, summarise
from drummernet.model.network import AnalysisNetwork
from drummernet.transcription.api import transcribe
from drummernet.transcription.notes import CLASS_SETS, PeakPicking

#: A transcriber: (16 kHz mono audio) -> {label: onset times in s}.
Transcriber = Callable[[np.ndarray], Mapping[str, np.ndarray]]


def model_transcriber(
    model: AnalysisNetwork, classes: str = "paper", peaks: PeakPicking | None = None
) -> Transcriber:
    """Wrap a model as a :data:`Transcriber`."""

    def run(audio: np.ndarray) -> dict[str, np.ndarray]:
        result = transcribe(audio, sr=model.config.sample_rate, model=model, classes=classes,
                            peaks=peaks)  # fmt: skip
        return {label: result.onsets(label) for label in result.counts()}

    return run


def evaluate_tracks(
    transcriber: Transcriber,
    tracks: Sequence[Track],
    classes: str = "paper",
    max_seconds: float | None = None,
    window: float = WINDOW_S,
    progress: Callable | None = None,
) -> dict:
    """Score ``transcriber`` on ``tracks``: per-track scores and :func:`summarise`.

    ``max_seconds`` scores only the start of each track (its reference cropped
    too), e.g. for a quick validation during training.
    """
    groups = CLASS_SETS[classes]
    labels = list(groups)
    per_track: list[dict[str, ClassScore]] = []
    names = []
    iterator = progress(tracks) if progress else tracks
    for track in iterator:
        audio = load_audio(track.audio_path)
        reference = class_onsets(track.components, groups)
        if max_seconds is not None:
            audio = audio[: int(max_seconds * 16000)]
            reference = {k: v[v < max_seconds - window] for k, v in reference.items()}
        per_track.append(score_track(reference, transcriber(audio), labels, window))
        names.append(track.name)
    result = summarise(per_track, labels)
    result["per_track"] = {
        name: {label: s.f1 for label, s in scores.items() if s.n_reference}
        for name, scores in zip(names, per_track, strict=True)
    }
    return result
