"""Package a trained model as the default model of drummernet, with its model card.

    python scripts/package_model.py RUN/last.pt REPORT.json [--notes TEXT]

REPORT.json is the output of ``drummernet evaluate ... --tune-on VALIDATION -o
REPORT.json`` for that model (``--classes-report`` adds the thresholds of toms,
cymbals and tambourine from a second report tuned with ``--classes all``): the thresholds it chose on the validation set are
stored in the packaged model (so ``transcribe`` uses them by default) and its
scores go into ``drummernet/pretrained/MODEL_CARD.md``. Only the network's weights,
configuration and metadata are kept (no optimizer state).
"""

from __future__ import annotations

import argparse
import datetime
import json
from collections import Counter
from pathlib import Path

from drummernet.config import PRESET_DESCRIPTIONS
from drummernet.evaluation.report import format_markdown
from drummernet.model.io import FORMAT_VERSION, atomic_torch_save, read_model_file

PRETRAINED = Path(__file__).resolve().parents[1] / "drummernet" / "pretrained"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("report")
    parser.add_argument("--notes", default="", help="extra Markdown for the card's limits")
    parser.add_argument(
        "--name",
        default="default",
        help="default, or the name of another shipped model (songs): writes "
        "drummernet-NAME.pt and MODEL_CARD-NAME.md",
    )
    parser.add_argument(
        "--how", default=None, help="the command that trains it (default: the default's)"
    )
    parser.add_argument(
        "--classes-report",
        help="a report of the same model tuned with --classes all: the thresholds of the "
        "classes REPORT lacks (TT, CY, OT) are taken from it",
    )
    args = parser.parse_args()
    payload = read_model_file(args.model)
    reports = json.loads(Path(args.report).read_text())
    ours = reports["drummernet"]
    if args.classes_report:
        every = json.loads(Path(args.classes_report).read_text())["drummernet"]
        extra = every["peak_picking"]["deltas"]
        ours["peak_picking"]["deltas"] = {**extra, **ours["peak_picking"]["deltas"]}
    metadata = dict(payload.get("metadata") or {})
    init = metadata.get("init")
    if init and Path(init).is_file():  # read before a new default replaces it
        start = read_model_file(init).get("metadata") or {}
        metadata["init_trained_items"] = start.get("trained_items", 0) + start.get(
            "init_trained_items", 0
        )
    metadata["peak_picking"] = ours["peak_picking"]
    metadata["tuned_on"] = ours.get("tuning", {}).get("dataset")
    metadata["scores"] = {
        name: {"paper": r["paper"], "micro_mean": r["micro"]["mean"]}
        for name, r in ours["datasets"].items()
    }
    metadata["packaged"] = datetime.date.today().isoformat()
    PRETRAINED.mkdir(exist_ok=True)
    target = PRETRAINED / f"drummernet-{args.name}.pt"
    state = {k: v.contiguous() for k, v in payload["state_dict"].items()}
    atomic_torch_save(
        {
            "format": FORMAT_VERSION,
            "config": payload["config"],
            "state_dict": state,
            "metadata": metadata,
        },
        target,
    )
    params = sum(v.numel() for v in state.values())
    objective = metadata.get("objective", "reconstruction")
    preset = payload["config"].get("name", "?")
    card = CARD.format(
        date=metadata["packaged"],
        preset=preset,
        architecture=PRESET_DESCRIPTIONS.get(preset, "a custom configuration"),
        params=params,
        size_mb=target.stat().st_size / 1e6,
        training=TRAINING[objective],
        items=metadata.get("trained_items", "?"),
        steps=metadata.get("trained_steps", "?"),
        hours=metadata.get("trained_items", 0) * 2 / 3600,
        before=_init_note(metadata),
        seconds=metadata.get("training_seconds", "?"),
        hardware=metadata.get("hardware", "?"),
        kits=_kits(metadata.get("synth_kits", [])),
        how=args.how or HOW,
        band=_band_row(
            metadata.get("band"), metadata.get("init"), payload["config"].get("learning_rate")
        )
        or _init_row(metadata.get("init"), payload["config"].get("learning_rate")),
        name=args.name,
        role="that `drummernet transcribe` uses unless `--model` names another"
        if args.name == "default"
        else f"that `drummernet transcribe --model {args.name}` uses",
        deltas=json.dumps(ours["peak_picking"]["deltas"]),
        normalised="normalised to max 1"
        if ours["peak_picking"].get("normalize", True)
        else "a probability, thresholded as it is",
        tuned_on=metadata["tuned_on"],
        grid=", ".join(f"{row['delta']:g}" for row in ours.get("tuning", {}).get("sweep", [])),
        added=_added(ours["peak_picking"].get("add_components") or {}),
        table=format_markdown(reports),
        notes=args.notes,
    )
    card_name = "MODEL_CARD.md" if args.name == "default" else f"MODEL_CARD-{args.name}.md"
    (PRETRAINED / card_name).write_text(card)
    print(f"wrote {target} ({params} parameters) and {card_name}")


