"""transcribe --separate: Demucs' real loading and separation code, on a small
HTDemucs built here (its published weights cannot be fetched on this machine)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("demucs.htdemucs", reason="needs demucs (pip install -e '.[dev]')")
import torch
from demucs.htdemucs import HTDemucs
from safetensors.torch import save_file

from drummernet.audio import write_audio
from drummernet.cli import main
from drummernet.separation import (
    SeparationError,
    load_separator,
    separate_drums,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "drummernet" / "examples" / "gmd-rock-100bpm.flac"
SMALL = dict(sources=["drums", "bass", "other", "vocals"], audio_channels=2, channels=8,
             depth=2, dconv_comp=4, nfft=256, t_layers=1, t_heads=2, segment=2,
             samplerate=16000, dconv_depth=1, t_hidden_scale=1.0)  # fmt: skip


def export(model, path, klass="demucs.htdemucs.HTDemucs", args=(), kwargs=None):
    """A weights file as Demucs exports them to the Hugging Face hub."""
    metadata = {"klass": klass, "args": json.dumps(list(args)),
                "kwargs": json.dumps(SMALL if kwargs is None else kwargs)}  # fmt: skip
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(path), metadata=metadata)
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    torch.manual_seed(0)
    model = HTDemucs(**SMALL)
    return model, export(model, tmp_path_factory.mktemp("demucs") / "small.safetensors")


def test_the_weights_load_into_the_class_they_name(small):
    model, path = small
    loaded = load_separator(str(path))
    assert type(loaded) is HTDemucs and not loaded.training
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)


def test_the_drums_source_comes_back_mono_at_the_models_rate(small):
    model, _ = small
    rng = np.random.default_rng(0)
    stereo = rng.normal(0, 0.1, (44100 * 3, 2)).astype(np.float32)
    drums, rate = separate_drums(stereo, 44100, model.eval())
    assert rate == 16000 and drums.shape == (48000,) and drums.dtype == np.float32
    again, _ = separate_drums(stereo, 44100, model)
    assert np.array_equal(drums, again)  # deterministic: no random shifts
    mono, _ = separate_drums(stereo[:, 0], 44100, model)  # a mono input is doubled
    assert mono.shape == (48000,) and np.all(np.isfinite(mono))
    # the network sees the input normalised; its drums come back at the input's scale
    louder, _ = separate_drums(4 * stereo, 44100, model)
    assert np.allclose(louder, 4 * drums, rtol=1e-3, atol=1e-5)
    # the source named drums, wherever the model puts it
    renamed = HTDemucs(**{**SMALL, "sources": ["bass", "drums", "other", "vocals"]})
    renamed.load_state_dict(model.state_dict())
    other, _ = separate_drums(stereo, 44100, renamed.eval())
    assert not np.allclose(other, drums)


def test_a_file_naming_another_class_runs_nothing(tmp_path, small):
    model, _ = small
    marker = tmp_path / "ran"
    crafted = export(model, tmp_path / "crafted.safetensors", klass="os.system",
                     args=[f"touch {marker}"], kwargs={})  # fmt: skip
    with pytest.raises(SeparationError, match="not a Demucs model class"):
        load_separator(str(crafted))
    assert not marker.exists()
    (tmp_path / "junk.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(SeparationError, match="cannot read Demucs weights"):
        load_separator(str(tmp_path / "junk.safetensors"))


def test_transcribe_separate_writes_the_outputs_of_the_separated_drums(tmp_path, small, capsys):
    _, path = small
    song = tmp_path / "song.wav"
    from drummernet.audio import load_audio

    write_audio(song, load_audio(EXAMPLE)[: 16000 * 6], 16000)
    code = main(["transcribe", str(song), "--separate", str(path), "--format", "json", "mid",
                 "--out-dir", str(tmp_path / "out"), "-q"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    written = json.loads((tmp_path / "out" / "song.json").read_text())
    assert written["source"] == str(song)
    assert (tmp_path / "out" / "song.mid").is_file()


def test_missing_weights_or_demucs_is_one_line_before_any_file(tmp_path, capsys):
    env_code = (
        "import sys\n"
        "sys.modules['demucs'] = None  # as if it were not installed\n"
        "from drummernet.cli import main\n"
        f"sys.exit(main(['transcribe', {str(EXAMPLE)!r}, '--separate', '--out-dir', "
        f"{str(tmp_path)!r}]))\n"
    )
    out = subprocess.run([sys.executable, "-c", env_code], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert "needs Demucs" in out.stderr and "drummernet[separate]" in out.stderr
    assert not list(tmp_path.iterdir())
    code = main(["transcribe", str(EXAMPLE), "--separate", str(tmp_path / "none.safetensors"),
                 "--out-dir", str(tmp_path)])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "no such Demucs weights file" in err[0]


def test_htdemucs_missing_from_the_hugging_face_cache_says_how_to_fetch_it(tmp_path, monkeypatch,
                                                                           capsys):  # fmt: skip
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    code = main(["transcribe", str(EXAMPLE), "--separate", "--out-dir", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    assert "not in the Hugging Face cache" in err[0] and "get_model" in err[0]
    assert not (tmp_path / "o").exists()
