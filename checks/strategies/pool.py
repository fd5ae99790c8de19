"""Input strategies of pool.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.judges.subgradient import _out
from checks.strategies import Case, array, hnp, st

REGIMES = ("continuous", "small-int", "small-int", "constant")


@st.composite
def _values(draw, shape):
    """Values in a drawn regime: continuous, small integers (many ties) or constant (every window tied)."""
    regime = draw(st.sampled_from(REGIMES))
    if regime == "continuous":
        return draw(array(shape, -10, 10))
    if regime == "small-int":
        return draw(hnp.arrays(np.float64, shape, elements=st.integers(-2, 2).map(float)))
    return np.full(shape, float(draw(st.integers(-3, 3))))


@st.composite
def pool_cases(draw, backward: bool = True):
    """x (N,C,H,W), k, stride (and dy): half the cases have overlapping windows (stride < k)."""
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    if draw(st.booleans()):  # overlapping windows
        h, w = draw(st.integers(2, 5)), draw(st.integers(2, 5))
        k = draw(st.integers(2, min(h, w, 3)))
        stride = draw(st.integers(1, k - 1))
    else:
        h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
        k = draw(st.integers(1, min(h, w, 3)))
        stride = draw(st.integers(1, 3))
    x = draw(_values((n, c, h, w)))
    if not backward:
        return Case((x, k, stride))
    dy = draw(array((n, c, _out(h, k, stride), _out(w, k, stride)), -10, 10))
    return Case((x, k, stride, dy))


def _tie_trap_rows(draw, shape, k):
    """0/1 rows with fewer than k ones, one of them after the first k positions (k < T): the k-th
    largest is a tied 0, and "keep x >= the k-th largest, then the first k in time order" drops that 1.
    Varied rows from a drawn seed (Hypothesis' arrays repeat one fill value)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, c, t = shape
    x = np.zeros(shape)
    for i in range(n):
        for j in range(c):
            g = int(rng.integers(0, k))  # ones besides the late one: g + 1 <= k
            x[i, j, int(rng.integers(k, t))] = 1.0
            x[i, j, rng.choice(t, size=g, replace=False)] = 1.0
    return x


@st.composite
def kmax_cases(draw, backward: bool = True):
    """x (N,C,T), 1 <= k <= T (and dy (N,C,k)); ties at the k-th largest value are frequent."""
    n, c, t = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 6))
    k = draw(st.integers(1, t))
    if t > 1 and draw(st.integers(0, 3)) == 0:
        k = min(k, t - 1)
        x = _tie_trap_rows(draw, (n, c, t), k)
    else:
        x = draw(_values((n, c, t)))
    if not backward:
        return Case((x, k))
    return Case((x, k, draw(array((n, c, k), -10, 10))))
