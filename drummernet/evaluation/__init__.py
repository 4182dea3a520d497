"""Evaluation with the paper's protocol: onset F-measure per class, per track and summed."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "metrics": ["ClassScore", "score_onsets", "score_track", "summarise"],
        "runner": ["evaluate_tracks", "model_transcriber"],
    },
)
