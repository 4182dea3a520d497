"""Benchmark: tempo, beats and bar lines of transcriptions, and what quantizing costs.

Groove MIDI Dataset performances (4/4 beats and shuffles of the *validation* split,
played to a metronome at the tempo in ``info.csv``; the first ``--seconds`` of each)
are rendered through the held-out validation kits (the 4 Hydrogen kits neither
training nor the synthesizer uses, built by ``kits build system --out data/kits``;
the shipped FluidR3 kits where they are absent), a different kit per file, no
effects, and transcribed with the shipped model. Reference beats are the steady grid
near the listed tempo closest to the labeled kicks and snares (:func:`metronome`);
reference bar lines are every 4th of those beats at the phase with the most labeled
kicks.

Reported per track and in sum: the tempo's ratio to the metronome's (Acc1: within
4 %; Acc2: also at half or double; ``other``: at any other ratio, e.g. 3:4 or 2:3,
which makes a score unreadable), beat F-measure (``mir_eval.beat.f_measure``), the
share of tracks whose bar lines fall on the metronome's, and the onset F1 per class
(KD SD HH, ±50 ms) of the MIDI's notes unquantized and quantized to the 1/16 and
``auto`` grids (``1/8t`` too), read back through the tempo map (the loss a drummer's
score costs), beside its ceiling: the labels themselves snapped to the metronome's
grid (:func:`oracle_f1`).
The 4 MDB Drums dev stems (real recordings, no tempo labels) get the quantization
losses too. Writes ``bench/results/tempo/tempo-<date>.json``.

    OMP_WAIT_POLICY=PASSIVE python bench/tempo.py [--files 30] [--split validation]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import mir_eval
import numpy as np
from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)

from drummernet.components import CLASS_SETS
from drummernet.datasets import load_dataset
from drummernet.datasets.midi import read_drum_midi
from drummernet.datasets.render import render_hits
from drummernet.kits.library import DEFAULT_FALLBACKS, get_kit
from drummernet.transcription import Transcription, transcribe
from drummernet.transcription.beats import BeatGrid, beat_grid, grid_times, quantize
from drummernet.transcription.outputs import event_positions

ROOT = Path(__file__).resolve().parents[1]
GMD = ROOT.parent / "shared" / "data" / "groove-midi"
MDB = ROOT.parent / "shared" / "data" / "mdb-drums-dev"
HELD_OUT = ("bja-pacific", "millo-drums-v-1", "rumpf-kit-z01-gm", "audiophob")
FLUIDR3 = ("fluidr3-standard", "fluidr3-room", "fluidr3-power", "fluidr3-jazz", "fluidr3-brush")
GRIDS = ("1/16", "1/8t", "auto")
PAPER = CLASS_SETS["paper"]


def validation_kits(kits_dir: Path) -> list[str]:
    """The held-out Hydrogen kits built in ``kits_dir``, else the FluidR3 ones."""
    held = [kits_dir / f"hydrogen-{k}" for k in HELD_OUT]
    return [str(k) for k in held] if all(k.is_dir() for k in held) else list(FLUIDR3)


def performances(split: str, n: int) -> list[dict]:
    """The first ``n`` 4/4 beats (not fills) of ``split`` lasting at least 20 s."""
    with open(GMD / "info.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split]
    keep = [r for r in rows if r["beat_type"] == "beat" and r["time_signature"] == "4-4"]
    return [r for r in keep if float(r["duration"]) >= 20][:n]


def ratio_kind(estimate: float, reference: float) -> str:
    """``right`` (within 4 %), ``octave`` (within 4 % of half or double) or ``other``."""
    for kind, factors in (("right", (1.0,)), ("octave", (0.5, 2.0))):
        if any(abs(estimate - reference * f) <= 0.04 * reference * f for f in factors):
            return kind
    return "other"


def _near(times: np.ndarray, grid: np.ndarray, tolerance: float = 0.07) -> int:
    """How many of ``times`` lie within ``tolerance`` of a point of ``grid``."""
    if len(times) == 0 or len(grid) == 0:
        return 0
    return int(np.sum(np.min(np.abs(times[:, None] - grid[None, :]), axis=1) <= tolerance))


def metronome(hits: list, bpm: float, duration: float) -> np.ndarray:
    """Reference beats: the steady grid (tempo within 3 % of ``info.csv``'s, in 0.1 %
    steps; phase in 5 ms steps) closest to the labeled kicks and snares, each hit
    counting ``exp(-d^2 / 2 (25 ms)^2)`` for its distance ``d`` to the nearest beat.
    GMD's MIDI files do not start on a beat, and their time base can differ from
    the metronome's by a percent."""
    backbone = np.array([h.time for h in hits if h.component in ("KD_KD", "SD_SD")])
    best, grid = -1.0, np.zeros(0)
    for scale in np.arange(0.97, 1.0305, 0.001):
        period = 60.0 / (bpm * scale)
        for phase in np.arange(0.0, period, 0.005):
            distance = (backbone - phase + period / 2) % period - period / 2
            score = float(np.exp(-0.5 * (distance / 0.025) ** 2).sum())
            if score > best:
                best, grid = score, np.arange(phase, duration, period)
    return grid


