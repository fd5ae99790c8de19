"""Input strategies of embedding.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.strategies import Case, array, hnp, st

REGIMES = ("any", "spread", "spread", "repeats", "one")


@st.composite
def embedding_cases(draw):
    """indices (N,L) in [0,V), dy (N,L,E), V; regimes: any index, spread (varied indices from a drawn seed:
    Hypothesis' arrays repeat one fill value, so most "any" draws were all one token), few distinct
    (repeats), one index repeated."""
    n, l, e = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    V = draw(st.integers(1, 6))
    regime = draw(st.sampled_from(REGIMES))
    if regime == "spread":
        V = max(V, 2)
        idx = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(0, V, size=(n, l)).astype(np.int64)
    elif regime == "one":
        idx = np.full((n, l), draw(st.integers(0, V - 1)), dtype=np.int64)
    else:
        hi = V - 1 if regime == "any" else min(V - 1, 1)
        idx = draw(hnp.arrays(np.int64, (n, l), elements=st.integers(0, hi)))
    return Case((idx, draw(array((n, l, e), -10, 10)), V))
