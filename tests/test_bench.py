"""The benchmark scripts run end to end on tiny inputs (no timing assertions)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from drummernet.config import get_preset
from drummernet.model import AnalysisNetwork, save_model

BENCH = Path(__file__).resolve().parents[1] / "bench"
EXAMPLES = Path(__file__).resolve().parents[1] / "drummernet" / "examples"


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("bench") / "m.pt"
    save_model(AnalysisNetwork(get_preset("paper")), path)
    return path


def run(script, *args):
    result = subprocess.run([sys.executable, str(BENCH / script), *map(str, args)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_transcribe_speed_bench(model_file, tmp_path):
    run("transcribe_speed.py", "--minutes", "0.05", "--model", model_file, "--out", tmp_path)
    (path,) = tmp_path.glob("transcribe_speed/transcribe_speed-*.json")
    runs = json.loads(path.read_text())["runs"]
    assert set(runs) == {"drummernet@0.05min", "lite@0.05min", "nmfd@0.05min"}
    assert runs["drummernet@0.05min"]["audio_s"] == pytest.approx(3.0, abs=0.01)
    # the whole process takes longer than the transcription inside it
    assert runs["lite@0.05min"]["process_s"] > runs["lite@0.05min"]["wall_s"]
    assert runs["lite@0.05min"]["speed_vs_nmfd"] > 0


def test_accuracy_bench(model_file, tmp_path):
    out = run("accuracy.py", EXAMPLES, tmp_path / "missing", "--model", model_file,
              "--out", tmp_path)  # fmt: skip
    assert "skipped (not found)" in out
    report = json.loads(next(tmp_path.glob("accuracy/accuracy-*.json")).read_text())
    assert report["nmfd"]["datasets"]["examples"]["n_tracks"] == 1


def test_train_step_bench(tmp_path):
    run("train_step.py", "--presets", "conv", "--batch", "1", "--seconds", "1", "--repeats", "1",
        "--out", tmp_path)  # fmt: skip
    record = json.loads(next(tmp_path.glob("train_step/train_step-*.json")).read_text())
    assert record["presets"]["conv"]["segments_per_s"] > 0


def test_train_step_bench_times_the_inverse_objective_in_a_second_file(tmp_path):
    for objective in ("reconstruction", "inverse"):
        run("train_step.py", "--presets", "lite", "--batch", "1", "--seconds", "1", "--repeats",
            "1", "--objective", objective, "--out", tmp_path)  # fmt: skip
    first, second = sorted(tmp_path.glob("train_step/train_step-*.json"), key=lambda p: len(p.name))
    runs = [json.loads(p.read_text()) for p in (first, second)]
    assert [r["settings"]["objective"] for r in runs] == ["reconstruction", "inverse"]
    # the inverse step has no synthesizer and no spectral loss: cheaper than the paper's
    assert runs[1]["presets"]["lite"]["step_s"] < runs[0]["presets"]["lite"]["step_s"]


def test_warm_start_bench_scores_a_checkpoint_under_the_sigmoid_head(tmp_path):
    from drummernet.training import TrainOptions, train

    labeled = EXAMPLES  # one labeled track: the example loop (render.json + csv)
    config = get_preset("lite").replace(batch_size=2, segment_seconds=1.0)
    train(config, TrainOptions(data=[str(EXAMPLES)], out_dir=str(tmp_path / "run"), steps=1,
                               progress=False, kits=["fluidr3-standard"]))  # fmt: skip
    (checkpoint,) = (tmp_path / "run" / "checkpoints").glob("*.ckpt")
    run("warm_start.py", checkpoint, "--head", "sigmoid", "--validation", labeled, "--first",
        "0", "--tracks", "1", "--max-seconds", "5", "--out", tmp_path)  # fmt: skip
    (path,) = tmp_path.glob("warm_start/warm_start-*.json")
    (row,) = json.loads(path.read_text())["rows"]
    assert row["activation"] == "sigmoid" and row["items"] == 2
    assert {"KD", "SD", "HH"} <= set(row["paper"]["f1"]) and 0 <= row["mean_all"] <= 1
    export = tmp_path / "exported.pt"
    scripts = BENCH.parent / "scripts"
    export_script = str(scripts / "export_checkpoint.py")
    done = subprocess.run([sys.executable, export_script, str(checkpoint), str(export),
                           "--as-preset", "inverse"], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    from drummernet.model import load_model

    assert load_model(export).config.activation == "sigmoid"
    refused = subprocess.run([sys.executable, export_script, str(checkpoint),
                              str(tmp_path / "x.pt"), "--as-preset", "paper"],
                             capture_output=True, text=True)  # fmt: skip
    assert refused.returncode != 0 and "not a network of preset 'paper'" in refused.stderr
    assert not (tmp_path / "x.pt").exists()


def test_adapt_kit_bench(tmp_path):
    """Adapting on the example loop, scored before and after; the true kit is known;
    thresholds chosen on the scored track itself do at least as well as the model's own
    (the grid holds them)."""
    out = run("adapt_kit.py", EXAMPLES, "--tracks", "1", "--seconds", "22", "--steps", "2",
              "--methods", "base", "kit", "tuned", "--kits", EXAMPLES.parent / "kits" / "data",
              "--out", tmp_path)  # fmt: skip
    (path,) = tmp_path.glob("adapt_kit/adapt_kit-*.json")
    group = json.loads(path.read_text())["groups"]["fluidr3-standard"]
    assert set(group["base"]["f1"]) == {"KD", "SD", "HH", "mean"} and "| kit |" in out
    assert group["kit"]["distance_to_true_kit_db"]["SD_SD"]["fitted"] >= 0
    assert set(group["tuned"]["chosen"]) == {"KD", "SD", "HH"}
    for label in ("KD", "SD", "HH"):
        assert group["tuned"]["f1"][label] >= group["base"]["f1"][label]


def test_adapt_speed_bench(tmp_path):
    run("adapt_speed.py", EXAMPLES, "--minutes", "0.3", "--excerpt", "20", "--out", tmp_path)
    (path,) = tmp_path.glob("adapt_speed/adapt_speed-*.json")
    result = json.loads(path.read_text())
    assert result["audio_minutes"] == pytest.approx(1 / 3, abs=0.01)
    assert result["wall_seconds"] > 0 and "adapted on 1 file(s)" in result["output"]


def test_warm_start_bench_names_a_missing_checkpoint_in_one_line(tmp_path):
    missing = tmp_path / "step-00000250.ckpt"
    result = subprocess.run([sys.executable, str(BENCH / "warm_start.py"), str(missing),
                             "--validation", str(EXAMPLES), "--out", str(tmp_path)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == f"warm_start: {missing}: training checkpoint not found"


def test_cymbal_errors_bench_accounts_for_every_cymbal_reported(tmp_path):
    out = run("cymbal_errors.py", EXAMPLES, "--tracks", "1", "--max-seconds", "20",
              "--out", tmp_path)  # fmt: skip
    (path,) = tmp_path.glob("cymbal_errors/cymbal_errors-*.json")
    report = json.loads(path.read_text())
    assert "written" in out and report["tracks"] == 1
    rows = [r for r in (EXAMPLES / "gmd-rock-100bpm.csv").read_text().splitlines()[1:]
            if float(r.split(",")[0]) < 20]  # fmt: skip
    for slot in ("CY_RDC", "CY_CRC", "HH_OHH"):
        assert report["referenced"].get(slot, 0) == sum(r.split(",")[1] == slot for r in rows)
        false = sum(report["false_alarms_near"][slot].values())
        assert report["hits"].get(slot, 0) + false == report["reported"].get(slot, 0)
    crashes = sum(r.split(",")[1] == "CY_CRC" for r in rows)
    assert report["crashes"] == crashes


def test_results_are_folders_each_with_a_readme():
    """bench/results holds one folder per question, each saying what made its files."""
    results = BENCH / "results"
    loose = [p.name for p in results.iterdir() if not p.is_dir()]
    assert not loose, f"files outside a folder: {loose}"
    missing = [p.name for p in results.iterdir() if not (p / "README.md").is_file()]
    assert not missing, f"folders without a README: {missing}"


@pytest.mark.skipif(not Path("/usr/bin/time").is_file(), reason="needs GNU time (make system-deps)")
def test_peak_memory_bench(tmp_path):
    run("peak_memory.py", "--minutes", "0.1", "--formats", "csv", "--out", tmp_path)
    (path,) = tmp_path.glob("peak_memory/peak_memory-*.json")
    runs = json.loads(path.read_text())["runs"]
    assert set(runs) == {"csv"} and 100 < runs["csv"]["peak_mib"] < 2000
    assert runs["csv"]["peak_mb"] == pytest.approx(runs["csv"]["peak_mib"] * 1.048576, abs=0.2)


def test_figure8_bench_scores_variants_over_seeds(tmp_path):
    """Two seeds of `full` and one of `soft` (the shipped model standing in for trained
    runs): one row per variant, the seeds' mean and spread, the paper's figure beside."""
    shipped = BENCH.parent / "drummernet" / "pretrained" / "drummernet-default.pt"
    paths = []
    for name in ("full-s0", "full-s1", "soft-s0"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "last.pt").write_bytes(shipped.read_bytes())
        paths.append(tmp_path / name / "last.pt")
    out = run("figure8.py", *paths, "--validation", EXAMPLES, "--first", "0", "--tracks", "1",
              "--max-seconds", "10", "--mdb", EXAMPLES, "--mdb-seconds", "10",
              "--out", tmp_path / "results")  # fmt: skip
    (path,) = (tmp_path / "results").glob("figure8/figure8-*.json")
    summary = json.loads(path.read_text())["summary"]
    assert list(summary) == ["full", "soft"]
    assert summary["full"]["seeds"] == [0, 1] and summary["full"]["validation_spread"] == 0
    assert summary["full"]["paper"] == 0.718 and summary["soft"]["paper"] == 0.576
    assert 0 < summary["full"]["validation"] <= 1 and "mdb" in summary["soft"]
    assert "| full | 2 |" in out and path.with_suffix(".png").stat().st_size > 5000
    bad = subprocess.run([sys.executable, str(BENCH / "figure8.py"), str(EXAMPLES / "x.pt")],
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode != 0 and "VARIANT-sSEED" in bad.stderr
    missing = subprocess.run([sys.executable, str(BENCH / "figure8.py"), paths[0],
                              "--validation", str(tmp_path / "none")],
                             capture_output=True, text=True)  # fmt: skip
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().startswith("figure8:")


def test_curves_bench_draws_runs_from_warm_start_results(tmp_path):
    """Two runs (one picked out of a shared file by its folder): a figure, and a table
    with a row per run and a column per item count."""

    def row(model, items, mean, mean_all):
        return {"model": model, "items": items, "mean": mean, "mean_all": mean_all}

    shared = tmp_path / "shared.json"
    rows = [row("runs/a/step-2.ckpt", 2048, 0.5, 0.6), row("runs/b/step-1.ckpt", 1024, 0.4, 0.45),
            row("runs/a/step-1.ckpt", 1024, 0.3, 0.35)]  # fmt: skip
    shared.write_text(json.dumps({"rows": rows}))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"rows": [row("c/step-3.ckpt", 3072, 0.7, 0.75)]}))
    out = run("curves.py", f"a={shared}:runs/a/", f"c={other}", "--out", tmp_path / "c.png",
              "--table", tmp_path / "c.md")  # fmt: skip
    assert (tmp_path / "c.png").stat().st_size > 10_000
    table = (tmp_path / "c.md").read_text().splitlines()
    assert table[0] == "| run | 1,024 | 2,048 | 3,072 items |"
    assert table[2] == "| a | 0.300 / 0.350 | 0.500 / 0.600 |  |"  # sorted by items, b left out
    assert table[3] == "| c |  |  | 0.700 / 0.750 |"
    assert "written" in out
    bad = subprocess.run([sys.executable, BENCH / "curves.py", f"a={shared}:nowhere/",
                          "--out", tmp_path / "x.png"], capture_output=True, text=True)  # fmt: skip
    assert bad.returncode != 0 and "no row of a model under 'nowhere/'" in bad.stderr
