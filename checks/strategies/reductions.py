"""Input strategies of reductions.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.strategies import Case, array, st, with_ties

REGIMES = ("ties", "ties", "distinct", "constant-rows", "small-integers")


@st.composite
def max_cases(draw):
    n, d = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    regime = draw(st.sampled_from(REGIMES))
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
