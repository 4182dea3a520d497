"""Audio effects that make a sampler render sound less like one.

Small pure functions over mono float arrays; each takes its random choices from
a ``numpy.random.Generator`` so that a render is repeatable under a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve, lfilter


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the random effects of a render. Ranges are ``(low, high)``, drawn uniformly.

    ``pitch_cents`` and ``timing_ms`` are the largest per-hit deviations; the
    probabilities say how often each track gets reverb, compression and noise.
    """

    pitch_cents: float = 25.0
    timing_ms: float = 4.0
    velocity_exponent: float = 1.6
    reverb_probability: float = 0.6
    reverb_rt60_s: tuple[float, float] = (0.15, 1.2)
    reverb_wet: tuple[float, float] = (0.05, 0.4)
    #: "noise": exponentially decaying noise (:func:`room_impulse_response`); "room": a
    #: shoebox room by the image-source method (:func:`shoebox_impulse_response`)
    reverb_model: str = "noise"
    tilt_db_per_octave: tuple[float, float] = (-2.5, 2.5)
    compression_probability: float = 0.5
    compression_threshold_db: tuple[float, float] = (-24.0, -8.0)
    compression_ratio: tuple[float, float] = (2.0, 6.0)
    noise_probability: float = 0.5
    noise_snr_db: tuple[float, float] = (25.0, 60.0)


#: A dry render: velocity as gain and nothing else.
DRY = Augmentation(
    pitch_cents=0.0,
    timing_ms=0.0,
    reverb_probability=0.0,
    tilt_db_per_octave=(0.0, 0.0),
    compression_probability=0.0,
    noise_probability=0.0,
)


def pitch_shift(y: np.ndarray, cents: float) -> np.ndarray:
    """Shift a one-shot by ``cents`` by resampling it (shorter and higher when positive)."""
    if cents == 0:
        return y
    ratio = 2.0 ** (cents / 1200.0)
    positions = np.arange(0.0, len(y) - 1, ratio)
    return np.interp(positions, np.arange(len(y)), y).astype(y.dtype)


def room_impulse_response(rt60_s: float, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room: exponentially decaying noise, darker as it decays.

    Decays by 60 dB in ``rt60_s`` seconds; unit energy; starts after a 1-10 ms pre-delay.
    """
    length = int(rt60_s * sample_rate)
    t = np.arange(length) / sample_rate
    noise = rng.standard_normal(length) * 10 ** (-3 * t / rt60_s)
    # Air absorption: a one-pole low-pass over the tail.
    noise = lfilter([0.6], [1.0, -0.4], noise)
    predelay = np.zeros(int(rng.uniform(0.001, 0.01) * sample_rate))
    ir = np.concatenate([predelay, noise])
    return ir / np.sqrt(np.sum(ir**2))


#: The rooms' sizes (m), the drum's height and the microphones' placements drawn by
#: :func:`shoebox_impulse_response`.
ROOM_SIZE_M = ((3.0, 3.0, 2.4), (12.0, 10.0, 5.0))
DRUM_HEIGHT_M = (0.3, 1.2)
CLOSE_MIC_M, OVERHEAD_MIC_M = (0.1, 0.6), (0.8, 1.5)
#: Image sources are computed up to this order (about 25 ms a room at 16 kHz).
ROOM_MAX_ORDER = 30


def room_acoustics():
    """The ``pyroomacoustics`` module, or one clear error saying how to install it."""
    try:
        import pyroomacoustics
    except ImportError:
        from drummernet.errors import DrummerNetError

        raise DrummerNetError(
            "image-source rooms (train --reverb room) need pyroomacoustics: "
            "pip install 'drummernet[rooms]'"
        ) from None
    return pyroomacoustics


def shoebox_impulse_response(
    rt60_s: float, sample_rate: int, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, float]]:
    """A room by the image-source method of ``pyroomacoustics``: a shoebox of
    :data:`ROOM_SIZE_M` whose walls absorb what Sabine's formula needs for ``rt60_s`` (shrunk
    until they can, a short RT60 needing a small room),
    the drum :data:`DRUM_HEIGHT_M` above the floor and at least 1 m from every wall,
    the microphone close to it (a spot mic, :data:`CLOSE_MIC_M` away) or above it (an
    overhead, :data:`OVERHEAD_MIC_M`), each half of the time. Early reflections come from
    the room's geometry; the tail is cut at order :data:`ROOM_MAX_ORDER`.

    Returns
    -------
    ir : ndarray, shape ``(samples,)``
        Unit energy, the direct sound at its distance's delay.
    drawn : dict
        The room's size, the microphone's distance and kind.
    """
    pra = room_acoustics()
    size = rng.uniform(*ROOM_SIZE_M)
    while True:  # a short RT60 needs a small room: shrink it until walls can absorb enough
        try:
            absorption, order = pra.inverse_sabine(rt60_s, size)
            break
        except ValueError:
            size = np.maximum(size * 0.85, ROOM_SIZE_M[0])
            if np.all(size == ROOM_SIZE_M[0]):
                absorption, order = 1.0, 1
                break
    drum = np.array([*rng.uniform(1.0, size[:2] - 1.0), rng.uniform(*DRUM_HEIGHT_M)])
    overhead = rng.random() < 0.5
    if overhead:
        mic = drum + np.array([0.0, 0.0, rng.uniform(*OVERHEAD_MIC_M)])
    else:
        direction = rng.standard_normal(3)
        mic = drum + rng.uniform(*CLOSE_MIC_M) * direction / np.linalg.norm(direction)
    mic = np.clip(mic, 0.05, size - 0.05)
    room = pra.ShoeBox(size, fs=sample_rate, materials=pra.Material(min(absorption, 1.0)),
                       max_order=int(min(order, ROOM_MAX_ORDER)))  # fmt: skip
    room.add_source(drum)
    room.add_microphone(mic)
    room.compute_rir()
    ir = np.asarray(room.rir[0][0], dtype=np.float64)
    drawn = {"room_m": [round(float(v), 2) for v in size], "overhead": bool(overhead),
             "mic_distance_m": round(float(np.linalg.norm(mic - drum)), 2)}  # fmt: skip
    return ir / np.sqrt(np.sum(ir**2)), drawn


def add_reverb(y: np.ndarray, ir: np.ndarray, wet: float) -> np.ndarray:
    """Mix ``y`` with its convolution by ``ir`` (same length as ``y``)."""
    tail = fftconvolve(y, ir)[: len(y)]
    return (1.0 - wet) * y + wet * tail * (np.max(np.abs(y)) / (np.max(np.abs(tail)) + 1e-12))


def spectral_tilt(y: np.ndarray, db_per_octave: float, sample_rate: int) -> np.ndarray:
    """Tilt the spectrum by ``db_per_octave`` around 1 kHz (a crude EQ)."""
    if db_per_octave == 0:
        return y
    spectrum = np.fft.rfft(y)
    freqs = np.fft.rfftfreq(len(y), 1.0 / sample_rate)
    octaves = np.log2(np.maximum(freqs, 20.0) / 1000.0)
    return np.fft.irfft(spectrum * 10 ** (db_per_octave * octaves / 20), n=len(y))


def compress(
    y: np.ndarray,
    threshold_db: float,
    ratio: float,
    sample_rate: int,
    attack_s: float = 0.005,
    release_s: float = 0.08,
) -> np.ndarray:
    """A feed-forward peak compressor; output peak matches the input's."""
    level = np.abs(y)
    # Attack/release envelope: fast one-pole on the rectified signal, then a slow release.
    attack = np.exp(-1.0 / (attack_s * sample_rate))
    release = np.exp(-1.0 / (release_s * sample_rate))
    fast = lfilter([1 - attack], [1, -attack], level)
    envelope = np.maximum(fast, lfilter([1 - release], [1, -release], fast))
    peak = np.max(envelope) + 1e-12
    level_db = 20 * np.log10(envelope / peak + 1e-9)
    over = np.maximum(level_db - threshold_db, 0.0)
    gain = 10 ** (-over * (1 - 1 / ratio) / 20)
    out = y * gain
    return out * (np.max(np.abs(y)) / (np.max(np.abs(out)) + 1e-12))


