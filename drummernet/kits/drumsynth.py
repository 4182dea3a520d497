"""DrumSynth presets (``.ds``) rendered to one-shots: the drum sounds people designed.

DrumSynth (Paul Kellett, 1998-2000; kept alive in LMMS) describes a drum as a few
parameter sections in an INI file, and LMMS's ``lmms-common`` package ships about
760 of them: acoustic kits, the 808, 909, 606, CR-78, Linn, latin percussion and
many more hats, snares and kicks. This module reads them and renders them with its
own synthesis of each section, as the format defines them:

- ``[Tone]``: a sine whose frequency falls from ``F1`` to ``F2`` Hz, linearly or,
  with ``Droop``, exponentially;
- ``[Noise]``: white noise through a one- or two-tap slope filter (``Slope``);
- ``[Overtones]``: two oscillators (sine, |sine|, triangle, saw, square) added,
  frequency- or ring-modulated (``Method`` 0-2), or six square clocks between the
  two frequencies through a swept band-pass, the 808's cymbal (``Method`` 3);
- ``[NoiseBand]``, ``[NoiseBand2]``: a sine whose phase wanders at random, a band of
  noise ``dF`` wide around ``F``;
- ``[Distortion]``: bit reduction, sample-and-hold down-sampling and clipping;
- ``[General]``: ``Tuning`` (semitones), ``Stretch`` (% of every envelope's time),
  ``Level`` (dB), and a resonant low-pass (or high-pass) swept by ``FilterEnv`` over
  everything or over the overtones alone.

Every section has an envelope of ``time,level`` points (time in samples at 44.1 kHz,
level in %), and the section is silent past its last point.

:func:`read_preset` parses a file (one clear :class:`KitError` naming it otherwise),
:func:`render` turns a preset into a one-shot with a tuning and a time stretch of
your choice (drawn per kit by :func:`write_drumsynth_kits`, the randomisation that
makes many kits of few presets), and :func:`classify` names the drum a preset is from
its file name. The presets are GPL-2+ (LMMS): training material, never shipped.
"""

from __future__ import annotations

import configparser
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.signal

from drummernet.components import COMPONENTS
from drummernet.config import SAMPLE_RATE
from drummernet.errors import KitError
from drummernet.kits.library import Kit
from drummernet.kits.procedural import finished_shot

#: Where Debian's ``lmms-common`` puts the presets.
SYSTEM_PRESETS = Path("/usr/share/lmms/samples/drumsynth")
#: Source and licence recorded in each kit's manifest.
SOURCE = "DrumSynth presets of LMMS (lmms-common), rendered by drummernet.kits.drumsynth"
LICENSE = "GPL-2+ (LMMS); training only, never shipped"
#: The envelopes' time unit: a sample at this rate.
_ENVELOPE_RATE = 44100.0

#: File-name patterns of each component's presets, tried in this order on the file
#: name (lower case, without ``.ds``). Toms are one family here; a kit's three toms
#: are ordered by pitch when it is drawn.
PATTERNS: tuple[tuple[str, str], ...] = (
    ("OT_TMB", r"tamb"),
    ("HH_PHH", r"pedal"),
    ("HH_OHH", r"(hat|hh).*open|open.*(hat|hh)|(^|[-_])oh($|_)|hat[-_]o\d*$|^h_open"),
    ("CY_RDC", r"ride"),
    ("CY_CRC", r"crash|cym|splash|china"),
    ("HH_CHH", r"(^|[-_'])(hi-?|high_)?hat|hh|hihat|^h_closed"),
    ("TT", r"(^|[-_])(syn)?tom(?!ita)"),
    ("SD_SD", r"snare|snr|(^|[-_])sn($|_)"),
    ("KD_KD", r"kick|kik|(^|[-_])bd($|_)|bass_drum|^k_"),
)
#: Folders of sounds that are not drums (instruments, pads, effects): never read.
NOT_DRUMS = frozenset({"instrument", "misc_synth", "effects", "magnetboy", "misc_fx"})
#: A preset in this folder that no pattern names is a closed hat.
HAT_FOLDER = "misc_hats"


