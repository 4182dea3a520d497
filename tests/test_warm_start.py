"""The label-free warm start: drum MIDI rendered through random kits with exact
targets (datasets/synthesized.py) and the objective that inverts the synthesizer."""

import csv
import itertools
import json
import sys

import mido
import numpy as np
import pytest
import torch

from drummernet.audio import write_audio
from drummernet.cli import main
from drummernet.components import COMPONENTS
from drummernet.config import get_preset
from drummernet.datasets import Hit
from drummernet.datasets.augment import DRY
from drummernet.datasets.render import render_hits, write_labels
from drummernet.datasets.synthesized import REVOICINGS, SynthesizedSegments, revoice
from drummernet.kits.library import get_kit
from drummernet.model import load_model
from drummernet.training.step import inverse_loss, learning_rate, widen_targets

TINY_LITE = dict(lite_channels=8, lite_gru_units=4, lite_dilations=(1, 2), batch_size=2,
                 segment_seconds=1.0)  # fmt: skip


def write_midi(path, hits, bpm=120):
    """A one-track drum MIDI file of ``(seconds, key, velocity)`` hits."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))])
    now = 0
    for seconds, key, velocity in sorted(hits):
        tick = round(seconds * bpm / 60 * 480)
        track.append(mido.Message("note_on", channel=9, note=key, velocity=velocity,
                                  time=tick - now))  # fmt: skip
        track.append(mido.Message("note_off", channel=9, note=key, velocity=0, time=0))
        now = tick
    midi.tracks.append(track)
    midi.save(path)


@pytest.fixture(scope="module")
def midi_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("midi")
    keys = [36, 42, 38, 42, 36, 46, 38, 45, 49, 51]  # kick hat snare ... tom crash ride
    write_midi(folder / "groove.mid",
               [(0.5 * i, keys[i % len(keys)], 100) for i in range(16)])  # fmt: skip
    (folder / "broken.mid").write_bytes(b"MThd nonsense")
    return folder


def dry_segments(midi_dir, **kw):
    return SynthesizedSegments([midi_dir], ["fluidr3-standard"], seconds=2.0,
                               augmentation=DRY, **kw)  # fmt: skip


def test_items_are_repeatable_and_their_targets_mark_the_onsets(midi_dir):
    data = dry_segments(midi_dir)
    assert [s.path.name for s in data.skipped] == ["broken.mid"]
    audio, target = data[3]
    again, _ = data[3]
    other, _ = data[4]
    assert audio.shape == (32000,) and target.shape == (len(COMPONENTS), 2000)
    torch.testing.assert_close(audio, again)
    assert not torch.equal(audio, other)
    assert float(audio.abs().max()) == pytest.approx(1.0)
    frames = torch.nonzero(target.sum(0)).flatten().tolist()
    assert 2 <= len(frames) <= 5  # hits every 0.5 s in 2 s
    energy = audio.numpy() ** 2
    for f in frames:  # each target frame is where the sound starts
        before = energy[max(0, f * 16 - 320) : f * 16 - 32].mean() if f > 20 else 0.0
        after = energy[f * 16 : f * 16 + 320].mean()
        assert after > 4 * before + 1e-6, f


def test_revoicing_moves_whole_lines_and_keeps_the_timing():
    hits = [Hit(0.1 * i, c, 90) for i, c in enumerate(["KD_KD", "HH_CHH", "SD_SD"] * 5)]
    moved = 0
    for seed in range(400):
        out = revoice(hits, np.random.default_rng(seed))
        by_time = {}
        for h in out:
            by_time.setdefault(round(h.time, 6), set()).add(h.component)
        assert len(by_time) == len(hits)  # every hit keeps its time (a crash may join one)
        hat_line = {c for h in hits if h.component == "HH_CHH"
                    for c in by_time[round(h.time, 6)]} - {"CY_CRC"}  # fmt: skip
        assert len(hat_line) == 1  # the whole hi-hat line moves, or none of it
        moved += hat_line != {"HH_CHH"}
    expected = 1 - np.prod([1 - p for s, _, p in REVOICINGS if s == "HH_CHH"])
    assert abs(moved / 400 - expected) < 0.06


def test_crash_doublings_land_on_a_kick_inside_the_item_at_the_given_rate():
    kicks = [Hit(0.25 * i, "KD_KD", 80) for i in range(12)]  # 0 .. 2.75 s
    crashes = []
    for seed in range(400):
        out = revoice(kicks, np.random.default_rng(seed), (("KD_KD", "CY_CRC", 0.4),), 1.0)
        crashes += [h.time for h in out if h.component == "CY_CRC"]
    assert abs(len(crashes) / 400 - 0.4) < 0.07
    assert min(crashes) >= 1.0 and set(crashes) <= {k.time for k in kicks}
    assert len(set(crashes)) >= 6  # drawn among the kicks, not always the first
    always = (("KD_KD", "CY_CRC", 1.0),)
    first = [revoice(kicks, np.random.default_rng(s), always) for s in range(5)]
    assert all([h.time for h in out if h.component == "CY_CRC"] == [0.0] for out in first)


def test_an_item_gets_its_crash_targets_from_the_crashes_option(midi_dir):
    def crash_items(data):
        return sum(bool(data[i][1][COMPONENTS.index("CY_CRC")].any()) for i in range(40))

    assert crash_items(dry_segments(midi_dir, crashes=1.0)) > crash_items(dry_segments(midi_dir))


def test_widened_targets_are_triangles_that_do_not_wrap():
    target = torch.zeros(1, 2, 12)
    target[0, 0, 0] = 1
    target[0, 1, [5, 7]] = 1
    out = widen_targets(target, width=2)
    torch.testing.assert_close(out[0, 0, :4], torch.tensor([1, 2 / 3, 1 / 3, 0]))
    assert float(out[0, 0, -1]) == 0  # nothing wraps round to the end
    overlapping = torch.tensor([1 / 3, 2 / 3, 1, 2 / 3, 1, 2 / 3, 1 / 3])  # max, not sum
    torch.testing.assert_close(out[0, 1, 3:10], overlapping)


def test_inverse_objective_teaches_the_components(midi_dir):
    torch.manual_seed(0)
    config = get_preset("lite").replace(**TINY_LITE)
    from drummernet.model.network import AnalysisNetwork

    net = AnalysisNetwork(config)
    data = dry_segments(midi_dir)
    batch = [data[i] for i in range(4)]
    audio = torch.stack([a for a, _ in batch])
    target = torch.stack([t for _, t in batch])
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    with torch.no_grad():
        first = float(inverse_loss(net, audio, target))
    for _ in range(80):
        optimizer.zero_grad()
        inverse_loss(net, audio, target).backward()
        optimizer.step()
    with torch.no_grad():
        scores = net(audio, scores=True)[..., : target.shape[-1]]
        assert float(inverse_loss(net, audio, target)) < 0.1 * first
    on = scores[widen_targets(target, 1) > 0].mean()
    off = scores[widen_targets(target, 4) == 0].mean()
    assert on > off + 2  # onsets of each component now score above the rest


def labeled_set(folder):
    folder.mkdir()
    hits = [Hit(t, c, 100) for t, c in
            [(0.25, "KD_KD"), (0.75, "TT_HFT"), (1.25, "CY_CRC"), (1.75, "SD_SD")]]  # fmt: skip
    audio, labels, _ = render_hits(hits, get_kit("fluidr3-standard"))
    write_audio(folder / "t.flac", audio, 16000)
    write_labels(folder / "t.csv", labels)
    manifest = {"tracks": [{"name": "t", "audio": "t.flac", "labels": "t.csv"}]}
    (folder / "render.json").write_text(json.dumps(manifest))
    return folder


def test_cli_trains_the_warm_start_and_validates_every_class(midi_dir, tmp_path, capsys):
    tiny = [x for k, v in TINY_LITE.items()
            for x in ("--set", f"{k}={list(v) if isinstance(v, tuple) else v}")]  # fmt: skip
    run = tmp_path / "run"
    code = main(["train", str(midi_dir), "--objective", "inverse", "--config", "lite",
                 "--out", str(run), "--steps", "2", "--kit", "fluidr3-standard", "--quiet",
                 "--validation", str(labeled_set(tmp_path / "val")),
                 "--validation-classes", "all", "--lr-schedule", "cosine", *tiny])  # fmt: skip
    assert code == 1  # broken.mid is reported as skipped
    assert "broken.mid" in capsys.readouterr().err
    with open(run / "validation.csv") as f:
        rows = list(csv.DictReader(f))
    assert {"KD", "SD", "TT", "CY", "mean", "mean_all"} <= set(rows[0])
    assert [r["step"] for r in rows] == ["0", "2"]
    assert load_model(run / "last.pt").metadata["objective"] == "inverse"
    last = torch.load(sorted((run / "checkpoints").iterdir())[-1], weights_only=False)
    base = get_preset("lite").learning_rate
    # the second of two steps ran at half the rate, on the way down to 0
    assert last["optimizer"]["param_groups"][0]["lr"] == pytest.approx(base / 2)


def test_cosine_schedule_falls_from_the_rate_to_zero():
    rates = [learning_rate(4e-4, s, 100, "cosine") for s in range(101)]
    assert rates[0] == 4e-4 and rates[50] == pytest.approx(2e-4) and rates[100] == 0.0
    assert all(a > b for a, b in itertools.pairwise(rates))
    assert learning_rate(4e-4, 70, 100) == 4e-4
    with pytest.raises(ValueError, match="cosine"):
        learning_rate(4e-4, 1, 10, "linear")


def test_split_is_for_midi_only(tmp_path, capsys):
    code = main(["train", str(tmp_path), "--split", "train", "--out", str(tmp_path / "r"),
                 "--steps", "1", "--quiet"])  # fmt: skip
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--objective inverse" in err[0]
    assert not (tmp_path / "r").exists()  # refused before the run folder is made


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--crashes", "1.5"], "--crashes is a probability"),
        (["--crashes", "-0.1"], "--crashes is a probability"),
        (["--voicing-families", "CY"], "give --voicing SEMITONES DB_PER_OCTAVE"),
    ],
)
def test_a_bad_warm_start_option_is_refused_in_one_line(midi_dir, tmp_path, capsys, flags, message):
    """A crash probability outside 0-1; families to re-voice without --voicing."""
    code = main(["train", str(midi_dir), "--objective", "inverse", "--out",
                 str(tmp_path / "r"), "--steps", "1", "--quiet", *flags])  # fmt: skip
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "r").exists()


def test_voicing_retunes_drums_more_than_metal_and_identity_draws_nothing():
    from drummernet.datasets.synthesized import NO_VOICING, Voicing

    kit = get_kit("fluidr3-standard")
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    same = NO_VOICING.draw(COMPONENTS, rng, 16000)
    assert rng.bit_generator.state == state
    kick = kit.one_shot("KD_KD")
    assert same("KD_KD", kick) is kick

    def length_ratio(voicing, component):  # resampling by r changes the length by 1/r
        shot = kit.one_shot(component)
        return len(shot) / len(voicing(component, shot))

    drums, metal = [], []
    for seed in range(30):
        v = Voicing(semitones=2.0, tilt_db_per_octave=0.0).draw(
            COMPONENTS, np.random.default_rng(seed), 16000
        )
        drums.append(abs(np.log2(length_ratio(v, "KD_KD")) * 12))
        metal.append(abs(np.log2(length_ratio(v, "CY_CRC")) * 12))
    assert max(drums) <= 2.01 and max(metal) <= 2.01 / 3
    assert np.mean(drums) > 2.5 * np.mean(metal) and np.mean(drums) > 0.6


def test_voicing_restricted_to_families_leaves_the_others_as_they_are():
    from drummernet.datasets.synthesized import Voicing

    kit = get_kit("fluidr3-standard")
    every = Voicing(2.0, 3.0).draw(COMPONENTS, np.random.default_rng(1), 16000)
    metal = Voicing(2.0, 3.0, families=("HH", "CY")).draw(
        COMPONENTS, np.random.default_rng(1), 16000
    )
    kick, ride = kit.one_shot("KD_KD"), kit.one_shot("CY_RDC")
    assert metal("KD_KD", kick) is kick and every("KD_KD", kick) is not kick
    assert metal("CY_RDC", ride) is not ride  # re-voiced, exactly as without the restriction
    np.testing.assert_array_equal(metal("CY_RDC", ride), every("CY_RDC", ride))


def test_a_sigmoid_head_is_peak_picked_on_its_probabilities():
    from drummernet.transcription.notes import PeakPicking

    assert PeakPicking.from_config(get_preset("inverse")).normalize is False
    assert PeakPicking.from_config(get_preset("lite")).normalize is True


def _tiny_flags():
    return [x for k, v in TINY_LITE.items()
            for x in ("--set", f"{k}={list(v) if isinstance(v, tuple) else v}")]  # fmt: skip


def test_mixed_loss_adds_the_weighted_reconstruction_of_the_unlabeled_audio():
    from drummernet.losses import OnsetSpectrumLoss
    from drummernet.model.network import AnalysisNetwork
    from drummernet.synth import Synthesizer
    from drummernet.training.step import mixed_loss, reconstruction_loss

    config = get_preset("inverse").replace(**TINY_LITE)
    torch.manual_seed(0)
    net, synth, loss_fn = AnalysisNetwork(config), Synthesizer(), OnsetSpectrumLoss(config)
    audio, unlabeled = torch.randn(2, 16000) * 0.1, torch.randn(2, 16000) * 0.1
    target = torch.zeros(2, config.n_components, 1000)
    target[:, 0, 100] = 1
    from drummernet.training.trainer import kit_tensor

    kit = kit_tensor(["fluidr3-standard"], config)[0][0]
    alone = inverse_loss(net, audio, target)
    recon = reconstruction_loss(net, synth, loss_fn, unlabeled, kit)
    assert float(recon.detach()) > 0
    both = mixed_loss(net, synth, loss_fn, (audio, target, unlabeled), kit, 0.5)
    assert float(both.detach()) == pytest.approx(
        float(alone.detach()) + 0.5 * float(recon.detach()), rel=1e-5
    )
    # with weight 0 the unlabeled audio changes nothing; with a weight, its gradient counts
    grads = []
    for weight in (0.0, 0.5):
        net.zero_grad()
        mixed_loss(net, synth, loss_fn, (audio, target, unlabeled), kit, weight).backward()
        grads.append(torch.cat([p.grad.flatten() for p in net.parameters() if p.grad is not None]))
    net.zero_grad()
    alone.backward()
    plain = torch.cat([p.grad.flatten() for p in net.parameters() if p.grad is not None])
    assert torch.allclose(grads[0], plain) and not torch.allclose(grads[1], plain)


def test_cli_trains_the_mixed_objective_on_midi_and_unlabeled_audio(midi_dir, tmp_path):
    audio = tmp_path / "mine"
    audio.mkdir()
    rng = np.random.default_rng(0)
    clicks = np.zeros(3 * 16000, dtype=np.float32)
    clicks[::8000] = 1.0
    write_audio(audio / "take.flac", clicks + 0.01 * rng.standard_normal(len(clicks)), 16000)
    run = tmp_path / "run"
    code = main(["train", str(midi_dir), "--objective", "mixed", "--unlabeled", str(audio),
                 "--reconstruction-weight", "0.2", "--out", str(run), "--steps", "2",
                 "--kit", "fluidr3-standard", "--quiet", *_tiny_flags()])  # fmt: skip
    assert code == 1  # broken.mid is reported as skipped; the run went on
    model = load_model(run / "last.pt")
    assert model.config.activation == "sigmoid"  # the inverse preset: mixed learns like it
    assert model.metadata["objective"] == "mixed" and model.metadata["trained_steps"] == 2
    state = torch.load(sorted((run / "checkpoints").iterdir())[-1], weights_only=False)
    assert state["options"]["unlabeled"] == [str(audio)] or state["options"]["unlabeled"] == (
        str(audio),
    )
    assert state["options"]["reconstruction_weight"] == 0.2


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--objective", "mixed"], "give --unlabeled DIR"),
        (["--objective", "inverse", "--unlabeled", "x"], "give --unlabeled DIR"),
        (
            ["--objective", "mixed", "--unlabeled", "x", "--reconstruction-weight", "-1"],
            "--reconstruction-weight must be 0 or more",
        ),
    ],
)
def test_mixed_objective_needs_its_unlabeled_audio(midi_dir, tmp_path, capsys, flags, message):
    code = main(["train", str(midi_dir), "--out", str(tmp_path / "r"), "--steps", "1",
                 "--quiet", *flags])  # fmt: skip
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "r").exists()


def test_reverb_room_is_for_rendered_drums_only(midi_dir, tmp_path, capsys):
    code = main(["train", str(midi_dir), "--out", str(tmp_path / "r"), "--steps", "1",
                 "--quiet", "--objective", "reconstruction", "--reverb", "room"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "--reverb room plays rendered drums" in err[0]
    assert not (tmp_path / "r").exists()


def test_reverb_room_trains_and_is_kept_by_resume(midi_dir, tmp_path):
    pytest.importorskip("pyroomacoustics", reason="pip install 'drummernet[rooms]'")
    tiny = [x for k, v in TINY_LITE.items()
            for x in ("--set", f"{k}={list(v) if isinstance(v, tuple) else v}")]  # fmt: skip
    run = tmp_path / "run"
    main(["train", str(midi_dir), "--objective", "inverse", "--config", "lite", "--out",
          str(run), "--steps", "1", "--kit", "fluidr3-standard", "--quiet", "--reverb", "room",
          *tiny])  # fmt: skip
    assert main(["train", "--resume", "--out", str(run), "--steps", "2", "--quiet"]) in (0, 1)
    last = torch.load(sorted((run / "checkpoints").iterdir())[-1], weights_only=False)
    assert last["step"] == 2 and last["options"]["reverb"] == "room"


def test_reverb_room_without_pyroomacoustics_is_one_line(midi_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyroomacoustics", None)  # import fails as if absent
    code = main(["train", str(midi_dir), "--out", str(tmp_path / "r"), "--steps", "1",
                 "--quiet", "--objective", "inverse", "--reverb", "room"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "pip install 'drummernet[rooms]'" in err[0]
    assert not (tmp_path / "r").exists()
