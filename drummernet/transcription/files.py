"""Transcribing files: input expansion and one file end to end (its outputs written by
:func:`~drummernet.transcription.writing.write_outputs`)."""

from __future__ import annotations

import glob
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

from drummernet.audio import AUDIO_EXTENSIONS
from drummernet.errors import DrummerNetError, DrummerNetWarning
from drummernet.kits.library import get_kit
from drummernet.transcription import outputs
from drummernet.transcription.api import transcribe
from drummernet.transcription.notes import PeakPicking
from drummernet.transcription.writing import write_outputs


def _is_audio_file(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_EXTENSIONS and path.is_file()


def _is_own_output(path: Path) -> bool:
    """One of drummernet's own audio outputs (``*.resynth.wav``, ``*.ab.wav``): those
    in folders and glob matches are never inputs."""
    return path.name.lower().endswith(outputs.OWN_AUDIO_SUFFIXES)


def _is_input_audio(path: Path) -> bool:
    return _is_audio_file(path) and not _is_own_output(path)


def expand_inputs(inputs: Iterable[str]) -> list[Path]:
    """Files, folders (searched recursively for audio files) and glob patterns -> files.

    A name that matches nothing is kept, so that it is reported as missing. A
    folder with no audio files is a :class:`DrummerNetError` when nothing else
    was found, else a warning. The tool's own audio outputs (re-syntheses) found in
    a folder or by a pattern are left out; a file named on its own is kept.
    """
    files: list[Path] = []
    empty: list[str] = []
    for item in inputs:
        pattern = glob.has_magic(item)
        matches = sorted(glob.glob(item, recursive=True)) if pattern else [item]
        for match in map(Path, matches or [item]):
            if match.is_dir():
                found = sorted(filter(_is_input_audio, match.rglob("*")))
                files += found
                if not found:
                    empty.append(str(match))
            elif not (pattern and _is_own_output(match)):
                files.append(match)
    kinds = ", ".join(AUDIO_EXTENSIONS)
    if empty and not files:
        raise DrummerNetError(f"no audio files ({kinds}) found in {', '.join(empty)}")
    for folder in empty:
        warnings.warn(f"{folder}: no audio files ({kinds}) found", DrummerNetWarning, 2)
    return list(dict.fromkeys(files))


def transcribe_file(
    path: str | Path,
    formats: list[str],
    out_dir: str | Path | None = None,
    overwrite: bool = False,
    model: str | Path | None = None,
    classes: str = "paper",
    peaks: PeakPicking | None = None,
    progress: Callable[[float], None] | None = None,
    options: outputs.OutputOptions = outputs.DEFAULT_OPTIONS,
    stem: str | None = None,
    separate: str | None = None,
) -> dict[str, int]:
    """Transcribe one file and write the chosen ``formats`` (with ``options``:
    quantization, time signature, re-synthesis kit); returns onsets per class.
    The outputs are named ``stem`` + suffix (default: the input's stem; in a batch,
    :func:`~drummernet.transcription.outputs.output_stems`).

    Existing outputs are an error unless ``overwrite``; it is checked before any
    work is done, and nothing is written when transcription fails. With ``separate``
    (``"htdemucs"`` or a Demucs weights file), the drums Demucs separates from the
    input are transcribed (:mod:`drummernet.separation`).
    """
    unknown = [f for f in formats if f not in outputs.FORMATS]
    if unknown:
        raise DrummerNetError(
            f"unknown output format {unknown[0]!r}; use {', '.join(outputs.FORMATS)}"
        )
    paths = outputs.output_paths(path, formats, out_dir, stem)
    if not overwrite:
        existing = [str(p) for p in paths.values() if p.exists()]
        if existing:
            raise DrummerNetError(f"{existing[0]} exists (use --overwrite to replace it)")
    if out_dir is not None:
        try:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DrummerNetError(f"cannot create {out_dir}: {exc.strerror}") from None
    if options.kit is not None and {"wav", "ab.wav", "html"} & set(formats):
        get_kit(options.kit)  # an unknown kit fails before the work
    if separate:
        from drummernet.separation import drums_of_file

        drums, rate = drums_of_file(path, separate)
        result = transcribe(drums, sr=rate, model=model, classes=classes, peaks=peaks,
                            progress=progress)  # fmt: skip
        result.source = str(path)
        result.meta["separated_by"] = Path(separate).name
    else:
        result = transcribe(path, model=model, classes=classes, peaks=peaks, progress=progress)
    write_outputs(result, paths, options, path)
    return result.counts()
