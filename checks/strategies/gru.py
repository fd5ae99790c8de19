"""Input strategies of gru.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.oracles.gru import KEYS
from checks.strategies import Case, array, st
from checks.strategies.rnn import REGIMES, regime, weights


#: σ(R_OPEN) == 1.0 exactly in float64 (e^{-40} ≈ 4e-18 < 2^-53): a reset gate held open
R_OPEN = 40.0


@st.composite
def _params(draw, h, d, reg, torch_regime=None):
    """The dict p. ``torch_regime``: "reset-open" (Wr = Ur = 0, br = 40, so r == 1) or "Wh=0"."""
    shapes = {"W": (h, h), "U": (h, d), "b": (h,)}
    p = {k: draw(weights(shapes[k[0]], reg)) for k in KEYS}
    if torch_regime == "reset-open":
        p["Wr"], p["Ur"], p["br"] = np.zeros((h, h)), np.zeros((h, d)), np.full(h, R_OPEN)
    elif torch_regime == "Wh=0":
        p["Wh"] = np.zeros((h, h))
    return p


@st.composite
def gru_cases(draw, backward=False, h_max=3, d_max=3, regimes=REGIMES, h=None, torch_regimes=None):
    """(x, h_prev, p[, dh]); N, H, D from 1; weights in a drawn regime."""
    n = draw(st.integers(1, 3))
    h = h if h is not None else draw(st.integers(1, h_max))
    d = draw(st.integers(1, d_max))
    reg = draw(regime(regimes))
    tr = draw(st.sampled_from(torch_regimes)) if torch_regimes else None
    args = (draw(array((n, d), -3.0, 3.0)), draw(array((n, h), -1.0, 1.0)), draw(_params(h, d, reg, tr)))
    if backward:
        args += (draw(array((n, h), -2.0, 2.0)),)
    return Case(args)
