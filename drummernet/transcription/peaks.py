"""Peak picking on activation curves (Böck, Krebs & Schedl, ISMIR 2012).

A frame ``n`` is an onset when the activation there is the maximum within
``± max_window``, exceeds the mean within ``± mean_window`` by ``delta``, and
lies at least ``wait`` after the previous onset. The paper normalises each
component's activation to a maximum of 1 first (:func:`normalise`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

#: Frames peak picking filters at a time (4.4 minutes at 1 kHz, ~10 MB of float64
#: work arrays): an hour's curve is never copied whole.
BLOCK_FRAMES = 2**18


def normalise(activation: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Scale a curve to a maximum of 1; a curve whose maximum is ``<= floor`` becomes zeros."""
    peak = float(np.max(activation)) if activation.size else 0.0
    if peak <= floor:
        return np.zeros_like(activation, dtype=np.float64)
    return np.asarray(activation, dtype=np.float64) / peak


def pick_peaks(
    activation: np.ndarray,
    frame_rate: float,
    delta: float = 0.2,
    max_window_s: float = 0.05,
    mean_window_s: float = 0.1,
    wait_s: float = 0.05,
    divisor: float = 1.0,
    block_frames: int = BLOCK_FRAMES,
) -> np.ndarray:
    """Frames of the onsets in a 1-D ``activation`` sampled at ``frame_rate`` Hz.

    Returns sorted integer frame indices. Only strictly positive frames can be
    onsets. Of a plateau (equal neighbouring maxima) the first frame is kept.
    The curve is read as ``activation / divisor`` (in float64, as
    :func:`normalise` scales it), ``block_frames`` at a time with the filters'
    reach on either side, so that memory stays bounded for any length and the
    onsets are those of the whole curve at once.
    """
    activation = np.asarray(activation)
    if activation.ndim != 1:
        raise ValueError(f"activation must be 1-D; got shape {activation.shape}")
    max_w = round(max_window_s * frame_rate)
    mean_w = round(mean_window_s * frame_rate)
    reach = max(max_w, mean_w)
    candidates = []
    for start in range(0, activation.size, block_frames):
        stop = min(start + block_frames, activation.size)
        first, last = max(0, start - reach), min(activation.size, stop + reach)
        curve = np.asarray(activation[first:last], dtype=np.float64) / divisor
        local_max = maximum_filter1d(curve, 2 * max_w + 1, mode="constant")
        local_mean = uniform_filter1d(curve, 2 * mean_w + 1, mode="constant")
        local_mean += delta
        own = slice(start - first, stop - first)
        found = (curve == local_max)[own] & (curve >= local_mean)[own] & (curve > 0)[own]
        candidates.append(np.flatnonzero(found) + start)
    return _waited(np.concatenate(candidates) if candidates else [], round(wait_s * frame_rate))


def _waited(candidates: Iterable[int], wait: int) -> np.ndarray:
    """The candidate frames (sorted) that lie more than ``wait`` after the last kept one."""
    onsets: list[int] = []
    for frame in candidates:
        if not onsets or frame - onsets[-1] > wait:
            onsets.append(int(frame))
    return np.asarray(onsets, dtype=np.int64)
