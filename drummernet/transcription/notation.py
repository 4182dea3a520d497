"""A drum score of a transcription: MusicXML written with ``music21``.

Standard drum-kit notation on a five-line percussion staff: the hands in the
upper voice (stems up), kick and pedal hi-hat in the lower voice (stems down),
each drum on its usual line or space, cymbals and hi-hats with x note heads
(open hi-hat: a circled x). Notes sit on the ``--quantize`` grid (1/16 unless
told) over the tracked beats, bars follow the tracked bar lines and are numbered
as a DAW numbers the bars of the MIDI file (a pickup before the first bar line is
bar 1, in its own shorter time signature). MuseScore and other notation programs
open the file.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from drummernet.fileio import atomic_write
from drummernet.transcription.beats import grid_step
from drummernet.transcription.outputs import DEFAULT_OPTIONS, OutputOptions, event_positions

if TYPE_CHECKING:
    import music21

    from drummernet.transcription.api import Transcription

#: Staff position (as a treble-staff pitch) and note head of each component.
STAFF: dict[str, tuple[str, str]] = {
    "KD_KD": ("F4", "normal"),
    "SD_SD": ("C5", "normal"),
    "HH_CHH": ("G5", "x"),
    "HH_OHH": ("G5", "circle-x"),
    "HH_PHH": ("D4", "x"),
    "TT_HIT": ("E5", "normal"),
    "TT_MHT": ("D5", "normal"),
    "TT_HFT": ("A4", "normal"),
    "CY_RDC": ("F5", "x"),
    "CY_CRC": ("A5", "x"),
    "OT_TMB": ("B5", "triangle"),
}
#: Components written in the lower voice (the feet).
FEET = ("KD_KD", "HH_PHH")
#: Note values (quarter notes) a hit is written with; the rest of its gap is rests.
_VALUES = [Fraction(v) for v in ("4", "3", "2", "3/2", "1", "3/4", "1/2", "1/4", "1/8")]


def score_notes(
    transcription: Transcription, options: OutputOptions
) -> list[tuple[int, Fraction, str]]:
    """``(bar, offset in the bar, component)`` of every written note, sorted, one per
    drum per grid position. Bars are numbered as a DAW counts the MIDI file's bars:
    bar 1 starts at time 0 and is the pickup (``pickup``/4) when there is one."""
    grid = transcription.beat_grid(options.beats_per_bar)
    step = grid_step(options.quantize or "1/16")
    positions = event_positions(transcription, grid, options.quantize or "1/16")
    notes = set()
    for position, event in zip(positions, transcription.events, strict=True):
        beat = Fraction(round(position / float(step))) * step
        bar, offset = bar_and_offset(beat, grid.pickup, grid.beats_per_bar)
        notes.add((bar, offset, event.component))
    return sorted(notes, key=lambda n: (n[0], n[1], n[2]))


def bar_and_offset(beat: Fraction, pickup: int, beats_per_bar: int) -> tuple[int, Fraction]:
    """The bar number (from 1) and the offset in it (beats) of a beat position."""
    if pickup and beat < pickup:
        return 1, beat
    full, offset = divmod(beat - pickup, beats_per_bar)
    return int(full) + (2 if pickup else 1), offset


def _written_value(gap: Fraction, step: Fraction) -> Fraction:
    """The longest plain note value (or the grid step, for triplets) that fits ``gap``."""
    fitting = [v for v in [*_VALUES, 2 * step, step] if v <= gap]
    return max(fitting) if fitting else gap


def _voice(hits: dict[Fraction, list[str]], bar_length: int, step: Fraction, up: bool):
    """One voice of one bar: a note or chord at each offset, rests in between."""
    from music21 import duration, note, percussion, stream

    voice = stream.Voice()
    offsets = sorted(hits)
    for offset, following in zip(offsets, [*offsets[1:], Fraction(bar_length)], strict=True):
        heads = []
        for component in sorted(set(hits[offset])):
            position, head = STAFF[component]
            unpitched = note.Unpitched(displayName=position)
            unpitched.notehead = head
            heads.append(unpitched)
        sound = heads[0] if len(heads) == 1 else percussion.PercussionChord(heads)
        sound.duration = duration.Duration(_written_value(following - offset, step))
        sound.stemDirection = "up" if up else "down"
        voice.insert(float(offset), sound)
    voice.makeRests(fillGaps=True, inPlace=True, timeRangeFromBarDuration=False)
    end = voice.highestTime
    if end < bar_length:
        rest = note.Rest(quarterLength=bar_length - end)
        voice.insert(end, rest)
    return voice


def to_score(transcription: Transcription, options: OutputOptions = DEFAULT_OPTIONS):
    """The transcription as a :class:`music21.stream.Score` (one drum-set part)."""
    from music21 import clef, instrument, metadata, meter, note, stream, tempo

    grid = transcription.beat_grid(options.beats_per_bar)
    step = grid_step(options.quantize or "1/16")
    bars: dict[int, dict[bool, dict[Fraction, list[str]]]] = defaultdict(
        lambda: {True: defaultdict(list), False: defaultdict(list)}
    )
    for bar, offset, component in score_notes(transcription, options):
        bars[bar][component not in FEET][offset].append(component)
    score = stream.Score()
    score.metadata = metadata.Metadata(title=Path(transcription.source).stem or "drums")
    part = stream.Part()
    part.partName = "Drum Set"
    part.insert(0, instrument.Percussion())
    for number in range(1, max(bars, default=1) + 1):
        length = grid.pickup if number == 1 and grid.pickup else grid.beats_per_bar
        measure = stream.Measure(number=number)
        if number == 1:
            measure.insert(0, clef.PercussionClef())
            measure.insert(0, tempo.MetronomeMark(number=round(grid.tempo)))
        if number == 1 or (number == 2 and grid.pickup):
            measure.insert(0, meter.TimeSignature(f"{length}/4"))
        voices = bars.get(number)
        if voices is None:
            measure.append(note.Rest(quarterLength=length))
        else:
            for up in (True, False):
                if voices[up]:
                    measure.insert(0, _voice(voices[up], length, step, up))
        part.append(measure)
    score.insert(0, part)
    return score


def write_musicxml(
    transcription: Transcription, path: str | Path, options: OutputOptions = DEFAULT_OPTIONS
) -> None:
    """Write the drum score of :func:`to_score` as uncompressed MusicXML."""
    score: music21.stream.Score = to_score(transcription, options)
    atomic_write(path, lambda p: score.write("musicxml", fp=str(p)))
