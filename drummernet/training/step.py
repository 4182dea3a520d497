"""The training objectives and one optimisation step, shared by ``train`` and ``adapt``.

The unsupervised objective (paper, section 3): the analysis network turns audio
into impulse trains, the synthesizer renders them with a kit's one-shots, and
the loss compares the onset spectra of the rendering and of the input. The
warm start's objective inverts the synthesizer: on audio rendered from known
impulse trains (:mod:`drummernet.datasets.synthesized`), the network's frame
scores are fitted to those trains. Nothing here knows about runs, logs or
checkpoints; the loops in :mod:`trainer` and :mod:`adapt` do.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from drummernet.config import LR_SCHEDULES
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


#: Weight of an onset frame against a frame without one in :func:`inverse_loss`
#: (about one frame in a hundred holds an onset of a playing component).
INVERSE_POS_WEIGHT = 10.0
#: Frames either side of an onset whose target rises linearly towards it.
INVERSE_TOLERANCE_FRAMES = 2


def widen_targets(target: torch.Tensor, width: int = INVERSE_TOLERANCE_FRAMES) -> torch.Tensor:
    """Onset targets ``(..., frames)`` with each 1 spread over ``± width`` frames
    as a triangle (``1 - |d| / (width + 1)``), overlaps taking the maximum."""
    out = target
    for shift in range(1, width + 1):
        weight = 1 - shift / (width + 1)
        later = F.pad(target[..., :-shift], (shift, 0))
        earlier = F.pad(target[..., shift:], (0, shift))
        out = torch.maximum(out, weight * torch.maximum(later, earlier))
    return out


def inverse_loss(
    net: torch.nn.Module,
    audio: torch.Tensor,
    target: torch.Tensor,
    pos_weight: float = INVERSE_POS_WEIGHT,
) -> torch.Tensor:
    """Binary cross-entropy between the network's frame scores for ``audio``
    ``(batch, samples)`` and the onset ``target`` ``(batch, K, frames)`` it was
    rendered from (widened by :func:`widen_targets`); a scalar."""
    scores = net(audio, scores=True)[..., : target.shape[-1]]
    weight = torch.tensor(pos_weight, dtype=scores.dtype, device=scores.device)
    return F.binary_cross_entropy_with_logits(scores, widen_targets(target), pos_weight=weight)


def mixed_loss(
    net: torch.nn.Module,
    synth: Synthesizer,
    loss_fn: OnsetSpectrumLoss,
    batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    kit: torch.Tensor | None = None,
    weight: float = 0.05,
) -> torch.Tensor:
    """The warm start and the paper's loss in one step: :func:`inverse_loss` on rendered
    ``audio`` ``(batch, samples)`` with its ``target`` ``(batch, K, frames)``, plus
    ``weight`` times :func:`reconstruction_loss` of ``unlabeled`` audio
    ``(batch, samples)`` with ``kit``; ``batch`` is ``(audio, target, unlabeled)``.
    The labels keep the slots where the synthesizer put them, while the unlabeled
    audio (the user's recordings, kits the renders never had) is explained by them."""
    audio, target, unlabeled = batch
    supervised = inverse_loss(net, audio, target)
    return supervised + weight * reconstruction_loss(net, synth, loss_fn, unlabeled, kit)


def learning_rate(base: float, step: int, steps: int, schedule: str = "constant") -> float:
    """The learning rate of step ``step`` (0-based) of a run of ``steps``: ``base``
    throughout (``"constant"``), or decayed from ``base`` to 0 along half a cosine
    (``"cosine"``)."""
    if schedule == "constant":
        return base
    if schedule == "cosine":
        return 0.5 * base * (1.0 + math.cos(math.pi * min(step, steps) / max(1, steps)))
    raise ValueError(f"unknown learning-rate schedule {schedule!r}; choose one of: "
                     f"{', '.join(LR_SCHEDULES)}")  # fmt: skip


def optimise(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> float:
    """One gradient step on ``loss``; returns its value before the step."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def train_step(
    net: torch.nn.Module,
    synth: Synthesizer,
    loss_fn: OnsetSpectrumLoss,
    optimizer: torch.optim.Optimizer,
    audio: torch.Tensor,
    kit: torch.Tensor | None = None,
) -> float:
    """One gradient step on the batch ``audio``; returns its loss before the step."""
    return optimise(optimizer, reconstruction_loss(net, synth, loss_fn, audio, kit))


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
