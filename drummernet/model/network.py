"""The analysis network: 16 kHz waveform in, K sparse impulse trains out."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from drummernet.config import Config
from drummernet.model.lite import LiteBody
from drummernet.model.sparsity import sparse_activations
from drummernet.model.temporal import build_temporal_head
from drummernet.model.unet import UNet1d
from drummernet.model.upsample import zero_insertion_upsample


class AnalysisNetwork(nn.Module):
    """U-net -> temporal layers (or the lite body) -> two sparse normalisations ->
    zero insertion.

    Alignment: the input is zero-padded on the right to a multiple of
    ``config.pad_multiple`` samples (1,024 for the paper), every convolution uses
    ``same`` padding, and the output is cropped back to the input length. The
    output therefore has exactly the input's length, and an impulse at sample
    ``n`` is an onset at input sample ``n``: the synthesizer starts the one-shot
    there. Impulses can only fall on multiples of ``config.upsample_factor``.
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.config = config
        if config.body == "lite":
            self.lite = LiteBody(config)
        else:
            self.unet = UNet1d(config)
            self.temporal = build_temporal_head(config, self.unet.out_channels)
        self.metadata: dict = {}  # filled from a model file: training data, steps, scores
        self.file: Path | None = None  # the model file it was loaded from

    def logits(self, audio: torch.Tensor) -> torch.Tensor:
        """Frame-rate scores before normalisation, ``(batch, K, padded_frames)``."""
        padding = (-audio.shape[-1]) % self.config.pad_multiple
        x = F.pad(audio, (0, padding)).unsqueeze(1)
        if self.config.body == "lite":
            return self.lite(x)
        return self.temporal(self.unet(x))

    def frame_activations(self, audio: torch.Tensor) -> torch.Tensor:
        """Activations at the frame rate, ``(batch, K, ceil(samples / upsample_factor))``.

        Frame ``f`` is the impulse at sample ``f * upsample_factor`` of :meth:`forward`.
        """
        frames = -(-audio.shape[-1] // self.config.upsample_factor)
        return sparse_activations(
            self.logits(audio), self.config.time_window_frames, self.config.activation
        )[..., :frames]

    def forward(self, audio: torch.Tensor, scores: bool = False) -> torch.Tensor:
        """Impulse trains for ``audio``.

        Parameters
        ----------
        audio : tensor, shape ``(batch, samples)`` or ``(samples,)``
            Mono waveform at ``config.sample_rate``.
        scores : bool
            Return the frame scores before normalisation instead (:meth:`logits`,
            what the warm start is trained on), ``(batch, K, padded_frames)``.

        Returns
        -------
        tensor, shape ``(batch, K, samples)`` (or ``(K, samples)``), values in [0, 1].
        """
        squeeze = audio.dim() == 1
        if squeeze:
            audio = audio.unsqueeze(0)
        if audio.dim() != 2:
            raise ValueError(f"audio must have shape (batch, samples); got {tuple(audio.shape)}")
        if scores:
            logits = self.logits(audio)
            return logits.squeeze(0) if squeeze else logits
        length = audio.shape[-1]
        frames = sparse_activations(
            self.logits(audio), self.config.time_window_frames, self.config.activation
        )
        out = zero_insertion_upsample(frames, self.config.upsample_factor)[..., :length]
        return out.squeeze(0) if squeeze else out

    def parameter_counts(self) -> dict[str, int]:
        """Trainable parameters of each part (U-net and temporal layers, or the lite body)."""
        return {name: sum(p.numel() for p in part.parameters())
                for name, part in self.named_children()}  # fmt: skip
