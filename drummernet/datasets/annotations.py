"""Onset annotations of published drum datasets, mapped to our components and classes.

Readers return ``{label: sorted onset times in seconds}`` in the dataset's own
labels; ``*_COMPONENTS`` tables map those labels to the 11 components (``None``:
a sound outside the vocabulary, e.g. cowbell or side stick), and
:func:`class_onsets` groups components into scoring classes (the paper's KD,
SD, HH by default). A malformed line raises :class:`AnnotationError` naming the
file and the line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drummernet.components import PAPER_CLASSES
from drummernet.errors import DrummerNetError


class AnnotationError(DrummerNetError, ValueError):
    """An annotation file that cannot be read, with file and line."""


#: MDB Drums subclasses -> components.
MDB_COMPONENTS: dict[str, str | None] = {
    "KD": "KD_KD",
    "SD": "SD_SD",
    "SDB": "SD_SD",
    "SDD": "SD_SD",
    "SDF": "SD_SD",
    "SDG": "SD_SD",
    "SDNS": "SD_SD",
    "SST": None,
    "CHH": "HH_CHH",
    "OHH": "HH_OHH",
    "PHH": "HH_PHH",
    "HIT": "TT_HIT",
    "MHT": "TT_MHT",
    "HFT": "TT_HFT",
    "LFT": "TT_HFT",
    "RDC": "CY_RDC",
    "RDB": "CY_RDC",
    "CRC": "CY_CRC",
    "CHC": "CY_CRC",
    "SPC": "CY_CRC",
    "TMB": "OT_TMB",
    "CB": None,
    "CLP": None,
    "SHK": None,
    "CL": None,
    "OT": None,
}

#: ENST-drums labels -> components.
ENST_COMPONENTS: dict[str, str | None] = {
    "bd": "KD_KD",
    "sd": "SD_SD",
    "sd-": "SD_SD",
    "rs": "SD_SD",
    "cs": None,
    "chh": "HH_CHH",
    "ohh": "HH_OHH",
    "ht": "TT_HIT",
    "mt": "TT_MHT",
    "lmt": "TT_MHT",
    "lt": "TT_HFT",
    "lft": "TT_HFT",
    "rc": "CY_RDC",
    "c": "CY_CRC",
    "cr": "CY_CRC",
    "spl": "CY_CRC",
    "ch": "CY_CRC",
    "cb": None,
    "sticks": None,
}

#: IDMT-SMT-Drums labels -> components.
IDMT_COMPONENTS: dict[str, str | None] = {"KD": "KD_KD", "SD": "SD_SD", "HH": "HH_CHH"}

_LINE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)[\s,;]+(\S+)\s*$")


def _add(onsets: dict[str, list[float]], label: str, time: float) -> None:
    onsets.setdefault(label, []).append(time)


def _finish(onsets: dict[str, list[float]]) -> dict[str, np.ndarray]:
    return {label: np.sort(np.asarray(times, dtype=float)) for label, times in onsets.items()}


def read_onset_text(path: str | Path) -> dict[str, np.ndarray]:
    """Read ``time<whitespace or comma>label`` lines (MDB, IDMT text, ENST, our renders).

    Blank lines and lines starting with ``#`` are ignored.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot read annotations: {exc.strerror}") from None
    onsets: dict[str, list[float]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise AnnotationError(f"{path}:{number}: expected 'time label'; got {line.strip()!r}")
        _add(onsets, match.group(2), float(match.group(1)))
    return _finish(onsets)


def read_enst(path: str | Path) -> dict[str, np.ndarray]:
    """ENST-drums annotation file (``time label``, labels such as ``bd``, ``chh``)."""
    return read_onset_text(path)


def read_idmt_xml(path: str | Path) -> dict[str, np.ndarray]:
    """IDMT-SMT-Drums XML annotation: ``<event><onsetSec/><instrument/></event>``."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise AnnotationError(f"{path}: cannot read XML annotations ({exc})") from None
    onsets: dict[str, list[float]] = {}
    for number, event in enumerate(root.iter("event"), start=1):
        onset, instrument = event.findtext("onsetSec"), event.findtext("instrument")
        try:
            _add(onsets, str(instrument).strip(), float(str(onset)))
        except ValueError:
            raise AnnotationError(
                f"{path}: event {number}: bad onsetSec {onset!r} or instrument {instrument!r}"
            ) from None
    return _finish(onsets)


def component_onsets(
    labelled: Mapping[str, np.ndarray], table: Mapping[str, str | None], path: str | Path = ""
) -> dict[str, np.ndarray]:
    """Map dataset labels to components with ``table``; unknown labels are an error."""
    out: dict[str, list[float]] = {}
    for label, times in labelled.items():
        if label not in table:
            raise AnnotationError(f"{path}: unknown label {label!r}")
        component = table[label]
        if component is not None:
            out.setdefault(component, []).extend(times.tolist())
    return _finish(out)


def class_onsets(
    components: Mapping[str, np.ndarray],
    classes: Mapping[str, tuple[str, ...]] = PAPER_CLASSES,
) -> dict[str, np.ndarray]:
    """Group component onsets into classes (default: the paper's KD, SD, HH)."""
    return {
        name: np.sort(np.concatenate([components.get(c, np.zeros(0)) for c in members]))
        for name, members in classes.items()
    }


@dataclass
class Track:
    """One annotated recording."""

    name: str
    audio_path: Path
    components: dict[str, np.ndarray]
    classes: dict[str, np.ndarray] = field(default_factory=dict)


def load_mdb_drums(root: str | Path, errors: list[str] | None = None) -> list[Track]:
    """Tracks of an MDB Drums folder (``audio/`` + ``annotations/subclass/``).

    A track whose annotation cannot be read is reported in ``errors`` (or raised
    when ``errors`` is None) and the others are still loaded.
    """
    root = Path(root)
    audio_dir, notes_dir = root / "audio", root / "annotations" / "subclass"
    if not audio_dir.is_dir() or not notes_dir.is_dir():
        raise AnnotationError(
            f"{root}: not an MDB Drums folder (needs audio/ and annotations/subclass/)"
        )
    tracks = []
    for audio in sorted(audio_dir.glob("*_Drum.wav")):
        stem = audio.name.removesuffix("_Drum.wav")
        notes = notes_dir / f"{stem}_subclass.txt"
        try:
            components = component_onsets(read_onset_text(notes), MDB_COMPONENTS, notes)
        except AnnotationError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
            continue
        tracks.append(Track(stem, audio, components, class_onsets(components)))
    return tracks
