"""Write a training checkpoint as a model file, optionally under another preset.

    python scripts/export_checkpoint.py RUN/checkpoints/step-N.ckpt OUT.pt [--as-preset inverse]

``--as-preset`` stores the preset's configuration instead of the run's; it is
refused unless the two differ in name and activation only (same weights, same
network). A warm-start run trained under ``lite`` (its loss never reads the
activation) is exported as ``inverse``, the sigmoid head it was trained for.
The metadata are those of the run's own model files (items, time, data, kits).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from drummernet.config import Config, get_preset
from drummernet.datasets.accompaniment import band_metadata
from drummernet.model.io import atomic_torch_save, read_model_file
from drummernet.training.checkpoints import load_checkpoint, model_payload

#: Fields a checkpoint's configuration may change when exported under a preset (the
#: head, and training settings that do not shape the network).
HEAD_FIELDS = {"name", "activation", "learning_rate", "batch_size", "segment_seconds"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("out")
    parser.add_argument("--as-preset", help="store this preset's configuration")
    args = parser.parse_args()
    state = load_checkpoint(args.checkpoint)
    config = Config.from_dict(state["config"])
    if args.as_preset:
        target = get_preset(args.as_preset)
        differ = [k for k, v in target.to_dict().items()
                  if k not in HEAD_FIELDS and config.to_dict()[k] != v]  # fmt: skip
        if differ:
            raise SystemExit(f"{args.checkpoint}: not a network of preset {args.as_preset!r} "
                             f"({', '.join(differ[:4])} differ)")  # fmt: skip
        config = target
    options = state.get("options", {})
    metadata = {
        "trained_steps": state["step"],
        "trained_items": state["items"],
        "segment_seconds": config.segment_seconds,
        "training_data": options.get("data"),
        "synth_kits": options.get("kits"),
        "objective": options.get("objective", "reconstruction"),
        "init": options.get("init"),
        "band": band_metadata(
            options.get("band"),
            options.get("band_share", 0.8),
            options.get("band_db", (-12.0, 12.0)),
        ),
        "training_seconds": round(state["elapsed_s"], 1),
        "validation": options.get("validation"),
        "hardware": _run_hardware(Path(args.checkpoint).parent.parent),
        "exported_from": args.checkpoint,
    }
    atomic_torch_save(model_payload({**state, "config": config.to_dict()}, metadata), args.out)
    print(f"wrote {args.out} ({config.name}, {state['items']} items)")


def _run_hardware(run: Path) -> str | None:
    """What the run's own model files say it ran on."""
    for name in ("last.pt", "best.pt"):
        if (run / name).is_file():
            return read_model_file(run / name).get("metadata", {}).get("hardware")
    return None


if __name__ == "__main__":
    main()
