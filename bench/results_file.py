"""Where a benchmark writes its dated result, shared by the scripts of ``bench/``."""

from __future__ import annotations

import datetime
from pathlib import Path


def dated_path(folder: str | Path, name: str) -> Path:
    """``folder/NAME/NAME-DATE.json`` (today's date), or ``NAME-DATE-2.json``, ``-3``,
    ... when a run earlier the same day wrote it: a second run keeps the first one's
    numbers. Each benchmark has its folder (with a README naming its command and the
    figures quoted from it). Creates the folder."""
    folder = Path(folder) / name
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{datetime.date.today().isoformat()}"
    path, n = folder / f"{stem}.json", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}.json", n + 1
    return path
