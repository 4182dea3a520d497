import csv
import json

import mido
import numpy as np
import pytest

from drummernet.audio import load_audio
from drummernet.cli import main
from drummernet.datasets import Hit, MidiError, load_dataset, load_rendered, read_drum_midi
from drummernet.datasets.augment import DRY, Augmentation, compress, pitch_shift
from drummernet.datasets.render import RenderJob, midi_jobs, render_hits, render_set
from drummernet.errors import KitError
from drummernet.kits.library import Kit, get_kit


def write_midi(path, notes, tempo_change_at=None, channel=9):
    """notes: (beat, key, velocity) at 120 bpm (480 ticks a beat); an optional switch
    to 60 bpm at beat ``tempo_change_at``."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    events = [(int(beat * 480), "on", key, vel) for beat, key, vel in notes]
    if tempo_change_at is not None:
        events.append((tempo_change_at * 480, "tempo", 0, 0))
    events.sort(key=lambda e: (e[0], e[1] != "tempo"))
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
    now = 0
    for tick, kind, key, vel in events:
        if kind == "tempo":
            track.append(mido.MetaMessage("set_tempo", tempo=1000000, time=tick - now))
        else:
            track.append(mido.Message("note_on", note=key, velocity=vel, channel=channel,
                                      time=tick - now))  # fmt: skip
        now = tick
    midi.save(path)
    return path


def test_midi_times_follow_tempo_changes_and_td11_keys(tmp_path):
    path = write_midi(tmp_path / "a.mid", [(0, 36, 100), (1, 22, 50), (4, 38, 90)], 2)
    hits = read_drum_midi(path)
    assert [h.component for h in hits] == ["KD_KD", "HH_CHH", "SD_SD"]
    # 2 beats at 120 bpm (1 s) then 2 beats at 60 bpm (2 s).
    np.testing.assert_allclose([h.time for h in hits], [0.0, 0.5, 3.0], atol=1e-9)
    assert hits[0].velocity == 100


def test_midi_without_drum_notes_or_unreadable_is_a_clear_error(tmp_path):
    piano = write_midi(tmp_path / "piano.mid", [(0, 60, 100)], channel=0)
    with pytest.raises(MidiError, match=r"piano\.mid: no drum notes"):
        read_drum_midi(piano)
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"MThd garbage")
    with pytest.raises(MidiError, match=r"junk\.mid: not a readable MIDI file"):
        read_drum_midi(junk)


@pytest.fixture(scope="module")
def kit():
    return get_kit("fluidr3-standard")


def test_dry_render_places_each_sample_at_its_label(kit):
    hits = [Hit(0.5, "KD_KD", 127), Hit(1.25, "SD_SD", 127)]
    audio, labels, _ = render_hits(hits, kit, augmentation=DRY)
    assert labels == hits
    kick = kit.one_shot("KD_KD", 127)
    first = int(np.argmax(np.abs(audio) > 1e-4))
    assert first == 8000 + int(np.argmax(np.abs(kick) > 1e-4 * np.max(np.abs(kick)) / 0.9))
    assert len(audio) == int((1.25 + 1.0) * 16000)
    assert np.max(np.abs(audio)) == pytest.approx(0.9, abs=1e-6)


def test_velocity_sets_loudness(kit):
    hits = [Hit(0.1, "SD_SD", 127), Hit(1.1, "SD_SD", 40)]
    audio, _, _ = render_hits(hits, kit, augmentation=DRY)
    loud, soft = np.max(np.abs(audio[1600:16000])), np.max(np.abs(audio[17600:]))
    assert soft < 0.3 * loud


def test_open_hihat_is_choked_by_a_closed_one(kit):
    open_only, _, _ = render_hits([Hit(0.1, "HH_OHH", 100)], kit, tail_s=1.5)
    choked, _, _ = render_hits([Hit(0.1, "HH_OHH", 100), Hit(0.4, "HH_PHH", 1)], kit, tail_s=1.5)
    after = slice(int(0.45 * 16000), None)
    assert np.sum(choked[after] ** 2) < 0.2 * np.sum(open_only[after] ** 2)


def test_augmented_render_is_repeatable_and_labels_move_with_jitter(kit):
    hits = [Hit(0.2 * i, c, 90) for i, c in enumerate(["KD_KD", "HH_CHH", "SD_SD", "HH_OHH"] * 3)]
    a1, l1, _ = render_hits(hits, kit, augmentation=Augmentation(), rng=np.random.default_rng(5))
    a2, l2, _ = render_hits(hits, kit, augmentation=Augmentation(), rng=np.random.default_rng(5))
    a3, _, _ = render_hits(hits, kit, augmentation=Augmentation(), rng=np.random.default_rng(6))
    np.testing.assert_array_equal(a1, a2)
    assert l1 == l2 and not np.array_equal(a1, a3)
    shifts = np.array([lab.time - h.time for lab, h in zip(l1, hits, strict=True)])
    assert np.all(np.abs(shifts) <= 0.004 + 1e-9) and np.any(shifts != 0)


def test_kit_without_the_core_pieces_is_refused(tmp_path, kit):
    bare = Kit("bare", tmp_path, {"SD_SD": kit.layers["SD_SD"]})
    with pytest.raises(KitError, match=r"bare.*KD_KD"):
        render_hits([Hit(0.0, "SD_SD", 100)], bare)


def test_compression_narrows_the_gap_between_loud_and_soft_hits():
    rng = np.random.default_rng(0)
    burst = rng.standard_normal(8000) * np.exp(-np.arange(8000) / 800)
    y = np.concatenate([burst, 0.1 * burst])  # the second hit 20 dB softer
    squashed = compress(y, threshold_db=-30, ratio=6, sample_rate=16000)
    gap = lambda x: np.max(np.abs(x[:8000])) / np.max(np.abs(x[8000:]))  # noqa: E731
    assert squashed.shape == y.shape and gap(squashed) < 0.7 * gap(y)
    assert len(pitch_shift(burst, 1200)) == pytest.approx(4000, abs=1)


def test_render_set_round_trip_reports_failures_and_same_result_with_workers(tmp_path, kit):
    (tmp_path / "midi").mkdir()
    write_midi(tmp_path / "midi" / "a.mid", [(0, 36, 100), (1, 38, 100), (1.5, 42, 70)])
    write_midi(tmp_path / "midi" / "b.mid", [(0, 42, 100), (2, 46, 100)])
    (tmp_path / "midi" / "c.mid").write_bytes(b"not midi")
    jobs = midi_jobs([tmp_path / "midi"], ["fluidr3-standard"])
    assert [j.name for j in jobs] == ["a", "b", "c"]
    one = render_set(jobs, tmp_path / "one", augmentation=Augmentation(), seed=3)
    render_set(jobs, tmp_path / "two", augmentation=Augmentation(), seed=3, workers=2)
    assert [t["name"] for t in one["tracks"]] == ["a", "b"]
    assert len(one["failed"]) == 1 and "c.mid" in one["failed"][0]["error"]
    np.testing.assert_array_equal(
        load_audio(tmp_path / "one" / "a.flac"), load_audio(tmp_path / "two" / "a.flac")
    )
    tracks = load_dataset(tmp_path / "one")
    assert [t.name for t in tracks] == ["a", "b"]
    with open(tmp_path / "one" / "a.csv") as f:
        rows = list(csv.DictReader(f))
    kd = [float(r["time"]) for r in rows if r["component"] == "KD_KD"]
    np.testing.assert_allclose(tracks[0].components["KD_KD"], kd)
    assert len(tracks[0].classes["HH"]) == 1
    with pytest.raises(Exception, match="already holds a rendered set"):
        render_set(jobs, tmp_path / "one")


def test_rendered_labels_with_a_bad_line_name_the_line(tmp_path, kit):
    render_set([RenderJob(str(write_midi(tmp_path / "a.mid", [(0, 36, 90)])), "a", kit.name)],
               tmp_path / "set")  # fmt: skip
    with open(tmp_path / "set" / "a.csv", "a") as f:
        f.write("zero,KD_KD,1\n")
    errors: list[str] = []
    assert load_rendered(tmp_path / "set", errors) == []
    assert "a.csv:3" in errors[0]


def test_gmd_split_selects_rows_and_kits_are_drawn_per_track(tmp_path):
    root = tmp_path / "gmd"
    (root / "d1").mkdir(parents=True)
    rows = [("d1/x.mid", "train"), ("d1/y.mid", "test"), ("d1/z.mid", "train")]
    for name, _ in rows:
        write_midi(root / name, [(0, 36, 100)])
    with open(root / "info.csv", "w") as f:
        f.write("midi_filename,split\n" + "".join(f"{n},{s}\n" for n, s in rows))
    jobs = midi_jobs([root], ["k1", "k2"], split="train")
    assert [j.name for j in jobs] == ["d1__x", "d1__z"]
    assert jobs == midi_jobs([root], ["k1", "k2"], split="train")


def test_cli_render_writes_a_set_and_fails_on_missing_input(tmp_path, capsys):
    midi = write_midi(tmp_path / "a.mid", [(0, 36, 100), (1, 38, 100)])
    assert main(["render", str(midi), "--kit", "fluidr3-jazz", "--out", str(tmp_path / "o")]) == 0
    manifest = json.loads((tmp_path / "o" / "render.json").read_text())
    assert manifest["tracks"][0]["kit"] == "fluidr3-jazz"
    assert main(["render", str(tmp_path / "nope"), "--kit", "x", "--out", str(tmp_path)]) == 1
    assert "nope: no such file or folder" in capsys.readouterr().err


def test_render_checks_its_kits_first_and_leaves_nothing_to_retry_into(tmp_path, capsys):
    (tmp_path / "midi").mkdir()
    for name in ("a", "b", "c"):
        write_midi(tmp_path / "midi" / f"{name}.mid", [(0, 36, 100), (1, 38, 100)])
    out = tmp_path / "set"
    args = ["render", str(tmp_path / "midi"), "--out", str(out), "-q"]
    assert main([*args, "--kit", "no-such-kit"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no-such-kit" in err[0]  # once, not once per MIDI file
    assert not out.exists()
    assert main([*args, "--kit", "fluidr3-jazz", "--fallback", "nor-this-one"]) == 1
    assert "nor-this-one" in capsys.readouterr().err and not out.exists()
    assert main([*args, "--kit", "fluidr3-jazz"]) == 0  # the retry needs no --overwrite
    assert len(json.loads((out / "render.json").read_text())["tracks"]) == 3


def test_a_render_where_every_track_fails_writes_no_set(tmp_path, capsys):
    (tmp_path / "bad.mid").write_bytes(b"not midi")
    out = tmp_path / "set"
    assert main(["render", str(tmp_path / "bad.mid"), "--kit", "fluidr3-jazz", "--out",
                 str(out)]) == 1  # fmt: skip
    assert not out.exists()


def test_shoebox_rooms_decay_as_drawn_and_place_the_microphone_close_or_overhead():
    """Image-source rooms (pyroomacoustics): the decay follows the RT60 asked for, the
    direct sound arrives after the microphone's distance, and both placements occur."""
    pytest.importorskip("pyroomacoustics", reason="pip install 'drummernet[rooms]'")
    from drummernet.datasets.augment import shoebox_impulse_response

    rng = np.random.default_rng(3)
    decays, kinds = {}, set()
    for rt60 in (0.2, 0.8):
        ir, drawn = shoebox_impulse_response(rt60, 16000, rng)
        assert np.sum(ir**2) == pytest.approx(1.0)
        energy = np.cumsum(ir[::-1] ** 2)[::-1]
        decay_db = 10 * np.log10(energy / energy[0] + 1e-12)
        decays[rt60] = np.argmax(decay_db < -20) / 16000  # T20's time to -20 dB
        kinds.add(drawn["overhead"])
        assert 0.05 <= drawn["mic_distance_m"] <= 1.5
    assert decays[0.8] > 2.5 * decays[0.2]
    for _ in range(20):  # the shortest RT60 in the largest rooms: a smaller room, no error
        ir, drawn = shoebox_impulse_response(0.15, 16000, rng)
        kinds.add(drawn["overhead"])
        assert np.isfinite(ir).all() and all(3.0 <= v <= 12.0 for v in drawn["room_m"][:2])
    assert kinds == {True, False}
    # the direct sound comes later to an overhead than to a close microphone
    arrival = {}
    for seed in range(40):
        ir, drawn = shoebox_impulse_response(0.5, 16000, np.random.default_rng(seed))
        arrival.setdefault(drawn["overhead"], int(np.argmax(np.abs(ir))))
    assert arrival[False] < arrival[True]


def test_render_effects_take_the_room_model_and_keep_the_noise_one_unchanged():
    pytest.importorskip("pyroomacoustics", reason="pip install 'drummernet[rooms]'")
    from drummernet.datasets.augment import Augmentation, apply_effects

    y = np.zeros(16000)
    y[::4000] = 1.0
    always = dict(reverb_probability=1.0, compression_probability=0.0, noise_probability=0.0,
                  tilt_db_per_octave=(0.0, 0.0))  # fmt: skip
    noise, drawn = apply_effects(y, Augmentation(**always), 16000, np.random.default_rng(0))
    assert "room_m" not in drawn and "reverb_rt60_s" in drawn
    room, drawn = apply_effects(y, Augmentation(reverb_model="room", **always), 16000,
                                np.random.default_rng(0))  # fmt: skip
    assert {"room_m", "overhead", "mic_distance_m", "reverb_rt60_s"} <= set(drawn)
    assert np.abs(room - noise).max() > 1e-3 and np.isfinite(room).all()
