"""Benchmark: ``drummernet adapt`` on the audio it is then scored on, labels only to score.

For each group of tracks (a rendered set: the tracks of one kit; an annotated set
such as MDB Drums: all its tracks), the first ``--seconds`` of ``--tracks`` tracks
are adapted on without labels, then transcribed and scored (mean per-track F1,
KD SD HH, the model's own peak picking) by

- ``base``: the model unadapted;
- ``network``: adapt with the kit not fitted (the network alone, on the rhythms
  played through the starting kits);
- ``kit``: adapt fitting the kit (the default);
- ``per-file``: adapt fitting one kit and one model per track (``adapt --per-file``);
- ``oracle``: adapt with the network alone on the group's true kit, played
  alone (a rendered set only): what a perfect kit fit would give;
- ``tuned``: the model unadapted, its per-class thresholds chosen on the scored
  tracks' own labels (``tune_peak_picking``): not a method a user has, but the
  most that re-tuning the thresholds to a kit could add.

Where the group's true kit is known (a rendered set), the spectral distance of
the starting and the fitted KD, SD and HH one-shots to the true ones is reported.
Writes ``bench/results/adapt_kit/adapt_kit-<date>[-N].json`` and prints a table.

    OMP_WAIT_POLICY=PASSIVE python bench/adapt_kit.py data/render/gmd-test \
        --group hydrogen-audiophob --group hydrogen-bja-pacific [--methods base kit]
    OMP_WAIT_POLICY=PASSIVE python bench/adapt_kit.py ../shared/data/mdb-drums-dev \
        --methods base network kit per-file
"""

from __future__ import annotations

import argparse
import datetime
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("base", "network", "kit", "per-file", "tuned", "oracle")
PAPER = ("KD", "SD", "HH")


def groups_of(root: Path, wanted: list[str], tracks: int) -> dict[str, list]:
    """``{group: tracks}``: a rendered set's tracks by kit (the first ``tracks`` longer
    than 20 s, in the set's order), or the first ``tracks`` of another set as one group."""
    from drummernet.datasets.annotations import load_dataset

    loaded = load_dataset(root)
    render = root / "render.json"
    if not render.is_file():
        return {root.name: loaded[:tracks]}
    meta = {t["name"]: t for t in json.loads(render.read_text())["tracks"]}
    out = {}
    for kit in wanted or sorted({m["kit"] for m in meta.values()}):
        mine = [t for t in loaded if meta[t.name]["kit"] == kit and meta[t.name]["seconds"] > 20]
        out[kit] = mine[:tracks]
    return out


def cropped_files(
    tracks: list, seconds: float, folder: Path, sample_rate: int
) -> tuple[list[Path], float]:
    """The first ``seconds`` of each track, written as FLAC into ``folder``, and
    their total length (s)."""
    from drummernet.audio import load_audio, write_audio

    paths, total = [], 0.0
    for track in tracks:
        path = folder / f"{track.name}.flac"
        audio = load_audio(track.audio_path, sample_rate)[: round(seconds * sample_rate)]
        write_audio(path, audio, sample_rate)
        paths.append(path)
        total += len(audio) / sample_rate
    return paths, total


def scores(models: list, tracks: list, seconds: float) -> dict:
    """Mean per-track F1 (KD SD HH and their mean), track ``i`` transcribed by ``models[i]``."""
    from drummernet.evaluation.runner import evaluate_tracks, model_transcriber

    per_track = iter(models)
    report = evaluate_tracks(lambda audio: model_transcriber(next(per_track))(audio), tracks,
                             max_seconds=seconds)  # fmt: skip
    return paper_f1(report["paper"])


def paper_f1(summary: dict) -> dict:
    """KD, SD, HH and their mean from a summary's ``paper`` part, rounded."""
    return {k: round(summary[k], 4) for k in (*PAPER, "mean") if k in summary}


def tuned_scores(model, tracks: list, seconds: float) -> dict:
    """As :func:`scores` for ``model`` on every track, with each class's threshold the
    one of highest F1 on these very tracks; and the thresholds chosen."""
    from drummernet.evaluation.runner import model_activations, score_activations, tune_peak_picking
    from drummernet.transcription.notes import PeakPicking

    runs = model_activations(model, tracks, max_seconds=seconds)
    names = [t.name for t in tracks]
    peaks, info = tune_peak_picking(runs, names, PeakPicking.for_model(model))
    return {"f1": paper_f1(score_activations(runs, names, peaks)["paper"]),
            "chosen": info["chosen"]}  # fmt: skip


