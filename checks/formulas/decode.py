"""decode.* -- beam search (notes 002 §8) and Viterbi (002 §11) on small generated models.

Ties are drawn on purpose (log-probs from a small pool of exactly
representable values, so different sequences have exactly equal scores), and
every tie-break the contract allows is accepted:

- beam_search: against brute force when beam >= V^(L-1) (then beam search is
  exact), against an independent greedy enumerator when beam = 1, and for any
  beam against an independent implementation of the contract that follows
  EVERY tie-break at the cut-off and collects the achievable final scores.
  One draw in ten is a "cut-off trap" (:func:`_cutoff_trap`): a model where
  keeping more than ``beam`` prefixes at a cut-off tie changes the result
  (random tables almost never show it: measured 0.03% of pooled draws).
- viterbi: against brute-force enumeration of all S^T paths and a torch
  max-plus dynamic programme; only scores are compared (any optimal path is
  accepted), after checking that the returned score is the returned path's.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import reference.decode as ref
from checks.core.compare import Tol, Verdict, fail
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, st
from checks.oracles.torchlib import N, T, torch

_POOL = (-0.25, -0.5, -1.0, -2.0)  # dyadic: sums are exact, so equal multisets tie exactly


# ---------------------------------------------------------------- strategies


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
    if regime == "trap" and len(shape) == 1:  # first tokens nearly tied: a pruned one may have been the best
        return rng.uniform(-0.3, 0.0, size=shape)
    return rng.uniform(-5.0, 0.0, size=shape)  # "random", and the transitions of "trap"


_REGIMES = ["trap", "rich pool", "random", "normalized", "pool", "uniform"]


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
        regime = draw(st.sampled_from(["trap", "random", "trap", "random", "rich pool", "normalized"]))
    else:
        V, L = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        regime = draw(st.sampled_from(_REGIMES))
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
    regime, rng = draw(st.sampled_from(_REGIMES)), _rng(draw)
    li, lt, le = (draw(_table(shape, regime, rng)) for shape in ((S,), (S, S), (S, O)))
    obs = draw(st.lists(st.integers(0, O - 1), min_size=Tn, max_size=Tn))
    if draw(st.booleans()):
        obs = np.array(obs, dtype=np.int64)  # the contract: a list or a 1-d int array
    return Case((li, lt, le, obs))


# ---------------------------------------------------------------- scores and brute force


def _seq_score(li, lt, seq) -> float:
    s = float(li[seq[0]])
    for a, b in zip(seq, seq[1:]):
        s += float(lt[a, b])
    return s


def _path_score(li, lt, le, obs, path) -> float:
    obs = [int(o) for o in obs]
    return _seq_score(li, lt, path) + float(sum(le[s, o] for s, o in zip(path, obs)))


def _all_seqs(K, L):
    return np.array(list(itertools.product(range(K), repeat=L)), dtype=np.int64).reshape(-1, L)


def _brute_beam(log_init, log_trans, length, beam):
    li, lt = np.asarray(log_init), np.asarray(log_trans)
    P = _all_seqs(li.size, length)
    sc = li[P[:, 0]] + lt[P[:, :-1], P[:, 1:]].sum(axis=1)
    b = int(np.argmax(sc))
    return [int(v) for v in P[b]], float(sc[b])


def _brute_viterbi(log_init, log_trans, log_emit, obs):
    li, lt, le = np.asarray(log_init), np.asarray(log_trans), np.asarray(log_emit)
    o = np.asarray(obs, dtype=np.int64)
    P = _all_seqs(li.size, o.size)
    sc = li[P[:, 0]] + lt[P[:, :-1], P[:, 1:]].sum(axis=1) + le[P, o[None, :]].sum(axis=1)
    b = int(np.argmax(sc))
    return [int(v) for v in P[b]], float(sc[b])


def _torch_viterbi(log_init, log_trans, log_emit, obs):
    """Max-plus recursion in torch: δ_t = max_r(δ_{t-1}[r] + log_trans[r, :]) + log_emit[:, o_t]."""
    t = torch()
    li, lt, le = T(log_init), T(log_trans), T(log_emit)
    o = [int(x) for x in obs]
    delta = li + le[:, o[0]]
    back = []
    for x in o[1:]:
        best, arg = t.max(delta[:, None] + lt, dim=0)
        delta = best + le[:, x]
        back.append(arg)
    s = int(t.argmax(delta))
    score = float(N(delta)[s])
    path = [s]
    for arg in reversed(back):
        path.append(int(arg[path[-1]]))
    return path[::-1], score


# ---------------------------------------------------------------- every tie-break of the contract


def _tied(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * (1.0 + abs(a) + abs(b))


def _keep(cands, k):
    """Every multiset of ``k`` candidates (score, last token) the contract allows: the strictly better
    ones are kept, the cut-off ties (up to rounding) may go either way."""
    if len(cands) <= k:
        return {tuple(sorted(cands))}
    order = sorted(cands, key=lambda c: -c[0])
    cut = order[k - 1][0]
    must = [c for c in order if c[0] > cut and not _tied(c[0], cut)]
    maybe: dict = {}
    for c in order:
        if _tied(c[0], cut):
            maybe[c] = maybe.get(c, 0) + 1
    groups = list(maybe.items())
    r = k - len(must)
    out = set()

    def rec(i, left, chosen):
        if left == 0:
            out.add(tuple(sorted(must + chosen)))
            return
        if i == len(groups):
            return
        c, n = groups[i]
        for take in range(min(n, left), -1, -1):
            rec(i + 1, left - take, chosen + [c] * take)

    rec(0, r, [])
    return out


def beam_outcomes(log_init, log_trans, length, beam) -> set:
    """The best final score of every run of the contract's beam search, over all cut-off tie-breaks.

    A beam is a multiset of (score, last token): two prefixes with the same score and last token have
    the same future, so the states stay few even when everything ties.
    """
    li, lt = np.asarray(log_init, dtype=np.float64), np.asarray(log_trans, dtype=np.float64)
    V = li.size
    states = _keep([(float(li[v]), v) for v in range(V)], beam)  # the first step keeps `beam` tokens too
    for _ in range(length - 1):
        nxt = set()
        for s in states:
            nxt |= _keep([(sc + float(lt[last, v]), v) for sc, last in s for v in range(V)], beam)
        states = nxt
    return {max(sc for sc, _ in s) for s in states}


def greedy_outcomes(log_init, log_trans, length) -> set:
    """Final scores of every greedy decoding (beam 1): each step takes a most probable next token."""
    li, lt = np.asarray(log_init, dtype=np.float64), np.asarray(log_trans, dtype=np.float64)
    top = float(li.max())
    states = {(float(li[v]), v) for v in range(li.size) if _tied(float(li[v]), top)}
    for _ in range(length - 1):
        nxt = set()
        for sc, last in states:
            row = lt[last]
            m = float(row.max())
            nxt |= {(sc + float(row[v]), v) for v in range(row.size) if _tied(float(row[v]), m)}
        states = nxt
    return {sc for sc, _ in states}


# ---------------------------------------------------------------- comparisons


_SCORE_TOL = Tol(rtol=1e-9, atol=1e-9)


def _close(a: float, b: float, tol: Tol) -> bool:
    return abs(a - b) <= tol.atol + tol.rtol * abs(b)


def _check_sequence(case, seq, score, K: int, true_of, fn: str, tol: Tol, name: str = "sequence") -> None:
    """ids in range, a finite score, and the score is the sequence's own log-prob ``true_of(case, seq)``."""
    __tracebackhide__ = True
    bad = [s for s in seq if not 0 <= s < K]
    if bad:
        fail(Verdict.MISMATCH, f"{fn} -> {name} {list(seq)}: ids {bad} out of range [0, {K})")
    true_score = true_of(case, seq)
    if not math.isfinite(score):
        fail(Verdict.NONFINITE, f"{fn} -> log_prob: {score!r} (finite log-probs in, a finite total expected)")
    if not _close(score, true_score, tol):
        fail(Verdict.MISMATCH, f"{fn} -> log_prob: returned {score!r}, but the returned {name} {list(seq)} has "
             f"total log-prob {true_score!r}")


