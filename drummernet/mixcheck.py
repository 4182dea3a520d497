"""Does the input sound like drums alone, or like a whole song?

DrummerNet is trained on drum-only audio; on a full mix it hears bass notes as
kicks and chords as cymbals. Harmonic-percussive source separation
(Fitzgerald 2010, ``librosa.decompose.hpss``) splits a spectrogram into
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
FULL_MIX_DB = 3.0
_N_FFT, _HOP = 1024, 256
_LOWEST_HZ = 30.0  # below: DC offset and rumble, neither drums nor music
_EPS = 1e-12


def harmonic_to_percussive_db(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Energy of the harmonic part over that of the percussive part, in dB.

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
    import librosa

    audio = np.asarray(audio, dtype=np.float32)[: round(CHECK_SECONDS * sample_rate)]
    if len(audio) < _N_FFT or not np.any(audio):
        return float("-inf")
    spectrum = np.abs(librosa.stft(audio, n_fft=_N_FFT, hop_length=_HOP)) ** 2
    spectrum = spectrum[librosa.fft_frequencies(sr=sample_rate, n_fft=_N_FFT) >= _LOWEST_HZ]
    harmonic, percussive = librosa.decompose.hpss(spectrum)
    return float(10 * np.log10((harmonic.sum() + _EPS) / (percussive.sum() + _EPS)))


def full_mix_warning(name: str, ratio_db: float) -> str | None:
    """The one-line warning for an input whose harmonic-to-percussive ratio is
    ``ratio_db``, or None when it sounds like drums alone."""
    if ratio_db <= FULL_MIX_DB:
        return None
    return (
        f"{name}: this sounds like a full mix, not drums alone (harmonic/percussive "
        f"energy {ratio_db:+.1f} dB, drum stems are below {FULL_MIX_DB:+.1f} dB); "
        "expect many wrong notes: separate the drums first (e.g. with Demucs) and "
        "transcribe the drum stem"
    )