@dataclass(frozen=True)
class Preset:
    """A parsed ``.ds`` file: ``sections[name][key]`` as text, names lower case."""

    path: Path
    sections: dict[str, dict[str, str]]

    def number(self, section: str, key: str, default: float) -> float:
        """A value as a number (the format's default when absent or unreadable)."""
        text = self.sections.get(section, {}).get(key.lower(), "")
        match = re.match(r"\s*[-+]?\d*\.?\d+(e[-+]?\d+)?", text, re.I)
        value = float(match.group(0)) if match else default
        return value if math.isfinite(value) else default

    def on(self, section: str) -> bool:
        return self.number(section, "On", 0) == 1

    def envelope(self, section: str, key: str = "Envelope") -> np.ndarray:
        """``(points, 2)`` of (time in 44.1 kHz samples, level 0-1); a point that is not
        two finite numbers is skipped."""
        text = self.sections.get(section, {}).get(key.lower(), "0,0 100,0")
        points = []
        for pair in text.split():
            time, _, level = pair.partition(",")
            try:
                point = (float(time), float(level or 0) / 100.0)
            except ValueError:
                continue
            if math.isfinite(point[0]) and math.isfinite(point[1]):
                points.append(point)
        return np.array(points or [(0.0, 0.0), (100.0, 0.0)], dtype=np.float64)


def read_preset(path: str | Path) -> Preset:
    """Parse a DrumSynth ``.ds`` file (versions 1 and 2)."""
    path = Path(path)
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(path.read_bytes().decode("latin-1"))
    except OSError as exc:
        raise KitError(f"{path}: cannot read DrumSynth preset: {exc.strerror}") from None
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise KitError(f"{path}: not a DrumSynth preset: {first}") from None
    sections = {name.lower(): dict(parser[name]) for name in parser.sections()}
    version = sections.get("general", {}).get("version", "")
    if not re.match(r"drumsynth v[12]", version, re.I):
        raise KitError(f"{path}: not a DrumSynth v1/v2 preset (Version={version!r})")
    return Preset(path, sections)


def _envelope(
    points: np.ndarray, stretch: float, n: int, hold: bool = False
) -> tuple[np.ndarray, int]:
    """Levels at samples ``0..n-1`` and the sample where the section ends (silent
    after it, or, with ``hold``, at its last level: the filter's envelope)."""
    times = points[:, 0] * stretch
    end = int(times[-1])
    levels = np.interp(np.arange(n), times, points[:, 1])
    if not hold:
        levels[end:] = 0.0
    return levels, end


def _waveform(phase: np.ndarray, form: int) -> np.ndarray:
    if form == 0:
        return np.sin(phase)
    if form == 1:
        return np.abs(2.0 * np.sin(0.5 * phase)) - 1.0
    saw = np.mod(phase / (2 * math.pi), 1.0)
    if form == 2:
        return 1.0 - 4.0 * np.abs(saw - 0.5)
    if form == 3:
        return 2.0 * saw - 1.0
    return np.where(saw < 0.5, 1.0, -1.0)


