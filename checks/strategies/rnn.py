"""Input strategies of rnn.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.strategies import Case, array, hnp, labels, st


#: weight scale per regime: "saturating" drives tanh/σ into their flat tails
#: (pre-activations of tens), "small" keeps everything nearly linear.
REGIMES = ("moderate", "small", "saturating")
_SCALE = {"moderate": 1.0, "small": 0.1, "saturating": 8.0}


def regime(names=REGIMES):
    return st.sampled_from(list(names))


@st.composite
def _saturating_bias(draw, shape):
    """|b| in [20, 30] with a drawn sign per unit: σ′, tanh′ < 1e-8 whatever the weights add."""
    mag = draw(array(shape, 20.0, 30.0))
    sign = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0])))
    return mag * sign


def weights(shape, reg):
    """Weights of a regime; in the "saturating" regime a bias (1-d) is large on purpose."""
    if reg == "saturating" and len(shape) == 1:
        return _saturating_bias(shape)
    s = _SCALE[reg]
    return array(shape, -s, s)


@st.composite
def rnn_cases(draw, with_labels=False, t_max=4, hd_max=3, n_max=3, k_max=3, regimes=REGIMES, hd=None):
    """(x, [labels,] h0, W1, W2, b2, U, b1) with T, N, H, D, K from 1, a drawn weight regime."""
    t, n = draw(st.integers(1, t_max)), draw(st.integers(1, n_max))
    h, d = hd if hd is not None else (draw(st.integers(1, hd_max)), draw(st.integers(1, hd_max)))
    k = draw(st.integers(1, k_max))
    reg = draw(regime(regimes))
    x = draw(array((t, n, d), -3.0, 3.0))
    h0 = draw(array((n, h), -1.0, 1.0))
    W1, W2, b2 = draw(weights((h, h), reg)), draw(weights((h, d), reg)), draw(weights((h,), reg))
    U, b1 = draw(array((k, h), -2.0, 2.0)), draw(array((k,), -2.0, 2.0))
    if with_labels:
        lab = draw(labels(t * n, k)).reshape(t, n)
        return Case((x, lab, h0, W1, W2, b2, U, b1))
    return Case((x, h0, W1, W2, b2, U, b1))


@st.composite
def step_cases(draw, hd_max=3, regimes=REGIMES):
    """(x_t, h_prev, W1, W2, b2) of one step."""
    n, h, d = draw(st.integers(1, 3)), draw(st.integers(1, hd_max)), draw(st.integers(1, hd_max))
    reg = draw(regime(regimes))
    return Case((
        draw(array((n, d), -3.0, 3.0)), draw(array((n, h), -1.0, 1.0)),
        draw(weights((h, h), reg)), draw(weights((h, d), reg)), draw(weights((h,), reg)),
    ))


def sym_rnn_cases():
    return rnn_cases(with_labels=True, t_max=3, n_max=3, k_max=3, regimes=("moderate", "small"), hd=(1, 1))
