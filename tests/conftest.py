"""Shared fixtures: small inputs and the synthetic kit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drummernet.config import get_preset
from drummernet.kits import synthetic_kit
from drummernet.synth import prepare_kernels


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture(scope="session")
def paper_kit() -> torch.Tensor:
    """Kernels ``(11, 16000)`` of the synthetic kit, prepared as the paper does."""
    config = get_preset("paper")
    return prepare_kernels(list(synthetic_kit(config.sample_rate).values()), config)
