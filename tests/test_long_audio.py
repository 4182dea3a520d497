"""An hour of audio in bounded memory: the beat tracker's blockwise envelopes and
autocorrelations equal the whole-length ones, and transcription leaves the heavy
``scipy.signal`` unimported (its import holds 60 MB)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import savgol_filter

from drummernet.transcription import beats

EXAMPLE = Path(__file__).resolve().parents[1] / "drummernet" / "examples" / "gmd-rock-100bpm.flac"


def test_onset_envelope_in_blocks_equals_the_whole_sum():
    rng = np.random.default_rng(0)
    for frames in (7, 1000, beats.ENVELOPE_BLOCK * 10 * 3 + 33):
        activations = rng.random((11, frames)).astype(np.float16)
        for rows in (None, [0, 3, 4]):
            chosen = activations if rows is None else activations[rows]
            total = chosen.sum(axis=0, dtype=np.float64)
            expected = np.pad(total, (0, -frames % 10)).reshape(-1, 10).max(axis=1)
            assert np.array_equal(beats.onset_envelope(activations, 1000.0, rows), expected)


def test_a_long_autocorrelation_in_blocks_equals_the_whole_fft():
    rng = np.random.default_rng(1)
    x = rng.random(beats.AC_BLOCK * 3 + 1234)
    centred = x - x.mean()
    whole = np.fft.irfft(np.abs(np.fft.rfft(centred, n=2 * len(x))) ** 2)[:701]
    blocks = beats._raw_autocorrelation(x, 700)
    assert len(blocks) == 701
    assert np.max(np.abs(blocks - whole)) < 1e-9 * whole[0]


def test_smooth_beats_is_savgol_of_order_one():
    rng = np.random.default_rng(2)
    for n in range(3, 40):
        times = np.cumsum(rng.uniform(0.4, 0.6, n))
        window = min(beats.SMOOTH_BEATS, n - (1 - n % 2))
        expected = savgol_filter(times, window, 1, mode="interp")
        assert np.allclose(beats.smooth_beats(times), expected, rtol=0, atol=1e-12)


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="needs the shipped example")
def test_transcribing_to_midi_never_imports_scipy_signal(tmp_path):
    code = (
        "import sys\n"
        "from drummernet.cli import main\n"
        f"main(['transcribe', {str(EXAMPLE)!r}, '--out-dir', {str(tmp_path)!r}, '-q'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('scipy.signal')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "gmd-rock-100bpm.mid").is_file()
