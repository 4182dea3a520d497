"""Drum MIDI files -> hits: (time in seconds, component, MIDI velocity).

General MIDI percussion keys (channel 10) are mapped onto the 11 components;
:data:`TD11_NOTES` adds the Roland TD-11 articulations of the Groove MIDI Dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mido

from drummernet.errors import DrummerNetError

#: The splits of the Groove MIDI Dataset's ``info.csv``.
GMD_SPLITS = ("train", "validation", "test")

#: General MIDI percussion key -> component (keys with no counterpart are absent).
GM_DRUM_NOTES: dict[int, str] = {
    35: "KD_KD",
    36: "KD_KD",
    37: "SD_SD",  # side stick
    38: "SD_SD",
    39: "SD_SD",  # hand clap, played where a snare would be
    40: "SD_SD",
    41: "TT_HFT",
    43: "TT_HFT",
    42: "HH_CHH",
    44: "HH_PHH",
    46: "HH_OHH",
    45: "TT_MHT",
    47: "TT_MHT",
    48: "TT_HIT",
    50: "TT_HIT",
    49: "CY_CRC",
    52: "CY_CRC",
    55: "CY_CRC",
    57: "CY_CRC",
    51: "CY_RDC",
    53: "CY_RDC",
    59: "CY_RDC",
    54: "OT_TMB",
}

#: The Roland TD-11 keys of the Groove MIDI Dataset (see its ATTRIBUTION.md).
TD11_NOTES: dict[int, str] = {
    **GM_DRUM_NOTES,
    22: "HH_CHH",  # closed hi-hat edge
    26: "HH_OHH",  # open hi-hat edge
    58: "TT_HFT",  # floor tom rim
}

DRUM_CHANNEL = 9  # channel 10, counted from 0


class MidiError(DrummerNetError, ValueError):
    """A MIDI file that cannot be read or holds no drum notes."""


@dataclass(frozen=True)
class Hit:
    """One drum hit: onset ``time`` in seconds, ``component`` and MIDI ``velocity``."""

    time: float
    component: str
    velocity: int


def read_drum_midi(path: str | Path, note_map: dict[int, str] | None = None) -> list[Hit]:
    """The drum hits of a MIDI file (channel 10), in time order, tempo changes applied.

    Parameters
    ----------
    path : MIDI file.
    note_map : key -> component; default :data:`TD11_NOTES` (GM plus the TD-11 keys).

    Raises :class:`MidiError` naming the file when it cannot be read or has no
    drum note that maps onto a component.
    """
    note_map = TD11_NOTES if note_map is None else note_map
    try:
        midi = mido.MidiFile(path)
        messages = list(midi)  # delta times in seconds, tempo map applied
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, EOFError):
            reason = "the file is empty" if Path(path).stat().st_size == 0 else "truncated"
        raise MidiError(f"{path}: not a readable MIDI file ({reason})") from None
    hits, now = [], 0.0
    for msg in messages:
        now += msg.time
        if (
            msg.type == "note_on"
            and msg.velocity > 0
            and msg.channel == DRUM_CHANNEL
            and msg.note in note_map
        ):
            hits.append(Hit(now, note_map[msg.note], int(msg.velocity)))
    if not hits:
        raise MidiError(f"{path}: no drum notes (channel 10, General MIDI keys)")
    return hits
