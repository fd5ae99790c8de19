"""Dropout: the expectation identity and the mapping to torch's F.dropout (notes 004 "dropout的作用是什么", 002 §4).

* E_mask[dropout_train(x, mask)] = dropout_eval(x) in both conventions
  ("保持期望一致"): exactly, by enumerating all 2^n masks with weights
  p^k (1-p)^(n-k); and statistically for larger n (fixed seed, 6 sigma).
* torch's ``F.dropout(x, p)`` is the INVERTED convention with the DROP
  probability p = 1 - p_keep: its output equals our
  ``dropout_train(x, mask, p_keep, inverted=True)`` with the mask read off its
  zeros, and in eval mode it is the identity (= ``dropout_eval(x, p_keep, True)``).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

import reference.dropout as R
from checks.formulas.dropout import all_masks, expectation_over_masks
from checks.oracles.torchlib import F, N, T, torch

P_KEEP = [0.1, 0.3, 0.5, 0.8, 1.0]


@pytest.mark.parametrize("inverted", [False, True])
@pytest.mark.parametrize("p", P_KEEP)
@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_expectation_over_all_masks_equals_eval(n, p, inverted):
    x = np.random.default_rng(n).uniform(-10, 10, size=n)
    total = np.zeros(n)
    wsum = 0.0
    for bits in itertools.product([0.0, 1.0], repeat=n):
        m = np.array(bits)
        k = int(m.sum())
        w = p ** k * (1 - p) ** (n - k)
        total += w * R.dropout_train(x, m, p, inverted)
        wsum += w
    assert wsum == pytest.approx(1.0, rel=1e-14)
    np.testing.assert_allclose(total, R.dropout_eval(x, p, inverted), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("p, inverted", [
    (Fraction(1, 2), False), (Fraction(1, 2), True), (Fraction(1, 4), False), (Fraction(1, 4), True),
    (Fraction(1, 1), False), (Fraction(1, 1), True), (Fraction(3, 4), False),  # (x/0.75 is not a float)
])
def test_expectation_identity_is_exact(p, inverted):
    """With dyadic p_keep (1/p_keep too, when inverted) and integer x every float operation is exact:
    the identity holds in rational arithmetic and bit for bit."""
    x = np.array([3.0, -5.0, 7.0, 0.0, 12.0])
    n = x.size
    total = np.zeros(n)
    exact = [Fraction(0)] * n
    for m in all_masks(n):
        k = int(m.sum())
        w = p ** k * (1 - p) ** (n - k)
        y = R.dropout_train(x, m, float(p), inverted)
        total += float(w) * y
        for i in range(n):
            exact[i] += w * Fraction(y[i])
    ev = R.dropout_eval(x, float(p), inverted)
    assert [Fraction(v) for v in ev] == exact  # the identity, in exact rational arithmetic
    assert np.array_equal(total, ev)  # and bitwise in float64


def test_expectation_oracle_matches_enumeration():
    x = np.array([[1.5, -2.0], [4.0, 0.25]])
    for inv in (False, True):
        np.testing.assert_allclose(expectation_over_masks(x, 0.7, inv), R.dropout_eval(x, 0.7, inv), rtol=1e-13)
    with pytest.raises(ValueError, match="too many"):
        expectation_over_masks(np.zeros(13), 0.5, True)


@pytest.mark.parametrize("inverted", [False, True])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_expectation_statistically(p, inverted):
    """n = 500 units, M = 4000 masks (fixed seed): every unit's sample mean is within 6 sigma of eval."""
    rng = np.random.default_rng(20240611)
    n, M = 500, 4000
    x = rng.uniform(-10, 10, size=n)
    masks = (rng.random((M, n)) < p).astype(np.float64)
    ys = np.stack([R.dropout_train(x, m, p, inverted) for m in masks])
    c = 1.0 / p if inverted else 1.0
    sigma = np.abs(x) * c * np.sqrt(p * (1 - p) / M)  # std of the sample mean of x·c·Bernoulli(p)
    z = np.abs(ys.mean(axis=0) - R.dropout_eval(x, p, inverted)) / sigma
    assert z.max() < 6.0
    # and the wrong eval scaling (1-p instead of p, standard convention) is far outside the bound
    if not inverted and p != 0.5:
        z_wrong = np.abs(ys.mean(axis=0) - (1 - p) * x) / sigma
        assert np.median(z_wrong) > 6.0


@pytest.mark.parametrize("p_keep", [0.2, 0.5, 0.8])
def test_torch_dropout_is_inverted_with_drop_probability(p_keep):
    t = torch()
    t.manual_seed(1234)
    x = t.rand(40, 50) + 0.5  # no zeros in x: a zero in the output means a dropped unit
    y = F().dropout(x, p=1 - p_keep, training=True)
    mask = (N(y) != 0).astype(np.float64)
    assert 0 < mask.sum() < mask.size
    ours = R.dropout_train(N(x), mask, p_keep, inverted=True)
    np.testing.assert_allclose(ours, N(y), rtol=1e-15, atol=0)
    # the standard convention differs from torch's by the factor 1/p_keep on the kept units
    std = R.dropout_train(N(x), mask, p_keep, inverted=False)
    np.testing.assert_allclose(std / p_keep, N(y), rtol=1e-15)
    # the argument of F.dropout is the DROP probability: the kept fraction is p_keep (6 sigma over 2000 units)
    sd = np.sqrt(p_keep * (1 - p_keep) / mask.size)
    assert abs(mask.mean() - p_keep) < 6 * sd
    if p_keep != 0.5:
        assert abs(mask.mean() - (1 - p_keep)) > 6 * sd
    # eval mode: torch is the identity, like our inverted eval
    np.testing.assert_array_equal(N(F().dropout(x, p=1 - p_keep, training=False)), R.dropout_eval(N(x), p_keep, True))


def test_backward_is_the_forward_map():
    rng = np.random.default_rng(7)
    dy = rng.normal(size=(3, 4))
    m = (rng.random((3, 4)) < 0.6).astype(np.float64)
    for inv in (False, True):
        np.testing.assert_array_equal(R.dropout_backward(dy, m, 0.6, inv), R.dropout_train(dy, m, 0.6, inv))
        xt = T(rng.normal(size=(3, 4)), grad=True)
        (xt * T(m) / (0.6 if inv else 1.0)).backward(T(dy))
        np.testing.assert_allclose(R.dropout_backward(dy, m, 0.6, inv), N(xt.grad), rtol=1e-15)


def test_bad_inputs_give_clear_errors():
    x = np.ones((2, 2))
    with pytest.raises(ValueError, match="zeros and ones"):
        R.dropout_train(x, np.full((2, 2), 0.5), 0.5, True)
    with pytest.raises(ValueError, match=r"keep probability .* \(0, 1\]"):
        R.dropout_train(x, np.ones((2, 2)), 0.0, True)
    with pytest.raises(ValueError, match="shape"):
        R.dropout_backward(x, np.ones(3), 0.5, False)
    with pytest.raises(ValueError, match="keep probability"):
        R.dropout_eval(x, 1.5, False)
