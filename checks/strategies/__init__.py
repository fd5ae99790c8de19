"""Shared Hypothesis strategies.

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

__all__ = [
    "st", "hnp", "Case", "reals", "array", "dims", "shape", "with_ties", "with_zeros",
    "labels", "spd_scale", "magnitudes",
]


def reals(lo: float = -10.0, hi: float = 10.0) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi], no subnormals (they only test the FPU)."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)


def magnitudes(*scales: float) -> st.SearchStrategy[float]:
    """A scale factor drawn from ``scales`` (e.g. 1, 1e2, 1e4): values spread over magnitudes."""
    return st.sampled_from(scales or (1.0,))


def array(shape, lo: float = -10.0, hi: float = 10.0, elements=None) -> st.SearchStrategy[np.ndarray]:
    """A float64 array of ``shape`` (a tuple or a strategy of tuples)."""
    return hnp.arrays(np.float64, shape, elements=elements if elements is not None else reals(lo, hi))


def dims(lo: int = 1, hi: int = 4) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


def shape(ndim: int, lo: int = 1, hi: int = 4) -> st.SearchStrategy[tuple]:
    return st.tuples(*[st.integers(lo, hi) for _ in range(ndim)])


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


def spd_scale() -> st.SearchStrategy[float]:
    return st.sampled_from([1e-3, 1.0, 10.0])
