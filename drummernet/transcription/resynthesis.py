"""Hearing a transcription: its events played back through a sampled kit.

:func:`resynthesize` plays the events dry with :func:`drummernet.kits.mixing.play`
(the mixing the training renders use too), each hit on its component's
one-shot at its velocity, so a user can hear what was transcribed; :func:`write_ab`
puts the input on the left and the re-synthesis on the right, at the same loudness,
so that what was missed or added stands out. Both are at the model's sample rate
(16 kHz: what the network heard).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from drummernet.audio import write_audio
from drummernet.config import SAMPLE_RATE
from drummernet.fileio import atomic_write
from drummernet.kits.library import get_kit
from drummernet.kits.mixing import play

if TYPE_CHECKING:
    from drummernet.transcription.types import TranscriptionLike

#: The kit re-synthesis uses unless told otherwise (shipped in the package).
DEFAULT_KIT = "fluidr3-standard"


def resynthesize(
    transcription: TranscriptionLike, kit: str | Path | None = None, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """The events through ``kit`` (name or folder; default: the kit fitted with the
    model by ``drummernet adapt``, if any, else :data:`DEFAULT_KIT`).

    Returns
    -------
    array ``(round(duration * sample_rate),)``, float32, peak 0.9 (silence if no events).
    """
    chosen = get_kit(kit or transcription.meta.get("kit") or DEFAULT_KIT)
    hits = transcription.events
    length = round(transcription.duration * sample_rate)
    out = np.zeros(length, dtype=np.float32)
    if hits:
        tail = max(0.0, transcription.duration - max(h.time for h in hits)) + 0.05
        audio = play(hits, chosen, sample_rate, tail_s=tail)
        out[: min(length, len(audio))] = audio[:length]
    return out


def _rms(y: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))) if len(y) else 0.0


def match_loudness(y: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``y`` scaled to the RMS of ``reference`` (unchanged if either is silent)."""
    rms_y, rms_ref = (_rms(a) for a in (y, reference))
    return y * (rms_ref / rms_y) if rms_y > 0 and rms_ref > 0 else y


def write_wav(path: str | Path, y: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write audio ``(samples,)`` or ``(samples, channels)`` as 16-bit WAV, atomically."""
    atomic_write(path, lambda p: write_audio(p, y, sample_rate))


def ab_stereo(original: np.ndarray, resynthesis: np.ndarray) -> np.ndarray:
    """``(samples, 2)``: the original left, the re-synthesis right at its loudness,
    both scaled together so that neither clips."""
    n = max(len(original), len(resynthesis))
    pair = np.zeros((n, 2), dtype=np.float32)
    pair[: len(original), 0] = original
    pair[: len(resynthesis), 1] = match_loudness(resynthesis, original)
    peak = float(np.max(np.abs(pair), initial=0.0))
    return pair * (0.95 / peak) if peak > 0.95 else pair
