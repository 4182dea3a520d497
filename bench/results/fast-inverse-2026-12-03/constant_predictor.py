"""The warm start's loss of the best constant score per component (the base rate).

From the repository root:
``python bench/results/fast-inverse-2026-12-03/constant_predictor.py``.
Draws 64 items of the shipped recipe's data (GMD train rhythms through FluidR3
standard), fits one logit per component to their widened targets with Adam, and prints
the loss it reaches (2026-12-03: 0.106) beside the logits.
"""

import torch
import torch.nn.functional as F

from drummernet.config import get_preset
from drummernet.datasets.synthesized import SynthesizedSegments
from drummernet.training.step import INVERSE_POS_WEIGHT, widen_targets

config = get_preset("inverse")
data = SynthesizedSegments(["../shared/data/groove-midi"], ["fluidr3-standard"], seconds=2.0,
                           sample_rate=config.sample_rate, hop=config.upsample_factor, seed=0,
                           split="train", components=config.components)  # fmt: skip
targets = widen_targets(torch.stack([data[i][1] for i in range(64)]))
logits = torch.zeros(1, config.n_components, 1, requires_grad=True)
optimizer = torch.optim.Adam([logits], lr=0.05)
weight = torch.tensor(INVERSE_POS_WEIGHT)
for _ in range(500):
    loss = F.binary_cross_entropy_with_logits(logits.expand_as(targets), targets, pos_weight=weight)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"constant score per component: loss {loss.item():.3f}; logits {logits.flatten().tolist()}")
