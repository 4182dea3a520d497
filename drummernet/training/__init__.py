"""Unsupervised training: the loop, checkpoints and logs (thin over model, synth, losses)."""

from drummernet.training.adapt import AdaptOptions, adapt
from drummernet.training.trainer import SYNTH_KITS, TrainOptions, kit_tensor, train

__all__ = ["SYNTH_KITS", "AdaptOptions", "TrainOptions", "adapt", "kit_tensor", "train"]
