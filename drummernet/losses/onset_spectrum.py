"""The onset-spectrum similarity loss of DrummerNet."""

from __future__ import annotations

import torch
from torch import nn

from drummernet.config import Config
from drummernet.losses.spectral_ops import PercussiveSeparation, build_spectrum, log_compress


class OnsetSpectrumLoss(nn.Module):
    """Mean absolute difference of log spectra of the percussive parts.

    ``features`` = (optional HPSS) -> spectrum bands (8 pseudo-CQT octaves, or
    one mel / STFT band) -> log compression -> cropping of
    ``config.loss_margin_samples`` at each end. The loss is the sum over bands
    of ``band_weight * mean |features(estimate) - features(target)|``.
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.config = config
        self.enhance = (
            PercussiveSeparation(
                config.hpss_n_fft,
                config.hpss_hop_length,
                config.hpss_kernel_size,
                config.hpss_mask_power,
            )
            if config.onset_enhancement
            else None
        )
        self.spectrum = build_spectrum(config)

    def features(self, audio: torch.Tensor) -> list[torch.Tensor]:
        """Log spectra of ``(batch, samples)`` audio, one tensor per band."""
        if self.enhance is not None:
            audio = self.enhance(audio)
        margin = self.config.loss_margin_samples // self.config.spectrum_hop_length
        bands = []
        for band in self.spectrum(audio):
            band = log_compress(band, self.config.log_eps)
            if margin and band.shape[-1] > 2 * margin:
                band = band[..., margin:-margin]
            bands.append(band)
        return bands

    def forward(
        self,
        estimate: torch.Tensor,
        target: torch.Tensor | None = None,
        target_features: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Loss between ``estimate`` and ``target`` audio, both ``(batch, samples)``.

        Pass ``target_features`` (from :meth:`features`) instead of ``target`` to
        reuse the target's spectra; the target never needs a gradient.
        """
        if target_features is None:
            if target is None:
                raise ValueError("give either target or target_features")
            with torch.no_grad():
                target_features = self.features(target)
        estimate_features = self.features(estimate)
        total = estimate.new_zeros(())
        for est, ref in zip(estimate_features, target_features, strict=True):
            total = total + (est - ref).abs().mean()
        return total * self.config.band_weight
