"""Judge-time code (decode): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import functools
import math

import numpy as np

from checks.core.compare import Tol, Verdict, fail


def _seq_score(li, lt, seq) -> float:
    s = float(li[seq[0]])
    for a, b in zip(seq, seq[1:]):
        s += float(lt[a, b])
    return s


def _path_score(li, lt, le, obs, path) -> float:
    obs = [int(o) for o in obs]
    return _seq_score(li, lt, path) + float(sum(le[s, o] for s, o in zip(path, obs)))


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
    """The returned score is the returned sequence's, and equals the optimum (any optimal sequence accepted).

    A ``functools.partial`` of :func:`optimal_check` (stored by name in a vectors file: the student
    kit judges it without the registry); ``true_of`` is ``_beam_true`` or ``_viterbi_true``.
    """
    return functools.partial(optimal_check, true_of=_own(true_of, "_true"), name=str(name))


def optimal_check(case, actual, expected, tol, fn, *, true_of: str, name: str):
    """The comparison of :func:`_optimal_compare` (``true_of``: the name of a ``_*_true`` function here)."""
    __tracebackhide__ = True
    true_fn = _named(true_of, "_true")
    seq, score = actual
    K = np.asarray(case.args[0]).size
    _check_sequence(case, seq, score, K, true_fn, fn, tol, name)
    if not _close(score, expected[1], tol):
        fail(Verdict.MISMATCH, f"{fn}: the returned {name} {list(seq)} has log-prob {score!r}; the optimum is "
             f"{expected[1]!r} (e.g. {list(expected[0])}); any {name} with the optimal score is accepted")


def greedy_outcomes_of(log_init, log_trans, length, beam) -> set:
    """:func:`greedy_outcomes` with the signature of :func:`beam_outcomes` (the beam is 1)."""
    return greedy_outcomes(log_init, log_trans, length)


def _outcome_property(outcomes_of, what: str):
    """The returned sequence ends with a best log-prob that some tie-break of ``outcomes_of`` reaches.

    A ``functools.partial`` of :func:`outcome_check` (stored by name); ``outcomes_of`` is
    ``beam_outcomes`` or ``greedy_outcomes_of``.
    """
    return functools.partial(outcome_check, outcomes=_own(outcomes_of, "_outcomes", "_outcomes_of"), what=str(what))


def outcome_check(case, result, *, outcomes: str, what: str):
    """The property of :func:`_outcome_property` (``outcomes``: the name of an ``*_outcomes*`` function here)."""
    __tracebackhide__ = True
    outcomes_of = _named(outcomes, "_outcomes", "_outcomes_of")
    seq, score = result
    li, lt, length, beam = case.args
    _check_sequence(case, seq, score, np.asarray(li).size, _beam_true, "beam_search", _SCORE_TOL)
    ok = sorted(outcomes_of(li, lt, length, beam))
    if not any(_close(score, o, _SCORE_TOL) for o in ok):
        fail(Verdict.PROPERTY, f"beam_search: the returned sequence {list(seq)} has log-prob {score!r}; {what} "
             f"ends with a best log-prob in {ok} (over every tie-break at the cut-off)")


def _own(fn, *suffixes) -> str:
    """The name of ``fn``, one of this module's functions ending in one of ``suffixes``."""
    name = getattr(fn, "__name__", "")
    if globals().get(name) is not fn or not name.endswith(suffixes):
        raise ValueError(f"{fn!r}: give one of the functions of {__name__} named *{' or *'.join(suffixes)}")
    return name


def _named(name: str, *suffixes):
    fn = globals().get(name) if str(name).endswith(suffixes) else None
    if fn is None:
        raise ValueError(f"{__name__}: unknown judge helper {name!r}")
    return fn
