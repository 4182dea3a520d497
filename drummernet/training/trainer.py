"""Unsupervised training: audio -> network -> synthesizer -> onset-spectrum loss.

A run lives in one folder::

    RUN/checkpoints/step-NNNNNNNN.ckpt   last few full training states
    RUN/best.pt, RUN/last.pt             model files (best validation F1; latest)
    RUN/train.csv, RUN/validation.csv    loss/throughput and F1 logs
    RUN/f1_vs_items.png                  the paper's Figure 4 for this run
    RUN/tensorboard/                     the same logs for TensorBoard (if installed)

Item ``i`` of the run is the segment drawn by ``(seed, i)``; step ``s`` of a run
with batch ``B`` on ``W`` processes uses items ``s*B*W ... (s+1)*B*W - 1``, rank
``r`` taking its own ``B`` of them. Resuming from a checkpoint therefore sees
exactly the data the uninterrupted run would have seen.
"""

from __future__ import annotations

import csv
import os
import platform
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from drummernet.config import Config
from drummernet.datasets.annotations import load_dataset
from drummernet.datasets.unlabeled import UnlabeledSegments
from drummernet.errors import DrummerNetError
from drummernet.evaluation.runner import evaluate_tracks, model_transcriber
from drummernet.fileio import atomic_write
from drummernet.kits.library import get_kit, kit_one_shots
from drummernet.losses import OnsetSpectrumLoss
from drummernet.model.io import atomic_torch_save, load_model
from drummernet.model.network import AnalysisNetwork
from drummernet.synth import Synthesizer, prepare_kernels
from drummernet.training.checkpoints import (
    list_checkpoints,
    load_checkpoint,
    model_payload,
    save_checkpoint,
)

#: The synthesizer's kits by default: the FluidR3 presets shipped in the package.
SYNTH_KITS = (
    "fluidr3-standard",
    "fluidr3-room",
    "fluidr3-power",
    "fluidr3-electronic",
    "fluidr3-tr808",
    "fluidr3-jazz",
    "fluidr3-brush",
)


@dataclass
class TrainOptions:
    """What to train on and how to run (the model itself is described by :class:`Config`)."""

    data: list[str]
    out_dir: str
    kits: list[str] = field(default_factory=lambda: list(SYNTH_KITS))
    steps: int = 10_000
    checkpoint_every: int = 500
    keep: int = 3
    validation: str | None = None
    validate_every: int = 1000
    validation_tracks: int = 16
    validation_seconds: float = 30.0
    seed: int = 0
    device: str = "auto"
    workers: int = 0
    cache_dir: str | None = None
    log_every: int = 10
    max_minutes: float | None = None
    progress: bool = True
    init: str | None = None  # model file whose weights a new run starts from


def kit_tensor(names: list[str], config: Config) -> tuple[torch.Tensor, list[str]]:
    """Synthesizer kernels of the kits ``names``: ``(n_kits, K, kernel_samples)``,
    and a note per component filled from a fallback kit (the one rule:
    :data:`~drummernet.kits.library.DEFAULT_FALLBACKS`)."""
    kits = [get_kit(n) for n in names]
    if not kits:
        raise DrummerNetError("no synthesizer kit given")
    tensors, notes = [], []
    for kit in kits:
        shots, filled = kit_one_shots(kit, components=config.components)
        tensors.append(prepare_kernels(shots, config))
        notes += [f"{kit.name}: {note}" for note in filled]
    return torch.stack(tensors), notes


