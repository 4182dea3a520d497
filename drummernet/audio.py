"""Audio input/output: any file -> mono float32 at the model's rate, with validation.

Decoding is done by ``soundfile`` (libsndfile: wav, flac, ogg, mp3 and more);
resampling by ``soxr`` (high quality, as ``librosa.resample(res_type="soxr_hq")``). Every
failure raises :class:`AudioError` with the file name and the reason.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from drummernet.config import SAMPLE_RATE
from drummernet.errors import DrummerNetError, DrummerNetWarning

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff")


class AudioError(DrummerNetError):
    """Audio that cannot be decoded or used (empty, corrupt, NaN ...)."""


def valid_audio(y: np.ndarray, name: str = "audio") -> np.ndarray:
    """Check a mono signal: 1-D, non-empty, finite. Returns it as float32."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise AudioError(f"{name}: expected mono (1-D) audio; got shape {y.shape}")
    if y.size == 0:
        raise AudioError(f"{name}: audio is empty")
    if not np.issubdtype(y.dtype, np.floating):
        raise AudioError(f"{name}: audio must be floating point; got {y.dtype}")
    if not np.all(np.isfinite(y)):
        raise AudioError(f"{name}: audio contains NaN or infinite samples")
    return y.astype(np.float32, copy=False)


def to_mono(y: np.ndarray) -> np.ndarray:
    """``(samples,)`` or ``(samples, channels)`` -> mean over channels, ``(samples,)``."""
    if y.ndim == 1:
        return y
    return y[:, 0] if y.shape[1] == 1 else y.mean(axis=1, dtype=y.dtype)


#: A mono mix this far (dB) below its channels' mean power means they cancelled.
CANCEL_DB = -20.0


def warn_if_cancelled(channel_power: float, mono_power: float, name: str) -> None:
    """Warn (:class:`DrummerNetWarning`) when a downmix lost most of the channels' power.

    ``channel_power``: mean over channels of the sum of squares; ``mono_power``:
    sum of squares of their mean. Channels in phase give 0 dB, uncorrelated ones
    -3 dB, a polarity-inverted copy -inf dB.
    """
    if channel_power <= 1e-8:  # silence: nothing cancelled
        return
    db = 10 * np.log10(max(mono_power, 1e-30) / channel_power)
    if db < CANCEL_DB:
        warnings.warn(
            f"{name}: its channels cancel when mixed to mono ({db:.0f} dB; out of phase?): "
            "the transcription hears only what is left",
            DrummerNetWarning,
            stacklevel=2,  # one warning per file and reader, however often it is read
        )


def _powers(y: np.ndarray) -> tuple[float, float]:
    """``(samples, channels)`` -> (mean channel power, power of the mean), as sums."""
    if y.ndim == 1 or y.shape[1] == 1:
        return 0.0, 0.0
    y64 = y.astype(np.float64)
    return float(np.mean(np.sum(y64**2, axis=0))), float(np.sum(y64.mean(axis=1) ** 2))


