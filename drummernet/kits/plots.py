"""Pictures of kits: each component's one-shot spectrum, before and after fitting."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from drummernet.config import SAMPLE_RATE
from drummernet.fileio import atomic_write
from drummernet.kits.fitting import FittedComponent, band_spectrum, log_band_centres


def plot_fitted_spectra(
    before: Mapping[str, np.ndarray],
    after: Mapping[str, np.ndarray],
    fits: Mapping[str, FittedComponent],
    path: str | Path,
) -> None:
    """One panel per component: the band spectrum (dB, over the first 160 ms) of its
    starting one-shot ``before`` and of the fitted one ``after``, titled with where it
    came from and how often it was heard; written to ``path`` (PNG) atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    centres = log_band_centres(SAMPLE_RATE)
    names = list(after)
    cols = 4
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False,
                             sharex=True, sharey=True)  # fmt: skip
    for ax, name in zip(axes.flat, names, strict=False):
        fit = fits[name]
        ax.semilogx(centres, band_spectrum(before[name]), color="0.6", label="before")
        ax.semilogx(centres, band_spectrum(after[name]), color="C3", label="fitted")
        kept = "" if fit.eq_db else ", kept"
        ax.set_title(f"{name}: {fit.source} ({fit.onsets} hits{kept})", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("Hz")
    for ax in axes[:, 0]:
        ax.set_ylabel("dB")
    fig.tight_layout()
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=90))
    finally:
        plt.close(fig)
