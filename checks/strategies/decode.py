"""Input strategies of decode.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.strategies import Case, st


_POOL = (-0.25, -0.5, -1.0, -2.0)  # dyadic: sums are exact, so equal multisets tie exactly


@st.composite
def _table(draw, shape, regime, rng):
    """Log-prob tables in a regime. Hypothesis' arrays repeat one fill value almost everywhere (good for
    ties, poor for pruning traps), so the rich regimes take their values from a drawn numpy seed."""
    size = int(np.prod(shape))
    if regime == "pool":  # exact ties, drawn by Hypothesis (shrinks well)
        return np.array(draw(st.lists(st.sampled_from(_POOL), min_size=size, max_size=size)), dtype=np.float64).reshape(shape)
    if regime == "rich pool":  # exact ties everywhere, varied
        return rng.choice(np.array(_POOL), size=shape)
    if regime == "uniform":  # everything tied
        return np.full(shape, -1.0)
    if regime == "normalized":  # genuine log-probabilities: rows of log-softmax (pooled logits tie within rows)
        z = rng.uniform(-3, 3, size=shape) if draw(st.booleans()) else rng.choice([0.0, 1.0, 2.0], size=shape)
        m = z.max(axis=-1, keepdims=True)
        return z - (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))
    if regime == "near-deterministic":  # probabilities 1e-22..1e-304 next to ~1: log(p + eps) decodes elsewhere
        t = rng.uniform(-700.0, -50.0, size=shape)
        for row in t.reshape(-1, shape[-1]):  # half the rows have one near-certain entry, the others none
            if rng.random() < 0.5:
                row[rng.integers(shape[-1])] = -rng.uniform(0.0, 1e-12)
        return t
    if regime == "trap" and len(shape) == 1:  # first tokens nearly tied: a pruned one may have been the best
        return rng.uniform(-0.3, 0.0, size=shape)
    return rng.uniform(-5.0, 0.0, size=shape)  # "random", and the transitions of "trap"


REGIMES = ("trap", "rich pool", "random", "normalized", "pool", "uniform", "near-deterministic")
PRUNING_REGIMES = ("trap", "random", "trap", "random", "rich pool", "normalized", "near-deterministic")  # where a wrong beam search ends elsewhere


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def _cutoff_trap(rng):
    """A model (V = 4, length 3, beam 2) where keeping MORE than ``beam`` prefixes at a cut-off tie
    changes the result. Tokens A, B, C, D (randomly numbered): log_init A = 0, B = C = -1 (tied at the
    cut-off), D = -3. Every run of the contract keeps A and one of B, C; then B→D = C→D = -1.5 and
    A→B = -1.6 survive, and A→B→D = -2.1 wins (D's row is poor). A search that keeps both tied B and C
    keeps B→D and C→D (tied again), drops A→B, and ends at <= -6.5. Dyadic values: the ties are exact."""
    A, B, C, D = (int(v) for v in rng.permutation(4))
    li = np.empty(4)
    li[[A, B, C, D]] = 0.0, -1.0, -1.0, -3.0
    lt = rng.uniform(-4.0, -2.0, size=(4, 4))
    lt[D] = rng.uniform(-9.0, -5.0, size=4)
    lt[A, B] = -1.6
    lt[B, D] = lt[C, D] = -0.5
    return li, lt, 3, 2


@st.composite
def beam_cases(draw, kind: str = "any"):
    # three draws in four are "pruning" sizes (V, length >= 3, beam 2-3), where a wrong beam search
    # (best child per beam, ranking by the last step, ...) most often ends elsewhere; small sizes too
    if kind == "any" and draw(st.integers(0, 9)) == 0:
        return Case(_cutoff_trap(_rng(draw)))
    pruning = kind == "any" and draw(st.sampled_from([True, True, True, False]))
    if pruning:
        V, L, beam = draw(st.integers(3, 4)), draw(st.integers(3, 4)), draw(st.integers(2, 3))
        regime = draw(st.sampled_from(PRUNING_REGIMES))
    else:
        V, L = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        regime = draw(st.sampled_from(REGIMES))
        beam = draw(st.integers(1, 5))
    if kind == "wide":  # beam >= V^(L-1): every prefix survives until the last step, so the result is optimal
        beam = V ** (L - 1) + draw(st.integers(0, 2))
    elif kind == "greedy":
        beam = 1
    rng = _rng(draw)
    li, lt = draw(_table((V,), regime, rng)), draw(_table((V, V), regime, rng))
    return Case((li, lt, L, beam))


@st.composite
def viterbi_cases(draw):
    S, O, Tn = draw(st.sampled_from([3, 4, 2, 1])), draw(st.integers(1, 4)), draw(st.sampled_from([4, 5, 3, 2, 1]))
    regime, rng = draw(st.sampled_from(REGIMES)), _rng(draw)
    li, lt, le = (draw(_table(shape, regime, rng)) for shape in ((S,), (S, S), (S, O)))
    obs = draw(st.lists(st.integers(0, O - 1), min_size=Tn, max_size=Tn))
    if draw(st.booleans()):
        obs = np.array(obs, dtype=np.int64)  # the contract: a list or a 1-d int array
    return Case((li, lt, le, obs))
