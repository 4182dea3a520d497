"""Does the input sound like drums alone, or like a whole song?

DrummerNet is trained on drum-only audio; on a full mix it hears bass notes as
kicks and chords as cymbals. Harmonic-percussive source separation
(Fitzgerald 2010, as ``librosa.decompose.hpss``) splits a spectrogram into
sustained (horizontal) and transient (vertical) energy: drums alone are mostly
transient, a mix with bass, keys and pads is not. The ratio of the two, in dB,
on the first :data:`CHECK_SECONDS` of the input decides the warning.

The threshold :data:`FULL_MIX_DB` was chosen on renders of the Groove MIDI
Dataset's *validation* split alone (drums alone, and with a generated bass, comping
instrument, pad and lead, all through FluidSynth): the lowest that warns about at
most 5 % of the drums alone. ``bench/full_mix.py`` measures it, its misses on
mixes and its false alarms on the test split and on real drum stems, and writes
the numbers to ``bench/results``. It catches a song whose accompaniment is louder
than its drums, not one whose drums dominate.
"""

from __future__ import annotations

import numpy as np

from drummernet.config import SAMPLE_RATE

#: Seconds at the start of the input on which the check runs.
CHECK_SECONDS = 30.0
#: Harmonic-to-percussive energy ratio (dB) above which the input is taken for a full mix.
FULL_MIX_DB = 2.0
_N_FFT, _HOP = 1024, 512  # 64 ms windows every 32 ms
_LOWEST_HZ = 30.0  # below: DC offset and rumble, neither drums nor music
_KERNEL = 17  # median filters: 17 frames (0.54 s) across time, 17 bins (266 Hz) across
_EPS = 1e-12


def power_spectrogram(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Power STFT ``(bins, frames)`` as ``librosa.stft`` computes it (periodic Hann
    window of :data:`_N_FFT`, hop :data:`_HOP`, frames centred on zero padding),
    bins below :data:`_LOWEST_HZ` dropped."""
    padded = np.pad(np.asarray(audio, dtype=np.float32), _N_FFT // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, _N_FFT)[::_HOP]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_N_FFT) / _N_FFT)).astype(np.float32)
    power = np.abs(np.fft.rfft(frames * window, axis=1)).T ** 2
    return power[np.fft.rfftfreq(_N_FFT, 1 / sample_rate) >= _LOWEST_HZ]


def harmonic_to_percussive_db(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Energy of the harmonic part over that of the percussive part, in dB.

    The parts are those of ``librosa.decompose.hpss(spectrum, kernel_size=17)``
    (median filters across time and across frequency, soft masks of power 2),
    computed here with :func:`drummernet.medians.running_median`: the check runs on every
    transcription, and importing librosa would cost it seconds. A test holds the
    two to the same value.

    Parameters
    ----------
    audio : np.ndarray, shape ``(samples,)``
        Mono audio; only its first :data:`CHECK_SECONDS` are analysed.
    sample_rate : int
        Its rate, Hz.

    Returns
    -------
    float : ``10 log10(E_harmonic / E_percussive)``; ``-inf`` for silence.
    """
    from drummernet.medians import running_median  # scipy.ndimage: only when checking

    audio = np.asarray(audio, dtype=np.float32)[: round(CHECK_SECONDS * sample_rate)]
    if len(audio) < _N_FFT or not np.any(audio):
        return float("-inf")
    spectrum = power_spectrogram(audio, sample_rate)
    across_time = running_median(spectrum, _KERNEL, axis=1)
    across_frequency = running_median(spectrum, _KERNEL, axis=0)
    # soft masks H^2 / (H^2 + P^2), shared half and half where both filters give 0
    h2, p2 = across_time.astype(np.float64) ** 2, across_frequency.astype(np.float64) ** 2
    total = h2 + p2
    harmonic_share = np.divide(h2, total, out=np.full_like(total, 0.5), where=total > 0)
    harmonic = float(np.sum(spectrum * harmonic_share))
    percussive = float(np.sum(spectrum * (1 - harmonic_share)))
    return float(10 * np.log10((harmonic + _EPS) / (percussive + _EPS)))


def full_mix_warning(name: str, ratio_db: float) -> str | None:
    """The one-line warning for an input whose harmonic-to-percussive ratio is
    ``ratio_db``, or None when it sounds like drums alone."""
    if ratio_db <= FULL_MIX_DB:
        return None
    return (
        f"{name}: this sounds like a full mix, not drums alone (harmonic/percussive "
        f"energy {ratio_db:+.1f} dB, drum stems are below {FULL_MIX_DB:+.1f} dB); under "
        "a band as loud as the drums the default model loses a third of its F1, the kick "
        "most: --model songs, trained with a band, loses a quarter (README, Songs), and "
        "--separate transcribes the drums Demucs separates"
    )
