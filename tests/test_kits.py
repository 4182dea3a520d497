import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from drummernet.cli import main
from drummernet.components import COMPONENTS
from drummernet.config import get_preset
from drummernet.errors import KitError
from drummernet.kits.builders import (
    HYDROGEN_KIT_FOLDERS,
    SOUNDFONT_FILES,
    build_from_folder,
    build_from_hydrogen,
    build_from_soundfont,
    build_system_kits,
    component_for_name,
    notes_midi,
    prepare_one_shot,
    soundfont_presets,
)
from drummernet.kits.library import get_kit, kit_one_shots, list_kits, load_kit
from drummernet.synth import prepare_kernels

SR = 44100


def _hit(freq: float, seconds: float = 0.5, delay: float = 0.0, level: float = 0.8) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    y = level * np.sin(2 * np.pi * freq * t) * np.exp(-t / 0.1)
    return np.concatenate([np.zeros(int(delay * SR)), y])


@pytest.mark.parametrize(
    "name, component",
    [
        ("Kick", "KD_KD"),
        ("BassDrum", "KD_KD"),
        ("c3 - bass drum 1", "KD_KD"),
        ("Snare Jazz", "SD_SD"),
        ("Pearl Side Stick", None),
        ("Closed HH", "HH_CHH"),
        ("Hi Hat Closed", "HH_CHH"),
        ("VariBreaks Hat 1 Cl", "HH_CHH"),
        ('Hi-Hat Open (Paiste Alpha Metal edge 14")', "HH_OHH"),
        ("Pedal HH", "HH_PHH"),
        ("Tom Hi", "TT_HIT"),
        ("Pearl Tom 2", "TT_MHT"),
        ("Floor Tom", "TT_HFT"),
        ("b3 - low tom", "TT_HFT"),
        ("Ride Jazz", "CY_RDC"),
        ("Ride Bell", None),
        ("crash16inch", "CY_CRC"),
        ("Tambourine (Pearl PTM-10GH)", "OT_TMB"),
        ("Cowbell", None),
        ("HH_OHH", "HH_OHH"),
        ("BD_Acou_01", "KD_KD"),  # the exadrums samples
        ("Snr_Acou_01", "SD_SD"),
        ("sd1", "SD_SD"),
        ("HiHat", "HH_CHH"),
        ("Tom01", "TT_HIT"),
        ("Tom03", "TT_HFT"),
        ("RideEdge", "CY_RDC"),
        ("RideBell", None),
        ("Crash_High", "CY_CRC"),
    ],
)
def test_instrument_names_map_to_components(name, component):
    assert component_for_name(name) == component


def test_prepare_one_shot_trims_leading_silence_and_normalises():
    y = np.concatenate([np.zeros(800), np.ones(100) * 0.2, np.zeros(30000)])
    shot = prepare_one_shot(y.astype(np.float32), max_seconds=1.0, sample_rate=16000)
    assert shot[0] == pytest.approx(0.9)
    assert len(shot) == 16000 and shot[-1] == 0.0
    with pytest.raises(Exception, match="silent"):
        prepare_one_shot(np.zeros(100, dtype=np.float32), 1.0)


def _hydrogen_kit(folder: Path) -> Path:
    folder.mkdir()
    sf.write(folder / "kick_soft.wav", _hit(60, delay=0.05, level=0.3), SR)
    sf.write(folder / "kick_hard.wav", _hit(60, delay=0.05), SR)
    sf.write(folder / "snare.flac", _hit(200), SR)
    sf.write(folder / "hat.wav", _hit(7000), SR)
    sf.write(folder / "clap.wav", _hit(1000), SR)
    (folder / "broken.wav").write_bytes(b"not audio")
    (folder / "drumkit.xml").write_text(
        """<?xml version="1.0"?>
<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">
 <name>Test Kit</name><author>Someone</author><license>CC0</license>
 <instrumentList>
  <instrument><id>0</id><name>Kick</name>
   <layer><filename>kick_soft.wav</filename><min>0</min><max>0.5</max></layer>
   <layer><filename>kick_hard.wav</filename><min>0.5</min><max>1</max></layer>
  </instrument>
  <instrument><id>1</id><name>Snare Rock</name><filename>snare.flac</filename></instrument>
  <instrument><id>2</id><name>Hand Clap</name><filename>clap.wav</filename></instrument>
  <instrument><id>3</id><name>Closed HH</name><filename>hat.wav</filename></instrument>
  <instrument><id>4</id><name>Crash</name><filename>broken.wav</filename></instrument>
 </instrumentList>
</drumkit_info>"""
    )
    return folder


