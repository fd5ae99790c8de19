"""Input strategies of attention.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.strategies import Case, array, st

MASK_PASSING = ("keyword", "positional", "keyword", "positional", "omitted", "None")  # how the mask is given

MASK_REGIMES = ("random", "one-key rows", "all true", "causal-like")
REGIMES = ("moderate", "sharp", "moderate", "equal keys", "zero queries")


@st.composite
def _mask(draw, n: int, m: int) -> np.ndarray:
    """A bool (n, m) mask, every row with at least one True; some rows with exactly one, on purpose."""
    regime = draw(st.sampled_from(MASK_REGIMES))
    if regime == "all true":
        return np.ones((n, m), dtype=bool)
    if regime == "causal-like":
        return np.tril(np.ones((n, m), dtype=bool), k=max(0, m - n))
    mk = np.array(draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m)), dtype=bool).reshape(n, m)
    for r in range(n):
        one = regime == "one-key rows" and draw(st.booleans())
        if one or not mk[r].any():
            mk[r] = False
            mk[r, draw(st.integers(0, m - 1))] = True
    return mk


@st.composite
def attention_cases(draw, backward: bool = False):
    N_, n, m = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    d, dv = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    regime = draw(st.sampled_from(REGIMES))
    hi = 5.0 if regime == "sharp" else 2.0  # sharp: scores up to 50, softmax nearly one-hot
    if draw(st.sampled_from([True, True, False])):
        # varied values from a drawn seed: Hypothesis' arrays repeat one fill value almost everywhere,
        # which makes every score equal and hides a wrong scale
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        Q, K = rng.uniform(-hi, hi, (N_, n, d)), rng.uniform(-hi, hi, (N_, m, d))
        V = rng.uniform(-10, 10, (N_, m, dv))
        dy = rng.uniform(-10, 10, (N_, n, dv))
    else:
        Q, K = draw(array((N_, n, d), -hi, hi)), draw(array((N_, m, d), -hi, hi))
        V = draw(array((N_, m, dv), -10, 10))
        dy = draw(array((N_, n, dv), -10, 10)) if backward else None
    if regime == "equal keys":  # tied scores: equal weights on the repeated keys
        K[:, :] = K[:, :1]
    if regime == "zero queries":  # every score 0: uniform weights
        Q[:] = 0.0
    if backward:
        return Case((Q, K, V, dy))
    how = draw(st.sampled_from(MASK_PASSING))
    if how == "omitted":
        return Case((Q, K, V))
    if how == "None":
        return Case((Q, K, V), {"mask": None})
    mk = draw(_mask(n, m))
    return Case((Q, K, V, mk)) if how == "positional" else Case((Q, K, V), {"mask": mk})


def attention_backward_cases():
    return attention_cases(backward=True)


@st.composite
def pe_cases(draw):
    n = draw(st.sampled_from([1, 2, 3, 4, 7, 16, 50, 128]))
    d = 2 * draw(st.sampled_from([1, 2, 3, 4, 8, 16]))
    return Case((n, d))
