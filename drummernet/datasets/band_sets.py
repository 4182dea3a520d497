"""Annotated drums under a band: validation mixes made from any annotated set.

Each track of a set (a rendered set, MDB Drums, ...) gets its own band, generated
at the tempo its reference onsets give and starting at its first onset, rendered
with every part playing (bass, harmony, pad, lead) through the *validation*
programs and SoundFont (never a training source: see
:mod:`drummernet.datasets.accompaniment`) and mixed at each band-to-drums level.
Every level is written as a rendered set (``render.json``, ``<track>.flac``,
``<track>.csv`` with the reference onsets), which ``drummernet evaluate`` reads
like any other, beside the drums alone.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from drummernet.audio import load_audio, write_audio
from drummernet.config import SAMPLE_RATE
from drummernet.datasets.accompaniment import generate_band, mix_band, render_band, soundfonts_for
from drummernet.datasets.annotations import Track, load_dataset
from drummernet.datasets.midi import Hit
from drummernet.datasets.render import RENDER_MANIFEST, write_labels
from drummernet.errors import DrummerNetError
from drummernet.fileio import write_text
from drummernet.transcription.beats import ENVELOPE_RATE, estimate_tempo

#: Velocity written for reference onsets that carry none (the labels' third column).
UNKNOWN_VELOCITY = 100


def reference_tempo(components: dict[str, np.ndarray]) -> float:
    """The tempo (bpm) of a track's reference onsets (all components as one
    impulse envelope at :data:`ENVELOPE_RATE`)."""
    times = np.concatenate([np.asarray(t, dtype=float) for t in components.values()] or [[]])
    if not len(times):
        return 120.0
    envelope = np.zeros(int(times.max() * ENVELOPE_RATE) + 2)
    np.add.at(envelope, np.round(times * ENVELOPE_RATE).astype(int), 1.0)
    return estimate_tempo(envelope, ENVELOPE_RATE)


def level_folder(out_dir: str | Path, name: str, level_db: float) -> Path:
    """Where the mix of set ``name`` at ``level_db`` goes: ``<out>/<name>+band<level>dB``."""
    return Path(out_dir) / f"{name}+band{level_db:+g}dB"


def _labels(track: Track, seconds: float) -> list[Hit]:
    hits = [
        Hit(float(t), component, UNKNOWN_VELOCITY)
        for component, times in track.components.items()
        for t in times
        if t < seconds
    ]
    return sorted(hits, key=lambda h: (h.time, h.component))


def mix_band_into_set(
    dataset: str | Path,
    out_dir: str | Path,
    levels_db: Sequence[float] = (0.0, 6.0),
    seed: int = 0,
    max_seconds: float | None = None,
    progress: Callable | None = None,
    variants: int = 1,
) -> list[Path]:
    """Write ``dataset``'s tracks under a band at each of ``levels_db`` (band RMS over
    the drums', dB) as rendered sets; returns their folders (see :func:`level_folder`).

    A track's band depends only on ``seed`` and the track's name. ``max_seconds`` cuts
    each track (and its onsets) to its first seconds. With ``variants`` > 1, each
    track is mixed with that many bands (tracks ``<name>~1``, ``<name>~2``, ...), so
    that a small set measures bands rather than one band. A folder that already holds a
    set is an error before anything is written.
    """
    dataset = Path(dataset)
    tracks = load_dataset(dataset)
    if not tracks:
        raise DrummerNetError(f"{dataset}: no annotated tracks to mix a band into")
    folders = [level_folder(out_dir, dataset.name, level) for level in levels_db]
    for folder in folders:
        if (folder / RENDER_MANIFEST).exists():
            raise DrummerNetError(f"{folder} already holds a set")
    soundfonts = soundfonts_for("validation")
    manifests: list[dict] = [{"source": str(dataset), "seed": seed, "band_db": level,
                              "sample_rate": SAMPLE_RATE, "tracks": []}
                             for level in levels_db]  # fmt: skip
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    jobs = [(track, k) for track in tracks for k in range(1, variants + 1)]
    for track, k in progress(jobs, total=len(jobs)) if progress else jobs:
        drums = load_audio(track.audio_path, SAMPLE_RATE)
        if max_seconds is not None:
            drums = drums[: round(max_seconds * SAMPLE_RATE)]
        seconds = len(drums) / SAMPLE_RATE
        name = f"{track.name}~{k}" if variants > 1 else track.name
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        tempo = reference_tempo(track.components)
        band = generate_band(rng, seconds, "validation", tempo, full=True)
        soundfont = soundfonts[int(rng.integers(len(soundfonts)))]
        onsets = [t for times in track.components.values() for t in times]
        start = round(min(onsets, default=0.0) * SAMPLE_RATE)
        audio = np.concatenate([np.zeros(start, np.float32), render_band(band, soundfont, seconds)])
        labels = _labels(track, seconds)
        safe = name.replace("/", "-")
        for folder, manifest, level in zip(folders, manifests, levels_db, strict=True):
            mix = mix_band(drums, audio, level)
            peak = float(np.max(np.abs(mix))) if len(mix) else 0.0
            write_audio(folder / f"{safe}.flac", mix / peak * 0.9 if peak > 0.9 else mix,
                        SAMPLE_RATE)  # fmt: skip
            write_labels(folder / f"{safe}.csv", labels)
            manifest["tracks"].append({"name": name, "audio": f"{safe}.flac",
                                       "labels": f"{safe}.csv", "seconds": round(seconds, 3),
                                       "soundfont": soundfont.name, **band.info})  # fmt: skip
    for folder, manifest in zip(folders, manifests, strict=True):
        write_text(folder / RENDER_MANIFEST, json.dumps(manifest, indent=1) + "\n")
    return folders
