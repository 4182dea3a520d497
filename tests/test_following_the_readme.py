"""What a new user hit following the README line by line (issue 14), pinned."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from drummernet.cli import main
from drummernet.config import get_preset
from drummernet.kits.library import DEFAULT_FALLBACKS, default_fallbacks, get_kit
from drummernet.model import AnalysisNetwork, save_model
from drummernet.transcription import get_model
from drummernet.transcription.notes import PeakPicking

EXAMPLES = Path(__file__).parents[1] / "drummernet" / "examples"


def test_commands_that_do_not_run_the_network_import_neither_torch_nor_librosa():
    heavy = "('torch', 'librosa', 'matplotlib')"
    code = ("import sys; from drummernet.cli import main; main(['presets']); "
            "main(['kits', 'list']); "
            f"print(sorted(m for m in {heavy} if m in sys.modules))")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_threshold_overrides_are_the_same_in_transcribe_and_evaluate():
    """--threshold HH=0.1 keeps the model's tuned KD/SD thresholds (one code path)."""
    net = get_model()
    tuned = PeakPicking.for_model(net)
    changed = PeakPicking.with_overrides(net, thresholds={"HH": 0.1})
    assert changed.deltas["HH"] == 0.1
    assert {k: v for k, v in changed.deltas.items() if k != "HH"} == {
        k: v for k, v in tuned.deltas.items() if k != "HH"
    }
    assert tuned.deltas.get("KD") not in (None, tuned.delta)  # the model has tuned ones


def test_one_fallback_rule_for_missing_components(capsys):
    assert [k.name for k in default_fallbacks(get_kit("fluidr3-brush"))] == list(DEFAULT_FALLBACKS)
    assert main(["kits", "show", "fluidr3-brush"]) == 0
    out = capsys.readouterr().out
    if "filled from" in out:
        assert all(f"filled from {DEFAULT_FALLBACKS[0]}" in line
                   for line in out.splitlines() if "filled from" in line)  # fmt: skip


def test_built_kits_are_findable_or_the_error_says_how(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DRUMMERNET_KITS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    shots = tmp_path / "shots"
    shots.mkdir()
    import shutil

    kit = get_kit("fluidr3-standard")
    for component in ("KD_KD", "SD_SD", "HH_CHH"):
        shutil.copy(kit.path / kit.layers[component][0].file, shots / f"{component}.flac")
    out = tmp_path / "elsewhere"
    assert main(["kits", "build", "folder", str(shots), "--name", "mine", "--out", str(out)]) == 0
    assert "DRUMMERNET_KITS" in capsys.readouterr().err  # built off the search path: says how
    assert main(["kits", "show", "mine"]) == 1
    assert "DRUMMERNET_KITS" in capsys.readouterr().err
    monkeypatch.setenv("DRUMMERNET_KITS", str(out))
    assert main(["kits", "show", "mine"]) == 0


def test_ablation_draws_figure_8_and_refuses_unknown_extensions(tmp_path, capsys):
    torch.manual_seed(0)
    tiny = dict(unet_first_channels=8, unet_channels=8, gru_bidirectional_units=8,
                gru_unidirectional_units=4)  # fmt: skip
    model = tmp_path / "paper.pt"
    save_model(AnalysisNetwork(get_preset("fast").replace(**tiny)), model)
    args = ["ablation", str(EXAMPLES), "--models", f"paper={model}", "--max-seconds", "4"]
    assert main([*args, "-o", str(tmp_path / "figure8.png")]) == 0
    assert (tmp_path / "figure8.png").read_bytes()[:4] == b"\x89PNG"
    assert main([*args, "-o", str(tmp_path / "table.txt")]) == 1
    assert "unknown" in capsys.readouterr().err and not (tmp_path / "table.txt").exists()


def test_render_names_the_splits_and_limits_the_files(tmp_path, capsys):
    gmd = Path(__file__).resolve().parents[2] / "shared" / "data" / "groove-midi"
    if not gmd.is_dir():
        pytest.skip("needs ../shared/data/groove-midi")
    with pytest.raises(SystemExit):  # argparse: invalid choice, naming the valid ones
        main(["render", str(gmd), "--split", "valid", "--kit", "fluidr3-standard",
              "--out", str(tmp_path / "x")])  # fmt: skip
    assert "validation" in capsys.readouterr().err
    out = tmp_path / "two"
    assert main(["render", str(gmd), "--split", "validation", "--limit", "2", "--dry",
                 "--kit", "fluidr3-standard", "--out", str(out)]) == 0  # fmt: skip
    assert len(json.loads((out / "render.json").read_text())["tracks"]) == 2
    midi = next(gmd.rglob("*.mid"))
    assert main(["render", str(midi), "--split", "train", "--kit", "fluidr3-standard",
                 "--out", str(tmp_path / "y")]) == 1  # fmt: skip
    assert "--split" in capsys.readouterr().err


def test_info_describes_the_shipped_model_and_the_decimated_cqt(capsys):
    assert main(["info"]) == 0
    assert "the shipped default model" in capsys.readouterr().out
    assert main(["info", "fast"]) == 0
    assert "decimated" in capsys.readouterr().out
