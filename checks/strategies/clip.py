"""Input strategies of clip.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.judges.clipping import _norm
from checks.strategies import Case, array, reals, st

NORM_REGIMES = ("below", "above", "above", "at", "zero")  # the total norm vs max_norm
VALUE_REGIMES = ("below", "below", "above", "at")  # |g| vs clip


# 0-d to 3-d; 3-d arrays stay at 2 per axis (shrinking a failing list of arrays is the slow part)
_shape = st.integers(0, 3).flatmap(lambda nd: st.tuples(*[st.integers(1, 3 if nd < 3 else 2)] * nd))


@st.composite
def _grads(draw):
    shapes = draw(st.lists(_shape, min_size=1, max_size=4))
    scale = draw(st.sampled_from([1e-3, 1.0, 10.0]))
    return [np.asarray(draw(array(s, -1.0, 1.0)) * scale) for s in shapes]


@st.composite
def clip_norm_cases(draw):
    """grads, max_norm in a drawn regime: below / above / exactly at the threshold, or zero gradients."""
    grads = draw(_grads())
    regime = draw(st.sampled_from(NORM_REGIMES))
    if regime == "zero":
        grads = [np.zeros_like(g) for g in grads]
    total = _norm(grads)
    if total == 0.0:
        max_norm = draw(reals(0.01, 10.0))
    elif regime == "below":
        max_norm = total * draw(reals(1.01, 10.0)) + 2e-6  # the factor max_norm/(total+1e-6) stays > 1
    elif regime == "above":
        max_norm = total * draw(reals(0.01, 0.99))
    else:
        max_norm = total
    return Case((grads, max_norm))


@st.composite
def clip_value_cases(draw):
    """grads, clip: below or above the largest magnitude; some elements exactly at ±clip."""
    grads = draw(_grads())
    amax = max(float(np.max(np.abs(g))) for g in grads)
    regime = draw(st.sampled_from(VALUE_REGIMES))
    if regime == "above" or amax == 0.0:
        clip = max(amax, 1e-3) * draw(reals(1.0, 3.0))
    else:
        clip = amax * draw(reals(0.05, 0.95))
    if regime == "at":
        out = []
        for g in grads:
            g = np.array(g)
            flat = g.reshape(-1)
            pick = draw(st.lists(st.integers(0, flat.size - 1), max_size=flat.size))
            flat[pick] = np.where(draw(st.booleans()), clip, -clip)
            out.append(g)
        grads = out
    return Case((grads, clip))
