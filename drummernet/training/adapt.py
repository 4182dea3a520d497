"""Adapting a trained model to a user's own recordings, without labels.

The model keeps training on the given files only, through the same synthesizer
and loss, for a bounded number of steps. The last ``holdout`` fraction of every
file is held back: its loss is measured before adapting and every
``eval_every`` steps, the weights with the lowest held-back loss are kept (the
starting weights if nothing beats them), and adaptation stops early when that
loss has not improved for ``patience`` measurements.
"""

from __future__ import annotations

import copy
import datetime
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from drummernet.audio import AudioError, load_audio
from drummernet.errors import DrummerNetError
from drummernet.fileio import write_text
from drummernet.kits.builders import build_from_folder
from drummernet.kits.library import MANIFEST, Kit, get_kit, kit_one_shots
from drummernet.losses import OnsetSpectrumLoss
from drummernet.model.io import save_model
from drummernet.model.network import AnalysisNetwork
from drummernet.synth import Synthesizer, prepare_kernels
from drummernet.training.step import eval_loss, train_step
from drummernet.training.trainer import SYNTH_KITS


@dataclass
class AdaptOptions:
    """Bounds of an adaptation run (defaults: a few minutes on a laptop CPU)."""

    steps: int = 60
    batch_size: int = 4
    learning_rate: float = 1e-4
    holdout: float = 0.2
    eval_every: int = 10
    patience: int = 3
    held_segments: int = 16
    seed: int = 0
    progress: bool = True


def _user_kit(folder: str | Path, work: Path) -> Kit:
    """A kit folder with a manifest, or a plain folder of one-shots named by component."""
    folder = Path(folder)
    if (folder / MANIFEST).is_file():
        return get_kit(folder)
    return build_from_folder(folder, work / "user-kit", folder.name)


def _segments(arrays: list[np.ndarray], n: int, length: int, rng: np.random.Generator):
    """``n`` peak-normalised segments drawn from ``arrays`` (weighted by length)."""
    weights = np.array([len(a) - length + 1 for a in arrays], dtype=float)
    out = []
    for _ in range(n):
        a = arrays[rng.choice(len(arrays), p=weights / weights.sum())]
        start = int(rng.integers(0, len(a) - length + 1))
        seg = a[start : start + length]
        out.append(seg / max(float(np.max(np.abs(seg))), 1e-4))
    return torch.from_numpy(np.stack(out).astype(np.float32))


def _split_files(
    paths: Sequence[str | Path], sample_rate: int, length: int, holdout: float
) -> tuple[list[np.ndarray], list[np.ndarray], list[str], list[str]]:
    """Decode ``paths``; each usable file's first part for adapting and its last
    ``holdout`` fraction held back: ``(train parts, held parts, used, skipped)``.
    Raises :class:`DrummerNetError` when no file is usable."""
    train_parts, held_parts, used, skipped = [], [], [], []
    for path in paths:
        try:
            y = load_audio(path, sample_rate)
        except AudioError as exc:
            skipped.append(str(exc))
            continue
        cut = int(len(y) * (1 - holdout))
        if cut < length or len(y) - cut < length or np.max(np.abs(y)) < 1e-4:
            skipped.append(f"{path}: too short or silent to adapt on")
            continue
        train_parts.append(y[:cut])
        held_parts.append(y[cut:])
        used.append(str(path))
    if not used:
        raise DrummerNetError(
            "no usable audio to adapt on" + (f" ({skipped[0]})" if skipped else "")
        )
    return train_parts, held_parts, used, skipped


