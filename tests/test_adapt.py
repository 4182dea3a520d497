import numpy as np
import pytest
import torch

from drummernet.audio import write_audio
from drummernet.cli import main
from drummernet.config import get_preset
from drummernet.datasets import Hit
from drummernet.datasets.render import render_hits
from drummernet.errors import DrummerNetError
from drummernet.kits.library import get_kit, kit_one_shots
from drummernet.losses import OnsetSpectrumLoss
from drummernet.model import AnalysisNetwork, load_model, save_model
from drummernet.synth import Synthesizer, prepare_kernels
from drummernet.training import AdaptOptions, adapt
from drummernet.training.adapt import _adapt_loop, _segments, _split_files
from drummernet.training.step import eval_loss

TINY = dict(unet_first_channels=8, unet_channels=8, gru_bidirectional_units=8,
            gru_unidirectional_units=4, segment_seconds=1.0, spectrum="mel")  # fmt: skip


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("adapt")
    torch.manual_seed(0)
    save_model(AnalysisNetwork(get_preset("paper").replace(**TINY)), root / "base.pt")
    rng = np.random.default_rng(1)
    pieces = rng.choice(["KD_KD", "SD_SD", "HH_CHH"], 32)
    hits = [Hit(0.25 * i, str(c), 100) for i, c in enumerate(pieces)]
    audio, _, _ = render_hits(hits, get_kit("fluidr3-power"))
    write_audio(root / "song.flac", audio, 16000)
    return root


def test_adapt_changes_weights_respects_the_step_bound_and_keeps_the_base(setup, tmp_path):
    base_bytes = (setup / "base.pt").read_bytes()
    model = load_model(setup / "base.pt")
    out = tmp_path / "adapted.pt"
    options = AdaptOptions(steps=6, batch_size=2, eval_every=2, patience=10, progress=False,
                           learning_rate=1e-3)  # fmt: skip
    summary = adapt(model, [setup / "song.flac"], out, options=options,
                    model_path=str(setup / "base.pt"))  # fmt: skip
    assert summary["steps_run"] == 6 and [h["step"] for h in summary["history"]] == [0, 2, 4, 6]
    losses = [h["held_loss"] for h in summary["history"]]
    assert summary["kept_step"] == summary["history"][int(np.argmin(losses))]["step"]
    adapted = load_model(out)
    # the saved weights are the kept ones: their held-back loss, measured afresh, is reported
    config = adapted.config
    length = round(config.segment_seconds * config.sample_rate)
    _, held_parts, _, _ = _split_files([setup / "song.flac"], config.sample_rate, length, 0.2)
    held = _segments(held_parts, options.held_segments, length, np.random.default_rng(12345))
    kernels = prepare_kernels(kit_one_shots(get_kit("fluidr3-standard"), config.components)[0],
                              config)  # fmt: skip
    measured = eval_loss(adapted, Synthesizer(kernels), OnsetSpectrumLoss(config), held)
    assert measured == pytest.approx(summary["held_loss_after"], abs=1e-4)
    assert adapted.metadata["adaptation"]["adapted_on"] == [str(setup / "song.flac")]
    if summary["kept_step"]:
        changed = any(not torch.equal(a, b) for a, b in zip(
            model.state_dict().values(), adapted.state_dict().values(), strict=True))  # fmt: skip
        assert changed
    assert (setup / "base.pt").read_bytes() == base_bytes
    assert "Adapted without labels" in out.with_suffix(".md").read_text()


def test_adapt_stops_after_patience_and_keeps_the_best_weights():
    """Scripted held-back losses: best at step 4, then two worse measurements."""
    net = torch.nn.Linear(1, 1, bias=False)
    scripted = iter([5.0, 4.0, 3.0, 3.5, 3.2, 1.0])  # steps 0, 2, 4, 6, 8, (10: never reached)

    def step(batch):
        with torch.no_grad():
            net.weight += 1.0  # the weight counts the steps taken
        return 0.0

    options = AdaptOptions(steps=20, eval_every=2, patience=2, progress=False)
    best, state, kept, history = _adapt_loop(net, lambda: None, lambda: next(scripted), step,
                                             options)  # fmt: skip
    assert [h["step"] for h in history] == [0, 2, 4, 6, 8]
    assert (best, kept) == (3.0, 4)
    assert float(state["weight"]) == float(net.weight.detach()) - 4  # step 4, not 8


def test_adapt_refuses_to_overwrite_its_input_and_needs_audio(setup, tmp_path, capsys):
    model = load_model(setup / "base.pt")
    with pytest.raises(DrummerNetError, match="never overwrites"):
        adapt(model, [setup / "song.flac"], setup / "base.pt", model_path=str(setup / "base.pt"))
    (tmp_path / "junk.wav").write_bytes(b"junk")
    with pytest.raises(DrummerNetError, match="no usable audio"):
        adapt(model, [tmp_path / "junk.wav"], tmp_path / "x.pt")
    args = ["adapt", str(setup / "song.flac"), "--model", str(setup / "base.pt"), "--quiet",
            "--steps", "2", "--out"]  # fmt: skip
    assert main([*args, str(setup / "base.pt")]) == 1
    assert "exists" in capsys.readouterr().err
    assert main([*args, str(tmp_path / "new.pt")]) == 0
    assert "held-back loss" in capsys.readouterr().out
