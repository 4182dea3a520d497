"""The training loop, shared by ``train`` and ``adapt``: one step per batch until the
batches end or the caller says stop.

What a step does is :mod:`~drummernet.training.step`; what is logged, validated
and saved after it is the caller's (``train``: :mod:`~drummernet.training.run`;
``adapt``: the held-back loss and patience).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

Batch = TypeVar("Batch")

#: The reason :func:`run_steps` gives when the batches ran out.
DONE = "done"


def run_steps(
    batches: Iterable[Batch],
    step: Callable[[Batch], float],
    after: Callable[[float], str | None],
) -> str:
    """Take ``step`` (one optimisation step, its loss out) on each of ``batches``;
    after each, ``after(loss)`` returns a reason to stop or None to go on.

    Returns the reason the loop stopped: ``after``'s, or :data:`DONE` when the
    batches ran out. An exception (``KeyboardInterrupt`` included) is the caller's.
    """
    for batch in batches:
        reason = after(step(batch))
        if reason:
            return reason
    return DONE
