"""Reliability: every command fed bad and odd input, in batches mixed with good files.

Each bad input must get exactly one line naming it (``drummernet: error: ...``),
the command a non-zero exit, every good input its outputs, and nothing may be
left half-written: no traceback, no temporary file.
"""

import errno
import os
import shutil
import subprocess
import sys

import mido
import numpy as np
import pytest
import soundfile as sf
import torch

from drummernet.cli import main
from drummernet.config import get_preset
from drummernet.model import AnalysisNetwork, save_model

TINY = dict(unet_first_channels=8, unet_channels=8, gru_bidirectional_units=8,
            gru_unidirectional_units=4)  # fmt: skip
TINY_SET = [x for k, v in TINY.items() for x in ("--set", f"{k}={v}")]
GMD_MIDI = "drummer1/eval_session/1_funk-groove1_138_beat_4-4.mid"


def hits(rate: int, seconds: float, channels: int = 1, seed: int = 0) -> np.ndarray:
    """Noise bursts every 0.25 s: drum-like audio at any rate and channel count."""
    rng = np.random.default_rng(seed)
    y = np.zeros(round(rate * seconds), np.float32)
    for t in np.arange(0.1, seconds, 0.25):
        i = int(t * rate)
        k = min(len(y) - i, int(0.05 * rate))
        y[i : i + k] += rng.standard_normal(k) * np.exp(-np.arange(k) / (0.01 * rate)) * 0.5
    return np.stack([y] * channels, 1) if channels > 1 else y


#: Odd but usable audio: each must be transcribed.
GOOD = {
    "good.wav": lambda p: sf.write(p, hits(44100, 2), 44100),
    "silence.wav": lambda p: sf.write(p, np.zeros(16000, np.float32), 16000),
    "dc.wav": lambda p: sf.write(p, np.full(16000, 0.5, np.float32), 16000),
    "clipped.wav": lambda p: sf.write(p, np.clip(hits(16000, 2) * 50, -1, 1), 16000),
    "one-sample.wav": lambda p: sf.write(p, np.array([0.5], np.float32), 16000),
    "short-0.05s.wav": lambda p: sf.write(p, hits(16000, 0.05), 16000),
    "rate-8k.wav": lambda p: sf.write(p, hits(8000, 2), 8000),
    "rate-192k.wav": lambda p: sf.write(p, hits(192000, 1), 192000),
    "eight-channels.wav": lambda p: sf.write(p, hits(48000, 1, 8), 48000),
    "pcm24.wav": lambda p: sf.write(p, hits(44100, 1), 44100, subtype="PCM_24"),
    "float64.wav": lambda p: sf.write(p, hits(44100, 1), 44100, subtype="DOUBLE"),
    "vorbis.ogg": lambda p: sf.write(p, hits(44100, 1), 44100, format="OGG", subtype="VORBIS"),
    "layer3.mp3": lambda p: sf.write(
        p, hits(44100, 1), 44100, format="MP3", subtype="MPEG_LAYER_III"
    ),
    "block-10s-stereo.wav": lambda p: sf.write(p, hits(44100, 10, 2), 44100),
    "block-30s-mono.flac": lambda p: sf.write(p, hits(44100, 30), 44100),
    "bätterie ü 鼓.wav": lambda p: sf.write(p, hits(22050, 1), 22050),
    "my take.wav": lambda p: sf.write(p, hits(22050, 1), 22050),
}


def _non_finite(value: float):
    def write(path):
        y = hits(16000, 1).astype(np.float64)
        y[100] = value
        sf.write(path, y, 16000, subtype="FLOAT")

    return write


