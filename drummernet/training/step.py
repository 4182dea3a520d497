"""The unsupervised objective and one optimisation step, shared by ``train`` and ``adapt``.

The objective (paper, section 3): the analysis network turns audio into impulse
trains, the synthesizer renders them with a kit's one-shots, and the loss
compares the onset spectra of the rendering and of the input. Nothing here
knows about runs, logs or checkpoints; the loops in :mod:`trainer` and
:mod:`adapt` do.
"""

from __future__ import annotations

import torch

from drummernet.losses import OnsetSpectrumLoss
from drummernet.synth import Synthesizer


def reconstruction_loss(
    net: torch.nn.Module,
    synth: Synthesizer,
    loss_fn: OnsetSpectrumLoss,
    audio: torch.Tensor,
    kit: torch.Tensor | None = None,
) -> torch.Tensor:
    """Loss between ``audio`` ``(batch, samples)`` and its re-synthesis with ``kit``
    (``(K, kernel_samples)``; the synthesizer's own kernels if None); a scalar."""
    return loss_fn(synth(net(audio), kit), audio)


def train_step(
    net: torch.nn.Module,
    synth: Synthesizer,
    loss_fn: OnsetSpectrumLoss,
    optimizer: torch.optim.Optimizer,
    audio: torch.Tensor,
    kit: torch.Tensor | None = None,
) -> float:
    """One gradient step on the batch ``audio``; returns its loss before the step."""
    loss = reconstruction_loss(net, synth, loss_fn, audio, kit)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


@torch.no_grad()
def eval_loss(
    net: torch.nn.Module,
    synth: Synthesizer,
    loss_fn: OnsetSpectrumLoss,
    audio: torch.Tensor,
    kit: torch.Tensor | None = None,
) -> float:
    """The loss on ``audio`` with the network in eval mode (restored afterwards)."""
    was_training = net.training
    net.eval()
    try:
        return float(reconstruction_loss(net, synth, loss_fn, audio, kit))
    finally:
        net.train(was_training)