def _beam_true(case, seq):
    return _seq_score(case.args[0], case.args[1], seq)


def _viterbi_true(case, seq):
    return _path_score(*case.args[:3], case.args[3], seq)


def _optimal_compare(true_of, name: str):
    """The returned score is the returned sequence's, and equals the optimum (any optimal sequence accepted)."""

    def compare(case, actual, expected, tol, fn):
        seq, score = actual
        K = np.asarray(case.args[0]).size
        _check_sequence(case, seq, score, K, true_of, fn, tol, name)
        if not _close(score, expected[1], tol):
            fail(Verdict.MISMATCH, f"{fn}: the returned {name} {list(seq)} has log-prob {score!r}; the optimum is "
                 f"{expected[1]!r} (e.g. {list(expected[0])}); any {name} with the optimal score is accepted")

    return compare


def _outcome_property(outcomes_of, what: str):
    def prop(case, result):
        seq, score = result
        li, lt, length, beam = case.args
        _check_sequence(case, seq, score, np.asarray(li).size, _beam_true, "beam_search", _SCORE_TOL)
        ok = sorted(outcomes_of(li, lt, length, beam))
        if not any(_close(score, o, _SCORE_TOL) for o in ok):
            fail(Verdict.PROPERTY, f"beam_search: the returned sequence {list(seq)} has log-prob {score!r}; {what} "
                 f"ends with a best log-prob in {ok} (over every tie-break at the cut-off)")

    return prop


