"""Input strategies of activations.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

from checks.strategies import Case, array, reals, st, with_zeros

REGIMES = ("moderate", "huge")
KINK_REGIMES = REGIMES + ("zeros",)  # relu-like: exact zeros at the kink


@st.composite
def _values(draw, shape, kinks: bool = False):
    """Values in a drawn regime: moderate, huge (up to the stable range 1e4), or with exact zeros."""
    regime = draw(st.sampled_from(KINK_REGIMES if kinks else REGIMES))
    hi = 1e4 if regime == "huge" else 10.0
    x = draw(array(shape, -hi, hi))
    if regime == "zeros":
        x = draw(with_zeros(x))
    return x


_any_shape = st.integers(0, 3).flatmap(lambda nd: st.tuples(*[st.integers(1, 4)] * nd))


@st.composite
def unary_cases(draw, kinks=False):
    shape = draw(_any_shape)
    return Case((draw(_values(shape, kinks)),))


@st.composite
def unary_backward_cases(draw, kinks=False, slope=False, hi=None):
    shape = draw(_any_shape)
    x = draw(_values(shape, kinks)) if hi is None else draw(array(shape, -hi, hi))
    dy = draw(array(shape, -10, 10))
    if slope:
        return Case((x, draw(reals(0.0, 1.0)), dy))
    return Case((x, dy))


@st.composite
def prelu_cases(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    rest = draw(st.lists(st.integers(1, 3), max_size=2))
    shape = (n, c, *rest)
    x = draw(_values(shape, kinks=True))
    a = draw(array((c,), 0.0, 1.0))
    return Case((x, a, draw(array(shape, -10, 10))))
