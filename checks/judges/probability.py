"""Judge-time code (hsoftmax, softmax): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import functools

import numpy as np

from checks.core.compare import Tol, Verdict, fail, assert_array_close


def _sums_to_one(case, probs):
    """Over a full binary tree the word probabilities sum to 1 (σ(x) + σ(−x) = 1 at every inner node)."""
    s = float(np.sum(probs))
    if not abs(s - 1.0) <= 1e-9:
        fail(Verdict.PROPERTY, f"hs_probabilities: the probabilities sum to {s!r}, not 1 "
             "(at every inner node bit 0 has σ(node·v_c) and bit 1 the rest)")
    if np.any(np.asarray(probs) < 0) or np.any(np.asarray(probs) > 1):
        fail(Verdict.PROPERTY, f"hs_probabilities: probabilities outside [0, 1]: {np.asarray(probs).tolist()}")


def _rows_sum_to(target):
    """The property "every row of y sums to ``target``" (1: a distribution, also in [0, 1]; 0: a Jacobian or gradient).

    A ``functools.partial`` of :func:`rows_sum_to`, stored by name in a vectors file (the
    student kit judges it without the registry).
    """
    return functools.partial(rows_sum_to, target=float(target))


def rows_sum_to(case, y, *, target):
    """The property of :func:`_rows_sum_to`."""
    __tracebackhide__ = True
    s = y.sum(axis=-1)
    assert_array_close(s, np.full_like(s, target), Tol(1e-12, 1e-12), "row sums")
    if target == 1.0 and (y.min() < 0 or y.max() > 1):
        fail(Verdict.PROPERTY, f"softmax -> y: values outside [0, 1]: min {y.min()!r}, max {y.max()!r}")
