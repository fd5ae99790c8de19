"""Judge-time code (clip): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import math

import numpy as np

from checks.core.compare import Verdict, fail


def _norm(grads) -> float:
    return math.sqrt(sum(float(np.sum(g * g)) for g in grads))


def _prop_global_factor(case, result):
    """One common factor c in (0, 1] for all arrays; the clipped norm <= max_norm; the norm returned is the one before."""
    __tracebackhide__ = True
    grads, max_norm = case.args
    clipped, total = result
    before = _norm(grads)
    if not abs(total - before) <= 1e-9 + 1e-7 * before:
        fail(Verdict.PROPERTY, f"clip_grad_norm -> total_norm: got {total!r}, but the L2 norm of all the gradients"
                               f" BEFORE clipping is {before!r}")
    factors = []
    for i, (g, c) in enumerate(zip(grads, clipped)):
        g, c = np.asarray(g, dtype=np.float64).reshape(-1), np.asarray(c, dtype=np.float64).reshape(-1)
        nz = np.abs(g) > 0
        if not nz.any():
            if np.any(c != 0):
                fail(Verdict.PROPERTY, f"clip_grad_norm -> grads[{i}]: a zero gradient must stay zero, got {c.tolist()}")
            continue
        f = c[nz] / g[nz]
        if not (np.all(np.abs(c[~nz]) == 0) and np.ptp(f) <= 1e-7 * max(1.0, abs(float(f[0])))):
            fail(Verdict.PROPERTY, f"clip_grad_norm -> grads[{i}]: not a multiple of the input gradient"
                                   f" (element ratios {f.tolist()})")
        factors.append(float(f[0]))
    if factors:
        lo, hi = min(factors), max(factors)
        if hi - lo > 1e-7 * max(1.0, abs(hi)):
            fail(Verdict.PROPERTY, "clip_grad_norm -> grads: the arrays were scaled by different factors"
                                   f" {factors}; clipping by the GLOBAL norm scales all of them by one factor")
        if hi > 1 + 1e-9 or lo < 0:
            fail(Verdict.PROPERTY, f"clip_grad_norm -> grads: scaled by {hi!r}; the factor must lie in [0, 1]"
                                   " (clipping never scales a gradient up)")
    after = _norm(clipped)
    if after > max_norm * (1 + 1e-7) + 1e-12 and after > before * (1 - 1e-9):
        fail(Verdict.PROPERTY, f"clip_grad_norm -> grads: total norm {after!r} after clipping exceeds max_norm {max_norm!r}")
