"""Unsupervised training: audio -> network -> synthesizer -> onset-spectrum loss.

A run lives in one folder::

    RUN/checkpoints/step-NNNNNNNN.ckpt   last few full training states
    RUN/best.pt, RUN/last.pt             model files (best validation F1; latest)
    RUN/train.csv, RUN/validation.csv    loss/throughput and F1 logs
    RUN/f1_vs_items.png                  the paper's Figure 4 for this run
    RUN/tensorboard/                     the same logs for TensorBoard (if installed)

Two objectives (``TrainOptions.objective``): ``reconstruction``, the paper's
unsupervised loss on folders of drum audio, and ``inverse``, the label-free warm
start: drum MIDI rendered through the kits with exact targets for every
component (:mod:`drummernet.datasets.synthesized`, :func:`step.inverse_loss`).
A run of the first can start from a model of the second (``init``).

Item ``i`` of the run is the segment drawn by ``(seed, i)``; step ``s`` of a run
with batch ``B`` on ``W`` processes uses items ``s*B*W ... (s+1)*B*W - 1``, rank
``r`` taking its own ``B`` of them. Resuming from a checkpoint therefore sees
exactly the data the uninterrupted run would have seen.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from drummernet.config import (
    LR_SCHEDULES,
    OBJECTIVES,
    REVERB_MODELS,
    SYNTHESIZED_OBJECTIVES,
    Config,
)
from drummernet.datasets.accompaniment import (
    BandMix,
    band_manifest,
    read_band_clips,
)
from drummernet.datasets.annotations import load_dataset
from drummernet.datasets.augment import Augmentation, room_acoustics
from drummernet.datasets.synthesized import SynthesizedSegments, Voicing
from drummernet.datasets.unlabeled import UnlabeledSegments, WithUnlabeled
from drummernet.errors import DrummerNetError, DrummerNetWarning
from drummernet.kits.library import get_kits, kit_one_shots
from drummernet.losses import OnsetSpectrumLoss
from drummernet.model.network import AnalysisNetwork
from drummernet.synth import Synthesizer, prepare_kernels
from drummernet.training.loop import DONE, run_steps
from drummernet.training.options import TrainOptions
from drummernet.training.run import (
    Run,
    TrainLog,
    leave_sigterm_to_the_loop,
    stop_on_sigterm,
    tensorboard_writer,
)
from drummernet.training.step import (
    inverse_loss,
    mixed_loss,
    optimise,
    train_step,
)


def kit_tensor(names: list[str], config: Config) -> tuple[torch.Tensor, list[str]]:
    """Synthesizer kernels of the kits ``names``: ``(n_kits, K, kernel_samples)``,
    and a note per component filled from a fallback kit (the one rule:
    :data:`~drummernet.kits.library.DEFAULT_FALLBACKS`)."""
    kits = [kit for n in names for kit in get_kits(n)]
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


def train(config: Config, options: TrainOptions, resume: bool = False,
          state: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """Run (or resume) training; returns a summary (steps, items, best F1, stop reason).
    ``state``: the latest checkpoint of the run resumed, if already read (by
    :func:`~drummernet.training.run.resume_settings`)."""
    check_options(config, options)
    rank, world, device = _join_processes(options.device)
    lead = rank == 0
    # weights first: a bad --init or checkpoint is reported before any audio is decoded
    run = Run.open(config, options, resume, device, world, state)
    net = _data_parallel(run.model, device, world)
    step, kit_notes = _step_function(config, options, run, net)
    segments = _segments(config, options, run.out, lead)
    loader = torch.utils.data.DataLoader(
        segments,
        batch_sampler=StepBatches(run.step, options.steps, config.batch_size, rank, world),
        num_workers=options.workers,
        pin_memory=device.type == "cuda",
        worker_init_fn=leave_sigterm_to_the_loop,
    )
    tracks = []  # validation runs on rank 0 only
    if lead and options.validation:
        tracks = load_dataset(options.validation)[: options.validation_tracks]
    if lead:
        run.tensorboard = tensorboard_writer(run.out / "tensorboard")
    if tracks and run.step == 0 and not run.history:
        run.validate(tracks)  # the untrained network: where the curve starts
    stopped = _loop(run, step, loader, tracks, lead, world)
    if lead:
        run.finish(tracks)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return {
        "step": run.step,
        "items": run.items,
        "best_f1": run.best if run.history else None,
        "stopped": stopped,
        "kit_notes": kit_notes,
        "skipped": [f"{s.path}: {s.reason}" for s in segments.skipped],
        "out_dir": str(run.out),
        "lead": lead,
    }


def _loop(run: Run, step: Callable[[Any], float], loader: Iterable, tracks: list, lead: bool,
          world: int) -> str:  # fmt: skip
    """The steps of this session (:func:`~drummernet.training.loop.run_steps`), each at
    its scheduled rate, logged, and followed by what falls due (validation,
    checkpoints: rank 0, ``lead``); the reason it stopped: ``done``, ``time limit``,
    ``terminated`` (SIGTERM) or ``interrupted``."""
    options = run.options
    log = TrainLog(run, enabled=lead)

    def scheduled(batch: Any) -> float:
        run.set_learning_rate()
        return step(batch)

    def after(loss: float) -> str | None:
        run.step += 1
        log.step(loss)
        if lead:
            run.after_step(tracks)
        if options.max_minutes is not None and run.minutes() >= options.max_minutes:
            stop["reason"] = "time limit"
        return None if stop["reason"] == DONE else stop["reason"]

    with stop_on_sigterm(enabled=lead or world == 1) as stop:
        try:
            stop["reason"] = run_steps(loader, scheduled, after)
        except KeyboardInterrupt:
            stop["reason"] = "interrupted"
        finally:
            log.close()
    return stop["reason"]


def check_options(config: Config, options: TrainOptions) -> None:
    """Refuse, in one line each, a configuration or options a run cannot start with
    (before anything is read or written); warn of a network the objective does not
    train."""
    config.validate()
    if options.objective not in OBJECTIVES:
        raise DrummerNetError(f"unknown objective {options.objective!r}; choose one of: "
                              f"{', '.join(OBJECTIVES)}")  # fmt: skip
    if options.crashes is not None and not 0.0 <= options.crashes <= 1.0:
        raise DrummerNetError(f"--crashes is a probability, from 0 to 1; got {options.crashes}")
    if options.voicing_families and not any(options.voicing):
        raise DrummerNetError("--voicing-families says which families --voicing re-voices: "
                              "give --voicing SEMITONES DB_PER_OCTAVE too")  # fmt: skip
    if not 0.0 <= options.band_share <= 1.0 or options.band_db[0] > options.band_db[1]:
        raise DrummerNetError("--band-share is a probability, from 0 to 1, and --band-db "
                              f"LOW HIGH needs LOW <= HIGH; got {options.band_share} and "
                              f"{options.band_db}")  # fmt: skip
    synthesized = options.objective in SYNTHESIZED_OBJECTIVES
    if options.reverb not in REVERB_MODELS:
        raise DrummerNetError(f"--reverb is one of {', '.join(REVERB_MODELS)}; "
                              f"got {options.reverb!r}")  # fmt: skip
    if options.reverb == "room":
        if not synthesized:
            raise DrummerNetError("--reverb room plays rendered drums in rooms: it applies "
                                  "to --objective inverse and mixed only")  # fmt: skip
        room_acoustics()  # installed, or one line saying how
    if options.band is not None and not synthesized:
        raise DrummerNetError("--band mixes a band into rendered drums: it applies to "
                              "--objective inverse and mixed only")  # fmt: skip
    if (options.objective == "mixed") != bool(options.unlabeled):
        raise DrummerNetError("--objective mixed learns from rendered drums and from "
                              "unlabeled audio: give --unlabeled DIR with it, and only "
                              "with it")  # fmt: skip
    if options.reconstruction_weight < 0:
        raise DrummerNetError("--reconstruction-weight must be 0 or more; got "
                              f"{options.reconstruction_weight}")  # fmt: skip
    if options.band is not None:
        band_manifest(options.band)  # not a folder of clips: said before the run folder is made
    if options.lr_schedule not in LR_SCHEDULES:
        raise DrummerNetError(f"unknown learning-rate schedule {options.lr_schedule!r}; "
                              f"choose one of: {', '.join(LR_SCHEDULES)}")  # fmt: skip
    if options.split is not None and not synthesized:
        raise DrummerNetError("--split picks MIDI of the Groove MIDI Dataset: it applies to "
                              "--objective inverse and mixed only")  # fmt: skip
    if synthesized and config.body != "lite":
        warnings.warn(
            f"the {config.name} network does not learn --objective {options.objective} (it stays a "
            "constant predictor: README, Training throughput); --config inverse does",
            DrummerNetWarning,
            3,
        )


def _step_function(
    config: Config, options: TrainOptions, run: Run, net: torch.nn.Module
) -> tuple[Callable[[Any], float], list[str]]:
    """The optimisation step of ``options.objective`` (a batch of the loader in, its
    loss out, at ``run.step``), and notes on the synthesizer's kits."""
    device = run.device
    if options.objective == "inverse":

        def inverse(batch: tuple[torch.Tensor, torch.Tensor]) -> float:
            audio, target = (t.to(device, non_blocking=True) for t in batch)
            return optimise(run.optimizer, inverse_loss(net, audio, target))

        return inverse, []
    kits, notes = kit_tensor(options.kits, config)
    kits = kits.to(device)
    synth, loss_fn = Synthesizer().to(device), OnsetSpectrumLoss(config).to(device)
    if options.objective == "mixed":

        def mixed(batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> float:
            kit = kits[_kit_index(options.seed, run.step, len(kits))]
            batch = tuple(t.to(device, non_blocking=True) for t in batch)  # type: ignore[assignment]
            loss = mixed_loss(net, synth, loss_fn, batch, kit, options.reconstruction_weight)
            return optimise(run.optimizer, loss)

        return mixed, notes

    def reconstruction(audio: torch.Tensor) -> float:
        kit = kits[_kit_index(options.seed, run.step, len(kits))]
        audio = audio.to(device, non_blocking=True)
        return train_step(net, synth, loss_fn, run.optimizer, audio, kit)

    return reconstruction, notes


def _kit_index(seed: int, step: int, n_kits: int) -> int:
    """The synthesizer kit of ``step``: drawn by ``(seed, step)``, so a resumed run
    uses the kits the uninterrupted one would have."""
    return int(np.random.default_rng([seed, step]).integers(n_kits))


def _join_processes(device_name: str) -> tuple[int, int, torch.device]:
    """``(rank, world, device)``; joins the process group when started by ``torchrun``
    (one GPU per process, by ``LOCAL_RANK``)."""
    rank, world = _distributed()
    device = _device(device_name)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    return rank, world, device


def _data_parallel(model: AnalysisNetwork, device: torch.device, world: int) -> torch.nn.Module:
    """``model`` wrapped for data-parallel training when there are several processes."""
    if world == 1:
        return model
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def _bar(options: TrainOptions, lead: bool, desc: str, unit: str) -> Callable | None:
    """A progress bar for a step before training (None when ``options.progress`` is off
    or on a rank other than 0, ``lead``)."""
    if not options.progress or not lead:
        return None
    from tqdm import tqdm

    return lambda it, total: tqdm(it, total=total, desc=desc, unit=unit, leave=False)


def _segments(
    config: Config, options: TrainOptions, out: Path, lead: bool = True
) -> UnlabeledSegments | SynthesizedSegments | WithUnlabeled:
    """The endless stream of training segments (item ``i`` drawn by ``(seed, i)``); a
    progress bar while they are read on rank 0 (``lead``)."""
    if options.objective == "mixed":
        rendered = _segments(config, replace(options, objective="inverse"), out, lead)
        unlabeled = _segments(config, replace(options, objective="reconstruction",
                                              data=list(options.unlabeled)), out, lead)  # fmt: skip
        return WithUnlabeled(rendered, unlabeled)  # type: ignore[arg-type]
    if options.objective == "inverse":
        return SynthesizedSegments(
            options.data,
            options.kits,
            seconds=config.segment_seconds,
            sample_rate=config.sample_rate,
            hop=config.upsample_factor,
            seed=options.seed,
            split=options.split,
            components=config.components,
            voicing=Voicing(*options.voicing, families=options.voicing_families),
            crashes=options.crashes,
            augmentation=Augmentation(reverb_model=options.reverb),
            progress=_bar(options, lead, "reading MIDI", "file"),
            band=_band(options),
        )
    return UnlabeledSegments(
        options.data,
        options.cache_dir or out / "cache",
        seconds=config.segment_seconds,
        sample_rate=config.sample_rate,
        seed=options.seed,
        length=2**62,
        workers=max(4, options.workers),
        progress=_bar(options, lead, "decoding audio", "file"),
    )


def _band(options: TrainOptions) -> BandMix | None:
    """The band mixed into the warm start's items (``--band``), or None."""
    if options.band is None:
        return None
    clips, _ = read_band_clips(options.band)
    return BandMix(tuple(clips), options.band_share, options.band_db)