# ---------------------------------------------------------------- entries

register(Formula(
    id="decode.beam_search",
    source=Source("002", "§8 S2S, beam search", "keep the beam best of all expansions score(prefix) + log P(y_t | y_{t-1})",
                  "每次输出的 y_{t-1} 中, 选择概率最大的两个, 作为下一次可能的输入"),
    reference=ref.beam_search,
    strategy=beam_cases,
    outputs=("sequence", "log_prob"),
    oracles=(
        Oracle("algorithm:every-tie-break", _outcome_property(beam_outcomes, "beam search with this beam"), kind="property",
               description="an independent beam search following every cut-off tie-break: the score must be achievable"),
        Oracle("brute-force", _brute_beam, strategy=lambda: beam_cases("wide"),
               description="beam >= V^(L-1): the optimum over all V^L sequences"),
        Oracle("property:beam-1-is-greedy", _outcome_property(lambda li, lt, L, b: greedy_outcomes(li, lt, L),
                                                              "greedy decoding (beam 1)"),
               kind="property", strategy=lambda: beam_cases("greedy"),
               description="beam = 1 is greedy decoding (any most-probable next token at ties)"),
    ),
    compare=_optimal_compare(_beam_true, "sequence"),
    points=2, tol=_SCORE_TOL,
    summary="V 1..4, length 1..4, beam 1..5; ties drawn on purpose, every tie-break accepted",
))

register(Formula(
    id="decode.viterbi",
    source=Source("002", "§11 HMM/CRF/维特比算法",
                  "δ_t(s) = max_r(δ_{t-1}(r) + log_trans[r, s]) + log_emit[s, o_t]", "11 HMM/CRF/维特比算法"),
    reference=ref.viterbi,
    strategy=viterbi_cases,
    outputs=("path", "log_prob"),
    oracles=(
        Oracle("brute-force", _brute_viterbi, description="the best of all S^T state paths"),
        Oracle("torch", _torch_viterbi, description="max-plus dynamic programme in torch with back-pointers"),
    ),
    compare=_optimal_compare(_viterbi_true, "path"),
    points=2, tol=_SCORE_TOL,
    summary="S 1..4, len(obs) 1..5, obs a list or an int array; any optimal path accepted",
))
