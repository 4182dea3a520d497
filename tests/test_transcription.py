import csv
import json
from types import SimpleNamespace

import mido
import numpy as np
import pytest
import soundfile as sf
import torch

from drummernet.audio import AudioError
from drummernet.cli import main
from drummernet.config import get_preset
from drummernet.errors import ConfigError, ModelFileError
from drummernet.model import AnalysisNetwork, save_model
from drummernet.transcription import PeakPicking, Transcription, pick_events, pick_peaks, transcribe
from drummernet.transcription.inference import activations, chunk_lengths
from drummernet.transcription.notes import Event
from drummernet.transcription.outputs import write_csv, write_json, write_midi, write_png


def bumps(length, centres, heights, width=3):
    curve = np.zeros(length)
    for c, h in zip(centres, heights, strict=True):
        curve[c - width : c + width + 1] = np.maximum(
            curve[c - width : c + width + 1], h * np.hanning(2 * width + 3)[1:-1]
        )
    return curve


def test_peaks_found_merged_by_wait_and_thresholded():
    curve = bumps(2000, [200, 600, 630, 1200, 1600], [1.0, 0.8, 0.9, 0.1, 0.5])
    # 600 and 630 are within the 50 ms max window: only the higher survives.
    np.testing.assert_array_equal(pick_peaks(curve, 1000.0), [200, 630, 1600])
    # A higher delta drops the 0.5 peak; a tiny one keeps the 0.1 peak.
    np.testing.assert_array_equal(pick_peaks(curve, 1000.0, delta=0.6), [200, 630])
    np.testing.assert_array_equal(pick_peaks(curve, 1000.0, delta=0.05), [200, 630, 1200, 1600])


def test_wait_drops_a_peak_too_soon_after_the_previous():
    curve = np.zeros(1000)
    curve[[100, 160, 300]] = [1.0, 0.9, 1.0]  # 60 ms apart: outside the max window
    np.testing.assert_array_equal(pick_peaks(curve, 1000.0, max_window_s=0.01), [100, 160, 300])
    np.testing.assert_array_equal(
        pick_peaks(curve, 1000.0, max_window_s=0.01, wait_s=0.08), [100, 300]
    )
    assert pick_peaks(np.zeros(50), 1000.0).size == 0


def test_peaks_in_blocks_equal_peaks_of_the_whole_curve():
    rng = np.random.default_rng(0)
    curve = rng.random(20_000) ** 8  # sparse-ish peaks, some near block edges
    whole = pick_peaks(curve, 1000.0, delta=0.1, block_frames=curve.size)
    assert whole.size > 100
    for block in (97, 1000, 4096):
        np.testing.assert_array_equal(
            pick_peaks(curve, 1000.0, delta=0.1, block_frames=block), whole
        )
    # dividing inside equals dividing first (how a class curve is normalised)
    np.testing.assert_array_equal(pick_peaks(curve * 3, 1000.0, delta=0.1, divisor=3.0), whole)


def test_events_merge_class_members_keep_strength_and_respect_floor():
    components = get_preset("paper").components
    acts = np.zeros((11, 3000))
    acts[0, [500, 1500]] = [0.6, 0.3]  # kick
    acts[2, 1000] = 0.4  # closed hi-hat
    acts[3, 1000] = 0.5  # open hi-hat at the same instant: one HH event
    acts[1, 2000] = 0.01  # a snare whisper below the floor
    events = pick_events(acts, 1000.0, components, "paper", PeakPicking(floor=0.02))
    assert [(e.time, e.label, e.component) for e in events] == [
        (0.5, "KD", "KD_KD"),
        (1.0, "HH", "HH_OHH"),
        (1.5, "KD", "KD_KD"),
    ]
    assert events[0].strength == pytest.approx(0.6) and events[0].velocity == 127
    assert events[2].velocity == round(127 * 0.3 / 0.6)
    per_class = PeakPicking(deltas={"KD": 0.6})
    assert [e.time for e in pick_events(acts, 1000.0, components, "paper", per_class)
            if e.label == "KD"] == [0.5]  # fmt: skip
    absolute = PeakPicking(normalize=False, delta=0.35, floor=0.0)
    assert [e.time for e in pick_events(acts, 1000.0, components, "paper", absolute)] == [0.5, 1.0]


