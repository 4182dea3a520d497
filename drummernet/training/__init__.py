"""Unsupervised training: the loop, checkpoints and logs (thin over model, synth, losses)."""

from drummernet.training.trainer import SYNTH_KITS, TrainOptions, kit_tensor, train

__all__ = ["SYNTH_KITS", "TrainOptions", "kit_tensor", "train"]
