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
from drummernet.errors import ModelFileError
from drummernet.model.io import FORMAT_VERSION, atomic_torch_save, load_model

CHECKPOINT = re.compile(r"^step-(\d{8})\.ckpt$")


def checkpoint_path(folder: Path, step: int) -> Path:
    return folder / f"step-{step:08d}.ckpt"


def list_checkpoints(folder: str | Path) -> list[Path]:
    """Checkpoints in ``folder``, oldest step first."""
    folder = Path(folder)
    found = [p for p in folder.glob("step-*.ckpt") if CHECKPOINT.match(p.name)]
    return sorted(found, key=lambda p: int(CHECKPOINT.match(p.name).group(1)))  # type: ignore[union-attr]


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


def load_checkpoint(path: str | Path, config: Config | None = None) -> dict[str, Any]:
    """Read a checkpoint; with ``config``, refuse one written for another configuration."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: checkpoint not found") from None
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFileError(f"{path}: not a readable checkpoint ({reason})") from None
    if not isinstance(state, dict) or "model" not in state or "config" not in state:
        raise ModelFileError(f"{path}: not a drummernet training checkpoint")
    if config is not None:
        stored = Config.from_dict(state["config"])
        ignore = {"name", "learning_rate", "batch_size"}
        diff = [
            k
            for k, v in config.to_dict().items()
            if k not in ignore and stored.to_dict().get(k) != v
        ]
        if diff:
            raise ModelFileError(
                f"{path}: checkpoint was trained with another configuration "
                f"({', '.join(diff[:4])} differ); start a new run folder or use its config"
            )
    return state


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
