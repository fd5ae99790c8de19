"""Input strategies of optim.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.core.gradfns import LogisticGrad, QuadraticGrad
from checks.strategies import Case, array, reals, st

STEP_REGIMES = ("first", "t=1", "early", "late")  # Adam's t and state


_LR = st.one_of(st.sampled_from([1e-3, 0.01, 0.1, 0.5, 1.0]), reals(1e-4, 1.0))


_BETA = st.one_of(st.sampled_from([0.0, 0.5, 0.9, 0.99, 0.999, 0.9999]), reals(0.01, 0.9999))  # no beta ~1e-300: beta*m subnormal


_BETA1 = st.one_of(st.sampled_from([0.0, 0.9, 0.99, 0.999]), reals(0.01, 0.999))


_BETA2 = st.one_of(st.sampled_from([0.9, 0.99, 0.999, 0.9999]), reals(0.5, 0.9999))


_EPS = st.sampled_from([1e-8, 1e-10, 1e-6])


_TINY = st.sampled_from([1e-8, 1e-10, 1e-12, 1e-14])


REGIMES = ("moderate", "tiny", "mixed")


def _size(sizes):
    lo, hi = sizes
    return st.integers(lo, hi)


# |u| in [1e-3, 1] or exactly 0: magnitudes come from the regime's scale (a unit value such
# as 1e-160 times 1e-14, squared, would be subnormal: relative precision lost, no regime of ours)
_UNIT = st.one_of(st.just(0.0), reals(1e-3, 1.0), reals(-1.0, -1e-3))


_UNIT_POS = st.one_of(st.just(0.0), reals(1e-3, 4.0))


def _units(shape, positive=False):
    return array(shape, elements=_UNIT_POS if positive else _UNIT)


@st.composite
def _grad(draw, n: int, regimes=REGIMES):
    """(g, scale): a gradient in a drawn regime and the magnitude of its elements."""
    regime = draw(st.sampled_from(regimes))
    if regime == "zero":
        return np.zeros(n), np.ones(n)
    if regime == "moderate":
        scale = np.full(n, 10.0)
    elif regime == "tiny":
        scale = np.full(n, draw(_TINY))
    else:
        scale = np.array(draw(st.lists(st.sampled_from([1e-12, 1e-8, 1.0, 10.0]), min_size=n, max_size=n)))
    return draw(_units((n,))) * scale, scale


@st.composite
def _state(draw, scale: np.ndarray, square: bool, zero=None):
    """A moment: zero (the first step) or of the gradient's magnitude (squared, >= 0, for s)."""
    if zero if zero is not None else draw(st.booleans()):
        return np.zeros(scale.shape)
    if square:
        return draw(_units(scale.shape, positive=True)) * scale * scale
    return draw(_units(scale.shape)) * scale


def _theta(n):
    return array((n,), -10.0, 10.0)


@st.composite
def sgd_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    g, _ = draw(_grad(n, REGIMES + ("zero",)))
    return Case((draw(_theta(n)), g, draw(_LR)))


@st.composite
def momentum_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    g, scale = draw(_grad(n))
    return Case((draw(_theta(n)), g, draw(_state(scale, False)), draw(_LR), draw(_BETA)))


@st.composite
def _grad_fns(draw, n: int):
    """A QuadraticGrad (A symmetric PSD, scaled 1e-3..10) or a LogisticGrad (N = 1..4 rows)."""
    if draw(st.booleans()):
        B = draw(array((n, n), -2.0, 2.0))
        C = B @ B.T * draw(st.sampled_from([1e-3, 1.0, 10.0]))
        return QuadraticGrad(A=(C + C.T) / 2, b=draw(array((n,), -5.0, 5.0)))
    rows = draw(st.integers(1, 4))
    X = draw(array((rows, n), -3.0, 3.0))
    y = np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=rows, max_size=rows)))
    return LogisticGrad(X=X, y=y)


@st.composite
def nag_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    fn = draw(_grad_fns(n))
    m = draw(_state(np.full(n, draw(st.sampled_from([0.1, 1.0, 5.0]))), False))
    return Case((draw(_theta(n)), fn, m, draw(_LR), draw(_BETA)))


@st.composite
def adagrad_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    g, scale = draw(_grad(n))
    return Case((draw(_theta(n)), g, draw(_state(scale, True)), draw(_LR), draw(_EPS)))


@st.composite
def rmsprop_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    g, scale = draw(_grad(n))
    return Case((draw(_theta(n)), g, draw(_state(scale, True)), draw(_LR), draw(_BETA), draw(_EPS)))


@st.composite
def adam_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    g, scale = draw(_grad(n))
    regime = draw(st.sampled_from(STEP_REGIMES))
    first = regime == "first"
    m, s = draw(_state(scale, False, zero=first or None)), draw(_state(scale, True, zero=first or None))
    t = {"first": 1, "t=1": 1}.get(regime) or draw(st.integers(2, 10) if regime == "early" else st.integers(11, 100_000))
    return Case((draw(_theta(n)), g, m, s, t, draw(_LR), draw(_BETA1), draw(_BETA2), draw(_EPS)))