def test_added_components_join_a_class_curve_and_survive_the_model_metadata():
    components = get_preset("paper").components
    acts = np.zeros((11, 2000))
    acts[4, [500, 1500]] = 0.5  # hats played on the pedal-hat slot
    acts[2, 1000] = 0.5  # one closed hat
    plain = pick_events(acts, 1000.0, components, "paper", PeakPicking())
    assert [(e.time, e.label) for e in plain] == [(1.0, "HH")]  # the paper's HH: CHH + OHH
    widened = PeakPicking(add_components={"HH": ("HH_PHH",)})
    events = pick_events(acts, 1000.0, components, "paper", widened)
    # Events are named after the class's own components (MIDI keys of real hats).
    assert [(e.time, e.component) for e in events] == [
        (0.5, "HH_CHH"), (1.0, "HH_CHH"), (1.5, "HH_CHH")
    ]  # fmt: skip
    assert events[0].strength == pytest.approx(0.5)
    # "all" already counts the pedal hat as HH: adding it again changes nothing.
    assert pick_events(acts, 1000.0, components, "all", widened) == pick_events(
        acts, 1000.0, components, "all", PeakPicking()
    )

    # A model whose metadata holds the tuned choice, as JSON gives it back.
    stored = SimpleNamespace(
        config=get_preset("paper"),
        metadata={"peak_picking": json.loads(json.dumps(widened.to_dict()))},
    )
    restored = PeakPicking.for_model(stored)
    assert pick_events(acts, 1000.0, components, "paper", restored) == events
    with pytest.raises(ConfigError, match="unknown drum component 'X' to HH"):
        pick_events(acts, 1000.0, components, "paper", PeakPicking(add_components={"HH": ("X",)}))


