"""``transcribe(path or array) -> Transcription``: the main entry point for users."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import numpy as np

from drummernet.audio import AudioError, resample, stream_audio, to_mono, valid_audio
from drummernet.errors import DrummerNetWarning, ModelFileError
from drummernet.mixcheck import CHECK_SECONDS, full_mix_warning, harmonic_to_percussive_db
from drummernet.model.io import fitted_kit, load_model
from drummernet.model.network import AnalysisNetwork
from drummernet.transcription.inference import stream_activations
from drummernet.transcription.notes import PeakPicking, curve_members, pick_events
from drummernet.transcription.result import ACTIVATION_DTYPE, Transcription

#: Where the trained default model lives inside the package.
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "pretrained" / "drummernet-default.pt"
#: The other models shipped in the package, by the name ``--model`` takes: ``songs``
#: was fine-tuned with a band under its drums (README, "Songs").
SHIPPED_MODELS = {"songs": DEFAULT_MODEL.with_name("drummernet-songs.pt")}
#: Input whose peak is below this (dBFS) is silence: no network, no onsets.
SILENCE_DB = -80.0
_MODELS: dict[str, AnalysisNetwork] = {}


def get_model(model: AnalysisNetwork | str | Path | None = None) -> AnalysisNetwork:
    """A model object, a model file, a name of :data:`SHIPPED_MODELS` (``"songs"``), or
    None for the default model shipped in the package."""
    if isinstance(model, AnalysisNetwork):
        return model.eval()
    if model is None:
        path, named = DEFAULT_MODEL, "default"
    elif str(model) in SHIPPED_MODELS and not Path(model).is_file():  # a file of that name wins
        path, named = SHIPPED_MODELS[str(model)], str(model)
    else:
        path, named = Path(model), None
    if named is not None and not path.is_file():
        raise ModelFileError(
            f"the {named} model is not installed ({path}); pass a model file with --model"
        )
    key = str(path.resolve())
    if key not in _MODELS:
        _MODELS[key] = load_model(path)
    return _MODELS[key]


def _blocks_and_gain(
    source: str | Path | np.ndarray, sr: int | None, sample_rate: int
) -> tuple[Callable[[], object], float, float, str, np.ndarray]:
    """A factory of audio-block iterators, the input's peak, its duration (s), a
    name, and its first :data:`~drummernet.mixcheck.CHECK_SECONDS`. Files are read
    twice (peak, then audio), block by block, so a long file never sits in memory."""
    head_length = round(CHECK_SECONDS * sample_rate)
    if isinstance(source, np.ndarray):
        if sr is None:
            raise AudioError("an array needs its sample rate: transcribe(audio, sr=...)")
        y = np.asarray(source, dtype=np.float32)
        y = to_mono(y.T if y.ndim == 2 and y.shape[0] < y.shape[1] else y)
        y = valid_audio(resample(valid_audio(y, "audio"), sr, sample_rate), "audio")
        peak = float(np.max(np.abs(y)))
        return (lambda: [y]), peak, len(y) / sample_rate, "<array>", y[:head_length]
    path = Path(source)
    peak, samples, head = 0.0, 0, []
    for block in stream_audio(path, sample_rate):
        if samples < head_length:
            head.append(block[: head_length - samples])
        peak, samples = max(peak, float(np.max(np.abs(block)))), samples + len(block)
    head_audio = np.concatenate(head) if head else np.zeros(0, np.float32)
    return (
        partial(stream_audio, path, sample_rate),
        peak,
        samples / sample_rate,
        str(path),
        head_audio,
    )


def transcribe(
    source: str | Path | np.ndarray,
    sr: int | None = None,
    model: AnalysisNetwork | str | Path | None = None,
    classes: str | Mapping[str, tuple[str, ...]] = "paper",
    peaks: PeakPicking | None = None,
    chunk_s: float = 8.0,
    context_s: float | None = None,
    progress: Callable[[float], None] | None = None,
    check_mix: bool = True,
) -> Transcription:
    """Transcribe drums in a file or an array.

    Parameters
    ----------
    source : path of an audio file (wav, flac, ogg, mp3; any rate, any channels),
        or an array ``(samples,)`` / ``(samples, channels)`` with ``sr``.
    sr : sample rate of an array source, Hz.
    model : a model, a model file, or None for the shipped default model.
    classes : ``"paper"`` (KD, SD, HH), ``"all"`` (plus TT, CY, OT),
        ``"components"`` (one per component) or a mapping label -> components.
    peaks : peak-picking parameters; default: those the model was tuned with.
    chunk_s, context_s : hop and context of chunked inference, s (context: the model's
        receptive field when finite, else 2 s).
    progress : called once per chunk with the seconds of audio that chunk covered
        (their running sum is the audio done).
    check_mix : warn (:class:`~drummernet.errors.DrummerNetWarning`) when the input
        sounds like a full mix rather than drums alone (see :mod:`drummernet.mixcheck`);
        the ratio measured is kept in ``meta["harmonic_to_percussive_db"]``.
    """
    net = get_model(model)
    config = net.config
    peaks = peaks or PeakPicking.for_model(net)
    blocks, peak, duration, name, head = _blocks_and_gain(source, sr, config.sample_rate)
    frame_rate = config.sample_rate / config.upsample_factor
    frames = -(-round(duration * config.sample_rate) // config.upsample_factor)
    result = Transcription(
        events=[],
        activations=np.zeros((config.n_components, frames), ACTIVATION_DTYPE),
        frame_rate=frame_rate,
        components=config.components,
        duration=duration,
        source=name,
        model=str(model) if isinstance(model, str | Path) else "default" if model is None else "",
        classes=curve_members(classes, config.components, peaks),
    )
    kit = fitted_kit(net)
    if kit is not None:  # re-synthesis plays the kit adapt fitted with this model
        result.meta["kit"] = str(kit)
    if peak <= 10 ** (SILENCE_DB / 20):
        result.meta["silent"] = True
        return result
    if check_mix:
        ratio = harmonic_to_percussive_db(head, config.sample_rate)
        result.meta["harmonic_to_percussive_db"] = round(ratio, 2)
        message = full_mix_warning(name, ratio)
        if message:
            warnings.warn(message, DrummerNetWarning, stacklevel=2)
    done = 0  # chunks are written into the preallocated output: no second copy
    on_samples = (lambda n: progress(n / config.sample_rate)) if progress else None
    for part in stream_activations(net, blocks(), chunk_s, context_s, 1.0 / peak, on_samples):
        result.activations[:, done : done + part.shape[1]] = part[:, : frames - done]
        done += part.shape[1]
    result.events = pick_events(result.activations, frame_rate, config.components, classes, peaks)
    return result
