"""Training checkpoints: written atomically, the last few and the best kept.

A checkpoint holds everything a run needs to continue exactly: model and
optimizer state, the step, the configuration and options, the random state and
the history of validation scores. The best model is also written as a plain
model file (``best.pt``) that ``transcribe --model`` reads.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from drummernet.config import Config
from drummernet.errors import ConfigError, ModelFileError
from drummernet.model.io import FORMAT_VERSION, atomic_torch_save, load_model, safe_torch_load

CHECKPOINT = re.compile(r"^step-(\d{8})\.ckpt$")


def checkpoint_path(folder: Path, step: int) -> Path:
    return folder / f"step-{step:08d}.ckpt"


def checkpoint_step(path: str | Path) -> int | None:
    """The step in a checkpoint's file name (``step-NNNNNNNN.ckpt``), or None."""
    match = CHECKPOINT.match(Path(path).name)
    return int(match.group(1)) if match else None


def list_checkpoints(folder: str | Path) -> list[Path]:
    """Checkpoints in ``folder``, oldest step first."""
    folder = Path(folder)
    found = [p for p in folder.glob("step-*.ckpt") if CHECKPOINT.match(p.name)]
    return sorted(found, key=checkpoint_step)  # type: ignore[arg-type]


def save_checkpoint(folder: str | Path, state: dict[str, Any], keep: int = 3) -> Path:
    """Write ``state`` as ``step-NNNNNNNN.ckpt`` (atomically) and delete all but the
    newest ``keep`` checkpoints, and the temporary files of writes a killed run left
    behind. A failed write leaves the older ones intact."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelFileError(f"{folder}: cannot create checkpoint folder: {exc.strerror}") from None
    path = checkpoint_path(folder, int(state["step"]))
    atomic_torch_save(state, path)
    for old in list_checkpoints(folder)[:-keep]:
        old.unlink(missing_ok=True)
    for debris in folder.glob(".step-*.ckpt.*.tmp.ckpt"):  # a write cut short by SIGKILL
        debris.unlink(missing_ok=True)
    return path


#: What every checkpoint holds, and the plain types it must have (see ``_Run.snapshot``).
CHECKPOINT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "step": int,
    "items": int,
    "model": dict,
    "optimizer": dict,
    "config": dict,
    "options": dict,
    "history": list,
    "best": (int, float),
    "elapsed_s": (int, float),
}


def load_checkpoint(path: str | Path, config: Config | None = None) -> dict[str, Any]:
    """Read a checkpoint; with ``config``, refuse one written for another configuration.

    It is read with ``weights_only=True`` (:func:`~drummernet.model.io.safe_torch_load`):
    a checkpoint that holds anything but tensors and plain Python types (a crafted
    pickle) is refused and nothing in it runs. A field missing or of the wrong type
    is a :class:`ModelFileError` naming it.
    """
    path = Path(path)
    state = safe_torch_load(path, "drummernet training checkpoint")
    if not isinstance(state, dict):
        raise ModelFileError(f"{path}: not a drummernet training checkpoint")
    for key, kind in CHECKPOINT_FIELDS.items():
        if key not in state:
            raise ModelFileError(f"{path}: not a complete training checkpoint (no {key!r})")
        if not isinstance(state[key], kind) or isinstance(state[key], bool):
            raise ModelFileError(f"{path}: training checkpoint's {key!r} is malformed")
    if not all(isinstance(v, torch.Tensor) for v in state["model"].values()):
        raise ModelFileError(f"{path}: training checkpoint's 'model' is malformed")
    try:
        stored = Config.from_dict(state["config"])
    except ConfigError as exc:
        raise ModelFileError(f"{path}: incompatible configuration: {exc}") from None
    if config is not None:
        check_same_config(path, stored, config)
    return state


def check_same_config(path: str | Path, stored: Config, config: Config) -> None:
    """Refuse to continue the checkpoint ``path`` (trained as ``stored``) with
    ``config``: a :class:`ModelFileError` names the fields that differ (the name and
    the learning rate may)."""
    ignore = {"name", "learning_rate"}
    theirs = stored.to_dict()
    diff = [k for k, v in config.to_dict().items() if k not in ignore and theirs.get(k) != v]
    if diff:
        raise ModelFileError(
            f"{path}: checkpoint was trained with another configuration "
            f"({', '.join(diff[:4])} differ); leave --config, --set and --batch-size out to "
            "resume it with its own, or start a new --out"
        )


def read_weights(path: str | Path) -> tuple[Config, dict[str, torch.Tensor], int | None]:
    """The configuration, weights and items seen of a training checkpoint (``.ckpt``)
    or of a model file (its metadata's ``trained_items``, None if absent)."""
    if str(path).endswith(".ckpt"):
        state = load_checkpoint(path)
        return Config.from_dict(state["config"]), state["model"], state["items"]
    model = load_model(path)
    return model.config, model.state_dict(), model.metadata.get("trained_items")


def model_payload(state: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    """A model-file dictionary (see :mod:`drummernet.model.io`) from a checkpoint state."""
    return {
        "format": FORMAT_VERSION,
        "config": state["config"],
        "state_dict": state["model"],
        "metadata": metadata,
    }
