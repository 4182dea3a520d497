"""Write the golden events of the shipped model on the example loop
(``tests/golden/example-loop-events.json``), which ``tests/test_golden.py`` compares
every run against. Run it only when a change to inference or to the shipped model
is meant to change the output, and say so in the commit.

    python scripts/update_golden.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "drummernet" / "examples" / "gmd-rock-100bpm.flac"
GOLDEN = ROOT / "tests" / "golden" / "example-loop-events.json"


#: The fields of each golden event, in the order stored.
FIELDS = ("time", "label", "component", "strength", "velocity")


def events() -> list[list]:
    """The shipped model's events on the example loop (every class), rounded:
    one ``[time, label, component, strength, velocity]`` list per event."""
    from drummernet.transcription import transcribe

    result = transcribe(EXAMPLE, classes="all")
    return [
        [round(e.time, 4), e.label, e.component, round(e.strength, 4), e.velocity]
        for e in result.events
    ]


def main() -> None:
    from drummernet.transcription.api import DEFAULT_MODEL

    golden = {
        "source": EXAMPLE.name,
        "classes": "all",
        "model_sha256": hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest(),
        "fields": FIELDS,
        "events": events(),
    }
    found = golden.pop("events")
    lines = ",\n  ".join(json.dumps(e) for e in found)
    head = json.dumps(golden, indent=1)[:-2]  # without the closing brace
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(f'{head},\n "events": [\n  {lines}\n ]\n}}\n')
    print(f"wrote {len(found)} events to {GOLDEN}")


if __name__ == "__main__":
    main()
