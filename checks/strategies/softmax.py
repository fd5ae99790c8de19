"""Input strategies of softmax.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

from checks.strategies import Case, array, labels, st, with_ties


REGIMES = ("moderate", "huge", "offset", "ties", "one-huge")


@st.composite
def _logits(draw, n_max=4, k_max=5, shape=None, regimes=REGIMES):
    """Logits in a drawn regime; |z| <= 1e4 (the contract's stable range)."""
    if shape is None:
        shape = (draw(st.integers(1, n_max)), draw(st.integers(1, k_max)))
    regime = draw(st.sampled_from(regimes))
    if regime == "huge":
        z = draw(array(shape, -1e4, 1e4))
    elif regime == "offset":  # every logit near +-1e4: exp without the max shift overflows
        z = draw(array(shape, -5, 5)) + draw(st.sampled_from([1e4 - 5, -1e4 + 5]))
    elif regime == "one-huge":
        z = draw(array(shape, -5, 5))
        z.reshape(-1)[draw(st.integers(0, z.size - 1))] = draw(st.sampled_from([1e4, -1e4, 800.0]))
    else:
        z = draw(array(shape, -10, 10))
    if regime == "ties" or draw(st.booleans()):
        z = draw(with_ties(z))
    return z


def softmax_cases():
    return _logits().map(lambda z: Case((z,)))


def jacobian_cases():
    return st.integers(1, 5).flatmap(lambda k: _logits(shape=(k,))).map(lambda z: Case((z,)))


@st.composite
def ce_cases(draw, n_max=4, k_max=5, regimes=REGIMES):
    z = draw(_logits(n_max=n_max, k_max=k_max, regimes=regimes))
    return Case((z, draw(labels(z.shape[0], z.shape[1]))))


_small = ("moderate", "ties")  # SymPy's lambdified exp is unshifted: keep it finite


def sym_softmax_cases():
    return _logits(k_max=4, regimes=_small).map(lambda z: Case((z,)))


def sym_jacobian_cases():
    return st.integers(1, 4).flatmap(lambda k: _logits(shape=(k,), regimes=_small)).map(lambda z: Case((z,)))


def sym_ce_cases():
    return ce_cases(k_max=4, regimes=_small)
