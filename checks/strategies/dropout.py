"""Input strategies of dropout.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.strategies import Case, array, reals, st

REGIMES = ("random", "random", "ones", "zeros")  # of the mask


_shape = st.integers(0, 3).flatmap(lambda nd: st.tuples(*[st.integers(1, 4)] * nd))


# tiny p_keep on purpose: 1 - (1 - p_keep) (a drop rate and back) loses p_keep's low bits there
_p_keep = st.one_of(st.sampled_from([0.1, 0.5, 0.8, 1.0, 1e-3, 1e-6]), reals(0.05, 1.0))


@st.composite
def _data(draw, shape):
    hi = draw(st.sampled_from([10.0, 1e4]))
    return draw(array(shape, -hi, hi))


@st.composite
def _mask(draw, shape):
    regime = draw(st.sampled_from(REGIMES))
    if regime == "ones":
        return np.ones(shape)
    if regime == "zeros":
        return np.zeros(shape)
    return draw(array(shape, elements=st.sampled_from([0.0, 1.0])))


@st.composite
def train_cases(draw, small: bool = False):
    """(x, mask, p_keep, inverted); ``small``: at most 8 elements (all masks enumerable)."""
    shape = draw(_shape if not small else st.integers(0, 2).flatmap(lambda nd: st.tuples(*[st.integers(1, 2 if nd == 2 else 4)] * nd)))
    return Case((draw(_data(shape)), draw(_mask(shape)), draw(_p_keep), draw(st.booleans())))


@st.composite
def eval_cases(draw, small: bool = False):
    c = draw(train_cases(small))
    x, _, p, inv = c.args
    return Case((x, p, inv))
