"""Tempo, beats and bars of a transcription, and the grid its notes snap to.

The beat tracker is Ellis's dynamic programme (D. P. W. Ellis, "Beat tracking by
dynamic programming", JNMR 2007), the algorithm of ``librosa.beat.beat_track``,
written here with numpy (librosa's numba-compiled version costs ~7 s of import in
every process; a test holds the two to the same beats). Its onset envelope is
the transcription's own activations, pooled to :data:`ENVELOPE_RATE` frames a
second, so the drums the network heard decide the pulse.

Tracked beats sit on 10 ms frames; a least-squares line through each beat and its
neighbours (:data:`SMOOTH_BEATS`) puts them between frames, so a steady
performance gets a steady tempo and a drifting one a tempo map that drifts with
it. The bar line falls on the beat phase where the kick (and crash) is strongest.

:class:`BeatGrid` maps seconds to *beat positions* (MIDI quarter notes from time 0)
and back: beat 0 is time 0, beat ``j >= 1`` is the ``j``-th tracked beat, so a
tempo map with one tempo per beat reproduces the times exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from drummernet.errors import ConfigError

#: Frame rate (Hz) of the onset envelope the tracker runs on.
ENVELOPE_RATE = 100.0
#: An onset of the envelope at least this share of its maximum: where the music starts.
LOUD_ONSET = 0.3
#: Tempo prior: log-normal around this tempo (bpm), one octave wide, as librosa.
START_BPM, STD_OCTAVES = 120.0, 1.0
#: How strongly beats keep to the tempo (librosa's default).
TIGHTNESS = 100.0
#: Beats in each least-squares line that smooths the tracked beat times.
SMOOTH_BEATS = 9
#: ``--quantize`` values: the grid step in beats (quarter notes).
GRIDS: dict[str, Fraction] = {
    "1/4": Fraction(1),
    "1/8": Fraction(1, 2),
    "1/16": Fraction(1, 4),
    "1/32": Fraction(1, 8),
    "1/4t": Fraction(2, 3),
    "1/8t": Fraction(1, 3),
    "1/16t": Fraction(1, 6),
}
#: Envelope values computed per block of :func:`onset_envelope` (bounds its memory).
ENVELOPE_BLOCK = 10_000
#: Envelope frames per block of a long envelope's autocorrelation (about 11 minutes).
AC_BLOCK = 2**16
#: Classes whose hits mark the first beat of a bar.
DOWNBEAT_COMPONENTS = ("KD_KD", "CY_CRC")


def onset_envelope(
    activations: np.ndarray, frame_rate: float, rows: Sequence[int] | None = None
) -> np.ndarray:
    """``(K, frames)`` activations (their ``rows`` only, when given) -> their sum
    max-pooled to :data:`ENVELOPE_RATE`. Summed a block of frames at a time, so that
    an hour of activations needs no float64 copy of its whole length.

    Returns
    -------
    array ``(ceil(frames / pool),)``, where ``pool = frame_rate / ENVELOPE_RATE``.
    """
    activations = np.asarray(activations)
    pool = max(1, round(frame_rate / ENVELOPE_RATE))
    frames = activations.shape[1]
    out = np.empty(-(-frames // pool), dtype=np.float64)
    step = pool * ENVELOPE_BLOCK
    for start in range(0, frames, step):
        part = activations[:, start : start + step]
        total = (part if rows is None else part[list(rows)]).sum(axis=0, dtype=np.float64)
        padded = np.pad(total, (0, -len(total) % pool))
        out[start // pool : start // pool + len(padded) // pool] = padded.reshape(-1, pool).max(1)
    return out


def _raw_autocorrelation(envelope: np.ndarray, max_lag: int | None = None) -> np.ndarray:
    """Autocorrelation of the mean-removed envelope at lags ``0 .. max_lag`` (default:
    ``len - 1``), by FFT, zero-padded (no wrap-around). An envelope longer than
    :data:`AC_BLOCK` is correlated a block at a time with the block and the
    ``max_lag`` frames after it, so that an hour's needs no FFT of its whole length."""
    return _centred_autocorrelation(envelope - envelope.mean(), max_lag)


