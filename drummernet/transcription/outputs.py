"""Writing a transcription (:class:`~drummernet.transcription.types.TranscriptionLike`):
MIDI, CSV, JSON, a PNG plot, a drum score, re-synthesized audio and an HTML page.

MIDI is written with ``mido`` (channel 10, General MIDI drum keys) with a tempo
map that follows the tracked beats (:mod:`drummernet.transcription.beats`): one
tempo per beat and the time signature at the first bar line, so that in a DAW
the bars line up with the music and every note keeps its time (or lands on the
``--quantize`` grid). Every writer goes through :func:`~drummernet.fileio.atomic_write`,
so an interrupted write leaves no half-written file behind.
"""

from __future__ import annotations

import csv
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import mido
import numpy as np

from drummernet.components import GM_NOTES
from drummernet.fileio import atomic_write, write_text
from drummernet.transcription.beats import BeatGrid, quantize

if TYPE_CHECKING:  # the type only: writing outputs needs no torch
    from drummernet.transcription.types import TranscriptionLike

#: Output formats and the suffix each adds to the input's name (``song.wav`` ->
#: ``song.mid``; re-synthesis is ``song.resynth.wav`` so it never replaces a WAV input).
SUFFIXES: dict[str, str] = {
    "mid": ".mid",
    "csv": ".csv",
    "json": ".json",
    "png": ".png",
    "musicxml": ".musicxml",
    "wav": ".resynth.wav",
    "ab.wav": ".ab.wav",
    "html": ".html",
}
FORMATS = tuple(SUFFIXES)
TICKS_PER_BEAT = 480
NOTE_BEATS = 0.125  # length of each written note: a 1/32 note


@dataclass(frozen=True)
class OutputOptions:
    """How outputs are written: ``quantize`` grid (``"1/16"`` ..., None keeps exact
    times; the score always uses a grid, 1/16 by default), ``beats_per_bar`` (the
    time signature over 4) and the ``kit`` (name or folder) of re-synthesis."""

    quantize: str | None = None
    beats_per_bar: int = 4
    kit: str | None = None


#: Exact times, 4/4, the default kit.
DEFAULT_OPTIONS = OutputOptions()


def event_positions(
    transcription: TranscriptionLike, grid: BeatGrid, step: str | None
) -> np.ndarray:
    """Each event's beat position (quarter notes from time 0), snapped to ``step``."""
    times = np.array([e.time for e in transcription.events], dtype=float)
    if not len(times):
        return times
    return quantize(grid.position(times), step, grid.pickup, grid.beats_per_bar)


def _tempo_map(grid: BeatGrid, last_beat: int) -> list[tuple[int, mido.MetaMessage]]:
    """Time signature(s) and one tempo per beat (where it changes) up to ``last_beat``."""
    bar = grid.beats_per_bar
    meta = [(0, mido.MetaMessage("time_signature", numerator=grid.pickup or bar, denominator=4))]
    if grid.pickup:
        meta.append((grid.pickup * TICKS_PER_BEAT,
                     mido.MetaMessage("time_signature", numerator=bar, denominator=4)))  # fmt: skip
    previous = None
    for j in range(min(last_beat, len(grid.times) - 2) + 1):
        tempo = round((grid.times[j + 1] - grid.times[j]) * 1e6)
        if tempo != previous:
            meta.append((j * TICKS_PER_BEAT, mido.MetaMessage("set_tempo", tempo=tempo)))
            previous = tempo
    return meta


def write_midi(
    transcription: TranscriptionLike, path: str | Path, options: OutputOptions = DEFAULT_OPTIONS
) -> None:
    """A type-0 MIDI file: one note per event on channel 10, tempo map from the beats,
    as long as the audio (its end of track at the audio's last sample).

    Two events of one drum that quantization puts on the same tick become one note
    (the louder)."""
    grid = transcription.beat_grid(options.beats_per_bar)
    ticks = np.round(event_positions(transcription, grid, options.quantize) * TICKS_PER_BEAT)
    notes: dict[tuple[int, int], int] = {}
    for tick, e in zip(ticks.astype(int), transcription.events, strict=True):
        key = (int(tick), GM_NOTES[e.component])
        notes[key] = max(notes.get(key, 0), e.velocity)
    length = round(NOTE_BEATS * TICKS_PER_BEAT)
    end = round(float(grid.position(transcription.duration)) * TICKS_PER_BEAT)
    last = max(int(max((t for t, _ in notes), default=0) + length), end) // TICKS_PER_BEAT
    timeline: list[tuple[int, int, mido.Message | mido.MetaMessage]] = [
        (tick, 0, message) for tick, message in _tempo_map(grid, last)
    ]
    for (tick, note), velocity in notes.items():
        timeline.append((tick, 2, mido.Message("note_on", channel=9, note=note, velocity=velocity)))
        timeline.append((tick + length, 1, mido.Message("note_off", channel=9, note=note)))
    timeline.sort(key=lambda item: (item[0], item[1]))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name="drums (drummernet)", time=0)])
    previous = 0
    for tick, _, message in timeline:
        track.append(message.copy(time=tick - previous))
        previous = tick
    # the file lasts as long as the audio (a DAW's region, a player's length)
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - previous)))
    midi = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT, tracks=[track])
    atomic_write(path, lambda p: midi.save(str(p)))


def write_csv(transcription: TranscriptionLike, path: str | Path) -> None:
    """``time,label,component,strength,velocity`` rows, time in seconds."""

    def write(p: Path) -> None:
        with open(p, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["time", "label", "component", "strength", "velocity"])
            for e in transcription.events:
                writer.writerow([f"{e.time:.4f}", e.label, e.component, f"{e.strength:.4f}",
                                 e.velocity])  # fmt: skip

    atomic_write(path, write)