def kit_distances(kit_folder: Path, true_kit: Path, fitted: dict) -> dict:
    """Spectral distance (dB) to the true kit's KD, SD and HH one-shots of the one
    each started from and of the fitted one."""
    from drummernet.kits.fitting import spectral_distance
    from drummernet.kits.library import get_kit

    truth, kit = get_kit(true_kit), get_kit(kit_folder)
    out = {}
    for c in ("KD_KD", "SD_SD", "HH_CHH"):
        source = fitted[c]["source"]  # a kit name, or one beside the true kit
        start = get_kit(true_kit.parent / source if (true_kit.parent / source).is_dir() else source)
        out[c] = {
            "starting": round(spectral_distance(start.one_shot(c), truth.one_shot(c)), 2),
            "fitted": round(spectral_distance(kit.one_shot(c), truth.one_shot(c)), 2),
        }
    return out


def run_group(model, tracks, methods, seconds, steps, work: Path, true_kit: Path | None,
              changes: dict | None = None) -> dict:  # fmt: skip
    from drummernet.model.io import load_model
    from drummernet.training.adapt import AdaptOptions, adapt, adapt_per_file, kit_folder_of

    files, total = cropped_files(tracks, seconds, work, model.config.sample_rate)
    out: dict = {"tracks": [t.name for t in tracks], "audio_minutes": round(total / 60, 2)}
    for method in methods:
        began = time.monotonic()
        if method == "base":
            out[method] = {"f1": scores([model] * len(tracks), tracks, seconds)}
            continue
        if method == "tuned":
            out[method] = tuned_scores(model, tracks, seconds)
            continue
        options = AdaptOptions(steps=steps, fit_kit=method in ("kit", "per-file"), progress=False)
        options = replace(options, **(changes or {}))  # the AdaptOptions given
        kit = true_kit if method == "oracle" else None
        if method == "oracle" and not true_kit:
            raise SystemExit("--methods oracle needs a rendered set (its true kits)")
        if method == "per-file":
            results = adapt_per_file(model, files, work / "per-file", options=options)
            errors = [r for r in results.values() if isinstance(r, str)]
            if errors:
                raise SystemExit(errors[0])
            models = [load_model(work / "per-file" / f"{f.stem}.pt") for f in files]
            summary = {"kept_steps": [r["kept_step"] for r in results.values()]}
        else:
            target = work / f"{method}.pt"
            result = adapt(model, files, target, kit_folder=kit, options=options)
            models = [load_model(target)] * len(files)
            summary = {"kept_step": result["kept_step"], "history": result["history"],
                       "fitted": result["fitted"]}  # fmt: skip
            if method == "kit" and true_kit:
                summary["distance_to_true_kit_db"] = kit_distances(
                    kit_folder_of(target), true_kit, result["fitted"]
                )
        seconds_taken = time.monotonic() - began
        out[method] = {"f1": scores(models, tracks, seconds), "adapt_seconds": round(seconds_taken),
                       **summary}  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", help="a rendered set (render.json) or an annotated set")
    parser.add_argument("--group", action="append", default=[], help="kit of a rendered set")
    parser.add_argument("--kits", default=str(ROOT / "data" / "kits"), help="true kits' folder")
    parser.add_argument("--tracks", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--blend", type=float, help="AdaptOptions.blend (default: adapt's)")
    parser.add_argument("--reconstruction-weight", type=float,
                        help="AdaptOptions.reconstruction_weight (default: adapt's)")  # fmt: skip
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=["base", "network", "kit"])
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), help="results folder")
    args = parser.parse_args()

    import torch

    from drummernet.transcription.api import get_model

    torch.set_num_threads(2)
    model = get_model(args.model)
    root = Path(args.dataset)
    rendered = (root / "render.json").is_file()
    results = {"dataset": str(root), "model": args.model or "default", "steps": args.steps,
               "blend": args.blend, "reconstruction_weight": args.reconstruction_weight,
               "seconds_per_track": args.seconds, "date": datetime.date.today().isoformat(),
               "groups": {}}  # fmt: skip
    changes = {k: v for k, v in (("blend", args.blend),
               ("reconstruction_weight", args.reconstruction_weight)) if v is not None}  # fmt: skip
    for group, tracks in groups_of(root, args.group, args.tracks).items():
        true_kit = Path(args.kits) / group if rendered else None
        with tempfile.TemporaryDirectory() as work:
            results["groups"][group] = run_group(model, tracks, args.methods, args.seconds,
                                                 args.steps, Path(work), true_kit,
                                                 changes)  # fmt: skip
        print(group, json.dumps({m: results["groups"][group][m]["f1"] for m in args.methods}),
              flush=True)  # fmt: skip
    path = dated_path(args.out, "adapt_kit")
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(table(results))
    print(f"wrote {path}")


def table(results: dict) -> str:
    """Markdown: one row per group and method, F1 and adapt time."""
    lines = ["| group | method | KD | SD | HH | mean | adapt s |", "|---|---|---|---|---|---|---|"]
    for group, row in results["groups"].items():
        for method in METHODS:
            if method in row:
                f1 = row[method]["f1"]
                cells = " | ".join(f"{f1.get(k, float('nan')):.3f}" for k in (*PAPER, "mean"))
                lines.append(f"| {group} | {method} | {cells} | "
                             f"{row[method].get('adapt_seconds', '')} |")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    main()
