"""NMFD: the classical baseline (non-negative matrix factor deconvolution).

A magnitude spectrogram ``V`` (bins x frames) is modelled as a sum of
convolutions of spectro-temporal templates ``W[r]`` (bins x ``L`` frames), one per
drum, with non-negative activations ``H[r]`` (frames):
``Lambda = sum_l W[:, :, l] @ shift(H, l)``. Templates start from the
spectrograms of kit one-shots (the synthesizer's kits) and both ``W`` and ``H``
are refined with the multiplicative updates for the generalised KL divergence
(Smaragdis 2004; Dittmar & Müller 2016, as in ``libnmfd``). Onsets are peaks of
``H``, picked with the same peak picker as DrummerNet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import librosa
import numpy as np

from drummernet.config import SAMPLE_RATE
from drummernet.kits.library import get_kit
from drummernet.transcription.notes import CLASS_SETS
from drummernet.transcription.peaks import normalise, pick_peaks

EPS = 1e-10
N_FFT, HOP = 2048, 256  # at SAMPLE_RATE (16 kHz): 128 ms window, 16 ms hop
TEMPLATE_FRAMES = 10
#: The synthesizer kits whose one-shots make the default templates.
TEMPLATE_KITS = ("fluidr3-standard", "fluidr3-room", "fluidr3-power")
#: Peak-picking threshold of a class no tuning chose one for.
DEFAULT_DELTA = 0.15


def spectrogram(audio: np.ndarray) -> np.ndarray:
    """Magnitude STFT ``(1 + N_FFT/2, frames)``, frame ``t`` centred at ``t * HOP``."""
    return np.abs(librosa.stft(audio, n_fft=N_FFT, hop_length=HOP, window="hann"))


def _shift(x: np.ndarray, lag: int) -> np.ndarray:
    """Shift columns right by ``lag`` (positive) or left (negative), zero-filled."""
    if lag == 0:
        return x
    out = np.zeros_like(x)
    if lag > 0:
        out[:, lag:] = x[:, :-lag]
    else:
        out[:, :lag] = x[:, -lag:]
    return out


def _stack_shifts(h: np.ndarray, lags: int) -> np.ndarray:
    """``(R, T) -> (L*R, T)``: rows ``l*R + r`` hold ``H[r]`` shifted right by ``l``."""
    return np.concatenate([_shift(h, lag) for lag in range(lags)], axis=0)


def _flat(templates: np.ndarray) -> np.ndarray:
    """``(bins, R, L) -> (bins, L*R)`` matching :func:`_stack_shifts`."""
    return templates.transpose(0, 2, 1).reshape(templates.shape[0], -1)


def reconstruct(templates: np.ndarray, activations: np.ndarray) -> np.ndarray:
    """``sum_l W[:, :, l] @ shift(H, l)``: ``(bins, R, L) x (R, frames) -> (bins, frames)``."""
    return _flat(templates) @ _stack_shifts(activations, templates.shape[2])


def nmfd(
    spec: np.ndarray,
    templates: np.ndarray,
    iterations: int = 30,
    update_templates: bool = True,
    initial_activations: np.ndarray | None = None,
    dtype: type = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Factorise ``spec`` (bins x frames) starting from ``templates`` (bins x R x L).

    Returns ``(templates, activations)``, activations ``(R, frames)``, for the
    spectrogram scaled to unit sum. The iteration is libnmfd's (Dittmar & Müller
    2016, eqs. 5-6): from one ratio ``Q = V / Lambda``, every template frame ``W_l``
    is updated, then ``H`` by the mean over lags of ``W_l^T shift(Q, -l) / W_l^T 1``
    with the updated ``W_l``; templates are renormalised to unit sum. Each step is one
    matrix product over all lags (``bench/check_nmfd.py`` compares with libnmfd).
    """
    v = np.asarray(spec, dtype=dtype)
    v = v / (EPS + v.sum())
    w = np.asarray(templates, dtype=dtype).copy()
    _, rank, lags = w.shape
    frames = v.shape[1]
    h = (
        np.ones((rank, frames), dtype=dtype)
        if initial_activations is None
        else np.asarray(initial_activations, dtype=dtype).copy()
    )
    for _ in range(iterations):
        q = v / (reconstruct(w, h) + EPS)
        if update_templates:
            stacked = _stack_shifts(h, lags)  # (L*R, T)
            update = (q @ stacked.T) / (stacked.sum(axis=1)[None, :] + EPS)
            w *= update.reshape(-1, lags, rank).transpose(0, 2, 1)
        # mult[r, t] = mean_l (W_l^T Q)[r, t + l] / sum_f W[f, r, l]
        projected = (_flat(w).T @ q).reshape(lags, rank, frames)
        projected /= w.sum(axis=0).T[:, :, None] + EPS
        h *= sum(_shift(projected[lag], -lag) for lag in range(lags)) / lags
        w /= w.sum(axis=(0, 2), keepdims=True) + EPS
    return w, h


