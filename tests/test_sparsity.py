import numpy as np
import pytest
import torch

from drummernet.model.sparsity import normalise, sparse_activations, sparsemax


def _simplex_projection(v: np.ndarray) -> np.ndarray:
    """Reference: Euclidean projection of a vector onto the probability simplex."""
    u = np.sort(v)[::-1]
    cumulative = np.cumsum(u) - 1
    k = np.arange(1, len(v) + 1)
    rho = np.nonzero(u - cumulative / k > 0)[0][-1]
    return np.maximum(v - cumulative[rho] / (rho + 1), 0)


def test_sparsemax_sums_to_one_with_exact_zeros_and_is_the_projection():
    x = torch.randn(50, 11, dtype=torch.float64) * 3
    y = sparsemax(x, dim=-1)
    assert torch.allclose(y.sum(-1), torch.ones(50, dtype=torch.float64))
    assert (y == 0).any(dim=-1).all()  # every row has exact zeros at this spread
    assert (y >= 0).all()
    for row_in, row_out in zip(x.numpy(), y.numpy(), strict=True):
        np.testing.assert_allclose(row_out, _simplex_projection(row_in), atol=1e-12)


def test_softmax_has_no_zeros():
    y = normalise(torch.randn(5, 11) * 3, dim=-1, kind="softmax")
    assert (y > 0).all()
    with pytest.raises(ValueError):
        normalise(torch.zeros(3), dim=-1, kind="relu")


def test_sparse_activations_is_product_over_components_and_time_windows():
    logits = torch.randn(2, 11, 128, dtype=torch.float64) * 2
    out = sparse_activations(logits, window=64)
    over_components = sparsemax(logits, dim=1)
    over_time = sparsemax(logits.reshape(2, 11, 2, 64), dim=-1).reshape(2, 11, 128)
    assert torch.allclose(out, over_components * over_time)
    # per-frame sum over components <= 1, per-window sum over time <= 1
    assert (out.sum(1) <= 1 + 1e-12).all()
    assert (out.reshape(2, 11, 2, 64).sum(-1) <= 1 + 1e-12).all()
    # windows are independent: changing window 1 leaves window 0 unchanged
    changed = logits.clone()
    changed[..., 64:] += torch.randn(2, 11, 64, dtype=torch.float64)
    assert torch.equal(sparse_activations(changed, 64)[..., :64], out[..., :64])


def test_sparse_activations_rejects_partial_windows():
    with pytest.raises(ValueError, match="multiple"):
        sparse_activations(torch.randn(1, 11, 100), window=64)
