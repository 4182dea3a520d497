"""Benchmark: accuracy of a model beside the NMFD baseline, with the paper's protocol.

Scores the model (default: the shipped one) on the rendered GMD validation and test
sets (held-out kits) and the MDB Drums dev tracks, and NMFD on the same tracks,
then writes ``bench/results/accuracy/accuracy-<date>.json`` and ``.md``. Datasets that are
not present are skipped with a note. Render the GMD sets first with
``scripts/train_default.sh`` (or ``drummernet render``).

    OMP_WAIT_POLICY=PASSIVE python bench/accuracy.py [--model M] [--max-seconds 60]
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASETS = [
    ROOT / "data" / "render" / "gmd-validation",
    ROOT.parent / "shared" / "data" / "mdb-drums-dev",
    ROOT / "data" / "render" / "gmd-test",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="*", default=[str(p) for p in DATASETS])
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--no-baseline", action="store_true", help="skip NMFD")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()

    from drummernet.evaluation import report as rep
    from drummernet.transcription import get_model

    present = [d for d in args.datasets if Path(d).is_dir()]
    for missing in sorted(set(args.datasets) - set(present)):
        print(f"skipped (not found): {missing}")
    if not present:
        raise SystemExit("no dataset found")
    net = get_model(args.model)
    reports = {"drummernet": rep.evaluate_model(net, present, max_seconds=args.max_seconds)}
    reports["drummernet"]["model"] = args.model or "default"
    if not args.no_baseline:
        # NMFD's thresholds are tuned on the first set (the validation set), as ours were.
        reports["nmfd"] = rep.evaluate_nmfd(present, tune_on=present[0],
                                            max_seconds=args.max_seconds)  # fmt: skip
    print(rep.format_table(reports))
    folder = Path(args.out)
    (folder / "accuracy").mkdir(parents=True, exist_ok=True)
    stem = folder / "accuracy" / f"accuracy-{datetime.date.today().isoformat()}"
    for suffix in (".json", ".md"):
        rep.write_report(reports, stem.with_suffix(suffix))
    print(f"written {stem}.json and .md")


if __name__ == "__main__":
    main()
