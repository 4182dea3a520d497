"""Build kit folders from the drum sources a Linux user has.

* Hydrogen drumkits (a folder with ``drumkit.xml``, e.g. the Debian package
  ``hydrogen-drumkits``), instruments mapped to components by name;
* SoundFont drum presets (bank 128, or another bank), rendered note by note with the
  ``fluidsynth`` program;
* a plain folder of audio files named by component (``KD_KD.wav``,
  ``kick.wav``, ``snare_v64.flac`` ...).

Every builder writes 16 kHz mono 16-bit FLAC one-shots plus ``kit.json``,
trimmed to ``max_seconds`` with the leading silence removed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path

import mido
import numpy as np

from drummernet.audio import AUDIO_EXTENSIONS, AudioError, load_audio, write_audio
from drummernet.components import COMPONENTS, GM_NOTES
from drummernet.config import SAMPLE_RATE
from drummernet.errors import KitError
from drummernet.kits.library import MANIFEST, Kit, Layer

# (component, pattern) tried in order on a lower-cased instrument or file name;
# the first component whose pattern matches wins.
NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    ("HH_PHH", r"(pedal|foot).*(hat|hh)|(hat|hh).*(pedal|foot|\bpd\b)|^phh"),
    ("HH_OHH", r"open.*(hat|hh)|(hat|hh).*(open|\bop\b)|^ohh"),
    ("HH_CHH", r"(clos|clsd).*(hat|hh)|(hat|hh).*(clos|clsd|\bcl\b)|^chh|^(hi.?hat|hh)$"),
    ("KD_KD", r"kick|bass ?drum|^bd\b|^kd\b|^kik"),
    ("SD_SD", r"snare|^sd\b|\bsnr\b"),
    ("TT_HIT", r"(hi|high).*tom|tom.*(hi|high|\b1\b)|^hit$|^ht$"),
    ("TT_MHT", r"mid.*tom|tom.*(mid|\b2\b)|^mht$|^mt$"),
    ("TT_HFT", r"floor|(lo|low).*tom|tom.*(lo|low|\b3\b)|^hft$|^ft$"),
    ("CY_RDC", r"ride(?!.*bell)|^rdc$|^rd$"),
    ("CY_CRC", r"crash|^crc$|^cr$"),
    ("OT_TMB", r"tamb|^tmb$"),
)


def component_for_name(name: str) -> str | None:
    """Map an instrument or file name (``"Hat Closed"``, ``"kick_01"``, ``"Tom03"``) to a
    component. Numbers are read apart from the words they follow, without leading
    zeros (``"Tom03"`` is tom 3, the floor tom)."""
    text = name.lower().replace("_", " ").replace("-", " ").strip()
    if text.upper().replace(" ", "_") in COMPONENTS:
        return text.upper().replace(" ", "_")
    text = re.sub(r"\b0+(?=\d)", "", re.sub(r"(?<=[a-z])(?=\d)", " ", text))
    for component, pattern in NAME_PATTERNS:
        if re.search(pattern, text):
            return component
    return None


#: Notes on sources that are skipped, not broken: a file of a kit folder whose name
#: maps to no component, a kit (e.g. a percussion set) with no drum component.
UNMATCHED = "name matches no drum component, skipped"
NO_COMPONENT = "no drum component could be recognised"
SKIPPED = (UNMATCHED, NO_COMPONENT)


def prepare_one_shot(
    y: np.ndarray, max_seconds: float, sample_rate: int = SAMPLE_RATE, threshold_db: float = -50.0
) -> np.ndarray:
    """Cut leading silence (below ``threshold_db`` of the peak), keep ``max_seconds``,
    fade out the last 10 ms and peak-normalise to 0.9."""
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak <= 0:
        raise AudioError("one-shot is silent")
    start = int(np.argmax(np.abs(y) >= peak * 10 ** (threshold_db / 20)))
    y = y[start : start + int(max_seconds * sample_rate)].astype(np.float64)
    fade = min(len(y), int(0.01 * sample_rate))
    y[len(y) - fade :] *= np.linspace(1.0, 0.0, fade)
    return (0.9 * y / np.max(np.abs(y))).astype(np.float32)


def velocity_ranges(velocities: list[int]) -> list[tuple[int, int]]:
    """Layer ranges for samples taken at sorted ``velocities``: each covers the
    velocities above the previous one up to its own, the loudest up to 127."""
    lows = [1] + [v + 1 for v in velocities[:-1]]
    highs = [*velocities[:-1], 127]
    return list(zip(lows, highs, strict=True))


def write_drawn_kits(
    out_root: str | Path,
    family: str,
    count: int,
    seed: int,
    draw: Callable[[np.random.Generator], tuple[dict[str, np.ndarray], str]],
    source: str,
    license: str,
    progress: Callable | None = None,
) -> list[Kit]:
    """Write ``count`` kits ``<family>-<seed>-NNNN`` into ``out_root``, kit ``i`` from
    ``draw(default_rng([seed, i]))`` (its one-shots and a note for its attribution), so
    any one of them can be made again alone. A kit folder already there is refused
    before anything is written."""
    if count < 1:
        raise KitError(f"kits build {family} needs --count of 1 or more; got {count}")
    root = Path(out_root)
    names = [f"{family}-{seed}-{i:04d}" for i in range(count)]
    there = [n for n in names if (root / n).exists()]
    if there:
        raise KitError(f"{root / there[0]} exists: choose another --seed or --out "
                       f"({len(there)} of the {count} kits are there)")  # fmt: skip
    kits = []
    for i in progress(range(count), total=count) if progress else range(count):
        shots, note = draw(np.random.default_rng([seed, i]))
        attribution = f"seed {seed}, kit {i}" + (f": {note}" if note else "")
        layers = {c: [(a, 1, 127)] for c, a in shots.items()}
        kits.append(write_kit(root / names[i], names[i], layers, source, license, attribution))
    return kits


def write_kit(
    out_dir: Path,
    name: str,
    shots: dict[str, list[tuple[np.ndarray, int, int]]],
    source: str,
    license: str,
    attribution: str,
) -> Kit:
    """Write one-shots ``{component: [(audio, min_vel, max_vel), ...]}`` and the manifest."""
    if not shots:
        raise KitError(f"{source}: {NO_COMPONENT}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KitError(f"{out_dir}: cannot create kit folder: {exc.strerror}") from None
    layers: dict[str, list[Layer]] = {}
    for component in COMPONENTS:
        takes = sorted(shots.get(component, []), key=lambda s: s[1])
        for index, (audio, low, high) in enumerate(takes, start=1):
            file = f"{component}_{index}_v{high:03d}.flac"  # index: layers may share a range
            write_audio(out_dir / file, audio, SAMPLE_RATE)
            layers.setdefault(component, []).append(Layer(file, low, high))
    kit = Kit(
        name=name,
        path=out_dir,
        layers=layers,
        source=source,
        license=license,
        attribution=attribution,
        sample_rate=SAMPLE_RATE,
    )
    try:
        kit.save_manifest()
    except OSError as exc:
        raise KitError(f"{out_dir}: cannot write {MANIFEST}: {exc.strerror}") from None
    return kit


def _xml_text(node: ET.Element, tag: str, default: str = "") -> str:
    found = node.find(tag)
    return found.text.strip() if found is not None and found.text else default


def slug(text: str) -> str:
    """Lower-case name with runs of other characters as single dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def read_drumkit_xml(drumkit_dir: Path) -> ET.Element:
    """Parse a Hydrogen ``drumkit.xml``, with XML namespaces removed from the tags."""
    xml_path = drumkit_dir / "drumkit.xml"
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise KitError(f"{xml_path}: cannot read Hydrogen drumkit ({exc})") from None
    for node in root.iter():  # newer Hydrogen versions use a default namespace
        node.tag = node.tag.split("}")[-1]
    return root


