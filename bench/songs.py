"""Benchmark: drums alone and under a band, per model (issue "Songs").

Scores each model file or training checkpoint, with the peak-picking thresholds
stored in it (a checkpoint: those of ``--thresholds-from``, by default the shipped
model's), on sets of drums alone and the same tracks under a band at 0 dB and
+6 dB (``drummernet band mix``), and reports KD/SD/HH mean F1 per set and what the
band costs (alone minus mix). ``--split validation`` (the default) reads the GMD
validation render and its mixes: the only sets a choice may be made on. ``--split
test`` reads the GMD test render and the MDB dev stems with their mixes, to report.

    OMP_WAIT_POLICY=PASSIVE python bench/songs.py MODEL_OR_CKPT... [--split test] \\
        [--work data/work] [--classes all] [--tracks N] [--out FILE.json]

The checkpoint chosen is the one of highest mean over the validation sets (drums
alone, +0 dB, +6 dB): ``choose`` in the output.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)

ROOT = Path(__file__).resolve().parents[1]
MDB = ROOT.parent / "shared" / "data" / "mdb-drums-dev"
LEVELS = ("+0dB", "+6dB")


def sets_of(split: str, work: Path) -> dict[str, list[Path]]:
    """Per source set, the drums alone and its mixes (``band mix --out WORK/mixes``)."""
    sources = {"validation": {"gmd-validation": work / "gmd-validation"},
               "test": {"gmd-test": work / "gmd-test", "mdb-drums-dev": MDB}}[split]  # fmt: skip
    return {name: [path, *(work / "mixes" / f"{path.name}+band{level}" for level in LEVELS)]
            for name, path in sources.items()}  # fmt: skip


def load(path: str, thresholds_from: str | None):
    """A network in eval mode, its peak picking, and the items it was trained on."""
    from drummernet.model.io import read_model_file
    from drummernet.model.network import AnalysisNetwork
    from drummernet.training.checkpoints import read_weights
    from drummernet.transcription.api import DEFAULT_MODEL
    from drummernet.transcription.notes import PeakPicking

    config, weights, items = read_weights(path)
    net = AnalysisNetwork(config)
    net.load_state_dict(weights)
    net.eval()
    source = path if path.endswith(".pt") else thresholds_from or DEFAULT_MODEL
    net.metadata = read_model_file(source).get("metadata") or {}
    return net, PeakPicking.for_model(net), items


def score(net, peaks, folder: Path, classes: str, max_seconds: float, tracks: int | None) -> dict:
    from drummernet.datasets.annotations import load_dataset
    from drummernet.evaluation.runner import model_activations, score_activations

    runs = model_activations(net, load_dataset(folder)[:tracks], classes, max_seconds)
    result = score_activations(runs, [r.source for r, _ in runs], peaks, classes)
    return {k: round(v, 4) for k, v in result["paper"].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model files or training checkpoints")
    parser.add_argument("--split", choices=("validation", "test"), default="validation")
    parser.add_argument("--work", default=str(ROOT / "data" / "work"))
    parser.add_argument("--classes", choices=("paper", "all"), default="paper")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--tracks", type=int, help="the first N tracks of each set (default: all)")
    parser.add_argument("--thresholds-from", help="model file whose thresholds checkpoints use")
    parser.add_argument("--out", help="JSON file to write (default: bench/results/songs/)")
    args = parser.parse_args()

    sets = sets_of(args.split, Path(args.work))
    rows = []
    for path in args.models:
        net, peaks, items = load(path, args.thresholds_from)
        row: dict = {"model": path, "items": items, "sets": {}}
        for name, folders in sets.items():
            for folder in folders:
                row["sets"][folder.name] = score(net, peaks, folder, args.classes,
                                                 args.max_seconds, args.tracks)  # fmt: skip
            alone = row["sets"][folders[0].name]["mean"]
            mixes = zip(LEVELS, folders[1:], strict=True)
            row[f"{name} loss"] = {level: round(alone - row["sets"][f.name]["mean"], 4)
                                   for level, f in mixes}  # fmt: skip
        means = [s["mean"] for s in row["sets"].values()]
        row["mean"] = round(sum(means) / len(means), 4)
        rows.append(row)
        shown = "  ".join(f"{k} {v['mean']:.3f}" for k, v in row["sets"].items())
        print(f"{Path(path).name} ({items} items): {shown}  | mean {row['mean']:.3f}", flush=True)
    best = max(rows, key=lambda r: r["mean"])
    print(f"highest mean over the {args.split} sets: {best['model']} ({best['mean']:.3f})")
    out = Path(args.out) if args.out else dated_path(ROOT / "bench" / "results", "songs")
    setup = {k: getattr(args, k) for k in ("split", "classes", "max_seconds", "tracks", "work")}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"setup": setup, "rows": rows, "choose": best["model"]}, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    from drummernet.errors import DrummerNetError

    try:
        main()
    except DrummerNetError as exc:
        raise SystemExit(f"songs: {exc}") from None
