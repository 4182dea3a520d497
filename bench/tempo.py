"""Benchmark: tempo, beats and bar lines of transcriptions, and what tracking costs.

Groove MIDI Dataset performances (4/4 beats of the *validation* split, played to a
metronome at the tempo in ``info.csv``; the first ``SECONDS`` of each) are rendered
through the shipped FluidR3 kits (a different kit per file, no effects) and
transcribed with the shipped model. Reference beats are the steady grid near the
listed tempo closest to the labeled kicks and snares (:func:`metronome`); reference
bar lines are every 4th of those beats at the phase with the most labeled kicks
(the rule :func:`beat_grid` applies to the transcription, here on the labels).

Reported: tempo accuracy (Acc1: within 4 % of the metronome; Acc2: also at half,
double, a third or three times), beat F-measure (``mir_eval.beat.f_measure``,
±70 ms, first 5 s ignored), the share of tracks whose bar lines fall on the
metronome's (within 70 ms, for most of them), and the seconds :func:`beat_grid`
takes for 2 and 60 minutes of activations. Writes ``bench/results/tempo-<date>.json``.

    OMP_WAIT_POLICY=PASSIVE python bench/tempo.py [--files 30]
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import time
from pathlib import Path

import mir_eval
import numpy as np

from drummernet.datasets.midi import read_drum_midi
from drummernet.datasets.render import render_hits
from drummernet.kits.library import get_kit
from drummernet.transcription import transcribe
from drummernet.transcription.beats import beat_grid

ROOT = Path(__file__).resolve().parents[1]
GMD = ROOT.parent / "shared" / "data" / "groove-midi"
KITS = ("fluidr3-standard", "fluidr3-room", "fluidr3-power", "fluidr3-jazz", "fluidr3-brush")
SECONDS = 30.0


def performances(split: str, n: int) -> list[dict]:
    """The first ``n`` 4/4 beats (not fills) of ``split`` lasting at least 20 s."""
    with open(GMD / "info.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split]
    keep = [r for r in rows if r["beat_type"] == "beat" and r["time_signature"] == "4-4"]
    return [r for r in keep if float(r["duration"]) >= 20][:n]


def within(estimate: float, reference: float, factors=(1.0,)) -> bool:
    return any(abs(estimate - reference * f) <= 0.04 * reference * f for f in factors)


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


def score_track(row: dict, kit_name: str) -> dict:
    hits = [h for h in read_drum_midi(GMD / row["midi_filename"]) if h.time < SECONDS]
    audio, _, _ = render_hits(hits, get_kit(kit_name), tail_s=0.5)
    result = transcribe(audio, sr=16000, check_mix=False)
    grid = result.beat_grid()
    bpm = float(row["bpm"])
    reference = metronome(hits, bpm, result.duration)
    estimated = grid.beat_times()
    estimated = estimated[estimated < result.duration]
    bars = grid.downbeats()
    bars = bars[(bars > 0) & (bars < result.duration)]
    kicks = np.array([h.time for h in hits if h.component == "KD_KD"])
    phase = int(np.argmax([_near(kicks, reference[p::4]) for p in range(4)]))
    on_bar = [np.min(np.abs(reference[phase::4] - b)) <= 0.07 for b in bars]
    return {
        "file": row["midi_filename"],
        "kit": kit_name,
        "bpm": bpm,
        "tempo": round(result.tempo, 2),
        "acc1": within(result.tempo, bpm),
        "acc2": within(result.tempo, bpm, (1.0, 0.5, 2.0, 1 / 3, 3.0)),
        "beat_f": round(float(mir_eval.beat.f_measure(reference, estimated)), 4),
        "bars_on_downbeats": bool(on_bar) and float(np.mean(on_bar)) > 0.5,
    }


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
    args = parser.parse_args()
    tracks = [score_track(row, KITS[i % len(KITS)])
              for i, row in enumerate(performances(args.split, args.files))]  # fmt: skip
    example = transcribe(ROOT / "drummernet" / "examples" / "gmd-rock-100bpm.flac")
    summary = {
        "tracks": len(tracks),
        "acc1": round(float(np.mean([t["acc1"] for t in tracks])), 3),
        "acc2": round(float(np.mean([t["acc2"] for t in tracks])), 3),
        "beat_f_mean": round(float(np.mean([t["beat_f"] for t in tracks])), 3),
        "bars_on_downbeats": round(float(np.mean([t["bars_on_downbeats"] for t in tracks])), 3),
        "example_loop_tempo": round(example.tempo, 2),
        "beat_grid_seconds": {
            f"{m} min": cost(m, example.activations, example.frame_rate, example.components)
            for m in (2, 60)
        },
    }
    out = ROOT / "bench" / "results" / f"tempo-{datetime.date.today()}.json"
    out.write_text(json.dumps({"split": args.split, "summary": summary, "tracks": tracks},
                              indent=1) + "\n")  # fmt: skip
    print(json.dumps(summary, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
