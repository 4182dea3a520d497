"""Drum datasets: annotation readers, annotated tracks, drum-MIDI rendering and
unlabeled training segments."""

from drummernet.datasets.annotations import (
    AnnotationError,
    Track,
    detect_layout,
    load_dataset,
    load_enst_drums,
    load_idmt_smt_drums,
    load_mdb_drums,
    load_rendered,
    read_enst,
    read_idmt_xml,
    read_onset_text,
    read_rendered_labels,
)
from drummernet.datasets.midi import Hit, MidiError, read_drum_midi
from drummernet.datasets.unlabeled import UnlabeledSegments, find_audio_files

__all__ = [
    "AnnotationError",
    "Hit",
    "MidiError",
    "Track",
    "UnlabeledSegments",
    "detect_layout",
    "find_audio_files",
    "load_dataset",
    "load_enst_drums",
    "load_idmt_smt_drums",
    "load_mdb_drums",
    "load_rendered",
    "read_drum_midi",
    "read_enst",
    "read_idmt_xml",
    "read_onset_text",
    "read_rendered_labels",
]
