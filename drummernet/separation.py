"""An optional front end for songs: the drums of a full mix, separated by Demucs.

``transcribe --separate`` runs Demucs (Hybrid Transformer Demucs, ``htdemucs``;
Rouard, Massa and Défossez, ICASSP 2023) on the input and transcribes its
``drums`` stem. Demucs is not a dependency: it is used where the user has it
installed (``pip install demucs``) with its weights in the Hugging Face cache,
where ``demucs.pretrained.get_model("htdemucs")`` leaves them when it has fetched
them once. drummernet never downloads them, and it reads them safely: the
``.safetensors`` file holds only tensors, and the model class it names must be
one of Demucs' own (:data:`MODEL_CLASSES`) and is built from plain JSON
arguments, so a crafted file cannot run code. Separation itself is Demucs'
``apply_model`` (8-second segments, overlap-added).
"""

from __future__ import annotations

import functools
import importlib
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from drummernet.audio import load_audio_channels, resample
from drummernet.errors import DrummerNetError

#: The Hugging Face repository and bag name of the default Demucs model.
HF_REPO, HF_NAME = "adefossez/HTDemucs", "htdemucs"
#: The Demucs model classes a weights file may name.
MODEL_CLASSES = frozenset(
    {"demucs.htdemucs.HTDemucs", "demucs.hdemucs.HDemucs", "demucs.demucs.Demucs"}
)
WEIGHTS_HINT = (
    "fetch them once where there is internet: "
    "python -c 'from demucs.pretrained import get_model; get_model(\"htdemucs\")'"
)
INSTALL_HINT = f"pip install 'drummernet[separate]' (Demucs), then {WEIGHTS_HINT}"


class SeparationError(DrummerNetError):
    """Demucs or its weights are missing, or a weights file is not a Demucs model."""


def _demucs() -> Any:
    try:
        return importlib.import_module("demucs.apply")
    except ImportError as exc:
        raise SeparationError(f"--separate needs Demucs ({exc.name} is missing): "
                              f"{INSTALL_HINT}") from None  # fmt: skip


def cached_weights(name: str = HF_NAME, repo: str = HF_REPO) -> list[Path]:
    """The ``.safetensors`` files of Demucs bag ``name`` in the Hugging Face cache
    (no network); :class:`SeparationError` naming what is missing."""
    _demucs()
    import yaml
    from huggingface_hub import try_to_load_from_cache

    bag = try_to_load_from_cache(repo, f"{name}.yaml")
    if not isinstance(bag, str):
        raise SeparationError(f"--separate: the {name} weights are not in the Hugging Face "
                              f"cache ({repo}); {WEIGHTS_HINT}")  # fmt: skip
    signatures = yaml.safe_load(Path(bag).read_text())["models"]
    files = [try_to_load_from_cache(repo, f"{sig}.safetensors") for sig in signatures]
    missing = [sig for sig, f in zip(signatures, files, strict=True) if not isinstance(f, str)]
    if missing:
        raise SeparationError(f"--separate: {missing[0]}.safetensors of {name} is not in the "
                              f"Hugging Face cache; {WEIGHTS_HINT}")  # fmt: skip
    return [Path(f) for f in files]


def _plain(value: Any) -> Any:
    """JSON arguments with Demucs' fractions (``{"_type": "fraction", ...}``) decoded."""
    if isinstance(value, dict):
        if value.get("_type") == "fraction":
            return Fraction(int(value["numerator"]), int(value["denominator"]))
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@functools.lru_cache(maxsize=2)
def load_separator(path: str | Path) -> Any:
    """A Demucs model from a ``.safetensors`` file as Demucs exports them (tensors,
    and metadata ``klass``, ``args``, ``kwargs`` as JSON), in eval mode."""
    _demucs()
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            state = {key: f.get_tensor(key) for key in f.keys()}
        klass = metadata["klass"]
        args, kwargs = _plain(json.loads(metadata["args"])), _plain(json.loads(metadata["kwargs"]))
    except (OSError, SafetensorError) as exc:
        raise SeparationError(f"{path}: cannot read Demucs weights ({exc})") from None
    except (KeyError, ValueError) as exc:
        raise SeparationError(f"{path}: not a Demucs weights file ({exc})") from None
    if "structure" in metadata:
        raise SeparationError(f"{path}: a quantized Demucs model; use htdemucs")
    if klass not in MODEL_CLASSES or not isinstance(args, list) or not isinstance(kwargs, dict):
        raise SeparationError(f"{path}: names {klass!r}, not a Demucs model class; not loaded")
    module, name = klass.rsplit(".", 1)
    model = getattr(importlib.import_module(module), name)(*args, **kwargs)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise SeparationError(f"{path}: weights do not fit {name} ({str(exc)[:120]})") from None
    return model.eval()


def separate_drums(audio: np.ndarray, sr: int, model: Any) -> tuple[np.ndarray, int]:
    """The drums of ``audio`` ``(samples,)`` or ``(samples, channels)`` at ``sr``:
    ``(samples',)`` float32 mono at the model's rate, and that rate. Deterministic
    (no random time shifts); the input is normalised as Demucs does and the drums
    scaled back."""
    import torch

    apply = _demucs()
    y = np.asarray(audio, dtype=np.float32)
    y = y[:, None] if y.ndim == 1 else y
    channels = model.audio_channels
    y = np.repeat(y[:, :1], channels, axis=1) if y.shape[1] < channels else y[:, :channels]
    rate = int(model.samplerate)
    if sr != rate:
        y = np.stack([resample(y[:, c], sr, rate) for c in range(channels)], axis=1)
    mix = torch.from_numpy(np.ascontiguousarray(y.T))
    centre, scale = mix.mean(), mix.std() + 1e-8  # Demucs' own normalisation
    with torch.no_grad():
        sources = apply.apply_model(model, ((mix - centre) / scale)[None], shifts=0,
                                    split=True, overlap=0.25, progress=False)[0]  # fmt: skip
    drums = sources[list(model.sources).index("drums")] * scale + centre / len(model.sources)
    return drums.mean(dim=0).numpy().astype(np.float32), rate


def separator_weights(choice: str | Path = HF_NAME) -> str:
    """The weights file ``--separate`` names: ``htdemucs`` (the default) is the first
    model of that bag in the Hugging Face cache; anything else a ``.safetensors`` file."""
    if str(choice) == HF_NAME:
        return str(cached_weights()[0])
    if not Path(choice).is_file():
        raise SeparationError(f"--separate {choice}: no such Demucs weights file")
    return str(choice)


def drums_of_file(path: str | Path, weights: str | Path = HF_NAME) -> tuple[np.ndarray, int]:
    """The separated drums of an audio file (see :func:`separate_drums`), by the
    model :func:`separator_weights` finds for ``weights``."""
    model = load_separator(separator_weights(weights))
    audio, sr = load_audio_channels(path)
    return separate_drums(audio, sr, model)
