"""Smoke tests of benchmarks/bench_tools.py's helpers: its adapters pass right backwards and fail wrong ones.

The benchmark's numbers mean something only if its gradcheck and numeric
adapters agree with a correct backward on smooth inputs (a false failure
there would be the adapter's, not the tool's) and disagree with a wrong one.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

import reference as R
from checks import registry
from checks.core.case import Case

_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "bench_tools.py")
_spec = importlib.util.spec_from_file_location("bench_tools", _PATH)
B = sys.modules.setdefault("bench_tools", importlib.util.module_from_spec(_spec))
if not hasattr(B, "SPECS"):
    _spec.loader.exec_module(B)  # registered first: its dataclasses look their module up

RNG = np.random.default_rng(0)
BN = Case((RNG.standard_normal((4, 3)), RNG.uniform(0.5, 2, 3), RNG.standard_normal(3), 1e-5, RNG.standard_normal((4, 3))))
SIG = Case((RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))))
LSTM = Case((RNG.standard_normal((2, 2, 3)), RNG.standard_normal((2, 2)), RNG.standard_normal((2, 2)),
             RNG.standard_normal((8, 5)), RNG.standard_normal(8), RNG.standard_normal((2, 2, 2))))


def bn_no_mean_term(x, gamma, beta, eps, dy):
    xc = x - x.mean(0)
    s = 1 / np.sqrt((xc * xc).mean(0) + eps)
    xh = xc * s
    return gamma * s * (dy - xh * (dy * xh).mean(0)), (dy * xh).sum(0), dy.sum(0)


def lstm_bptt_no_carry(x, h0, c0, W, b, dh):
    g = R.lstm_bptt(x, h0, c0, W, b, dh)
    g["c0"] = np.zeros_like(c0)
    return g


def test_every_formula_is_a_gradient_spec_or_documented_na():
    ids = {f.id for f in registry.all_formulas()}
    assert set(B.SPECS) | set(B.NA) == ids and not set(B.SPECS) & set(B.NA)


@pytest.mark.parametrize("fid,case,wrong", [
    ("activations.sigmoid_backward", SIG, lambda x, dy: dy * R.sigmoid(x)),
    ("norm.batchnorm_backward", BN, bn_no_mean_term),
    ("lstm.lstm_bptt", LSTM, lstm_bptt_no_carry),
])
def test_numeric_and_gradcheck_pass_the_reference_and_fail_a_wrong_backward(fid, case, wrong):
    spec, ref = B.SPECS[fid], registry.get(fid).reference
    assert B.numeric_error(spec, ref, case, 1) < 1e-6
    assert B.numeric_error(spec, wrong, case, 1) > 1e-2
    for fast in (False, True):
        assert B.gradcheck_one(fast)(spec, ref, case, 1)
        assert not B.gradcheck_one(fast)(spec, wrong, case, 1)


def test_a_kink_is_a_false_failure_of_finite_differences():
    spec, ref = B.SPECS["activations.relu_backward"], R.relu_backward
    kink = Case((np.array([0.0, 1.0, -1.0]), np.array([1.0, 1.0, 1.0])))
    assert not B.gradcheck_one(False)(spec, ref, kink, 1)
    assert B.numeric_error(spec, ref, kink, 1) == pytest.approx(1.0)
    assert B.gradcheck_one(False)(spec, ref, Case((np.array([0.5, 1.0, -1.0]), kink.args[1])), 1)


def test_rel_error_is_the_cs231n_ratio():
    assert B.rel_error([1.0, 0.0], [1.0 + 1e-9, 0.0]) == pytest.approx(1e-9, rel=1e-3)
    assert B.rel_error([0.0], [1e-12]) == pytest.approx(1e-4)  # floored denominator
    assert B.rel_error([np.nan], [1.0]) == np.inf
