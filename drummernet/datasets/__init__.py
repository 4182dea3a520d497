"""Drum datasets: annotation readers, annotated tracks, drum-MIDI rendering and
unlabeled training segments."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "annotations": [
            "AnnotationError",
            "Track",
            "detect_layout",
            "load_dataset",
            "load_enst_drums",
            "load_idmt_smt_drums",
            "load_mdb_drums",
            "load_rendered",
            "read_enst",
            "read_idmt_xml",
            "read_onset_text",
            "read_rendered_labels",
        ],
        "midi": ["Hit", "MidiError", "read_drum_midi"],
        "unlabeled": ["UnlabeledSegments", "find_audio_files"],
    },
)
