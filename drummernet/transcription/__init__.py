"""Transcription: chunked inference, peak picking, note events and output files."""

from drummernet.transcription.api import DEFAULT_MODEL, Transcription, get_model, transcribe
from drummernet.transcription.notes import CLASS_SETS, Event, PeakPicking, pick_events
from drummernet.transcription.peaks import pick_peaks

__all__ = [
    "CLASS_SETS",
    "DEFAULT_MODEL",
    "Event",
    "PeakPicking",
    "Transcription",
    "get_model",
    "pick_events",
    "pick_peaks",
    "transcribe",
]