def _band_row(band: dict | None, init: str | None, lr: float | None) -> str:
    """The card's row on the band mixed into training (none: drums alone)."""
    if not band:
        return ""
    low, high = band.get("levels_db", ("?", "?"))
    start = f"fine-tuned from `{Path(init).name}` at lr {lr:g}; " if init else ""
    return (
        f"\n| band under the drums | {start}{band.get('share', 0):.0%} of the items mixed with "
        f"one of {band.get('clips', '?')} clips of a generated band without drums "
        f"(`drummernet band render`: bass, harmony, pad, lead; General MIDI programs "
        f"with p % 4 != 1, {', '.join(band.get('soundfonts', []))}) at a band level drawn "
        f"from {low:+g} to {high:+g} dB over the drums |"
    )


#: What the card says of each family of training kits, by the start of their names.
KIT_SOURCES = {
    "fluidr3": "FluidR3 GM, MIT, shipped in the package",
    "hydrogen": "Hydrogen kits of the Debian package `hydrogen-drumkits`, never the 4 held "
    "out for validation and test",
    "drumsynth": "`drumsynth`: a folder of 400 kits that `drummernet kits build drumsynth` "
    "rendered from the DrumSynth presets of LMMS (Debian `lmms-common`, GPL-2+; training "
    "only, never shipped)",
    "procedural": "`procedural`: a folder of kits that `drummernet kits build procedural` "
    "synthesised",
}


def _kits(synth_kits: list[str]) -> str:
    """The card's kits: each name once (a folder given N times is drawn N times as
    often), then where each family comes from."""
    counts = Counter(Path(k).name for k in synth_kits)  # in the order first given
    listed = ", ".join(f"{n} (x{c})" if c > 1 else n for n, c in counts.items())
    sources = [text for family, text in KIT_SOURCES.items()
               if any(n.startswith(family) for n in counts)]  # fmt: skip
    if any(c > 1 for c in counts.values()):
        sources.append("a name marked xN is drawn N times as often as one kit")
    return f"{listed} ({'; '.join(sources)})"


def _init_row(init: str | None, lr: float | None) -> str:
    """The card's row on the model a fine-tune started from (none: a new network)."""
    if not init:
        return ""
    return f"\n| starting point | fine-tuned from `{Path(init).name}` at lr {lr:g} |"


def _init_note(metadata: dict) -> str:
    """``, after the N its starting point had seen`` for a fine-tune."""
    before = metadata.get("init_trained_items")
    return f", after the {before:,} its starting point had seen" if before else ""


def _added(add_components: dict) -> str:
    if not add_components:
        return "; each class is the sum of its components in the paper's mapping"
    parts = ", ".join(f"{'+'.join(m)} into {label}" for label, m in add_components.items())
    return (
        f"; also chosen there: {parts} (the model plays hi-hats on its pedal-hat slot,"
        " which the paper's HH of closed + open hats leaves out; references keep the"
        " paper's mapping)"
    )


