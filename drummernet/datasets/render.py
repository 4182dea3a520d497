"""Render drum MIDI through sampled kits into audio with exact onset labels.

A rendered set is a folder of ``<track>.flac`` (16 kHz mono) and ``<track>.csv``
(``time,component,velocity``: the onset of every audible hit, in seconds, after
timing variation) plus ``render.json`` (seed, effects, kit and effects of each
track). :func:`drummernet.datasets.load_rendered` reads it back as labeled tracks.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from drummernet.audio import write_audio
from drummernet.config import SAMPLE_RATE
from drummernet.datasets.augment import DRY, Augmentation, apply_effects, pitch_shift
from drummernet.datasets.midi import GMD_SPLITS, Hit, MidiError, read_drum_midi
from drummernet.errors import DrummerNetError
from drummernet.fileio import write_text
from drummernet.kits.library import Kit, get_kit
from drummernet.kits.mixing import kit_sources, mix_one_shots, normalised, velocity_gain

RENDER_MANIFEST = "render.json"
#: Components whose sound a later hit of these components cuts off (hi-hat choke).


def track_seed(seed: int, name: str) -> int:
    """A per-track seed that depends only on the run's seed and the track's name."""
    return zlib.crc32(f"{seed}:{name}".encode())


def render_hits(
    hits: Sequence[Hit],
    kit: Kit,
    fallbacks: Sequence[Kit] = (),
    augmentation: Augmentation = DRY,
    rng: np.random.Generator | None = None,
    sample_rate: int = SAMPLE_RATE,
    tail_s: float = 1.0,
) -> tuple[np.ndarray, list[Hit], dict]:
    """Mix the one-shots of ``kit`` at the hits' times and velocities.

    Returns ``(audio, labels, info)``: float32 audio peak-normalised to 0.9, the
    hits as rendered (times after timing variation; hits of a component that
    neither ``kit`` nor a fallback has are dropped) and what was drawn.
    Raises :class:`KitError` when ``kit`` lacks kick, snare or closed hi-hat.
    """
    sources = kit_sources(kit, fallbacks)
    audio, labels, drawn = mix_hits(hits, sources, augmentation, rng, sample_rate, tail_s)
    filled = sorted({h.component for h in labels if sources[h.component] is not kit})
    info = {"kit": kit.name, "effects": drawn}
    if filled:
        info["filled"] = {c: sources[c].name for c in filled}
    return audio, labels, info


def mix_hits(
    hits: Sequence[Hit],
    sources: Mapping[str, Kit | None],
    augmentation: Augmentation = DRY,
    rng: np.random.Generator | None = None,
    sample_rate: int = SAMPLE_RATE,
    tail_s: float = 1.0,
    gains_db: Mapping[str, float] | None = None,
    voicing: Callable[[str, np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, list[Hit], dict]:
    """Mix each hit's one-shot from the kit ``sources[component]`` (hits of a
    component whose source is None or absent are dropped), each component's hits
    ``gains_db[component]`` louder if given, each one-shot passed through
    ``voicing(component, samples)`` if given.

    Returns ``(audio, labels, effects)``: float32 audio peak-normalised to 0.9 and
    ``tail_s`` longer than the last hit, the hits as rendered (after timing
    variation), and the track effects drawn.
    """
    rng = rng or np.random.default_rng(0)
    jitter = rng.uniform(-1, 1, len(hits)) * augmentation.timing_ms / 1000.0
    cents = rng.uniform(-1, 1, len(hits)) * augmentation.pitch_cents
    kept = [sources.get(h.component) is not None for h in hits]
    labels = [
        Hit(max(0.0, h.time + float(dt)), h.component, h.velocity)
        for h, dt, keep in zip(hits, jitter, kept, strict=True)
        if keep
    ]
    cents = cents[np.asarray(kept, dtype=bool)]
    length = int((max((h.time for h in labels), default=0.0) + tail_s) * sample_rate)
    level = {c: 10 ** (db / 20) for c, db in (gains_db or {}).items()}
    exponent = augmentation.velocity_exponent
    gains = [level.get(h.component, 1.0) * velocity_gain(h.velocity, exponent) for h in labels]

    def shape(i: int, component: str, shot: np.ndarray) -> np.ndarray:
        return pitch_shift(voicing(component, shot) if voicing else shot, cents[i])

    out = mix_one_shots(labels, sources, length, sample_rate, gains, shape)
    out, drawn = apply_effects(out, augmentation, sample_rate, rng)
    return normalised(out), labels, drawn


def write_labels(path: str | Path, labels: Sequence[Hit]) -> None:
    """Write ``time,component,velocity`` rows (time in seconds, 6 decimals)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["time", "component", "velocity"])
        for hit in labels:
            writer.writerow([f"{hit.time:.6f}", hit.component, hit.velocity])


@dataclass(frozen=True)
class RenderJob:
    """One track to render: its MIDI file, output name and kit (name or folder)."""

    midi: str
    name: str
    kit: str


