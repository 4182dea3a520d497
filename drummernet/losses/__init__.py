"""Spectral operations and the onset-spectrum loss."""

from drummernet.losses.onset_spectrum import OnsetSpectrumLoss
from drummernet.losses.spectral_ops import PercussiveSeparation, PseudoCQT, build_spectrum

__all__ = ["OnsetSpectrumLoss", "PercussiveSeparation", "PseudoCQT", "build_spectrum"]
