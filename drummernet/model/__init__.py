"""The analysis network of DrummerNet and its model files."""

from drummernet.model.io import load_model, save_model
from drummernet.model.network import AnalysisNetwork

__all__ = ["AnalysisNetwork", "load_model", "save_model"]
