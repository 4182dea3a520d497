"""Differentiable spectral operations in torch: STFT magnitude, median-filter
HPSS, multi-resolution pseudo-CQT, mel and linear spectrograms.

Filterbanks are built once with librosa's public API (``librosa.filters``)
and stored as buffers. Magnitudes are in *amplitude* units: a steady sinusoid
of amplitude A gives about A in the bin at its frequency.
"""

from __future__ import annotations

from typing import Any

import librosa
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from drummernet.config import Config
from drummernet.errors import ConfigError
from drummernet.medians import running_median


def stft(x: torch.Tensor, n_fft: int, hop_length: int, window: torch.Tensor) -> torch.Tensor:
    """Complex STFT of ``(batch, samples)`` audio, centred frames with zero padding.

    Returns ``(batch, n_fft // 2 + 1, samples // hop_length + 1)``, scaled so that a
    sinusoid of amplitude A has magnitude about A at its bin.
    """
    spec = torch.stft(
        x, n_fft, hop_length, window=window, center=True, pad_mode="constant", return_complex=True
    )
    return spec * (2.0 / window.sum())


def symmetric_pad(x: torch.Tensor, radius: int, dim: int) -> torch.Tensor:
    """Pad ``radius`` values on both ends of ``dim`` by mirroring, edge included.

    This is ``scipy.ndimage``'s ``mode="reflect"`` (``d c b a | a b c d | d c b a``);
    a dimension shorter than ``radius`` is padded by repeating it.
    """
    size = x.shape[dim]
    reps = -(-radius // size)  # ceil: enough mirrored copies for short inputs
    pieces = [x]
    for i in range(reps):
        flipped = x.flip(dim) if i % 2 == 0 else x
        pieces = [flipped, *pieces, flipped]
    full = torch.cat(pieces, dim=dim)
    start = reps * size - radius
    return full.narrow(dim, start, size + 2 * radius)


def _window_medians(x: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Running medians of odd length ``size`` along the last axis of ``x`` (``reflect``
    edges) and, for each, the index along that axis of the element it is.

    float32 on the CPU goes through :func:`drummernet.medians.running_median` (scipy's
    one-dimensional path, about ten times faster than a median of each window): each
    value is filtered as an int64 key whose high half orders like the float and whose
    low half is the element's position, so the median key gives the median and where
    it came from at once (ties go to the earlier element). Other dtypes and devices
    take the windows apart with ``unfold`` and ``median``: the same values.
    """
    n = x.shape[-1]
    if x.dtype != torch.float32 or x.device.type != "cpu" or x.numel() >= 2**32:
        radius = size // 2
        values, offsets = symmetric_pad(x, radius, -1).unfold(-1, size, 1).median(dim=-1)
        # padded position -> input position, mirrored the same way as the data
        source = symmetric_pad(torch.arange(n, device=x.device), radius, 0)
        return values, source[offsets + torch.arange(n, device=x.device)]
    bits = x.contiguous().view(torch.int32).to(torch.int64)
    order = torch.where(bits < 0, -(bits & 0x7FFFFFFF) - 1, bits)  # monotonic in the float
    keys = (order << 32) | torch.arange(bits.numel()).view_as(bits)
    medians = torch.from_numpy(running_median(keys.numpy(), size))
    order = medians >> 32
    values = torch.where(order < 0, -order - 1 - 2**31, order).to(torch.int32).view(torch.float32)
    return values, (medians & 0xFFFFFFFF) % n


class _MedianFilter(torch.autograd.Function):
    """Running median along the last axis whose backward scatters straight to the input.

    The gradient is autograd's (each output's gradient goes to the element that
    is its median), but computed by one ``scatter_add`` over the output instead
    of through a ``size`` times larger unfolded tensor, the ``unfold`` and the
    padding: the same numbers, several times faster and without the memory.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, size: int) -> torch.Tensor:
        values, index = _window_medians(x, size)
        ctx.save_for_backward(index)
        return values

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (index,) = ctx.saved_tensors
        return torch.zeros_like(grad).scatter_add_(-1, index, grad), None


