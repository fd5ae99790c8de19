"""Judge-time code (clip): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import math

import numpy as np

from checks.core.compare import Verdict, fail


def _norm(grads) -> float:
    return math.sqrt(sum(float(np.sum(g * g)) for g in grads))


def _clip_prep(case):
    grads, max_norm = case.args
    flat = []
    for g in grads:
        g = np.asarray(g, dtype=np.float64).reshape(-1)
        nz = np.abs(g) > 0
        flat.append((g, nz, bool(nz.any()), ~nz))
    return _norm(grads), flat, max_norm


def _clip_run(st, result):
    __tracebackhide__ = True
    before, flat, max_norm = st
    clipped, total = result
    if not abs(total - before) <= 1e-9 + 1e-7 * before:
        fail(Verdict.PROPERTY, f"clip_grad_norm -> total_norm: got {total!r}, but the L2 norm of all the gradients"
                               f" BEFORE clipping is {before!r}")
    factors = []
    for i, ((g, nz, any_nz, off), c) in enumerate(zip(flat, clipped)):
        c = np.asarray(c, dtype=np.float64).reshape(-1)
        if not any_nz:
            if np.any(c != 0):
                fail(Verdict.PROPERTY, f"clip_grad_norm -> grads[{i}]: a zero gradient must stay zero, got {c.tolist()}")
            continue
        f = c[nz] / g[nz]
        if not (np.all(np.abs(c[off]) == 0) and np.ptp(f) <= 1e-7 * max(1.0, abs(float(f[0])))):
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


def _prop_global_factor(case, result):
    """One common factor c in (0, 1] for all arrays; the clipped norm <= max_norm; the norm returned is the one before."""
    __tracebackhide__ = True
    return _clip_run(_clip_prep(case), result)


_prop_global_factor.prep, _prop_global_factor.check = _clip_prep, _clip_run
