"""Running medians along one axis, through ``scipy.ndimage``'s one-dimensional path.

``scipy.ndimage.median_filter`` filters a one-dimensional array with a double heap
(O(log size) an element), but an n-dimensional one by selecting within every window anew,
about ten times slower for the 17- and 31-long windows of the HPSS filters here. So
:func:`running_median` mirror-pads every row on its own, joins the rows end to end
into one array, filters that, and crops: no window of a row's output reaches into
the next row, so the result is ``median_filter`` along the axis, value for value.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage


def running_median(x: np.ndarray, size: int, axis: int = -1) -> np.ndarray:
    """Running median of odd length ``size`` along ``axis``, ``reflect`` edges.

    Parameters
    ----------
    x : np.ndarray
        Any shape; float32, float64 or int64 stay so (scipy's one-dimensional path).
    size : int
        Window length, odd.
    axis : int
        The axis filtered.

    Returns
    -------
    np.ndarray, the shape and dtype of ``x``: what ``scipy.ndimage.median_filter(x,
    size=...)`` with ``size`` along ``axis`` and 1 elsewhere, ``mode="reflect"``, gives.
    """
    if size % 2 != 1:
        raise ValueError(f"the window length must be odd; got {size}")
    rows = np.moveaxis(np.asarray(x), axis, -1)
    radius, n = size // 2, rows.shape[-1]
    # numpy's "symmetric" is scipy's "reflect" (d c b a | a b c d | d c b a)
    padded = np.pad(rows, [(0, 0)] * (rows.ndim - 1) + [(radius, radius)], mode="symmetric")
    filtered = scipy.ndimage.median_filter(padded.reshape(-1), size=size, mode="nearest")
    return np.moveaxis(filtered.reshape(padded.shape)[..., radius : radius + n], -1, axis)