def adapt(
    model: AnalysisNetwork,
    audio_paths: Sequence[str | Path],
    out_path: str | Path,
    kit_folder: str | Path | None = None,
    options: AdaptOptions | None = None,
    model_path: str = "",
) -> dict:
    """Adapt a copy of ``model`` to ``audio_paths`` and save it to ``out_path``.

    Returns a summary: losses before and after, steps run, files used, time.
    ``out_path`` must not be the file the model was loaded from.
    """
    options = options or AdaptOptions()
    out_path = Path(out_path)
    if model_path and out_path.resolve() == Path(model_path).resolve():
        raise DrummerNetError(f"{out_path}: adapting never overwrites the input model")
    config = model.config
    length = round(config.segment_seconds * config.sample_rate)
    train_parts, held_parts, used, skipped = _split_files(
        audio_paths, config.sample_rate, length, options.holdout
    )
    work = out_path.parent
    kits = [get_kit(k) for k in model.metadata.get("synth_kits") or SYNTH_KITS]
    if kit_folder is not None:
        kits = [_user_kit(kit_folder, work), *kits]
    shots, notes = kit_one_shots(kits[0], components=config.components)
    kernels = prepare_kernels(shots, config)

    net = copy.deepcopy(model).train()
    synth, loss_fn = Synthesizer(kernels), OnsetSpectrumLoss(config)
    optimizer = torch.optim.Adam(net.parameters(), lr=options.learning_rate)
    rng = np.random.default_rng(options.seed)
    held = _segments(held_parts, options.held_segments, length, np.random.default_rng(12345))
    start = time.monotonic()
    best, best_state, best_step, history = _adapt_loop(
        net, lambda: _segments(train_parts, options.batch_size, length, rng),
        lambda: eval_loss(net, synth, loss_fn, held),
        lambda batch: train_step(net, synth, loss_fn, optimizer, batch),
        options,
    )  # fmt: skip
    before, step = history[0]["held_loss"], history[-1]["step"]
    net.load_state_dict(best_state)
    net.eval()
    summary = {
        "base_model": model_path or "default",
        "adapted_on": used,
        "skipped": skipped,
        "kit_notes": notes,
        "user_kit": str(kit_folder) if kit_folder else None,
        "steps_run": step,
        "kept_step": best_step,
        "held_loss_before": before,
        "held_loss_after": round(best, 5),
        "history": history,
        "seconds": round(time.monotonic() - start, 1),
        "date": datetime.date.today().isoformat(),
    }
    metadata = {**model.metadata, "adaptation": summary}
    net.metadata = metadata
    save_model(net, out_path, metadata)
    write_text(out_path.with_suffix(".md"), _card(summary, out_path))
    return summary


def _adapt_loop(
    net: torch.nn.Module,
    next_batch: Callable[[], torch.Tensor],
    held_loss: Callable[[], float],
    step: Callable[[torch.Tensor], float],
    options: AdaptOptions,
) -> tuple[float, dict, int, list[dict]]:
    """Steps with early stopping on the held-back loss: ``(best held loss, its
    weights, its step (0: the starting weights), history of held losses)``.

    The held-back loss is measured before the first step, every ``eval_every``
    steps and after the last, so the last entry of the history is the step run last.
    """
    from tqdm import tqdm

    before = best = held_loss()
    best_state, best_step, waited = copy.deepcopy(net.state_dict()), 0, 0
    history = [{"step": 0, "held_loss": round(before, 5)}]
    bar = tqdm(total=options.steps, unit="step", disable=not options.progress, desc="adapt")
    for i in range(1, options.steps + 1):
        step(next_batch())
        bar.update(1)
        if i % options.eval_every and i != options.steps:
            continue
        current = held_loss()
        history.append({"step": i, "held_loss": round(current, 5)})
        bar.set_postfix(held_loss=f"{current:.4f}", start=f"{before:.4f}")
        if current < best:
            best, best_step, waited = current, i, 0
            best_state = copy.deepcopy(net.state_dict())
        else:
            waited += 1
            if waited >= options.patience:
                break
    bar.close()
    return best, best_state, best_step, history


def _card(summary: dict, out_path: Path) -> str:
    files = "\n".join(f"- `{f}`" for f in summary["adapted_on"])
    kept = f"step {summary['kept_step']}" if summary["kept_step"] else "the starting weights"
    kit = summary["user_kit"] or "the base model's kits"
    return f"""# Model card: {out_path.name}

Adapted without labels by `drummernet adapt` on {summary["date"]}, starting from
`{summary["base_model"]}`; its own card describes the base training.

- Steps run: {summary["steps_run"]} (kept {kept}), {summary["seconds"]} s
- Held-back loss (last part of every file): {summary["held_loss_before"]} before,
  {summary["held_loss_after"]} after
- Synthesizer kit: {kit}

Adapted on:

{files}
"""
