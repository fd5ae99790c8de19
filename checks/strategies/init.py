"""Input strategies of init.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

from checks.strategies import Case, st


@st.composite
def shape_cases(draw):
    kind = draw(st.sampled_from(["linear", "conv1d", "conv2d", "conv3d"]))
    out, inp = draw(st.integers(1, 16)), draw(st.integers(1, 16))
    nk = {"linear": 0, "conv1d": 1, "conv2d": 2, "conv3d": 3}[kind]
    kernel = [draw(st.integers(1, 5 if nk < 3 else 3)) for _ in range(nk)]
    return Case(((out, inp, *kernel),))