def _centred_autocorrelation(x: np.ndarray, max_lag: int | None = None) -> np.ndarray:
    """:func:`_raw_autocorrelation` of an envelope ``x`` whose mean is already removed."""
    n = len(x)
    max_lag = n - 1 if max_lag is None else max(0, min(max_lag, n - 1))
    if n <= AC_BLOCK:
        return np.fft.irfft(np.abs(np.fft.rfft(x, n=2 * n)) ** 2)[: max_lag + 1]
    out = np.zeros(max_lag + 1)
    size = 1 << int(np.ceil(np.log2(AC_BLOCK + max_lag + AC_BLOCK)))
    for start in range(0, n, AC_BLOCK):
        block, ahead = x[start : start + AC_BLOCK], x[start : start + AC_BLOCK + max_lag]
        product = np.conj(np.fft.rfft(block, n=size)) * np.fft.rfft(ahead, n=size)
        out += np.fft.irfft(product, n=size)[: max_lag + 1]
    return out


def _best_period(envelope: np.ndarray, rate: float, centre_bpm: float, octaves: float) -> float:
    """The lag (frames, refined between lags) with the most autocorrelation, weighted
    by a log-normal prior around ``centre_bpm``; 0 when nothing repeats."""
    x = envelope - envelope.mean()
    max_lag = min(len(x) - 1, int(rate * 60 / 30))  # nothing slower than 30 bpm
    if max_lag < 2 or not np.any(x):
        return 0.0
    ac = _centred_autocorrelation(x, max_lag)
    lags = np.arange(1, max_lag + 1)
    bpm = 60 * rate / lags
    prior = np.exp(-0.5 * (np.log2(bpm / centre_bpm) / octaves) ** 2)
    score = np.where(bpm <= 320, ac[1:] * prior, -np.inf)
    best = int(np.argmax(score))
    lag = float(lags[best])
    if 0 < best < len(score) - 1 and np.all(np.isfinite(score[best - 1 : best + 2])):
        a, b, c = score[best - 1 : best + 2]
        denominator = a - 2 * b + c
        lag += 0.5 * (a - c) / denominator if denominator < 0 else 0.0
    return lag


def estimate_tempo(envelope: np.ndarray, rate: float = ENVELOPE_RATE) -> float:
    """The tempo (bpm) whose period best explains the envelope's autocorrelation,
    weighted by a log-normal prior (:data:`START_BPM`, :data:`STD_OCTAVES`).
    The period is refined between lags by a parabola through the best lag."""
    lag = _best_period(envelope, rate, START_BPM, STD_OCTAVES)
    return 60 * rate / lag if lag > 0 else START_BPM