def quantized_f1(result: Transcription, labels: dict[str, np.ndarray]) -> dict[str, dict]:
    """Onset F1 per paper class of the events as the MIDI file places them: exact
    (``none``) and snapped to each of :data:`GRIDS`, read back in seconds."""
    grid = result.beat_grid()
    scores: dict[str, dict] = {}
    for name in ("none", *GRIDS):
        step = None if name == "none" else name
        seconds = grid.seconds(event_positions(result, grid, step)) if result.events else []
        per_class = {}
        for label, members in PAPER.items():
            reference = np.sort(labels.get(label, np.zeros(0)))
            if len(reference) == 0:
                continue
            est = np.sort([t for t, e in zip(seconds, result.events, strict=True)
                           if e.component in members])  # fmt: skip
            per_class[label] = round(float(mir_eval.onset.f_measure(reference, est, 0.05)[0]), 4)
        scores[name] = per_class
    return scores


def oracle_f1(labels: dict[str, np.ndarray], reference: np.ndarray, duration: float) -> dict:
    """The ceiling of quantizing: the labels themselves snapped to each of
    :data:`GRIDS` over the metronome's beats, F1 against the labels (1 for ``none``)."""
    period = float(np.median(np.diff(reference)))
    grid = BeatGrid(grid_times(reference, duration), 60 / period, duration)
    scores: dict[str, dict] = {"none": {k: 1.0 for k, v in labels.items() if len(v)}}
    for name in GRIDS:
        scores[name] = {}
        for label, times in labels.items():
            if len(times):
                snapped = np.sort(grid.seconds(quantize(grid.position(times), name)))
                f1 = mir_eval.onset.f_measure(np.sort(times), snapped, 0.05)[0]
                scores[name][label] = round(float(f1), 4)
    return scores


def _class_times(hits: list) -> dict[str, np.ndarray]:
    return {label: np.array([h.time for h in hits if h.component in members])
            for label, members in PAPER.items()}  # fmt: skip


def render_and_transcribe(row: dict, kit: str, seconds: float) -> tuple[Transcription, list]:
    """The first ``seconds`` of a GMD performance rendered dry through ``kit`` (the
    shipped fallbacks for what it lacks), transcribed; and the labels rendered."""
    hits = [h for h in read_drum_midi(GMD / row["midi_filename"]) if h.time < seconds]
    fallbacks = [get_kit(k) for k in DEFAULT_FALLBACKS]
    audio, labels, _ = render_hits(hits, get_kit(kit), fallbacks, tail_s=0.5)
    return transcribe(audio, sr=16000, check_mix=False), labels


def score_track(row: dict, kit: str, seconds: float) -> dict:
    result, labels = render_and_transcribe(row, kit, seconds)
    grid = result.beat_grid()
    bpm = float(row["bpm"])
    reference = metronome(labels, bpm, result.duration)
    estimated = grid.beat_times()
    estimated = estimated[estimated < result.duration]
    bars = grid.downbeats()
    bars = bars[(bars > 0) & (bars < result.duration)]
    kicks = np.array([h.time for h in labels if h.component == "KD_KD"])
    phase = int(np.argmax([_near(kicks, reference[p::4]) for p in range(4)]))
    on_bar = [np.min(np.abs(reference[phase::4] - b)) <= 0.07 for b in bars]
    return {
        "file": row["midi_filename"],
        "style": row["style"],
        "kit": Path(kit).name,
        "bpm": bpm,
        "tempo": round(result.tempo, 2),
        "ratio": round(result.tempo / bpm, 3),
        "kind": ratio_kind(result.tempo, bpm),
        "beat_f": round(float(mir_eval.beat.f_measure(reference, estimated)), 4),
        "bars_on_downbeats": bool(on_bar) and float(np.mean(on_bar)) > 0.5,
        "f1": quantized_f1(result, _class_times(labels)),
        "oracle_f1": oracle_f1(_class_times(labels), reference, result.duration),
    }


