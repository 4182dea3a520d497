"""The ``lite`` analysis body: a spectral front end at the frame rate, dilated
convolutions, and a GRU at an eighth of the frame rate for context.

Where the paper's U-net runs 128 channels at 16 kHz and its GRUs step 1,000 times
a second, this body never works above the frame rate (1 kHz):

1. **Front end**: log-magnitude STFTs hopped by ``upsample_factor`` samples, so
   frame ``f`` is centred on sample ``f * upsample_factor`` (the impulse the frame
   stands for): a short window (``lite_short_fft``: timing, hats and snares) and
   the low bins of a long one (``lite_long_fft``: kick versus toms; computed on
   decimated audio, so it costs what the short one does). A 1x1
   convolution mixes the bins into ``lite_channels``.
2. **Local layers**: residual kernel-3 convolutions dilated 1, 2, 4, ... frames
   (``lite_dilations``), a receptive field of about ±2^n ms.
3. **Context**: the features averaged over ``lite_pool`` frames run through a
   bi-directional GRU on fixed windows (as ``fast``'s GRUs, :func:`run_in_windows`),
   held back at full rate and joined with the local features; a 1x1 convolution
   gives one score per component and frame.
4. **2-D context** (``lite_context_conv``, the ``crnn`` preset): the front end's bins
   pooled into log-spaced bands (:func:`log_band_weights`) at the GRU's rate, through
   blocks of two 3x3 convolutions and a halving of the bands, as the field's
   supervised CRNNs do; their features join the GRU's input.

Every stage is either frame-local or has a finite receptive field on a fixed
grid, so chunked inference equals whole-file inference (``pad_multiple`` covers
the GRU windows).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from drummernet.config import LITE_LOWPASS_TAPS, Config
from drummernet.model.temporal import run_in_windows

#: Gain inside the front end's log: ``log1p(gain * |STFT|)``.
_LOG_GAIN = 100.0


def lowpass_taps(factor: int, taps: int = LITE_LOWPASS_TAPS) -> torch.Tensor:
    """A windowed-sinc low-pass for decimation by ``factor`` (cut-off at 90 % of the
    new Nyquist frequency, unit gain at DC), shape ``(1, 1, taps)``."""
    n = torch.arange(taps, dtype=torch.float64) - taps // 2
    cutoff = 0.9 / factor  # of the old Nyquist frequency
    h = (
        cutoff
        * torch.sinc(cutoff * n)
        * torch.hann_window(taps, periodic=False, dtype=torch.float64)
    )
    return (h / h.sum()).float().reshape(1, 1, taps)


def _band_centres(
    fmin: float, fmax: float, count: int, step: Callable[[float], float]
) -> list[float]:
    """``count + 2`` frequencies from ``fmin`` to ``fmax``: each the previous times one
    ratio, or plus ``step(previous)`` (the bin width there) where that is larger."""

    def walk(ratio: float) -> list[float]:
        centres = [fmin]
        for _ in range(count + 1):
            centres.append(max(centres[-1] * ratio, centres[-1] + step(centres[-1])))
        return centres

    low, high = 1.0, fmax / fmin
    for _ in range(60):  # bisect the ratio that ends the walk at fmax
        ratio = (low + high) / 2
        low, high = (ratio, high) if walk(ratio)[-1] < fmax else (low, ratio)
    return walk((low + high) / 2)


def log_band_weights(
    sample_rate: int, short_fft: int, long_fft: int, long_bins: int, bands: int,
    fmin: float = 40.0,
) -> torch.Tensor:  # fmt: skip
    """Triangular log-frequency bands over the front end's bins.

    The front end's bins are the short STFT's ``short_fft // 2 + 1`` followed by the
    long STFT's lowest ``long_bins``. Below the long STFT's top bin the bands read the
    long one (finer), above it the short one. Band centres are log-spaced from
    ``fmin`` to the Nyquist frequency, but never closer than a bin (low down the
    spacing is linear, as in madmom's log filterbanks with unique filters).

    Returns
    -------
    tensor, shape ``(bands, short_fft // 2 + 1 + long_bins)``
        Each row sums to 1.
    """
    short = torch.arange(short_fft // 2 + 1, dtype=torch.float64) * sample_rate / short_fft
    long = torch.arange(long_bins, dtype=torch.float64) * sample_rate / long_fft
    split = float(long[-1])
    freqs = torch.cat([short, long])
    usable = torch.cat([short > split, long > 0])

    def bin_width(f: float) -> float:
        return sample_rate / (long_fft if f < split else short_fft)

    edges = torch.log(torch.tensor(
        _band_centres(fmin, sample_rate / 2, bands, bin_width), dtype=torch.float64
    ))  # fmt: skip
    logf = torch.log(freqs.clamp(min=1e-9))
    weights = torch.zeros(bands, freqs.numel(), dtype=torch.float64)
    for b in range(bands):
        lo, mid, hi = edges[b : b + 3]
        rise = (logf - lo) / (mid - lo)
        fall = (hi - logf) / (hi - mid)
        row = torch.clamp(torch.minimum(rise, fall), min=0) * usable
        if row.sum() == 0:
            distance = torch.where(usable, (logf - mid).abs(), torch.inf)
            row[int(distance.argmin())] = 1.0
        weights[b] = row / row.sum()
    return weights.float()


class ContextConv(nn.Module):
    """``(batch, bins, pooled frames)`` log magnitudes -> ``(batch, features, pooled
    frames)``: log bands, then blocks of two 3x3 convolutions (time x bands, ELU) each
    followed by a max-pool halving the bands, then a 1x1 convolution over what is left."""

    def __init__(self, config: Config) -> None:
        super().__init__()
        weights = log_band_weights(
            config.sample_rate, config.lite_short_fft, config.lite_long_fft,
            config.lite_long_bins, config.lite_context_bands,
        )  # fmt: skip
        self.register_buffer("bands", weights, persistent=False)
        layers: list[nn.Module] = []
        channels = 1
        for width in config.lite_context_conv:
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ELU(),
                       nn.Conv2d(width, width, 3, padding=1), nn.ELU(),
                       nn.MaxPool2d((2, 1))]  # fmt: skip
            channels = width
        self.blocks = nn.Sequential(*layers)
        left = config.lite_context_bands // 2 ** len(config.lite_context_conv)
        self.output = nn.Conv1d(channels * left, config.lite_context_features, 1)

    def forward(self, pooled_spectrum: torch.Tensor) -> torch.Tensor:
        x = torch.einsum("kb,nbt->nkt", self.bands, pooled_spectrum).unsqueeze(1)
        x = self.blocks(x)  # (batch, channels, bands, frames)
        return F.elu(self.output(x.flatten(1, 2)))


def _magnitude(spectrum: torch.Tensor, out: torch.Tensor) -> None:
    """``|spectrum|`` written into ``out``: ``hypot`` of the real and imaginary parts,
    bit-identical to ``torch.abs`` of the complex tensor and 2.4x faster on a CPU."""
    parts = torch.view_as_real(spectrum)
    torch.hypot(parts[..., 0], parts[..., 1], out=out)


class LiteBody(nn.Module):
    """``(batch, 1, samples)`` audio -> ``(batch, K, samples // upsample_factor)`` scores."""

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.hop = config.upsample_factor
        self.short_fft, self.long_fft = config.lite_short_fft, config.lite_long_fft
        self.long_bins = config.lite_long_bins
        self.register_buffer("short_window", torch.hann_window(self.short_fft), persistent=False)
        self.register_buffer(
            "lowpass", lowpass_taps(self.long_fft // self.short_fft), persistent=False
        )
        width = config.lite_channels
        bins = self.short_fft // 2 + 1 + self.long_bins
        self.input = nn.Conv1d(bins, width, 1)
        self.local = nn.ModuleList(
            nn.Conv1d(width, width, 3, dilation=d, padding=d) for d in config.lite_dilations
        )
        self.pool = config.lite_pool
        units = config.lite_gru_units
        self.context_conv = ContextConv(config) if config.lite_context_conv else None
        extra = config.lite_context_features if self.context_conv is not None else 0
        self.context = nn.GRU(width + extra, units, batch_first=True, bidirectional=True)
        self.window, self.window_context = config.lite_gru_window, config.lite_gru_context
        self.output = nn.Conv1d(width + 2 * units, config.n_components, 1)

    def spectrum(self, audio: torch.Tensor) -> torch.Tensor:
        """Log magnitudes ``(batch, bins, frames)``, frame ``f`` centred on sample
        ``f * hop``. The long STFT is taken on the audio low-passed and decimated by
        ``long_fft / short_fft`` (same bins, a quarter of the work). Magnitudes are
        written into one output and logged in place (no concatenated copies)."""
        x = audio[:, 0]
        frames = x.shape[-1] // self.hop
        short_bins = self.short_fft // 2 + 1
        out = x.new_empty(x.shape[0], short_bins + self.long_bins, frames)
        short = torch.stft(x, self.short_fft, self.hop, window=self.short_window, center=True,
                           pad_mode="constant", return_complex=True)  # fmt: skip
        _magnitude(short[..., :frames], out[:, :short_bins])
        del short
        factor = self.long_fft // self.short_fft
        taps = self.lowpass.shape[-1]
        low = F.conv1d(F.pad(audio, (taps // 2, taps // 2)), self.lowpass, stride=factor)[:, 0]
        long = torch.stft(low, self.short_fft, self.hop // factor, window=self.short_window,
                          center=True, pad_mode="constant", return_complex=True)  # fmt: skip
        _magnitude(long[:, : self.long_bins, :frames], out[:, short_bins:])
        return out.mul_(_LOG_GAIN).log1p_()

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        spectrum = self.spectrum(audio)
        h = F.elu(self.input(spectrum))
        for conv in self.local:
            h = h + F.elu(conv(h))
        frames = h.shape[-1]
        pooled = F.avg_pool1d(h, self.pool)
        if self.context_conv is not None:
            bands = self.context_conv(F.avg_pool1d(spectrum, self.pool))
            pooled = torch.cat([pooled, bands], dim=1)
        pooled = pooled.transpose(1, 2)  # (batch, frames / pool, features)
        context = run_in_windows(
            self.context, pooled, self.window, self.window_context, self.window_context
        )
        context = context.transpose(1, 2).repeat_interleave(self.pool, dim=-1)[..., :frames]
        return self.output(torch.cat([h, context], dim=1))