def median_filter(x: torch.Tensor, size: int, dim: int) -> torch.Tensor:
    """Running median of odd length ``size`` along ``dim`` (scipy ``reflect`` edges)."""
    return _MedianFilter.apply(x.movedim(dim, -1), size).movedim(-1, dim)


def percussive_mask(magnitude: torch.Tensor, kernel_size: int, power: float) -> torch.Tensor:
    """Soft percussive mask of Fitzgerald's median-filter HPSS.

    ``magnitude (batch, freq, frames)`` -> mask in [0, 1] of the same shape:
    ``P**p / (P**p + H**p)`` with H the median along time and P the median
    along frequency (0 where both are 0), as ``librosa.decompose.hpss(mask=True)``.
    """
    harmonic = median_filter(magnitude, kernel_size, dim=-1)
    percussive = median_filter(magnitude, kernel_size, dim=-2)
    scale = torch.maximum(harmonic, percussive).clamp_min(torch.finfo(magnitude.dtype).tiny)
    p = (percussive / scale) ** power
    h = (harmonic / scale) ** power
    return p / (p + h).clamp_min(torch.finfo(magnitude.dtype).tiny)


class PercussiveSeparation(nn.Module):
    """Onset enhancement: keep the percussive part of ``(batch, samples)`` audio."""

    def __init__(self, n_fft: int, hop_length: int, kernel_size: int, power: float) -> None:
        super().__init__()
        self.n_fft, self.hop_length = n_fft, hop_length
        self.kernel_size, self.power = kernel_size, power
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(
            x,
            self.n_fft,
            self.hop_length,
            window=self.window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        mask = percussive_mask(spec.abs(), self.kernel_size, self.power)
        return torch.istft(
            spec * mask,
            self.n_fft,
            self.hop_length,
            window=self.window,
            center=True,
            length=x.shape[-1],
        )


def cqt_octave_basis(sample_rate: int, fmin: float, bins_per_octave: int, n_fft: int) -> np.ndarray:
    """Magnitude frequency responses of one octave of constant-Q filters.

    The filters are ``librosa.filters.wavelet`` (Hann-windowed, L1-normalised)
    for the ``bins_per_octave`` frequencies from ``fmin``, centred in an
    ``n_fft`` frame. Each row is normalised to sum 1 over frequency, so the
    pseudo-CQT bin is a weighted average of STFT magnitudes.

    Returns ``(bins_per_octave, n_fft // 2 + 1)`` float32.
    """
    freqs = librosa.cqt_frequencies(
        n_bins=bins_per_octave, fmin=fmin, bins_per_octave=bins_per_octave
    )
    filters, lengths = librosa.filters.wavelet(freqs=freqs, sr=sample_rate, window="hann", norm=1)
    if lengths.max() > n_fft:
        raise ConfigError(
            f"constant-Q filters from {fmin:.1f} Hz are {int(np.ceil(lengths.max()))} samples "
            "long, "
            f"longer than the octave's STFT size {n_fft}"
        )
    width = filters.shape[1]
    frame = np.zeros((filters.shape[0], n_fft), dtype=filters.dtype)
    if width <= n_fft:
        start = (n_fft - width) // 2
        frame[:, start : start + width] = filters
    else:
        start = (width - n_fft) // 2
        frame[:] = filters[:, start : start + n_fft]
    basis = np.abs(np.fft.fft(frame, axis=1))[:, : n_fft // 2 + 1]
    return (basis / basis.sum(axis=1, keepdims=True)).astype(np.float32)


class _FilterbankSpectrogram(nn.Module):
    """Magnitude STFT followed by a fixed (bins, n_fft // 2 + 1) filterbank."""

    def __init__(self, n_fft: int, hop_length: int, basis: np.ndarray | None) -> None:
        super().__init__()
        self.n_fft, self.hop_length = n_fft, hop_length
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.register_buffer(
            "basis",
            torch.from_numpy(basis) if basis is not None else torch.empty(0),
            persistent=False,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        magnitude = stft(x, self.n_fft, self.hop_length, self.window).abs()
        if self.basis.numel() == 0:
            return magnitude
        return torch.matmul(self.basis, magnitude)


def octave_decimation(
    sample_rate: int, top_hz: float, n_fft: int, hop_length: int, min_n_fft: int = 256
) -> int:
    """The largest power-of-two factor by which an octave reaching ``top_hz`` can be
    decimated: its Nyquist frequency stays above 1.25 x ``top_hz`` (room for the
    filters' skirts), the hop stays a whole number of samples and the STFT keeps
    ``min_n_fft`` points."""
    factor = 1
    while (
        sample_rate / (4 * factor) > 1.25 * top_hz
        and hop_length % (2 * factor) == 0
        and n_fft // (2 * factor) >= min_n_fft
    ):
        factor *= 2
    return factor


def decimate(spectrum: torch.Tensor, length: int, factor: int) -> torch.Tensor:
    """Band-limit and decimate a signal given its ``rfft`` over ``length`` samples
    (``length`` a multiple of ``factor``): an ideal low-pass by truncating the spectrum."""
    if factor == 1:
        return torch.fft.irfft(spectrum, n=length)
    n = length // factor
    return torch.fft.irfft(spectrum[..., : n // 2 + 1], n=n) / factor


class PseudoCQT(nn.Module):
    """Multi-resolution pseudo-CQT: one STFT size per octave, lowest octave largest.

    ``(batch, samples)`` -> list of ``n_octaves`` tensors
    ``(batch, bins_per_octave, samples // hop + 1)``, lowest octave first.

    With ``config.cqt_decimate`` each octave's signal is first decimated (ideal
    low-pass through the FFT) as far as its top frequency allows, and its STFT size
    and hop shrink by the same factor: the same time span, the same frequencies,
    the same frame times, at a fraction of the cost (the lowest octave's 16,384-point
    STFT becomes 256 points).
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        octaves, factors = [], []
        hop = config.spectrum_hop_length
        for octave in range(config.cqt_n_octaves):
            fmin = config.cqt_fmin * 2**octave
            n_fft = config.cqt_max_n_fft >> octave
            factor = (
                octave_decimation(config.sample_rate, 2 * fmin, n_fft, hop)
                if config.cqt_decimate
                else 1
            )
            basis = cqt_octave_basis(
                config.sample_rate // factor, fmin, config.cqt_bins_per_octave, n_fft // factor
            )
            octaves.append(_FilterbankSpectrogram(n_fft // factor, hop // factor, basis))
            factors.append(factor)
        self.octaves = nn.ModuleList(octaves)
        self.factors = factors
        self.hop = hop

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if max(self.factors) == 1:
            return [octave(x) for octave in self.octaves]
        frames = x.shape[-1] // self.hop + 1
        pad = (-x.shape[-1]) % max(self.factors)
        length = x.shape[-1] + pad
        spectrum = torch.fft.rfft(F.pad(x, (0, pad)))
        return [
            octave(decimate(spectrum, length, factor))[..., :frames]
            for octave, factor in zip(self.octaves, self.factors, strict=True)
        ]


class MelSpectrogram(nn.Module):
    """MEL ablation: one mel spectrogram (rows of the filterbank sum to 1)."""

    def __init__(self, config: Config) -> None:
        super().__init__()
        basis = librosa.filters.mel(
            sr=config.sample_rate,
            n_fft=config.mel_n_fft,
            n_mels=config.mel_n_mels,
            fmin=config.cqt_fmin,
            norm=None,
        )
        basis = basis / np.maximum(basis.sum(axis=1, keepdims=True), 1e-12)
        self.band = _FilterbankSpectrogram(
            config.mel_n_fft, config.spectrum_hop_length, basis.astype(np.float32)
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [self.band(x)]


class LinearSpectrogram(nn.Module):
    """STFT ablation: one linear-frequency magnitude spectrogram."""

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.band = _FilterbankSpectrogram(config.stft_n_fft, config.spectrum_hop_length, None)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [self.band(x)]


def build_spectrum(config: Config) -> nn.Module:
    """The spectral representation named by ``config.spectrum``."""
    return {"cqt": PseudoCQT, "mel": MelSpectrogram, "stft": LinearSpectrogram}[config.spectrum](
        config
    )


def log_compress(magnitude: torch.Tensor, eps: float) -> torch.Tensor:
    """``log10(S + eps) - log10(eps)``: 0 for silence, about 5 for full scale."""
    return torch.log10(magnitude + eps) - float(np.log10(eps))
