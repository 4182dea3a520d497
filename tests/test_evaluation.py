import json

import numpy as np
import pytest
import torch

from drummernet.cli import main
from drummernet.config import get_preset
from drummernet.datasets import Hit, load_dataset
from drummernet.datasets.render import RenderJob, render_hits, render_set
from drummernet.evaluation import ClassScore, score_onsets, score_track, summarise
from drummernet.evaluation.runner import score_activations, tune_peak_picking
from drummernet.kits.library import get_kit
from drummernet.model import AnalysisNetwork, save_model
from drummernet.nmfd import kit_templates, nmfd, nmfd_transcriber, reconstruct
from drummernet.transcription import PeakPicking, Transcription


def test_hits_misses_and_false_alarms_in_a_50ms_window():
    s = score_onsets(np.array([1.0, 2.0, 3.0]), np.array([1.01, 2.2, 3.04, 5.0]))
    assert (s.hits, s.n_reference, s.n_estimate) == (2, 3, 4)
    assert s.precision == 0.5 and s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 * 2 / 7)
    # One estimate can match only one reference.
    assert score_onsets(np.array([1.0, 1.02]), np.array([1.01])).hits == 1


def test_empty_reference_or_estimate():
    assert score_onsets(np.zeros(0), np.array([1.0])).f1 == 0.0
    assert score_onsets(np.array([1.0]), np.zeros(0)).recall == 0.0
    both = score_onsets(np.zeros(0), np.zeros(0))
    assert (both.f1, both.n_reference, both.n_estimate) == (0.0, 0, 0)
    with pytest.raises(ValueError, match="estimate"):
        score_onsets(np.array([1.0]), np.array([np.nan]))


def test_paper_figure_skips_tracks_without_the_class_and_micro_sums():
    a = score_track({"KD": np.array([1.0, 2.0]), "HH": np.zeros(0)},
                    {"KD": np.array([1.0]), "HH": np.array([0.5])}, ["KD", "HH"])  # fmt: skip
    b = {"KD": ClassScore(hits=4, n_reference=4, n_estimate=4), "HH": ClassScore(1, 2, 2)}
    result = summarise([a, b], ["KD", "HH"])
    assert result["paper"]["KD"] == pytest.approx((2 / 3 + 1.0) / 2)
    assert result["paper"]["HH"] == pytest.approx(0.5)  # track a has no HH reference
    assert result["tracks"] == {"KD": 2, "HH": 1}
    assert result["micro"]["KD"]["f1"] == pytest.approx(2 * 5 / (6 + 5))
    assert result["micro"]["HH"]["n_estimate"] == 2  # track a's HH estimate: not scored
    assert result["micro"]["HH"]["f1"] == pytest.approx(0.5)


def test_a_class_no_track_has_is_left_out_of_both_means():
    """The micro mean once counted it as F1 0 (µHH 0.000 on a set without hats)."""
    a = score_track({"KD": np.array([1.0])}, {"KD": np.array([1.0]), "HH": np.array([2.0])},
                    ["KD", "HH"])  # fmt: skip
    result = summarise([a], ["KD", "HH"])
    assert "HH" not in result["paper"] and "HH" not in result["micro"]
    assert result["paper"]["mean"] == result["micro"]["mean"] == pytest.approx(1.0)


def test_nmfd_recovers_activations_of_its_own_templates():
    rng = np.random.default_rng(0)
    templates = rng.random((64, 2, 5)) ** 4
    activations = np.zeros((2, 200))
    activations[0, [20, 90, 150]] = 1.0
    activations[1, [50, 120]] = 0.7
    spec = reconstruct(templates, activations)
    _, h = nmfd(spec, templates, iterations=100, update_templates=False)
    assert set(np.argsort(h[0])[-3:]) == {20, 90, 150}
    assert set(np.argsort(h[1])[-2:]) == {50, 120}


def test_nmfd_transcribes_a_rendered_pattern():
    hits = [Hit(0.25 + 0.5 * i, c, 110) for i, c in enumerate(["KD_KD", "SD_SD"] * 4)]
    audio, labels, _ = render_hits(hits, get_kit("fluidr3-jazz"))
    found = nmfd_transcriber()(audio)
    kd = np.array([h.time for h in labels if h.component == "KD_KD"])
    assert score_onsets(kd, found["KD"]).f1 == 1.0
    assert kit_templates(("fluidr3-standard",)).shape == (1025, 3, 10)


