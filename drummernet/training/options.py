"""What a training run is told: :class:`TrainOptions` and their defaults.

Kept apart from the loop (and from torch) so that the command line can show the
defaults and resume rules without loading the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drummernet.config import SYNTHESIZED_OBJECTIVES

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
    objective: str = "reconstruction"  # or "inverse"/"mixed": data are drum MIDI (module doc)
    split: str | None = None  # Groove MIDI Dataset split of the MIDI data ("inverse")
    validation_classes: str = "paper"  # "all" adds TT, CY and their mean to validation
    voicing: tuple[float, float] = (0.0, 0.0)  # "inverse": re-tuning (semitones), EQ (dB/oct)
    voicing_families: tuple[str, ...] = ()  # "inverse": the families re-voiced (): all
    crashes: float | None = None  # "inverse": a crash on a kick inside an item, probability
    reverb: str = "noise"  # "inverse": rooms as decaying noise, or "room": image-source rooms
    lr_schedule: str = "constant"  # or "cosine": to 0 at `steps` (see step.learning_rate)
    band: str | None = None  # "inverse": folder of band clips (`drummernet band render`)
    band_share: float = 0.8  # "inverse": share of the items mixed with a band
    band_db: tuple[float, float] = (-12.0, 12.0)  # band RMS over the drums', drawn (dB)
    unlabeled: tuple[str, ...] = ()  # "mixed": folders or files of unlabeled drum audio
    reconstruction_weight: float = 0.05  # "mixed": weight of the paper's loss on them

    def __post_init__(self) -> None:
        # given as lists (argparse, a checkpoint's options): kept as the tuples they are
        self.voicing = tuple(self.voicing)  # type: ignore[assignment]
        self.voicing_families = tuple(self.voicing_families)
        self.band_db = tuple(self.band_db)  # type: ignore[assignment]
        self.unlabeled = tuple(self.unlabeled)


#: What a resumed run may be given anew: how long and how it runs, and where its
#: data are now; everything else it learns from is the run's own (``resume_settings``).
RESUME_MAY_CHANGE = frozenset(
    {"data", "unlabeled", "steps", "max_minutes", "progress", "workers", "device", "cache_dir",
     "checkpoint_every", "keep", "log_every", "validate_every"}
)  # fmt: skip


#: Options of one session of a run, never carried over by ``--resume``.
SESSION_ONLY = frozenset({"max_minutes", "progress"})


def new_run_config(objective: str | None) -> str:
    """The preset a new run trains when ``--config`` is not given: ``inverse`` for the
    warm start and the mixed objective (the only network that learns them), else ``fast``."""
    return "inverse" if objective in SYNTHESIZED_OBJECTIVES else "fast"
