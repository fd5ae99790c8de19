"""BatchNorm / LayerNorm: torch's conventions, the relations between the variants, the tolerance's calibration.

Notes 002 §4 (Batch_normalize), 004 "归一化的作用", "BatchNorm和LayerNorm有什么区别".
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import reference.norm as R
from checks.formulas import norm as FN
from checks.oracles.torchlib import F, N, T


def _rng(seed=0):
    return np.random.default_rng(seed)


def test_torch_normalises_with_biased_but_tracks_unbiased_variance():
    """F.batch_norm(training=True): the output uses the BIASED batch variance, running_var the UNBIASED one.

    At N = 2 the two differ by a factor 2, so each convention is told apart from the other.
    """
    rng = _rng(1)
    x = rng.normal(size=(2, 3)) * 3 + 1
    g, b, eps, m = rng.normal(size=3), rng.normal(size=3), 1e-5, 0.3
    rm, rv = rng.normal(size=3), rng.uniform(0.5, 2, size=3)
    rmt, rvt = T(rm), T(rv)
    y = N(F().batch_norm(T(x), rmt, rvt, T(g), T(b), training=True, momentum=m, eps=eps))
    np.testing.assert_allclose(y, R.batchnorm_forward(x, g, b, eps), rtol=1e-12, atol=1e-12)
    unbiased_norm = g * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps) + b
    assert not np.allclose(y, unbiased_norm, rtol=1e-3)
    new_m, new_v = R.batchnorm_running_update(rm, rv, x, m)
    np.testing.assert_allclose(N(rmt), new_m, rtol=1e-13)
    np.testing.assert_allclose(N(rvt), new_v, rtol=1e-13)
    assert not np.allclose(N(rvt), (1 - m) * rv + m * x.var(0), rtol=1e-3)


def test_layernorm_is_batchnorm_on_the_transpose():
    """BN normalises over the batch (样本间), LN over the features of a sample (样本内): swap the axes."""
    x = _rng(2).normal(size=(3, 4)) * 5
    ones3, zeros3 = np.ones(3), np.zeros(3)
    ln = R.layernorm_forward(x, np.ones(4), np.zeros(4), 1e-3)
    bn = R.batchnorm_forward(x.T, ones3, zeros3, 1e-3).T
    np.testing.assert_allclose(ln, bn, rtol=1e-13, atol=1e-13)
    dy = _rng(3).normal(size=(3, 4))
    dx_ln = R.layernorm_backward(x, np.ones(4), np.zeros(4), 1e-3, dy)[0]
    dx_bn = R.batchnorm_backward(x.T, ones3, zeros3, 1e-3, dy.T)[0].T
    np.testing.assert_allclose(dx_ln, dx_bn, rtol=1e-12, atol=1e-12)


def test_batchnorm2d_is_batchnorm_over_pixels_as_samples():
    """Per channel over (N, H, W) = BatchNorm1d on x reshaped to (N·H·W, C) (002 §4: 一个卷积核对应一组 BN 参数)."""
    rng = _rng(4)
    x, dy = rng.normal(size=(2, 3, 2, 3)), rng.normal(size=(2, 3, 2, 3))
    g, b = rng.normal(size=3), rng.normal(size=3)
    flat = lambda a: a.transpose(0, 2, 3, 1).reshape(-1, 3)  # noqa: E731
    dx, dg, db = R.batchnorm2d_backward(x, g, b, 1e-5, dy)
    dx1, dg1, db1 = R.batchnorm_backward(flat(x), g, b, 1e-5, flat(dy))
    np.testing.assert_allclose(flat(dx), dx1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dg, dg1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, db1, rtol=1e-12, atol=1e-12)


def _hard_cases(seed, axes, count=200):
    """Groups at a 1e4 offset with a spread far below / near eps, and an upstream gradient constant over
    each group (then dx = 0 exactly and every computed digit of dx is rounding noise, magnified by s²)."""
    rng = _rng(seed)
    for _ in range(count):
        n, d = int(rng.integers(2, 5)), int(rng.integers(1, 4))
        eps = float(rng.choice(FN.EPS))
        spread = rng.choice([1e-3 * np.sqrt(eps), np.sqrt(eps), 0.1])
        x = 1e4 + spread * rng.uniform(-1, 1, size=(n, d))
        if axes == (0,):
            g, dy = rng.uniform(-5, 5, size=d), np.tile(rng.uniform(-10, 10, size=d), (n, 1))
        else:  # LN: γ·dy constant along each row
            g, dy = np.full(d, rng.uniform(-5, 5)), np.tile(rng.uniform(-10, 10, size=(n, 1)), (1, d))
        yield x, g, rng.uniform(-5, 5, size=d), eps, dy


@pytest.mark.parametrize("axes, oracle", [((0,), FN._t_bn_lib_bw), ((1,), FN._t_ln_lib_bw)], ids=["batchnorm", "layernorm"])
def test_tolerance_bound_has_margin_and_is_needed(axes, oracle):
    """torch's F.layer_norm autograd (and F.batch_norm's on (N,C,H,W) groups, seen by the checks) and our
    reference disagree beyond a flat rtol 1e-7 / atol 1e-9 on the hardest regime (x = 1e4 + tiny spread: x - μ loses u·1e4 and s up
    to 1/√eps magnifies it twice), so a flat tolerance would fail correct code; the conditioning
    bound (module doc of checks.formulas.norm, K = 64) holds the disagreement with >= 8x margin."""
    worst_ratio, worst_flat = 0.0, 0.0
    reference = R.batchnorm_backward if axes == (0,) else R.layernorm_backward
    for x, g, b, eps, dy in _hard_cases(5, axes):
        case = FN.Case((x, g, b, eps, dy))
        ours, theirs = reference(x, g, b, eps, dy), oracle(x, g, b, eps, dy)
        for a, e, xtra in zip(ours, theirs, FN._backward_extras(case, axes)):
            d = np.abs(a - e)
            worst_ratio = max(worst_ratio, float(np.max(d / np.broadcast_to(xtra, d.shape))))
            worst_flat = max(worst_flat, float(np.max(d / (1e-9 + 1e-7 * np.abs(e)))))
    assert worst_ratio < 1 / 8, worst_ratio
    if axes == (1,):  # F.layer_norm's backward really loses precision here (by ~1e3 x the flat tolerance);
        assert worst_flat > 1.0, worst_flat  # F.batch_norm's subtracts mean(dy) first and stays within it


def test_bound_is_tight_on_moderate_data():
    """On moderate data the allowance is tiny: ~1e-11 or below on dx, far under any formula mistake."""
    rng = _rng(6)
    x, dy = rng.uniform(-10, 10, size=(3, 2)), rng.uniform(-10, 10, size=(3, 2))
    case = FN.Case((x, np.array([2.0, -3.0]), np.zeros(2), 1e-5, dy))
    dx_extra = np.max(FN._backward_extras(case, (0,))[0])
    assert dx_extra < 1e-10
    wrong = R.batchnorm_backward(x, np.array([2.0, -3.0]), np.zeros(2), 1e-5, dy)[0]
    assert np.max(np.abs(wrong)) > 1e4 * dx_extra


def test_sympy_derivations_are_quick_and_cached():
    t0 = time.perf_counter()
    for n in (2, 3):
        FN._sym_bn(n)
    for d in (1, 2, 3):
        FN._sym_ln(d)
    first = time.perf_counter() - t0
    assert first < 20.0
    t0 = time.perf_counter()
    FN._sym_bn(3), FN._sym_ln(3)
    assert time.perf_counter() - t0 < 0.01


def test_sympy_matches_reference_on_a_simple_case():
    rng = _rng(8)
    x, dy = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    g, b = rng.normal(size=2), rng.normal(size=2)
    for got, want in zip(FN._s_bn_backward(x, g, b, 1e-3, dy), R.batchnorm_backward(x, g, b, 1e-3, dy)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    for got, want in zip(FN._s_ln_backward(x, g, b, 1e-3, dy), R.layernorm_backward(x, g, b, 1e-3, dy)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_constant_features_are_finite():
    """σ² = 0 (a constant column / row): eps keeps every result finite; x̂ = 0, y = β."""
    x = np.full((3, 2), 7.0)
    g, b = np.array([2.0, 3.0]), np.array([-1.0, 0.5])
    np.testing.assert_array_equal(R.batchnorm_forward(x, g, b, 1e-5), np.tile(b, (3, 1)))
    dx, dg, db = R.batchnorm_backward(x, g, b, 1e-5, np.arange(6.0).reshape(3, 2))
    assert np.all(np.isfinite(dx)) and np.all(dg == 0)
    np.testing.assert_allclose(dx.sum(0), 0, atol=1e-9)
    np.testing.assert_array_equal(R.layernorm_forward(x[:, :1], g[:1], b[:1], 1e-5), np.full((3, 1), -1.0))


@pytest.mark.parametrize("call, match", [
    (lambda: R.batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3), 1e-5), "N >= 2"),
    (lambda: R.batchnorm_forward(np.ones((2, 3)), np.ones(2), np.zeros(3), 1e-5), r"shape \(3,\)"),
    (lambda: R.batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), 0.0), "eps must be > 0"),
    (lambda: R.batchnorm_backward(np.ones((2, 3)), np.ones(3), np.zeros(3), 1e-5, np.ones((3, 2))), "dy must"),
    (lambda: R.batchnorm2d_backward(np.ones((1, 2, 1, 1)), np.ones(2), np.zeros(2), 1e-5, np.ones((1, 2, 1, 1))), "N·H·W >= 2"),
    (lambda: R.batchnorm_running_update(np.zeros(2), np.ones(2), np.ones((1, 2)), 0.1), "N >= 2"),
    (lambda: R.layernorm_forward(np.ones(3), np.ones(3), np.zeros(3), 1e-5), r"\(N, D\)"),
])
def test_bad_inputs_give_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
