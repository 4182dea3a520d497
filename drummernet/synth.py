"""The fixed synthesizer: impulse trains convolved with one-shot drum samples.

The synthesizer has no trainable parameters. A *kit* is a tensor of K kernels,
one one-shot per component in the order of ``Config.components``; any kit can
be plugged in, one per call or one per batch item.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.fft
import torch
from torch import nn

from drummernet.config import Config
from drummernet.errors import KitError


def prepare_kernels(one_shots: Sequence[np.ndarray], config: Config) -> torch.Tensor:
    """Turn K one-shot samples into the synthesizer's kernels.

    Each sample (mono, at ``config.sample_rate``) is cut to its first
    ``config.kernel_seconds``, zero-padded to that length and scaled to L2 norm
    ``config.kernel_norm``, as in the paper.

    Returns
    -------
    tensor, shape ``(K, kernel_samples)``, float32.
    """
    if len(one_shots) != config.n_components:
        raise KitError(
            f"a kit needs {config.n_components} one-shots ({', '.join(config.components)}); "
            f"got {len(one_shots)}"
        )
    length = config.kernel_samples
    kernels = np.zeros((len(one_shots), length), dtype=np.float32)
    for i, (name, sample) in enumerate(zip(config.components, one_shots, strict=True)):
        sample = np.asarray(sample, dtype=np.float64)
        if sample.ndim != 1:
            raise KitError(f"one-shot for {name} must be mono (1-D); got shape {sample.shape}")
        sample = sample[:length]
        norm = float(np.linalg.norm(sample)) if np.all(np.isfinite(sample)) else float("nan")
        if not norm > 0 or not np.isfinite(norm):
            raise KitError(f"one-shot for {name} is silent or not finite")
        kernels[i, : len(sample)] = sample * (config.kernel_norm / norm)
    return torch.from_numpy(kernels)


def fft_convolve(
    signal: torch.Tensor, kernel: torch.Tensor, sum_dim: int | None = None
) -> torch.Tensor:
    """Linear convolution along the last axis by FFT, truncated to the signal length.

    ``signal (..., T)`` and ``kernel (..., L)`` broadcast against each other;
    the result has shape ``(..., T)`` and equals ``numpy.convolve(s, k)[:T]``.
    With ``sum_dim`` the convolutions are summed over that axis (not the last), in
    the frequency domain: one inverse FFT for the sum instead of one per term.
    """
    t, l = signal.shape[-1], kernel.shape[-1]
    n = scipy.fft.next_fast_len(t + l - 1, real=True)
    spectrum = torch.fft.rfft(signal, n=n) * torch.fft.rfft(kernel, n=n)
    if sum_dim is not None:
        spectrum = spectrum.sum(dim=sum_dim)
    return torch.fft.irfft(spectrum, n=n)[..., :t]


class Synthesizer(nn.Module):
    """Sum over components of (impulse train * kernel).

    Parameters
    ----------
    kit : tensor, shape ``(K, L)``, optional
        Default kernels (see :func:`prepare_kernels`); stored as a buffer, not a
        parameter. A kit can also be passed to :meth:`forward`.
    """

    def __init__(self, kit: torch.Tensor | None = None) -> None:
        super().__init__()
        self.register_buffer("kit", kit if kit is not None else torch.empty(0), persistent=False)

    def forward(self, activations: torch.Tensor, kit: torch.Tensor | None = None) -> torch.Tensor:
        """Render impulse trains to audio.

        Parameters
        ----------
        activations : tensor, shape ``(batch, K, T)``
        kit : tensor, shape ``(K, L)`` or ``(batch, K, L)``, optional
            Overrides the default kit (a different kit per batch item if 3-D).

        Returns
        -------
        tensor, shape ``(batch, T)``: the mix, truncated to the input length.
        """
        kit = self.kit if kit is None else kit
        if kit.numel() == 0:
            raise KitError("the synthesizer has no kit: pass one to Synthesizer(kit) or forward()")
        if kit.shape[-2] != activations.shape[-2]:
            raise KitError(
                f"kit has {kit.shape[-2]} components but the activations have "
                f"{activations.shape[-2]}"
            )
        return fft_convolve(activations, kit.to(activations.dtype), sum_dim=-2)
