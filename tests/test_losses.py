import librosa
import numpy as np
import pytest
import scipy.ndimage
import torch

from drummernet.config import get_preset
from drummernet.losses import OnsetSpectrumLoss, PseudoCQT
from drummernet.losses.spectral_ops import _window_medians, median_filter, percussive_mask
from drummernet.synth import Synthesizer

SR = 16000


def _pattern(onsets: dict[int, list[int]], length: int) -> torch.Tensor:
    y = torch.zeros(1, 11, length)
    for component, samples in onsets.items():
        y[0, component, samples] = 1.0
    return y


def test_loss_is_zero_against_itself_and_grows_with_a_10ms_shift(paper_kit):
    synth = Synthesizer(paper_kit)
    onsets = {0: [1600, 17600], 1: [9600, 25600], 2: list(range(1600, 30000, 4000))}
    audio = synth(_pattern(onsets, 32000))
    loss = OnsetSpectrumLoss(get_preset("paper"))
    shifted = {k: [s + 160 for s in v] for k, v in onsets.items()}
    same = float(loss(audio, audio))
    ten_ms = float(loss(synth(_pattern(shifted, 32000)), audio))
    one_ms = float(
        loss(synth(_pattern({k: [s + 16 for s in v] for k, v in onsets.items()}, 32000)), audio)
    )
    assert same == 0.0
    assert ten_ms > 0.1
    assert ten_ms > 2 * one_ms > 0  # a larger misalignment costs more


def test_wrong_instrument_costs_more_than_right_one(paper_kit):
    synth = Synthesizer(paper_kit)
    audio = synth(_pattern({0: [4000, 12000]}, 16000))
    loss = OnsetSpectrumLoss(get_preset("paper"))
    assert float(loss(synth(_pattern({2: [4000, 12000]}, 16000)), audio)) > 0.2


def test_loss_is_differentiable_in_the_estimate(paper_kit):
    target = Synthesizer(paper_kit)(_pattern({1: [3000]}, 8000))
    estimate = (0.5 * target).clone().requires_grad_(True)
    OnsetSpectrumLoss(get_preset("paper"))(estimate, target).backward()
    assert torch.isfinite(estimate.grad).all() and estimate.grad.abs().sum() > 0


def test_target_features_can_be_reused():
    loss = OnsetSpectrumLoss(get_preset("paper"))
    a, b = torch.randn(2, 4000), torch.randn(2, 4000)
    torch.testing.assert_close(loss(a, b), loss(a, target_features=loss.features(b)))
    with pytest.raises(ValueError):
        loss(a)


# float32 on the CPU takes the scipy path of _window_medians, float64 the unfold path
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_median_filter_matches_scipy_reflect_mode(dtype):
    x = torch.randn(3, 40, 50, dtype=dtype)  # negative values too: the keys must order them
    for dim, size in ((-1, (1, 1, 31)), (-2, (1, 31, 1))):
        expected = scipy.ndimage.median_filter(x.numpy(), size=size, mode="reflect")
        np.testing.assert_array_equal(median_filter(x, 31, dim).numpy(), expected)
    short = torch.rand(1, 5, 7, dtype=dtype)  # shorter than the kernel
    expected = scipy.ndimage.median_filter(short.numpy(), size=(1, 1, 31), mode="reflect")
    np.testing.assert_array_equal(median_filter(short, 31, -1).numpy(), expected)


