"""Evaluation with the paper's protocol: onset F-measure per class, per track and summed."""

from drummernet.evaluation.metrics import ClassScore, score_onsets, score_track, summarise
from drummernet.evaluation.runner import evaluate_tracks, model_transcriber

__all__ = [
    "ClassScore",
    "evaluate_tracks",
    "model_transcriber",
    "score_onsets",
    "score_track",
    "summarise",
]
