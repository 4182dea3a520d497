"""Benchmark: validation F1 of training checkpoints, with thresholds tuned per class.

Scores each model file or checkpoint on validation tracks (by default the GMD
validation render's tracks 17-40: the run's own validation used the first 16),
choosing each class's peak-picking threshold on those tracks, with ``--classes
paper`` and ``all``; writes ``bench/results/warm_start/warm_start-<date>[-N].json``. With
``--head sigmoid`` a checkpoint trained under another activation is scored with
a sigmoid per component and frame (the ``inverse`` preset's head; the weights
are the same). Validation only: nothing here reads a test set.

    OMP_WAIT_POLICY=PASSIVE python bench/warm_start.py RUN/checkpoints/step-*.ckpt \
        [--head sigmoid] [--first 16 --tracks 24] [--max-seconds 30]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)

ROOT = Path(__file__).resolve().parents[1]
DELTAS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def load(path: str, head: str | None):
    """A network from a model file or a training checkpoint, in eval mode."""
    from drummernet.model.network import AnalysisNetwork
    from drummernet.training.checkpoints import read_weights

    config, weights, items = read_weights(path)
    if head:
        config = config.replace(activation=head)
    net = AnalysisNetwork(config)
    net.load_state_dict(weights)
    return net.eval(), items


def tuned_scores(net, tracks, classes: str, max_seconds: float, normalize: bool) -> dict:
    """Best paper-figure F1 per class over :data:`DELTAS` and the deltas chosen."""
    from drummernet.evaluation.runner import model_activations, sweep_thresholds
    from drummernet.transcription.notes import PeakPicking

    runs = model_activations(net, tracks, classes=classes, max_seconds=max_seconds)
    base = replace(PeakPicking.for_model(net), normalize=normalize)
    best, table = sweep_thresholds(runs, [t.name for t in tracks], base, DELTAS, classes)
    f1 = {label: max(row.get(label, 0.0) for row in table) for label in best}
    f1 = {label: round(v, 4) for label, v in f1.items() if any(label in r for r in table)}
    return {"f1": f1, "deltas": best}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model files or training checkpoints")
    parser.add_argument("--validation", default=str(ROOT / "data" / "render" / "gmd-validation"))
    parser.add_argument("--first", type=int, default=16, help="tracks skipped at the start")
    parser.add_argument("--tracks", type=int, default=24)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--head", choices=["sigmoid"], help="score with this activation")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()

    from drummernet.datasets.annotations import load_dataset

    tracks = load_dataset(args.validation)[args.first : args.first + args.tracks]
    rows = []
    for path in args.models:
        net, items = load(path, args.head)
        normalize = net.config.activation != "sigmoid"  # a probability needs no rescaling
        row = {"model": path, "items": items, "activation": net.config.activation}
        for classes in ("paper", "all"):
            row[classes] = tuned_scores(net, tracks, classes, args.max_seconds, normalize)
        paper, every = row["paper"]["f1"], row["all"]["f1"]
        three = [paper[c] for c in ("KD", "SD", "HH") if c in paper]  # classes the tracks have
        five = [every[c] for c in ("KD", "SD", "HH", "TT", "CY") if c in every]
        row["mean"] = round(sum(three) / max(1, len(three)), 4)
        row["mean_all"] = round(sum(five) / max(1, len(five)), 4)
        rows.append(row)
        shown = " ".join(f"{c} {v:.3f}" for c, v in paper.items() if c != "mean")
        extra = " ".join(f"{c} {every[c]:.3f}" for c in ("TT", "CY") if c in every)
        print(f"{path} items {items}: {shown} mean {row['mean']:.3f}; {extra} "
              f"mean_all {row['mean_all']:.3f}", flush=True)  # fmt: skip
    target = dated_path(args.out, "warm_start")
    setup = {k: getattr(args, k) for k in ("validation", "first", "tracks", "max_seconds", "head")}
    target.write_text(json.dumps({"setup": setup, "deltas_tried": DELTAS, "rows": rows},
                                 indent=1) + "\n")  # fmt: skip
    print(f"written {target}")


if __name__ == "__main__":
    from drummernet.errors import DrummerNetError

    try:
        main()
    except DrummerNetError as exc:  # a missing checkpoint or validation set: one line
        raise SystemExit(f"warm_start: {exc}") from None
