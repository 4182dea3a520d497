"""Writing a :class:`Transcription`: Standard MIDI File, CSV, JSON and a PNG plot.

MIDI is written with ``mido`` (channel 10, General MIDI drum keys, 120 bpm so
that one beat is 0.5 s), the plot with ``matplotlib``. Every writer goes
through a temporary file and a rename, so an interrupted write leaves no
half-written file behind.
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import mido
import numpy as np

from drummernet.components import GM_NOTES
from drummernet.fileio import atomic_write, write_text

if TYPE_CHECKING:  # the type only: writing outputs needs no torch
    from drummernet.transcription.api import Transcription

FORMATS = ("mid", "csv", "json", "png")
TICKS_PER_BEAT = 480
TEMPO = 500_000  # microseconds per beat (120 bpm)
NOTE_SECONDS = 0.05  # length of each written note


def write_midi(transcription: Transcription, path: str | Path) -> None:
    """A type-0 MIDI file: one note per event on channel 10."""
    seconds_per_tick = TEMPO / 1e6 / TICKS_PER_BEAT
    timeline = []
    for e in transcription.events:
        note = GM_NOTES[e.component]
        timeline.append((e.time, 1, mido.Message("note_on", channel=9, note=note,
                                                 velocity=e.velocity)))  # fmt: skip
        timeline.append((e.time + NOTE_SECONDS, 0, mido.Message("note_off", channel=9, note=note)))
    timeline.sort(key=lambda item: (item[0], item[1]))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=TEMPO, time=0)])
    track.append(mido.MetaMessage("track_name", name="drums (drummernet)", time=0))
    last_tick = 0
    for seconds, _, message in timeline:
        tick = round(seconds / seconds_per_tick)
        track.append(message.copy(time=tick - last_tick))
        last_tick = tick
    midi = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT, tracks=[track])
    atomic_write(path, lambda p: midi.save(str(p)))


def write_csv(transcription: Transcription, path: str | Path) -> None:
    """``time,label,component,strength,velocity`` rows, time in seconds."""

    def write(p: Path) -> None:
        with open(p, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["time", "label", "component", "strength", "velocity"])
            for e in transcription.events:
                writer.writerow([f"{e.time:.4f}", e.label, e.component, f"{e.strength:.4f}",
                                 e.velocity])  # fmt: skip

    atomic_write(path, write)


def to_dict(transcription: Transcription) -> dict:
    """The transcription as JSON-ready data (events and a summary, no activations)."""
    return {
        "source": transcription.source,
        "model": transcription.model,
        "duration": round(transcription.duration, 4),
        "frame_rate": transcription.frame_rate,
        "classes": {label: list(members) for label, members in transcription.classes.items()},
        "counts": transcription.counts(),
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


def write_json(transcription: Transcription, path: str | Path) -> None:
    """The events and a summary as JSON."""
    text = json.dumps(to_dict(transcription), indent=1) + "\n"
    write_text(path, text)


def write_png(
    transcription: Transcription, path: str | Path, audio: np.ndarray | None = None
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
            curve = transcription.activations[[index[c] for c in members]].sum(axis=0)
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


WRITERS = {"mid": write_midi, "csv": write_csv, "json": write_json}


def output_paths(source: str | Path, formats: list[str], out_dir: str | Path | None) -> dict:
    """``{format: path}`` next to ``source`` (or in ``out_dir``): ``song.wav`` -> ``song.mid``."""
    source = Path(source)
    folder = Path(out_dir) if out_dir else source.parent
    return {fmt: folder / f"{source.stem}.{fmt}" for fmt in formats}
