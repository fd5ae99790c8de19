"""Input strategies of conv.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

from checks.strategies import Case, array, st


@st.composite
def conv_cases(draw, backward=False):
    n, cin, cout = (draw(st.integers(1, 3)) for _ in range(3))
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    x = draw(array((n, cin, h, w), -10, 10))
    args = [x, draw(array((cout, cin), -3, 3)), draw(array((cout,), -3, 3))]
    if backward:
        args.append(draw(array((n, cout, h, w), -10, 10)))
    return Case(tuple(args))
