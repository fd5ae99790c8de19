"""Input strategies of lstm.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

from checks.strategies import Case, array, st
from checks.strategies.rnn import REGIMES, regime, weights


@st.composite
def cell_cases(draw, backward=False, h_max=3, d_max=3, regimes=REGIMES, h=None):
    """(x, h_prev, c_prev, W, b[, dh, dc]); N, H, D from 1; weights in a drawn regime."""
    n = draw(st.integers(1, 3))
    h = h if h is not None else draw(st.integers(1, h_max))
    d = draw(st.integers(1, d_max))
    reg = draw(regime(regimes))
    args = (draw(array((n, d), -3.0, 3.0)), draw(array((n, h), -1.0, 1.0)), draw(array((n, h), -3.0, 3.0)),
            draw(weights((4 * h, h + d), reg)), draw(weights((4 * h,), reg)))
    if backward:
        args += (draw(array((n, h), -2.0, 2.0)), draw(array((n, h), -2.0, 2.0)))
    return Case(args)


@st.composite
def state_jacobian_cases(draw, h_max=3, d_max=3, regimes=REGIMES, h=None):
    """(x, c_prev, o_prev, W, b); o_prev in [0, 1] (an output gate)."""
    n = draw(st.integers(1, 3))
    h = h if h is not None else draw(st.integers(1, h_max))
    d = draw(st.integers(1, d_max))
    reg = draw(regime(regimes))
    return Case((draw(array((n, d), -3.0, 3.0)), draw(array((n, h), -3.0, 3.0)), draw(array((n, h), 0.0, 1.0)),
                 draw(weights((4 * h, h + d), reg)), draw(weights((4 * h,), reg))))


@st.composite
def bptt_cases(draw):
    """(x, h0, c0, W, b, dh): T, N, H, D from 1; random upstream gradients on every h_t."""
    t, n, h, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    reg = draw(regime())
    return Case((draw(array((t, n, d), -3.0, 3.0)), draw(array((n, h), -1.0, 1.0)), draw(array((n, h), -3.0, 3.0)),
                 draw(weights((4 * h, h + d), reg)), draw(weights((4 * h,), reg)), draw(array((t, n, h), -2.0, 2.0))))
