"""Transcription: chunked inference, peak picking, note events and output files."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "api": ["DEFAULT_MODEL", "get_model", "transcribe"],
        "result": ["Transcription"],
        "notes": ["CLASS_SETS", "Event", "PeakPicking", "pick_events"],
        "peaks": ["pick_peaks"],
    },
)
