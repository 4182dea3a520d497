"""A procedurally synthesised drum kit (no samples needed).

Real sampled kits come from the kit library; this analog-style kit exists so
that the synthesizer, the loss and the tests can run on a fresh install with
nothing else at hand. Deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from drummernet.components import COMPONENTS
from drummernet.config import SAMPLE_RATE


def _envelope(t: np.ndarray, decay_s: float) -> np.ndarray:
    return np.exp(-t / decay_s)


def _band_noise(rng: np.random.Generator, n: int, low: float, high: float, sr: int) -> np.ndarray:
    sos = scipy.signal.butter(4, [low, min(high, 0.45 * sr)], btype="band", fs=sr, output="sos")
    return scipy.signal.sosfilt(sos, rng.standard_normal(n))


def _swept_sine(t: np.ndarray, f_start: float, f_end: float, sweep_s: float) -> np.ndarray:
    freq = f_end + (f_start - f_end) * np.exp(-t / sweep_s)
    return np.sin(2 * np.pi * np.cumsum(freq) / (1 / (t[1] - t[0])))


def synthetic_kit(sample_rate: int = SAMPLE_RATE, seed: int = 0) -> dict[str, np.ndarray]:
    """One-shots for the 11 components, each 1 s of mono float32 audio peaking at 1.

    Returns a mapping from component name (see :data:`COMPONENTS`) to samples.
    """
    rng = np.random.default_rng(seed)
    n = sample_rate
    t = np.arange(n) / sample_rate
    sr = sample_rate
    shots = {
        "KD_KD": _swept_sine(t, 160.0, 50.0, 0.03) * _envelope(t, 0.18),
        "SD_SD": 0.6 * _swept_sine(t, 240.0, 185.0, 0.02) * _envelope(t, 0.06)
        + _band_noise(rng, n, 1500.0, 7000.0, sr) * _envelope(t, 0.1),
        "HH_CHH": _band_noise(rng, n, 6000.0, 7900.0, sr) * _envelope(t, 0.025),
        "HH_OHH": _band_noise(rng, n, 5000.0, 7900.0, sr) * _envelope(t, 0.25),
        "HH_PHH": _band_noise(rng, n, 4000.0, 7000.0, sr) * _envelope(t, 0.015),
        "TT_HIT": _swept_sine(t, 260.0, 210.0, 0.05) * _envelope(t, 0.25),
        "TT_MHT": _swept_sine(t, 200.0, 160.0, 0.05) * _envelope(t, 0.3),
        "TT_HFT": _swept_sine(t, 140.0, 110.0, 0.05) * _envelope(t, 0.35),
        "CY_RDC": sum(np.sin(2 * np.pi * f * t) for f in (2960.0, 3470.0, 4820.0, 5630.0))
        * _envelope(t, 0.6)
        + 0.5 * _band_noise(rng, n, 3000.0, 7900.0, sr) * _envelope(t, 0.4),
        "CY_CRC": _band_noise(rng, n, 2000.0, 7900.0, sr) * _envelope(t, 0.7),
        "OT_TMB": _band_noise(rng, n, 7000.0, 7900.0, sr)
        * _envelope(t, 0.12)
        * (1 + 0.8 * np.sin(2 * np.pi * 30.0 * t)),
    }
    fade = np.minimum(1.0, (n - np.arange(n)) / (0.01 * sr))  # no click at the 1 s cut
    return {
        name: (shot * fade / np.max(np.abs(shot))).astype(np.float32)
        for name, shot in ((c, shots[c]) for c in COMPONENTS)
    }
