"""DrumSynth presets: parsing, each section's sound, names, and kits made of them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from drummernet.cli import main
from drummernet.components import COMPONENTS
from drummernet.errors import KitError
from drummernet.kits import drumsynth as ds

SR = 16000
OFF = {s: f"[{s}]\nOn=0\n" for s in ("Tone", "Noise", "Overtones", "NoiseBand",
                                               "NoiseBand2", "Distortion")}  # fmt: skip


def preset_text(general: str = "", **sections: str) -> str:
    """A v2 preset: every section off unless given."""
    body = {**OFF, **{k: f"[{k}]\nOn=1\n{v}\n" for k, v in sections.items()}}
    return (
        "[General]\nVersion=DrumSynth v2.0\nTuning=0\nStretch=100\nLevel=0\n"
        + general
        + ("\n" + "\n".join(body.values()))
    )


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def peak_hz(shot: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(shot * np.hanning(len(shot))))
    return float(np.fft.rfftfreq(len(shot), 1 / SR)[int(np.argmax(spectrum))])


def centroid(shot: np.ndarray) -> float:
    """Power-weighted spectral centroid, Hz."""
    spectrum = np.abs(np.fft.rfft(shot)) ** 2
    return float((spectrum * np.fft.rfftfreq(len(shot), 1 / SR)).sum() / spectrum.sum())


TONE = "Level=128\nF1=200\nF2=200\nDroop=0\nPhase=0\nEnvelope=0,100 22050,100 22051,0"


def test_a_tone_sounds_at_its_frequency_and_tuning_moves_it(tmp_path):
    preset = ds.read_preset(write(tmp_path, "t.ds", preset_text(Tone=TONE)))
    shot = ds.render(preset, SR)
    assert shot.dtype == np.float32 and float(np.abs(shot).max()) == pytest.approx(1.0)
    assert peak_hz(shot[:8000]) == pytest.approx(200, abs=4)
    assert peak_hz(ds.render(preset, SR, tuning=12.0)[:8000]) == pytest.approx(400, abs=4)
    # the envelope's last point is 0.5 s at 44.1 kHz: silent after it
    assert np.abs(shot[int(0.51 * SR) :]).max() == 0
    assert len(shot) == 2400 + 1200 * (8000 // 1200)  # the format's length rule


def test_droop_makes_the_pitch_fall_and_stretch_lengthens_every_envelope(tmp_path):
    falling = (
        TONE.replace("F1=200", "F1=400").replace("F2=200", "F2=100").replace("Droop=0", "Droop=40")
    )
    preset = ds.read_preset(write(tmp_path, "d.ds", preset_text(Tone=falling)))
    shot = ds.render(preset, SR)
    assert peak_hz(shot[:1024]) > 1.6 * peak_hz(shot[6000:7024])
    longer = ds.render(preset, SR, stretch=1.5)
    assert np.flatnonzero(longer)[-1] == pytest.approx(1.5 * np.flatnonzero(shot)[-1], rel=0.01)


def test_noise_band_sits_around_its_frequency_and_white_noise_spreads(tmp_path):
    band = "Level=128\nF=3000\ndF=20\nEnvelope=0,100 8000,100 8001,0"
    shot = ds.render(ds.read_preset(write(tmp_path, "b.ds", preset_text(NoiseBand=band))), SR)
    assert peak_hz(shot) == pytest.approx(3000, rel=0.1)
    noise = "Level=128\nSlope=0\nEnvelope=0,100 8000,100 8001,0"
    white = ds.render(ds.read_preset(write(tmp_path, "n.ds", preset_text(Noise=noise))), SR)
    assert 3000 < centroid(white[:4000]) < 5000  # flat up to 8 kHz: centroid near 4 kHz
    darker = noise.replace("Slope=0", "Slope=-80")  # a negative slope low-passes
    low = ds.render(ds.read_preset(write(tmp_path, "l.ds", preset_text(Noise=darker))), SR)
    assert centroid(low[:4000]) < 0.7 * centroid(white[:4000])


def test_the_808_cymbal_method_rings_high_and_the_filter_darkens(tmp_path):
    cymbal = ("Level=128\nF1=540\nWave1=4\nTrack1=0\nF2=800\nWave2=4\nTrack2=0\nMethod=3\n"
              "Param=50\nEnvelope1=0,100 20000,0\nEnvelope2=0,100 20000,100\nFilter=0")  # fmt: skip
    shot = ds.render(ds.read_preset(write(tmp_path, "c.ds", preset_text(Overtones=cymbal))), SR)
    assert centroid(shot) > 2500 and np.isfinite(shot).all()
    filtered = preset_text("Filter=1\nHighPass=0\nResonance=0\nFilterEnv=0,20 443000,20\n",
                           Overtones=cymbal)  # fmt: skip
    dark = ds.render(ds.read_preset(write(tmp_path, "f.ds", filtered)), SR)
    assert centroid(dark) < 0.7 * centroid(shot)


def test_distortion_reduces_bits(tmp_path):
    crushed = ds.read_preset(write(tmp_path, "x.ds", preset_text(
        Tone=TONE, Distortion="Clipping=0\nBits=5\nRate=3")))  # fmt: skip
    shot = ds.render(crushed, SR)
    assert 1 < len(np.unique(shot)) < 40  # 4^5 steps of 128^2: a handful of levels, held


@pytest.mark.parametrize(
    ("text", "message"),
    [("[General]\nVersion=Something else\n", "not a DrumSynth v1/v2 preset"),
     ("[General\nVersion", "not a DrumSynth preset"), (None, "cannot read DrumSynth preset")],
)  # fmt: skip
def test_a_file_that_is_no_preset_is_one_error_naming_it(tmp_path, text, message):
    path = tmp_path / "bad.ds"
    if text is not None:
        path.write_text(text)
    with pytest.raises(KitError, match=message) as info:
        ds.read_preset(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("name", "component"),
    [("tr808/Hat_o.ds", "HH_OHH"), ("tr909/Hat-c2.ds", "HH_CHH"), ("acoustic/Ride2.ds", "CY_RDC"),
     ("cr78/Cymbal.ds", "CY_CRC"), ("tr808/Tom_lo.ds", "TT"), ("misc/it's_like_that_snare.ds",
     "SD_SD"), ("misc/amen_bd.ds", "KD_KD"), ("r_n_b/k_muffle.ds", "KD_KD"),
     ("misc_hats/threshold_noise.ds", "HH_CHH"), ("misc_hats/threshold_noise_open.ds", "HH_OHH"),
     ("latin/Tamb_hit.ds", "OT_TMB"), ("misc_hats/pedal_hh.ds", "HH_PHH"),
     ("instrument/flute.ds", None), ("misc/tomita_clip.ds", None), ("r_n_b/snare&hat.ds", None)],
)  # fmt: skip
def test_presets_are_named_by_their_file_names(name, component):
    assert ds.classify(name) == component


def presets_folder(tmp_path):
    """Two presets of each family a kit needs (no pedal hat: drawn from closed ones)."""
    folder = tmp_path / "presets"
    tone = TONE.replace("22050,100 22051,0", "4000,100 4001,0")
    for name, hz in [
        ("acoustic/Kick", 60),
        ("misc/deep_bd", 50),
        ("acoustic/Snare", 250),
        ("misc/hot_snare", 300),
        ("tr808/Tom_hi", 220),
        ("linn/linn_tom2", 180),
    ]:
        write(folder, name + ".ds", preset_text(Tone=tone.replace("200", str(hz))))
    for name, hz in [
        ("tr808/Hat_c", 7000),
        ("tr909/Hat-c", 6500),
        ("tr808/Hat_o", 6000),
        ("r_n_b/Hat_O", 5500),
        ("acoustic/Ride", 4000),
        ("acoustic/Ride2", 4200),
        ("cr78/Cymbal", 5000),
        ("misc/cymbal", 4500),
        ("cr78/Tamb", 6000),
        ("linn/linn_tamb", 6200),
    ]:
        write(folder, name + ".ds", preset_text(
            NoiseBand=f"Level=128\nF={hz}\ndF=60\nEnvelope=0,100 3000,30 9000,0"))  # fmt: skip
    write(folder, "instrument/flute.ds", preset_text(Tone=tone))
    return folder


def test_kits_of_presets_have_every_component_toms_high_to_low(tmp_path):
    kits = ds.write_drumsynth_kits(tmp_path / "out", 3, seed=4, presets=presets_folder(tmp_path))
    assert [k.name for k in kits] == [f"drumsynth-4-000{i}" for i in range(3)]
    for kit in kits:
        assert set(kit.layers) == set(COMPONENTS)
        manifest = json.loads((kit.path / "kit.json").read_text())
        assert "GPL-2+" in manifest["license"] and "flute" not in manifest["attribution"]
        assert "HH_PHH" in manifest["attribution"]  # a closed hat, shortened
    shots, chosen = ds.drumsynth_kit(ds.preset_pools(presets_folder(tmp_path / "again")),
                                     np.random.default_rng([4, 0]))  # fmt: skip
    toms = [peak_hz(shots[c]) for c in ("TT_HIT", "TT_MHT", "TT_HFT")]
    assert toms[0] > toms[1] > toms[2]  # one preset tuned 3-5 semitones apart, highest first
    assert len({chosen[c] for c in ("TT_HIT", "TT_MHT", "TT_HFT")}) == 1
    assert peak_hz(shots["KD_KD"]) < 100
    assert len(shots["HH_PHH"]) < len(shots["HH_CHH"]) or chosen["HH_PHH"] != chosen["HH_CHH"]
    # kit i is drawn from (seed, i) alone: the same kit again, byte for byte
    again, _ = ds.drumsynth_kit(ds.preset_pools(presets_folder(tmp_path / "third")),
                                np.random.default_rng([4, 0]))  # fmt: skip
    assert all(np.array_equal(shots[c], again[c]) for c in shots)


def test_cli_builds_drumsynth_kits_and_refuses_a_missing_folder_in_one_line(tmp_path, capsys):
    folder = presets_folder(tmp_path)
    out = tmp_path / "kits"
    assert main(["kits", "build", "drumsynth", str(folder), "--count", "2", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["drumsynth-0-0000", "drumsynth-0-0001"]
    code = main(["kits", "build", "drumsynth", str(folder), "--count", "1", "--out", str(out)])
    assert code != 0 and "exists" in capsys.readouterr().err
    code = main(["kits", "build", "drumsynth", str(tmp_path / "none"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code != 0 and "apt install lmms-common" in err and len(err.strip().splitlines()) == 1


def test_toms_from_a_preset_each_are_still_named_high_to_low(tmp_path):
    pools = ds.preset_pools(presets_folder(tmp_path))
    mixed = 0
    for seed in range(6):
        shots, chosen = ds.drumsynth_kit(pools, np.random.default_rng(seed), tom_presets="each")
        pitches = [peak_hz(shots[c]) for c in ("TT_HIT", "TT_MHT", "TT_HFT")]
        assert pitches == sorted(pitches, reverse=True)
        mixed += len({chosen[c] for c in ("TT_HIT", "TT_MHT", "TT_HFT")}) > 1
    assert mixed  # two tom presets in the folder: some kits mix them
    with pytest.raises(KitError, match="tom_presets is one or each"):
        ds.drumsynth_kit(pools, np.random.default_rng(0), tom_presets="some")


def test_non_finite_values_in_a_preset_are_skipped_as_unreadable(tmp_path):
    crafted = TONE.replace("22051,0", "inf,0 nan,5").replace("F2=200", "F2=1e999")
    preset = ds.read_preset(write(tmp_path, "x.ds", preset_text(Tone=crafted)))
    assert preset.envelope("tone").tolist() == [[0.0, 1.0], [22050.0, 1.0]]  # inf, nan: skipped
    assert preset.number("tone", "F2", 120.0) == 120.0  # the format's default
    shot = ds.render(preset, SR)
    assert np.isfinite(shot).all() and len(shot) < 2 * SR


def test_a_preset_that_cannot_be_rendered_stops_the_build_in_one_line(tmp_path, capsys,
                                                                      monkeypatch):  # fmt: skip
    def broken(preset, *args, **kwargs):
        if preset.path.name == "Kick.ds":
            raise ValueError("cannot convert float NaN to integer")
        return np.ones(100, np.float32)

    monkeypatch.setattr(ds, "render", broken)
    folder = presets_folder(tmp_path)
    code = main(["kits", "build", "drumsynth", str(folder), "--count", "4", "--seed", "1",
                 "--out", str(tmp_path / "kits")])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1
    assert "Kick.ds: cannot render this DrumSynth preset" in err[0]
