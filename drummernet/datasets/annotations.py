"""Onset annotations of published drum datasets, mapped to our components and classes.

Readers return ``{label: sorted onset times in seconds}`` in the dataset's own
labels; ``*_COMPONENTS`` tables map those labels to the 11 components (``None``:
a sound outside the vocabulary, e.g. cowbell or side stick), and
:func:`class_onsets` groups components into scoring classes (the paper's KD,
SD, HH by default). A malformed line raises :class:`AnnotationError` naming the
file and the line.
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drummernet.components import COMPONENTS, PAPER_CLASSES
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


def _load_pairs(
    pairs: list[tuple[str, Path, Path]],
    reader: Callable[[Path], Mapping[str, np.ndarray]],
    table: Mapping[str, str | None] | None,
    errors: list[str] | None,
) -> list[Track]:
    """Tracks from ``(name, audio, annotation)`` triples; a track whose annotation
    cannot be read goes to ``errors`` (raised when ``errors`` is None)."""
    tracks = []
    for name, audio, notes in pairs:
        try:
            labelled = reader(notes)
            components = (
                component_onsets(labelled, table, notes) if table is not None else dict(labelled)
            )
        except AnnotationError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
            continue
        tracks.append(Track(name, audio, components, class_onsets(components)))
    return tracks


def _need_folders(root: Path, kind: str, *folders: str) -> None:
    if not all((root / f).is_dir() for f in folders):
        raise AnnotationError(f"{root}: not an {kind} folder (needs {', '.join(folders)})")


def load_mdb_drums(root: str | Path, errors: list[str] | None = None) -> list[Track]:
    """Tracks of an MDB Drums folder (``audio/`` + ``annotations/subclass/``).

    A track whose annotation cannot be read is reported in ``errors`` (or raised
    when ``errors`` is None) and the others are still loaded.
    """
    root = Path(root)
    _need_folders(root, "MDB Drums", "audio", "annotations/subclass")
    pairs = []
    for audio in sorted((root / "audio").glob("*_Drum.wav")):
        stem = audio.name.removesuffix("_Drum.wav")
        pairs.append((stem, audio, root / "annotations" / "subclass" / f"{stem}_subclass.txt"))
    return _load_pairs(pairs, read_onset_text, MDB_COMPONENTS, errors)


def load_idmt_smt_drums(root: str | Path, errors: list[str] | None = None) -> list[Track]:
    """Tracks of an IDMT-SMT-Drums folder: ``audio/*.wav`` with ``annotation_xml/*.xml``
    (or, failing that, ``annotation_txt/*.txt`` as ``time<TAB>label``). Only the
    mixtures (``#MIX``) are loaded, as in the paper's DTD task."""
    root = Path(root)
    _need_folders(root, "IDMT-SMT-Drums", "audio")
    pairs = []
    for audio in sorted((root / "audio").glob("*#MIX.wav")):
        xml = root / "annotation_xml" / f"{audio.stem}.xml"
        text = root / "annotation_txt" / f"{audio.stem}.txt"
        pairs.append((audio.stem, audio, xml if xml.is_file() else text))
    return _load_pairs(
        pairs,
        lambda p: read_idmt_xml(p) if p.suffix == ".xml" else read_onset_text(p),
        IDMT_COMPONENTS,
        errors,
    )


def load_enst_drums(
    root: str | Path, errors: list[str] | None = None, mix: str = "wet_mix"
) -> list[Track]:
    """Tracks of ENST-drums: ``drummer_*/audio/<mix>/*.wav`` with
    ``drummer_*/annotation/*.txt``."""
    root = Path(root)
    drummers = sorted(p for p in root.glob("drummer_*") if p.is_dir())
    if not drummers:
        raise AnnotationError(f"{root}: not an ENST-drums folder (needs drummer_*/)")
    pairs = [
        (f"{d.name}/{audio.stem}", audio, d / "annotation" / f"{audio.stem}.txt")
        for d in drummers
        for audio in sorted((d / "audio" / mix).glob("*.wav"))
    ]
    return _load_pairs(pairs, read_enst, ENST_COMPONENTS, errors)


def read_rendered_labels(path: str | Path) -> dict[str, np.ndarray]:
    """The ``time,component,velocity`` CSV written by the renderer -> component onsets."""
    path = Path(path)
    onsets: dict[str, list[float]] = {}
    try:
        with open(path, newline="") as f:
            rows = csv.reader(f)
            if next(rows, None) != ["time", "component", "velocity"]:
                raise AnnotationError(f"{path}:1: expected the header time,component,velocity")
            for number, row in enumerate(rows, start=2):
                try:
                    time, component, _ = row
                    if component not in COMPONENTS:
                        raise ValueError
                    _add(onsets, component, float(time))
                except ValueError:
                    raise AnnotationError(
                        f"{path}:{number}: expected time,component,velocity; got {','.join(row)!r}"
                    ) from None
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot read annotations: {exc.strerror}") from None
    return _finish(onsets)


def load_rendered(root: str | Path, errors: list[str] | None = None) -> list[Track]:
    """Tracks of a set written by ``drummernet render`` (its ``render.json``)."""
    root = Path(root)
    try:
        manifest = json.loads((root / "render.json").read_text())
        entries = [(t["name"], root / t["audio"], root / t["labels"]) for t in manifest["tracks"]]
    except OSError:
        raise AnnotationError(f"{root}: not a rendered set (no readable render.json)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise AnnotationError(f"{root / 'render.json'}: malformed ({exc})") from None
    return _load_pairs(entries, read_rendered_labels, None, errors)


#: Dataset layouts :func:`load_dataset` recognises, tried in this order.
LOADERS: dict[str, Callable[..., list[Track]]] = {
    "rendered": load_rendered,
    "mdb": load_mdb_drums,
    "idmt": load_idmt_smt_drums,
    "enst": load_enst_drums,
}


def detect_layout(root: str | Path) -> str:
    """The layout of an annotated dataset folder: a key of :data:`LOADERS`."""
    root = Path(root)
    if (root / "render.json").is_file():
        return "rendered"
    if (root / "annotations" / "subclass").is_dir():
        return "mdb"
    if (root / "annotation_xml").is_dir() or (root / "annotation_txt").is_dir():
        return "idmt"
    if any(root.glob("drummer_*/annotation")):
        return "enst"
    raise AnnotationError(
        f"{root}: not a known dataset layout (a rendered set, MDB Drums, IDMT-SMT-Drums "
        "or ENST-drums)"
    )


def load_dataset(root: str | Path, errors: list[str] | None = None) -> list[Track]:
    """Load any annotated dataset folder, detecting its layout."""
    return LOADERS[detect_layout(root)](root, errors=errors)
