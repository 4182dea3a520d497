"""Drum hits through one-shots: the one place onsets and a kit become audio.

Each hit (onset ``time`` in s, ``component``, MIDI ``velocity``) plays its
component's one-shot from the kit that ``sources`` names for it, at the gain of its
velocity (``(velocity / 127) ** 1.6``), and an open hi-hat is cut by the next
closed or pedal hat (with a 10 ms fade). The training renders
(:func:`drummernet.datasets.render.mix_hits`) draw timing, pitch and effects around
this; re-synthesis (:func:`play`) plays it dry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np

from drummernet.config import SAMPLE_RATE
from drummernet.errors import KitError
from drummernet.kits.library import Kit, default_fallbacks, fill_sources

#: How a MIDI velocity becomes a gain: ``(velocity / 127) ** VELOCITY_EXPONENT``.
VELOCITY_EXPONENT = 1.6
#: Components cut off by a later hit of these ones (an open hat by a closed or pedal one).
CHOKES = {"HH_OHH": ("HH_CHH", "HH_PHH")}
#: The components every kit must have (or be filled with) to be played.
CORE = ("KD_KD", "SD_SD", "HH_CHH")


class HitLike(Protocol):
    """A drum hit: :class:`drummernet.datasets.Hit`, a transcription's event ..."""

    time: float
    component: str
    velocity: int


def velocity_gain(
    velocity: int | np.ndarray, exponent: float = VELOCITY_EXPONENT
) -> np.ndarray | float:
    """Linear gain of a MIDI velocity: ``(velocity / 127) ** exponent`` (127 -> 1)."""
    return (np.asarray(velocity, dtype=np.float64) / 127.0) ** exponent


def choke_ends(hits: Sequence[HitLike], sample_rate: int) -> list[int | None]:
    """For each hit, the sample where a later choking hit cuts it off (or None)."""
    ends: list[int | None] = [None] * len(hits)
    for i, hit in enumerate(hits):
        chokers = CHOKES.get(hit.component)
        if chokers:
            later = (h.time for h in hits[i + 1 :] if h.component in chokers and h.time > hit.time)
            t = next(later, None)
            ends[i] = None if t is None else round(t * sample_rate)
    return ends


def mix_one_shots(
    hits: Sequence[HitLike],
    sources: Mapping[str, Kit | None],
    length: int,
    sample_rate: int = SAMPLE_RATE,
    gains: Sequence[float] | None = None,
    shape: Callable[[int, str, np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """``(length,)`` float64: each hit's one-shot from ``sources[component]`` at its
    time, times ``gains[i]`` (default: its :func:`velocity_gain`), passed through
    ``shape(i, component, samples)`` if given; chokes applied. Every hit's component
    must have a source."""
    out = np.zeros(length, dtype=np.float64)
    for i, (hit, end) in enumerate(zip(hits, choke_ends(hits, sample_rate), strict=True)):
        donor = sources[hit.component]
        if donor is None:
            raise KitError(f"no one-shot of {hit.component} to play")
        gain = gains[i] if gains is not None else velocity_gain(hit.velocity)
        shot = donor.one_shot(hit.component, hit.velocity, sample_rate)
        shot = shape(i, hit.component, shot) if shape else shot
        start = round(hit.time * sample_rate)
        stop = min(length, start + len(shot), end if end is not None else length)
        if stop <= start:
            continue
        piece = shot[: stop - start].astype(np.float64)
        fade = min(len(piece), int(0.01 * sample_rate)) if end is not None and stop == end else 0
        if fade:
            piece[-fade:] *= np.linspace(1.0, 0.0, fade)
        out[start:stop] += gain * piece
    return out


def kit_sources(kit: Kit, fallbacks: Sequence[Kit]) -> dict[str, Kit | None]:
    """The kit each component is played from: ``kit``, else the first of
    ``fallbacks`` that has it; :class:`KitError` when kick, snare or closed hi-hat
    has none."""
    sources = fill_sources(kit, list(fallbacks))
    missing = [c for c in CORE if sources[c] is None]
    if missing:
        raise KitError(f"kit {kit.name!r} has no {', '.join(missing)} to render with")
    return sources


def normalised(y: np.ndarray, peak: float = 0.9) -> np.ndarray:
    """``y`` scaled to ``peak`` (silence unchanged), as float32."""
    top = np.max(np.abs(y), initial=0.0)
    return (y * (peak / top) if top > 0 else y).astype(np.float32)


def play(
    hits: Sequence[HitLike], kit: Kit, sample_rate: int = SAMPLE_RATE, tail_s: float = 1.0
) -> np.ndarray:
    """``hits`` played dry through ``kit`` (components it lacks from its
    :func:`~drummernet.kits.library.default_fallbacks`; hits of a component none has
    are left out), ``tail_s`` past the last hit, float32 peak-normalised to 0.9."""
    sources = kit_sources(kit, default_fallbacks(kit))
    kept = [h for h in hits if sources.get(h.component) is not None]
    length = int((max((h.time for h in kept), default=0.0) + tail_s) * sample_rate)
    return normalised(mix_one_shots(kept, sources, length, sample_rate))
