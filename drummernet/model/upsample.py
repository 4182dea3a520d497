"""Zero-insertion upsampling of frame-rate activations to the audio rate."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def zero_insertion_upsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Put frame ``t`` at sample ``t * factor`` and zeros in between.

    ``(..., frames)`` -> ``(..., frames * factor)``. Differentiable; values are
    not scaled, so each impulse keeps the height the network gave it.
    """
    if factor < 1:
        raise ValueError(f"upsampling factor must be >= 1; got {factor}")
    padded = F.pad(x.unsqueeze(-1), (0, factor - 1))
    return padded.reshape(*x.shape[:-1], x.shape[-1] * factor)
