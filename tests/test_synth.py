import numpy as np
import pytest
import torch

from drummernet.config import get_preset
from drummernet.errors import KitError
from drummernet.synth import Synthesizer, fft_convolve, prepare_kernels


def test_synthesizer_equals_explicit_numpy_convolution():
    rng = np.random.default_rng(1)
    activations = rng.random((2, 11, 3000)) * (rng.random((2, 11, 3000)) > 0.99)
    kit = rng.standard_normal((11, 700))
    out = Synthesizer(torch.from_numpy(kit))(torch.from_numpy(activations)).numpy()
    for b in range(2):
        expected = sum(np.convolve(activations[b, k], kit[k])[:3000] for k in range(11))
        np.testing.assert_allclose(out[b], expected, atol=1e-9)


def test_kernel_longer_than_signal_is_truncated_not_wrapped():
    signal = torch.zeros(1, 100, dtype=torch.float64)
    signal[0, 90] = 1.0
    kernel = torch.arange(1, 1001, dtype=torch.float64)
    out = fft_convolve(signal, kernel)
    np.testing.assert_allclose(out[0, :90].numpy(), 0, atol=1e-9)
    np.testing.assert_allclose(out[0, 90:].numpy(), np.arange(1, 11), atol=1e-9)


def test_a_kit_per_batch_item():
    activations = torch.zeros(2, 11, 500)
    activations[:, 0, 10] = 1
    kits = torch.randn(2, 11, 50)
    out = Synthesizer()(activations, kits)
    torch.testing.assert_close(out[0, 10:60], kits[0, 0])
    torch.testing.assert_close(out[1, 10:60], kits[1, 0])


def test_synthesizer_has_no_trainable_parameters(paper_kit):
    synth = Synthesizer(paper_kit)
    assert list(synth.parameters()) == []
    assert "kit" not in synth.state_dict()  # kits are data, not part of a model file


def test_prepare_kernels_cuts_pads_and_normalises():
    config = get_preset("paper")
    shots = [np.ones(30000) * (i + 1) for i in range(10)] + [np.ones(100)]
    kernels = prepare_kernels(shots, config)
    assert kernels.shape == (11, 16000)
    np.testing.assert_allclose(kernels.norm(dim=1).numpy(), 10.0, rtol=1e-5)
    assert (kernels[10, 100:] == 0).all()


def test_bad_kits_are_kit_errors():
    config = get_preset("paper")
    with pytest.raises(KitError, match="needs 11"):
        prepare_kernels([np.ones(10)] * 3, config)
    with pytest.raises(KitError, match="SD_SD is silent"):
        prepare_kernels([np.ones(10), np.zeros(10)] + [np.ones(10)] * 9, config)
    with pytest.raises(KitError, match="not finite"):
        prepare_kernels([np.full(10, np.nan)] + [np.ones(10)] * 10, config)
    with pytest.raises(KitError, match="no kit"):
        Synthesizer()(torch.zeros(1, 11, 10))
    with pytest.raises(KitError, match="components"):
        Synthesizer(torch.ones(3, 10))(torch.zeros(1, 11, 10))
