import pytest
import torch

from drummernet.model.upsample import zero_insertion_upsample


def test_values_at_multiples_of_factor_and_zeros_between():
    x = torch.rand(2, 11, 40) + 0.1
    y = zero_insertion_upsample(x, 16)
    assert y.shape == (2, 11, 640)
    assert torch.equal(y[..., ::16], x)
    mask = torch.ones(640, dtype=torch.bool)
    mask[::16] = False
    assert (y[..., mask] == 0).all()


def test_gradient_passes_unscaled():
    x = torch.rand(3, 10, requires_grad=True)
    zero_insertion_upsample(x, 4).sum().backward()
    assert torch.equal(x.grad, torch.ones(3, 10))


def test_factor_one_is_identity_and_bad_factor_raises():
    x = torch.rand(4, 7)
    assert torch.equal(zero_insertion_upsample(x, 1), x)
    with pytest.raises(ValueError):
        zero_insertion_upsample(x, 0)
