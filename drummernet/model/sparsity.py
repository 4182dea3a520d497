"""The two sparse normalisations of the paper, multiplied element-wise.

Sparsemax (Martins & Astudillo, 2016) is the Euclidean projection onto the
probability simplex: outputs sum to 1 and many are exactly 0. We use the
maintained implementation of the ``entmax`` package. A network trained to
invert the synthesizer (``train --objective inverse``) gives each component and
frame its own probability instead: ``kind="sigmoid"``, no normalisation.
"""

from __future__ import annotations

import torch
from entmax import sparsemax

__all__ = ["normalise", "sparse_activations", "sparsemax"]


def normalise(x: torch.Tensor, dim: int, kind: str) -> torch.Tensor:
    """Sparsemax (``kind="sparsemax"``) or softmax (``"softmax"``) along ``dim``."""
    if kind == "sparsemax":
        return sparsemax(x, dim=dim)
    if kind == "softmax":
        return torch.softmax(x, dim=dim)
    raise ValueError(f"unknown normalisation {kind!r}")


def sparse_activations(logits: torch.Tensor, window: int, kind: str = "sparsemax") -> torch.Tensor:
    """Product of a normalisation over components and one over time windows
    (``kind="sigmoid"``: the sigmoid of each score alone).

    Parameters
    ----------
    logits : tensor, shape ``(batch, K, frames)``
        ``frames`` must be a multiple of ``window``.
    window : int
        Frames per non-overlapping time window (64 = 64 ms at 1 kHz).
    kind : str
        ``"sparsemax"`` (paper), ``"softmax"`` (SOFT ablation) or ``"sigmoid"``.

    Returns
    -------
    tensor, shape ``(batch, K, frames)``, values in [0, 1].
    """
    if kind == "sigmoid":
        return torch.sigmoid(logits)
    batch, k, frames = logits.shape
    if frames % window:
        raise ValueError(f"{frames} frames is not a multiple of the {window}-frame window")
    over_components = normalise(logits, dim=1, kind=kind)
    windows = logits.reshape(batch, k, frames // window, window)
    over_time = normalise(windows, dim=-1, kind=kind).reshape(batch, k, frames)
    return over_components * over_time