def _held_noise(rng: np.random.Generator, n: int, step: int) -> np.ndarray:
    """Uniform noise in [-0.5, 0.5) held for ``step`` samples."""
    return np.repeat(rng.random(-(-n // step)) - 0.5, step)[:n]


def _cymbal808(pulses: np.ndarray, sweep: np.ndarray, q: float) -> np.ndarray:
    """The 808 cymbal's band-pass: a state-variable filter whose frequency follows
    ``sweep`` (one value per sample), driven by the square clocks' pulses."""
    out = np.empty_like(pulses)
    low = band = previous = 0.0
    for i, (x, f) in enumerate(zip(pulses.tolist(), sweep.tolist(), strict=True)):
        low += f * band
        band += f * (x + previous - q * band - low)
        previous = x
        out[i] = band
    return out


def _main_filter(p: Preset, x: np.ndarray, time_scale: float) -> np.ndarray:
    """``[General] Filter``: two one-pole stages with resonant feedback, their
    coefficient from ``FilterEnv`` (100: open; held at its last level), high-pass
    (``HighPass``) as the input minus the low-pass."""
    env, _ = _envelope(p.envelope("general", "FilterEnv"), time_scale, len(x), hold=True)
    resonance = math.sqrt(max(0.0, 0.0101 * p.number("general", "Resonance", 0.0)))
    fb = np.where(env > 0.2, 1.001 - 10.0 ** (env - 1.0), 0.999 - 0.7824 * env)
    gain = resonance * (1.0 + 1.0 / fb)
    out = np.empty_like(x)
    stage1 = stage2 = 0.0
    for i, (sample, f, g) in enumerate(zip(x.tolist(), fb.tolist(), gain.tolist(), strict=True)):
        drive = sample + g * (stage1 - stage2)
        stage1 = f * (stage1 - drive) + drive
        stage2 = f * (stage2 - stage1) + stage1
        out[i] = stage2
    return out - x if p.number("general", "HighPass", 0) == 1 else out


def render(
    preset: Preset,
    sr: int = SAMPLE_RATE,
    tuning: float = 0.0,
    stretch: float = 1.0,
    seed: int | np.random.Generator = 0,
    max_seconds: float = 2.0,
) -> np.ndarray:
    """Render a preset to a float32 one-shot at ``sr``, peak 1 (silence stays 0).

    Parameters
    ----------
    tuning : float
        Semitones added to the preset's own ``Tuning``.
    stretch : float
        Factor on the preset's own ``Stretch`` (the time of every envelope).
    seed : int or Generator
        The noise sections' random numbers.
    max_seconds : float
        Longer sounds are cut (and faded over their last 10 ms).

    Returns
    -------
    ndarray, shape ``(samples,)``
    """
    p, rng = preset, np.random.default_rng(seed)
    time_scale = min(10.0, max(0.2, 0.01 * p.number("general", "Stretch", 100.0) * stretch))
    time_scale *= sr / _ENVELOPE_RATE
    tune = 2.0 ** ((p.number("general", "Tuning", 0.0) + tuning) / 12.0)
    rad = 2 * math.pi * tune / sr  # Hz -> radians per sample
    sections = {"tone": ("Envelope",), "noise": ("Envelope",), "overtones": ("Envelope1",
                "Envelope2"), "noiseband": ("Envelope",), "noiseband2": ("Envelope",)}  # fmt: skip
    longest = max((p.envelope(s, k)[-1, 0] * time_scale for s, keys in sections.items()
                   if p.on(s) for k in keys), default=0.0)  # fmt: skip
    n = min(2400 + 1200 * int(longest // 1200), int(max_seconds * sr))
    out = _noise(p, n, time_scale, rng)
    tone, tone_phase = _tone(p, n, time_scale, rad)
    out += tone + _noise_bands(p, n, time_scale, rad, rng)
    overtones = _overtones(p, n, time_scale, rad, tone_phase)
    if p.number("general", "Filter", 0) == 1:  # the filter over everything
        out = _main_filter(p, out + overtones, time_scale)
    elif p.number("overtones", "Filter", 0) == 1:  # ... over the overtones alone
        out += _main_filter(p, overtones, time_scale)
    else:
        out += overtones
    return finished_shot(_distorted(p, out), sr)


def _noise(p: Preset, n: int, time_scale: float, rng: np.random.Generator) -> np.ndarray:
    """``[Noise]``: white noise through the slope filter (negative: a one-pole low-pass
    with a gain make-up; positive: a two-tap high-boosting FIR)."""
    if not p.on("noise"):
        return np.zeros(n)
    env, _ = _envelope(p.envelope("noise"), time_scale, n)
    slope, level = p.number("noise", "Slope", 0), p.number("noise", "Level", 0) ** 2
    if slope < 0:
        b, a = [1 + slope / 105], [1.0, slope / 105]  # y = b x + (-slope/105) y[-1]
        level *= 1 + 0.0005 * slope * slope
    else:
        b, a = [1.0, -slope / 50, abs(slope) / 100], [1.0]
    return scipy.signal.lfilter(b, a, rng.uniform(-1, 1, n)) * level * env


def _tone(p: Preset, n: int, time_scale: float, rad: float) -> tuple[np.ndarray, np.ndarray]:
    """``[Tone]`` and its phase (radians per sample, which overtones may track): a
    sine gliding from F1 to F2, linearly or (``Droop``) exponentially."""
    env, end = _envelope(p.envelope("tone"), time_scale, n)
    end = max(end, 1)
    t = np.arange(n, dtype=np.float64)
    f1, f2 = rad * p.number("tone", "F1", 200.0), rad * p.number("tone", "F2", 120.0)
    f1 = f1 if abs(f1) >= 0.001 else 0.001
    droop = p.number("tone", "Droop", 0.0)
    if not p.on("tone"):
        increment = np.full(n, f2)
    elif droop > 0:
        rate = -4.0 * 10.0 ** ((droop - 20.0) / 30.0) / end
        floor = f1 + (f2 - f1) / (1.0 - math.exp(rate * end))
        increment = floor + (f1 - floor) * np.exp(t * rate)
    else:
        increment = f1 + t / end * (f2 - f1)
    phase = math.radians(p.number("tone", "Phase", 90.0)) + np.cumsum(increment)
    if not p.on("tone"):
        return np.zeros(n), phase
    return p.number("tone", "Level", 128) ** 2 * env * np.sin(phase), phase


def _noise_bands(
    p: Preset, n: int, time_scale: float, rad: float, rng: np.random.Generator
) -> np.ndarray:
    """``[NoiseBand]`` and ``[NoiseBand2]``: a cosine at ``F`` whose phase takes a new
    random step every few samples, the wider the band (``dF``) the larger."""
    out = np.zeros(n)
    for band in ("noiseband", "noiseband2"):
        if not p.on(band):
            continue
        env, _ = _envelope(p.envelope(band), time_scale, n)
        centre, width = rad * p.number(band, "F", 1000.0), p.number(band, "dF", 50)
        q = width * width / (10000.0 - 6600.0 * (math.sqrt(max(centre, 0.0)) - 0.19))
        step = max(1, 1 + int((40.0 - width / 2.5) / (q + 1.0 + centre)))
        phase = math.pi / 4 + np.cumsum(centre + q * _held_noise(rng, n, step))
        out += np.cos(phase) * env * p.number(band, "Level", 128) ** 2
    return out


def _overtones(
    p: Preset, n: int, time_scale: float, rad: float, tone_phase: np.ndarray
) -> np.ndarray:
    """``[Overtones]``: two oscillators added (Method 0), one frequency-modulating (1)
    or ring-modulating (2) the other, or the 808's six square clocks between the two
    periods through a band-pass swept by the second envelope (3). ``Track1/2`` lock
    an oscillator to the tone's phase (its frequency then a ratio to F1)."""
    if not p.on("overtones"):
        return np.zeros(n)
    env1, _ = _envelope(p.envelope("overtones", "Envelope1"), time_scale, n)
    env2, _ = _envelope(p.envelope("overtones", "Envelope2"), time_scale, n)
    level = p.number("overtones", "Level", 128) ** 2
    f1 = max(rad * p.number("tone", "F1", 200.0), 0.001)
    start = math.radians(p.number("tone", "Phase", 90.0))
    t = np.arange(1, n + 1, dtype=np.float64)
    phases, waves = [], []
    for i in (1, 2):
        f = rad * p.number("overtones", f"F{i}", (200.0, 120.0)[i - 1])
        tracked = p.on("tone") and p.number("overtones", f"Track{i}", 0) == 1
        phases.append(tone_phase * f / f1 if tracked else start + f * t)
        waves.append(int(p.number("overtones", f"Wave{i}", 0)))
    balance = p.number("overtones", "Param", 50) / 100.0
    drive = (100 * balance) ** 3 / 125000.0
    method = int(p.number("overtones", "Method", 2))
    second = _waveform(phases[1], waves[1])
    if method == 0:  # add
        return level * ((1 - balance) * env1 * _waveform(phases[0], waves[0])
                        + balance * env2 * second)  # fmt: skip
    if method == 1:  # FM
        return level * env1 * _waveform(phases[0] + drive * env2 * second, waves[0])
    if method == 2:  # ring modulation
        ring = (1 - drive / 8) + drive / 8 * env2 * second
        return level * env1 * _waveform(phases[0], waves[0]) * ring
    # the 808 cymbal: clock i ticks at floor(k * period_i), k = 1, 2, ... (and at 0)
    q = (0.28 + (1 - balance) ** 2) ** 2
    periods = [2 * math.pi / max(rad * p.number("overtones", f"F{i}", 200.0), 1e-6)
               for i in (1, 2)]  # fmt: skip
    clocks = np.zeros(n, dtype=bool)
    clocks[0] = True
    for i in range(6):
        period = max(1.0, periods[0] + (periods[1] - periods[0]) * 0.2 * i)
        ticks = np.floor(np.arange(1, n / period + 1) * period).astype(int)
        clocks[ticks[ticks < n]] = True
    return _cymbal808(np.where(clocks, level * env1, 0.0), env2 * (1.8 - 0.7 * q) * 0.92, q)


def _distorted(p: Preset, out: np.ndarray) -> np.ndarray:
    """The output stage: ``Level`` gain, then with ``[Distortion]`` on, bit reduction
    (steps of 4^Bits), a ``Clipping`` boost, a block average per ``Rate`` and clipping
    at the loudest section's level; else clipping at 16-bit full scale."""
    gain = 10.0 ** (0.05 * p.number("general", "Level", 0.0))
    if not p.on("distortion"):
        return np.clip(out * gain, -32700.0, 32700.0)
    loudest = max((p.number(s, "Level", 0) ** 2 for s in ("tone", "noise", "overtones",
                   "noiseband", "noiseband2") if p.on(s)), default=0.0)  # fmt: skip
    clip = min(32700.0, gain * loudest)
    step_size = 2.0 ** (2.0 * p.number("distortion", "Bits", 0))
    boost = gain * 10.0 ** (0.05 * p.number("distortion", "Clipping", 0))
    out = boost * step_size * np.trunc(out / step_size)
    rate = int(p.number("distortion", "Rate", 0))
    step = {6: 20, 5: 10, 4: 8}.get(rate, 1 + rate)
    if step > 1:
        blocks = np.pad(out, (0, -len(out) % step)).reshape(-1, step).mean(axis=1)
        out = np.repeat(blocks, step)[: len(out)]
    return np.clip(out, -clip, clip)


def classify(path: str | Path) -> str | None:
    """The component a preset plays, from its file name (``"TT"`` for any tom), or
    None: ``tr808/Hat_o.ds`` is ``HH_OHH``, ``acoustic/Ride2.ds`` ``CY_RDC``; presets
    in :data:`NOT_DRUMS` folders and names with two drums (``snare&hat``) are None."""
    path = Path(path)
    if path.parent.name.lower() in NOT_DRUMS or "&" in path.stem:
        return None
    stem = path.stem.lower()
    for component, pattern in PATTERNS:
        if re.search(pattern, stem):
            return component
    if path.parent.name.lower() == HAT_FOLDER:  # e.g. threshold_noise(_open)
        return "HH_OHH" if "open" in stem else "HH_CHH"
    return None


def preset_pools(folder: str | Path = SYSTEM_PRESETS) -> dict[str, list[Path]]:
    """``{component or "TT": [preset paths]}`` of every classified ``.ds`` file under
    ``folder``; a component with no preset has no key."""
    folder = Path(folder)
    paths = sorted(folder.rglob("*.ds")) if folder.is_dir() else []
    if not paths:
        raise KitError(f"no DrumSynth presets (.ds) in {folder}: install them with "
                       "'apt install lmms-common', or give the folder that holds them")  # fmt: skip
    pools: dict[str, list[Path]] = {}
    for path in paths:
        component = classify(path)
        if component:
            pools.setdefault(component, []).append(path)
    return pools


def _pitch(shot: np.ndarray, sr: int) -> float:
    """Hz of the strongest spectral peak: a tom's body."""
    spectrum = np.abs(np.fft.rfft(shot * np.hanning(len(shot))))
    return float(np.fft.rfftfreq(len(shot), 1 / sr)[int(np.argmax(spectrum))])


def drumsynth_kit(
    pools: dict[str, list[Path]], rng: np.random.Generator, sr: int = SAMPLE_RATE,
    tom_presets: str = "one",
) -> tuple[dict[str, np.ndarray], dict[str, str]]:  # fmt: skip
    """One kit: a preset drawn per component, each at a tuning (±2 semitones) and a
    time stretch (0.8-1.25x) of its own; the three toms tuned 3-5 semitones apart and
    named by pitch, highest first, from one preset (``tom_presets="one"``) or a preset
    each (``"each"``); the pedal hat, when no preset names one, a closed hat at 0.4x its
    length. Returns the one-shots and the preset of each."""
    if tom_presets not in ("one", "each"):
        raise KitError(f"tom_presets is one or each; got {tom_presets!r}")
    shots: dict[str, np.ndarray] = {}
    chosen: dict[str, str] = {}

    def draw(component: str, pool: str, tuning: float = 0.0, stretch: float = 1.0,
             path: Path | None = None) -> None:  # fmt: skip
        if path is None:
            path = pools[pool][int(rng.integers(len(pools[pool])))]
        preset = read_preset(path)
        try:
            shots[component] = render(
                preset, sr, tuning + rng.uniform(-2.0, 2.0),
                stretch * float(np.exp(rng.uniform(np.log(0.8), np.log(1.25)))), rng,
            )  # fmt: skip
        except (ArithmeticError, ValueError) as exc:  # values no drum sound has
            raise KitError(f"{path}: cannot render this DrumSynth preset: {exc}") from None
        chosen[component] = f"{path.parent.name}/{path.name}"

    for component in COMPONENTS:
        if component.startswith("TT_"):
            continue
        pool = component if pools.get(component) else None
        if component == "HH_PHH" and pool is None and pools.get("HH_CHH"):
            draw(component, "HH_CHH", stretch=0.4)
        elif pool:
            draw(component, pool)
    toms = ("TT_HIT", "TT_MHT", "TT_HFT")
    if pools.get("TT"):  # tuned down step by step, then named by pitch
        path = pools["TT"][int(rng.integers(len(pools["TT"])))]
        spacing = rng.uniform(3.0, 5.0)
        for step, component in enumerate(toms):
            draw(component, "TT", tuning=-spacing * step,
                 path=path if tom_presets == "one" or not step else None)  # fmt: skip
        by_pitch = sorted(toms, key=lambda c: -_pitch(shots[c], sr))
        shots.update(dict(zip(toms, [shots[c] for c in by_pitch], strict=True)))
        chosen.update(dict(zip(toms, [chosen[c] for c in by_pitch], strict=True)))
    return shots, chosen


def write_drumsynth_kits(
    out_root: str | Path, count: int, seed: int = 0, presets: str | Path = SYSTEM_PRESETS,
    progress: Callable[[Iterable, int], Iterable] | None = None, tom_presets: str = "one",
) -> list[Kit]:  # fmt: skip
    """Write ``count`` kits ``drumsynth-<seed>-NNNN`` into ``out_root`` from the
    presets under ``presets`` (kit ``i`` drawn from ``(seed, i)``; ``tom_presets``: see
    :func:`drumsynth_kit`). A kit folder already there is refused before anything is
    written."""
    from drummernet.kits.builders import write_drawn_kits

    pools = preset_pools(presets)

    def draw(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], str]:
        shots, chosen = drumsynth_kit(pools, rng, tom_presets=tom_presets)
        return shots, ", ".join(f"{c} {p}" for c, p in chosen.items())

    return write_drawn_kits(out_root, "drumsynth", count, seed, draw, SOURCE, LICENSE, progress)
