"""Judge-time code (activations, pool, reductions): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import functools

import numpy as np

from checks.core.compare import Tol, assert_array_close, assert_between, Verdict, fail
from checks.judges.maxflow import max_split_deficit


def _kink_compare(lo_at_zero):
    """Compare dx elementwise off x == 0 and accept any value in [lo, dy] at x == 0.

    A ``functools.partial`` of :func:`kink_check` (stored by name in a vectors file: the student
    kit judges it without the registry); ``lo_at_zero`` is one of this module's ``_*_at_zero``.
    """
    if globals().get(lo_at_zero.__name__) is not lo_at_zero or not lo_at_zero.__name__.endswith("_at_zero"):
        raise ValueError(f"_kink_compare(lo_at_zero={lo_at_zero!r}): give one of the _*_at_zero functions of {__name__}")
    return functools.partial(kink_check, lo=lo_at_zero.__name__)


def _kink_prep(case, expected, tol, fn, *, lo):
    lo_fn = globals().get(lo) if str(lo).endswith("_at_zero") else None
    if lo_fn is None:
        raise ValueError(f"kink_check: unknown lower bound {lo!r}")
    x, dy = case.args[0], case.args[-1]
    zero = np.asarray(x) == 0
    low = lo_fn(case)
    return zero, low, np.asarray(dy, dtype=np.float64), expected, tol, fn


def _kink_run(st, actual):
    zero, low, dy, expected, tol, fn = st
    a = actual[0] if isinstance(actual, tuple) else actual
    e = expected[0] if isinstance(expected, tuple) else expected
    assert_array_close(a, e, tol, f"{fn} -> dx", mask=~zero)
    assert_between(a, low, dy, tol, f"{fn} -> dx", mask=zero)
    if isinstance(actual, tuple):  # prelu's da: 0 is the only value at the kink (x·dy = 0 there)
        assert_array_close(actual[1], expected[1], tol, f"{fn} -> da")


def _masked_bound(e, tol, mask):
    """B of assert_array_close(a, e, mask=mask) for the bulk test: where mask and e is finite (and so is
    its tolerance), |a-e| <= atol + rtol|e| passes; elsewhere nothing (-inf)."""
    e = np.asarray(e, dtype=np.float64)
    with np.errstate(all="ignore"):
        allowed = tol.atol + tol.rtol * np.abs(e)
        return np.where(mask & np.isfinite(e) & np.isfinite(allowed), allowed, -np.inf)


def _kink_bounds(st):
    """dx: the tolerance off the kink, assert_between's interval at it; da (prelu): the common test."""
    zero, low, dy, expected, tol, fn = st
    e = np.asarray(expected[0] if isinstance(expected, tuple) else expected, dtype=np.float64)
    zero = np.broadcast_to(zero, e.shape)
    lo_, hi_ = np.minimum(low, dy), np.maximum(low, dy)       # assert_between's interval, as it computes it
    slack = tol.atol + tol.rtol * np.maximum(np.abs(lo_), np.abs(hi_))
    with np.errstate(all="ignore"):
        out = [(_masked_bound(e, tol, ~zero), np.where(zero, lo_ - slack, np.inf), np.where(zero, hi_ + slack, -np.inf))]
    if isinstance(expected, tuple):
        with np.errstate(all="ignore"):
            out.append((tol.atol + tol.rtol * np.abs(np.asarray(expected[1], dtype=np.float64)), None, None))
    return out


def kink_check(case, actual, expected, tol, fn, *, lo):
    """The comparison of :func:`_kink_compare` (``lo``: the name of a ``_*_at_zero`` function here)."""
    return _kink_run(_kink_prep(case, expected, tol, fn, lo=lo), actual)


kink_check.prep, kink_check.check, kink_check.bounds = _kink_prep, _kink_run, _kink_bounds


def _zero_at_zero(case):
    """relu's lower bound at the kink: 0."""
    return np.zeros_like(np.asarray(case.args[0], dtype=np.float64))


def _slope_at_zero(case):
    x, a, dy = case.args
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a.reshape((1, -1) + (1,) * (np.ndim(x) - 2))
    return a * dy


def _out(size, k, stride):
    return (size - k) // stride + 1


