"""Unlabeled drum audio for training: random fixed-length segments from a folder.

Every file is decoded once (any format ``soundfile`` reads, any rate and
channel count -> 16 kHz mono) into a float32 ``.npy`` cache, and read back
memory-mapped, so an epoch costs no decoding. Files too short or silent are
skipped and reported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from drummernet.audio import AUDIO_EXTENSIONS, AudioError, load_audio
from drummernet.config import SAMPLE_RATE
from drummernet.errors import DrummerNetError
from drummernet.fileio import atomic_write


def find_audio_files(paths: Iterable[str | Path]) -> list[Path]:
    """Audio files among ``paths`` (files, or folders searched recursively), sorted."""
    found: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            found.update(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS)
        elif path.is_file():
            found.add(path)
        else:
            raise DrummerNetError(f"{path}: no such file or folder")
    return sorted(found)


def _cache_path(cache_dir: Path, path: Path, sample_rate: int) -> Path:
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{sample_rate}"
    return cache_dir / (hashlib.sha1(key.encode()).hexdigest()[:20] + ".npy")


def _cached(path: Path, cache: Path, sample_rate: int) -> tuple[np.ndarray | None, str | None]:
    """The decoded file from the cache (memory-mapped), decoding it first if needed."""
    cached = _cache_path(cache, path, sample_rate)
    if not cached.is_file():
        try:
            y = load_audio(path, sample_rate)
        except AudioError as exc:
            return None, str(exc)
        atomic_write(cached, lambda p: np.save(p, y))
    return np.load(cached, mmap_mode="r"), None


@dataclass
class Skipped:
    """A file left out of the dataset, and why."""

    path: Path
    reason: str


class UnlabeledSegments(torch.utils.data.Dataset):
    """Random peak-normalised segments of ``seconds`` s from unlabeled audio files.

    Item ``i`` is drawn from a generator seeded with ``(seed, i)``: the same
    index gives the same segment, so data order is repeatable and resumable.
    A file is chosen with probability proportional to its length.

    Parameters
    ----------
    paths : files and/or folders of audio
    cache_dir : folder for the decoded ``.npy`` cache
    seconds : segment length in s; files shorter than this are skipped
    silence_db : files whose peak is below this (dBFS) are skipped
    length : number of items per epoch
    workers : threads decoding files into the cache
    progress : wraps the iterator of decoded files (``progress(it, total=n)``, e.g. tqdm)
    """

    def __init__(
        self,
        paths: Iterable[str | Path],
        cache_dir: str | Path,
        seconds: float = 2.0,
        sample_rate: int = SAMPLE_RATE,
        silence_db: float = -60.0,
        length: int = 10000,
        seed: int = 0,
        workers: int = 4,
        progress: Callable | None = None,
    ) -> None:
        self.segment = round(seconds * sample_rate)
        self.length, self.seed = length, seed
        self.skipped: list[Skipped] = []
        self.files: list[Path] = []
        self._arrays: list[np.ndarray] = []
        cache = Path(cache_dir)
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DrummerNetError(
                f"cannot create the cache folder {cache}: {exc.strerror}"
            ) from None
        threshold = 10 ** (silence_db / 20)
        files = find_audio_files(paths)
        with ThreadPoolExecutor(max(1, workers)) as pool:  # libsndfile releases the GIL
            decoded = pool.map(lambda p: _cached(p, cache, sample_rate), files)
            decoded = list(progress(decoded, total=len(files)) if progress else decoded)
        for path, (y, error) in zip(files, decoded, strict=True):
            if y is None:
                self.skipped.append(Skipped(path, str(error).removeprefix(f"{path}: ")))
            elif len(y) < self.segment:
                self.skipped.append(Skipped(path, f"shorter than {seconds:g} s"))
            elif float(np.max(np.abs(y))) < threshold:
                self.skipped.append(Skipped(path, f"silent (peak below {silence_db:g} dBFS)"))
            else:
                self.files.append(path)
                self._arrays.append(y)
        if not self.files:
            reasons = "; ".join(f"{s.path.name}: {s.reason}" for s in self.skipped[:3])
            raise DrummerNetError(
                "no usable audio among the given paths" + (f" ({reasons})" if reasons else "")
            )
        lengths = np.array([len(a) - self.segment + 1 for a in self._arrays], dtype=float)
        self._weights = lengths / lengths.sum()

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> torch.Tensor:
        """A ``(samples,)`` float32 segment with peak 1 (or all zeros if silent)."""
        rng = np.random.default_rng([self.seed, index])
        for _ in range(10):  # a silent stretch inside a file: draw again
            array = self._arrays[rng.choice(len(self._arrays), p=self._weights)]
            start = int(rng.integers(0, len(array) - self.segment + 1))
            segment = np.array(array[start : start + self.segment], dtype=np.float32)
            peak = float(np.max(np.abs(segment)))
            if peak > 1e-4:
                return torch.from_numpy(segment / peak)
        return torch.from_numpy(np.zeros(self.segment, dtype=np.float32))


class WithUnlabeled(torch.utils.data.Dataset):
    """``(audio, target, unlabeled)`` items: item ``i`` of a labelled dataset of
    ``(audio, target)`` pairs (e.g. :class:`~drummernet.datasets.synthesized.SynthesizedSegments`)
    with item ``i`` of an :class:`UnlabeledSegments`, for an objective that learns
    from both in one step. Its length is the shorter of the two; ``skipped`` lists
    both datasets' unusable files."""

    def __init__(self, labelled: torch.utils.data.Dataset, unlabeled: UnlabeledSegments) -> None:
        self.labelled, self.unlabeled = labelled, unlabeled
        self.skipped = [*getattr(labelled, "skipped", []), *unlabeled.skipped]

    def __len__(self) -> int:
        return min(len(self.labelled), len(self.unlabeled))  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        audio, target = self.labelled[index]
        return audio, target, self.unlabeled[index]
