"""Kit folders: one-shot audio files plus a ``kit.json`` manifest.

A manifest looks like::

    {"name": "fluidr3-standard", "source": "...", "license": "MIT",
     "attribution": "...", "sample_rate": 16000,
     "components": {"KD_KD": [{"file": "KD_KD_1_v127.flac",
                               "min_velocity": 1, "max_velocity": 127}], ...}}

Each component maps to one or more velocity layers (MIDI velocity ranges,
inclusive). Kits are found in the folders of :func:`kit_search_path`: the kits
of the user, ``$DRUMMERNET_KITS`` (``os.pathsep``-separated) or else
``~/.local/share/drummernet/kits``, then the kits shipped inside the package.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drummernet.audio import AudioError, load_audio
from drummernet.components import COMPONENTS
from drummernet.config import SAMPLE_RATE
from drummernet.errors import KitError
from drummernet.fileio import write_text

MANIFEST = "kit.json"
PACKAGED_KITS = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Layer:
    """One sample of a component, used for velocities in [min_velocity, max_velocity]."""

    file: str
    min_velocity: int = 1
    max_velocity: int = 127


@dataclass
class Kit:
    """A kit folder: name, provenance and velocity layers per component."""

    name: str
    path: Path
    layers: dict[str, list[Layer]]
    source: str = ""
    license: str = ""
    attribution: str = ""
    sample_rate: int = SAMPLE_RATE
    _cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def missing(self) -> list[str]:
        """Components of the 11-piece vocabulary this kit has no sample for."""
        return [c for c in COMPONENTS if c not in self.layers]

    def one_shot(
        self, component: str, velocity: int = 98, sample_rate: int = SAMPLE_RATE
    ) -> np.ndarray:
        """The sample of ``component`` for MIDI ``velocity``, mono float32 at ``sample_rate``.

        The layer whose range holds ``velocity`` is used (the nearest one if none does).
        """
        layers = self.layers.get(component)
        if not layers:
            raise KitError(f"kit {self.name!r} has no sample for {component}")
        inside = [lay for lay in layers if lay.min_velocity <= velocity <= lay.max_velocity]
        layer = (
            inside[0]
            if inside
            else min(
                layers,
                key=lambda lay: min(
                    abs(velocity - lay.min_velocity), abs(velocity - lay.max_velocity)
                ),
            )
        )
        key = f"{layer.file}@{sample_rate}"
        if key not in self._cache:
            try:
                self._cache[key] = load_audio(self.path / layer.file, sample_rate)
            except AudioError as exc:
                raise KitError(f"kit {self.name!r}: {exc}") from None
        return self._cache[key]

    def to_manifest(self) -> dict:
        """The JSON manifest of this kit."""
        return {
            "name": self.name,
            "source": self.source,
            "license": self.license,
            "attribution": self.attribution,
            "sample_rate": self.sample_rate,
            "components": {
                c: [vars(layer) for layer in self.layers[c]] for c in COMPONENTS if c in self.layers
            },
        }

    def save_manifest(self) -> Path:
        """Write ``kit.json`` into the kit folder."""
        path = self.path / MANIFEST
        write_text(path, json.dumps(self.to_manifest(), indent=2) + "\n")
        return path


def load_kit(path: str | Path) -> Kit:
    """Read the kit in folder ``path`` (its ``kit.json``), checking every entry."""
    path = Path(path)
    manifest = path / MANIFEST
    try:
        data = json.loads(manifest.read_text())
    except OSError:
        raise KitError(f"{path}: not a kit folder (no readable {MANIFEST})") from None
    except json.JSONDecodeError as exc:
        raise KitError(f"{manifest}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    try:
        layers: dict[str, list[Layer]] = {}
        for component, entries in data["components"].items():
            if component not in COMPONENTS:
                raise KitError(f"{manifest}: unknown component {component!r}")
            layers[component] = [Layer(**entry) for entry in entries]
            for layer in layers[component]:
                if not (path / layer.file).is_file():
                    raise KitError(f"{manifest}: {component} sample {layer.file} is missing")
        return Kit(
            name=data.get("name", path.name),
            path=path,
            layers=layers,
            source=data.get("source", ""),
            license=data.get("license", ""),
            attribution=data.get("attribution", ""),
            sample_rate=data.get("sample_rate", SAMPLE_RATE),
        )
    except (KeyError, TypeError) as exc:
        raise KitError(f"{manifest}: malformed manifest ({exc})") from None


def kit_search_path() -> list[Path]:
    """Folders searched for kits, in order: user kits, then the packaged kits."""
    user = os.environ.get("DRUMMERNET_KITS")
    if user:
        folders = [Path(p) for p in user.split(os.pathsep) if p]
    else:
        folders = [Path.home() / ".local" / "share" / "drummernet" / "kits"]
    return [*folders, PACKAGED_KITS]


def user_kit_folder() -> Path:
    """Where ``drummernet kits build`` writes kits by default."""
    return kit_search_path()[0]


def list_kits() -> list[Kit]:
    """Every valid kit on the search path (a name found twice: the first wins)."""
    kits: dict[str, Kit] = {}
    for folder in kit_search_path():
        if not folder.is_dir():
            continue
        for manifest in sorted(folder.glob(f"*/{MANIFEST}")):
            try:
                kit = load_kit(manifest.parent)
            except KitError:
                continue
            kits.setdefault(kit.name, kit)
    return list(kits.values())


def get_kit(name_or_path: str | Path) -> Kit:
    """A kit by folder path or by name on the search path."""
    path = Path(name_or_path)
    if (path / MANIFEST).is_file():
        return load_kit(path)
    for kit in list_kits():
        if kit.name == str(name_or_path):
            return kit
    known = ", ".join(k.name for k in list_kits()) or "none"
    searched = os.pathsep.join(str(f) for f in kit_search_path()[:-1])
    raise KitError(
        f"no kit called {str(name_or_path)!r} (installed: {known}); kits are looked up in "
        f"{searched} and the package: give a kit's folder, or set DRUMMERNET_KITS to the "
        "folder it was built into"
    )


def get_kits(name_or_path: str | Path) -> list[Kit]:
    """:func:`get_kit`, or every kit in a folder of kit folders (e.g. the output of
    ``kits build procedural``), in name order."""
    path = Path(name_or_path)
    inside = sorted(path.glob(f"*/{MANIFEST}")) if not (path / MANIFEST).is_file() else []
    if inside:
        return [load_kit(manifest.parent) for manifest in inside]
    return [get_kit(name_or_path)]


def is_searched(folder: str | Path) -> bool:
    """Whether kits built into ``folder`` are found by name (:func:`kit_search_path`)."""
    target = Path(folder).resolve()
    return any(target == f.resolve() for f in kit_search_path())


#: The one rule for a component a kit lacks, wherever a kit is used (``render``,
#: ``train``, ``adapt``, ``kits show``): it comes from the first of these kits that
#: has it, unless the caller gives other fallbacks (``render --fallback``).
DEFAULT_FALLBACKS = ("fluidr3-standard",)


def default_fallbacks(kit: Kit | None = None) -> list[Kit]:
    """The kits of :data:`DEFAULT_FALLBACKS` (other than ``kit`` itself)."""
    return [get_kit(name) for name in DEFAULT_FALLBACKS if kit is None or name != kit.name]


def fill_sources(kit: Kit, fallbacks: list[Kit] | None = None) -> dict[str, Kit | None]:
    """For each component, the kit its sample comes from: ``kit`` itself, the first
    of ``fallbacks`` that has it (default: :func:`default_fallbacks`), or None."""
    fallbacks = default_fallbacks(kit) if fallbacks is None else fallbacks
    return {
        component: next((k for k in [kit, *(fallbacks or [])] if component in k.layers), None)
        for component in COMPONENTS
    }


def kit_one_shots(
    kit: Kit,
    fallbacks: list[Kit] | None = None,
    velocity: int = 98,
    sample_rate: int = SAMPLE_RATE,
    components: tuple[str, ...] = COMPONENTS,
) -> tuple[list[np.ndarray], list[str]]:
    """One sample per component for the synthesizer, filling gaps from ``fallbacks``.

    Returns the samples (in ``components`` order) and one note per filled gap,
    e.g. ``"TT_HFT from fluidr3-standard"``, for the caller to tell the user.
    """
    shots, notes = [], []
    sources = fill_sources(kit, fallbacks)
    for component in components:
        donor = sources[component]
        if donor is None:
            raise KitError(f"kit {kit.name!r} has no {component} and no fallback kit has one")
        if donor is not kit:
            notes.append(f"{component} from {donor.name}")
        shots.append(donor.one_shot(component, velocity, sample_rate))
    return shots, notes
