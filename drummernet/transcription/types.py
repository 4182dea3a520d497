"""What a writer reads of a transcription: :class:`TranscriptionLike`.

A :class:`typing.Protocol` that :class:`~drummernet.transcription.result.Transcription`
meets; the writers import this leaf module, never the result's, so that the result's
``to_*`` methods can call them without an import cycle.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from drummernet.transcription.beats import BeatGrid
from drummernet.transcription.notes import Event


class TranscriptionLike(Protocol):
    """Events, activations ``(K, frames)`` at ``frame_rate`` Hz, the audio's
    ``duration`` (s), where it came from, each class's components, what the model
    adds (``meta``), and its beats."""

    events: list[Event]
    activations: np.ndarray
    frame_rate: float
    components: tuple[str, ...]
    duration: float
    source: str
    model: str
    classes: dict[str, tuple[str, ...]]
    meta: dict  # e.g. the kit adapt fitted with the model (re-synthesis plays it)

    def beat_grid(self, beats_per_bar: int = 4) -> BeatGrid: ...

    def counts(self) -> dict[str, int]: ...

    @property
    def beats(self) -> np.ndarray: ...

    @property
    def tempo(self) -> float: ...