#: Unusable audio and the reason each must be reported with.
BAD = {
    "corrupt.wav": (
        lambda p: p.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(200)),
        "cannot decode audio",
    ),
    "empty.flac": (lambda p: p.write_bytes(b""), "the file is empty"),
    "truncated.flac": (
        lambda p: p.write_bytes(p.with_name("block-30s-mono.flac").read_bytes()[:30000]),
        "cannot decode audio",
    ),
    "text.mp3": (lambda p: p.write_text("not audio\n" * 50), "not a recognised audio format"),
    "nan.wav": (_non_finite(np.nan), "NaN or infinite"),
    "inf.wav": (_non_finite(np.inf), "NaN or infinite"),
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    for name, write in GOOD.items():
        write(folder / name)
    for name, (write, _) in BAD.items():
        write(folder / name)
    (folder / "folder.wav").mkdir()  # a folder with an audio extension: not an input
    return folder


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    save_model(AnalysisNetwork(get_preset("fast").replace(**TINY)), path)
    return path


def run(argv, capfd):
    """``main(argv)``: exit code and the stderr lines (file-descriptor level, so
    that what C libraries print shows too)."""
    code = main([str(a) for a in argv])
    out, err = capfd.readouterr()
    assert "Traceback" not in err + out
    return code, out, [line for line in err.splitlines() if line.strip()]


def assert_one_line_each(lines, expected: dict[str, str]):
    """Exactly one stderr line names each bad input, with its reason; no other lines."""
    for name, reason in expected.items():
        named = [line for line in lines if name in line]
        assert len(named) == 1, (name, lines)
        assert reason in named[0] and named[0].startswith("drummernet: error:"), named[0]
    assert len(lines) == len(expected), lines


def assert_no_temporary_files(folder):
    assert not [p for p in folder.rglob("*") if ".tmp" in p.name], list(folder.rglob("*"))


def test_transcribe_a_batch_of_good_bad_and_odd_files(batch, tiny_model, tmp_path, capfd):
    out = tmp_path / "out"
    missing = batch / "missing.wav"
    code, stdout, lines = run(["transcribe", batch, missing, "--model", tiny_model,
                               "--out-dir", out, "--format", "mid", "json"], capfd)  # fmt: skip
    assert code == 1
    expected = {name: reason for name, (_, reason) in BAD.items()}
    expected["missing.wav"] = "no such file"
    # the only other line allowed: none (dc and silence are drums-less, not full mixes)
    assert_one_line_each(lines, expected)
    for name in GOOD:
        stem = name.rsplit(".", 1)[0]
        assert (out / f"{stem}.mid").is_file() and (out / f"{stem}.json").is_file(), name
        mido.MidiFile(out / f"{stem}.mid")  # a complete, readable file
    assert f"{len(GOOD)} of {len(GOOD) + len(BAD) + 1} file(s) done" in stdout
    assert_no_temporary_files(out)


def test_transcribe_an_explicit_folder_with_no_audio_and_a_folder_named_like_audio(
    batch, tiny_model, tmp_path, capfd
):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, lines = run(["transcribe", empty, "--model", tiny_model], capfd)
    assert code == 1 and len(lines) == 1 and "no audio files" in lines[0]
    code, _, lines = run(["transcribe", batch / "folder.wav", "--model", tiny_model], capfd)
    assert code == 1 and len(lines) == 1 and "no audio files" in lines[0]


def test_transcribe_into_an_output_that_cannot_be_written(batch, tiny_model, tmp_path, capfd):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    inputs = [batch / "good.wav", batch / "my take.wav"]
    code, _, lines = run(["transcribe", *inputs, "--model", tiny_model,
                          "--out-dir", blocker / "out"], capfd)  # fmt: skip
    assert code == 1 and len(lines) == 2 and all("cannot create" in line for line in lines)