def add_noise(y: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add pink-ish background noise ``snr_db`` below the signal's RMS."""
    white = rng.standard_normal(len(y))
    pinkish = lfilter([1.0], [1.0, -0.95], white)
    rms = np.sqrt(np.mean(y**2)) + 1e-12
    pinkish *= rms * 10 ** (-snr_db / 20) / (np.sqrt(np.mean(pinkish**2)) + 1e-12)
    return y + pinkish


def apply_effects(
    y: np.ndarray, augmentation: Augmentation, sample_rate: int, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, float]]:
    """Apply the track-level effects of ``augmentation`` in a fixed order
    (tilt, reverb, compression, noise). Returns the audio and the values drawn."""
    a, drawn = augmentation, {}
    tilt = rng.uniform(*a.tilt_db_per_octave)
    if tilt:
        y = spectral_tilt(y, tilt, sample_rate)
        drawn["tilt_db_per_octave"] = round(float(tilt), 3)
    if rng.random() < a.reverb_probability:
        rt60, wet = rng.uniform(*a.reverb_rt60_s), rng.uniform(*a.reverb_wet)
        if a.reverb_model == "room":
            ir, room = shoebox_impulse_response(rt60, sample_rate, rng)
            drawn |= room
        else:
            ir = room_impulse_response(rt60, sample_rate, rng)
        y = add_reverb(y, ir, wet)
        drawn |= {"reverb_rt60_s": round(float(rt60), 3), "reverb_wet": round(float(wet), 3)}
    if rng.random() < a.compression_probability:
        threshold, ratio = (
            rng.uniform(*a.compression_threshold_db),
            rng.uniform(*a.compression_ratio),
        )
        y = compress(y, threshold, ratio, sample_rate)
        drawn |= {"compression_threshold_db": round(float(threshold), 2),
                  "compression_ratio": round(float(ratio), 2)}  # fmt: skip
    if rng.random() < a.noise_probability:
        snr = rng.uniform(*a.noise_snr_db)
        y = add_noise(y, snr, rng)
        drawn["noise_snr_db"] = round(float(snr), 2)
    return y, drawn
