"""Golden regression: the shipped model's events on the example loop.

Any change to decoding, inference, peak picking or the shipped model that moves
an event shows here. If the change is meant, regenerate the reference with
``python scripts/update_golden.py`` and say so in the commit.
"""

import hashlib
import json
from pathlib import Path

import pytest

from drummernet.transcription import transcribe
from drummernet.transcription.api import DEFAULT_MODEL

GOLDEN = Path(__file__).parent / "golden" / "example-loop-events.json"
EXAMPLE = Path(__file__).parents[1] / "drummernet" / "examples" / "gmd-rock-100bpm.flac"
TIME_S, STRENGTH, VELOCITY = 0.002, 0.01, 2  # tolerances: float noise across CPUs, not drift


@pytest.fixture(scope="module")
def golden():
    data = json.loads(GOLDEN.read_text())
    sha = hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest()
    assert sha == data["model_sha256"], "the shipped model changed: run scripts/update_golden.py"
    return [dict(zip(data["fields"], e, strict=True)) for e in data["events"]]


def test_shipped_model_events_on_the_example_loop_match_the_golden_ones(golden):
    events = transcribe(EXAMPLE, classes="all").events
    assert len(events) == len(golden), "number of events changed"
    for got, want in zip(events, golden, strict=True):
        assert (got.label, got.component) == (want["label"], want["component"]), want
        assert got.time == pytest.approx(want["time"], abs=TIME_S), want
        assert got.strength == pytest.approx(want["strength"], abs=STRENGTH), want
        assert abs(got.velocity - want["velocity"]) <= VELOCITY, want
