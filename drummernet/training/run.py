"""The bookkeeping of a training run: its folder, resume, logs, validation and signals.

:class:`Run` holds the state of one run (weights, optimizer, step, validation
history, time) and writes its folder; :class:`TrainLog` writes ``train.csv`` and
the progress bar; :func:`resume_settings` says what a resumed run continues with.
The step itself is :mod:`~drummernet.training.step`, the loop
:mod:`~drummernet.training.loop`; :mod:`~drummernet.training.trainer` puts them
together with the data.
"""

from __future__ import annotations

import contextlib
import csv
import platform
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from drummernet.config import Config
from drummernet.datasets.accompaniment import band_metadata
from drummernet.errors import DrummerNetError
from drummernet.evaluation.runner import evaluate_tracks, model_transcriber
from drummernet.fileio import atomic_write
from drummernet.model.io import atomic_torch_save
from drummernet.model.network import AnalysisNetwork
from drummernet.training.checkpoints import (
    check_same_config,
    checkpoint_step,
    list_checkpoints,
    load_checkpoint,
    model_payload,
    read_weights,
    save_checkpoint,
)
from drummernet.training.options import RESUME_MAY_CHANGE, SESSION_ONLY, TrainOptions
from drummernet.training.step import learning_rate


def _plain(value: Any) -> Any:
    """Tuples as lists, recursively: an option as read back from a checkpoint."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def resume_settings(
    out_dir: str | Path,
    config: Config | None,
    given: dict[str, Any],
    changes: dict[str, Any] | None = None,
) -> tuple[Config, TrainOptions, dict[str, Any]] | None:
    """The configuration and options the run in ``out_dir`` continues with, and its
    latest checkpoint (for :func:`~drummernet.training.trainer.train`'s ``state``), or
    None when the folder holds no checkpoint yet (a new run).

    ``given`` holds the options given again (``TrainOptions`` fields), ``config`` the
    configuration given again (None: the run's), ``changes`` fields of it changed
    again (``--set``, ``--batch-size``). The run's own options and
    configuration are kept; those in :data:`RESUME_MAY_CHANGE` may be given anew, any
    other must agree with the run's, else a :class:`DrummerNetError` names it.
    """
    existing = list_checkpoints(Path(out_dir) / "checkpoints")
    if not existing:
        return None
    state = load_checkpoint(existing[-1])
    stored_config = Config.from_dict(state["config"])
    config = (config or stored_config).replace(**(changes or {}))
    check_same_config(existing[-1], stored_config, config)
    names = {f.name for f in fields(TrainOptions)}
    skip = SESSION_ONLY | {"out_dir"}
    stored = {k: v for k, v in state["options"].items() if k in names and k not in skip}
    for key, value in given.items():
        if key in RESUME_MAY_CHANGE or key not in stored:
            continue
        if _plain(value) != _plain(stored[key]):
            flag = "--" + key.replace("_", "-")
            raise DrummerNetError(
                f"{out_dir}: the run was started with {flag} {_shown(stored[key])}, not "
                f"{_shown(value)}; leave {flag} out to resume it as it was, or start a new --out"
            )
    merged = {**stored, **given, "out_dir": str(out_dir)}
    try:
        options = TrainOptions(**merged)
    except TypeError as exc:
        raise DrummerNetError(f"{existing[-1]}: its options cannot be read ({exc})") from None
    return config, options, state


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(map(str, value)) or "(none)"
    return str(value)


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
    for label in ("KD", "SD", "HH", "TT", "CY", "mean"):
        if not any(label in h for h in history):
            continue
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


def leave_sigterm_to_the_loop(worker_id: int) -> None:
    """In a data-loading process: ignore SIGTERM, so that a signal sent to the whole
    run (``pkill -f``, a scheduler) stops the loop, which saves, instead of killing a
    worker under it."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@contextlib.contextmanager
def stop_on_sigterm(enabled: bool) -> Iterator[dict[str, str]]:
    """A ``{"reason": ...}`` that SIGTERM sets to ``"terminated"`` (the loop then stops
    after its step and saves as usual); the previous handler is restored on exit."""
    stop = {"reason": "done"}

    def on_term(signum: int, frame: object) -> None:
        stop["reason"] = "terminated"

    previous = signal.signal(signal.SIGTERM, on_term) if enabled else None
    try:
        yield stop
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Run:
    """The state of one run and its folder: weights, optimizer, step, validation
    history, best F1 and time; it saves checkpoints and model files (rank 0 only)."""

    def __init__(self, config: Config, options: TrainOptions, model: AnalysisNetwork,
                 device: torch.device, world: int) -> None:  # fmt: skip
        self.config, self.options, self.model = config, options, model
        self.device, self.world = device, world
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
        self.out = Path(options.out_dir)
        self.step, self.history, self.best, self.elapsed_before = 0, [], -1.0, 0.0
        self.step_before, self.items_before = 0, 0  # where this session started
        self.started = time.monotonic()
        self.items_per_step = config.batch_size * world
        self.tensorboard: Any = None  # a writer on rank 0 (see :func:`tensorboard_writer`)

    @classmethod
    def open(cls, config: Config, options: TrainOptions, resume: bool, device: torch.device,
             world: int, state: dict[str, Any] | None = None) -> Run:  # fmt: skip
        """A new run in ``options.out_dir`` (from ``options.init`` if given), or the
        latest checkpoint there when ``resume`` (``state``: that checkpoint, already
        read by :func:`resume_settings`, so that it is read once)."""
        out = Path(options.out_dir)
        existing = list_checkpoints(out / "checkpoints")
        if existing and not resume:
            raise DrummerNetError(f"{out} already holds a run; pass --resume or another --out")
        torch.manual_seed(options.seed)
        run = cls(config, options, AnalysisNetwork(config).to(device), device, world)
        if options.init and not existing:  # a bad --init leaves no run folder behind
            start_from(run.model, options.init)
        out.mkdir(parents=True, exist_ok=True)
        if existing:
            if state is None or state["step"] != checkpoint_step(existing[-1]):
                state = load_checkpoint(existing[-1], config)
            run.model.load_state_dict(state["model"])
            run.optimizer.load_state_dict(state["optimizer"])
            run.step, run.history = state["step"], state["history"]
            run.best, run.elapsed_before = state["best"], state["elapsed_s"]
            run.step_before, run.items_before = state["step"], state["items"]
        return run

    @property
    def items(self) -> int:
        """Items the run has seen: those of the sessions before, and this one's."""
        return self.items_before + (self.step - self.step_before) * self.items_per_step

    def set_learning_rate(self) -> None:
        """Give the optimizer the rate of the step about to be taken (``lr_schedule``)."""
        rate = learning_rate(self.config.learning_rate, self.step, self.options.steps,
                             self.options.lr_schedule)  # fmt: skip
        for group in self.optimizer.param_groups:
            group["lr"] = rate

    def minutes(self) -> float:
        """Minutes this session has run (not counting earlier sessions of the run)."""
        return (time.monotonic() - self.started) / 60

    def elapsed(self) -> float:
        """Seconds the whole run has taken, earlier sessions included."""
        return self.elapsed_before + time.monotonic() - self.started

    def snapshot(self) -> dict[str, Any]:
        """Everything a checkpoint holds."""
        return {
            "step": self.step,
            "items": self.items,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "config": self.config.to_dict(),
            "options": asdict(self.options),
            "history": self.history,
            "best": self.best,
            "elapsed_s": self.elapsed(),
        }

    def save_model_file(self, name: str, score: dict | None) -> None:
        """Write the current weights as the model file ``RUN/name``."""
        state = self.snapshot()
        metadata = {
            "trained_steps": state["step"],
            "trained_items": state["items"],
            "segment_seconds": self.config.segment_seconds,
            "training_data": list(self.options.data),
            "synth_kits": list(self.options.kits),
            "objective": self.options.objective,
            "init": self.options.init,
            "band": band_metadata(self.options.band, self.options.band_share, self.options.band_db),
            "training_seconds": round(state["elapsed_s"], 1),
            "hardware": _hardware(self.device, self.world),
            "validation": self.options.validation,
            "validation_f1": score,
        }
        atomic_torch_save(model_payload(state, metadata), self.out / name)

    def validate(self, tracks: list) -> None:
        """Score the model now, log it, plot Figure 4, keep ``best.pt``."""
        score = validate_model(self.model, tracks, self.options)
        self.history.append({"step": self.step, "items": self.items, **score})
        _append_csv(self.out / "validation.csv", self.history[-1])
        _add_scalars(self.tensorboard, {f"f1/{k}": v for k, v in score.items()}, self.items)
        plot_f1_curve(self.history, self.out / "f1_vs_items.png")
        if score["mean"] > self.best:
            self.best = score["mean"]
            self.save_model_file("best.pt", score)

    def after_step(self, tracks: list) -> None:
        """Validation and checkpoints that fall due at the step just taken."""
        every = self.options.validate_every
        if tracks and _validation_due(self.step, self.items_per_step, every):
            self.validate(tracks)
        if self.step % self.options.checkpoint_every == 0:
            save_checkpoint(self.out / "checkpoints", self.snapshot(), self.options.keep)

    def finish(self, tracks: list) -> None:
        """A last validation, checkpoint and ``last.pt`` (and ``best.pt`` if none yet)."""
        if tracks and self.step and (not self.history or self.history[-1]["step"] != self.step):
            self.validate(tracks)
        save_checkpoint(self.out / "checkpoints", self.snapshot(), self.options.keep)
        last = self.history[-1] if self.history and self.history[-1]["step"] == self.step else None
        self.save_model_file("last.pt", last)
        if not (self.out / "best.pt").exists():
            self.save_model_file("best.pt", None)
        if self.tensorboard is not None:
            self.tensorboard.close()


class TrainLog:
    """The progress bar and ``train.csv`` (mean loss and throughput every
    ``log_every`` steps, and at the last step), mirrored to TensorBoard."""

    def __init__(self, run: Run, enabled: bool) -> None:
        from tqdm import tqdm

        self.run, self.enabled = run, enabled
        self.loss, self.n, self.since = 0.0, 0, time.monotonic()
        show = enabled and run.options.progress
        self.bar = tqdm(total=run.options.steps, initial=run.step, unit="step",
                        disable=not show, dynamic_ncols=True)  # fmt: skip

    def step(self, loss: float) -> None:
        """Count one step with its ``loss``; write a row when one is due."""
        self.loss, self.n = self.loss + loss, self.n + 1
        self.bar.update(1)
        run = self.run
        if not self.enabled or (run.step % run.options.log_every and run.step != run.options.steps):
            return
        now = time.monotonic()
        rate = self.n * run.items_per_step / (now - self.since)
        row = {
            "step": run.step,
            "items": run.items,
            "loss": round(self.loss / self.n, 5),
            "items_per_s": round(rate, 3),
            "elapsed_s": round(run.elapsed(), 1),
        }
        _append_csv(run.out / "train.csv", row)
        _add_scalars(run.tensorboard, {"loss": row["loss"], "items_per_s": rate}, run.items)
        self.bar.set_postfix(loss=f"{row['loss']:.4f}", seg_s=f"{rate:.1f}")
        self.loss, self.n, self.since = 0.0, 0, now

    def close(self) -> None:
        self.bar.close()


def start_from(model: AnalysisNetwork, path: str) -> None:
    """Load the weights of the model file or training checkpoint (``.ckpt``) ``path``
    into ``model`` (any configuration whose parameters have the same shapes, e.g. a
    ``paper`` model into ``fast``, or a ``lite`` run's checkpoint into ``inverse``)."""
    config, theirs, _ = read_weights(path)
    mine = model.state_dict()
    if mine.keys() != theirs.keys() or any(mine[k].shape != theirs[k].shape for k in mine):
        raise DrummerNetError(
            f"{path}: its weights do not fit this configuration "
            f"({config.name} model, {model.config.name} run); train it with its own: "
            f"leave --config out, or give --config {config.name}"
        )
    model.load_state_dict(theirs)


def validate_model(model: AnalysisNetwork, tracks: list, options: TrainOptions) -> dict[str, float]:
    """Paper-figure F1 of the paper's classes and their ``mean``; with
    ``validation_classes="all"`` also ``TT``, ``CY`` and ``mean_all`` (KD SD HH TT CY,
    each from its own components)."""
    model.eval()
    try:
        score = _scores(model, tracks, options, "paper", ("KD", "SD", "HH", "mean"))
        if options.validation_classes == "all":
            every = _scores(model, tracks, options, "all", ("KD", "SD", "HH", "TT", "CY"))
            score |= {k: every[k] for k in ("TT", "CY") if k in every}
            score["mean_all"] = round(float(np.mean(list(every.values()))), 4)
    finally:
        model.train()
    return score


def _scores(model: AnalysisNetwork, tracks: list, options: TrainOptions, classes: str,
            labels: tuple[str, ...]) -> dict[str, float]:  # fmt: skip
    result = evaluate_tracks(model_transcriber(model, classes), tracks, classes=classes,
                             max_seconds=options.validation_seconds)  # fmt: skip
    return {k: round(v, 4) for k, v in result["paper"].items() if k in labels}


def tensorboard_writer(folder: Path) -> Any:
    """A TensorBoard writer for ``folder``, or None if TensorBoard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is an optional extra
        return None
    return SummaryWriter(str(folder))


def _add_scalars(writer: Any, scalars: dict[str, float], items: int) -> None:
    if writer is not None:
        for tag, value in scalars.items():
            writer.add_scalar(tag, value, items)


def _hardware(device: torch.device, world: int) -> str:
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = (
            f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
        )
    return f"{world} x {name}" if world > 1 else name
