"""Input strategies of logistic.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.strategies import Case, array, hnp, st

REGIMES = ("moderate", "separable", "misclassified", "zero-theta")


@st.composite
def logistic_cases(draw, n_max=5, d_max=4, regimes=REGIMES):
    """theta, X, y with y in {0., 1.}; regimes push |θᵀx| up to ~1e4 (near-separable data)."""
    n, d = draw(st.integers(1, n_max)), draw(st.integers(1, d_max))
    regime = draw(st.sampled_from(regimes))
    X = draw(array((n, d), -10, 10))
    theta = draw(array((d,), -3, 3))
    if regime in ("separable", "misclassified"):
        theta = theta * draw(st.sampled_from([10.0, 100.0, 250.0]))
    elif regime == "zero-theta":
        theta = np.zeros(d)
    a = X @ theta
    if regime == "separable":
        y = (a > 0).astype(np.float64)
    elif regime == "misclassified":
        y = (a <= 0).astype(np.float64)
    else:
        y = draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([0.0, 1.0])))
    return Case((theta, X, y))


def sym_cases():
    """Small sizes and |θᵀx| <= 6: the notes' log(1 − f(z)) loses precision past that."""

    @st.composite
    def small(draw):
        n, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        theta, X = draw(array((d,), -1, 1)), draw(array((n, d), -2, 2))
        y = draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([0.0, 1.0])))
        return Case((theta, X, y))

    return small()
