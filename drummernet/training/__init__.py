"""Unsupervised training: the loop, checkpoints and logs (thin over model, synth, losses)."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "adapt": ["AdaptOptions", "adapt", "adapt_per_file"],
        "options": ["SYNTH_KITS", "TrainOptions"],
        "run": ["resume_settings"],
        "trainer": ["kit_tensor", "train"],
    },
)
