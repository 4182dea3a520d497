import dataclasses
import json

import pytest

from drummernet.config import PRESET_DESCRIPTIONS, PRESETS, Config, get_preset
from drummernet.errors import ConfigError


def _differences(a: Config, b: Config) -> dict[str, tuple]:
    return {
        f.name: (getattr(a, f.name), getattr(b, f.name))
        for f in dataclasses.fields(Config)
        if getattr(a, f.name) != getattr(b, f.name) and f.name != "name"
    }


def test_paper_preset_derived_numbers():
    config = get_preset("paper")
    assert config.upsample_factor == 16
    assert config.frame_rate == 1000
    assert config.pad_multiple == 1024
    assert config.n_components == 11
    assert config.kernel_samples == 16000


@pytest.mark.parametrize(
    "preset, field, value",
    [
        ("soft", "activation", "softmax"),
        ("mel", "spectrum", "mel"),
        ("stft", "spectrum", "stft"),
        ("noe", "onset_enhancement", False),
        ("conv", "temporal_model", "conv"),
    ],
)
def test_each_ablation_changes_exactly_its_switch(preset, field, value):
    diff = _differences(get_preset("paper"), get_preset(preset))
    assert diff == {field: (getattr(get_preset("paper"), field), value)}


def test_reference_code_preset_uses_code_defaults():
    code = get_preset("reference-code")
    assert (code.unet_first_channels, code.gru_bidirectional_units) == (50, 11)
    assert not code.onset_enhancement and not code.unet_bias
    assert code.band_weight == 4.0 and code.peak_delta == 0.25


def test_every_preset_has_a_description_and_its_own_name():
    assert set(PRESET_DESCRIPTIONS) == set(PRESETS)
    assert all(config.name == name for name, config in PRESETS.items())


@pytest.mark.parametrize("preset", ["reference-code", "lite"])
def test_json_round_trip(tmp_path, preset):
    config = get_preset(preset).replace(batch_size=4)
    path = tmp_path / "c.json"
    path.write_text(config.to_json())
    assert Config.load(path) == config


def test_unknown_key_and_bad_values_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown configuration key"):
        Config.from_dict({"not_a_field": 1})
    with pytest.raises(ConfigError, match="activation"):
        get_preset("paper").replace(activation="relu")
    with pytest.raises(ConfigError, match="unet_decoder_depth"):
        get_preset("paper").replace(unet_decoder_depth=11)
    with pytest.raises(ConfigError, match="Nyquist"):
        get_preset("paper").replace(cqt_n_octaves=9)
    with pytest.raises(ConfigError, match="unknown preset"):
        get_preset("papr")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        Config.load(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        Config.load(tmp_path / "missing.json")


def test_config_is_immutable_and_json_serialisable():
    config = get_preset("paper")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.batch_size = 3  # type: ignore[misc]
    assert json.loads(config.to_json())["components"][0] == "KD_KD"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"lite_short_fft": 128, "lite_long_fft": 512}, "lite_long_bins"),  # 96 > 65 bins
        ({"lite_long_fft": 1000}, "lite_long_fft"),
        ({"lite_long_fft": 256 * 32}, "lite_long_fft"),  # decimation 32 does not divide 16
        ({"lite_dilations": (1, 0)}, "lite_dilations"),
    ],
)
def test_lite_settings_that_cannot_build_are_config_errors(changes, message):
    with pytest.raises(ConfigError, match=message):
        get_preset("lite").replace(**changes)
    get_preset("lite").replace(lite_short_fft=128, lite_long_fft=512, lite_long_bins=48)
