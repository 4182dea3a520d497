"""Benchmark: where a model's cymbal errors come from, on a labeled set (validation).

For the ride, crash and open-hat slots: onsets reported and referenced, hits, and for
each false alarm the referenced components within 50 ms of it (a ride heard on a
closed hat shows as ``CY_RDC <- HH_CHH``); then, at each referenced crash, the
largest activation of the crash, ride, open- and closed-hat slots within -20/+50 ms.
Prints a report and writes ``bench/results/cymbal_errors/cymbal_errors-<date>[-N].json``.

    OMP_WAIT_POLICY=PASSIVE python bench/cymbal_errors.py data/render/gmd-validation \
        [--model M.pt] [--tracks 60] [--max-seconds 60]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)

SLOTS = ("CY_RDC", "CY_CRC", "HH_OHH")
AT_CRASH = ("CY_CRC", "CY_RDC", "HH_OHH", "HH_CHH")
WINDOW_S = 0.05


def false_alarm_sources(reference: dict, estimate: np.ndarray, component: str) -> Counter:
    """For each estimate of ``component`` matched to no reference of it, the referenced
    components within :data:`WINDOW_S` of it (a sorted tuple, empty if none)."""
    import mir_eval

    unmatched = np.ones(len(estimate), bool)
    own = reference.get(component, np.zeros(0))
    if len(own) and len(estimate):
        for _, j in mir_eval.util.match_events(own, estimate, WINDOW_S):
            unmatched[j] = False
    near = [[c for c, t in reference.items() if len(t) and np.min(np.abs(t - e)) < WINDOW_S]
            for e in estimate[unmatched]]  # fmt: skip
    return Counter(tuple(sorted(n)) for n in near)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", help="a labeled set (validation)")
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--tracks", type=int, default=60, help="first N tracks")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()

    from drummernet.audio import load_audio
    from drummernet.datasets.annotations import load_dataset
    from drummernet.transcription import get_model, transcribe

    net = get_model(args.model)
    counts = {s: Counter() for s in ("reported", "referenced", "hits")}
    sources = {s: Counter() for s in SLOTS}
    at_crash = []
    for track in load_dataset(args.dataset)[: args.tracks]:
        audio = load_audio(track.audio_path, net.config.sample_rate)
        audio = audio[: round(args.max_seconds * net.config.sample_rate)]
        result = transcribe(audio, sr=net.config.sample_rate, model=net,
                            classes="components", check_mix=False)  # fmt: skip
        reference = {c: t[t < args.max_seconds] for c, t in track.components.items()}
        for slot in SLOTS:
            estimate = result.onsets(slot)
            found = false_alarm_sources(reference, estimate, slot)
            sources[slot].update(found)
            counts["reported"][slot] += len(estimate)
            counts["referenced"][slot] += len(reference.get(slot, ()))
            counts["hits"][slot] += len(estimate) - sum(found.values())
        curves = result.activations.astype(np.float32)
        rows = {c: k for k, c in enumerate(result.components)}
        for time in reference.get("CY_CRC", ()):
            frame = round(time * result.frame_rate)
            span = slice(max(0, frame - 20), frame + 50)
            at_crash.append([float(curves[rows[c], span].max()) for c in AT_CRASH])
    peaks = np.array(at_crash).reshape(-1, len(AT_CRASH))
    report = {
        "dataset": args.dataset,
        "model": args.model or "default",
        "tracks": args.tracks,
        "max_seconds": args.max_seconds,
        **{k: dict(v) for k, v in counts.items()},
        "false_alarms_near": {
            s: {" ".join(k) or "-": n for k, n in sources[s].most_common()} for s in SLOTS
        },
        "crashes": len(peaks),
        "median_activation_at_crashes": {
            c: round(float(np.median(peaks[:, i])), 3) for i, c in enumerate(AT_CRASH)
        }
        if len(peaks)
        else {},
        "crash_slot_above_0.2": round(float(np.mean(peaks[:, 0] > 0.2)), 3) if len(peaks) else None,
    }
    print(json.dumps(report, indent=1))
    target = dated_path(args.out, "cymbal_errors")
    target.write_text(json.dumps(report, indent=1) + "\n")
    print(f"written {target}")


if __name__ == "__main__":
    main()
