"""Fitting a kit's one-shots to recordings, from where a model hears each component.

Given recordings and the onsets a model found in them, each component's sound
in the recordings is its template in an NMFD of the recordings whose activations
may be non-zero only at those onsets (:func:`fit_templates`: overlapping hits are
shared out, not cut out). For every component, each candidate kit's one-shot is
given the equaliser (a level and a gain curve over a few log-spaced bands, both
bounded: :class:`VoicingBounds`), fitted in closed form, that brings its spectrum
closest to the template's; the closest equalised one-shot makes the best kit, the
next closest ones the next kits (:func:`fit_kits`). A component heard too rarely
keeps the first candidate's one-shot, unchanged. With ``heard``, one more kit
holds the templates themselves made audible (:func:`heard_one_shot`): the sound
as the recordings have it, no candidate's colour or decay imposed.

The equaliser is a smooth, zero-phase filter, so a fitted snare is a candidate
snare made brighter, darker, louder or softer; it never becomes another sound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from drummernet.config import SAMPLE_RATE
from drummernet.kits.library import Kit
from drummernet.nmfd import HOP, N_FFT, TEMPLATE_FRAMES, nmfd, spectrogram

#: Onsets of a component needed before its one-shot is fitted.
MIN_ONSETS = 4


@dataclass(frozen=True)
class VoicingBounds:
    """Equaliser of a fitted one-shot: ``bands`` log-spaced centres from ``lowest_hz``
    to ``highest_hz``, each within ``± eq_db`` of the level, the level within ``± gain_db``."""

    gain_db: float = 12.0
    eq_db: float = 12.0
    bands: int = 8
    lowest_hz: float = 60.0
    highest_hz: float = 6000.0

    def centres_hz(self) -> np.ndarray:
        """The bands' centre frequencies, Hz."""
        return np.geomspace(self.lowest_hz, self.highest_hz, self.bands)


@dataclass
class FittedComponent:
    """One component of a fitted kit: where its one-shot comes from and how it was
    equalised (``eq_db`` per band, beside the overall ``gain_db``)."""

    source: str
    onsets: int
    gain_db: float = 0.0
    eq_db: list[float] = field(default_factory=list)
    shape_error_db: float | None = None  # mean |spectrum difference| left after fitting


def band_interpolation(freqs: np.ndarray, bounds: VoicingBounds) -> np.ndarray:
    """``(bands, len(freqs))`` weights that spread band gains over frequencies,
    linear in log-frequency between centres, constant beyond the outer ones."""
    centres = np.log(bounds.centres_hz())
    position = np.interp(np.log(np.maximum(freqs, 1.0)), centres, np.arange(bounds.bands))
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, bounds.bands - 1)
    frac = position - low
    weights = np.zeros((bounds.bands, len(freqs)))
    np.add.at(weights, (low, np.arange(len(freqs))), 1 - frac)
    np.add.at(weights, (high, np.arange(len(freqs))), frac)
    return weights


def equalise(
    shot: np.ndarray, gain_db: float, eq_db: Sequence[float], sample_rate: int,
    bounds: VoicingBounds = VoicingBounds(),
) -> np.ndarray:  # fmt: skip
    """``shot`` through the equaliser: ``gain_db`` plus the curve of ``eq_db`` (one
    value per band of ``bounds``); same length, float32."""
    n = 2 * len(shot)  # room for the filter's ring: no wrap-around
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    db = gain_db + np.asarray(eq_db, dtype=np.float64) @ band_interpolation(freqs, bounds)
    out = np.fft.irfft(np.fft.rfft(shot, n) * 10 ** (db / 20), n)[: len(shot)]
    return out.astype(np.float32)


def fit_equaliser(
    difference_db: np.ndarray, centres_hz: np.ndarray,
    bounds: VoicingBounds = VoicingBounds(),
) -> tuple[float, np.ndarray]:  # fmt: skip
    """The level and band gains that best turn one spectrum into another, given their
    difference in dB at ``centres_hz`` (NaN: no data there): ``(gain_db, eq_db)``.

    The level is the mean difference (left unclipped: levels are made relative
    later); the band gains are the least-squares fit of what remains, each
    clipped to ``± bounds.eq_db``.
    """
    ok = np.isfinite(difference_db)
    gain = float(np.mean(difference_db[ok]))
    basis = band_interpolation(centres_hz[ok], bounds).T  # (points, bands)
    eq, *_ = np.linalg.lstsq(basis, difference_db[ok] - gain, rcond=None)
    return gain, np.clip(eq, -bounds.eq_db, bounds.eq_db)


