"""Procedural kits: each family sounds like itself, every draw differs, kits load."""

import numpy as np
import pytest

from drummernet.cli import main
from drummernet.components import COMPONENTS
from drummernet.kits.library import get_kit
from drummernet.kits.procedural import membrane, metal, procedural_kit

SR = 16000


def spectrum_share(shot, low, high):
    """Share of the one-shot's energy between ``low`` and ``high`` Hz."""
    power = np.abs(np.fft.rfft(shot)) ** 2
    freqs = np.fft.rfftfreq(len(shot), 1 / SR)
    return power[(freqs >= low) & (freqs < high)].sum() / power.sum()


def peak_hz(shot, start_s=0.0, seconds=0.2):
    """The strongest frequency of a stretch of the one-shot."""
    part = shot[round(start_s * SR) : round((start_s + seconds) * SR)] * np.hanning(
        round(seconds * SR)
    )
    power = np.abs(np.fft.rfft(part, 8 * len(part)))
    return np.fft.rfftfreq(8 * len(part), 1 / SR)[np.argmax(power)]


def level_db(shot, at_s, width_s=0.05):
    """RMS level (dB) of a stretch at ``at_s`` against the first ``width_s``."""
    n = round(width_s * SR)
    later = shot[round(at_s * SR) : round(at_s * SR) + n]
    return 10 * np.log10(np.mean(later**2) / np.mean(shot[:n] ** 2) + 1e-12)


def draws(family, component, n=12):
    return [family(np.random.default_rng(seed), component, SR) for seed in range(n)]


def test_every_one_shot_is_finite_peak_one_and_ends_without_a_click():
    kit = procedural_kit(3)
    assert set(kit) == set(COMPONENTS)
    for component, shot in kit.items():
        assert shot.dtype == np.float32 and np.isfinite(shot).all(), component
        assert np.max(np.abs(shot)) == pytest.approx(1.0), component
        assert abs(float(shot[-1])) < 1e-3, component


def test_the_same_seed_gives_the_same_kit_and_another_seed_another():
    a, b, c = procedural_kit(7), procedural_kit(7), procedural_kit(8)
    assert all(np.array_equal(a[k], b[k]) for k in COMPONENTS)
    assert not any(np.array_equal(a[k], c[k]) for k in COMPONENTS)


def test_kicks_are_low_glide_down_and_differ_from_draw_to_draw():
    kicks = draws(membrane, "KD_KD")
    assert np.median([spectrum_share(k, 0, 250) for k in kicks]) > 0.5
    # the pitch falls after the strike: the first 30 ms sit higher than 0.1-0.3 s
    falls = [peak_hz(k, 0.0, 0.03) > peak_hz(k, 0.1, 0.2) for k in kicks]
    assert np.mean(falls) >= 0.75
    pitches = {round(peak_hz(k, 0.1, 0.2)) for k in kicks}
    assert len(pitches) >= 8  # domain randomisation: the draws are different drums


def test_toms_are_pitched_high_to_floor_and_ring_longer_than_a_snare():
    median = {c: np.median([peak_hz(s, 0.05, 0.2) for s in draws(membrane, c)])
              for c in ("TT_HIT", "TT_MHT", "TT_HFT")}  # fmt: skip
    assert median["TT_HIT"] > median["TT_MHT"] > median["TT_HFT"]
    assert 60 < median["TT_HFT"] < 160 and 140 < median["TT_HIT"] < 300
    toms = np.median([level_db(s, 0.25) for s in draws(membrane, "TT_MHT")])
    snares = np.median([level_db(s, 0.25) for s in draws(membrane, "SD_SD")])
    assert toms > snares + 6


def test_snares_have_a_pitched_body_and_bright_wires():
    snares = draws(membrane, "SD_SD")
    assert np.median([spectrum_share(s, 1000, 8000) for s in snares]) > 0.4
    assert np.median([spectrum_share(s, 100, 400) for s in snares]) > 0.02


def test_hats_are_bright_and_closed_ones_choke_where_open_ones_ring():
    closed, opened = draws(metal, "HH_CHH"), draws(metal, "HH_OHH")
    for hats in (closed, opened, draws(metal, "HH_PHH")):
        assert np.median([spectrum_share(h, 2000, 8000) for h in hats]) > 0.7
    assert np.median([level_db(h, 0.2) for h in closed]) < -25
    assert np.median([level_db(h, 0.2) for h in opened]) > -15


def test_rides_and_crashes_ring_for_seconds_and_tambourines_are_short_and_high():
    for component in ("CY_RDC", "CY_CRC"):
        assert np.median([level_db(s, 1.0) for s in draws(metal, component)]) > -20
    tambourines = draws(metal, "OT_TMB")
    assert np.median([level_db(s, 0.5) for s in tambourines]) < -20
    assert np.median([spectrum_share(s, 3000, 8000) for s in tambourines]) > 0.5


def test_cli_builds_procedural_kits_that_load_and_refuses_to_overwrite(tmp_path, capsys):
    assert main(["kits", "build", "procedural", "--count", "2", "--seed", "5",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    kit = get_kit(tmp_path / "procedural-5-0001")
    assert not kit.missing and "procedural" in kit.source
    again = procedural_kit(np.random.default_rng([5, 1]))["SD_SD"]
    assert np.allclose(kit.one_shot("SD_SD"), again, atol=1e-3)  # kit i is drawn from (seed, i)
    capsys.readouterr()
    assert main(["kits", "build", "procedural", "--count", "3", "--seed", "5",
                 "--out", str(tmp_path)]) != 0  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exists" in err[0]
    assert not (tmp_path / "procedural-5-0002").exists()  # nothing written


def test_a_folder_of_kits_is_every_kit_in_it_for_training(tmp_path):
    from drummernet.datasets.synthesized import SynthesizedSegments, _draw_kit
    from drummernet.kits.library import get_kits
    from drummernet.kits.procedural import write_procedural_kits

    write_procedural_kits(tmp_path / "many", 3, seed=1)
    assert [k.name for k in get_kits(tmp_path / "many")] == [
        f"procedural-1-{i:04d}" for i in range(3)
    ]
    assert [k.name for k in get_kits("fluidr3-standard")] == ["fluidr3-standard"]
    import mido

    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    for key in (36, 42, 38, 42, 51, 36, 49, 38) * 2:
        track += [mido.Message("note_on", channel=9, note=key, velocity=100, time=240),
                  mido.Message("note_off", channel=9, note=key, velocity=0, time=0)]  # fmt: skip
    midi.tracks.append(track)
    midi.save(tmp_path / "groove.mid")
    data = SynthesizedSegments([tmp_path / "groove.mid"], [tmp_path / "many"])
    names = {k.name for k in get_kits(tmp_path / "many")}
    assert [{k.name for k in group} for group in data.candidates["CY_RDC"]] == [names]
    # a folder of kits is drawn as often as one kit given beside it
    both = SynthesizedSegments([tmp_path / "groove.mid"], ["fluidr3-jazz", tmp_path / "many"])
    rng = np.random.default_rng(0)
    drawn = [_draw_kit(both.candidates["SD_SD"], rng).name for _ in range(400)]
    assert 0.4 < drawn.count("fluidr3-jazz") / 400 < 0.6
    assert {n for n in drawn if n != "fluidr3-jazz"} == names
    audio, target = data[0]
    assert audio.abs().max() == 1 and target.any()
