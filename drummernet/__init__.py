"""DrummerNet: unsupervised drum transcription (Choi & Cho, ISMIR 2019).

The package is laid out like the paper's figure: :mod:`drummernet.model` (the
analysis network), :mod:`drummernet.synth` (the fixed synthesizer) and
:mod:`drummernet.losses` (the onset-spectrum loss), all built from one
:class:`~drummernet.config.Config`.
"""

import lazy_loader

# Submodules load on first use, so that `import drummernet` (and every
# command that does not run the network) starts without torch or librosa.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "components": ["COMPONENTS"],
        "config": ["PRESETS", "Config", "get_preset"],
        "errors": ["DrummerNetError"],
        "losses": ["OnsetSpectrumLoss"],
        "model": ["AnalysisNetwork", "load_model", "save_model"],
        "synth": ["Synthesizer", "prepare_kernels"],
        "transcription": ["Transcription", "transcribe"],
    },
)

__version__ = "0.1.0"