class StepBatches(torch.utils.data.Sampler):
    """Item indices of each step from ``start_step`` on, for one rank (see module doc)."""

    def __init__(self, start_step: int, steps: int, batch: int, rank: int, world: int) -> None:
        self.start_step, self.steps, self.batch, self.rank, self.world = (
            start_step, steps, batch, rank, world,
        )  # fmt: skip

    def __iter__(self) -> Iterator[list[int]]:
        for step in range(self.start_step, self.steps):
            first = (step * self.world + self.rank) * self.batch
            yield list(range(first, first + self.batch))

    def __len__(self) -> int:
        return max(0, self.steps - self.start_step)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _distributed() -> tuple[int, int]:
    """``(rank, world)``; joins the process group when started by ``torchrun``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (dist.get_rank() if world > 1 else 0), world


def _append_csv(path: Path, row: dict[str, Any]) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


def plot_f1_curve(history: list[dict[str, Any]], path: Path) -> None:
    """The paper's Figure 4: validation F1 per class against items seen (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not history:
        return
    untrained = [h for h in history if h["items"] == 0]
    trained = [h for h in history if h["items"] > 0]
    items = [h["items"] for h in trained]
    fig, ax = plt.subplots(figsize=(6, 4))
    for label in ("KD", "SD", "HH", "mean"):
        values = [h.get(label, np.nan) for h in trained]
        ax.plot(items, values, "o-" if label != "mean" else "k--", label=label, ms=3)
    if untrained:
        ax.axhline(untrained[0]["mean"], color="grey", ls=":", label="mean, untrained")
    if items:
        ax.set_xscale("log")
    ax.set_xlabel("training items (2 s segments)")
    ax.set_ylabel("F1 (mean of per-track F1)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        atomic_write(path, lambda p: fig.savefig(p, dpi=100))
    finally:
        plt.close(fig)


def _validation_due(step: int, items_per_step: int, every: int) -> bool:
    """At multiples of ``every`` steps and where items seen cross 32 * 2**i (the paper's
    code; here from 2,048 items on, since earlier scores say little)."""
    if step % every == 0:
        return True
    before, after = (step - 1) * items_per_step, step * items_per_step
    return any(before < 32 * 2**i <= after for i in range(6, 40))


def train(config: Config, options: TrainOptions, resume: bool = False) -> dict[str, Any]:
    """Run (or resume) training; returns a summary (steps, items, best F1, stop reason)."""
    config.validate()
    rank, world = _distributed()
    lead = rank == 0
    device = _device(options.device)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    out = Path(options.out_dir)
    ckpt_dir = out / "checkpoints"
    existing = list_checkpoints(ckpt_dir)
    if existing and not resume:
        raise DrummerNetError(f"{out} already holds a run; pass --resume or another --out")
    out.mkdir(parents=True, exist_ok=True)

    # weights first: a bad --init or checkpoint is reported before any audio is decoded
    torch.manual_seed(options.seed)
    model = AnalysisNetwork(config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    step, history, best, elapsed_before = 0, [], -1.0, 0.0
    if options.init and not existing:
        _start_from(model, options.init)
    if existing:
        state = load_checkpoint(existing[-1], config)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, history = state["step"], state["history"]
        best, elapsed_before = state["best"], state["elapsed_s"]
    kits, kit_notes = kit_tensor(options.kits, config)
    kits = kits.to(device)
    segments = UnlabeledSegments(
        options.data,
        options.cache_dir or out / "cache",
        seconds=config.segment_seconds,
        sample_rate=config.sample_rate,
        seed=options.seed,
        length=2**62,
        workers=max(4, options.workers),
    )
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    loss_fn = OnsetSpectrumLoss(config).to(device)
    synth = Synthesizer().to(device)
    tracks = []
    if options.validation and lead:
        tracks = load_dataset(options.validation)[: options.validation_tracks]

    batch = config.batch_size
    items_per_step = batch * world
    loader = torch.utils.data.DataLoader(
        segments,
        batch_sampler=StepBatches(step, options.steps, batch, rank, world),
        num_workers=options.workers,
        pin_memory=device.type == "cuda",
    )
    stop = {"reason": "done"}

    def on_term(signum: int, frame: object) -> None:
        stop["reason"] = "terminated"

    previous = signal.signal(signal.SIGTERM, on_term) if lead or world == 1 else None
    started = time.monotonic()
    log_loss, log_n, log_t = 0.0, 0, time.monotonic()
    tb = _tensorboard(out / "tensorboard") if lead else None

    def snapshot() -> dict[str, Any]:
        return {
            "step": step,
            "items": step * items_per_step,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "config": config.to_dict(),
            "options": asdict(options),
            "history": history,
            "best": best,
            "elapsed_s": elapsed_before + time.monotonic() - started,
        }

    def metadata(state: dict[str, Any], score: dict | None) -> dict[str, Any]:
        return {
            "trained_steps": state["step"],
            "trained_items": state["items"],
            "segment_seconds": config.segment_seconds,
            "training_data": list(options.data),
            "synth_kits": list(options.kits),
            "training_seconds": round(state["elapsed_s"], 1),
            "hardware": _hardware(device, world),
            "validation": options.validation,
            "validation_f1": score,
        }

    def record_validation(best: float) -> float:
        """Score the model now, log it, plot Figure 4, keep best.pt; the new best."""
        score = _validate(model, tracks, options)
        history.append({"step": step, "items": step * items_per_step, **score})
        _append_csv(out / "validation.csv", history[-1])
        if tb is not None:
            for label, value in score.items():
                tb.add_scalar(f"f1/{label}", value, step * items_per_step)
        plot_f1_curve(history, out / "f1_vs_items.png")
        if score["mean"] > best:
            state = snapshot()
            atomic_torch_save(model_payload(state, metadata(state, score)), out / "best.pt")
            return score["mean"]
        return best

    from tqdm import tqdm

    bar = tqdm(
        total=options.steps,
        initial=step,
        unit="step",
        disable=not (lead and options.progress),
        dynamic_ncols=True,
    )
    if lead and tracks and step == 0 and not history:
        best = record_validation(best)  # the untrained network: where the curve starts
    try:
        for audio in loader:
            kit = kits[int(np.random.default_rng([options.seed, step]).integers(len(kits)))]
            audio = audio.to(device, non_blocking=True)
            estimate = synth(net(audio), kit)
            loss = loss_fn(estimate, audio)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            log_loss, log_n = log_loss + float(loss.detach()), log_n + 1
            bar.update(1)
            if lead and (step % options.log_every == 0 or step == options.steps):
                now = time.monotonic()
                rate = log_n * items_per_step / (now - log_t)
                row = {
                    "step": step,
                    "items": step * items_per_step,
                    "loss": round(log_loss / log_n, 5),
                    "items_per_s": round(rate, 3),
                    "elapsed_s": round(elapsed_before + now - started, 1),
                }
                _append_csv(out / "train.csv", row)
                if tb is not None:
                    tb.add_scalar("loss", row["loss"], row["items"])
                    tb.add_scalar("items_per_s", rate, row["items"])
                bar.set_postfix(loss=f"{row['loss']:.4f}", seg_s=f"{rate:.1f}")
                log_loss, log_n, log_t = 0.0, 0, now
            if lead and tracks and _validation_due(step, items_per_step, options.validate_every):
                best = record_validation(best)
            if lead and step % options.checkpoint_every == 0:
                save_checkpoint(ckpt_dir, snapshot(), options.keep)
            minutes = (time.monotonic() - started) / 60
            if options.max_minutes is not None and minutes >= options.max_minutes:
                stop["reason"] = "time limit"
            if stop["reason"] != "done":
                break
    except KeyboardInterrupt:
        stop["reason"] = "interrupted"
    finally:
        bar.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if lead and tracks and step and (not history or history[-1]["step"] != step):
        best = record_validation(best)
    if lead:
        state = snapshot()
        save_checkpoint(ckpt_dir, state, options.keep)
        last_score = history[-1] if history and history[-1]["step"] == step else None
        atomic_torch_save(model_payload(state, metadata(state, last_score)), out / "last.pt")
        if not (out / "best.pt").exists():
            atomic_torch_save(model_payload(state, metadata(state, None)), out / "best.pt")
        if tb is not None:
            tb.close()
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return {
        "step": step,
        "items": step * items_per_step,
        "best_f1": best if history else None,
        "stopped": stop["reason"],
        "kit_notes": kit_notes,
        "skipped": [f"{s.path}: {s.reason}" for s in segments.skipped],
        "out_dir": str(out),
    }


def _start_from(model: AnalysisNetwork, path: str) -> None:
    """Load the weights of the model file ``path`` into ``model`` (any configuration
    whose parameters have the same shapes, e.g. a ``paper`` model into ``fast``)."""
    init = load_model(path)
    mine, theirs = model.state_dict(), init.state_dict()
    if mine.keys() != theirs.keys() or any(mine[k].shape != theirs[k].shape for k in mine):
        raise DrummerNetError(
            f"{path}: its weights do not fit this configuration "
            f"({init.config.name} model, {model.config.name} run)"
        )
    model.load_state_dict(theirs)


def _validate(model: AnalysisNetwork, tracks: list, options: TrainOptions) -> dict[str, float]:
    model.eval()
    try:
        result = evaluate_tracks(
            model_transcriber(model), tracks, max_seconds=options.validation_seconds
        )
    finally:
        model.train()
    return {k: round(v, 4) for k, v in result["paper"].items()}


def _tensorboard(folder: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is an optional extra
        return None
    return SummaryWriter(str(folder))


def _hardware(device: torch.device, world: int) -> str:
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = (
            f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
        )
    return f"{world} x {name}" if world > 1 else name