def test_median_filter_paths_agree_on_values_and_sources():
    torch.manual_seed(3)
    x = torch.randn(4, 9, 300) * 1e3
    x[0, 0, :40] = 0.0  # ties: the median is a value both paths agree on
    fast, fast_index = _window_medians(x, 31)
    slow, slow_index = _window_medians(x.double(), 31)
    assert torch.equal(fast.double(), slow)
    assert torch.equal(x.gather(-1, fast_index), fast)  # each median is the element named
    untied = (slice(1, None),)
    assert torch.equal(fast_index[untied], slow_index[untied])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_median_filter_gradient_goes_to_each_window_median(dtype):
    # reference: autograd through the padded, unfolded tensor (size 3: "reflect"
    # padding repeats the edge value once at each end)
    def unfolded(x, dim):
        padded = torch.cat([x.narrow(dim, 0, 1), x, x.narrow(dim, -1, 1)], dim=dim)
        return padded.unfold(dim, 3, 1).median(dim=-1).values

    torch.manual_seed(0)
    for dim in (-1, -2):
        x = torch.rand(2, 6, 9, dtype=dtype, requires_grad=True)
        weights = torch.randn(2, 6, 9, dtype=dtype)
        ours = median_filter(x, 3, dim)
        reference = unfolded(x, dim)
        torch.testing.assert_close(ours, reference)
        (g_ours,) = torch.autograd.grad(ours, x, weights)
        (g_ref,) = torch.autograd.grad(reference, x, weights)
        torch.testing.assert_close(g_ours, g_ref)
        assert g_ours.abs().sum() > 0
    x = torch.rand(1, 3, 40, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: median_filter(v, 31, -1), (x,))


def test_percussive_mask_matches_librosa_hpss():
    magnitude = np.abs(np.random.default_rng(2).standard_normal((200, 90)))
    _, expected = librosa.decompose.hpss(magnitude, kernel_size=31, power=2.0, mask=True)
    mask = percussive_mask(torch.from_numpy(magnitude)[None], 31, 2.0)[0].numpy()
    np.testing.assert_allclose(mask, expected, atol=1e-9)


def test_onset_enhancement_removes_a_steady_tone():
    t = torch.arange(32000) / SR
    tone = torch.sin(2 * np.pi * 440 * t)[None] * 0.5
    paper = OnsetSpectrumLoss(get_preset("paper")).features(tone)
    noe = OnsetSpectrumLoss(get_preset("noe")).features(tone)
    # A4 = 440 Hz is bin 9 of the 4th octave from C1
    middle = slice(100, 400)
    assert noe[3][0, 9, middle].mean() > paper[3][0, 9, middle].mean() + 1.0


@pytest.mark.parametrize("freq", [55.0, 440.0, 3135.96])
def test_pseudo_cqt_peaks_at_the_bin_of_a_sinusoid(freq):
    config = get_preset("paper")
    t = torch.arange(32000) / SR
    bands = PseudoCQT(config)(torch.sin(2 * np.pi * freq * t)[None])
    assert len(bands) == 8 and all(b.shape == (1, 12, 501) for b in bands)
    energy = torch.stack([b[0, :, 100:400].mean(-1) for b in bands])  # (octave, bin)
    octave, pitch = divmod(int(energy.argmax()), 12)
    expected = round(12 * np.log2(freq / config.cqt_fmin))
    assert octave * 12 + pitch == expected
    assert 0.2 < float(energy.max()) < 1.0  # amplitude units: a weighted average of |STFT|


@pytest.mark.parametrize(
    "preset, bands, rows", [("paper", 8, 12), ("mel", 1, 128), ("stft", 1, 513)]
)
def test_spectrum_switch_changes_the_representation(preset, bands, rows):
    features = OnsetSpectrumLoss(get_preset(preset)).features(torch.randn(1, 4000))
    assert len(features) == bands
    assert all(f.shape[1] == rows for f in features)


def test_margin_crops_the_ends():
    config = get_preset("reference-code")
    features = OnsetSpectrumLoss(config).features(torch.randn(1, 32000))
    assert features[0].shape[-1] == 501 - 2 * (4080 // 64)


def test_decimated_pseudo_cqt_matches_the_full_one():
    torch.manual_seed(0)
    config = get_preset("paper")
    t = torch.arange(32000) / 16000
    x = torch.randn(2, 32000) * torch.exp(-t * 8) + 0.3 * torch.sin(2 * torch.pi * 50 * t)
    full, fast = PseudoCQT(config)(x), PseudoCQT(get_preset("fast"))(x)
    assert PseudoCQT(get_preset("fast")).factors[0] == 64  # 16,384-point STFT -> 256 points
    for a, b in zip(full, fast, strict=True):
        assert a.shape == b.shape
        assert float((a - b).abs().max() / a.abs().max()) < 0.05
