"""A band without drums: accompaniment generated as MIDI and rendered by SoundFonts.

Training items mixed with music that has no drums teach the network that pitched
onsets, strums, bass notes and held chords are not drums (issue "Songs"). A *band*
is a short arrangement drawn from a seeded generator: a key and mode, a chord
progression, and up to four parts, each played by a General MIDI program drawn for
its role:

- **bass** (roots in eighths, root and fifth, held notes, syncopated sixteenths or
  a walking line);
- **harmony** (block chords on a rhythm, off-beat skanks, guitar strums with their
  strings a few milliseconds apart, arpeggios, brass stabs, held chords);
- **pad** (strings, choir, synth pads, organ: held, voice-led chords);
- **lead** (a melody walking the scale in a rhythm drawn per bar).

Timing and velocity are humanised, and the tempo is the performance's or free.
Programs and SoundFonts are split so that the validation mixes never share a source
with training: a program ``p`` with ``p % 4 == 1`` is a *validation* program, every
other program a *training* one; training bands are rendered through
:data:`TRAIN_SOUNDFONTS`, validation bands through :data:`VALIDATION_SOUNDFONTS`
(their samples share no source). :func:`render_band` turns a band into audio with
the ``fluidsynth`` program; :func:`write_band_clips` writes a folder of clips that
training (:class:`~drummernet.datasets.synthesized.SynthesizedSegments` with
``band=``) and the validation mixes (:func:`mix_band_into_set`) read.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from drummernet.audio import load_audio, write_audio
from drummernet.config import SAMPLE_RATE
from drummernet.errors import DrummerNetError
from drummernet.fileio import write_text

#: The two uses of a band; they share no program and no SoundFont.
SPLITS = ("train", "validation")
#: General MIDI programs (0-based) each part draws from, before the split.
ROLE_PROGRAMS: dict[str, tuple[int, ...]] = {
    # acoustic, finger, pick, fretless, slap, synth basses; contrabass
    "bass": (*range(32, 40), 43),
    # pianos, e-pianos, harpsichord, clavinet, mallets, organs, guitars, harp, ethnic plucks
    "harmony": (*range(0, 32), 45, 46, *range(104, 109)),
    # strings, choirs, brass and synth brass, reeds, pads, organs
    "pad": (*range(16, 24), *range(40, 56), *range(56, 64), *range(88, 96)),
    # violin, brass, reeds, pipes, synth leads, overdriven and distorted guitar
    "lead": (40, 29, 30, *range(56, 88)),
}
#: Installed SoundFonts a split's bands are rendered through (the first of each
#: line that exists; one line missing is an error naming its Debian package).
TRAIN_SOUNDFONTS: tuple[tuple[str, ...], ...] = (
    ("/usr/share/sounds/sf2/FluidR3_GM.sf2",),  # fluid-soundfont-gm (MIT)
    (
        "/usr/share/sounds/sf3/MuseScore_General.sf3",  # musescore-general-soundfont* (MIT)
        "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3",
    ),
    ("/usr/share/sounds/sf2/OPL-3_FM_128M.sf2",),  # opl3-soundfont (CC BY-SA 4.0)
)
VALIDATION_SOUNDFONTS: tuple[tuple[str, ...], ...] = (
    ("/usr/share/sounds/sf2/TimGM6mb.sf2",),  # timgm6mb-soundfont (GPL-2)
)
#: The Debian package of each SoundFont file (for the error when one is missing).
SOUNDFONT_PACKAGES = {
    "FluidR3_GM.sf2": "fluid-soundfont-gm",
    "MuseScore_General.sf3": "musescore-general-soundfont-small",
    "OPL-3_FM_128M.sf2": "opl3-soundfont",
    "TimGM6mb.sf2": "timgm6mb-soundfont",
}
BAND_MANIFEST = "band.json"
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
#: Chord progressions as scale degrees (0 = tonic), one chord per bar or half bar.
PROGRESSIONS = ((0, 4, 5, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 4, 3), (0, 3, 0, 4),
                (1, 4, 0, 0), (0, 6, 5, 4), (0, 0, 3, 3), (5, 4, 3, 4))  # fmt: skip


def programs_for(role: str, split: str) -> tuple[int, ...]:
    """The General MIDI programs (0-based) ``role`` draws from in ``split``:
    ``p % 4 == 1`` for validation, the others for training."""
    if split not in SPLITS:
        raise DrummerNetError(f"unknown band split {split!r}; choose one of: {', '.join(SPLITS)}")
    held = split == "validation"
    return tuple(p for p in ROLE_PROGRAMS[role] if (p % 4 == 1) == held)


def soundfonts_for(split: str) -> list[Path]:
    """The installed SoundFonts ``split``'s bands are rendered through; a
    :class:`DrummerNetError` naming the Debian package of one that is missing."""
    lines = TRAIN_SOUNDFONTS if split == "train" else VALIDATION_SOUNDFONTS
    found = []
    for line in lines:
        path = next((Path(p) for p in line if Path(p).is_file()), None)
        if path is None:
            package = SOUNDFONT_PACKAGES.get(Path(line[0]).name, "a package that has it")
            raise DrummerNetError(f"{line[0]}: SoundFont not installed (Debian: apt-get "
                                  f"install --no-install-recommends {package})")  # fmt: skip
        found.append(path)
    return found


@dataclass(frozen=True)
class Band:
    """One generated arrangement: its MIDI and what was drawn."""

    midi: mido.MidiFile
    bpm: float
    info: dict


class _Score:
    """Notes on a beat grid, humanised, written as a one-track MIDI file."""

    def __init__(self, bpm: float, rng: np.random.Generator, tpb: int = 480) -> None:
        self.bpm, self.rng, self.tpb = bpm, rng, tpb
        self.events: list[tuple[int, int, mido.Message]] = []

    def note(self, channel: int, pitch: int, beat: float, beats: float, velocity: float,
             late_s: float = 0.0) -> None:  # fmt: skip
        """A note from ``beat`` lasting ``beats`` (times humanised by ±8 ms, velocity ±8)."""
        seconds_per_tick = 60.0 / self.bpm / self.tpb
        jitter = (self.rng.normal(0, 0.004) + late_s) / seconds_per_tick
        start = max(0, round(beat * self.tpb + jitter))
        end = max(start + 10, round((beat + beats) * self.tpb + jitter) - 5)
        pitch = int(np.clip(pitch, 21, 108))
        velocity = int(np.clip(velocity + self.rng.normal(0, 6), 20, 127))
        self.events.append((start, 1, mido.Message("note_on", channel=channel, note=pitch,
                                                   velocity=velocity)))  # fmt: skip
        self.events.append((end, 0, mido.Message("note_off", channel=channel, note=pitch)))

    def midi(self, programs: dict[int, int], volumes: dict[int, int]) -> mido.MidiFile:
        track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(self.bpm))])
        for channel, program in programs.items():
            track.append(mido.Message("program_change", channel=channel, program=program))
            track.append(mido.Message("control_change", channel=channel, control=7,
                                      value=volumes[channel]))  # fmt: skip
        now = 0
        for tick, _, message in sorted(self.events, key=lambda e: (e[0], e[1])):
            track.append(message.copy(time=tick - now))
            now = tick
        return mido.MidiFile(ticks_per_beat=self.tpb, tracks=[track])


def _chord(key: int, scale: tuple[int, ...], degree: int, notes: int = 3) -> list[int]:
    """Pitch classes above C of the chord on ``degree`` (stacked thirds), ascending."""
    return [key + scale[(degree + 2 * i) % 7] + 12 * ((degree + 2 * i) // 7)
            for i in range(notes)]  # fmt: skip


def _voiced(chord: Sequence[int], low: int) -> list[int]:
    """``chord`` placed from MIDI pitch ``low`` up (closed voicing)."""
    base = low + (chord[0] - low) % 12
    return [base + (p - chord[0]) for p in chord]


def _bass(score: _Score, chords: list[list[int]], beats_per_chord: int, rng) -> str:
    style = str(rng.choice(["eighths", "root-fifth", "held", "syncopated", "walking"]))
    for i, chord in enumerate(chords):
        root = 28 + (chord[0] - 28) % 12
        at = i * beats_per_chord
        if style == "eighths":
            for k in range(2 * beats_per_chord):
                score.note(0, root, at + k / 2, 0.45, 88)
        elif style == "root-fifth":
            for k in range(beats_per_chord):
                score.note(0, root + (7 if k % 2 else 0), at + k, 0.9, 92)
        elif style == "held":
            score.note(0, root, at, beats_per_chord, 85)
        elif style == "syncopated":
            for k in range(4 * beats_per_chord):
                if k == 0 or rng.random() < 0.3:
                    score.note(0, root + int(rng.choice([0, 0, 12, 7])), at + k / 4, 0.4, 95)
        else:  # walking: chord tones and steps on every beat
            for k in range(beats_per_chord):
                step = int(rng.choice([0, 2, 4, 5, 7, 9, 10])) if k else 0
                score.note(0, root + step, at + k, 0.95, 84)
    return style


def _harmony(score: _Score, chords: list[list[int]], beats_per_chord: int, rng,
             program: int) -> str:  # fmt: skip
    guitar = 24 <= program < 32 or program in (104, 105, 106, 107)
    styles = ["block", "offbeat", "arpeggio", "held", "stabs"] + ["strum"] * (3 if guitar else 0)
    style = str(rng.choice(styles))
    low = int(rng.integers(48, 60))
    pattern = rng.random(8) < 0.5
    pattern[0] = True
    for i, chord in enumerate(chords):
        voiced = _voiced(chord + [chord[0] + 12] * int(rng.random() < 0.5), low)
        at = i * beats_per_chord
        if style in ("block", "stabs"):
            for k in range(2 * beats_per_chord):
                if pattern[k % 8]:
                    length = 0.2 if style == "stabs" else 0.45
                    for p in voiced:
                        score.note(1, p, at + k / 2, length, 96 if style == "stabs" else 75)
        elif style == "offbeat":
            for k in range(beats_per_chord):
                for p in voiced:
                    score.note(1, p, at + k + 0.5, 0.3, 80)
        elif style == "strum":
            for k in range(2 * beats_per_chord):
                if not pattern[k % 8]:
                    continue
                up = k % 2 == 1
                strings = voiced[::-1] if up else voiced
                spread = rng.uniform(0.006, 0.025)
                for j, p in enumerate(strings):
                    score.note(1, p, at + k / 2, 0.5, 70 if up else 85, late_s=j * spread)
        elif style == "arpeggio":
            rate = int(rng.choice([2, 4]))
            for k in range(rate * beats_per_chord):
                score.note(1, voiced[k % len(voiced)] + 12 * (k // len(voiced) % 2),
                           at + k / rate, 1 / rate, 72)  # fmt: skip
        else:  # held
            for p in voiced:
                score.note(1, p, at, beats_per_chord, 65)
    return style


def _pad(score: _Score, chords: list[list[int]], beats_per_chord: int) -> str:
    for i, chord in enumerate(chords):
        for p in _voiced(chord, 55):
            score.note(2, p, i * beats_per_chord, beats_per_chord, 60)
    return "held"


def _lead(score: _Score, key: int, scale: tuple[int, ...], beats: int, rng) -> str:
    degree, at = int(rng.integers(7)), 0.0
    while at < beats:
        length = float(rng.choice([0.25, 0.5, 0.5, 0.5, 1.0, 1.0, 2.0]))
        if rng.random() < 0.2:  # a rest
            at += length
            continue
        degree = int(np.clip(degree + rng.choice([-2, -1, -1, 0, 1, 1, 2]), -3, 10))
        pitch = 67 + key % 12 + scale[degree % 7] + 12 * (degree // 7)
        score.note(3, pitch, at, length, 82)
        at += length
    return "melody"


def generate_band(rng: np.random.Generator, seconds: float, split: str = "train",
                  bpm: float | None = None, full: bool = False) -> Band:  # fmt: skip
    """A band lasting at least ``seconds``, every draw made with ``rng``.

    Parameters
    ----------
    rng : the generator every choice is drawn from (same state, same band)
    seconds : length of the arrangement, s
    split : ``"train"`` or ``"validation"``: which programs the parts draw from
    bpm : the tempo (e.g. the drum performance's); None draws one from 70 to 170 BPM
    full : every part plays (bass, harmony, pad, lead); else each is drawn
        (85 %, 90 %, 50 %, 60 %)
    """
    bpm = float(bpm) if bpm else float(rng.uniform(70, 170))
    score = _Score(bpm, rng)
    key, minor = int(rng.integers(12)), bool(rng.random() < 0.4)
    scale = MINOR if minor else MAJOR
    progression = PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))]
    beats_per_chord = int(rng.choice([2, 4, 4, 4]))
    beats = int(np.ceil(seconds * bpm / 60 / beats_per_chord)) * beats_per_chord + beats_per_chord
    chords = [_chord(key, scale, progression[i % len(progression)])
              for i in range(beats // beats_per_chord)]  # fmt: skip
    parts = {"bass": rng.random() < 0.85, "harmony": rng.random() < 0.9,
             "pad": rng.random() < 0.5, "lead": rng.random() < 0.6}  # fmt: skip
    if full:
        parts = dict.fromkeys(parts, True)
    if not any(parts.values()):
        parts["harmony"] = True
    channels = {"bass": 0, "harmony": 1, "pad": 2, "lead": 3}
    programs, volumes, styles = {}, {}, {}
    for role, playing in parts.items():
        if not playing:
            continue
        channel = channels[role]
        programs[channel] = int(rng.choice(programs_for(role, split)))
        volumes[channel] = int(rng.integers(70, 128))
        if role == "bass":
            styles[role] = _bass(score, chords, beats_per_chord, rng)
        elif role == "harmony":
            styles[role] = _harmony(score, chords, beats_per_chord, rng, programs[channel])
        elif role == "pad":
            styles[role] = _pad(score, chords, beats_per_chord)
        else:
            styles[role] = _lead(score, key, scale, beats, rng)
    info = {"bpm": round(bpm, 2), "key": key, "minor": minor, "progression": list(progression),
            "parts": {role: {"program": programs[channels[role]], "style": styles[role]}
                      for role in styles}}  # fmt: skip
    return Band(score.midi(programs, volumes), bpm, info)


def render_band(band: Band, soundfont: str | Path, seconds: float,
                sample_rate: int = SAMPLE_RATE) -> np.ndarray:  # fmt: skip
    """``(round(seconds * sample_rate),)`` float32: ``band`` played through
    ``soundfont`` (with its reverb and chorus), peak 1 (silence stays silence)."""
    from drummernet.kits.builders import render_midi

    audio = render_midi(band.midi, soundfont, sample_rate, gain=0.3, effects=True)
    length = round(seconds * sample_rate)
    audio = np.pad(audio[:length], (0, max(0, length - len(audio)))).astype(np.float32)
    peak = float(np.max(np.abs(audio)))
    return audio / peak if peak > 1e-6 else audio


def _clip_name(index: int) -> str:
    return f"band-{index:04d}.flac"


def _write_clip(index: int, seed: int, split: str, seconds: float, out: str,
                soundfonts: Sequence[str], bpm: float | None) -> dict:  # fmt: skip
    rng = np.random.default_rng([seed, index])
    band = generate_band(rng, seconds, split, bpm)
    soundfont = soundfonts[int(rng.integers(len(soundfonts)))]
    audio = render_band(band, soundfont, seconds)
    write_audio(Path(out) / _clip_name(index), audio, SAMPLE_RATE)
    return {"audio": _clip_name(index), "soundfont": Path(soundfont).name, **band.info}


def write_band_clips(out_dir: str | Path, clips: int, seconds: float = 16.0, seed: int = 0,
                     split: str = "train", workers: int = 1,
                     progress: Callable | None = None) -> dict:  # fmt: skip
    """Render ``clips`` bands of ``seconds`` into ``out_dir`` (``band-NNNN.flac``, 16 kHz
    mono) and its ``band.json`` (what was drawn for each). Clip ``i`` depends only on
    ``(seed, i)`` and the split, whatever ``workers`` is. A folder that already holds
    clips is an error; nothing is left behind when rendering fails."""
    out = Path(out_dir)
    if (out / BAND_MANIFEST).exists():
        raise DrummerNetError(f"{out} already holds band clips ({BAND_MANIFEST})")
    if clips < 1 or seconds <= 0:
        raise DrummerNetError("give at least one clip of a positive length")
    soundfonts = [str(p) for p in soundfonts_for(split)]
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    args = (seed, split, seconds, str(out), soundfonts, None)
    try:
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                results = pool.map(_write_clip, range(clips), *[[a] * clips for a in args])
                rows = list(progress(results, total=clips) if progress else results)
        else:
            iterator = (_write_clip(i, *args) for i in range(clips))
            rows = list(progress(iterator, total=clips) if progress else iterator)
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    manifest = {"seed": seed, "split": split, "seconds": seconds, "sample_rate": SAMPLE_RATE,
                "soundfonts": [Path(s).name for s in soundfonts], "clips": rows}  # fmt: skip
    write_text(out / BAND_MANIFEST, json.dumps(manifest, indent=1) + "\n")
    return manifest


def band_manifest(folder: str | Path) -> dict:
    """The ``band.json`` of a folder written by :func:`write_band_clips`; one line
    naming the folder when it is not one."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / BAND_MANIFEST).read_text())
        missing = [row["audio"] for row in manifest["clips"]
                   if not (folder / row["audio"]).is_file()]  # fmt: skip
    except OSError:
        raise DrummerNetError(f"{folder}: not a folder of band clips (no readable "
                              f"{BAND_MANIFEST}; make one with `drummernet band render`)"
                              ) from None  # fmt: skip
    except (ValueError, KeyError, TypeError) as exc:
        raise DrummerNetError(f"{folder / BAND_MANIFEST}: malformed ({exc})") from None
    if missing:
        raise DrummerNetError(f"{folder}: {len(missing)} clips of {BAND_MANIFEST} are missing, "
                              f"e.g. {missing[0]}")  # fmt: skip
    return manifest


def read_band_clips(folder: str | Path) -> tuple[list[np.ndarray], dict]:
    """The clips of a folder written by :func:`write_band_clips` (float32, 16 kHz) and
    its manifest (see :func:`band_manifest`)."""
    manifest = band_manifest(folder)
    clips = [load_audio(Path(folder) / row["audio"], SAMPLE_RATE) for row in manifest["clips"]]
    return clips, manifest


def band_metadata(
    folder: str | Path | None, share: float, levels_db: Sequence[float]
) -> dict | None:
    """What a model file records of the band its training mixed in (None: drums
    alone): the clips' folder, count, seconds, seed and SoundFonts, the share of items
    and the levels. A folder that is gone is recorded by name only."""
    if folder is None:
        return None
    record: dict = {"folder": str(folder), "share": share, "levels_db": list(levels_db)}
    try:
        manifest = band_manifest(folder)
    except DrummerNetError:
        return record
    record |= {"clips": len(manifest["clips"]), "clip_seconds": manifest["seconds"],
               "seed": manifest["seed"], "split": manifest["split"],
               "soundfonts": manifest["soundfonts"]}  # fmt: skip
    return record


def rms(x: np.ndarray) -> float:
    """Root mean square of ``x``."""
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def mix_band(drums: np.ndarray, band: np.ndarray, band_db: float) -> np.ndarray:
    """``drums + g * band`` with ``g`` such that the band's RMS is ``band_db`` dB above
    the drums' (below when negative); ``drums`` unchanged when either is silent.
    Both ``(samples,)`` at one rate; the band is cut or padded with silence."""
    band = np.pad(band[: len(drums)], (0, max(0, len(drums) - len(band))))
    loud_drums, loud_band = rms(drums), rms(band)
    if loud_drums < 1e-7 or loud_band < 1e-7:
        return drums.astype(np.float32)
    gain = loud_drums / loud_band * 10 ** (band_db / 20)
    return (drums + gain * band).astype(np.float32)


@dataclass(frozen=True)
class BandMix:
    """How training items get a band: with probability ``share`` an item is mixed
    with a random stretch of one of ``clips`` at a band-to-drums level drawn
    uniformly from ``levels_db``; the other items are drums alone."""

    clips: tuple[np.ndarray, ...]
    share: float = 0.8
    levels_db: tuple[float, float] = (-12.0, 12.0)

    def apply(self, drums: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``drums`` with a band drawn by ``rng``, or as they are."""
        if not self.clips or rng.random() >= self.share:
            return drums
        clip = self.clips[int(rng.integers(len(self.clips)))]
        start = int(rng.integers(max(1, len(clip) - len(drums))))
        return mix_band(drums, clip[start : start + len(drums)], rng.uniform(*self.levels_db))
