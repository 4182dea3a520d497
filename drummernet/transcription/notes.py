"""From frame activations to drum events: classes, peak picking, strengths.

Components are grouped into output classes; a class's activation is the sum of
its components' activations, so that e.g. a closed and an open hi-hat at the same
instant give one HH onset. Each event keeps the class's own component that
contributed most at its frame and the activation height there (its *strength*).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from drummernet.components import ALL_CLASSES, CLASS_SETS, COMPONENTS, component_class
from drummernet.config import Config
from drummernet.errors import ConfigError
from drummernet.transcription.peaks import pick_peaks


@dataclass(frozen=True)
class PeakPicking:
    """Peak-picking parameters; ``deltas`` overrides ``delta`` per class.

    ``floor`` is an absolute activation below which a class has no onsets at
    all (so that near-silence is not normalised up into spurious hits). With
    ``normalize`` (the paper) each class's curve is scaled to a maximum of 1
    before the threshold; without it the threshold applies to the raw
    activation, which behaves like a velocity and so keeps soft hits beside loud ones.

    ``add_components`` adds components to a class's curve beyond the class set's
    members, e.g. ``{"HH": ("HH_PHH",)}``: a trained model may play hi-hats on its
    pedal-hat slot, which the paper's HH (closed + open) leaves out. It changes what
    a model *reports* as the class, never the reference a score is measured against;
    ``drummernet evaluate --tune-on`` chooses it on a validation set.
    """

    delta: float = 0.2
    max_window_s: float = 0.05
    mean_window_s: float = 0.1
    wait_s: float = 0.05
    floor: float = 0.02
    normalize: bool = True
    deltas: Mapping[str, float] = field(default_factory=dict)
    add_components: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for label, members in self.add_components.items():
            unknown = [m for m in members if m not in COMPONENTS]
            if unknown:
                raise ConfigError(
                    f"peak picking adds an unknown drum component {unknown[0]!r} to "
                    f"{label}; known: {', '.join(COMPONENTS)}"
                )

    @classmethod
    def from_config(cls, config: Config, **changes: object) -> PeakPicking:
        """The paper's parameters stored in a model's configuration, with ``changes``.
        A sigmoid head's activation is a probability: its thresholds apply to it as it
        is (``normalize=False``); the sparse heads' curves are scaled to max 1 first."""
        base = cls(
            delta=config.peak_delta,
            max_window_s=config.peak_max_window_s,
            mean_window_s=config.peak_mean_window_s,
            wait_s=config.peak_wait_s,
            normalize=config.activation != "sigmoid",
        )
        return replace(base, **changes)  # type: ignore[arg-type]

    @classmethod
    def for_model(cls, model: object, **changes: object) -> PeakPicking:
        """The parameters a model was tuned with (its metadata's ``peak_picking``,
        chosen on a validation set), else its configuration's, with ``changes``."""
        tuned = dict(getattr(model, "metadata", {}).get("peak_picking") or {})
        return cls.from_config(model.config, **{**tuned, **changes})  # type: ignore[attr-defined]

    @classmethod
    def with_overrides(
        cls,
        model: object,
        delta: float | None = None,
        thresholds: Mapping[str, float] | None = None,
        strict_classes: bool = False,
        **changes: object,
    ) -> PeakPicking:
        """The model's parameters (:meth:`for_model`) changed as a user asks: ``delta``
        is one threshold for every class (replacing the tuned ones), ``thresholds``
        then sets single classes (``{"HH": 0.1}``; the others keep theirs),
        ``strict_classes`` drops what tuning added to a class's curve, and
        ``changes`` (e.g. ``wait_s``, ``floor``) replace fields; ``None`` values
        are ignored. The one place where command-line overrides are applied."""
        fields = {k: v for k, v in changes.items() if v is not None}
        if delta is not None:
            fields.update(delta=delta, deltas={})
        if strict_classes:
            fields["add_components"] = {}
        base = cls.for_model(model, **fields)
        if thresholds:
            known = set(ALL_CLASSES) | set(COMPONENTS)
            unknown = [label for label in thresholds if label not in known]
            if unknown:
                raise ConfigError(
                    f"--threshold names an unknown class {unknown[0]!r}; known: "
                    f"{', '.join(sorted(known))}"
                )
            base = replace(base, deltas={**base.deltas, **thresholds})
        return base

    def to_dict(self) -> dict:
        """JSON-ready parameters (for model metadata and reports)."""
        added = {label: list(members) for label, members in self.add_components.items()}
        return {**vars(self), "deltas": dict(self.deltas), "add_components": added}

    def delta_for(self, name: str) -> float:
        return float(self.deltas.get(name, self.delta))


