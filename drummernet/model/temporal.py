"""Temporal layers between the U-net and the sparsity layers.

:class:`RecurrentHead` is the paper's design: a bi-directional GRU and a
uni-directional GRU along time, then a GRU running along the *component* axis
of each frame so that components condition each other. With
``config.gru_window_frames`` > 0 the two time GRUs run on independent windows
of that many frames, folded into the batch (:func:`run_in_windows`): on a CPU a
GRU's cost is set by its number of sequential steps, not by the batch, so this
is several times faster; the unidirectional GRU's windows are shifted by half a
window so that no frame sits at a window edge in both layers.
:class:`ConvHead` is the CONV ablation: the same shapes with convolutions.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from drummernet.config import Config


def run_in_windows(gru: nn.GRU, x: torch.Tensor, window: int, shift: int = 0) -> torch.Tensor:
    """Run ``gru`` on ``(batch, frames, channels)`` in independent windows.

    Windows are ``window`` frames long and start at frame ``-shift`` (zeros
    are padded before the first and after the last frame); each starts from a
    zero state. ``window <= 0`` runs the whole sequence at once. Returns
    ``(batch, frames, gru_out)``.
    """
    if window <= 0:
        return gru(x)[0]
    batch, frames, channels = x.shape
    total = -(-(frames + shift) // window) * window
    padded = F.pad(x, (0, 0, shift, total - frames - shift))
    out, _ = gru(padded.reshape(batch * (total // window), window, channels))
    return out.reshape(batch, total, -1)[:, shift : shift + frames]


class RecurrentHead(nn.Module):
    """``(batch, channels, frames)`` features -> ``(batch, K, frames)`` logits."""

    def __init__(self, config: Config, in_channels: int) -> None:
        super().__init__()
        k = config.n_components
        bi, uni, comp = (
            config.gru_bidirectional_units,
            config.gru_unidirectional_units,
            config.component_gru_units,
        )
        self.time_bidirectional = nn.GRU(in_channels, bi, batch_first=True, bidirectional=True)
        self.time_unidirectional = nn.GRU(2 * bi, uni, batch_first=True)
        self.to_components = nn.Linear(uni, k) if uni != k else nn.Identity()
        self.component_gru = nn.GRU(1, comp, batch_first=True)
        self.component_out = nn.Linear(comp, 1) if comp != 1 else nn.Identity()
        self.window = config.gru_window_frames

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        batch, _, frames = features.shape
        h = run_in_windows(self.time_bidirectional, features.transpose(1, 2), self.window)
        h = run_in_windows(self.time_unidirectional, h, self.window, self.window // 2)
        h = self.to_components(h)  # (batch, frames, K)
        k = h.shape[-1]
        h, _ = self.component_gru(h.reshape(batch * frames, k, 1))  # run along components
        h = self.component_out(h).reshape(batch, frames, k)
        return h.transpose(1, 2)


class ConvHead(nn.Module):
    """CONV ablation: kernel-3 convolutions along time and a 1x1 mix across components."""

    def __init__(self, config: Config, in_channels: int) -> None:
        super().__init__()
        k = config.n_components
        bi, uni = 2 * config.gru_bidirectional_units, config.gru_unidirectional_units
        self.time_conv1 = nn.Conv1d(in_channels, bi, 3, padding=1)
        self.time_conv2 = nn.Conv1d(bi, uni, 3, padding=1)
        self.to_components = nn.Conv1d(uni, k, 1)
        self.component_mix = nn.Conv1d(k, k, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        h = F.elu(self.time_conv1(features))
        h = F.elu(self.time_conv2(h))
        return self.component_mix(torch.tanh(self.to_components(h)))


def build_temporal_head(config: Config, in_channels: int) -> nn.Module:
    """The temporal layers named by ``config.temporal_model``."""
    if config.temporal_model == "conv":
        return ConvHead(config, in_channels)
    return RecurrentHead(config, in_channels)
