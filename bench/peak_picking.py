"""Benchmark: does a different activation post-processing help peak picking?

The paper notes that strong accents make peak picking miss softer hits, because the
normalised activation behaves like a velocity. This runs a model once per track and
tries, on the cached activations, the paper's post-processing and two remedies:

- ``power G``: each component's activation raised to the power ``G`` (< 1 lifts soft
  hits towards loud ones; scale-free, so it commutes with the normalisation);
- ``local W``: each component's activation divided by its running maximum over
  ``± W`` s (floored at ``floor`` x its global maximum), so a quiet passage is
  judged against its own loudest hit.

For every variant the per-class thresholds are chosen on the first dataset (the
validation set) and used unchanged on the others, as ``drummernet evaluate
--tune-on`` does. Writes ``bench/results/peak_picking/peak_picking-<date>.json``.

    OMP_WAIT_POLICY=PASSIVE python bench/peak_picking.py [VALIDATION REPORT...] [--model M]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)
from scipy.ndimage import maximum_filter1d

ROOT = Path(__file__).resolve().parents[1]
DATASETS = [
    ROOT / "data" / "render" / "gmd-validation",
    ROOT.parent / "shared" / "data" / "mdb-drums-dev",
]


def power(gamma: float) -> Callable[[np.ndarray, float], np.ndarray]:
    """Activations ``(K, frames)`` -> ``activations ** gamma``."""
    return lambda act, rate: np.power(np.maximum(act, 0.0), gamma)


def local(window_s: float, floor: float = 0.2) -> Callable[[np.ndarray, float], np.ndarray]:
    """Activations ``(K, frames)`` divided by their running maximum over ``± window_s``."""

    def run(act: np.ndarray, rate: float) -> np.ndarray:
        size = 2 * round(window_s * rate) + 1
        running = maximum_filter1d(act, size, axis=1, mode="nearest")
        top = act.max(axis=1, keepdims=True)
        # Scale back to the curve's global maximum so the absolute floor still applies.
        return act / np.maximum(running, floor * top + 1e-12) * top

    return run


VARIANTS: dict[str, Callable[[np.ndarray, float], np.ndarray] | None] = {
    "paper": None,
    "power 0.5": power(0.5),
    "power 0.33": power(0.33),
    "local 1 s": local(1.0),
    "local 2 s": local(2.0),
    "local 4 s": local(4.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "datasets",
        nargs="*",
        default=[str(p) for p in DATASETS],
        help="the first chooses the thresholds; the rest are only scored",
    )
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()

    from tqdm import tqdm

    from drummernet.datasets.annotations import load_dataset
    from drummernet.evaluation.runner import model_activations, score_activations, sweep_thresholds
    from drummernet.transcription import get_model
    from drummernet.transcription.notes import PeakPicking

    net = get_model(args.model)
    # The classes' members stay the paper's: this compares post-processing only.
    base = replace(PeakPicking.for_model(net), deltas={}, add_components={})
    sets = {}
    for path in args.datasets:
        tracks = load_dataset(path)
        bar = lambda xs, p=path: tqdm(xs, desc=Path(p).name)  # noqa: E731
        runs = model_activations(net, tracks, max_seconds=args.max_seconds, progress=bar)
        sets[Path(path).name] = ([t.name for t in tracks], runs)
    first = next(iter(sets))
    results = {}
    for name, transform in VARIANTS.items():

        def apply(runs, transform=transform):
            if transform is None:
                return runs
            return [(replace(r, activations=transform(r.activations, r.frame_rate)), ref)
                    for r, ref in runs]  # fmt: skip

        names, runs = sets[first]
        chosen, _ = sweep_thresholds(apply(runs), names, base)
        peaks = replace(base, deltas=chosen)
        row: dict = {"thresholds": chosen}
        for set_name, (names, runs) in sets.items():
            scores = score_activations(apply(runs), names, peaks)
            row[set_name] = {
                "paper": {k: round(v, 4) for k, v in scores["paper"].items()},
                "micro_mean": round(scores["micro"]["mean"], 4),
            }
        results[name] = row
        print(f"{name:11s} " + "  ".join(
            f"{s}: {row[s]['paper']['mean']:.3f} (µ {row[s]['micro_mean']:.3f})" for s in sets
        ), flush=True)  # fmt: skip
    out = dated_path(args.out, "peak_picking")
    meta = {"model": args.model or "default", "chosen_on": first, "max_seconds": args.max_seconds}
    out.write_text(json.dumps({**meta, "variants": results}, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