def test_build_from_hydrogen(tmp_path):
    warnings: list[str] = []
    kit = build_from_hydrogen(_hydrogen_kit(tmp_path / "h2"), tmp_path / "out", warnings=warnings)
    assert kit.name == "hydrogen-test-kit"
    assert kit.license == "CC0" and kit.attribution == "Someone"
    assert set(kit.layers) == {"KD_KD", "SD_SD", "HH_CHH"}  # clap unknown, crash unreadable
    assert len(warnings) == 1 and "CY_CRC" in warnings[0] and "broken.wav" in warnings[0]
    kick = kit.layers["KD_KD"]
    assert [(lay.min_velocity, lay.max_velocity) for lay in kick] == [(1, 64), (64, 127)]
    reloaded = load_kit(tmp_path / "out")
    assert reloaded.layers == kit.layers
    shot = reloaded.one_shot("KD_KD", velocity=30)
    assert shot.dtype == np.float32 and abs(np.max(np.abs(shot)) - 0.9) < 1e-3
    assert np.abs(shot[:10]).max() > 0.01  # the 50 ms of leading silence is gone
    assert kit.missing == [c for c in COMPONENTS if c not in {"KD_KD", "SD_SD", "HH_CHH"}]


def test_build_from_folder_orders_velocity_layers(tmp_path):
    src = tmp_path / "samples"
    src.mkdir()
    sf.write(src / "kick_v40.wav", _hit(50), SR)
    sf.write(src / "kick_v100.wav", _hit(70), SR)
    sf.write(src / "SD_SD.wav", _hit(200), SR)
    sf.write(src / "mystery.wav", _hit(300), SR)
    (src / "notes.txt").write_text("not a sample")
    warnings: list[str] = []
    kit = build_from_folder(src, tmp_path / "kit", name="mine", warnings=warnings)
    assert set(kit.layers) == {"KD_KD", "SD_SD"}
    assert [(lay.min_velocity, lay.max_velocity) for lay in kit.layers["KD_KD"]] == [
        (1, 40),
        (41, 127),
    ]
    assert len(warnings) == 1 and "mystery.wav" in warnings[0]
    soft, loud = kit.one_shot("KD_KD", 20), kit.one_shot("KD_KD", 120)
    freq = lambda y: np.argmax(np.abs(np.fft.rfft(y, 16000)))  # noqa: E731 - 1 Hz bins
    assert abs(freq(soft) - 50) <= 2 and abs(freq(loud) - 70) <= 2
    with pytest.raises(KitError, match="no such folder"):
        build_from_folder(tmp_path / "nope", tmp_path / "x")


def test_bad_kit_folders_are_kit_errors(tmp_path):
    with pytest.raises(KitError, match="not a kit folder"):
        load_kit(tmp_path)
    (tmp_path / "kit.json").write_text("{broken")
    with pytest.raises(KitError, match="invalid JSON at line 1"):
        load_kit(tmp_path)
    (tmp_path / "kit.json").write_text(json.dumps({"components": {"XX": []}}))
    with pytest.raises(KitError, match="unknown component"):
        load_kit(tmp_path)
    (tmp_path / "kit.json").write_text(json.dumps({"components": {"KD_KD": [{"file": "a.wav"}]}}))
    with pytest.raises(KitError, match=r"a\.wav is missing"):
        load_kit(tmp_path)
    with pytest.raises(KitError, match="no kit called"):
        get_kit("no-such-kit")


def test_missing_components_are_filled_from_another_kit_and_reported(tmp_path):
    partial = build_from_hydrogen(_hydrogen_kit(tmp_path / "h2"), tmp_path / "out")
    donor = get_kit("fluidr3-standard")
    shots, notes = kit_one_shots(partial, [donor])
    assert len(shots) == 11 and len(notes) == 8
    assert "TT_HFT from fluidr3-standard" in notes
    np.testing.assert_array_equal(shots[0], partial.one_shot("KD_KD"))
    with pytest.raises(KitError, match="no fallback kit"):
        kit_one_shots(partial, [])