def local_periods(
    envelope: np.ndarray, bpm: float, rate: float = ENVELOPE_RATE, window_s: float = 8.0
) -> np.ndarray:
    """The beat period (frames) around every frame: :func:`estimate_tempo`'s method on
    windows of ``window_s`` every second, held within a quarter octave of ``bpm``
    (so that the pulse does not jump to half or double), median-filtered over 5
    windows and interpolated between window centres."""
    from scipy.ndimage import median_filter

    global_period = 60 * rate / bpm
    size, hop = round(window_s * rate), round(rate)
    if len(envelope) <= size:
        return np.full(len(envelope), global_period)
    centres = np.arange(size // 2, len(envelope) - size // 2, hop)
    taper = np.hanning(size)
    periods = np.array([
        _best_period(envelope[c - size // 2 : c - size // 2 + size] * taper, rate, bpm, 0.25)
        for c in centres
    ])  # fmt: skip
    periods = np.where(periods > 0, periods, global_period)
    periods = np.clip(periods, global_period * 2**-0.5, global_period * 2**0.5)
    periods = median_filter(periods, size=5, mode="nearest")
    return np.interp(np.arange(len(envelope)), centres, periods)


#: Tempo candidates: the autocorrelation's tempo times these ratios (the levels a
#: drum pattern can be counted at), within :data:`TEMPO_RANGE` bpm.
TEMPO_RATIOS = (1 / 2, 2 / 3, 3 / 4, 1.0, 4 / 3, 3 / 2, 2.0)
TEMPO_RANGE = (40.0, 260.0)
#: The lags (in beats) at which each family's autocorrelation describes a tempo.
TEMPO_FEATURE_BEATS = {"1": 1.0, "2": 2.0, "4": 4.0, "1.5": 1.5}
#: The drum families whose envelopes describe a candidate tempo.
TEMPO_GROUPS: dict[str, tuple[str, ...]] = {
    "KD": ("KD_KD",),
    "SD": ("SD_SD",),
    "HH": ("HH_CHH", "HH_OHH", "HH_PHH", "CY_RDC", "OT_TMB"),
}
#: The metrical level a drummer counts (issue 34): a logistic model over
#: :func:`tempo_features`, ``feature: (mean, std, weight)``, fitted on Groove MIDI
#: Dataset *train* performances through the FluidR3 kits (``bench/tempo_model.py``;
#: its regularisation chosen on the validation performances).
TEMPO_MODEL: dict[str, tuple[float, float, float]] = {
    "HH_1": (0.124338, 0.182443, 0.328181),
    "HH_1.5": (0.119375, 0.169386, 0.168378),
    "HH_1.5_rel": (-0.200358, 0.169392, 0.282247),
    "HH_1_rel": (-0.217258, 0.187995, 0.373094),
    "HH_2": (0.146776, 0.15793, -0.00382),
    "HH_2_rel": (-0.164554, 0.1573, 0.082831),
    "HH_4": (0.124836, 0.13272, -0.094207),
    "HH_4_rel": (-0.132761, 0.129978, 0.021497),
    "KD_1": (0.059292, 0.134613, -0.046158),
    "KD_1.5": (0.063279, 0.137886, -0.049381),
    "KD_1.5_rel": (-0.176061, 0.16587, 0.100683),
    "KD_1_rel": (-0.190852, 0.171958, 0.112754),
    "KD_2": (0.090393, 0.148817, 0.178732),
    "KD_2_rel": (-0.182145, 0.161378, 0.331135),
    "KD_4": (0.10257, 0.141967, 0.397049),
    "KD_4_rel": (-0.161759, 0.14167, 0.571327),
    "KS_1": (0.100786, 0.14954, 0.225709),
    "KS_1.5": (0.102091, 0.143006, -0.102925),
    "KS_1.5_rel": (-0.158749, 0.147967, 0.004484),
    "KS_1_rel": (-0.174149, 0.160133, 0.293166),
    "KS_2": (0.118968, 0.139806, -0.135479),
    "KS_2_rel": (-0.14847, 0.143243, -0.02773),
    "KS_4": (0.108111, 0.124521, 0.104012),
    "KS_4_rel": (-0.130093, 0.124365, 0.213484),
    "SD_1": (0.069797, 0.112226, -0.1753),
    "SD_1.5": (0.068163, 0.109179, -0.189832),
    "SD_1.5_rel": (-0.139274, 0.120684, 0.044939),
    "SD_1_rel": (-0.148603, 0.127184, 0.075266),
    "SD_2": (0.083209, 0.111248, 0.33122),
    "SD_2_rel": (-0.135836, 0.122006, 0.462766),
    "SD_4": (0.086785, 0.106086, 0.099973),
    "SD_4_rel": (-0.119179, 0.10955, 0.215192),
    "all_1": (0.14197, 0.196938, 0.164357),
    "all_1.5": (0.137122, 0.18183, 0.027163),
    "all_1.5_rel": (-0.199901, 0.179287, 0.155419),
    "all_1_rel": (-0.219353, 0.1991, 0.246451),
    "all_2": (0.159374, 0.169773, -0.101911),
    "all_2_rel": (-0.168182, 0.16833, 0.007129),
    "all_4": (0.134403, 0.142779, -0.109561),
    "all_4_rel": (-0.140727, 0.139431, 0.007944),
    "octaves_from_110_sq": (0.44034, 0.435129, -1.332896),
}


def group_envelopes(
    activations: np.ndarray, frame_rate: float, components: Sequence[str]
) -> dict[str, np.ndarray]:
    """Onset envelopes (:func:`onset_envelope`) of all components (``all``), of each
    :data:`TEMPO_GROUPS` family and of kick and snare together (``KS``)."""
    index = {c: i for i, c in enumerate(components)}
    envelopes = {"all": onset_envelope(activations, frame_rate)}
    for name, members in TEMPO_GROUPS.items():
        rows = [index[c] for c in members if c in index]
        envelopes[name] = (onset_envelope(activations, frame_rate, rows) if rows
                           else np.zeros_like(envelopes["all"]))  # fmt: skip
    envelopes["KS"] = envelopes["KD"] + envelopes["SD"]
    return envelopes


def _autocorrelation(envelope: np.ndarray, max_lag: int | None = None) -> np.ndarray:
    """Autocorrelation of the mean-removed envelope up to ``max_lag``, 1 at lag 0 (0
    where flat)."""
    full = _raw_autocorrelation(envelope, max_lag)
    return full / full[0] if full[0] > 0 else np.zeros_like(full)


def _at(ac: np.ndarray, lag: float) -> float:
    """``ac`` at a fractional lag (linear interpolation; 0 beyond its end)."""
    low = int(lag)
    if low + 1 >= len(ac):
        return 0.0
    return float(ac[low] + (lag - low) * (ac[low + 1] - ac[low]))


def tempo_features(
    autocorrelations: dict[str, np.ndarray], tempos: Sequence[float], rate: float = ENVELOPE_RATE
) -> list[dict[str, float]]:
    """What describes each of ``tempos`` (bpm) as the counted beat of a drum pattern:
    each family's autocorrelation at one, two and four beats and at a dotted beat,
    the same less its highest among the candidates (``_rel``), and the squared octave
    distance from 110 bpm."""
    rows = []
    for tempo in tempos:
        period = 60 * rate / tempo
        row = {"octaves_from_110_sq": float(np.log2(tempo / 110.0) ** 2)}
        for name, ac in autocorrelations.items():
            for label, beats in TEMPO_FEATURE_BEATS.items():
                row[f"{name}_{label}"] = _at(ac, period * beats)
        rows.append(row)
    for key in [k for k in rows[0] if k != "octaves_from_110_sq"] if rows else []:
        highest = max(row[key] for row in rows)
        for row in rows:
            row[f"{key}_rel"] = row[key] - highest
    return rows


def tempo_candidates(envelopes: dict[str, np.ndarray], rate: float = ENVELOPE_RATE
                     ) -> tuple[list[float], list[dict[str, float]]]:  # fmt: skip
    """The candidate tempos (bpm) around :func:`estimate_tempo`'s
    (:data:`TEMPO_RATIOS`, within :data:`TEMPO_RANGE`) and their :func:`tempo_features`."""
    base = estimate_tempo(envelopes["all"], rate)
    tempos = [base * r for r in TEMPO_RATIOS if TEMPO_RANGE[0] <= base * r <= TEMPO_RANGE[1]]
    tempos = tempos or [base]
    longest = int(np.ceil(max(TEMPO_FEATURE_BEATS.values()) * 60 * rate / min(tempos))) + 2
    acs = {name: _autocorrelation(env, longest) for name, env in envelopes.items()}
    return tempos, tempo_features(acs, tempos, rate)


def counted_tempo(
    envelopes: dict[str, np.ndarray], rate: float = ENVELOPE_RATE, model=None
) -> float:
    """The tempo (bpm) a drummer counts: of :func:`tempo_candidates`, the one
    :data:`TEMPO_MODEL` scores highest."""
    model = TEMPO_MODEL if model is None else model
    if not model:
        return estimate_tempo(envelopes["all"], rate)
    tempos, features = tempo_candidates(envelopes, rate)
    scores = [sum(w * (f[k] - m) / s for k, (m, s, w) in model.items()) for f in features]
    return tempos[int(np.argmax(scores))]


def track_beats(envelope: np.ndarray, bpm: float, rate: float = ENVELOPE_RATE) -> np.ndarray:
    """Beat frames of ``envelope`` at tempo ``bpm`` (Ellis's dynamic programme).

    Returns
    -------
    array of int frame indices, increasing; empty for an envelope without onsets.
    """
    if len(envelope) == 0 or not np.any(envelope > 0):
        return np.zeros(0, dtype=int)
    period = 60 * rate / bpm
    norm = envelope / (envelope.std(ddof=1) if len(envelope) > 1 and envelope.std() > 0 else 1)
    offsets = np.arange(-round(period), round(period) + 1)
    window = np.exp(-0.5 * (offsets * 32.0 / period) ** 2)
    local = np.convolve(norm, window)[len(window) // 2 : len(window) // 2 + len(norm)]
    periods = local_periods(envelope, bpm, rate)
    back = -np.arange(1, round(2 * periods.max()) + 1)  # candidate previous beats
    score = local.copy()
    backlink = np.full(len(local), -1)
    first = int(np.argmax(local >= 0.01 * local.max()))  # no beat is chained before it
    # Every candidate lies at least half a period back, so a block of frames shorter
    # than that depends only on scores already final: each block is one array step.
    block = max(1, int(periods.min() / 2))
    for start in range(0, len(local), block):
        rows = np.arange(start, min(start + block, len(local)))
        ratio = -back[None, :] / periods[rows, None]
        inside = (ratio >= 0.5) & (ratio <= 2.0)
        penalty = np.where(inside, -TIGHTNESS * np.log(ratio) ** 2, -np.inf)
        candidates = rows[:, None] + back[None, :]
        values = penalty + np.where(candidates >= 0, score[np.clip(candidates, 0, None)], 0.0)
        best = np.argmax(values, axis=1)
        score[rows] = local[rows] + values[np.arange(len(rows)), best]
        backlink[rows] = np.where(rows >= first, candidates[np.arange(len(rows)), best], -1)
    is_peak = (score >= np.roll(score, 1)) & (score >= np.roll(score, -1))
    maxima = np.flatnonzero(is_peak[1:-1]) + 1
    if len(maxima) == 0:
        return np.zeros(0, dtype=int)
    beats = [int(maxima[score[maxima] >= 0.5 * np.median(score[maxima])][-1])]
    while backlink[beats[-1]] >= 0:
        beats.append(int(backlink[beats[-1]]))
    beats = np.array(beats[::-1])
    # trim weak beats at both ends (librosa's rule: under half the RMS of the beats' local score)
    strength = local[beats]
    keep = np.flatnonzero(strength >= 0.5 * np.sqrt(np.mean(strength**2)))
    return beats[keep[0] : keep[-1] + 1] if len(keep) else np.zeros(0, dtype=int)


def smooth_beats(times: np.ndarray, width: int = SMOOTH_BEATS) -> np.ndarray:
    """Each beat time replaced by a least-squares line through it and its neighbours
    (``width`` beats, odd); at either end, the line through the first or last ``width``
    beats. This is ``scipy.signal.savgol_filter(times, width, 1, mode="interp")``
    (tested equal), without importing ``scipy.signal``: its import holds 60 MB, an
    eighth of an hour-long transcription's memory."""
    times = np.asarray(times, dtype=float)
    if len(times) < 3:
        return times
    window = min(width, len(times) - (1 - len(times) % 2))
    half = window // 2
    out = times.copy()
    # a line's value at the centre of a window is the window's mean
    out[half : len(times) - half] = np.convolve(times, np.full(window, 1 / window), "valid")
    at = np.arange(window, dtype=float)
    for start, ends in (
        (0, np.arange(half)),
        (len(times) - window, np.arange(window - half, window)),
    ):
        slope, intercept = np.polyfit(at, times[start : start + window], 1)
        out[start + ends] = intercept + slope * ends
    return out


@dataclass(frozen=True)
class BeatGrid:
    """Beats of one recording and the bar lines over them.

    ``times``: the time (s) of each beat position ``0, 1, 2, ...`` (``times[0]`` is
    0; the last beat lies at or after the end of the audio); ``tempo``: the overall
    tempo (bpm) of the tracked beats; ``pickup``: beats before the first bar line;
    ``beats_per_bar``: the time signature's numerator (over 4); ``duration``: the
    audio's length (s). ``tracked``: False when
    the recording had too few onsets to track and the grid is a fixed 120 bpm.
    """

    times: np.ndarray
    tempo: float
    duration: float
    pickup: int = 0
    beats_per_bar: int = 4
    tracked: bool = True

    def position(self, seconds: np.ndarray | float) -> np.ndarray:
        """Beat positions (fractional quarter notes from time 0) of times in seconds."""
        t = np.asarray(seconds, dtype=float)
        index = np.arange(len(self.times), dtype=float)
        last = self.times[-1] - self.times[-2]
        inside = np.interp(t, self.times, index)
        beyond = index[-1] + (t - self.times[-1]) / last
        return np.where(t > self.times[-1], beyond, inside)

    def seconds(self, position: np.ndarray | float) -> np.ndarray:
        """Times in seconds of beat positions (the inverse of :meth:`position`)."""
        p = np.asarray(position, dtype=float)
        index = np.arange(len(self.times), dtype=float)
        last = self.times[-1] - self.times[-2]
        inside = np.interp(p, index, self.times)
        return np.where(p > index[-1], self.times[-1] + (p - index[-1]) * last, inside)

    def beat_times(self) -> np.ndarray:
        """The tracked beats (s): every grid beat but the start at 0 and the
        extension past the end of the audio."""
        if not self.tracked:
            return np.zeros(0)
        return self.times[(self.times > 0) & (self.times <= self.duration)]

    def downbeats(self) -> np.ndarray:
        """Times (s) of the bar lines."""
        return self.times[self.pickup :: self.beats_per_bar]


#: ``--quantize auto``: each bar on one of these grids, the one its notes lie on.
AUTO_GRIDS = ("1/16", "1/8t")
#: How far (beats) a note may lie from a grid point and still count as on it (``auto``).
AUTO_WIDTH = 0.04


def bar_index(positions: np.ndarray, pickup: int = 0, beats_per_bar: int = 4) -> np.ndarray:
    """The bar (from 0) of each beat position: a pickup of ``pickup`` beats is bar 0."""
    p = np.asarray(positions, dtype=float)
    if pickup:
        return np.where(p < pickup, 0, 1 + np.floor((p - pickup) / beats_per_bar)).astype(int)
    return np.floor(p / beats_per_bar).astype(int)


def quantize(
    positions: np.ndarray, grid: str | Fraction | None, pickup: int = 0, beats_per_bar: int = 4
) -> np.ndarray:
    """Beat positions snapped to the nearest multiple of a grid step (``"1/16"`` ...).

    ``"auto"`` snaps each bar (``pickup``, ``beats_per_bar``) to the grid of
    :data:`AUTO_GRIDS` its notes lie on: the one with the most notes within about
    :data:`AUTO_WIDTH` beats of a point (a Gaussian weight each), the straight one
    on a tie; a shuffle's bars go to triplets and a straight groove's stay straight.
    """
    p = np.asarray(positions, dtype=float)
    if grid is None:
        return p
    if grid != "auto":
        step = float(grid_step(grid))
        return np.round(p / step) * step
    snapped = {name: quantize(p, name) for name in AUTO_GRIDS}
    fit = {name: np.exp(-0.5 * ((p - q) / AUTO_WIDTH) ** 2) for name, q in snapped.items()}
    bars = bar_index(p, pickup, beats_per_bar)
    out = snapped[AUTO_GRIDS[0]].copy()
    for bar in np.unique(bars):
        inside = bars == bar
        scores = [fit[name][inside].sum() for name in AUTO_GRIDS]
        best = AUTO_GRIDS[int(np.argmax(scores))]  # the first (straight) on a tie
        out[inside] = snapped[best][inside]
    return out


def grid_step(grid: str | Fraction) -> Fraction:
    """A ``--quantize`` value as a step in beats (``auto``: the straight grid's, its
    finest); :class:`ConfigError` if unknown."""
    if isinstance(grid, Fraction):
        return grid
    if grid == "auto":
        return GRIDS[AUTO_GRIDS[0]]
    if grid not in GRIDS:
        raise ConfigError(f"unknown grid {grid!r} for --quantize; use {', '.join(GRIDS)} "
                          "or auto")  # fmt: skip
    return GRIDS[grid]


def parse_time_signature(text: str) -> int:
    """``"3/4"`` -> 3 beats per bar; only quarter-note beats (``N/4``, N 1-12)."""
    top, sep, bottom = text.partition("/")
    if sep and top.isdigit() and bottom == "4" and 1 <= int(top) <= 12:
        return int(top)
    raise ConfigError(f"--time-signature must be N/4 with N from 1 to 12; got {text!r}")


def _untracked(duration: float) -> BeatGrid:
    """A fixed 120 bpm grid from time 0, for audio without a beat to track."""
    times = np.arange(0.0, duration + 1.0, 0.5)
    return BeatGrid(times, 120.0, duration, tracked=False)


def track(
    activations: np.ndarray, frame_rate: float, duration: float, components: Sequence[str]
) -> BeatGrid:
    """The beats of a transcription's ``(K, frames)`` activations of ``components``,
    bars not yet placed, at the tempo a drummer counts (:func:`counted_tempo`).

    The grid's beat 1 is the first tracked beat (extended back with the first
    period while one fits at least a quarter period after time 0); the time before
    it is beat 0, a lead-in of its own length.
    """
    envelopes = group_envelopes(activations, frame_rate, components)
    envelope = envelopes["all"]
    beats = np.zeros(0)
    if np.count_nonzero(envelope > 0.05 * envelope.max(initial=0.0)) >= 4:
        tempo = counted_tempo(envelopes)
        beats = smooth_beats(track_beats(envelope, tempo) / ENVELOPE_RATE)
    if len(beats) < 4:
        return _untracked(duration)
    typical = float(np.median(np.diff(beats)))
    # no two beats closer than a quarter period; none in the first quarter period
    # (such a beat is time 0 itself: the lead-in before beat 1 is a full beat)
    beats = beats[np.concatenate([[True], np.diff(beats) > 0.25 * typical])]
    beats = beats[beats >= 0.25 * typical]
    if len(beats) < 4:
        return _untracked(duration)
    times, first = grid_times(beats, duration), np.diff(beats[:2])[0]
    slope = np.polyfit(np.arange(len(beats)), beats, 1)[0]
    loud = np.flatnonzero(envelope > LOUD_ONSET * envelope.max())
    music = loud[0] / ENVELOPE_RATE if len(loud) else duration
    return BeatGrid(even_lead_in(times, first, music), 60.0 / slope, duration)


def grid_times(beats: np.ndarray, duration: float) -> np.ndarray:
    """A :class:`BeatGrid`'s ``times`` from beats (s): time 0, the beats extended back
    by their first period while one fits at least a quarter period after 0, the beats,
    and extended forward by their last period to at or past ``duration``."""
    first, last = np.diff(beats[:2])[0], np.diff(beats[-2:])[0]
    before = np.arange(beats[0] - first, 0.25 * first - 1e-9, -first)[::-1]
    after = beats[-1] + last * np.arange(1, max(1, int((duration - beats[-1]) / last) + 2) + 1)
    return np.concatenate([[0.0], before, beats, after])


def even_lead_in(
    times: np.ndarray, period: float, music: float, tolerance: float = 0.02, most: int = 8
) -> np.ndarray:
    """Grid ``times`` whose lead-in (time 0 to the first tracked beat) keeps the tempo.

    Time 0 is beat 0, so the first beat lasts as long as the lead-in, whatever the
    tempo: 108 bpm before a 100 bpm groove whose first beat falls 47 ms early. Where
    the first ``n`` beats (``n <= most``) end before the music starts (``music``, s)
    and spreading them evenly gives a period within ``tolerance`` of ``period``, the
    fewest such beats are spread evenly from 0; otherwise ``times`` is returned as it
    is (the music's own beats are never moved).
    """
    for n in range(1, min(most, len(times) - 1) + 1):
        if times[n] > music + 0.25 * period:
            break
        if abs(times[n] / n - period) <= tolerance * period:
            return np.concatenate([np.linspace(0.0, times[n], n + 1)[:-1], times[n:]])
    return times


def with_bars(
    grid: BeatGrid,
    activations: np.ndarray,
    frame_rate: float,
    components: Sequence[str],
    beats_per_bar: int = 4,
) -> BeatGrid:
    """``grid`` with bar lines of ``beats_per_bar`` beats, on the phase whose beats
    carry the most kick and crash activation (the first phase for an untracked grid)."""
    if not grid.tracked:
        return replace(grid, beats_per_bar=beats_per_bar)
    index = {c: i for i, c in enumerate(components)}
    marks = [index[c] for c in DOWNBEAT_COMPONENTS if c in index]
    accent = np.zeros(len(grid.times))
    if marks:
        curve = activations[marks].sum(axis=0)
        window = round(0.05 * frame_rate)
        for j, t in enumerate(grid.times[1:], start=1):
            centre = round(t * frame_rate)
            accent[j] = curve[max(0, centre - window) : centre + window + 1].max(initial=0.0)
    phase = int(np.argmax([accent[p::beats_per_bar].sum() for p in range(beats_per_bar)]))
    return replace(grid, pickup=phase, beats_per_bar=beats_per_bar)


def beat_grid(
    activations: np.ndarray,
    frame_rate: float,
    duration: float,
    components: Sequence[str],
    beats_per_bar: int = 4,
) -> BeatGrid:
    """Track the beats of ``(K, frames)`` activations (:func:`track`) and place the
    bar lines (:func:`with_bars`)."""
    grid = track(activations, frame_rate, duration, components)
    return with_bars(grid, activations, frame_rate, components, beats_per_bar)
