"""Running the analysis network over audio of any length, in chunks, without drift.

Audio is cut into hops of ``chunk`` samples; each hop is run with ``context``
samples of audio on either side and only the hop's own frames are kept. Hop
and context are multiples of the network's ``pad_multiple`` (1,024 samples for
the paper, 4,096 for ``fast``), so every chunk starts on the global frame grid
and on the grid of the time-axis sparsemax windows (and of the GRU windows of
``fast``): an impulse at frame ``f`` of a chunk is frame
``start / upsample_factor + f`` of the file, exactly. With a finite receptive
field (``conv``, ``fast``) chunked activations equal whole-file ones. (The
reference code added 32 samples per chunk and drifted 2 ms every 19.2 s.)

Memory is bounded by the chunk and context lengths plus the output, which is
``K`` float32 values per frame (11 x 4 bytes x 1,000 frames/s ≈ 160 MB per hour
for the paper configuration).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from drummernet.model.network import AnalysisNetwork


def _round_up(value: float, multiple: int) -> int:
    return max(multiple, int(-(-round(value) // multiple) * multiple))


#: Context (s) on either side of a chunk for models whose receptive field is unbounded.
DEFAULT_CONTEXT_S = 2.0


def chunk_lengths(
    model: AnalysisNetwork, chunk_s: float, context_s: float | None = None
) -> tuple[int, int]:
    """``(hop, context)`` in samples, rounded up to multiples of ``pad_multiple``.
    ``context_s=None``: the model's receptive field when it is finite (chunked then
    equals whole-file output, at the least cost), else :data:`DEFAULT_CONTEXT_S`."""
    config = model.config
    if context_s is None:
        field = config.receptive_field_samples
        context = field if field is not None else DEFAULT_CONTEXT_S * config.sample_rate
    else:
        context = context_s * config.sample_rate
    return (
        _round_up(chunk_s * config.sample_rate, config.pad_multiple),
        _round_up(context, config.pad_multiple) if context > 0 else 0,
    )


@dataclass(frozen=True)
class _Window:
    """One hop ``[start, stop)`` of the file and its audio with context, from ``first``."""

    start: int
    stop: int
    first: int
    audio: np.ndarray


def _windows(blocks: Iterable[np.ndarray], hop: int, context: int) -> Iterator[_Window]:
    """The hops of a stream of blocks, each with up to ``context`` samples either side;
    only what the next hops need is kept."""
    buffer = np.zeros(0, dtype=np.float32)
    buffer_start = 0  # file sample index of buffer[0]
    start = 0  # first sample of the next hop

    def window(end_of_audio: int) -> _Window:
        stop = min(start + hop, end_of_audio)
        first, last = max(0, start - context), min(end_of_audio, stop + context)
        return _Window(start, stop, first, buffer[first - buffer_start : last - buffer_start])

    for block in blocks:
        buffer = np.concatenate([buffer, np.asarray(block, dtype=np.float32)])
        while buffer_start + len(buffer) >= start + hop + context:
            yield window(buffer_start + len(buffer))
            start += hop
            drop = max(0, start - context) - buffer_start
            buffer, buffer_start = buffer[drop:], buffer_start + drop
    end = buffer_start + len(buffer)
    while start < end:
        yield window(end)
        start += hop


@torch.no_grad()
def stream_activations(
    model: AnalysisNetwork,
    blocks: Iterable[np.ndarray],
    chunk_s: float = 8.0,
    context_s: float | None = None,
    gain: float = 1.0,
    on_samples: Callable[[int], None] | None = None,
) -> Iterator[np.ndarray]:
    """Frame activations ``(K, frames)`` of consecutive hops of a stream of audio blocks.

    ``blocks`` are mono float arrays at the model's rate, of any sizes; each is
    multiplied by ``gain``. Joined, the outputs have ``ceil(samples / upsample_factor)``
    frames. ``on_samples`` is called with the number of samples each hop covers.
    """
    hop, context = chunk_lengths(model, chunk_s, context_s)
    factor = model.config.upsample_factor
    device = next(model.parameters()).device
    for w in _windows(blocks, hop, context):
        audio = torch.from_numpy(w.audio).to(device).unsqueeze(0)
        frames = model.frame_activations(audio * gain)[0]
        offset = (w.start - w.first) // factor
        if on_samples is not None:
            on_samples(w.stop - w.start)
        yield frames[:, offset : offset + -(-(w.stop - w.start) // factor)].float().cpu().numpy()


def activations(
    model: AnalysisNetwork,
    audio: np.ndarray,
    chunk_s: float = 8.0,
    context_s: float | None = None,
    gain: float = 1.0,
) -> np.ndarray:
    """Frame activations ``(K, ceil(len(audio) / upsample_factor))`` of a whole signal."""
    parts = list(stream_activations(model, [audio], chunk_s, context_s, gain))
    k = model.config.n_components
    return np.concatenate(parts, axis=1) if parts else np.zeros((k, 0), np.float32)
