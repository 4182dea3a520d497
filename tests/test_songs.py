"""A band without drums: the accompaniment generator, training items under a band,
and the validation mixes (issue "Songs")."""

import json
import shutil

import mido
import numpy as np
import pytest
import torch

from drummernet.audio import load_audio, write_audio
from drummernet.cli import main
from drummernet.datasets.accompaniment import (
    ROLE_PROGRAMS,
    BandMix,
    generate_band,
    mix_band,
    programs_for,
    rms,
    soundfonts_for,
)
from drummernet.datasets.augment import DRY
from drummernet.datasets.band_sets import reference_tempo
from drummernet.datasets.midi import Hit
from drummernet.datasets.render import write_labels
from drummernet.datasets.synthesized import SynthesizedSegments
from drummernet.errors import DrummerNetError


@pytest.fixture(scope="module")
def midi_dir(tmp_path_factory):
    """A folder with one drum MIDI file: kick, hat and snare every 0.5 s."""
    folder = tmp_path_factory.mktemp("midi")
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(120))])
    for i in range(16):
        key = (36, 42, 38, 42)[i % 4]
        track.append(mido.Message("note_on", channel=9, note=key, velocity=100,
                                  time=240 if i else 0))  # fmt: skip
        track.append(mido.Message("note_off", channel=9, note=key, velocity=0, time=0))
    midi.tracks.append(track)
    midi.save(folder / "groove.mid")
    return folder


def have_soundfonts(split: str) -> bool:
    try:
        soundfonts_for(split)
    except DrummerNetError:
        return False
    return shutil.which("fluidsynth") is not None


needs_train_sf = pytest.mark.skipif(
    not have_soundfonts("train"),
    reason="needs fluidsynth, fluid-soundfont-gm, musescore-general-soundfont-small and "
    "opl3-soundfont (make system-deps)",
)
needs_validation_sf = pytest.mark.skipif(
    not have_soundfonts("validation"), reason="needs fluidsynth and timgm6mb-soundfont"
)


def notes(band):
    """``(channel, program of the channel, pitch, start tick)`` of a band's notes."""
    programs, now, out = {}, 0, []
    for message in band.midi.tracks[0]:
        now += message.time
        if message.type == "program_change":
            programs[message.channel] = message.program
        elif message.type == "note_on":
            out.append((message.channel, programs[message.channel], message.note, now))
    return out


def test_training_and_validation_programs_never_meet():
    for role, programs in ROLE_PROGRAMS.items():
        train, held = set(programs_for(role, "train")), set(programs_for(role, "validation"))
        assert train and held, role  # every part has programs on both sides
        assert not train & held
        assert train | held == set(programs)
    with pytest.raises(DrummerNetError, match="unknown band split"):
        programs_for("bass", "test")


def test_the_soundfonts_of_the_splits_share_no_file():
    from drummernet.datasets.accompaniment import TRAIN_SOUNDFONTS, VALIDATION_SOUNDFONTS

    train = {path for line in TRAIN_SOUNDFONTS for path in line}
    assert not train & {path for line in VALIDATION_SOUNDFONTS for path in line}


def test_a_missing_soundfont_names_its_package(monkeypatch):
    from drummernet.datasets import accompaniment

    monkeypatch.setattr(accompaniment, "VALIDATION_SOUNDFONTS", (("/nowhere/TimGM6mb.sf2",),))
    with pytest.raises(DrummerNetError, match=r"apt-get install .*timgm6mb-soundfont"):
        soundfonts_for("validation")