def hydrogen_kit_name(root: ET.Element, drumkit_dir: Path) -> str:
    """``hydrogen-<name>`` from a drumkit.xml root (or the folder name)."""
    return "hydrogen-" + slug(_xml_text(root, "name", drumkit_dir.name))


def build_from_hydrogen(
    drumkit_dir: str | Path,
    out_dir: str | Path,
    name: str | None = None,
    max_seconds: float = 1.0,
    warnings: list[str] | None = None,
) -> Kit:
    """Extract a kit from a Hydrogen drumkit folder (``drumkit.xml`` + samples).

    Velocity layers (Hydrogen's 0..1 ``min``/``max``) become MIDI ranges. Instruments
    whose name maps to no component are skipped; a component met twice keeps the first.
    Problems with single samples are appended to ``warnings`` and skipped.
    """
    drumkit_dir = Path(drumkit_dir)
    xml_path = drumkit_dir / "drumkit.xml"
    root = read_drumkit_xml(drumkit_dir)
    kit_name = name or hydrogen_kit_name(root, drumkit_dir)
    shots: dict[str, list[tuple[np.ndarray, int, int]]] = {}
    for instrument in root.iter("instrument"):
        component = component_for_name(_xml_text(instrument, "name"))
        if component is None or component in shots:
            continue
        layers = list(instrument.iter("layer")) or [instrument]
        found = []
        for layer in layers:
            file = _xml_text(layer, "filename")
            if not file:
                continue
            low = float(_xml_text(layer, "min", "0"))
            high = float(_xml_text(layer, "max", "1"))
            try:
                audio = prepare_one_shot(load_audio(drumkit_dir / file, SAMPLE_RATE), max_seconds)
            except AudioError as exc:
                if warnings is not None:
                    warnings.append(f"{xml_path}: {component}: {exc}")
                continue
            found.append((audio, max(1, round(low * 127)), max(1, round(high * 127))))
        if found:
            shots[component] = found
    license_text = _xml_text(root, "license") or "see /usr/share/doc/hydrogen-drumkits/copyright"
    author = _xml_text(root, "author")
    return write_kit(
        Path(out_dir), kit_name, shots, f"Hydrogen drumkit {xml_path}", license_text, author
    )


