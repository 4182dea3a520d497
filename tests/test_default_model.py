"""The model shipped inside the package: it loads, and transcribes the shipped example well."""

import json
from pathlib import Path

import mido
import pytest
import torch

from drummernet.cli import main
from drummernet.datasets import load_dataset
from drummernet.evaluation import evaluate_tracks, model_transcriber
from drummernet.transcription import DEFAULT_MODEL, get_model

EXAMPLES = Path(__file__).resolve().parents[1] / "drummernet" / "examples"


def test_default_model_is_shipped_with_its_card_and_tuned_thresholds():
    assert DEFAULT_MODEL.is_file() and DEFAULT_MODEL.stat().st_size < 5_000_000
    assert (DEFAULT_MODEL.parent / "MODEL_CARD.md").is_file()
    model = get_model()
    assert {"KD", "SD", "HH", "TT", "CY"} <= set(model.metadata["peak_picking"]["deltas"])
    assert model.metadata["peak_picking"]["add_components"] == {}  # the paper's mapping
    # a fine-tune counts the items its starting point had seen
    seen = model.metadata["trained_items"] + model.metadata.get("init_trained_items", 0)
    assert seen > 30_000


def test_default_model_transcribes_the_example_loop():
    (track,) = load_dataset(EXAMPLES)
    scores = evaluate_tracks(model_transcriber(get_model()), [track])["paper"]
    # Rendered through a synthesizer kit: kick, snare and hats must be found reliably.
    assert scores["KD"] > 0.9 and scores["SD"] > 0.8 and scores["HH"] > 0.8, scores


def test_default_model_hears_no_toms_in_a_loop_without_toms(tmp_path):
    loop = str(EXAMPLES / "gmd-rock-100bpm.flac")
    assert main(["transcribe", loop, "--out-dir", str(tmp_path), "--format", "json",
                 "--classes", "all", "--quiet"]) == 0  # fmt: skip
    counts = json.loads((tmp_path / "gmd-rock-100bpm.json").read_text())["counts"]
    assert counts.get("TT", 0) <= 3  # the previous default reported 36 toms here
    assert counts["HH"] > 60 and counts["KD"] > 15


def test_demo_command_writes_a_midi_file_with_kicks_and_snares(tmp_path):
    assert main(["transcribe", str(EXAMPLES / "gmd-rock-100bpm.flac"), "--out-dir",
                 str(tmp_path), "--format", "mid", "png", "--quiet"]) == 0  # fmt: skip
    notes = {m.note for m in mido.MidiFile(tmp_path / "gmd-rock-100bpm.mid")
             if m.type == "note_on" and m.velocity > 0}  # fmt: skip
    assert {36, 38} <= notes
    assert (tmp_path / "gmd-rock-100bpm.png").stat().st_size > 10_000


def test_a_model_tuned_to_count_its_pedal_hat_slot_as_hh_unless_strict(tmp_path):
    payload = torch.load(DEFAULT_MODEL, weights_only=False)
    payload["metadata"]["peak_picking"]["add_components"] = {"HH": ["HH_PHH"]}
    torch.save(payload, tmp_path / "widened.pt")
    runs = {}
    for name, flags in (("tuned", []), ("strict", ["--strict-classes"])):
        assert main(["transcribe", str(EXAMPLES / "gmd-rock-100bpm.flac"), "--out-dir",
                     str(tmp_path / name), "--format", "json", "--quiet", "--model",
                     str(tmp_path / "widened.pt"), *flags]) == 0  # fmt: skip
        runs[name] = json.loads((tmp_path / name / "gmd-rock-100bpm.json").read_text())
    assert runs["tuned"]["classes"]["HH"] == ["HH_CHH", "HH_OHH", "HH_PHH"]
    assert runs["strict"]["classes"]["HH"] == ["HH_CHH", "HH_OHH"]
    # Hats found on the pedal-hat slot are still written as closed or open hats.
    for run in runs.values():
        hats = {e["component"] for e in run["events"] if e["label"] == "HH"}
        assert hats and hats <= {"HH_CHH", "HH_OHH"}
    assert runs["tuned"]["counts"]["KD"] == runs["strict"]["counts"]["KD"]


@pytest.mark.parametrize("bad", ["missing.pt", "corrupt.pt"])
def test_transcribe_with_a_bad_model_file_is_one_line(tmp_path, capsys, bad):
    (tmp_path / "corrupt.pt").write_bytes(b"\x00" * 100)
    code = main(["transcribe", str(EXAMPLES / "gmd-rock-100bpm.flac"), "--model",
                 str(tmp_path / bad), "--out-dir", str(tmp_path)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and bad in err and len(err.strip().splitlines()) == 1


def test_a_model_whose_stored_peak_picking_adds_an_unknown_component_is_one_line(tmp_path, capsys):
    payload = torch.load(DEFAULT_MODEL, weights_only=False)
    payload["metadata"]["peak_picking"]["add_components"] = {"HH": ["XX_BAD"]}
    torch.save(payload, tmp_path / "bad-metadata.pt")
    code = main(["transcribe", str(EXAMPLES / "gmd-rock-100bpm.flac"), "--model",
                 str(tmp_path / "bad-metadata.pt"), "--out-dir", str(tmp_path)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "XX_BAD" in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.mid"))