def test_a_band_is_drawn_from_its_seed_in_the_given_tempo_and_split():
    one = generate_band(np.random.default_rng([3, 1]), 8.0, "validation", bpm=97.0, full=True)
    again = generate_band(np.random.default_rng([3, 1]), 8.0, "validation", bpm=97.0, full=True)
    other = generate_band(np.random.default_rng([3, 2]), 8.0, "validation", bpm=97.0, full=True)
    assert notes(one) == notes(again) and notes(one) != notes(other)
    tempo = next(m.tempo for m in one.midi.tracks[0] if m.type == "set_tempo")
    assert mido.tempo2bpm(tempo) == pytest.approx(97.0)
    played = notes(one)
    assert {c for c, *_ in played} == {0, 1, 2, 3}  # full: bass, harmony, pad, lead
    roles = dict(zip((0, 1, 2, 3), ("bass", "harmony", "pad", "lead"), strict=True))
    for channel, program, _, _ in played:
        assert program in programs_for(roles[channel], "validation")
    # it lasts at least the seconds asked for
    last = max(tick for *_, tick in played) / one.midi.ticks_per_beat * 60 / 97.0
    assert last >= 8.0 - 60 / 97.0 * 4


def test_bands_vary_parts_styles_and_keys():
    bands = [generate_band(np.random.default_rng([0, i]), 4.0).info for i in range(60)]
    styles = {(role, p["style"]) for b in bands for role, p in b["parts"].items()}
    assert {s for r, s in styles if r == "bass"} >= {"eighths", "held", "walking", "syncopated"}
    assert {s for r, s in styles if r == "harmony"} >= {"block", "arpeggio", "strum", "held"}
    assert len({b["key"] for b in bands}) >= 8 and len({len(b["parts"]) for b in bands}) >= 3
    assert all(70 <= b["bpm"] <= 170 for b in bands)


def test_a_strum_spreads_its_strings_over_milliseconds():
    for i in range(200):
        band = generate_band(np.random.default_rng([5, i]), 4.0, full=True)
        if band.info["parts"]["harmony"]["style"] == "strum":
            break
    else:
        pytest.fail("no strum in 200 bands")
    starts = sorted({tick for channel, _, _, tick in notes(band) if channel == 1})
    gaps = np.diff(starts) / band.midi.ticks_per_beat * 60 / band.bpm
    assert np.any((gaps > 0.004) & (gaps < 0.03))  # strings a few ms apart


def test_the_band_sits_at_the_level_asked_for_above_the_drums():
    rng = np.random.default_rng(0)
    drums, band = rng.normal(0, 0.1, 16000), rng.normal(0, 0.5, 8000)
    for level in (-12.0, 0.0, 6.0):
        mix = mix_band(drums, band, level)
        added = mix - drums
        assert len(mix) == len(drums)
        assert 20 * np.log10(rms(added) / rms(drums)) == pytest.approx(level, abs=0.01)
        assert np.allclose(added[8000:], 0, atol=1e-6)  # a short band is padded with silence
    assert np.array_equal(mix_band(np.zeros(100), band, 0.0), np.zeros(100))


def test_band_mix_mixes_its_share_of_items_within_its_levels():
    rng = np.random.default_rng(1)
    drums = rng.normal(0, 0.1, 4000).astype(np.float32)
    clip = rng.normal(0, 0.3, 20000).astype(np.float32)
    assert BandMix((clip,), share=0.0).apply(drums, rng) is drums
    mixed = [BandMix((clip,), share=0.5, levels_db=(-3.0, 3.0)).apply(drums, rng)
             for _ in range(400)]  # fmt: skip
    changed = [m for m in mixed if m is not drums]
    assert 0.4 < len(changed) / len(mixed) < 0.6
    levels = [20 * np.log10(rms(m - drums) / rms(drums)) for m in changed]
    assert -3.01 < min(levels) < -2.0 and 2.0 < max(levels) < 3.01


def test_items_under_a_band_keep_their_targets(midi_dir):
    clip = np.random.default_rng(2).normal(0, 0.3, 64000).astype(np.float32)
    alone = SynthesizedSegments([midi_dir], ["fluidr3-standard"], augmentation=DRY)
    band = SynthesizedSegments([midi_dir], ["fluidr3-standard"], augmentation=DRY,
                               band=BandMix((clip,), share=1.0, levels_db=(0.0, 0.0)))  # fmt: skip
    for i in range(3):
        (audio_alone, target_alone), (audio_band, target_band) = alone[i], band[i]
        assert torch.equal(target_alone, target_band)
        assert not torch.allclose(audio_alone, audio_band)
        assert float(audio_band.abs().max()) == pytest.approx(1.0)