#: The SoundFont bank of General MIDI drum kits, played on the drum channel (10).
DRUM_BANK = 128


def notes_midi(
    program: int, notes: list[tuple[int, int]], spacing_s: float, bank: int = DRUM_BANK
) -> mido.MidiFile:
    """(note, velocity) pairs, one every ``spacing_s`` s, as a MIDI file playing preset
    (``bank``, ``program``): on the drum channel for :data:`DRUM_BANK`, else on the
    first channel with that bank selected (a kit stored as a melodic preset, such as
    the AVL Drumkits' bank 0)."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    channel, select = (9, 1) if bank == DRUM_BANK else (0, bank)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))  # 1 beat = 0.5 s
    track.append(mido.Message("control_change", channel=channel, control=0, value=select))
    track.append(mido.Message("program_change", channel=channel, program=program, time=0))
    ticks = int(spacing_s * 960)
    for i, (note, velocity) in enumerate(notes):
        track.append(mido.Message("note_on", channel=channel, note=note, velocity=velocity,
                                  time=0 if i == 0 else ticks - 10))  # fmt: skip
        track.append(mido.Message("note_off", channel=channel, note=note, velocity=0, time=10))
    track.append(mido.MetaMessage("end_of_track", time=ticks))
    return midi


def render_midi(
    midi: mido.MidiFile,
    soundfont: str | Path,
    sample_rate: int = SAMPLE_RATE,
    gain: float = 0.5,
    effects: bool = False,
) -> np.ndarray:
    """Render a MIDI file with the ``fluidsynth`` program and a SoundFont: mono float32
    at ``sample_rate``, without reverb or chorus unless ``effects``."""
    fluidsynth = shutil.which("fluidsynth")
    if fluidsynth is None:
        raise KitError(
            "the fluidsynth program is needed to render MIDI with a SoundFont "
            "(Debian: apt-get install --no-install-recommends fluidsynth)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = Path(tmp) / "notes.mid", Path(tmp) / "notes.wav"
        midi.save(mid)
        command = [fluidsynth, "-ni", "-q", "-g", str(gain), "-r", "44100", "-R", str(int(effects)),
                   "-C", str(int(effects)),
                   "-F", str(wav), str(soundfont), str(mid)]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if result.returncode != 0 or not wav.is_file():
            raise KitError(f"{soundfont}: fluidsynth failed: {result.stderr.strip()[:200]}")
        return load_audio(wav, sample_rate)


def soundfont_presets(soundfont: str | Path) -> list[tuple[str, int, int]]:
    """The presets of a SoundFont (``.sf2``/``.sf3``): ``(name, bank, program)`` from
    its preset headers (the RIFF ``pdta/phdr`` chunk), in file order, the terminal
    record left out; the samples are not read. :class:`KitError` for a file that is
    not a SoundFont."""
    with open(soundfont, "rb") as f:
        header = f.read(12)
        if header[:4] != b"RIFF" or header[8:] != b"sfbk":
            raise KitError(f"{soundfont}: not a SoundFont (no RIFF sfbk header)")
        end = f.seek(0, 2)
        position = f.seek(12)
        while position + 8 <= end:  # chunks: tag, size, data (padded to even)
            f.seek(position)
            tag, size = f.read(4), int.from_bytes(f.read(4), "little")
            if tag == b"LIST" and f.read(4) == b"pdta":
                position, end = position + 12, position + 8 + size  # into its sub-chunks
                continue
            if tag == b"phdr":
                data = f.read(size)
                records = [data[i : i + 38] for i in range(0, len(data) - 37, 38)]
                return [(r[:20].split(b"\0")[0].decode("latin-1"),
                         int.from_bytes(r[22:24], "little"),
                         int.from_bytes(r[20:22], "little")) for r in records[:-1]]  # fmt: skip
            position += 8 + size + (size & 1)
    raise KitError(f"{soundfont}: not a SoundFont (no preset headers)")


def soundfont_kit_name(soundfont: str | Path, program: int, bank: int = DRUM_BANK) -> str:
    """The default name, and folder, of a kit built from a SoundFont preset: one per
    preset (``fluidr3_gm-8``; outside the drum bank ``red_zeppelin_4_lv2-bank0-0``)."""
    stem = Path(soundfont).stem.lower().replace(" ", "-")
    return f"{stem}-{program}" if bank == DRUM_BANK else f"{stem}-bank{bank}-{program}"


def build_from_soundfont(
    soundfont: str | Path,
    out_dir: str | Path,
    program: int = 0,
    name: str | None = None,
    velocities: Iterable[int] = (98,),
    max_seconds: float = 1.0,
    license: str = "",
    attribution: str = "",
    bank: int = DRUM_BANK,
) -> Kit:
    """Render the General MIDI drum notes of SoundFont preset (``bank``, ``program``).

    Each velocity in ``velocities`` becomes one layer, covering the range up to it.
    """
    soundfont = Path(soundfont)
    if not soundfont.is_file():
        raise KitError(f"{soundfont}: no such SoundFont")
    presets = soundfont_presets(soundfont)
    if (bank, program) not in {(b, p) for _, b, p in presets}:
        shown = [x for x in presets if x[1] == bank] or presets
        listed = ", ".join(f"{n!r} (bank {b}, program {p})" for n, b, p in shown[:8])
        more = f" and {len(shown) - 8} more" if len(shown) > 8 else ""
        raise KitError(f"{soundfont}: no preset at bank {bank}, program {program}; "
                       f"it has {listed}{more}")  # fmt: skip
    velocities = sorted(set(velocities))
    notes = [(GM_NOTES[c], v) for c in COMPONENTS for v in velocities]
    spacing = max_seconds + 1.0
    audio = render_midi(notes_midi(program, notes, spacing, bank), soundfont)
    step = int(spacing * SAMPLE_RATE)
    ranges = velocity_ranges(velocities)
    shots: dict[str, list[tuple[np.ndarray, int, int]]] = {}
    for i, (component, layer) in enumerate((c, r) for c in COMPONENTS for r in ranges):
        segment = audio[i * step : (i + 1) * step]
        if segment.size == 0 or np.max(np.abs(segment)) < 1e-4:
            continue  # the preset has no sample for this note
        shots.setdefault(component, []).append((prepare_one_shot(segment, max_seconds), *layer))
    kit_name = name or soundfont_kit_name(soundfont, program, bank)
    return write_kit(
        Path(out_dir),
        kit_name,
        shots,
        f"SoundFont {soundfont.name}, bank {bank}, program {program}",
        license,
        attribution,
    )


def build_from_folder(
    folder: str | Path,
    out_dir: str | Path,
    name: str | None = None,
    max_seconds: float = 1.0,
    license: str = "",
    warnings: list[str] | None = None,
) -> Kit:
    """Make a kit from audio files named by component (``KD_KD.wav``, ``snare_v64.flac``).

    A ``_vNN`` suffix gives the velocity a file was recorded at (layers are ordered
    by it); files whose name maps to no component are reported in ``warnings``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise KitError(f"{folder}: no such folder")
    found: dict[str, list[tuple[np.ndarray, int]]] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in AUDIO_EXTENSIONS:
            continue
        match = re.match(r"(.*?)(?:[_ -]v(\d+))?$", path.stem, re.IGNORECASE)
        stem, velocity = match.group(1), int(match.group(2) or 127)
        component = component_for_name(stem)
        if component is None:
            if warnings is not None:
                warnings.append(f"{path}: {UNMATCHED}")
            continue
        try:
            audio = prepare_one_shot(load_audio(path, SAMPLE_RATE), max_seconds)
        except AudioError as exc:
            if warnings is not None:
                warnings.append(str(exc) if str(path) in str(exc) else f"{path}: {exc}")
            continue
        found.setdefault(component, []).append((audio, min(max(velocity, 1), 127)))
    shots = {}
    for component, takes in found.items():
        takes.sort(key=lambda t: t[1])
        ranges = velocity_ranges([v for _, v in takes])
        shots[component] = [(a, *r) for (a, _), r in zip(takes, ranges, strict=True)]
    return write_kit(Path(out_dir), name or folder.name, shots, f"folder {folder}", license, "")


