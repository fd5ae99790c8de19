"""clip.* -- gradient clipping by global norm and by value (torch.nn.utils' conventions).

Inputs are lists of 1..4 arrays of different shapes (0-d to 3-d). The norm
regimes are drawn on purpose: below the threshold (no change), above it
(one global factor), exactly at it (max_norm = total norm: torch's 1e-6 still
scales by total/(total+1e-6)) and all-zero gradients. clip_grad_value draws
clips below and above the largest magnitude, with elements exactly at ±clip.
"""

from __future__ import annotations

import math

import numpy as np

import reference.clip as ref
from checks.core.compare import Tol, Verdict, fail
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, reals, st
from checks.oracles.torchlib import N, T, torch

# ---------------------------------------------------------------- strategies

# 0-d to 3-d; 3-d arrays stay at 2 per axis (shrinking a failing list of arrays is the slow part)
_shape = st.integers(0, 3).flatmap(lambda nd: st.tuples(*[st.integers(1, 3 if nd < 3 else 2)] * nd))


@st.composite
def _grads(draw):
    shapes = draw(st.lists(_shape, min_size=1, max_size=4))
    scale = draw(st.sampled_from([1e-3, 1.0, 10.0]))
    return [np.asarray(draw(array(s, -1.0, 1.0)) * scale) for s in shapes]


def _norm(grads) -> float:
    return math.sqrt(sum(float(np.sum(g * g)) for g in grads))


@st.composite
def clip_norm_case(draw):
    """grads, max_norm in a drawn regime: below / above / exactly at the threshold, or zero gradients."""
    grads = draw(_grads())
    regime = draw(st.sampled_from(["below", "above", "above", "at", "zero"]))
    if regime == "zero":
        grads = [np.zeros_like(g) for g in grads]
    total = _norm(grads)
    if total == 0.0:
        max_norm = draw(reals(0.01, 10.0))
    elif regime == "below":
        max_norm = total * draw(reals(1.01, 10.0)) + 2e-6  # the factor max_norm/(total+1e-6) stays > 1
    elif regime == "above":
        max_norm = total * draw(reals(0.01, 0.99))
    else:
        max_norm = total
    return Case((grads, max_norm))


@st.composite
def clip_value_case(draw):
    """grads, clip: below or above the largest magnitude; some elements exactly at ±clip."""
    grads = draw(_grads())
    amax = max(float(np.max(np.abs(g))) for g in grads)
    regime = draw(st.sampled_from(["below", "below", "above", "at"]))
    if regime == "above" or amax == 0.0:
        clip = max(amax, 1e-3) * draw(reals(1.0, 3.0))
    else:
        clip = amax * draw(reals(0.05, 0.95))
    if regime == "at":
        out = []
        for g in grads:
            g = np.array(g)
            flat = g.reshape(-1)
            pick = draw(st.lists(st.integers(0, flat.size - 1), max_size=flat.size))
            flat[pick] = np.where(draw(st.booleans()), clip, -clip)
            out.append(g)
        grads = out
    return Case((grads, clip))


# ---------------------------------------------------------------- torch oracles


def _params(grads):
    tt = torch()
    ps = [tt.nn.Parameter(tt.zeros(np.shape(g))) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = T(g)
    return ps


def _t_clip_norm_lib(grads, max_norm):
    ps = _params(grads)
    total = torch().nn.utils.clip_grad_norm_(ps, float(max_norm))
    return [N(p.grad) for p in ps], float(total)


def _t_clip_norm(grads, max_norm):
    """Rebuild: total = ||concat(flattened grads)||_2, factor = min(max_norm/(total+1e-6), 1)."""
    tt = torch()
    ts = [T(g) for g in grads]
    total = tt.linalg.vector_norm(tt.cat([t.reshape(-1) for t in ts]))
    factor = tt.clamp(float(max_norm) / (total + 1e-6), max=1.0)
    return [N(t * factor) for t in ts], float(total)


def _t_clip_value_lib(grads, clip):
    ps = _params(grads)
    torch().nn.utils.clip_grad_value_(ps, float(clip))
    return [N(p.grad) for p in ps]


def _t_clip_value(grads, clip):
    return [N(torch().clamp(T(g), -float(clip), float(clip))) for g in grads]


# ---------------------------------------------------------------- property


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


# ---------------------------------------------------------------- entries

_TOL = Tol(rtol=1e-7, atol=1e-12)
_SRC = Source("004", "解决梯度消失和梯度爆炸的方法 §4 梯度裁剪（Gradient Clipping）",
              "g ← g·min(max_norm/(‖g‖+1e-6), 1);  g ← clip(g, −c, c)",
              "**主要用于RNN、LSTM**，在梯度过大时将其限制在某一范围内（如[-5, 5]）")

register(Formula(
    id="clip.clip_grad_norm",
    source=Source("002", "§3 梯度消失, 梯度爆炸", "g ← g·min(max_norm/(‖g‖₂+1e-6), 1), ‖g‖ over ALL arrays",
                  "梯度爆炸: grad_clip"),
    reference=ref.clip_grad_norm,
    strategy=clip_norm_case,
    outputs=("grads", "total_norm"),
    oracles=(
        Oracle("torch:clip_grad_norm_", _t_clip_norm_lib, description="torch.nn.utils.clip_grad_norm_ on parameters' .grad"),
        Oracle("torch", _t_clip_norm, description="vector_norm of the concatenation, clamp(max_norm/(total+1e-6), max=1)"),
        Oracle("property:global-factor", _prop_global_factor, kind="property",
               description="one factor in [0,1] for every array; norm returned = norm before"),
    ),
    points=1, tol=_TOL,
    summary="(clipped list, total norm before clipping); below / above / exactly at the threshold drawn",
))

register(Formula(
    id="clip.clip_grad_value",
    source=_SRC,
    reference=ref.clip_grad_value,
    strategy=clip_value_case,
    outputs=("grads",),
    oracles=(
        Oracle("torch:clip_grad_value_", _t_clip_value_lib, description="torch.nn.utils.clip_grad_value_"),
        Oracle("torch", _t_clip_value, description="torch.clamp(g, -clip, clip) per array"),
    ),
    points=1, tol=_TOL,
    summary="every element clipped to [-clip, clip]",
))
