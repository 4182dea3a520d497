import numpy as np
import pytest
import soundfile as sf

from drummernet.audio import AudioError, load_audio, valid_audio, write_audio


def test_load_resamples_and_downmixes(tmp_path):
    sr = 44100
    t = np.arange(sr) / sr
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)], axis=1) * 0.5
    path = tmp_path / "a.flac"
    sf.write(path, stereo, sr)
    y = load_audio(path, 16000)
    assert y.dtype == np.float32 and y.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spectrum) - 440) <= 1  # 1 Hz bins for a 1 s signal
    assert 0.45 < np.max(np.abs(y[100:-100])) < 0.55


@pytest.mark.parametrize(
    "content, message",
    [(b"", "cannot decode"), (b"RIFF\x00\x00garbage" * 5, "cannot decode")],
)
def test_corrupt_files_are_audio_errors(tmp_path, content, message):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as info:
        load_audio(path)
    assert "bad.wav" in str(info.value)


def test_missing_empty_and_nan_audio(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        load_audio(tmp_path / "none.wav")
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0), 16000)
    with pytest.raises(AudioError, match="no samples"):
        load_audio(empty)
    nan = tmp_path / "nan.wav"
    sf.write(nan, np.full(100, np.nan), 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN"):
        load_audio(nan)
    with pytest.raises(AudioError, match="mono"):
        valid_audio(np.zeros((2, 3)))


def test_write_then_read_round_trip(tmp_path):
    y = (np.random.default_rng(0).random(1000) - 0.5).astype(np.float32)
    write_audio(tmp_path / "x.wav", y, 16000)
    np.testing.assert_allclose(load_audio(tmp_path / "x.wav"), y, atol=1e-4)
    with pytest.raises(AudioError, match="cannot write"):
        write_audio(tmp_path / "missing" / "x.wav", y, 16000)