HYDROGEN_KIT_FOLDERS = (Path("/usr/share/hydrogen/data/drumkits"),)
SOUNDFONT_FILES = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),)
#: FluidR3 GM drum presets (bank 128) that have their own samples, by program.
FLUIDR3_PRESETS = {
    0: "standard",
    8: "room",
    16: "power",
    24: "electronic",
    25: "tr808",
    32: "jazz",
    40: "brush",
}
FLUIDR3_LICENSE = "MIT"
FLUIDR3_ATTRIBUTION = "FluidR3_GM SoundFont, Copyright (c) 2000-2002, 2008 Frank Wen"


def build_system_kits(
    out_root: str | Path,
    warnings: list[str] | None = None,
    hydrogen: bool = True,
    velocities: Iterable[int] = (40, 80, 127),
) -> list[Kit]:
    """Build every kit found in the usual places of a Debian system.

    Hydrogen drumkits (package ``hydrogen-drumkits``) that yield kick, snare and
    closed hi-hat, and the FluidR3 GM drum presets (package ``fluid-soundfont-gm``)
    rendered at ``velocities``. Kits that fail are reported in ``warnings`` and skipped.
    """
    out_root = Path(out_root)
    kits: list[Kit] = []
    for folder in HYDROGEN_KIT_FOLDERS if hydrogen else ():
        for drumkit in sorted(p.parent for p in folder.glob("*/drumkit.xml")):
            try:
                name = hydrogen_kit_name(read_drumkit_xml(drumkit), drumkit)
                kit = build_from_hydrogen(drumkit, out_root / name, name, warnings=warnings)
            except KitError as exc:
                if warnings is not None:
                    warnings.append(str(exc))
                continue
            if {"KD_KD", "SD_SD", "HH_CHH"} <= set(kit.layers):
                kits.append(kit)
            else:
                shutil.rmtree(kit.path)  # percussion sets without a drum kit's core
    for soundfont in SOUNDFONT_FILES:
        if not soundfont.is_file():
            continue
        for program, label in FLUIDR3_PRESETS.items():
            name = f"fluidr3-{label}"
            kits.append(
                build_from_soundfont(
                    soundfont,
                    out_root / name,
                    program,
                    name,
                    velocities=velocities,
                    license=FLUIDR3_LICENSE,
                    attribution=FLUIDR3_ATTRIBUTION,
                )
            )
    if not kits and warnings is not None:
        warnings.append(
            "no drum sources found; install them with: apt-get install --no-install-recommends "
            "hydrogen-drumkits fluid-soundfont-gm fluidsynth"
        )
    return kits