def test_reference_tempo_of_a_steady_groove():
    beats = np.arange(0, 20, 60 / 104)
    assert reference_tempo({"KD_KD": beats[::2], "SD_SD": beats[1::2],
                            "HH_CHH": beats}) == pytest.approx(104, rel=0.02)  # fmt: skip


@needs_train_sf
def test_band_render_writes_repeatable_clips_and_refuses_a_second_time(tmp_path, capsys):
    out = tmp_path / "band"
    assert main(["band", "render", "--out", str(out), "--clips", "2", "--seconds", "2",
                 "-q"]) == 0  # fmt: skip
    manifest = json.loads((out / "band.json").read_text())
    assert [c["audio"] for c in manifest["clips"]] == ["band-0000.flac", "band-0001.flac"]
    assert {c["soundfont"] for c in manifest["clips"]} <= set(manifest["soundfonts"])
    first = load_audio(out / "band-0000.flac")
    assert len(first) == 32000 and rms(first) > 0.01
    capsys.readouterr()
    assert main(["band", "render", "--out", str(out), "--clips", "2", "-q"]) == 1
    assert "already holds band clips" in capsys.readouterr().err
    again = tmp_path / "again"
    main(["band", "render", "--out", str(again), "--clips", "1", "--seconds", "2", "-q"])
    assert np.array_equal(load_audio(again / "band-0000.flac"), first)


def test_train_with_a_folder_that_is_not_band_clips_says_so(midi_dir, tmp_path, capsys):
    code = main(["train", str(midi_dir), "--objective", "inverse", "--band", str(tmp_path),
                 "--out", str(tmp_path / "r"), "--steps", "1", "--quiet"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "not a folder of band clips" in err[0]
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--band-share", "1.5"], "--band-share is a probability"),
        (["--band-db", "6", "-6"], "LOW <= HIGH"),
    ],
)
def test_a_bad_band_option_is_refused_in_one_line(midi_dir, tmp_path, capsys, flags, message):
    code = main(["train", str(midi_dir), "--objective", "inverse", "--out",
                 str(tmp_path / "r"), "--steps", "1", "--quiet", *flags])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and message in err[0]


def small_set(folder, seconds=6.0):
    """A rendered set of one track: clicks on a 120 BPM grid, and its labels."""
    folder.mkdir()
    audio = np.zeros(int(seconds * 16000), np.float32)
    hits = [Hit(0.25 + 0.5 * i, "KD_KD" if i % 2 == 0 else "SD_SD", 100) for i in range(11)]
    for hit in hits:
        start = int(hit.time * 16000)
        audio[start : start + 400] += np.hanning(400).astype(np.float32) * 0.8
    write_audio(folder / "take.flac", audio, 16000)
    write_labels(folder / "take.csv", hits)
    (folder / "render.json").write_text(json.dumps(
        {"tracks": [{"name": "take", "audio": "take.flac", "labels": "take.csv"}]}))  # fmt: skip
    return audio, hits


