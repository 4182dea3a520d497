"""Temporal layers between the U-net and the sparsity layers.

:class:`RecurrentHead` is the paper's design: a bi-directional GRU and a
uni-directional GRU along time, then a GRU running along the *component* axis
of each frame so that components condition each other. With
``config.gru_window_frames`` > 0 the two time GRUs run on independent windows
of that many frames, folded into the batch (:func:`run_in_windows`): on a CPU a
GRU's cost is set by its number of sequential steps, not by the batch, so this
is several times faster. Each window is run with ``config.gru_context_frames``
of the neighbouring frames on both sides (before it only, for the causal GRU),
which are then dropped: without them every window starts from a zero state at
a fixed place, and training learns that start-up transient, a fixed pattern
that ignores the input, instead of the drums (observed: the activations
collapsed onto the window edges).
:class:`ConvHead` is the CONV ablation: the same shapes with convolutions.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from drummernet.config import Config


def run_in_windows(
    gru: nn.GRU, x: torch.Tensor, window: int, before: int = 0, after: int = 0
) -> torch.Tensor:
    """Run ``gru`` on ``(batch, frames, channels)`` in independent windows.

    The frames are cut into windows of ``window`` frames from frame 0; each is run
    from a zero state with ``before`` frames of the input before it and ``after``
    frames after it (zeros beyond the ends), and only its own frames are kept, so
    the GRU's start-up transient falls on context frames. ``window <= 0`` runs the
    whole sequence at once. Returns ``(batch, frames, gru_out)``.
    """
    if window <= 0:
        return gru(x)[0]
    batch, frames, channels = x.shape
    n = -(-frames // window)
    padded = F.pad(x, (0, 0, before, n * window - frames + after))
    span = before + window + after
    pieces = padded.unfold(1, span, window).permute(0, 1, 3, 2).reshape(batch * n, span, channels)
    out, _ = gru(pieces)
    return out[:, before : before + window].reshape(batch, n * window, -1)[:, :frames]


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
        self.window, self.context = config.gru_window_frames, config.gru_context_frames

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        batch, _, frames = features.shape
        features = features.transpose(1, 2)
        h = run_in_windows(
            self.time_bidirectional, features, self.window, self.context, self.context
        )
        h = run_in_windows(self.time_unidirectional, h, self.window, self.context)  # causal
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
