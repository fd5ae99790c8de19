"""Input strategies of norm.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.strategies import Case, array, reals, st


EPS = (1e-5, 1e-3, 0.1)


REGIMES = ("moderate", "constant", "below-eps", "near-eps", "above-eps", "offset")


_SPREAD = {"below-eps": lambda eps: 1e-3 * np.sqrt(eps), "near-eps": lambda eps: np.sqrt(eps)}


def _pieces(draw, *shapes):
    """Arrays of ``shapes`` with values in [-1, 1], sliced from ONE drawn array.

    Drawing dominates a check's time (and a failing check's shrinking): one
    array costs a third of several.
    """
    sizes = [int(np.prod(sh)) for sh in shapes]
    flat = draw(array((sum(sizes),), -1, 1))
    out, i = [], 0
    for sh, k in zip(shapes, sizes):
        out.append(flat[i:i + k].reshape(sh).copy())
        i += k
    return out


def _groups(draw, m: int, k: int, eps: float, regimes, *extra):
    """(m, k): k groups (columns) of m values sharing one mean and variance, each in a drawn regime.

    Returns the grouped values and arrays of the ``extra`` shapes (values in
    [-1, 1]), all sliced from one drawn array. See the module doc for the regimes.
    """
    reg = draw(st.lists(st.sampled_from(regimes), min_size=k, max_size=k))
    u, c, *rest = _pieces(draw, (m, k), (k,), *extra)
    c = 10.0 * c
    out = np.empty((m, k))
    for j, r in enumerate(reg):
        if r == "moderate":
            out[:, j] = 10.0 * u[:, j]
        elif r == "constant":
            out[:, j] = c[j]
        elif r in _SPREAD:  # σ² ~ 1e-6·eps (far below eps) or ~ eps
            out[:, j] = c[j] + _SPREAD[r](eps) * u[:, j]
        elif r == "above-eps":  # σ² >> eps
            out[:, j] = c[j] + draw(st.sampled_from([1.0, 10.0])) * u[:, j]
        else:  # "offset": 1e4 + a small spread; the one-pass E[x²]-E[x]² is 0 or negative here
            out[:, j] = 1e4 + c[j] + draw(st.sampled_from([1e-3 * np.sqrt(eps), np.sqrt(eps), 1.0])) * u[:, j]
    return (out, *rest)


_n_bn = st.one_of(st.just(2), st.integers(2, 4))  # N = 2 drawn on purpose


@st.composite
def bn_cases(draw, backward: bool = False, n=_n_bn, d_max: int = 4, regimes=REGIMES):
    """(x (N,D), gamma, beta, eps[, dy]) with each column in its own regime."""
    n, d = draw(n), draw(st.integers(1, d_max))
    eps = draw(st.sampled_from(EPS))
    x, g, b, dy = _groups(draw, n, d, eps, regimes, (d,), (d,), (n, d) if backward else (0,))
    return Case((x, 5 * g, 5 * b, eps) + ((10 * dy,) if backward else ()))


@st.composite
def ln_cases(draw, backward: bool = False, n_max: int = 4, d_max: int = 4, regimes=REGIMES):
    """(x (N,D), gamma, beta, eps[, dy]) with each row in its own regime (D = 1 included: σ² = 0)."""
    n, d = draw(st.integers(1, n_max)), draw(st.integers(1, d_max))
    eps = draw(st.sampled_from(EPS))
    xt, g, b, dy = _groups(draw, d, n, eps, regimes, (d,), (d,), (n, d) if backward else (0,))
    return Case((xt.T.copy(), 5 * g, 5 * b, eps) + ((10 * dy,) if backward else ()))


@st.composite
def bn2d_cases(draw):
    """(x (N,C,H,W), gamma, beta, eps, dy), N·H·W >= 2, each channel in its own regime."""
    n, c, h, w = draw(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)))
    if n * h * w < 2:
        n = 2
    eps = draw(st.sampled_from(EPS))
    x, g, b, dy = _groups(draw, n * h * w, c, eps, REGIMES, (c,), (c,), (n, c, h, w))
    x = x.reshape(n, h, w, c).transpose(0, 3, 1, 2).copy()
    return Case((x, 5 * g, 5 * b, eps, 10 * dy))


@st.composite
def running_cases(draw):
    """(running_mean, running_var, x (N,D), momentum), N >= 2."""
    n, d = draw(_n_bn), draw(st.integers(1, 4))
    x, rm, rv = _groups(draw, n, d, 1e-5, REGIMES, (d,), (d,))
    m = draw(st.one_of(st.sampled_from([0.0, 0.1, 0.5, 1.0]), reals(0.0, 1.0)))
    return Case((10 * rm, 5 * (rv + 1), x, m))


# SymPy: BN groups of N <= 3 (D columns handled one by one), LN rows of D <= 3
def sym_bn_cases():
    return bn_cases(backward=True, n=st.integers(2, 3), d_max=3)


def sym_ln_cases():
    return ln_cases(backward=True, n_max=3, d_max=3)