def log_band_edges(sample_rate: int, bands: int = 40, lowest_hz: float = 40.0) -> np.ndarray:
    """``bands + 1`` log-spaced edges from ``lowest_hz`` to Nyquist, Hz."""
    return np.geomspace(lowest_hz, sample_rate / 2, bands + 1)


def log_band_centres(sample_rate: int) -> np.ndarray:
    """Geometric centres of the bands of :func:`log_band_edges`, Hz."""
    edges = log_band_edges(sample_rate)
    return np.sqrt(edges[:-1] * edges[1:])


def band_db(magnitude: np.ndarray, freqs: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Power, in dB, of a magnitude spectrum ``(bins,)`` averaged in the bands
    between ``edges`` (a band without a bin: NaN)."""
    band = np.searchsorted(edges, freqs) - 1
    power = np.array([np.mean(magnitude[band == b] ** 2) if np.any(band == b) else np.nan
                      for b in range(len(edges) - 1)])  # fmt: skip
    return 10 * np.log10(np.maximum(power, 1e-20))


def shot_template(shot: np.ndarray, frames: int = TEMPLATE_FRAMES) -> np.ndarray:
    """A one-shot's magnitude spectrogram over its first ``frames`` frames, ``(bins,
    frames)``, in the representation of :mod:`drummernet.nmfd`."""
    return spectrogram(np.pad(shot, (0, HOP * frames)))[:, :frames]


def start_templates(shots: Sequence[np.ndarray], frames: int = TEMPLATE_FRAMES) -> np.ndarray:
    """NMFD starting templates ``(bins, len(shots), frames)``: each one-shot's
    :func:`shot_template`, scaled to unit sum."""
    return np.stack([t / (t.sum() + 1e-10) for t in (shot_template(s, frames) for s in shots)],
                    axis=1)  # fmt: skip


def onset_activations(onsets: Mapping[str, np.ndarray], components: Sequence[str],
                      frames: int) -> np.ndarray:  # fmt: skip
    """``(K, frames)``: 1 at the spectrogram frame of every onset (s), else 0."""
    h = np.zeros((len(components), frames), dtype=np.float32)
    for k, c in enumerate(components):
        index = np.round(np.asarray(onsets.get(c, []), dtype=float) * SAMPLE_RATE / HOP)
        index = index[(index >= 0) & (index < frames)].astype(int)
        h[k, index] = 1.0
    return h


def fit_templates(
    recordings: Sequence[np.ndarray],
    onsets: Sequence[Mapping[str, np.ndarray]],
    start: np.ndarray,
    components: Sequence[str],
    iterations: int = 30,
) -> tuple[np.ndarray, np.ndarray]:
    """NMFD of the recordings (spectrograms side by side) with activations that can
    be non-zero only at the given onsets: each component's template ``(bins,
    frames)`` as heard there, and its median onset amplitude. Overlapping hits are
    shared out between components by the factorisation, not cut out."""
    specs = [spectrogram(y) for y in recordings]
    h = np.concatenate([onset_activations(o, components, s.shape[1])
                        for o, s in zip(onsets, specs, strict=True)], axis=1)  # fmt: skip
    templates, h = nmfd(np.concatenate(specs, axis=1), start, iterations, initial_activations=h)
    amplitude = np.array([np.median(row[row > 0]) if np.any(row > 0) else 0.0 for row in h])
    return templates, amplitude


def fit_kits(
    recordings: Sequence[np.ndarray],
    onsets: Sequence[Mapping[str, np.ndarray]],
    candidates: Sequence[Kit],
    components: Sequence[str],
    bounds: VoicingBounds = VoicingBounds(),
    keep_first: bool = False,
    choices: int = 1,
    rank_by: str = "spectrum",
    heard: bool = False,
    heard_frames: int | None = None,
) -> list[tuple[dict[str, np.ndarray], dict[str, FittedComponent]]]:
    """Fit one-shots per component to ``recordings`` (mono, at ``SAMPLE_RATE``),
    given each recording's onsets (``{component: times in s}``): ``choices`` kits,
    the best first.

    The templates start from the first candidate having each component; after the
    factorisation, every candidate one-shot is equalised to the fitted template's
    spectrum, and kit ``i`` holds, per component, the ``i``-th closest (least error
    left; the last one where fewer candidates have it). Levels are relative: the
    median fitted component of the best kit keeps its candidate's level. With
    ``keep_first``, a component the first candidate has (a user's own kit) is
    fitted from it alone. With ``heard``, a last kit holds each fitted component's
    template, from a second factorisation with ``heard_frames``-frame templates
    (default :data:`HEARD_TEMPLATE_FRAMES`), as a one-shot (:func:`heard_one_shot`)
    at the best kit's RMS level (the others: the best kit's one-shot).

    Returns ``[(one-shots, fits), ...]``: the fitted samples and how each was made.
    """
    if choices < 1:
        raise ValueError(f"choices must be at least 1, not {choices}")
    if rank_by not in RANKINGS:
        raise ValueError(f"rank_by must be one of {', '.join(RANKINGS)}, not {rank_by!r}")
    having = {c: [k for k in candidates if c in k.layers] or list(candidates[:1])
              for c in components}  # fmt: skip
    if keep_first:
        having = {c: [candidates[0]] if c in candidates[0].layers else kits
                  for c, kits in having.items()}  # fmt: skip
    first = [having[c][0].one_shot(c) for c in components]
    templates, amplitude = fit_templates(recordings, onsets, start_templates(first), components)
    counts = np.sum([[len(o.get(c, [])) for c in components] for o in onsets], axis=0)
    ranked = {c: _ranked_candidates(templates[:, k] * amplitude[k], having[c], c, bounds, rank_by)
              for k, c in enumerate(components) if counts[k] >= MIN_ONSETS}  # fmt: skip
    offset = float(np.median([r[0][3] for r in ranked.values()])) if ranked else 0.0
    kits = []
    for choice in range(choices):
        shots, fits = {}, {}
        for k, c in enumerate(components):
            if c not in ranked:
                shots[c], fits[c] = first[k], FittedComponent(having[c][0].name, int(counts[k]))
                continue
            error, kit, shot, gain, eq = ranked[c][min(choice, len(ranked[c]) - 1)]
            gain = float(np.clip(gain - offset, -bounds.gain_db, bounds.gain_db))
            shots[c] = equalise(shot, gain, eq, SAMPLE_RATE, bounds)
            eq_db = [round(float(x), 2) for x in eq]
            fits[c] = FittedComponent(kit.name, int(counts[k]), round(gain, 2), eq_db,
                                      round(error, 2))  # fmt: skip
        kits.append((shots, fits))
    if heard:  # a second factorisation, with templates long enough to hear the decay
        start = start_templates(first, heard_frames or HEARD_TEMPLATE_FRAMES)
        templates, _ = fit_templates(recordings, onsets, start, components)
        best_shots, best_fits = kits[0]
        shots, fits = dict(best_shots), dict(best_fits)
        for k, c in enumerate(components):
            if c in ranked:
                shot = heard_one_shot(templates[:, k])
                rms = np.sqrt(np.mean(best_shots[c] ** 2) / (np.mean(shot**2) + 1e-20))
                shots[c] = (shot * rms).astype(np.float32)
                fits[c] = FittedComponent(HEARD_SOURCE, int(counts[k]))
        kits.append((shots, fits))
    return kits


#: ``FittedComponent.source`` of a one-shot made from the recordings' own template.
HEARD_SOURCE = "the recordings (NMFD template)"
#: Frames (16 ms) of a heard one-shot, and the slowest decay per frame it is given.
HEARD_FRAMES, HEARD_MAX_DECAY = 60, 0.97
#: Frames of the templates the heard one-shots are made from (the ranking's are
#: ``TEMPLATE_FRAMES``): chosen on validation (``bench/adapt_variants.py ...gl^F``).
HEARD_TEMPLATE_FRAMES = 20


def heard_one_shot(template: np.ndarray) -> np.ndarray:
    """An NMFD template ``(bins, frames)`` as a one-shot: continued past its frames
    to :data:`HEARD_FRAMES` by each bin's own decay over its last 4 frames (at most
    :data:`HEARD_MAX_DECAY` a frame, so it always dies away), then inverted by
    Griffin-Lim from random phases (``librosa.griffinlim``, a fixed seed). Float32,
    unscaled."""
    import librosa

    t = np.asarray(template, dtype=np.float64)
    decay = np.clip((t[:, -1] / (t[:, -5] + 1e-12)) ** 0.25, 0.0, HEARD_MAX_DECAY)
    tail = t[:, -1:] * decay[:, None] ** np.arange(1, max(HEARD_FRAMES - t.shape[1], 0) + 1)
    full = np.concatenate([t, tail], axis=1)
    shot = librosa.griffinlim(full, n_iter=48, hop_length=HOP, n_fft=N_FFT, random_state=0)
    return shot.astype(np.float32)


def _ranked_candidates(
    template: np.ndarray,
    kits: Sequence[Kit],
    component: str,
    bounds: VoicingBounds,
    rank_by: str = "spectrum",
) -> list[tuple[float, Kit, np.ndarray, float, np.ndarray]]:
    """Every kit's one-shot of ``component`` equalised to the ``template`` (bins,
    frames): ``(error left in dB, kit, one-shot, gain_db, eq_db)``, closest first.
    The error is that of the band spectra (``rank_by="spectrum"``) or of the
    band-by-frame images, each floored :data:`TF_FLOOR_DB` below the template's
    loudest cell (``"time"``: how the sound decays counts too)."""
    heard = template_bands(template)
    heard_tf = template_band_frames(template)
    centres = log_band_centres(SAMPLE_RATE)
    ranked = []
    for kit in kits:
        shot = kit.one_shot(component)
        diff = heard - band_spectrum(shot)
        gain, eq = fit_equaliser(diff, centres, bounds)
        curve = gain + eq @ band_interpolation(centres, bounds)
        if rank_by == "time":
            mine = template_band_frames(shot_template(shot)) + curve[:, None]
            floor = np.nanmax(heard_tf) - TF_FLOOR_DB
            left = np.maximum(heard_tf, floor) - np.maximum(mine, floor)
        else:
            left = diff - curve
        ranked.append((float(np.nanmean(np.abs(left))), kit, shot, gain, eq))
    return sorted(ranked, key=lambda fit: fit[0])


#: How :func:`fit_kits` may rank the candidates (see :func:`_ranked_candidates`).
RANKINGS = ("spectrum", "time")
#: dB below a template's loudest band-frame cell where ``rank_by="time"`` stops looking.
TF_FLOOR_DB = 50.0


def template_band_frames(template: np.ndarray) -> np.ndarray:
    """A template's ``(bins, frames)`` spectrogram as dB per band of
    :func:`log_band_edges` and frame, ``(bands, frames)`` (a band without a bin: NaN)."""
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    edges = log_band_edges(SAMPLE_RATE)
    return np.stack([band_db(frame, freqs, edges) for frame in template.T], axis=1)


def template_bands(template: np.ndarray) -> np.ndarray:
    """A template's ``(bins, frames)`` spectrum summed over its frames, dB per band of
    :func:`log_band_edges`."""
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    return band_db(template.sum(-1), freqs, log_band_edges(SAMPLE_RATE))


def band_spectrum(shot: np.ndarray) -> np.ndarray:
    """A one-shot's spectrum over the template length (160 ms), dB per band of
    :func:`log_band_edges`."""
    return template_bands(shot_template(shot))


def spectral_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference, in dB, of two one-shots' band spectra
    (:func:`band_spectrum`), each level removed: how far one sound's colour is from
    another's."""
    da, db = band_spectrum(a), band_spectrum(b)
    return float(np.nanmean(np.abs((da - np.nanmean(da)) - (db - np.nanmean(db)))))
