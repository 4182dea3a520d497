"""Drum datasets: annotation readers, annotated tracks and unlabeled training segments."""

from drummernet.datasets.annotations import (
    AnnotationError,
    Track,
    load_mdb_drums,
    read_enst,
    read_idmt_xml,
    read_onset_text,
)
from drummernet.datasets.unlabeled import UnlabeledSegments, find_audio_files

__all__ = [
    "AnnotationError",
    "Track",
    "UnlabeledSegments",
    "find_audio_files",
    "load_mdb_drums",
    "read_enst",
    "read_idmt_xml",
    "read_onset_text",
]
