import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from drummernet.audio import write_audio
from drummernet.cli import main
from drummernet.config import get_preset
from drummernet.datasets import Hit
from drummernet.datasets.render import render_hits, write_labels
from drummernet.errors import DrummerNetError, ModelFileError
from drummernet.kits.library import get_kit
from drummernet.model import load_model
from drummernet.training import TrainOptions, train
from drummernet.training.checkpoints import list_checkpoints, load_checkpoint, save_checkpoint

TINY = dict(
    unet_first_channels=8,
    unet_channels=8,
    gru_bidirectional_units=8,
    gru_unidirectional_units=4,
    batch_size=2,
    segment_seconds=1.0,
    spectrum="mel",
)


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audio")
    kit = get_kit("fluidr3-standard")
    rng = np.random.default_rng(0)
    for i in range(3):
        hits = [
            Hit(float(t), c, int(rng.integers(40, 127)))
            for t, c in zip(
                np.arange(0, 3, 0.25), rng.choice(["KD_KD", "SD_SD", "HH_CHH"], 12), strict=True
            )
        ]
        audio, _, _ = render_hits(hits, kit)
        write_audio(folder / f"loop{i}.flac", audio, 16000)
    (folder / "broken.wav").write_bytes(b"not audio")
    return folder


TINY_CLI = [x for k, v in TINY.items() for x in ("--set", f"{k}={v}")]


def train_command(audio_dir, run, steps, *extra, launcher=()):
    """``python [launcher] -m drummernet.cli train ...`` with the tiny configuration."""
    return [sys.executable, *launcher, "-m", "drummernet.cli", "train", str(audio_dir),
            "--out", str(run), "--steps", str(steps), "--quiet", "--kit", "fluidr3-standard",
            *extra, *TINY_CLI]  # fmt: skip


def options(audio_dir, out, **kw):
    base = dict(
        data=[str(audio_dir)],
        out_dir=str(out),
        kits=["fluidr3-standard", "fluidr3-jazz"],
        steps=4,
        checkpoint_every=2,
        progress=False,
        cache_dir=str(out.parent / "cache"),
    )
    return TrainOptions(**{**base, **kw})  # fmt: skip


def test_resumed_run_equals_the_uninterrupted_one(audio_dir, tmp_path):
    config = get_preset("paper").replace(**TINY)
    whole = train(config, options(audio_dir, tmp_path / "a", steps=4))
    assert whole["step"] == 4 and whole["items"] == 8
    assert any("broken.wav" in s for s in whole["skipped"])
    train(config, options(audio_dir, tmp_path / "b", steps=2))
    train(config, options(audio_dir, tmp_path / "b", steps=4), resume=True)
    a = load_checkpoint(list_checkpoints(tmp_path / "a" / "checkpoints")[-1])
    b = load_checkpoint(list_checkpoints(tmp_path / "b" / "checkpoints")[-1])
    assert a["step"] == b["step"] == 4
    for key, value in a["model"].items():
        torch.testing.assert_close(value, b["model"][key], rtol=0, atol=1e-6)
    model = load_model(tmp_path / "a" / "last.pt")
    assert model.metadata["trained_items"] == 8
    assert [p.name for p in list_checkpoints(tmp_path / "a" / "checkpoints")] == [
        "step-00000002.ckpt", "step-00000004.ckpt"]  # fmt: skip


def test_run_folder_checks(audio_dir, tmp_path):
    config = get_preset("paper").replace(**TINY)
    train(config, options(audio_dir, tmp_path / "r", steps=2))
    with pytest.raises(DrummerNetError, match="already holds a run"):
        train(config, options(audio_dir, tmp_path / "r", steps=2))
    other = config.replace(unet_channels=6)
    with pytest.raises(ModelFileError, match="another configuration"):
        train(other, options(audio_dir, tmp_path / "r", steps=3), resume=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DrummerNetError, match="no usable audio"):
        train(config, options(empty, tmp_path / "e"))


def test_a_new_run_can_start_from_a_model_of_another_preset(audio_dir, tmp_path):
    paper = get_preset("paper").replace(**TINY)
    train(paper, options(audio_dir, tmp_path / "a", steps=2))
    start = tmp_path / "a" / "last.pt"
    fast = get_preset("fast").replace(**TINY)  # same parameters, windowed GRUs
    train(fast, options(audio_dir, tmp_path / "b", steps=0, init=str(start)))
    loaded = load_model(tmp_path / "b" / "last.pt")
    assert loaded.config.gru_window_frames == 256
    for key, value in load_model(start).state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)
    checkpoint = list_checkpoints(tmp_path / "a" / "checkpoints")[-1]  # a checkpoint, too
    train(fast, options(audio_dir, tmp_path / "d", steps=0, init=str(checkpoint)))
    for key, value in load_checkpoint(checkpoint)["model"].items():
        torch.testing.assert_close(load_model(tmp_path / "d" / "last.pt").state_dict()[key], value)
    wider = paper.replace(unet_channels=6)
    cache = tmp_path / "c-cache"
    with pytest.raises(DrummerNetError, match="do not fit"):
        train(wider, options(audio_dir, tmp_path / "c", steps=1, init=str(start),
                             cache_dir=str(cache)))  # fmt: skip
    assert not cache.exists()  # refused before any audio was decoded


