"""Writing the chosen outputs of one transcription, each format by its writer."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from drummernet.audio import load_audio
from drummernet.transcription import outputs
from drummernet.transcription.notation import write_musicxml
from drummernet.transcription.page import EMBED_SECONDS, write_html
from drummernet.transcription.resynthesis import ab_stereo, resynthesize, write_wav
from drummernet.transcription.types import TranscriptionLike


def write_outputs(
    result: TranscriptionLike,
    paths: dict[str, Path],
    options: outputs.OutputOptions,
    source: Path | None,
) -> None:
    """Write ``{format: path}`` outputs of one transcription of ``source`` (None: no
    input audio to show, e.g. an array); the input audio and the re-synthesis are
    computed once, and only when a format needs them."""
    original = cache(lambda: load_audio(source) if source is not None else None)
    resynthesis = cache(lambda: resynthesize(result, options.kit))
    short = result.duration <= EMBED_SECONDS
    for fmt, target in paths.items():
        if fmt == "png":
            outputs.write_png(result, target, original() if short else None)
        elif fmt == "musicxml":
            write_musicxml(result, target, options)
        elif fmt == "wav":
            write_wav(target, resynthesis())
        elif fmt == "ab.wav":
            write_wav(target, ab_stereo(original(), resynthesis()))
        elif fmt == "html":
            audio = (original(), resynthesis()) if short else (None, None)
            write_html(result, target, *audio, outputs=paths, source=source)
        elif fmt == "mid":
            outputs.write_midi(result, target, options)
        else:
            outputs.WRITERS[fmt](result, target)