@needs_validation_sf
def test_band_mix_writes_one_set_per_level_with_the_labels_kept(tmp_path):
    from drummernet.datasets import load_dataset

    drums, hits = small_set(tmp_path / "set")
    assert main(["band", "mix", str(tmp_path / "set"), "--out", str(tmp_path / "mixes"),
                 "--levels", "0", "6", "--variants", "2", "-q"]) == 0  # fmt: skip
    quiet = load_dataset(tmp_path / "mixes" / "set+band+0dB")
    loud = load_dataset(tmp_path / "mixes" / "set+band+6dB")
    assert [t.name for t in quiet] == ["take~1", "take~2"] == [t.name for t in loud]
    for track in quiet:
        assert np.allclose(track.components["KD_KD"], [h.time for h in hits[::2]], atol=1e-6)
    drums = load_audio(tmp_path / "set" / "take.flac")
    for tracks, level in ((quiet, 0.0), (loud, 6.0)):
        for track in tracks:
            mix = load_audio(track.audio_path)
            scale = float(mix @ drums / (drums @ drums))  # the mix may be scaled to peak 0.9
            band = mix - scale * drums
            assert 20 * np.log10(rms(band) / rms(scale * drums)) == pytest.approx(level, abs=0.5)
            assert np.all(np.abs(band[: 16000 // 4 - 200]) < 1e-3)  # from the first onset on
    manifest = json.loads((tmp_path / "mixes" / "set+band+0dB" / "render.json").read_text())
    assert manifest["tracks"][0]["soundfont"] == "TimGM6mb.sf2"
    assert manifest["tracks"][0]["bpm"] == pytest.approx(120, rel=0.03)
    assert len(manifest["tracks"][0]["parts"]) == 4


def fake_band_folder(folder, clips=2, seconds=3.0):
    """A folder of band clips as `band render` writes them (noise, no fluidsynth)."""
    folder.mkdir()
    rng = np.random.default_rng(3)
    rows = []
    for i in range(clips):
        write_audio(folder / f"band-{i:04d}.flac", rng.normal(0, 0.2, int(seconds * 16000)), 16000)
        rows.append({"audio": f"band-{i:04d}.flac", "soundfont": "Fake.sf2"})
    manifest = {"seed": 0, "split": "train", "seconds": seconds, "soundfonts": ["Fake.sf2"]}
    (folder / "band.json").write_text(json.dumps({**manifest, "clips": rows}))
    return folder


def test_a_model_trained_with_a_band_records_it(midi_dir, tmp_path, capsys):
    band = fake_band_folder(tmp_path / "band")
    tiny = ["--set", "lite_channels=8", "--set", "lite_gru_units=4", "--set",
            "lite_dilations=[1, 2]", "--set", "segment_seconds=1.0"]  # fmt: skip
    code = main(["train", str(midi_dir), "--objective", "inverse", "--config", "lite",
                 "--kit", "fluidr3-standard", "--band", str(band), "--band-share", "0.5",
                 "--band-db", "-6", "6", "--batch-size", "2", "--steps", "2",
                 "--out", str(tmp_path / "run"), "--quiet", *tiny])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    from drummernet.model import load_model

    recorded = load_model(tmp_path / "run" / "last.pt").metadata["band"]
    assert recorded["share"] == 0.5 and recorded["levels_db"] == [-6.0, 6.0]
    assert recorded["clips"] == 2 and recorded["soundfonts"] == ["Fake.sf2"]
    capsys.readouterr()
    assert main(["info", str(tmp_path / "run" / "last.pt")]) == 0
    assert (
        "50% of items under a band -6 to +6 dB over the drums: 2 clips" in capsys.readouterr().out
    )
    # a resumed run keeps the band; another one is refused in one line
    code = main(["train", "--out", str(tmp_path / "run"), "--resume", "--band-share", "0.9",
                 "--steps", "3", "--quiet"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "--band-share 0.5, not 0.9" in err[0]


def test_the_songs_model_is_shipped_and_named(tmp_path, capsys, monkeypatch):
    from drummernet.transcription import api

    songs = api.get_model("songs")
    assert songs.metadata["band"]["share"] == 0.5 and songs is not api.get_model(None)
    example = api.DEFAULT_MODEL.parents[1] / "examples" / "gmd-rock-100bpm.flac"
    assert main(["transcribe", str(example), "--model", "songs", "--format", "csv",
                 "--out-dir", str(tmp_path), "-q"]) == 0  # fmt: skip
    assert (tmp_path / "gmd-rock-100bpm.csv").read_text().count("\n") > 50
    assert main(["info", "songs"]) == 0 and "band" in capsys.readouterr().out
    # a file named songs in the working folder is that file, not the shipped model
    monkeypatch.chdir(tmp_path)
    (tmp_path / "songs").write_bytes(b"junk")
    assert main(["transcribe", str(example), "--model", "songs", "-q"]) == 1
    assert "songs" in capsys.readouterr().err
    monkeypatch.setitem(api.SHIPPED_MODELS, "songs", tmp_path / "gone.pt")
    (tmp_path / "songs").unlink()
    assert main(["transcribe", str(example), "--model", "songs", "-q"]) == 1
    assert "the songs model is not installed" in capsys.readouterr().err
