"""The analysis network of DrummerNet and its model files."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "io": ["load_model", "save_model"],
        "network": ["AnalysisNetwork"],
    },
)
