"""Atomic file writes: the one way drummernet writes a file.

Every output (MIDI, CSV, JSON, PNG, WAV, reports, model files, manifests) is
written to a temporary file in the target folder and renamed into place, so an
interrupted run or a full disk never leaves a half-written file, and a file that
was there before stays intact. A failure is one :class:`OutputError` naming the
file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from drummernet.errors import DrummerNetError, OutputError


def atomic_write(
    path: str | Path,
    write: Callable[[Path], None],
    error: type[DrummerNetError] = OutputError,
) -> None:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then rename it to ``path``.

    The temporary name keeps the suffix of ``path`` (writers such as matplotlib
    choose the format from it). On any failure the temporary file is removed; an
    ``OSError`` becomes ``error("PATH: cannot write (reason)")``.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=folder
        )
        os.close(fd)
        tmp = Path(name)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would hide outputs from others
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise error(f"{path}: cannot write ({exc.strerror or exc})") from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _umask() -> int:
    """The process's umask (read by setting it and back: there is no getter)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str, error: type[DrummerNetError] = OutputError) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"), error)
