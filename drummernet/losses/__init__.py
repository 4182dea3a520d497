"""Spectral operations and the onset-spectrum loss."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "onset_spectrum": ["OnsetSpectrumLoss"],
        "spectral_ops": ["PercussiveSeparation", "PseudoCQT", "build_spectrum"],
    },
)
