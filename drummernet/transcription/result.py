"""The result of a transcription: :class:`Transcription` (events, activations, beats).

:func:`~drummernet.transcription.api.transcribe` makes one; the writers
(:mod:`~drummernet.transcription.outputs`, ``notation``, ``page``, ``resynthesis``)
read it through :class:`~drummernet.transcription.types.TranscriptionLike`, so that
none of them imports this module: its ``to_*`` methods import them, not the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drummernet.transcription.beats import BeatGrid, track, with_bars
from drummernet.transcription.notes import Event

#: How :class:`Transcription` keeps its activations: float16 holds a 0-1 activation to
#: 3 significant digits in half the memory of float32 (an hour: 79 MB instead of 158);
#: peak picking sums class curves in float32.
ACTIVATION_DTYPE = np.float16


@dataclass
class Transcription:
    """What :func:`transcribe` returns.

    ``events``: the onsets; ``activations``: ``(K, frames)`` frame activations at
    ``frame_rate`` Hz (frame ``f`` is time ``f / frame_rate`` s), stored as
    :data:`ACTIVATION_DTYPE`; ``duration`` in s;
    ``classes``: each output label's components.
    """

    events: list[Event]
    activations: np.ndarray
    frame_rate: float
    components: tuple[str, ...]
    duration: float
    source: str = ""
    model: str = ""
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    _beats: BeatGrid | None = field(default=None, init=False, repr=False, compare=False)

    def onsets(self, label: str) -> np.ndarray:
        """Onset times (s) of one class label."""
        return np.array([e.time for e in self.events if e.label == label])

    def beat_grid(self, beats_per_bar: int = 4) -> BeatGrid:
        """The tracked beats and bar lines (see :mod:`drummernet.transcription.beats`);
        the beats are tracked once, the bar lines placed for each ``beats_per_bar``."""
        if self._beats is None:
            self._beats = track(self.activations, self.frame_rate, self.duration, self.components)
        return with_bars(
            self._beats, self.activations, self.frame_rate, self.components, beats_per_bar
        )

    @property
    def beats(self) -> np.ndarray:
        """Times (s) of the tracked beats."""
        return self.beat_grid().beat_times()

    @property
    def tempo(self) -> float:
        """Overall tempo (bpm) of the tracked beats; 120 when none could be tracked."""
        return self.beat_grid().tempo

    def to_midi(
        self, path: str | Path, quantize: str | None = None, beats_per_bar: int = 4
    ) -> None:
        """Write a MIDI file whose tempo map follows the beats; ``quantize`` (e.g.
        ``"1/16"``, ``"1/8t"``) snaps the notes to that grid."""
        from drummernet.transcription import outputs

        outputs.write_midi(self, path, outputs.OutputOptions(quantize, beats_per_bar))

    def to_musicxml(self, path: str | Path, quantize: str = "auto", beats_per_bar: int = 4) -> None:
        """Write a drum score (MusicXML, percussion clef, notes on ``quantize``'s grid)."""
        from drummernet.transcription.notation import write_musicxml
        from drummernet.transcription.outputs import OutputOptions

        write_musicxml(self, path, OutputOptions(quantize, beats_per_bar))

    def resynthesize(self, kit: str | Path | None = None) -> np.ndarray:
        """The events played through a kit (a name, a kit folder, or None for the
        shipped default), mono float32 at the model's sample rate, as long as the input."""
        from drummernet.transcription.resynthesis import resynthesize

        return resynthesize(self, kit)

    def to_html(self, path: str | Path, kit: str | Path | None = None) -> None:
        """Write the HTML page (waveform, piano roll, players for the input, read again
        from ``source`` when it is a file, and for its re-synthesis through ``kit``)."""
        from drummernet.transcription.outputs import OutputOptions
        from drummernet.transcription.writing import write_outputs

        source = Path(self.source) if self.source and Path(self.source).is_file() else None
        options = OutputOptions(kit=str(kit) if kit is not None else None)
        write_outputs(self, {"html": Path(path)}, options, source)

    def counts(self) -> dict[str, int]:
        """Number of onsets per class label."""
        out: dict[str, int] = {}
        for e in self.events:
            out[e.label] = out.get(e.label, 0) + 1
        return out