def _labeled_set(labeled):
    """A rendered set of one labeled track of three kicks."""
    labeled.mkdir()
    hits = [Hit(t, "KD_KD", 100) for t in (0.25, 0.75, 1.25)]
    audio, labels, _ = render_hits(hits, get_kit("fluidr3-standard"))
    write_audio(labeled / "t.flac", audio, 16000)
    write_labels(labeled / "t.csv", labels)
    manifest = {"tracks": [{"name": "t", "audio": "t.flac", "labels": "t.csv"}]}
    (labeled / "render.json").write_text(json.dumps(manifest))


def test_validation_starts_with_the_untrained_network(audio_dir, tmp_path):
    labeled = tmp_path / "labeled"
    _labeled_set(labeled)
    config = get_preset("paper").replace(**TINY)
    train(config, options(audio_dir, tmp_path / "r", steps=2, validation=str(labeled)))
    rows = (tmp_path / "r" / "validation.csv").read_text().splitlines()
    assert rows[1].startswith("0,0,") and rows[-1].startswith("2,4,")
    assert (tmp_path / "r" / "f1_vs_items.png").stat().st_size > 1000


def test_a_checkpoint_write_clears_what_a_killed_write_left(tmp_path):
    """SIGKILL in the middle of a checkpoint's atomic write leaves its temporary file;
    the next checkpoint written there removes it, and nothing else."""
    save_checkpoint(tmp_path, {"step": 3})
    debris = tmp_path / ".step-00000004.ckpt.k1ll3d.tmp.ckpt"
    debris.write_bytes(b"half a checkpoint")
    other = tmp_path / "notes.tmp.txt"
    other.write_text("not ours")
    save_checkpoint(tmp_path, {"step": 5})
    assert not debris.exists() and other.exists()
    assert [c.name for c in list_checkpoints(tmp_path)] == [
        "step-00000003.ckpt",
        "step-00000005.ckpt",
    ]


def test_killed_run_resumes_from_its_last_checkpoint(audio_dir, tmp_path):
    run = tmp_path / "k"
    cmd = train_command(audio_dir, run, 1000, "--checkpoint-every", "1")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list_checkpoints(run / "checkpoints")) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = list_checkpoints(run / "checkpoints")
    assert done, proc.stderr.read().decode()[-2000:]
    last_step = load_checkpoint(done[-1])["step"]
    resume = [*cmd, "--resume"]
    resume[resume.index("1000")] = str(last_step + 2)
    resumed = subprocess.run(resume, env=env, capture_output=True, text=True)
    assert resumed.returncode == 1  # it trained, but broken.wav was skipped: one line, status 1
    assert resumed.stderr.count("broken.wav") == 1 and "Traceback" not in resumed.stderr
    assert load_checkpoint(list_checkpoints(run / "checkpoints")[-1])["step"] == last_step + 2
    assert not list(run.rglob("*.tmp*"))  # no temporary file of an atomic write left


def test_sigterm_to_every_process_of_a_run_with_workers_saves_and_says_so(audio_dir, tmp_path):
    run = tmp_path / "t"
    cmd = train_command(audio_dir, run, 1000, "--checkpoint-every", "1", "--workers", "1")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while len(list_checkpoints(run / "checkpoints")) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)  # the loop and its data worker, as pkill -f does
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err.decode(), err.decode()[-2000:]
    assert "terminated at step" in out.decode()
    last = load_checkpoint(list_checkpoints(run / "checkpoints")[-1])
    assert f"terminated at step {last['step']} " in out.decode()


def test_two_process_data_parallel_run(audio_dir, tmp_path):
    run = tmp_path / "ddp"
    launcher = ["-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517"]
    cmd = train_command(audio_dir, run, 2, launcher=launcher)
    result = subprocess.run(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True)
    # rank 0's status: 1, since broken.wav was skipped (rank 1 says nothing and exits 0)
    assert result.returncode == 1, result.stderr.decode()[-2000:]
    assert result.stderr.decode().count("broken.wav: cannot decode audio") == 1
    state = load_checkpoint(list_checkpoints(run / "checkpoints")[-1])
    assert state["items"] == 2 * 2 * 2  # steps x batch x processes
    assert (run / "last.pt").is_file() and (run / "train.csv").is_file()
    assert result.stdout.decode().count("done at step 2") == 1  # rank 0 alone reports


