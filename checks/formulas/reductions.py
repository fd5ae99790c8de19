"""reductions.max_backward -- the gradient of max over the last axis (notes 001 A6.2)."""

from __future__ import annotations

import numpy as np

import reference.reductions as ref
from checks.core.compare import Tol, Verdict, assert_array_close, fail
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, st, with_ties
from checks.oracles.torchlib import torch, vjp


@st.composite
def max_cases(draw):
    n, d = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    regime = draw(st.sampled_from(["ties", "ties", "distinct", "constant-rows", "small-integers"]))
    if regime == "small-integers":  # many ties among small integer values
        x = draw(array((n, d), elements=st.integers(-2, 2).map(float)))
    else:
        x = draw(array((n, d), -10, 10))
    if regime == "ties":
        x = draw(with_ties(x))
    elif regime == "constant-rows":
        x = np.repeat(x[:, :1], d, axis=1)
    dy = draw(array((n,), -10, 10))
    return Case((x, dy))


def _t_amax(x, dy):
    """autograd of torch.amax, which splits dy evenly over tied maxima."""
    return vjp(lambda t: torch().amax(t, dim=1), dy, x)


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


register(Formula(
    id="reductions.max_backward",
    source=Source("001", "A6.2", "∂y/∂x_i = 1 if x_i = max(x_1..x_D) else 0",
                  "\\frac{\\partial y}{\\partial x_{i}}=1, \\text { if } x_{i}=max(𝑥_1,⋯,𝑥_𝐷); 0, \\text { otherwise }"),
    reference=ref.max_backward,
    strategy=max_cases,
    outputs=("dx",),
    oracles=(
        Oracle("torch", _t_amax, description="autograd of torch.amax (even split at ties); any valid split accepted"),
        Oracle("property:tie-split", lambda case, dx: _tie_split_property(case, dx), kind="property",
               description="weights lie on the tied maxima, are >= 0 and sum to dy"),
    ),
    compare=_compare,
    points=2,
    tol=Tol(rtol=1e-9, atol=1e-12),
    summary="ties: any split of dy over the tied maxima (non-negative weights summing to 1)",
))
