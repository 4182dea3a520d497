import json

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
    assert "configuration: conv" in out and "segments_seen" in out and "(conv)" in out


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