def _render_one(
    job: RenderJob,
    fallbacks: tuple[str, ...],
    augmentation: Augmentation,
    seed: int,
    out_dir: str,
    sample_rate: int,
) -> dict:
    try:
        hits = read_drum_midi(job.midi)
        kit = get_kit(job.kit)
        rng = np.random.default_rng(track_seed(seed, job.name))
        audio, labels, info = render_hits(
            hits, kit, [get_kit(k) for k in fallbacks], augmentation, rng, sample_rate
        )
        audio_path = Path(out_dir) / f"{job.name}.flac"
        audio_path.parent.mkdir(parents=True, exist_ok=True)
        write_audio(audio_path, audio, sample_rate)
        write_labels(audio_path.with_suffix(".csv"), labels)
    except (DrummerNetError, OSError) as exc:
        return {"name": job.name, "midi": job.midi, "error": str(exc)}
    return {
        "name": job.name,
        "midi": job.midi,
        "audio": f"{job.name}.flac",
        "labels": f"{job.name}.csv",
        "seconds": round(len(audio) / sample_rate, 3),
        "hits": len(labels),
        **info,
    }


def render_set(
    jobs: Sequence[RenderJob],
    out_dir: str | Path,
    fallbacks: Sequence[str] = ("fluidr3-standard",),
    augmentation: Augmentation = DRY,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
    workers: int = 1,
    progress: Callable | None = None,
    overwrite: bool = False,
) -> dict:
    """Render ``jobs`` into ``out_dir`` and write its ``render.json``.

    Tracks that fail (unreadable MIDI, no drum notes, a broken kit) are listed
    under ``"failed"`` with the reason; the others are still rendered. A kit that
    is not installed is an error before anything is written; when no track could be
    rendered, no ``render.json`` is written (and a folder this call made is removed). A track is
    the same whatever ``workers`` is: its randomness comes from ``seed`` and its name.
    ``progress`` wraps the iterator of results (e.g. ``tqdm``).
    """
    out_dir = Path(out_dir)
    manifest_path = out_dir / RENDER_MANIFEST
    if manifest_path.exists() and not overwrite:
        raise DrummerNetError(f"{out_dir} already holds a rendered set (use --overwrite)")
    for name in dict.fromkeys([*(job.kit for job in jobs), *fallbacks]):
        get_kit(name)  # a kit that is not installed fails once, before anything is written
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DrummerNetError(f"cannot create {out_dir}: {exc.strerror}") from None
    args = (tuple(fallbacks), augmentation, seed, str(out_dir), sample_rate)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = pool.map(_render_one, jobs, *[[a] * len(jobs) for a in args], chunksize=4)
            results = list(progress(results, total=len(jobs)) if progress else results)
    else:
        iterator = (_render_one(job, *args) for job in jobs)
        results = list(progress(iterator, total=len(jobs)) if progress else iterator)
    manifest = {
        "seed": seed,
        "sample_rate": sample_rate,
        "augmentation": asdict(augmentation),
        "fallbacks": list(fallbacks),
        "tracks": [r for r in results if "error" not in r],
        "failed": [r for r in results if "error" in r],
    }
    if manifest["tracks"]:
        write_text(manifest_path, json.dumps(manifest, indent=1) + "\n")
    elif created:  # nothing rendered: no set, and no folder, is left behind to retry into
        shutil.rmtree(out_dir, ignore_errors=True)
    return manifest


def midi_files(inputs: Sequence[str | Path], split: str | None = None) -> list[tuple[Path, str]]:
    """The MIDI files of ``inputs`` with a name for each: files, folders of them
    (searched recursively) and Groove MIDI Dataset folders (``info.csv``; ``split``
    picks one of :data:`GMD_SPLITS`, and is an error for any other input).

    A file's name is its path relative to the input folder, without suffix, with
    ``/`` replaced by ``__``.
    """
    if split is not None and split not in GMD_SPLITS:
        raise DrummerNetError(f"unknown split {split!r}; the Groove MIDI Dataset has "
                              f"{', '.join(GMD_SPLITS)}")  # fmt: skip
    found = []
    for item in map(Path, inputs):
        is_gmd = item.is_dir() and (item / "info.csv").is_file()
        if split is not None and not is_gmd:
            raise DrummerNetError(
                f"{item}: --split {split} applies to a Groove MIDI Dataset folder (with "
                "info.csv) only; give the files without --split"
            )
        if is_gmd:
            with open(item / "info.csv", newline="") as f:
                rows = [r for r in csv.DictReader(f) if split is None or r["split"] == split]
            files = [(item / r["midi_filename"], item) for r in rows]
        elif item.is_dir():
            files = [(p, item) for p in sorted(item.rglob("*.mid*"))]
        elif item.is_file():
            files = [(item, item.parent)]
        else:
            raise MidiError(f"{item}: no such file or folder")
        for path, root in files:
            found.append((path, str(path.relative_to(root).with_suffix("")).replace(os.sep, "__")))
    return found


def midi_jobs(
    inputs: Sequence[str | Path],
    kits: Sequence[str],
    seed: int = 0,
    split: str | None = None,
    limit: int | None = None,
) -> list[RenderJob]:
    """Render jobs for the MIDI files of ``inputs`` (see :func:`midi_files`), the
    first ``limit`` only if given. Each track gets a kit drawn from ``kits`` by
    ``seed`` and its name."""
    if not kits:
        raise DrummerNetError("no kit given to render with")
    if limit is not None and limit < 1:
        raise DrummerNetError(f"--limit must be at least 1; got {limit}")
    jobs = [
        RenderJob(str(path), name, kits[track_seed(seed, name) % len(kits)])
        for path, name in midi_files(inputs, split)
    ]
    return jobs[:limit]
