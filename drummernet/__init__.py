"""DrummerNet: unsupervised drum transcription (Choi & Cho, ISMIR 2019).

The package is laid out like the paper's figure: :mod:`drummernet.model` (the
analysis network), :mod:`drummernet.synth` (the fixed synthesizer) and
:mod:`drummernet.losses` (the onset-spectrum loss), all built from one
:class:`~drummernet.config.Config`.
"""

from drummernet.components import COMPONENTS
from drummernet.config import PRESETS, Config, get_preset
from drummernet.errors import DrummerNetError
from drummernet.losses import OnsetSpectrumLoss
from drummernet.model import AnalysisNetwork, load_model, save_model
from drummernet.synth import Synthesizer, prepare_kernels
from drummernet.transcription import Transcription, transcribe

__version__ = "0.1.0"

__all__ = [
    "COMPONENTS",
    "PRESETS",
    "AnalysisNetwork",
    "Config",
    "DrummerNetError",
    "OnsetSpectrumLoss",
    "Synthesizer",
    "Transcription",
    "get_preset",
    "load_model",
    "prepare_kernels",
    "save_model",
    "transcribe",
]
