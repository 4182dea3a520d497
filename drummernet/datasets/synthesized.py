"""Training segments with exact targets: drum MIDI played through random kits.

The label-free warm start: a stretch of a MIDI drum performance is rendered
through a kit drawn *per component* from the synthesizer's kits, with the
render augmentations (timing, pitch, tilt, reverb, compression, noise) and a
random level per component, and the network learns which component sounds
when. No audio is annotated by a person: the targets are the impulse trains
the audio was made from (the synthesizer, inverted). Item ``i`` is drawn by
``(seed, i)`` as in :class:`~drummernet.datasets.unlabeled.UnlabeledSegments`,
so a resumed run sees the data the uninterrupted one would have.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from drummernet.components import COMPONENTS, component_class
from drummernet.config import SAMPLE_RATE
from drummernet.datasets.accompaniment import BandMix
from drummernet.datasets.augment import Augmentation, pitch_shift, spectral_tilt
from drummernet.datasets.midi import Hit, MidiError, read_drum_midi
from drummernet.datasets.render import midi_files, mix_hits
from drummernet.datasets.unlabeled import Skipped
from drummernet.errors import DrummerNetError
from drummernet.kits.library import Kit, default_fallbacks, get_kits

#: Re-voicings drawn per item, in order, so that rare components get examples:
#: ``(from, to, probability)`` moves every hit of ``from`` in the item to ``to``
#: (a hi-hat pattern played on the ride, a snare line on a tom, ...).
REVOICINGS: tuple[tuple[str, str, float], ...] = (
    ("HH_CHH", "CY_RDC", 0.15),
    ("HH_CHH", "HH_OHH", 0.05),
    ("HH_CHH", "OT_TMB", 0.05),
    ("SD_SD", "TT_HIT", 0.04),
    ("SD_SD", "TT_MHT", 0.04),
    ("SD_SD", "TT_HFT", 0.04),
)
#: ``(of, add, probability)``: the item's first hit of ``of`` gets a hit of ``add``
#: beside it (a crash on the downbeat's kick; the performances have few crashes).
DOUBLINGS: tuple[tuple[str, str, float], ...] = (("KD_KD", "CY_CRC", 0.2),)
#: Drum MIDI shipped with the package (Groove MIDI Dataset train split, CC BY 4.0):
#: the rhythms ``drummernet adapt`` plays a fitted kit with. ``scripts/package_rhythms.py``.
RHYTHMS = Path(__file__).parent / "data" / "rhythms"
#: dB: each component's level in an item is drawn from this range.
LEVEL_RANGE_DB = (-9.0, 3.0)


@dataclass(frozen=True)
class Voicing:
    """How far one component's one-shots are re-tuned and re-equalised in an item,
    so that no kit's sound is learned as *the* sound of a component. Drums
    (kick, snare, toms) are re-tuned by up to ``semitones``; metal (hats,
    cymbals, tambourine) by a third of it, since their pitch says little. With
    ``families`` (e.g. ``("HH", "CY")``), only the components of those families are
    re-voiced (the draws stay those of every component, so an item's other sounds
    are the same as without the restriction)."""

    semitones: float = 2.0
    tilt_db_per_octave: float = 3.0
    families: tuple[str, ...] = ()

    def draw(self, components: Sequence[str], rng: np.random.Generator,
             sample_rate: int) -> Callable[[str, np.ndarray], np.ndarray]:  # fmt: skip
        """A re-voicing of every component, drawn by ``rng`` (which an identity
        voicing leaves untouched)."""
        if not (self.semitones or self.tilt_db_per_octave):
            return lambda component, shot: shot
        drums, family = ("KD", "SD", "TT"), {c: component_class(c) for c in components}
        cents = {c: 100 * rng.uniform(-1, 1) * self.semitones
                 * (1 if family[c] in drums else 1 / 3) for c in components}  # fmt: skip
        tilt = {c: rng.uniform(-1, 1) * self.tilt_db_per_octave for c in components}
        for c in components:
            if self.families and family[c] not in self.families:
                cents[c], tilt[c] = 0.0, 0.0

        done: dict[tuple[str, int], np.ndarray] = {}  # a layer's sample, once per item

        def revoiced(component: str, shot: np.ndarray) -> np.ndarray:
            key = (component, id(shot))
            if key not in done:
                shifted = pitch_shift(shot, cents.get(component, 0.0))
                done[key] = spectral_tilt(shifted, tilt.get(component, 0.0), sample_rate)
            return done[key]

        return revoiced


#: No re-voicing of the kits' one-shots.
NO_VOICING = Voicing(semitones=0.0, tilt_db_per_octave=0.0)


@dataclass(frozen=True)
class Performance:
    """The hits of one MIDI file and the time of its last hit (s)."""

    name: str
    hits: tuple[Hit, ...]
    duration: float


def read_performances(
    inputs: Sequence[str | Path], split: str | None = None, progress: Callable | None = None
) -> tuple[list[Performance], list[Skipped]]:
    """The drum performances of the MIDI files of ``inputs`` (see
    :func:`~drummernet.datasets.render.midi_files`) and the files left out.
    ``progress`` wraps the iterator of files (``progress(files, total=n)``, e.g. tqdm)."""
    performances, skipped = [], []
    files = midi_files(inputs, split)
    for path, name in progress(files, total=len(files)) if progress else files:
        try:
            hits = tuple(read_drum_midi(path))
        except MidiError as exc:
            skipped.append(Skipped(path, str(exc).removeprefix(f"{path}: ")))
            continue
        performances.append(Performance(name, hits, max(h.time for h in hits)))
    if not performances:
        raise DrummerNetError("no drum MIDI among the given paths")
    return performances, skipped


def revoice(
    hits: Sequence[Hit],
    rng: np.random.Generator,
    doublings: Sequence[tuple[str, str, float]] = DOUBLINGS,
    after_s: float | None = None,
) -> list[Hit]:
    """``hits`` with the :data:`REVOICINGS` and ``doublings`` drawn by ``rng`` applied
    (time order kept). A doubling goes beside the first hit of its component, or,
    with ``after_s``, beside one drawn at random among those at or after ``after_s`` s
    (so that it lands inside an item rather than in its preroll)."""
    moves: dict[str, str] = {}
    for source, target, probability in REVOICINGS:
        if rng.random() < probability and source not in moves:
            moves[source] = target
    out = [Hit(h.time, moves.get(h.component, h.component), h.velocity) for h in hits]
    for of, add, probability in doublings:
        if after_s is None:
            first = next((h for h in out if h.component == of), None)
            if rng.random() < probability and first is not None:
                out.append(Hit(first.time, add, first.velocity))
            continue
        among = [h for h in out if h.component == of and h.time >= after_s]
        if among and rng.random() < probability:
            chosen = among[rng.integers(len(among))]
            out.append(Hit(chosen.time, add, chosen.velocity))
    return sorted(out, key=lambda h: h.time)


def onset_targets(
    labels: Sequence[Hit], frames: int, frame_rate: float, components: Sequence[str]
) -> np.ndarray:
    """``(K, frames)`` float32: 1 at the frame nearest each onset, else 0."""
    target = np.zeros((len(components), frames), dtype=np.float32)
    index = {c: k for k, c in enumerate(components)}
    for hit in labels:
        frame = round(hit.time * frame_rate)
        if 0 <= frame < frames and hit.component in index:
            target[index[hit.component], frame] = 1.0
    return target


def _draw_kit(groups: Sequence[Sequence[Kit]], rng: np.random.Generator) -> Kit | None:
    """One kit: a group drawn uniformly, then one of its kits (a group of one kit
    draws nothing more, so plain kits are drawn as they always were)."""
    if not groups:
        return None
    group = groups[rng.integers(len(groups))]
    return group[0] if len(group) == 1 else group[rng.integers(len(group))]


class SynthesizedSegments(torch.utils.data.Dataset):
    """``(audio, target)`` items: a ``seconds`` stretch of a performance rendered
    through one kit per component, peak 1, and its onset targets.

    Parameters
    ----------
    midi : MIDI files and/or folders (Groove MIDI Dataset folders with ``split``), or
        the :class:`Performance` objects themselves (e.g. hits a model transcribed)
    kits : kit names or folders each component's kit is drawn from (those that have
        the component; the default fallback kit where none has it). A folder of kit
        folders is one entry: it is drawn as often as one kit, then one of its kits
        (give it several times to draw it more often)
    seconds : item length, s
    hop : samples per target frame (the network's ``upsample_factor``)
    preroll_s : hits this long before the item are rendered too (their tails ring in)
    voicing : how far each component's one-shots are re-tuned and re-equalised per item
    crashes : probability of each of :data:`DOUBLINGS` (a crash beside a kick), the
        kick drawn among those inside the item; None: :data:`DOUBLINGS` as they are
        (the stretch's first kick, which may fall in the preroll)
    levels_db : ``(low, high)``: each component's level in an item, drawn uniformly (dB)
    band : accompaniment mixed into a share of the items (see
        :class:`~drummernet.datasets.accompaniment.BandMix`); None: drums alone
    """

    def __init__(
        self,
        midi: Sequence[str | Path] | Sequence[Performance],
        kits: Sequence[str | Path | Kit],
        seconds: float = 2.0,
        sample_rate: int = SAMPLE_RATE,
        hop: int = 16,
        seed: int = 0,
        split: str | None = None,
        augmentation: Augmentation = Augmentation(),  # noqa: B008 (frozen)
        length: int = 2**62,
        preroll_s: float = 1.0,
        components: Sequence[str] = COMPONENTS,
        voicing: Voicing = NO_VOICING,
        crashes: float | None = None,
        levels_db: tuple[float, float] = LEVEL_RANGE_DB,
        progress: Callable | None = None,
        band: BandMix | None = None,
    ) -> None:
        if not kits:
            raise DrummerNetError("no kit given to render the warm-start data with")
        if midi and all(isinstance(m, Performance) for m in midi):
            self.performances, self.skipped = list(midi), []
        else:
            self.performances, self.skipped = read_performances(midi, split, progress)
        groups = [[k] if isinstance(k, Kit) else get_kits(k) for k in kits]
        fallbacks = default_fallbacks()
        #: per component, the groups (one per ``kits`` entry) of kits that have it
        self.candidates: dict[str, list[list[Kit]]] = {}
        for component in components:
            having = [g for g in ([k for k in group if component in k.layers] for group in groups)
                      if g]  # fmt: skip
            self.candidates[component] = having or [[k] for k in fallbacks
                                                    if component in k.layers]  # fmt: skip
        self.segment, self.hop = round(seconds * sample_rate), hop
        self.sample_rate, self.seed, self.length = sample_rate, seed, length
        self.augmentation, self.preroll_s, self.voicing = augmentation, preroll_s, voicing
        self.components = tuple(components)
        self.crashes, self.levels_db, self.band = crashes, levels_db, band
        durations = np.array([max(p.duration, seconds) for p in self.performances])
        self._weights = durations / durations.sum()

    def __len__(self) -> int:
        return self.length

    def _window(self, rng: np.random.Generator) -> list[Hit]:
        """The hits of a random stretch, times from the start of its preroll."""
        performance = self.performances[rng.choice(len(self.performances), p=self._weights)]
        seconds = self.segment / self.sample_rate
        start = rng.uniform(0.0, max(0.0, performance.duration - seconds / 2))
        first = start - self.preroll_s
        return [
            Hit(h.time - first, h.component, h.velocity)
            for h in performance.hits
            if first <= h.time < start + seconds
        ]

    def _revoiced(self, rng: np.random.Generator) -> list[Hit]:
        """A random stretch's hits, re-voiced (see :func:`revoice`)."""
        if self.crashes is None:
            return revoice(self._window(rng), rng)
        doublings = [(of, add, self.crashes) for of, add, _ in DOUBLINGS]
        return revoice(self._window(rng), rng, doublings, after_s=self.preroll_s)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(samples,)`` float32 audio with peak 1 and ``(K, samples // hop)`` targets."""
        rng = np.random.default_rng([self.seed, index])
        preroll = round(self.preroll_s * self.sample_rate)
        frames = self.segment // self.hop
        total_s = (preroll + self.segment) / self.sample_rate
        for _ in range(10):  # a stretch without hits: draw again
            hits = self._revoiced(rng)
            sources = {c: _draw_kit(groups, rng) for c, groups in self.candidates.items()}
            gains = {c: float(rng.uniform(*self.levels_db)) for c in self.candidates}
            voicing = self.voicing.draw(self.components, rng, self.sample_rate)
            audio, labels, _ = mix_hits(hits, sources, self.augmentation, rng, self.sample_rate,
                                        tail_s=total_s, gains_db=gains,
                                        voicing=voicing)  # fmt: skip
            audio = audio[preroll : preroll + self.segment]
            audio = np.pad(audio, (0, self.segment - len(audio)))
            inside = [Hit(h.time - self.preroll_s, h.component, h.velocity) for h in labels
                      if h.time >= self.preroll_s]  # fmt: skip
            target = onset_targets(inside, frames, self.sample_rate / self.hop, self.components)
            if self.band is not None:
                audio = self.band.apply(audio, rng)
            peak = float(np.max(np.abs(audio)))
            if peak > 1e-4 and target.any():
                return torch.from_numpy(audio / peak), torch.from_numpy(target)
        return torch.zeros(self.segment), torch.zeros(len(self.components), frames)