def test_transcribe_onto_a_full_disk_leaves_no_partial_file(
    batch, tiny_model, tmp_path, capfd, monkeypatch
):
    def full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("drummernet.fileio.os.replace", full)
    out = tmp_path / "out"
    code, _, lines = run(["transcribe", batch / "good.wav", batch / "clipped.wav",
                          "--model", tiny_model, "--out-dir", out, "--format", "mid", "png"],
                         capfd)  # fmt: skip
    assert code == 1 and len(lines) == 2
    assert all("No space left on device" in line for line in lines), lines
    assert list(out.iterdir()) == []  # neither the outputs nor their temporary files


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "not a PyTorch file"),
        (b"this is a text file, not a model", "not a PyTorch file"),
        ("truncated", "not a PyTorch file"),
        ("pickle", "not a drummernet model file"),
        ("folder", "model file"),
    ],
)
def test_bad_model_files_stop_before_any_input(content, reason, batch, tiny_model, tmp_path,
                                               capfd):  # fmt: skip
    model = tmp_path / "model.pt"
    if content == "truncated":
        model.write_bytes(tiny_model.read_bytes()[:5000])
    elif content == "pickle":
        torch.save({"config": {}, "state": object()}, model)
    elif content == "folder":
        model.mkdir()
    else:
        model.write_bytes(content)
    out = tmp_path / "out"
    code, _, lines = run(["transcribe", batch / "good.wav", "--model", model, "--out-dir", out],
                         capfd)  # fmt: skip
    assert code == 1 and len(lines) == 1 and reason in lines[0], lines
    assert "weights_only" not in lines[0] and not out.exists()


def test_evaluate_leaves_out_bad_tracks_and_annotations_and_scores_the_rest(
    batch, tiny_model, tmp_path, capfd
):
    root = tmp_path / "mdb"
    (root / "audio").mkdir(parents=True)
    (root / "annotations" / "subclass").mkdir(parents=True)
    tracks = {"Good": "good.wav", "Other": "clipped.wav", "Corrupt": "corrupt.wav",
              "Nan": "nan.wav", "Malformed": "good.wav"}  # fmt: skip
    for track, source in tracks.items():
        shutil.copy(batch / source, root / "audio" / f"{track}_Drum.wav")
        text = "0.100 \t KD \n0.350 \t SD \n" + ("abc \t SD \n" if track == "Malformed" else "")
        (root / "annotations" / "subclass" / f"{track}_subclass.txt").write_text(text)
    report = tmp_path / "r.json"
    code, _, lines = run(["evaluate", root, "--model", tiny_model, "-o", report], capfd)
    assert code == 1
    expected = {"Corrupt_Drum.wav": "cannot decode audio", "Nan_Drum.wav": "NaN",
                "Malformed_subclass.txt:3": "expected"}  # fmt: skip
    assert_one_line_each(lines, expected)
    assert report.is_file() and '"n_tracks": 2' in report.read_text()


def test_evaluate_report_paths_are_checked_before_scoring(tiny_model, tmp_path, capfd):
    examples = "drummernet/examples"
    for output, reason in [(tmp_path / "r.png", "unknown report type"),
                           (tmp_path / "missing" / "r.json", "does not exist")]:  # fmt: skip
        code, stdout, lines = run(["evaluate", examples, "--model", tiny_model, "-o", output],
                                  capfd)  # fmt: skip
        assert code == 1 and len(lines) == 1 and reason in lines[0] and stdout == "", lines


def test_train_skips_bad_files_with_one_line_each_and_still_trains(batch, tmp_path, capfd):
    data = tmp_path / "data"
    data.mkdir()
    for name in ["block-10s-stereo.wav", "corrupt.wav", "empty.flac", "nan.wav", "text.mp3",
                 "one-sample.wav"]:  # fmt: skip
        shutil.copy(batch / name, data / name)
    run_dir = tmp_path / "run"
    code, stdout, lines = run(["train", data, "--out", run_dir, "--steps", "1",
                               "--batch-size", "2", "--quiet", *TINY_SET], capfd)  # fmt: skip
    assert code == 1 and "done at step 1" in stdout
    assert_one_line_each(lines, {"corrupt.wav": "cannot decode", "empty.flac": "empty",
                                 "nan.wav": "NaN", "text.mp3": "not a recognised",
                                 "one-sample.wav": "shorter than"})  # fmt: skip
    assert (run_dir / "last.pt").is_file()
    assert_no_temporary_files(run_dir)
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    shutil.copy(batch / "corrupt.wav", only_bad)
    code, _, lines = run(["train", only_bad, "--out", tmp_path / "run2", "--steps", "1",
                          *TINY_SET], capfd)  # fmt: skip
    assert code == 1 and len(lines) == 1 and "no usable audio" in lines[0]