def parse_thresholds(pairs: Sequence[str]) -> dict[str, float]:
    """``["HH=0.1", ...]`` -> ``{"HH": 0.1}``; :class:`ConfigError` for a malformed pair."""
    out = {}
    for pair in pairs:
        label, sep, value = pair.partition("=")
        try:
            out[label] = float(value)
        except ValueError:
            sep = ""
        if not sep or not label:
            raise ConfigError(f"--threshold expects CLASS=DELTA, e.g. HH=0.3; got {pair!r}")
    return out


@dataclass(frozen=True)
class Event:
    """One onset: ``time`` (s), output ``label`` (class), ``component``, ``strength``
    (activation height, 0-1) and MIDI ``velocity`` (1-127, relative to the loudest
    onset of its class in the file)."""

    time: float
    label: str
    component: str
    strength: float
    velocity: int


def resolve_classes(
    classes: str | Mapping[str, tuple[str, ...]], components: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    """A class-set name or mapping -> ``{label: member components present in the model}``."""
    if isinstance(classes, str):
        if classes not in CLASS_SETS:
            raise ConfigError(f"unknown class set {classes!r}; known: {', '.join(CLASS_SETS)}")
        classes = CLASS_SETS[classes]
    resolved = {}
    for label, members in classes.items():
        for member in members:
            component_class(member)  # raises for an unknown component
        present = tuple(m for m in members if m in components)
        if present:
            resolved[label] = present
    return resolved


def curve_members(
    classes: str | Mapping[str, tuple[str, ...]],
    components: tuple[str, ...],
    peaks: PeakPicking | None = None,
) -> dict[str, tuple[str, ...]]:
    """``{label: components summed into its curve}``: the class's own members present
    in the model first, then what ``peaks.add_components`` adds to it."""
    own = resolve_classes(classes, components)
    return {
        label: members + _added(label, members, components, peaks) for label, members in own.items()
    }


def _added(
    label: str, members: tuple[str, ...], components: tuple[str, ...], peaks: PeakPicking | None
) -> tuple[str, ...]:
    """The components ``peaks.add_components`` adds to ``label`` beyond its ``members``."""
    extra = (peaks or PeakPicking()).add_components.get(label, ())
    return tuple(c for c in extra if c in components and c not in members)


def _summed(activations: np.ndarray, rows: list[int]) -> np.ndarray:
    """The float32 sum of some rows of ``(K, frames)`` activations, without copying
    them all (an hour of three rows would be 43 MB more at the peak)."""
    curve = activations[rows[0]].astype(np.float32)  # a copy, float32 whatever is stored
    for row in rows[1:]:
        curve += activations[row]
    return curve


def pick_events(
    frame_activations: np.ndarray,
    frame_rate: float,
    components: tuple[str, ...] = COMPONENTS,
    classes: str | Mapping[str, tuple[str, ...]] = "paper",
    peaks: PeakPicking | None = None,
) -> list[Event]:
    """Events of ``(K, frames)`` activations, sorted by time then label.

    An event is named after the strongest of its class's *own* components, so a hat
    the model played on an added slot (its pedal hat) stays a closed or open hat.
    """
    peaks = peaks or PeakPicking()
    index = {c: i for i, c in enumerate(components)}
    events = []
    for label, own in resolve_classes(classes, components).items():
        members = own + _added(label, own, components, peaks)
        curve = _summed(frame_activations, [index[m] for m in members])
        own_rows = [index[m] for m in own]
        top = float(curve.max()) if curve.size else 0.0
        if top <= peaks.floor:  # near-silence is not scaled up into hits
            continue
        frames = pick_peaks(
            curve,
            frame_rate,
            peaks.delta_for(label),
            peaks.max_window_s,
            peaks.mean_window_s,
            peaks.wait_s,
            divisor=top if peaks.normalize else 1.0,
        )
        for frame in frames:
            strength = float(curve[frame])
            events.append(
                Event(
                    time=frame / frame_rate,
                    label=label,
                    component=own[int(np.argmax(frame_activations[own_rows, frame]))],
                    strength=strength,
                    velocity=int(np.clip(round(127 * strength / top), 1, 127)),
                )
            )
    return sorted(events, key=lambda e: (e.time, e.label))
