"""1-D U-net over the raw waveform (the first stage of the analysis network)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from drummernet.config import Config


class UNet1d(nn.Module):
    """Encoder of conv + max-pool(2) stages, decoder of conv + x2 linear interpolation.

    Every convolution has stride 1, ``same`` zero padding and is followed by an
    ELU, so frame ``t`` of a map at depth ``d`` covers input samples
    ``[t * 2**d, (t + 1) * 2**d)``: there is no offset between input and output.

    Input ``(batch, 1, samples)`` with ``samples`` a multiple of
    ``2 ** unet_encoder_depth``; output ``(batch, out_channels, samples // upsample_factor)``.
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        k, bias = config.unet_kernel_size, config.unet_bias
        first, width = config.unet_first_channels, config.unet_channels
        self.encoder_depth = config.unet_encoder_depth
        self.first_skip = config.unet_encoder_depth - config.unet_decoder_depth

        def conv(c_in: int, c_out: int) -> nn.Conv1d:
            return nn.Conv1d(c_in, c_out, k, padding=k // 2, bias=bias)

        self.input_conv = conv(1, first)
        skip_channels = [first] + [width] * self.encoder_depth  # channels at each depth
        self.encoder = nn.ModuleList(
            conv(skip_channels[d], width) for d in range(self.encoder_depth)
        )
        decoder = []
        channels = width
        for step in range(config.unet_decoder_depth):
            decoder.append(conv(channels, width))
            channels = width + skip_channels[self.encoder_depth - 1 - step]
        self.decoder = nn.ModuleList(decoder)
        self.out_channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % (2**self.encoder_depth):
            raise ValueError(
                f"U-net input length {x.shape[-1]} is not a multiple of {2**self.encoder_depth}"
            )
        # The decoder reads the skips of the deepest ``decoder_depth`` levels only. At
        # the other levels the activation feeds the next max-pool alone, and as the
        # ELU is increasing, pool(elu(h)) == elu(pool(h)) (values and gradients):
        # applying it after the pool halves its cost (most at the 128-channel input).
        h = self.input_conv(x)
        skips = []
        for depth, conv in enumerate(self.encoder):
            if depth >= self.first_skip:
                h = F.elu(h)
                skips.append(h)
                h = F.max_pool1d(h, 2)
            else:
                skips.append(None)
                h = F.elu(F.max_pool1d(h, 2))
            h = conv(h)
        h = F.elu(h)
        skips.append(h)
        for step, conv in enumerate(self.decoder):
            h = F.elu(conv(h))
            h = F.interpolate(h, scale_factor=2, mode="linear", align_corners=False)
            h = torch.cat([h, skips[self.encoder_depth - 1 - step]], dim=1)
        return h