def test_cli_train_reports_an_unreadable_data_folder(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]) == 1
    assert "nothing: no such file or folder" in capsys.readouterr().err


class _Payload:
    """What a crafted checkpoint carries: unpickling it would create ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_crafted_checkpoint_runs_nothing_on_resume_or_init(audio_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(train_command(audio_dir, run, 2)[3:]) == 1  # broken.wav skipped
    (checkpoint,) = list_checkpoints(run / "checkpoints")[-1:]
    state = load_checkpoint(checkpoint)
    marker = tmp_path / "pwned"
    state["options"]["seed"] = _Payload(marker)
    torch.save(state, checkpoint)  # the run's latest checkpoint, replaced
    capsys.readouterr()
    assert main(train_command(audio_dir, run, 4, "--resume")[3:]) == 1
    err = capsys.readouterr().err
    assert "Python objects" in err and len(err.strip().splitlines()) == 1
    assert not marker.exists()
    assert main(train_command(audio_dir, tmp_path / "new", 1, "--init", str(checkpoint))[3:]) == 1
    assert "Python objects" in capsys.readouterr().err
    assert not marker.exists() and not (tmp_path / "new").exists()


@pytest.mark.parametrize("damage", ["items", "model", "config"])
def test_a_checkpoint_missing_a_field_is_one_line(audio_dir, tmp_path, capsys, damage):
    run = tmp_path / "run"
    assert main(train_command(audio_dir, run, 1)[3:]) == 1  # broken.wav skipped
    state = load_checkpoint(list_checkpoints(run / "checkpoints")[-1])
    if damage == "model":
        state["model"] = 3  # not a state dict
    else:
        del state[damage]
    torch.save(state, tmp_path / "damaged.ckpt")
    capsys.readouterr()
    assert main(train_command(audio_dir, tmp_path / "new", 1, "--init",
                              str(tmp_path / "damaged.ckpt"))[3:]) == 1  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"'{damage}'" in err[0] and "damaged.ckpt" in err[0]


def test_resume_continues_with_the_runs_own_options(audio_dir, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    labeled = tmp_path / "labeled"
    _labeled_set(labeled)
    first = ["train", str(audio_dir), "--out", str(run), "--steps", "4", "--max-minutes",
             "0", "--batch-size", "1", "--validation", str(labeled), "--quiet",
             "--kit", "fluidr3-standard", *TINY_CLI]  # fmt: skip
    assert main(first) == 1  # the broken.wav of the data is skipped
    stopped = load_checkpoint(list_checkpoints(run / "checkpoints")[-1])
    assert stopped["step"] == 1 and stopped["items"] == 1  # stopped by the time limit
    capsys.readouterr()
    import drummernet.training.run as run_module

    reads = []
    counted = run_module.load_checkpoint
    monkeypatch.setattr(run_module, "load_checkpoint",
                        lambda *a, **k: reads.append(a[0]) or counted(*a, **k))  # fmt: skip
    assert main(["train", "--out", str(run), "--resume", "--quiet"]) == 1
    assert "at step 4 (4 items)" in capsys.readouterr().out
    assert len(reads) == 1  # the checkpoint resumed is read once
    state = load_checkpoint(list_checkpoints(run / "checkpoints")[-1])
    assert state["items"] == 4 and state["config"]["batch_size"] == 1
    assert state["options"]["validation"] == str(labeled)
    assert state["options"]["kits"] == ["fluidr3-standard"]
    assert [row["step"] for row in state["history"]][-1] == 4  # validated at the end


@pytest.mark.parametrize(
    ("again", "named"),
    [(["--batch-size", "2"], "batch_size"), (["--seed", "3"], "--seed"),
     (["--objective", "inverse"], "--objective"), (["--kit", "fluidr3-jazz"], "--kit")],
)  # fmt: skip
def test_resume_refuses_options_that_differ_from_the_runs(audio_dir, tmp_path, capsys, again,
                                                          named):  # fmt: skip
    run = tmp_path / "run"
    assert main(train_command(audio_dir, run, 1, "--batch-size", "1")[3:]) == 1
    capsys.readouterr()
    assert main(["train", "--out", str(run), "--resume", "--steps", "2", *again]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0], err
    assert load_checkpoint(list_checkpoints(run / "checkpoints")[-1])["step"] == 1


def test_the_warm_start_trains_its_own_network_by_default(tmp_path, capsys):
    from drummernet.training.options import new_run_config

    assert new_run_config("inverse") == "inverse" and new_run_config(None) == "fast"
    assert main(["train", "--out", str(tmp_path / "x")]) == 1
    assert "needs DATA" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
