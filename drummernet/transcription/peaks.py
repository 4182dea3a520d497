"""Peak picking on activation curves (Böck, Krebs & Schedl, ISMIR 2012).

A frame ``n`` is an onset when the activation there is the maximum within
``± max_window``, exceeds the mean within ``± mean_window`` by ``delta``, and
lies at least ``wait`` after the previous onset. The paper normalises each
component's activation to a maximum of 1 first (:func:`normalise`).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d


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
) -> np.ndarray:
    """Frames of the onsets in a 1-D ``activation`` sampled at ``frame_rate`` Hz.

    Returns sorted integer frame indices. Only strictly positive frames can be
    onsets. Of a plateau (equal neighbouring maxima) the first frame is kept.
    """
    activation = np.asarray(activation, dtype=np.float64)
    if activation.ndim != 1:
        raise ValueError(f"activation must be 1-D; got shape {activation.shape}")
    if activation.size == 0:
        return np.zeros(0, dtype=np.int64)
    max_w = round(max_window_s * frame_rate)
    mean_w = round(mean_window_s * frame_rate)
    wait = round(wait_s * frame_rate)
    local_max = maximum_filter1d(activation, 2 * max_w + 1, mode="constant")
    local_mean = uniform_filter1d(activation, 2 * mean_w + 1, mode="constant")
    candidates = np.flatnonzero(
        (activation == local_max) & (activation >= local_mean + delta) & (activation > 0)
    )
    onsets: list[int] = []
    for frame in candidates:
        if not onsets or frame - onsets[-1] > wait:
            onsets.append(int(frame))
    return np.asarray(onsets, dtype=np.int64)