def test_packaged_kits_are_complete_licensed_and_usable():
    packaged = [kit for kit in list_kits() if kit.name.startswith("fluidr3-")]
    assert len(packaged) >= 7
    config = get_preset("paper")
    for kit in packaged:
        assert kit.missing == [] and kit.license == "MIT" and kit.attribution
        kernels = prepare_kernels(kit_one_shots(kit)[0], config)
        assert kernels.shape == (11, 16000)


def test_user_kits_shadow_packaged_ones(tmp_path, monkeypatch):
    shutil.copytree(get_kit("fluidr3-jazz").path, tmp_path / "jazz")
    manifest = json.loads((tmp_path / "jazz" / "kit.json").read_text())
    manifest["source"] = "my copy"
    (tmp_path / "jazz" / "kit.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("DRUMMERNET_KITS", str(tmp_path))
    assert get_kit("fluidr3-jazz").source == "my copy"


@pytest.mark.skipif(
    shutil.which("fluidsynth") is None or not SOUNDFONT_FILES[0].is_file(),
    reason="needs fluidsynth and fluid-soundfont-gm (make system-kits installs them)",
)
def test_build_from_soundfont_renders_velocity_layers(tmp_path):
    kit = build_from_soundfont(SOUNDFONT_FILES[0], tmp_path / "sf", 0, "sf", velocities=(40, 127))
    assert kit.missing == []
    assert [(lay.min_velocity, lay.max_velocity) for lay in kit.layers["KD_KD"]] == [
        (1, 40),
        (41, 127),
    ]
    kick, hat = kit.one_shot("KD_KD"), kit.one_shot("HH_CHH")
    power = lambda y: np.abs(np.fft.rfft(y, 16000)) ** 2  # noqa: E731 - 1 Hz bins
    centroid = lambda y: np.sum(power(y) * np.arange(8001)) / np.sum(power(y))  # noqa: E731
    assert centroid(kick) < 500 and centroid(hat) > 3000


def test_a_soundfont_kit_outside_the_drum_bank_is_played_on_a_melodic_channel():
    def played(midi):  # (channel, bank selected, program, notes) of the note messages
        messages = [m for m in midi.tracks[0] if not m.is_meta]
        bank = [m.value for m in messages if m.type == "control_change" and m.control == 0]
        program = [m.program for m in messages if m.type == "program_change"]
        notes = [(m.channel, m.note) for m in messages if m.type == "note_on"]
        return bank, program, notes

    notes = [(36, 98), (38, 98)]
    assert played(notes_midi(3, notes, 1.0)) == ([1], [3], [(9, 36), (9, 38)])
    assert played(notes_midi(0, notes, 1.0, bank=0)) == ([0], [0], [(0, 36), (0, 38)])
    assert played(notes_midi(5, notes, 1.0, bank=2)) == ([2], [5], [(0, 36), (0, 38)])


def _soundfont(path: Path, presets: list[tuple[str, int, int]]) -> Path:
    """A SoundFont file holding only the RIFF structure and these preset headers."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return tag + len(body).to_bytes(4, "little") + body + b"\0" * (len(body) & 1)

    records = [name.encode().ljust(20, b"\0") + program.to_bytes(2, "little")
               + bank.to_bytes(2, "little") + bytes(14)
               for name, bank, program in [*presets, ("EOP", 0, 0)]]  # fmt: skip
    body = (b"sfbk" + chunk(b"LIST", b"INFO" + chunk(b"ifil", bytes(4)))
            + chunk(b"LIST", b"sdta" + chunk(b"smpl", bytes(3)))
            + chunk(b"LIST", b"pdta" + chunk(b"phdr", b"".join(records))))  # fmt: skip
    path.write_bytes(chunk(b"RIFF", body))
    return path


def test_a_soundfonts_presets_are_read_and_a_missing_one_is_named(tmp_path, capsys):
    font = _soundfont(tmp_path / "kits.sf2", [("Acoustic", 0, 0), ("Brushes", 128, 40)])
    assert soundfont_presets(font) == [("Acoustic", 0, 0), ("Brushes", 128, 40)]
    with pytest.raises(KitError, match=r"no preset at bank 128, program 0; it has 'Brushes'"):
        build_from_soundfont(font, tmp_path / "out")
    assert main(["kits", "build", "soundfont", str(font), "--bank", "5", "--out",
                 str(tmp_path / "out")]) == 1  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'Acoustic' (bank 0, program 0), 'Brushes'" in err[0]
    (tmp_path / "not.sf2").write_bytes(b"RIFF\0\0\0\0WAVEfmt ")
    with pytest.raises(KitError, match="not a SoundFont"):
        soundfont_presets(tmp_path / "not.sf2")
    assert not (tmp_path / "out").exists()
    if SOUNDFONT_FILES[0].is_file():  # the real FluidR3 GM: its Standard drum kit
        assert ("Standard", 128, 0) in soundfont_presets(SOUNDFONT_FILES[0])


@pytest.mark.skipif(
    shutil.which("fluidsynth") is None or not SOUNDFONT_FILES[0].is_file(),
    reason="needs fluidsynth and fluid-soundfont-gm (make system-kits installs them)",
)
def test_two_presets_of_one_soundfont_are_built_into_two_kits(tmp_path, capsys):
    for program in ("8", "16"):
        build = ["kits", "build", "soundfont", str(SOUNDFONT_FILES[0]), "--program", program]
        assert main([*build, "--out", str(tmp_path)]) == 0
    stem = SOUNDFONT_FILES[0].stem.lower()
    room, power = load_kit(tmp_path / f"{stem}-8"), load_kit(tmp_path / f"{stem}-16")
    assert (room.name, power.name) == (f"{stem}-8", f"{stem}-16")
    assert not np.array_equal(room.one_shot("SD_SD"), power.one_shot("SD_SD"))


def test_kits_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DRUMMERNET_KITS", str(tmp_path / "user"))
    src = tmp_path / "samples"
    src.mkdir()
    sf.write(src / "kick.wav", _hit(50), SR)
    assert main(["kits", "build", "folder", str(src), "--name", "mykit"]) == 0
    assert "built mykit: 1/11" in capsys.readouterr().out
    assert main(["kits", "list"]) == 0
    out = capsys.readouterr().out
    assert "mykit" in out and "fluidr3-standard" in out
    assert main(["kits", "show", "mykit"]) == 0
    assert "SD_SD   snare drum     MISSING, filled from" in capsys.readouterr().out
    assert main(["kits", "build", "hydrogen"]) == 1
    assert "needs a PATH" in capsys.readouterr().err
    assert main(["kits", "build", "hydrogen", str(tmp_path / "nowhere")]) == 1
    assert "cannot read Hydrogen drumkit" in capsys.readouterr().err


@pytest.mark.skipif(
    not HYDROGEN_KIT_FOLDERS[0].is_dir(),
    reason="needs the Debian package hydrogen-drumkits (make system-deps installs it)",
)
def test_build_system_hydrogen_kits(tmp_path):
    warnings: list[str] = []
    kits = build_system_kits(tmp_path, warnings=warnings, velocities=(98,))
    names = {kit.name for kit in kits}
    assert "hydrogen-forzee-stereo-drumkit" in names
    assert not any("afrique" in name for name in names)  # a djembe set, not a drum kit
    hydrogen = [kit for kit in kits if kit.name.startswith("hydrogen-")]
    assert len(hydrogen) >= 8
    assert all({"KD_KD", "SD_SD", "HH_CHH"} <= set(kit.layers) for kit in hydrogen)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def test_layers_sharing_a_velocity_range_keep_their_own_files(tmp_path):
    src = tmp_path / "h2"
    src.mkdir()
    sf.write(src / "a.wav", _hit(50), SR)
    sf.write(src / "b.wav", _hit(90), SR)
    (src / "drumkit.xml").write_text(
        "<drumkit_info><name>RR</name><instrumentList><instrument><name>Kick</name>"
        "<layer><filename>a.wav</filename><min>0</min><max>1</max></layer>"
        "<layer><filename>b.wav</filename><min>0</min><max>1</max></layer>"
        "</instrument></instrumentList></drumkit_info>"
    )
    kit = build_from_hydrogen(src, tmp_path / "out")
    files = [layer.file for layer in kit.layers["KD_KD"]]
    assert len(set(files)) == 2 and all((kit.path / f).is_file() for f in files)


def test_unwritable_output_folder_is_a_one_line_error(tmp_path, capsys):
    src = tmp_path / "samples"
    src.mkdir()
    sf.write(src / "kick.wav", _hit(50), SR)
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    assert main(["kits", "build", "folder", str(src), "--out", str(blocker)]) == 1
    err = capsys.readouterr().err
    assert "cannot create kit folder" in err and err.count("\n") == 1
