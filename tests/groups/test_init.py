"""init: the std formulas against SAMPLES of torch.nn.init, with a proper statistical bound.

For w_1..w_n i.i.d. N(0, σ²), n·s²/σ² with s² = mean(w²) is χ²_n: mean n,
variance 2n. The tests accept |s²/σ² − 1| <= 6·√(2/n) (a 6-sigma band of the
χ² law; for n >= 3000 its normal approximation is accurate far beyond that
band), and |mean(w)| <= 6σ/√n. The generator is seeded, so a run is
deterministic; the band is wide enough that no seed is special, and narrow
enough that every wrong formula in tests/mutants/init.py falls outside it
(checked below).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import reference.init as ref
from checks.oracles.torchlib import torch
from tests.mutants import init as wrong

SHAPES = [(256, 128), (128, 64, 5), (64, 32, 3, 3), (16, 8, 3, 3, 3), (1000, 3)]


def _sample(shape, kind, seed=20240607):
    tt = torch()
    w = tt.empty(shape)
    g = tt.Generator().manual_seed(seed)
    if kind == "xavier":
        tt.nn.init.xavier_normal_(w, generator=g)
    else:
        tt.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu", generator=g)
    return w.numpy().reshape(-1).astype(np.float64)


def _consistent(w: np.ndarray, sigma: float) -> bool:
    n = w.size
    ratio = float(np.mean(w * w)) / sigma**2
    return abs(ratio - 1.0) <= 6.0 * math.sqrt(2.0 / n) and abs(float(w.mean())) <= 6.0 * sigma / math.sqrt(n)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_xavier_std_matches_xavier_normal_samples(shape):
    w = _sample(shape, "xavier")
    assert _consistent(w, ref.xavier_normal_std(shape)), (shape, w.std(), ref.xavier_normal_std(shape))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_he_std_matches_kaiming_normal_relu_fan_in_samples(shape):
    w = _sample(shape, "he")
    assert _consistent(w, ref.he_normal_std(shape)), (shape, w.std(), ref.he_normal_std(shape))


@pytest.mark.parametrize("shape", [s for s in SHAPES if len(s) > 2], ids=str)  # with a receptive field
def test_the_bound_rejects_wrong_std_formulas(shape):
    wx, wh = _sample(shape, "xavier"), _sample(shape, "he")
    for f in (wrong.xavier_ignores_receptive_field, wrong.xavier_without_2):
        assert not _consistent(wx, f(shape)), f.__name__
    for f in (wrong.he_lecun, wrong.he_fan_out):
        if f is wrong.he_fan_out and shape[0] == shape[1]:
            continue
        assert not _consistent(wh, f(shape)), f.__name__
    assert not _consistent(wh, ref.xavier_normal_std(shape))  # the two inits are told apart
    assert not _consistent(wx, ref.he_normal_std(shape))


def test_fans_of_typical_layers():
    assert ref.fan_in_fan_out((10, 20)) == (20, 10)            # nn.Linear(20, 10).weight
    assert ref.fan_in_fan_out((64, 3, 7, 7)) == (147, 3136)    # nn.Conv2d(3, 64, 7).weight
    assert ref.fan_in_fan_out(np.array([8, 4, 3])) == (12, 24)
    assert ref.fan_in_fan_out((np.int64(5), np.int64(2))) == (2, 5)
    assert ref.he_normal_std((10, 8)) == pytest.approx(0.5)
    assert ref.xavier_normal_std((30, 20)) == pytest.approx(math.sqrt(2 / 50))


def test_bad_shapes_give_clear_errors():
    with pytest.raises(ValueError, match="at least 2 dims"):
        ref.fan_in_fan_out((5,))
    with pytest.raises(ValueError, match="at least 2 dims"):
        ref.he_normal_std(())
    with pytest.raises(ValueError, match="non-negative ints"):
        ref.fan_in_fan_out((3, 2.5))
    with pytest.raises(ValueError, match="zero fan"):
        ref.xavier_normal_std((0, 0))
    with pytest.raises(TypeError, match="tuple of ints"):
        ref.fan_in_fan_out(7)
