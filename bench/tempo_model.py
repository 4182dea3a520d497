"""Fit the metrical-level model of the beat tracker (``beats.TEMPO_MODEL``).

Groove MIDI Dataset performances (4/4 beats lasting at least 20 s, their first 30 s)
are rendered and transcribed with the shipped model: the *train* split through the
shipped FluidR3 kits to fit, the *validation* split through the held-out validation
kits (as ``bench/tempo.py``) to choose the regularisation. For every performance,
each candidate tempo around the autocorrelation's (``beats.TEMPO_RATIOS``) is
described by ``beats.tempo_features`` and labelled right when it lies within 4 % of
the metronome's (``info.csv``). A logistic regression (scikit-learn, L2) over the
standardised features scores the candidates; a performance's tempo is its best
candidate. Prints, for each regularisation, the share of performances whose chosen
tempo is right on train and validation, and writes the chosen model (the best on
validation, ties to the stronger regularisation) to
``bench/results/tempo_model/tempo_model-<date>.json``: paste its ``model`` into ``TEMPO_MODEL``.

    OMP_WAIT_POLICY=PASSIVE python bench/tempo_model.py [--train 200] [--cache DIR]

``--cache DIR`` keeps each performance's envelopes (``.npz``) so that a second run
fits without transcribing again.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)
from tempo import FLUIDR3, ROOT, performances, render_and_transcribe, validation_kits

from drummernet.transcription import beats

SECONDS = 30.0
CHOICES = (1.0, 0.3, 0.1, 0.03)


def envelopes_of(row: dict, kit: str, cache: Path | None) -> dict[str, np.ndarray]:
    """The group envelopes (``beats.group_envelopes``) of one performance's render."""
    path = cache / (row["midi_filename"].replace("/", "__") + ".npz") if cache else None
    if path is not None and path.is_file():
        with np.load(path) as stored:
            return {k: stored[k] for k in stored.files}
    result, _ = render_and_transcribe(row, kit, SECONDS)
    acts = result.activations.astype(np.float32)
    envelopes = beats.group_envelopes(acts, result.frame_rate, result.components)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **envelopes)
    return envelopes


def candidates(envelopes: dict[str, np.ndarray], bpm: float) -> list[dict]:
    """Features of each candidate tempo, and whether it is within 4 % of ``bpm``."""
    tempos, features = beats.tempo_candidates(envelopes)
    return [{"features": f, "tempo": t, "right": abs(t - bpm) <= 0.04 * bpm}
            for t, f in zip(tempos, features, strict=True)]  # fmt: skip


def split_rows(split: str, n: int, kits: list[str], cache: Path | None) -> list[list[dict]]:
    rows = performances(split, n)
    return [candidates(envelopes_of(row, kits[i % len(kits)], cache), float(row["bpm"]))
            for i, row in enumerate(rows)]  # fmt: skip


def accuracy(tracks: list[list[dict]], model: dict) -> float:
    """Share of performances whose best-scored candidate is right."""
    right = 0
    for rows in tracks:
        scores = [sum(w * (r["features"][k] - m) / s for k, (m, s, w) in model.items())
                  for r in rows]  # fmt: skip
        right += bool(rows) and rows[int(np.argmax(scores))]["right"]
    return right / len(tracks)


def fit(tracks: list[list[dict]], c: float) -> dict[str, tuple[float, float, float]]:
    from sklearn.linear_model import LogisticRegression

    names = sorted(tracks[0][0]["features"])
    x = np.array([[r["features"][k] for k in names] for rows in tracks for r in rows])
    y = np.array([r["right"] for rows in tracks for r in rows])
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / std, y)
    return {k: (round(float(m), 6), round(float(s), 6), round(float(w), 6))
            for k, m, s, w in zip(names, mean, std, model.coef_[0], strict=True)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=int, default=200, help="train performances")
    parser.add_argument("--validation", type=int, default=40, help="validation performances")
    parser.add_argument("--cache", type=Path, help="folder for the envelopes")
    args = parser.parse_args()
    train = split_rows("train", args.train, list(FLUIDR3), args.cache)
    held = validation_kits(ROOT / "data" / "kits")
    valid = split_rows("validation", args.validation, held, args.cache)
    results = []
    for c in CHOICES:
        model = fit(train, c)
        scores = {"train": round(accuracy(train, model), 3),
                  "validation": round(accuracy(valid, model), 3)}  # fmt: skip
        results.append({"C": c, **scores, "model": model})
        print(
            f"C={c:g}: right on train {results[-1]['train']:.3f}, "
            f"validation {results[-1]['validation']:.3f}"
        )
    chosen = max(results, key=lambda r: (r["validation"], -r["C"]))
    out = dated_path(ROOT / "bench" / "results", "tempo_model")
    summary = {"train": len(train), "validation": len(valid), "kits_validation":
               [Path(k).name for k in held], "chosen": chosen, "all": results}  # fmt: skip
    out.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"chosen C={chosen['C']:g}; written {out}")


if __name__ == "__main__":
    main()
