"""Saving and loading models together with their configuration.

A model file is a ``torch.save`` dictionary with the keys ``format`` (this
module's version), ``config`` (``Config.to_dict()``), ``state_dict`` and
``metadata`` (free-form: training data, steps, scores ...). Files are written
to a temporary file in the target folder and renamed into place, so a crash or
a full disk never leaves a truncated model where a good one was.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from drummernet.config import Config
from drummernet.errors import ConfigError, ModelFileError
from drummernet.fileio import atomic_write
from drummernet.model.network import AnalysisNetwork

FORMAT_VERSION = 1


def atomic_torch_save(obj: Any, path: str | Path) -> None:
    """``torch.save`` to ``path`` atomically (:func:`drummernet.fileio.atomic_write`);
    a failure (e.g. no space left on the device) is a :class:`ModelFileError`."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())

    atomic_write(path, write, ModelFileError)


def save_model(
    model: AnalysisNetwork, path: str | Path, metadata: dict[str, Any] | None = None
) -> None:
    """Write ``model``, its configuration and ``metadata`` to ``path`` atomically."""
    payload = {
        "format": FORMAT_VERSION,
        "config": model.config.to_dict(),
        "state_dict": model.state_dict(),
        "metadata": dict(metadata or {}),
    }
    atomic_torch_save(payload, path)


def safe_torch_load(path: str | Path, what: str) -> Any:
    """What ``torch.save`` wrote to ``path``, read with ``weights_only=True``: tensors
    and plain Python types only, so that no code stored in the file is ever run.

    A file that needs more (a pickled object, e.g. a crafted ``__reduce__``) or that
    is not a PyTorch file is a :class:`ModelFileError` naming the file as not a
    ``what``.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: {what.removeprefix('drummernet ')} not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        # torch's own message advises weights_only=False, i.e. running an untrusted
        # pickle: never pass it on. Say what the file is not.
        if "Unsupported global" in str(exc):
            reason = "it holds Python objects besides weights, which drummernet never loads"
        else:
            reason = "not a PyTorch file, or a truncated one"
        raise ModelFileError(f"{path}: not a {what} ({reason})") from None


def read_model_file(path: str | Path) -> dict[str, Any]:
    """Load and check the dictionary stored in a model file."""
    payload = safe_torch_load(path, "drummernet model file")
    if not isinstance(payload, dict) or not {"config", "state_dict"} <= set(payload):
        raise ModelFileError(f"{path}: not a drummernet model file (no configuration inside)")
    if payload.get("format", 0) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model file format {payload['format']} is newer than this drummernet "
            f"understands ({FORMAT_VERSION}); upgrade drummernet"
        )
    return payload


def load_model(path: str | Path) -> AnalysisNetwork:
    """Rebuild the network stored in ``path`` in evaluation mode."""
    payload = read_model_file(path)
    try:
        config = Config.from_dict(payload["config"])
    except ConfigError as exc:
        raise ModelFileError(f"{path}: incompatible configuration: {exc}") from None
    model = AnalysisNetwork(config)
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise ModelFileError(f"{path}: weights do not match the configuration ({first})") from None
    model.metadata = payload.get("metadata", {})
    model.file = Path(path)
    return model.eval()


def fitted_kit(model: AnalysisNetwork) -> Path | None:
    """The folder of the kit ``drummernet adapt`` fitted with ``model`` (kept beside
    its model file), or None for a model without one or whose kit folder is gone."""
    name = (model.metadata.get("adaptation") or {}).get("kit")
    if not name or model.file is None:
        return None
    folder = Path(model.file).parent / name
    return folder if folder.is_dir() else None
