import json
import shutil

import pytest

from drummernet.cli import main
from drummernet.config import PRESETS, Config, get_preset
from drummernet.model import AnalysisNetwork, save_model


def test_presets_lists_every_preset(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == list(PRESETS)


def test_config_with_overrides_writes_a_loadable_file(tmp_path):
    out = tmp_path / "c.json"
    assert (
        main(["config", "noe", "--set", "batch_size=4", "--set", "spectrum=mel", "-o", str(out)])
        == 0
    )
    config = Config.load(out)
    assert (config.batch_size, config.spectrum, config.onset_enhancement) == (4, "mel", False)
    assert main(["info", str(out)]) == 0


def test_info_on_a_model_file_shows_its_configuration_and_metadata(tmp_path, capsys):
    path = tmp_path / "m.pt"
    save_model(AnalysisNetwork(get_preset("conv")), path, metadata={"segments_seen": 320})
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "configuration: conv" in out and "segments seen: 320" in out and "(conv)" in out


def test_selfcheck_passes(capsys):
    assert main(["selfcheck", "--seconds", "1"]) == 0
    assert "selfcheck passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["info", "missing.pt"], "missing.pt: model file not found"),
        (["config", "--set", "activation=relu"], "activation must be one of"),
        (["config", "--set", "nonsense"], "KEY=VALUE"),
        (["info", "no-such-preset"], "neither a preset"),
    ],
)
def test_errors_are_one_line_and_non_zero(argv, message, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_config_output_is_json(capsys):
    assert main(["config", "reference-code"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "reference-code"


def test_info_of_an_adapted_model_labels_the_scores_as_its_starting_models():
    from drummernet.introspect import metadata_rows

    scores = {"mdb": {"paper": {"KD": 0.9, "SD": 0.8, "HH": 0.7, "mean": 0.8}, "micro_mean": 0.85}}
    base = {"trained_items": 36000, "trained_steps": 2250, "scores": scores}
    rows = dict(metadata_rows(base))
    assert rows["F1"] == "mdb: KD 0.900 SD 0.800 HH 0.700, mean 0.800 (micro 0.850)"
    adapted = {**base, "adaptation": {"base_model": "default", "adapted_on": ["a.wav"],
                                      "kept_step": 75, "options": {"blend": 0.5}}}  # fmt: skip
    rows = dict(metadata_rows(adapted))
    assert "F1" not in rows and rows["F1 before adapting"].startswith("mdb: KD 0.900")
    assert "kept step 75, saved 50% of the way" in rows["adapted"]


def test_kits_list_has_a_header_and_whole_licence_words(capsys, monkeypatch, tmp_path):
    from drummernet.kits.library import get_kit

    folder = tmp_path / "kits" / "wordy"
    shutil.copytree(get_kit("fluidr3-standard").path, folder)
    manifest = json.loads((folder / "kit.json").read_text())
    manifest["name"] = "wordy"
    manifest["license"] = "Creative Commons Attribution-ShareAlike 4.0 International, see NOTICE"
    (folder / "kit.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("DRUMMERNET_KITS", str(tmp_path / "kits"))
    assert main(["kits", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["kit", "pieces"] and lines[0].endswith("licence")
    (row,) = [line for line in lines if line.startswith("wordy")]
    licence = row.split("complete", 1)[1].strip()
    assert licence.endswith(" ...") and manifest["license"].startswith(licence[:-4])


def test_selfcheck_checks_the_shipped_model_by_default(capsys):
    assert main(["selfcheck", "--seconds", "1"]) == 0
    assert capsys.readouterr().out.startswith("configuration inverse:")