def score_mdb() -> list[dict]:
    """Tempo and quantization losses of the MDB Drums dev stems (no tempo labels)."""
    if not MDB.is_dir():
        return []
    out = []
    for track in load_dataset(MDB):
        result = transcribe(track.audio_path, check_mix=False)
        out.append({"file": track.name, "tempo": round(result.tempo, 2),
                    "f1": quantized_f1(result, track.classes)})  # fmt: skip
    return out


def losses(tracks: list[dict]) -> dict[str, dict[str, float]]:
    """Mean F1 per class unquantized, and what each grid loses to it."""
    out: dict[str, dict[str, float]] = {}
    for name in ("none", *GRIDS):
        per_class = {}
        for label in PAPER:
            have = [t["f1"] for t in tracks if label in t["f1"]["none"]]
            if have:
                mean = float(np.mean([f[name][label] for f in have]))
                base = float(np.mean([f["none"][label] for f in have]))
                per_class[label] = round(mean if name == "none" else mean - base, 4)
        out[name if name == "none" else f"{name} minus none"] = per_class
    return out


def cost(minutes: float, activations: np.ndarray, frame_rate: float, components) -> float:
    """Seconds :func:`beat_grid` takes on ``minutes`` of the example's activations, tiled."""
    frames = int(minutes * 60 * frame_rate)
    tiled = np.tile(activations, (1, -(-frames // activations.shape[1])))[:, :frames]
    start = time.perf_counter()
    beat_grid(tiled, frame_rate, frames / frame_rate, components)
    return round(time.perf_counter() - start, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=30)
    parser.add_argument("--split", default="validation")
    parser.add_argument("--seconds", type=float, default=30.0, help="of each performance")
    parser.add_argument("--kits-dir", type=Path, default=ROOT / "data" / "kits")
    parser.add_argument("--no-mdb", action="store_true", help="leave out the MDB dev stems")
    parser.add_argument("--out", type=Path, help="result file (default: bench/results/...)")
    args = parser.parse_args()
    kits = validation_kits(args.kits_dir)
    rows = performances(args.split, args.files)
    tracks = [score_track(row, kits[i % len(kits)], args.seconds) for i, row in enumerate(rows)]
    mdb = [] if args.no_mdb else score_mdb()
    example = transcribe(ROOT / "drummernet" / "examples" / "gmd-rock-100bpm.flac")
    kinds = [t["kind"] for t in tracks]
    summary = {
        "tracks": len(tracks),
        "kits": [Path(k).name for k in kits],
        "acc1": round(kinds.count("right") / len(kinds), 3),
        "acc2": round((kinds.count("right") + kinds.count("octave")) / len(kinds), 3),
        "other_ratio": kinds.count("other"),
        "beat_f_mean": round(float(np.mean([t["beat_f"] for t in tracks])), 3),
        "bars_on_downbeats": round(float(np.mean([t["bars_on_downbeats"] for t in tracks])), 3),
        "gmd_f1": losses(tracks),
        "gmd_oracle_f1": losses([{"f1": t["oracle_f1"]} for t in tracks]),
        "mdb_f1": losses(mdb) if mdb else None,
        "example_loop_tempo": round(example.tempo, 2),
        "beat_grid_seconds": {
            f"{m} min": cost(m, example.activations, example.frame_rate, example.components)
            for m in (2, 60)
        },
    }
    out = args.out or dated_path(ROOT / "bench" / "results", "tempo")
    out.write_text(json.dumps({"split": args.split, "summary": summary, "tracks": tracks,
                               "mdb": mdb}, indent=1) + "\n")  # fmt: skip
    print(json.dumps(summary, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
