import numpy as np
import pytest
import scipy.ndimage

from drummernet.medians import running_median


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_running_median_is_scipys_median_filter_along_one_axis(dtype, axis):
    x = (np.random.default_rng(axis).standard_normal((6, 40, 50)) * 100).astype(dtype)
    size = [1, 1, 1]
    size[axis] = 17
    expected = scipy.ndimage.median_filter(x, size=tuple(size), mode="reflect")
    out = running_median(x, 17, axis)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out, expected)


def test_windows_longer_than_the_axis_mirror_it_again():
    x = np.array([[4.0, 1.0, 2.0, 9.0, 3.0]], dtype=np.float32)
    # reflect padding of 15 each side repeats the row mirrored: every window of 31
    # holds each value 6 or 7 times, so the median is among the middle values
    expected = scipy.ndimage.median_filter(x, size=(1, 31), mode="reflect")
    np.testing.assert_array_equal(running_median(x, 31, axis=1), expected)
    assert set(running_median(x, 31, axis=1).ravel()) <= {2.0, 3.0, 4.0}


def test_an_even_window_is_refused():
    with pytest.raises(ValueError, match="odd"):
        running_median(np.zeros(10), 4)
