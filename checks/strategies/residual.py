"""Input strategies of residual.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.strategies import Case, array, st

REGIMES = ("moderate", "saturated", "small")
_SCALE = {"moderate": 1.0, "saturated": 10.0, "small": 1e-3}
GATE_REGIMES = ("moderate", "closed", "open")
_GATE_BIAS = {"moderate": 0.0, "closed": -8.0, "open": 8.0}


_nd = st.tuples(st.integers(1, 4), st.integers(1, 4))


def _pieces(draw, *shapes):
    """Arrays of ``shapes`` with values in [-1, 1], sliced from ONE drawn array (a third of the cost of several)."""
    sizes = [int(np.prod(sh)) for sh in shapes]
    flat = draw(array((sum(sizes),), -1, 1))
    out, i = [], 0
    for sh, k in zip(shapes, sizes):
        out.append(flat[i:i + k].reshape(sh).copy())
        i += k
    return out


@st.composite
def residual_cases(draw):
    """(x (N,D), W (D,D), b (D,), dy)."""
    n, d = draw(_nd)
    regime = draw(st.sampled_from(REGIMES))
    w = _SCALE[regime]
    x, W, b, dy = _pieces(draw, (n, d), (d, d), (d,), (n, d))
    return Case((3 * x, w * W, b * (10.0 if regime == "saturated" else 2.0), 10 * dy))


def _off_kink(x, WH, bH):
    """Shift each bH_j so that no pre-activation x·WH_j + bH_j is within 1e-6 of relu's kink."""
    a = x @ WH.T
    bH = bH.copy()
    for j in range(bH.size):
        for shift in (0.0, 0.25, -0.25, 0.5, -0.5, 0.75, 1.0, -1.0, 1.5):
            if np.all(np.abs(a[:, j] + bH[j] + shift) >= 1e-6):
                bH[j] += shift
                break
    return bH


@st.composite
def highway_cases(draw, backward: bool = False):
    """(x, WH, bH, WT, bT[, dy]), gates in a drawn regime."""
    n, d = draw(_nd)
    gate = draw(st.sampled_from(GATE_REGIMES))
    x, WH, bH, WT, bT, dy = _pieces(draw, (n, d), (d, d), (d,), (d, d), (d,), (n, d))
    x, WH, WT = 3 * x, 2 * WH, 2 * WT
    bH = _off_kink(x, WH, 2 * bH)
    bT = 2 * bT + _GATE_BIAS[gate]
    args = (x, WH, bH, WT, bT)
    if backward:
        args += (10 * dy,)
    return Case(args)