def resample(y: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """High-quality resampling (soxr); a no-op when the rates are equal."""
    if orig_sr == target_sr:
        return y
    if orig_sr <= 0:
        raise AudioError(f"invalid sample rate {orig_sr}")
    out = soxr.resample(y, orig_sr, target_sr, quality="HQ")
    length = -(-len(y) * target_sr // orig_sr)  # ceil(samples * target / source), as librosa
    return np.pad(out, (0, max(0, length - len(out))))[:length]


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    return path


def _cannot_decode(path: Path, exc: Exception) -> AudioError:
    """libsndfile's reason, without its prefixes, as one line naming the file."""
    reason = str(exc).split(":")[-1].strip() or "unknown format"
    if path.stat().st_size == 0:
        reason = "the file is empty"
    elif "does not exist" in reason:  # what libsndfile says of a file it cannot parse at all
        reason = "not a recognised audio format"
    return AudioError(f"{path}: cannot decode audio ({reason})")


@contextlib.contextmanager
def _quiet_decoder(path: Path) -> Iterator[None]:
    """libmpg123 (inside libsndfile) prints resync notes on a damaged mp3 straight
    to the process's stderr; our own error line says what matters, so mp3 decoding
    runs with file descriptor 2 pointed at the null device."""
    if path.suffix.lower() != ".mp3":
        yield
        return
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def load_audio_channels(path: str | Path, check_finite: bool = True) -> tuple[np.ndarray, int]:
    """Decode ``path`` as it is: float32 ``(samples, channels)`` and its rate (Hz).

    Raises :class:`AudioError` for a missing, unreadable or empty file, and (unless
    ``check_finite`` is False, for a caller that checks itself) a non-finite one.
    """
    path = _existing(path)
    try:
        with _quiet_decoder(path):
            y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise _cannot_decode(path, exc) from None
    if y.size == 0:
        raise AudioError(f"{path}: audio file has no samples")
    if check_finite and not np.all(np.isfinite(y)):
        valid_audio(y.ravel(), str(path))  # its one line for NaN or infinite samples
    return y, int(sr)


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode ``path`` to mono float32 at ``sample_rate`` Hz.

    Raises :class:`AudioError` for a missing, unreadable, empty or non-finite file.
    """
    y, sr = load_audio_channels(path, check_finite=False)  # valid_audio checks, once
    y = y[:, 0] if y.shape[1] == 1 else y  # mono files stay one-dimensional
    warn_if_cancelled(*_powers(y), str(path))
    y = valid_audio(to_mono(y), str(path))
    return resample(y, sr, sample_rate).astype(np.float32, copy=False)


def stream_audio(
    path: str | Path, sample_rate: int = SAMPLE_RATE, block_seconds: float = 10.0
) -> Iterator[np.ndarray]:
    """Decode ``path`` block by block to mono float32 at ``sample_rate`` Hz.

    Memory stays bounded by the block size whatever the file's length: blocks are
    downmixed and resampled with a streaming soxr resampler (the same filter as
    :func:`resample`, so the joined blocks match :func:`load_audio` closely).
    Raises :class:`AudioError` as :func:`load_audio` does; a block with NaN or
    infinite samples raises it too.
    """
    path = _existing(path)
    try:
        with _quiet_decoder(path):
            f = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise _cannot_decode(path, exc) from None
    with f:
        if f.samplerate <= 0:
            raise AudioError(f"{path}: invalid sample rate {f.samplerate}")
        stream = (
            soxr.ResampleStream(f.samplerate, sample_rate, 1, dtype="float32", quality="HQ")
            if f.samplerate != sample_rate
            else None
        )
        block = max(1, int(block_seconds * f.samplerate))
        total, produced, channel_power, mono_power = 0, 0, 0.0, 0.0
        while True:
            try:
                with _quiet_decoder(path):
                    y = f.read(block, dtype="float32", always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as exc:
                raise _cannot_decode(path, exc) from None
            last = len(y) < block
            powers = _powers(y)
            channel_power, mono_power = channel_power + powers[0], mono_power + powers[1]
            y = to_mono(y)  # 1-D even when empty: the resampler takes mono blocks only
            if len(y):
                valid_audio(y, str(path))  # the same check (finite samples) as load_audio
            total += len(y)
            out = stream.resample_chunk(y, last=last) if stream is not None else y
            if last:  # the same length as load_audio's: ceil(samples * target / source)
                missing = -(-total * sample_rate // f.samplerate) - produced - len(out)
                out = np.concatenate([out, np.zeros(max(0, missing), out.dtype)])
                out = out[: len(out) + min(0, missing)]
            produced += len(out)
            if len(out):
                yield np.ascontiguousarray(out, dtype=np.float32)
            if last:
                break
        if total == 0:
            raise AudioError(f"{path}: audio file has no samples")
        warn_if_cancelled(channel_power, mono_power, str(path))


def write_audio(path: str | Path, y: np.ndarray, sample_rate: int) -> None:
    """Write mono audio; 16-bit PCM for .wav/.flac, clipped to [-1, 1]."""
    path = Path(path)
    subtype = "PCM_16" if path.suffix.lower() in (".wav", ".flac") else None
    try:
        sf.write(str(path), np.clip(y, -1.0, 1.0), sample_rate, subtype=subtype)
    except (OSError, sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(f"{path}: cannot write audio ({exc})") from None
