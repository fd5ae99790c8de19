"""Judge-time code (residual): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import numpy as np

from checks.core.compare import Verdict, fail


def _prop_identity_path(case, result):
    """dx - dy = dy · ∂F/∂x with F(x) = tanh(xWᵀ + b): the Jacobian of the block minus I is the branch's."""
    x, W, b, dy = case.args
    x, W, b, dy = (np.asarray(a, dtype=np.float64) for a in (x, W, b, dy))
    # row n: ∂F_n/∂x_n = diag(1 - F_n²) W, and the rows do not mix
    want = (dy * (1.0 - np.tanh(x @ W.T + b) ** 2)) @ W
    got = np.asarray(result[0], dtype=np.float64) - np.asarray(dy, dtype=np.float64)
    allowed = 1e-9 + 1e-7 * np.abs(want) + 1e-12 * np.abs(dy)
    bad = ~(np.abs(got - want) <= allowed)
    if bad.any():
        i = tuple(int(k) for k in np.unravel_index(int(np.flatnonzero(bad)[0]), want.shape))
        fail(Verdict.PROPERTY,
             f"residual_backward: dx - dy (what reaches x besides the shortcut's dy) at {i} is {float(got[i])!r};"
             f" dy·∂tanh(xWᵀ+b)/∂x gives {float(want[i])!r} (the block's Jacobian is I + the branch's)")


def _prop_convex(case, y):
    """0 < T < 1, so y = T⊙H + (1-T)⊙x lies between H and x elementwise."""
    x, WH, bH, WT, bT = (np.asarray(a, dtype=np.float64) for a in case.args)
    H = np.maximum(x @ WH.T + bH, 0.0)
    lo, hi = np.minimum(H, x), np.maximum(H, x)
    slack = 1e-9 + 1e-12 * np.maximum(np.abs(lo), np.abs(hi))
    y = np.asarray(y, dtype=np.float64)
    bad = ~((y >= lo - slack) & (y <= hi + slack))
    if bad.any():
        i = tuple(int(k) for k in np.unravel_index(int(np.flatnonzero(bad)[0]), y.shape))
        fail(Verdict.PROPERTY, f"highway: y{list(i)} = {float(y[i])!r} is not between H = {float(H[i])!r} and x = {float(x[i])!r};"
                               f" y = H·T + x·(1-T) with 0 < T < 1 must be")
