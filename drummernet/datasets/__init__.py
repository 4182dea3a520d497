"""Annotated drum datasets: onset annotation readers and track loaders."""

from drummernet.datasets.annotations import (
    AnnotationError,
    Track,
    load_mdb_drums,
    read_enst,
    read_idmt_xml,
    read_onset_text,
)

__all__ = [
    "AnnotationError",
    "Track",
    "load_mdb_drums",
    "read_enst",
    "read_idmt_xml",
    "read_onset_text",
]
