import numpy as np
import pytest
import soundfile as sf

from drummernet.datasets.unlabeled import UnlabeledSegments
from drummernet.errors import DrummerNetError


def _write(path, seconds, sr=44100, channels=2, level=0.5):
    rng = np.random.default_rng(len(str(path)))
    y = rng.standard_normal((int(seconds * sr), channels)) * level * 0.2
    sf.write(path, np.clip(y, -1, 1), sr)


def test_segments_are_fixed_length_peak_normalised_and_repeatable(tmp_path):
    data = tmp_path / "audio"
    (data / "sub").mkdir(parents=True)
    _write(data / "a.wav", 3.0)
    _write(data / "sub" / "b.flac", 2.5, sr=22050, channels=1)
    _write(data / "short.wav", 1.0)
    _write(data / "quiet.wav", 3.0, level=1e-5)
    (data / "broken.ogg").write_bytes(b"not audio at all")
    (data / "readme.txt").write_text("ignored")
    dataset = UnlabeledSegments([data], tmp_path / "cache", seconds=2.0, length=20, seed=3)
    assert [p.name for p in dataset.files] == ["a.wav", "b.flac"]
    reasons = {s.path.name: s.reason for s in dataset.skipped}
    assert set(reasons) == {"short.wav", "quiet.wav", "broken.ogg"}
    assert "shorter than 2 s" in reasons["short.wav"] and "silent" in reasons["quiet.wav"]
    assert "cannot decode" in reasons["broken.ogg"]
    item = dataset[5]
    assert item.shape == (32000,) and item.dtype.is_floating_point
    assert float(item.abs().max()) == pytest.approx(1.0)
    assert np.array_equal(item.numpy(), dataset[5].numpy())
    assert not np.array_equal(item.numpy(), dataset[6].numpy())
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 4  # decoded once, cached
    again = UnlabeledSegments([data], tmp_path / "cache", seconds=2.0, length=20, seed=3)
    assert np.array_equal(again[5].numpy(), item.numpy())


def test_no_usable_audio_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DrummerNetError, match="no usable audio"):
        UnlabeledSegments([tmp_path / "empty"], tmp_path / "cache")
    with pytest.raises(DrummerNetError, match="no such file or folder"):
        UnlabeledSegments([tmp_path / "nope"], tmp_path / "cache")
    (tmp_path / "empty" / "x.wav").write_bytes(b"")
    with pytest.raises(DrummerNetError, match=r"x\.wav: cannot decode"):
        UnlabeledSegments([tmp_path / "empty"], tmp_path / "cache")