def test_adapt_skips_bad_files_and_adapts_on_the_good_one(batch, tmp_path, capfd):
    out = tmp_path / "adapted.pt"
    inputs = [batch / "block-10s-stereo.wav", batch / "corrupt.wav", batch / "one-sample.wav",
              batch / "missing.wav"]  # fmt: skip
    code, stdout, lines = run(["adapt", *inputs, "--out", out,
                               "--steps", "1", "--quiet"], capfd)  # fmt: skip
    lines = [line for line in lines if not line.startswith("note: kit")]
    assert code == 1 and out.is_file() and "adapted on 1 file(s)" in stdout
    assert_one_line_each(lines, {"corrupt.wav": "cannot decode", "one-sample.wav": "too short",
                                 "missing.wav": "no such file"})  # fmt: skip


@pytest.fixture
def midi_folder(tmp_path):
    from pathlib import Path

    gmd = Path(__file__).resolve().parents[2] / "shared" / "data" / "groove-midi" / GMD_MIDI
    folder = tmp_path / "midi"
    folder.mkdir()
    good = mido.MidiFile(type=0)
    track = mido.MidiTrack()
    good.tracks.append(track)
    for i in range(8):
        track.append(mido.Message("note_on", channel=9, note=36 + 2 * (i % 2), velocity=100,
                                  time=0 if i == 0 else 240))  # fmt: skip
    good.save(folder / "good.mid")
    if gmd.is_file():
        shutil.copy(gmd, folder / "gmd.mid")
    (folder / "garbage.mid").write_text("not midi")
    (folder / "empty.mid").write_bytes(b"")
    (folder / "truncated.mid").write_bytes((folder / "good.mid").read_bytes()[:30])
    piano = mido.MidiFile()
    piano.tracks.append(mido.MidiTrack([mido.Message("note_on", channel=0, note=60, time=0)]))
    piano.save(folder / "piano-only.mid")
    return folder


def test_render_reports_each_bad_midi_file_and_renders_the_good_ones(midi_folder, tmp_path,
                                                                     capfd):  # fmt: skip
    out = tmp_path / "render"
    code, _, lines = run(["render", midi_folder, "--kit", "fluidr3-standard", "--out", out,
                               "--dry"], capfd)  # fmt: skip
    assert code == 1
    assert_one_line_each(lines, {"garbage.mid": "not a readable MIDI file",
                                 "empty.mid": "the file is empty", "truncated.mid": "truncated",
                                 "piano-only.mid": "no drum notes"})  # fmt: skip
    assert (out / "good.flac").is_file() and (out / "good.csv").is_file()
    assert_no_temporary_files(out)


def test_kits_build_folder_reports_each_unusable_one_shot(batch, tmp_path, capfd):
    shots = tmp_path / "shots"
    shots.mkdir()
    shutil.copy(batch / "good.wav", shots / "KD_KD.wav")
    shutil.copy(batch / "corrupt.wav", shots / "SD_SD.wav")
    shutil.copy(batch / "nan.wav", shots / "HH_CHH.wav")
    shutil.copy(batch / "silence.wav", shots / "CY_RDC.wav")
    shutil.copy(batch / "good.wav", shots / "cowbell.wav")
    code, stdout, lines = run(["kits", "build", "folder", shots, "--out", tmp_path / "kits"],
                              capfd)  # fmt: skip
    assert code == 1 and "built shots: 1/11" in stdout
    errors = [line for line in lines if line.startswith("drummernet: error:")]
    assert_one_line_each(errors, {"SD_SD.wav": "cannot decode", "HH_CHH.wav": "NaN",
                                  "CY_RDC.wav": "silent"})  # fmt: skip
    assert any("cowbell.wav" in line and "warning" in line for line in lines)


def test_the_console_script_never_prints_a_traceback(batch, tmp_path):
    """The installed entry point, in a fresh process, on a mixed batch."""
    script = shutil.which("drummernet") or [sys.executable, "-m", "drummernet.cli"]
    command = [script] if isinstance(script, str) else script
    result = subprocess.run([*command, "transcribe", batch / "corrupt.wav", batch / "text.mp3",
                             "--out-dir", tmp_path], capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2, result.stderr
