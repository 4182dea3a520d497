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


# --- streamed decoding equals whole-file decoding (property-based) ---------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from drummernet.audio import stream_audio  # noqa: E402


def _write(path, sr, channels, samples, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random((samples, channels)) - 0.5).astype(np.float32) * 0.5
    sf.write(path, y, sr)
    return y


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sr=st.sampled_from([8000, 16000, 22050, 44100, 48000]),
    channels=st.integers(1, 3),
    blocks=st.integers(0, 3),
    remainder=st.sampled_from([0, 0, 1, 7, 333]),
    block_s=st.sampled_from([0.01, 0.05]),
    ext=st.sampled_from(["wav", "flac"]),
)
def test_streamed_decoder_equals_whole_file(
    tmp_path, sr, channels, blocks, remainder, block_s, ext
):
    """Random rates, channels and lengths, including exact multiples of the block
    (the final read is then empty: it crashed the streaming resampler)."""
    samples = blocks * int(block_s * sr) + remainder
    if samples == 0:
        samples = int(block_s * sr)  # an exact single block
    path = tmp_path / f"x-{sr}-{channels}-{samples}.{ext}"
    _write(path, sr, channels, samples)
    whole = load_audio(path, 16000)
    streamed = np.concatenate(list(stream_audio(path, 16000, block_seconds=block_s)))
    assert len(streamed) == len(whole)
    np.testing.assert_allclose(streamed, whole, atol=2e-3)


@pytest.mark.parametrize("sr, seconds, channels", [(44100, 10.0, 2), (44100, 30.0, 1)])
def test_exact_block_lengths_stream(tmp_path, sr, seconds, channels):
    """The two files of the bug report: 10.000 s stereo WAV, 30.000 s mono FLAC."""
    path = tmp_path / ("a.wav" if channels == 2 else "a.flac")
    _write(path, sr, channels, int(seconds * sr))
    total = sum(len(b) for b in stream_audio(path, 16000))
    assert total == pytest.approx(seconds * 16000, abs=2)


def test_cancelling_channels_warn(tmp_path):
    from drummernet.errors import DrummerNetWarning

    t = np.arange(16000) / 16000
    left = 0.5 * np.sin(2 * np.pi * 200 * t)
    path = tmp_path / "phase.wav"
    sf.write(path, np.stack([left, -left], axis=1), 16000)
    with pytest.warns(DrummerNetWarning, match="cancel"):
        load_audio(path)
    with pytest.warns(DrummerNetWarning, match="cancel"):
        list(stream_audio(path))
    ok = tmp_path / "ok.wav"
    sf.write(ok, np.stack([left, 0.3 * left], axis=1), 16000)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", DrummerNetWarning)
        load_audio(ok)
        list(stream_audio(ok))