def test_lite_chunks_need_only_the_receptive_field_as_context():
    model = AnalysisNetwork(get_preset("lite")).eval()
    with torch.no_grad():  # a random model's scores are nearly flat: make them differ
        model.lite.output.weight.mul_(100.0)
    field = model.config.receptive_field_samples
    assert chunk_lengths(model, 8.0)[1] == -(-field // 4096) * 4096 <= 0.5 * 16000
    rng = np.random.default_rng(2)
    audio = np.zeros(16000 * 6, np.float32)
    for onset in rng.integers(0, len(audio) - 2000, 30):
        audio[onset : onset + 2000] += rng.standard_normal(2000) * np.exp(-np.arange(2000) / 300)
    whole = activations(model, audio, chunk_s=60, context_s=0)
    assert np.count_nonzero(whole > 1e-3) > 300
    # equal up to float32 rounding: the scaled scores reach ~350, and on some CPUs the
    # convolutions of a chunk and of the whole sum in another order (up to 1.5e-4 seen)
    np.testing.assert_allclose(activations(model, audio, chunk_s=1.024), whole, atol=1e-3)
    # without context the chunks' edges differ by far more than that
    short = activations(model, audio, chunk_s=1.024, context_s=0)
    assert np.abs(short - whole).max() > 0.1


@pytest.mark.parametrize("preset", ["conv", "paper", "fast", "lite", "inverse", "crnn"])
def test_chunked_inference_is_aligned_to_the_sample(preset):
    model = AnalysisNetwork(get_preset(preset)).eval()
    rng = np.random.default_rng(1)
    audio = np.zeros(16000 * 7 + 333, np.float32)
    for onset in rng.integers(0, len(audio) - 2000, 25):
        audio[onset : onset + 2000] += rng.standard_normal(2000) * np.exp(-np.arange(2000) / 300)
    whole = activations(model, audio, chunk_s=60, context_s=0)
    chunked = activations(model, audio, chunk_s=1.024, context_s=2.048)
    assert whole.shape == chunked.shape == (11, -(-len(audio) // 16))
    # finite: GRUs on fixed windows of the file's grid
    exact = preset in ("conv", "fast", "lite", "inverse", "crnn")
    if exact:  # finite receptive field inside the context: the same numbers
        np.testing.assert_allclose(chunked, whole, atol=1e-5)
    comps = model.config.components
    pick = PeakPicking(floor=0.0)
    # Rounding removes float noise that would only flip ties on a random model's plateaus.
    one = pick_events(np.round(whole, 3), 1000.0, comps, "components", pick)
    two = pick_events(np.round(chunked, 3), 1000.0, comps, "components", pick)
    if exact:
        assert [(e.time, e.label) for e in one] == [(e.time, e.label) for e in two]
    else:  # GRUs remember beyond any context: a few events may differ, none may drift
        same = {(e.time, e.label) for e in one} & {(e.time, e.label) for e in two}
        assert len(same) >= 0.9 * max(len(one), len(two))


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("model") / "m.pt"
    save_model(AnalysisNetwork(get_preset("paper")), path)
    return path


def test_transcribe_array_any_rate_and_channels(model_file):
    rng = np.random.default_rng(0)
    stereo = rng.standard_normal((44100 * 2, 2)).astype(np.float32) * 0.1
    result = transcribe(stereo, sr=44100, model=model_file)
    assert result.activations.shape == (11, 2000)
    assert result.duration == pytest.approx(2.0, abs=1e-3)
    assert all(e.label in {"KD", "SD", "HH"} for e in result.events)


def test_half_precision_activations_give_the_events_of_full_precision_ones():
    from pathlib import Path

    from drummernet.audio import load_audio
    from drummernet.transcription import get_model

    example = Path(__file__).parents[1] / "drummernet" / "examples" / "gmd-rock-100bpm.flac"
    result = transcribe(example, classes="all")
    assert result.activations.dtype == np.float16  # half the memory of an hour's curves
    audio = load_audio(example)
    full = activations(get_model(None), audio, gain=1 / np.max(np.abs(audio)))  # as transcribe
    np.testing.assert_allclose(result.activations, full, atol=1e-3)
    from_full = pick_events(full, result.frame_rate, result.components, "all",
                            PeakPicking.for_model(get_model(None)))  # fmt: skip
    assert [(e.time, e.label) for e in from_full] == [(e.time, e.label) for e in result.events]


def test_silence_gives_no_onsets_and_bad_input_is_an_error(model_file, tmp_path):
    result = transcribe(np.zeros(16000), sr=16000, model=model_file)
    assert result.events == [] and result.meta["silent"]
    with pytest.raises(AudioError, match="NaN"):
        transcribe(np.full(16000, np.nan), sr=16000, model=model_file)
    with pytest.raises(AudioError, match="sample rate"):
        transcribe(np.zeros(16000), model=model_file)
    with pytest.raises(ModelFileError, match="not found"):
        transcribe(np.ones(16000), sr=16000, model=tmp_path / "missing.pt")


@pytest.fixture
def made_up():
    events = [Event(0.5, "KD", "KD_KD", 0.8, 127), Event(0.75, "HH", "HH_OHH", 0.4, 64),
              Event(1.25, "SD", "SD_SD", 0.6, 96)]  # fmt: skip
    acts = np.zeros((11, 2000), np.float32)
    return Transcription(events, acts, 1000.0, get_preset("paper").components, 2.0, "x.wav")


def test_midi_csv_json_png_read_back(made_up, tmp_path):
    write_midi(made_up, tmp_path / "x.mid")
    notes, now = [], 0.0
    for msg in mido.MidiFile(tmp_path / "x.mid"):
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            notes.append((round(now, 4), msg.note, msg.velocity, msg.channel))
    assert notes == [(0.5, 36, 127, 9), (0.75, 46, 64, 9), (1.25, 38, 96, 9)]
    write_csv(made_up, tmp_path / "x.csv")
    with open(tmp_path / "x.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(float(r["time"]), r["label"]) for r in rows] == [
        (0.5, "KD"),
        (0.75, "HH"),
        (1.25, "SD"),
    ]
    write_json(made_up, tmp_path / "x.json")
    data = json.loads((tmp_path / "x.json").read_text())
    assert (
        data["counts"] == {"KD": 1, "HH": 1, "SD": 1} and data["events"][1]["component"] == "HH_OHH"
    )
    write_png(made_up, tmp_path / "x.png", np.zeros(32000))
    assert (tmp_path / "x.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_transcribes_good_files_reports_bad_ones_and_never_overwrites(
    model_file, tmp_path, capsys
):
    rng = np.random.default_rng(0)
    sf.write(tmp_path / "good.wav", rng.standard_normal(22050).astype(np.float32) * 0.1, 22050)
    (tmp_path / "bad.wav").write_bytes(b"RIFF....not audio")
    (tmp_path / "empty.flac").write_bytes(b"")
    out = tmp_path / "out"
    args = ["transcribe", str(tmp_path), "--model", str(model_file), "--out-dir", str(out),
            "--format", "mid", "json"]  # fmt: skip
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "bad.wav" in err and "empty.flac" in err and "Traceback" not in err
    assert (out / "good.mid").is_file() and (out / "good.json").is_file()
    before = (out / "good.json").read_text()
    assert main([*args[:1], str(tmp_path / "good.wav"), *args[2:]]) == 1
    assert "exists (use --overwrite" in capsys.readouterr().err
    assert (out / "good.json").read_text() == before
    assert main([*args[:1], str(tmp_path / "good.wav"), *args[2:], "--overwrite"]) == 0
    assert main(["transcribe", str(tmp_path / "good.wav"), "--model", str(tmp_path / "no.pt")]) == 1
    assert "no.pt: model file not found" in capsys.readouterr().err


def test_same_named_inputs_of_a_batch_keep_both_results(model_file, tmp_path, capsys):
    rng = np.random.default_rng(1)
    for name in ("takes/one.wav", "live/one.flac", "live/one.wav", "solo.wav"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        sf.write(tmp_path / name, rng.standard_normal(16000).astype(np.float32) * 0.1, 16000)
    out = tmp_path / "out"
    inputs = [str(tmp_path / p) for p in ("takes/one.wav", "live/one.flac", "live/one.wav",
                                          "solo.wav")]  # fmt: skip
    args = ["transcribe", *inputs, "--model", str(model_file), "--out-dir", str(out),
            "--format", "json"]  # fmt: skip
    assert main(args) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["live-one-flac.json", "live-one-wav.json", "solo.json",
                       "takes-one-wav.json"]  # fmt: skip
    sources = {json.loads((out / name).read_text())["source"] for name in written}
    assert len(sources) == 4  # four results, one per input
    assert str(out / "solo.json") in capsys.readouterr().out  # says where it wrote


def test_a_folder_transcribed_twice_does_not_read_its_own_outputs(model_file, tmp_path, capsys):
    album = tmp_path / "album"
    album.mkdir()
    rng = np.random.default_rng(2)
    for name in ("a.wav", "b.flac"):
        sf.write(album / name, rng.standard_normal(16000).astype(np.float32) * 0.1, 16000)
    args = ["transcribe", str(album), "--model", str(model_file)]
    assert main([*args, "--format", "wav", "ab.wav"]) == 0
    assert (album / "a.resynth.wav").is_file() and (album / "b.ab.wav").is_file()
    capsys.readouterr()
    assert main([*args, "--overwrite"]) == 0
    assert "2 of 2 file(s) done" in capsys.readouterr().out
    assert sorted(p.name for p in album.glob("*.mid")) == ["a.mid", "b.mid"]
    assert main(["transcribe", str(album / "*.wav"), "--model", str(model_file),
                 "--overwrite"]) == 0  # fmt: skip
    assert "1 of 1 file(s) done" in capsys.readouterr().out