def to_dict(transcription: TranscriptionLike) -> dict:
    """The transcription as JSON-ready data (events and a summary, no activations)."""
    return {
        "source": transcription.source,
        "model": transcription.model,
        "duration": round(transcription.duration, 4),
        "frame_rate": transcription.frame_rate,
        "classes": {label: list(members) for label, members in transcription.classes.items()},
        "counts": transcription.counts(),
        "tempo": round(transcription.tempo, 2),
        "beats": [round(float(t), 4) for t in transcription.beats],
        "downbeats": [round(float(t), 4) for t in _downbeats(transcription)],
        "events": [
            {
                "time": round(e.time, 4),
                "label": e.label,
                "component": e.component,
                "strength": round(e.strength, 4),
                "velocity": e.velocity,
            }
            for e in transcription.events
        ],
    }


def _downbeats(transcription: TranscriptionLike) -> np.ndarray:
    """Bar lines among the tracked beats."""
    grid = transcription.beat_grid()
    tracked = grid.beat_times()
    return grid.downbeats()[np.isin(grid.downbeats(), tracked)]


def write_json(transcription: TranscriptionLike, path: str | Path) -> None:
    """The events and a summary as JSON."""
    text = json.dumps(to_dict(transcription), indent=1) + "\n"
    write_text(path, text)


def write_png(
    transcription: TranscriptionLike, path: str | Path, audio: np.ndarray | None = None
) -> None:
    """A picture: the waveform (if given), each class's activation and its picked onsets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(transcription.classes) or sorted({e.label for e in transcription.events})
    labels = labels or ["(no onsets)"]
    index = {c: i for i, c in enumerate(transcription.components)}
    rows = len(labels) + (audio is not None)
    fig, axes = plt.subplots(rows, 1, figsize=(12, 1.4 * rows + 0.6), sharex=True, squeeze=False)
    axes = axes[:, 0]
    if audio is not None:
        t = np.arange(len(audio)) / (len(audio) / max(transcription.duration, 1e-9))
        axes[0].plot(t, audio, lw=0.4, color="0.3")
        axes[0].set_ylabel("audio")
    frame_t = np.arange(transcription.activations.shape[1]) / transcription.frame_rate
    for ax, label in zip(axes[rows - len(labels) :], labels, strict=True):
        members = transcription.classes.get(label) or sorted(
            {e.component for e in transcription.events if e.label == label}
        )
        if members:
            curve = transcription.activations[[index[c] for c in members]].sum(0, np.float32)
            ax.plot(frame_t, curve, lw=0.6, color="tab:blue")
        times = transcription.onsets(label)
        strengths = [e.strength for e in transcription.events if e.label == label]
        ax.plot(times, strengths, "v", color="tab:red", ms=4)
        ax.set_ylabel(label)
    axes[-1].set_xlabel("time (s)")
    fig.suptitle(Path(transcription.source).name or "transcription", fontsize=10)
    try:
        with warnings.catch_warnings():  # a file name in a script the font lacks: boxes, fine
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            fig.tight_layout()
            atomic_write(path, lambda p: fig.savefig(p, dpi=100, format="png"))
    finally:
        plt.close(fig)


#: Audio the tool writes itself (re-synthesis): never read back as an input.
OWN_AUDIO_SUFFIXES = (SUFFIXES["wav"], SUFFIXES["ab.wav"])


def output_paths(
    source: str | Path, formats: list[str], out_dir: str | Path | None, stem: str | None = None
) -> dict:
    """``{format: path}`` next to ``source`` (or in ``out_dir``): ``song.wav`` -> ``song.mid``
    (``stem`` instead of ``song`` if given, see :func:`output_stems`)."""
    source = Path(source)
    folder = Path(out_dir) if out_dir else source.parent
    return {fmt: folder / f"{stem or source.stem}{SUFFIXES[fmt]}" for fmt in formats}


def output_stems(sources: list[Path], out_dir: str | Path | None) -> dict[Path, str]:
    """The name of each input's outputs in a batch, distinct within each output folder.

    An input keeps its stem (``song.wav`` -> ``song``) unless another input of the
    batch would write to the same folder under the same stem (letter case aside);
    those are named by their path from their common folder, parts joined by ``-``
    (``takes/one.wav``, ``live/one.flac`` -> ``takes-one``, ``live-one``), with the
    extension too where that is still the same (``one.wav``, ``one.flac`` in one
    folder -> ``one-wav``, ``one-flac``).
    """
    groups: dict[tuple[str, str], list[Path]] = {}
    for source in sources:
        folder = Path(out_dir) if out_dir else source.parent
        groups.setdefault((str(folder.resolve()), source.stem.lower()), []).append(source)
    stems = {source: source.stem for source in sources}
    for group in groups.values():
        if len(group) < 2:
            continue
        resolved = [s.resolve() for s in group]
        common = Path(os.path.commonpath([r.parent for r in resolved]))
        relative = [r.relative_to(common) for r in resolved]
        names = ["-".join((*r.parent.parts, r.stem)) for r in relative]
        if len({n.lower() for n in names}) < len(names):
            names = [f"{n}-{r.suffix.lstrip('.')}" for n, r in zip(names, relative, strict=True)]
        stems.update(zip(group, names, strict=True))
    return stems


WRITERS = {"csv": write_csv, "json": write_json}
