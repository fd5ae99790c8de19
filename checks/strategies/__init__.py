"""Input strategies: the shared primitives here, each group's in ``checks/strategies/<group>.py``.

Conventions of the group modules: a strategy of inputs is named ``<what>_cases`` and
returns :class:`Case` objects; a group's hard regimes are module-level tuples of names
(``REGIMES``, or ``<WHAT>_REGIMES`` when a module has several), drawn with
``st.sampled_from`` (a name repeated is a larger share), with any per-regime
parameter in a private dict beside them. Only this package imports Hypothesis:
the entries (``checks/formulas/``) name strategies lazily.

Arrays are small (a few dozen elements at most): drawing is ~99% of a cheap
check's time, and small counterexamples are the ones a student can read.
Hard regimes (ties, exact zeros at kinks, huge magnitudes) are drawn on
purpose through ``regime`` choices, not left to luck.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from checks.core.case import Case

__all__ = ["st", "hnp", "Case", "reals", "array", "with_ties", "with_zeros", "labels"]


def reals(lo: float = -10.0, hi: float = 10.0) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi], no subnormals (they only test the FPU)."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)


def array(shape, lo: float = -10.0, hi: float = 10.0, elements=None) -> st.SearchStrategy[np.ndarray]:
    """A float64 array of ``shape`` (a tuple or a strategy of tuples)."""
    return hnp.arrays(np.float64, shape, elements=elements if elements is not None else reals(lo, hi))


@st.composite
def with_ties(draw, a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Copy of ``a`` where some rows (along ``axis``) get their maximum repeated at random places."""
    a = np.array(a, dtype=np.float64)
    b = np.moveaxis(a, axis, -1)
    rows = b.reshape(-1, b.shape[-1])
    if rows.shape[1] < 2:
        return a
    for r in range(rows.shape[0]):
        if draw(st.booleans()):
            m = rows[r].max()
            idx = draw(st.lists(st.integers(0, rows.shape[1] - 1), min_size=1, max_size=rows.shape[1]))
            rows[r, idx] = m
    return np.moveaxis(rows.reshape(b.shape), -1, axis)


@st.composite
def with_zeros(draw, a: np.ndarray) -> np.ndarray:
    """Copy of ``a`` with some entries set to exactly 0 (kinks of relu-like functions)."""
    a = np.array(a, dtype=np.float64)
    flat = a.reshape(-1)
    if flat.size:
        idx = draw(st.lists(st.integers(0, flat.size - 1), max_size=flat.size))
        flat[idx] = 0.0
    return flat.reshape(a.shape)


def labels(n: int, k: int) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1))