def _window_maxima(x, k, stride):
    """Per window (N,C,Ho,Wo): the (row, col) of every position of the window and whether it is a maximum."""
    x = np.asarray(x, dtype=np.float64)
    Nn, C, H, W = x.shape
    Ho, Wo = _out(H, k, stride), _out(W, k, stride)
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    win = win.reshape(Nn, C, Ho, Wo, k * k)
    is_max = win == win.max(axis=-1, keepdims=True)
    off = np.arange(k * k)
    rows = np.arange(Ho)[:, None, None] * stride + (off // k)[None, None, :]  # (Ho,1,kk)
    cols = np.arange(Wo)[None, :, None] * stride + (off % k)[None, None, :]   # (1,Wo,kk)
    rows, cols = np.broadcast_to(rows, (Ho, Wo, k * k)), np.broadcast_to(cols, (Ho, Wo, k * k))
    return is_max, rows, cols


def _ambiguous(shape, tied, is_max, rows, cols):
    amb = np.zeros(shape, dtype=bool)
    Nn, C = shape[:2]
    for n in range(Nn):
        for c in range(C):
            for i, j in zip(*np.nonzero(tied[n, c])):
                m = is_max[n, c, i, j]
                amb[n, c, rows[i, j][m], cols[i, j][m]] = True
    return amb


def _maxpool_prep(case, expected, tol, fn):
    x, k, stride, dy = case.args
    dy = np.asarray(dy, dtype=np.float64)
    is_max, rows, cols = _window_maxima(x, k, stride)
    tied = (is_max.sum(axis=-1) > 1) & (dy != 0)  # (N,C,Ho,Wo)
    shape = np.shape(expected)
    return (dy, is_max, rows, cols, tied, shape, _ambiguous(shape, tied, is_max, rows, cols),
            expected, tol, f"{fn} -> dx")


def _maxpool_run(st, actual):
    __tracebackhide__ = True
    dy, is_max, rows, cols, tied, shape, amb, expected, tol, where = st
    a = np.asarray(actual, dtype=np.float64)
    if a.shape != shape:
        amb = _ambiguous(a.shape, tied, is_max, rows, cols)
    Nn, C = a.shape[:2]
    if not np.isfinite(a).all():
        i = tuple(int(v) for v in np.argwhere(~np.isfinite(a))[0])
        fail(Verdict.NONFINITE, f"{where}: {int((~np.isfinite(a)).sum())} non-finite value(s) (nan/inf); first at index {i}: {a[i]!r}")
    assert_array_close(a, np.asarray(expected, dtype=np.float64), tol, where, mask=~amb)
    for n in range(Nn):
        for c in range(C):
            if not amb[n, c].any():
                continue
            deficit = max_split_deficit(a[n, c], dy[n, c], is_max[n, c], rows, cols)
            # a valid dx has sum|dx| <= sum|dy|: the slack must not grow with a wrong, huge dx
            allowed = tol.atol * a[n, c].size + 2 * tol.rtol * np.abs(dy[n, c]).sum()
            if deficit > allowed:
                fail(
                    Verdict.MISMATCH,
                    f"{where}: at the ties of plane (n={n}, c={c}) dx is not a valid subgradient: it cannot be"
                    " written as a sum over pooling windows of a split of each window's dy over that window's"
                    " tied maxima (non-negative weights summing to 1; overlapping windows add up)."
                    f" Gradient mass that no valid split explains: {deficit:.6g} (up to {allowed:.3g} allowed).\n"
                    f"  got dx[{n}, {c}] = {a[n, c].tolist()}\n"
                    f"  one valid dx[{n}, {c}] = {np.asarray(expected)[n, c].tolist()}",
                )


def _maxpool_bounds(st):
    """Without a tie: the finite test and the tolerance everywhere; with one: no bulk test (None)."""
    dy, is_max, rows, cols, tied, shape, amb, expected, tol, where = st
    if amb.any():
        return None
    return [(_masked_bound(expected, tol, True), None, None)]


def maxpool_subgradient_compare(case, actual, expected, tol: Tol, fn: str) -> None:
    """Accept dx iff it is a sum over windows of valid splits of dy over each window's tied maxima.

    Positions that are not a tied maximum of a window with a tie (and dy != 0)
    receive the same gradient from every valid split: there dx is compared
    elementwise with autograd. Each plane holding such ties is then decided
    exactly by :func:`max_split_deficit`.
    """
    __tracebackhide__ = True
    return _maxpool_run(_maxpool_prep(case, expected, tol, fn), actual)


maxpool_subgradient_compare.prep = _maxpool_prep
maxpool_subgradient_compare.check = _maxpool_run
maxpool_subgradient_compare.bounds = _maxpool_bounds


def _tie_split_property(case, dx, tol=Tol(1e-9, 1e-12), fn="max_backward"):
    """Row n: dx is zero off the maxima; on the tied maxima, weights w >= 0 with Σw = 1 times dy[n]."""
    __tracebackhide__ = True
    x, dy = (np.asarray(a, dtype=np.float64) for a in case.args)
    dx = np.asarray(dx, dtype=np.float64)
    if not np.all(np.isfinite(dx)):
        # the sum / sign tests below compare with nan as False: a nan on a tied maximum would slip through
        i = tuple(int(j) for j in np.unravel_index(int(np.flatnonzero(~np.isfinite(dx))[0]), dx.shape))
        fail(Verdict.NONFINITE, f"{fn} -> dx: {int((~np.isfinite(dx)).sum())} non-finite value(s) (nan/inf);"
                                f" first at index {i}: {dx[i]!r}")
    is_max = x == x.max(axis=1, keepdims=True)
    assert_array_close(dx, np.zeros_like(dx), tol, f"{fn} -> dx (off the maxima)", mask=~is_max)
    for n in range(x.shape[0]):
        g = dx[n, is_max[n]]
        slack = tol.atol + tol.rtol * abs(dy[n])
        if abs(g.sum() - dy[n]) > slack:
            fail(Verdict.PROPERTY, f"{fn} -> dx: row {n}: the gradients on the maxima sum to {g.sum()!r}, expected dy[{n}] = {dy[n]!r}"
                 f" ({int(is_max[n].sum())} tied maxima: a split of dy must sum to dy)")
        if dy[n] != 0 and np.any(g / dy[n] < -tol.rtol):
            fail(Verdict.PROPERTY, f"{fn} -> dx: row {n}: negative weight {float((g / dy[n]).min())!r} on a tied maximum (weights must be >= 0)")


def _compare(case, actual, expected, tol, fn):
    """Rows without ties: elementwise against the oracle; rows with ties: any valid split."""
    x = np.asarray(case.args[0])
    unique = (x == x.max(axis=1, keepdims=True)).sum(axis=1) == 1
    assert_array_close(actual, expected, tol, f"{fn} -> dx", mask=np.broadcast_to(unique[:, None], x.shape))
    _tie_split_property(case, actual, tol, fn)