def kit_templates(
    kits: Sequence[str] = ("fluidr3-standard",),
    components: Sequence[str] = ("KD_KD", "SD_SD", "HH_CHH"),
    frames: int = TEMPLATE_FRAMES,
) -> np.ndarray:
    """Templates ``(bins, R, frames)`` averaged over the one-shots of ``kits``, each
    normalised to unit sum."""
    out = []
    for component in components:
        specs = []
        for name in kits:
            shot = get_kit(name).one_shot(component)
            spec = spectrogram(np.pad(shot, (0, HOP * frames)))[:, :frames]
            specs.append(spec / (spec.sum() + EPS))
        out.append(np.mean(specs, axis=0))
    return np.stack(out, axis=1)


def class_templates(
    classes: str = "paper",
    kits: Sequence[str] = TEMPLATE_KITS,
) -> np.ndarray:
    """One template per class, from its first component (KD_KD, SD_SD, HH_CHH ...)."""
    groups: Mapping[str, tuple[str, ...]] = CLASS_SETS[classes]
    return kit_templates(kits, [members[0] for members in groups.values()])


def nmfd_transcriber(
    classes: str = "paper",
    kits: Sequence[str] = TEMPLATE_KITS,
    delta: float | Mapping[str, float] = DEFAULT_DELTA,
    iterations: int = 30,
):
    """A transcriber (audio at SAMPLE_RATE -> {label: onsets}) for the evaluation harness.

    One template per class, from the class's first component (KD_KD, SD_SD,
    HH_CHH ...), averaged over ``kits``; ``delta``: one peak-picking threshold or
    one per class (see :func:`tune_nmfd`).
    """
    labels = list(CLASS_SETS[classes])
    templates = class_templates(classes, kits)
    # a class tuning left out (no validation track has it) keeps the default threshold
    deltas = {**dict.fromkeys(labels, DEFAULT_DELTA), **delta} if isinstance(delta, Mapping) else (
        dict.fromkeys(labels, delta))  # fmt: skip

    def run(audio: np.ndarray) -> dict[str, np.ndarray]:
        if not np.any(audio):
            return {label: np.zeros(0) for label in labels}
        return _onsets(activations_in_blocks(audio, templates, iterations), labels, deltas)

    return run


def _onsets(h: np.ndarray, labels: list[str], deltas: Mapping[str, float]) -> dict:
    rate = SAMPLE_RATE / HOP
    return {
        label: pick_peaks(normalise(h[i]), rate, deltas[label]) / rate
        for i, label in enumerate(labels)
    }


def tune_nmfd(
    tracks: Sequence,
    classes: str = "paper",
    candidates: Sequence[float] = (0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4),
    max_seconds: float | None = None,
    errors: list[str] | None = None,
) -> dict[str, float]:
    """Per-class thresholds for NMFD chosen on ``tracks`` (a validation set) by the
    paper-figure F1, as DrummerNet's are: the baseline gets the same tuning. With
    ``errors``, a track whose audio cannot be used is reported there and left out."""
    from drummernet.evaluation.metrics import score_track, summarise
    from drummernet.evaluation.runner import _decoded, best_per_class

    labels = list(CLASS_SETS[classes])
    templates = class_templates(classes)
    cached = [
        (activations_in_blocks(audio, templates), reference)
        for _, audio, reference in _decoded(tracks, classes, max_seconds, 0.05, SAMPLE_RATE, errors)
    ]
    table = []
    for delta in candidates:
        per_track = [
            score_track(ref, _onsets(h, labels, dict.fromkeys(labels, delta)), labels)
            for h, ref in cached
        ]
        table.append({"delta": delta, **summarise(per_track, labels)["paper"]})
    return best_per_class(table, labels)


def activations_in_blocks(
    audio: np.ndarray,
    templates: np.ndarray,
    iterations: int = 30,
    block_s: float = 30.0,
    context_s: float = 1.0,
) -> np.ndarray:
    """NMFD activations ``(R, frames)`` of any length of audio, factorised in blocks of
    ``block_s`` (plus ``context_s`` either side, discarded), so memory stays bounded."""
    hop = round(block_s * SAMPLE_RATE / HOP) * HOP
    context = round(context_s * SAMPLE_RATE / HOP) * HOP
    frames = len(audio) // HOP + 1
    out = np.zeros((templates.shape[1], frames))
    for start in range(0, len(audio), hop):
        first = max(0, start - context)
        piece = audio[first : min(len(audio), start + hop + context)]
        _, h = nmfd(spectrogram(piece), templates, iterations)
        offset, n = (start - first) // HOP, min(hop // HOP, frames - start // HOP)
        out[:, start // HOP : start // HOP + n] = h[:, offset : offset + n]
    return out