def _runs_with_hats_on(component: str, hats: np.ndarray, seed: int = 0):
    """Fake validation runs: kicks on KD_KD, hats on ``component``, references from ``hats``."""
    rng = np.random.default_rng(seed)
    components = get_preset("paper").components
    runs, names = [], []
    for n in range(3):
        acts = np.zeros((11, 4000))
        kicks = np.arange(0.2, 3.8, 0.5)
        acts[0, (kicks * 1000).astype(int)] = 1.0
        strengths = rng.uniform(0.3, 1, hats.size)
        acts[components.index(component), (hats * 1000).astype(int)] = strengths
        result = Transcription([], acts, 1000.0, components, 4.0)
        runs.append((result, {"KD": kicks, "SD": np.zeros(0), "HH": hats}))
        names.append(f"track{n}")
    return runs, names


def test_tuning_adds_the_pedal_hat_slot_only_when_it_scores_higher():
    hats = np.arange(0.45, 3.8, 0.25)
    runs, names = _runs_with_hats_on("HH_PHH", hats)
    chosen, info = tune_peak_picking(runs, names, PeakPicking())
    assert dict(chosen.add_components) == {"HH": ("HH_PHH",)}
    assert info["added"] == {"HH": ["HH_PHH"]}
    assert score_activations(runs, names, chosen)["paper"]["HH"] == pytest.approx(1.0)
    # Hats on the closed-hat slot and the pedal-hat slot firing off the beat: not added.
    runs, names = _runs_with_hats_on("HH_CHH", hats)
    for result, _ in runs:
        result.activations[4, (hats * 1000).astype(int) + 120] = 1.0
    chosen, info = tune_peak_picking(runs, names, PeakPicking())
    assert dict(chosen.add_components) == {} and info["added"] == {}
    assert score_activations(runs, names, chosen)["paper"]["HH"] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    midi = root / "a.mid"
    import mido

    m = mido.MidiFile()
    track = mido.MidiTrack([mido.Message("note_on", channel=9, note=n, velocity=100, time=240)
                            for n in (36, 42, 38, 42) * 3])  # fmt: skip
    m.tracks.append(track)
    m.save(midi)
    render_set([RenderJob(str(midi), "a", "fluidr3-room")], root / "set")
    torch.manual_seed(0)
    save_model(AnalysisNetwork(get_preset("paper")), root / "m.pt")
    return root


def test_evaluate_command_end_to_end_with_tuning_and_baseline(tiny_set, tmp_path, capsys):
    out_json, out_md = tmp_path / "r.json", tmp_path / "r.md"
    code = main(["evaluate", str(tiny_set / "set"), "--model", str(tiny_set / "m.pt"),
                 "--tune-on", str(tiny_set / "set"), "--baseline", "nmfd",
                 "-o", str(out_json), "-o", str(out_md)])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "thresholds chosen on" in printed and "nmfd" in printed
    report = json.loads(out_json.read_text())
    assert report["drummernet"]["datasets"]["set"]["n_tracks"] == 1
    assert set(report["drummernet"]["tuning"]["chosen"]) == {"KD", "SD", "HH"}
    assert report["nmfd"]["datasets"]["set"]["paper"]["KD"] > 0.5
    assert out_md.read_text().startswith("| dataset | system |")
    assert len(load_dataset(tiny_set / "set")) == 1
    assert report["drummernet"]["tuning"]["sweep_added"]  # the pedal-hat slot was tried
    strict = tmp_path / "strict.json"
    args = ["evaluate", str(tiny_set / "set"), "--model", str(tiny_set / "m.pt"),
            "--tune-on", str(tiny_set / "set"), "--strict-classes", "-o", str(strict)]  # fmt: skip
    assert main(args) == 0
    strict_report = json.loads(strict.read_text())["drummernet"]
    assert strict_report["tuning"]["added"] == {} and strict_report["tuning"]["sweep_added"] == []
    assert strict_report["peak_picking"]["add_components"] == {}


def test_ablation_table_has_a_row_per_variant(tiny_set, tmp_path, capsys):
    save_model(AnalysisNetwork(get_preset("conv")), tmp_path / "conv.pt")
    out = tmp_path / "fig8.md"
    code = main(["ablation", str(tiny_set / "set"), "--models", f"full={tiny_set / 'm.pt'}",
                 str(tmp_path / "conv.pt"), "-o", str(out)])  # fmt: skip
    assert code == 0
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ")]
    assert rows[1].startswith("| full | paper |") and rows[2].startswith("| conv | conv |")
    assert "0.707" in rows[2]  # the paper's figure beside ours
