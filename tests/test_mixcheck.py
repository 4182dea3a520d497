import warnings
from pathlib import Path

import numpy as np
import pytest

from drummernet.audio import load_audio
from drummernet.errors import DrummerNetWarning
from drummernet.mixcheck import FULL_MIX_DB, full_mix_warning, harmonic_to_percussive_db
from drummernet.transcription import transcribe

EXAMPLE = Path(__file__).parents[1] / "drummernet" / "examples" / "gmd-rock-100bpm.flac"


def chords(n: int, rate: int = 16000) -> np.ndarray:
    """Held triads (rich harmonics) changing every 2 s: a stand-in for a band."""
    t = np.arange(n) / rate
    out = np.zeros(n)
    for start in range(0, n, 2 * rate):
        root = 110 * 2 ** (np.random.default_rng(start).integers(12) / 12)
        part = slice(start, start + 2 * rate)
        for ratio in (1, 5 / 4, 3 / 2):
            for h in range(1, 6):
                out[part] += np.sin(2 * np.pi * root * ratio * h * t[part]) / h
    return out.astype(np.float32)


@pytest.fixture(scope="module")
def drums():
    return load_audio(EXAMPLE)[: 8 * 16000]  # 8 s: enough to judge, quick to transcribe


def test_drums_alone_pass_and_drums_under_a_band_are_a_full_mix(drums):
    band = chords(len(drums))
    mix = drums + band * 2 * np.std(drums) / np.std(band)  # the band 6 dB louder
    assert harmonic_to_percussive_db(drums) < FULL_MIX_DB < harmonic_to_percussive_db(mix)
    assert full_mix_warning("x.wav", harmonic_to_percussive_db(drums)) is None
    message = full_mix_warning("x.wav", harmonic_to_percussive_db(mix))
    assert "--model songs" in message and "--separate" in message


def test_silence_and_dc_are_not_full_mixes():
    assert harmonic_to_percussive_db(np.zeros(16000)) == float("-inf")
    assert harmonic_to_percussive_db(np.full(32000, 0.5, np.float32)) < FULL_MIX_DB


def test_transcribe_warns_once_about_a_full_mix_and_records_the_ratio(drums):
    band = chords(len(drums))
    mix = drums + band * 2 * np.std(drums) / np.std(band)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = transcribe(mix, sr=16000)
        clean = transcribe(drums, sr=16000)
    messages = [str(w.message) for w in caught if issubclass(w.category, DrummerNetWarning)]
    assert len(messages) == 1 and "full mix" in messages[0]
    assert result.meta["harmonic_to_percussive_db"] > FULL_MIX_DB
    assert clean.meta["harmonic_to_percussive_db"] < FULL_MIX_DB


def test_the_warning_reaches_the_console_from_worker_processes(drums, tmp_path, capfd):
    from drummernet.audio import write_audio
    from drummernet.cli import main

    band = chords(len(drums))
    write_audio(tmp_path / "song.wav", 0.3 * (drums + band * 2 * np.std(drums) / np.std(band)),
                16000)  # fmt: skip
    write_audio(tmp_path / "drums.wav", drums, 16000)
    code = main(["transcribe", str(tmp_path / "song.wav"), str(tmp_path / "drums.wav"),
                 "--workers", "2", "--out-dir", str(tmp_path / "out")])  # fmt: skip
    warned = [line for line in capfd.readouterr().err.splitlines() if "warning" in line]
    assert code == 0 and len(warned) == 1 and "song.wav" in warned[0] and "full mix" in warned[0]


@pytest.mark.parametrize("kind", ["drums", "mix", "gaps"])
def test_the_ratio_is_librosas_hpss(drums, kind):
    """The check's own STFT and median filters give what librosa's HPSS gives."""
    import librosa

    from drummernet.mixcheck import _HOP, _KERNEL, _LOWEST_HZ, _N_FFT

    audio = drums
    if kind == "mix":
        band = chords(len(drums))
        audio = drums + band * np.std(drums) / np.std(band)
    elif kind == "gaps":  # digital silence between bursts: both filters give 0 there
        audio = drums.copy()
        audio[: len(audio) // 2] = 0
    spectrum = np.abs(librosa.stft(audio, n_fft=_N_FFT, hop_length=_HOP)) ** 2
    spectrum = spectrum[librosa.fft_frequencies(sr=16000, n_fft=_N_FFT) >= _LOWEST_HZ]
    harmonic, percussive = librosa.decompose.hpss(spectrum, kernel_size=_KERNEL)
    expected = 10 * np.log10(harmonic.sum() / percussive.sum())
    assert harmonic_to_percussive_db(audio) == pytest.approx(expected, abs=1e-3)