TRAINING = {
    "reconstruction": (
        "| training | unsupervised (no labels), onset-spectrum loss (HPSS + 8-octave pseudo-CQT) "
        "between the input and its re-synthesis, Adam lr 4e-4 |\n"
        "| training audio | Groove MIDI Dataset **train** split (897 performances, 11 h, "
        "CC BY 4.0) rendered by `drummernet render` through 8 Hydrogen kits (ForzeeStereo, "
        "The Black Pearl, Colombo, Millo MultiLayered 2 and 3, VariBreaks, Electric Empire, "
        "HardElectro1) with reverb, EQ tilt, compression, noise, pitch and timing variation |"
    ),
    "inverse": (
        "| training | the label-free warm start, `train --objective inverse`: binary "
        "cross-entropy between the network's frame scores and the impulse trains the audio "
        "was rendered from (the synthesizer inverted), Adam lr 4e-4, batch 16 |\n"
        "| training audio | rendered on the fly: 2 s stretches of the Groove MIDI Dataset "
        "**train** split's drum MIDI (897 human performances, CC BY 4.0), each component "
        "through a kit drawn from the kits below, with a random level per component, "
        "re-voicings (hi-hat line on ride or tambourine, snare line on a tom, a crash on the "
        "first kick), reverb, EQ tilt, compression, noise, pitch and timing variation. **No "
        "audio annotated by a person was used; the rhythms are human performances from "
        "drum MIDI** |"
    ),
}

#: The recipe (what `scripts/train_default.sh` runs is in its header).
HOW = "scripts/train_default.sh ../shared/data/groove-midi data/kits data/work"

CARD = """# Model card: drummernet-{name}

The model {role}.
Packaged {date} by `scripts/package_model.py` from a training run of `drummernet train`.

| | |
|---|---|
| architecture | DrummerNet analysis network, configuration preset `{preset}`: {architecture}; 11 components |
| parameters | {params:,} ({size_mb:.1f} MB file) |
{training}{band}
| segments seen | {items:,} two-second segments ({steps} steps, about {hours:.2g} hours of audio){before} |
| training time, hardware | {seconds} s on {hardware} |
| kits | {kits} |
| checkpoint choice | by validation F1 on the GMD **validation** split rendered through 4 held-out kits (BJA Pacific, Millo Drums v1, rumpf, Audiophob) |
| peak picking | Böck et al. (max ±50 ms, mean ±100 ms, wait 50 ms), activation {normalised}; per-class thresholds {deltas} chosen on `{tuned_on}` among {grid}{added} |

How it was trained (and how to train it again, resumable across sessions):

    drummernet kits build system --out data/kits
    {how}

## Measured accuracy

Onset F1 with a 50 ms window (mir_eval). KD/SD/HH: mean of per-track F1 over the
tracks whose reference has that class (the paper's figure); µ: hits, misses and
false alarms summed over all tracks (micro). GMD sets are scored on their first 60 s
per track. `gmd-validation` chose the checkpoint and the thresholds, so its
figures are optimistic; `gmd-test` (GMD test split, same held-out kits) and the 4 real
MDB Drums dev tracks were never used for any choice.

{table}
`nmfd` is the classical baseline (NMFD with templates from 3 of the synthesizer's
FluidR3 kits, checked against libnmfd) scored by the same harness, its per-class
thresholds chosen on the same validation set. Reproduce every number (this model's
thresholds are stored in it):

    drummernet evaluate data/render/gmd-validation ../shared/data/mdb-drums-dev \\
        data/render/gmd-test --max-seconds 60 --baseline nmfd \\
        --baseline-tune-on data/render/gmd-validation

## Limits

{notes}
"""


if __name__ == "__main__":
    main()
