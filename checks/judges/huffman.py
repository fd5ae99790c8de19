"""Judge-time code (hsoftmax): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import heapq
import numbers
from fractions import Fraction

import numpy as np

from checks.core.compare import Verdict, fail


def _heap_huffman(freqs):
    """Codes by a heap of (weight, -size, id) merges: larger subtrees win ties, unlike the reference."""
    f = [float(x) for x in np.asarray(freqs)]
    heap = [(w, -1, i, (i,)) for i, w in enumerate(f)]
    heapq.heapify(heap)
    codes = {i: [] for i in range(len(f))}
    nid = len(f)
    while len(heap) > 1:
        w1, s1, _, leaves1 = heapq.heappop(heap)
        w2, s2, _, leaves2 = heapq.heappop(heap)
        for leaf in leaves1:
            codes[leaf].insert(0, 1)
        for leaf in leaves2:
            codes[leaf].insert(0, 0)
        heapq.heappush(heap, (w1 + w2, s1 + s2, nid, leaves1 + leaves2))
        nid += 1
    return [codes[i] for i in range(len(f))]


class _Code(list):
    """The oracle's answer: V slots (any code lengths accepted), with the optimal codes and cost attached."""

    codes: list
    cost: float


def _as_codes(actual, V: int, fn: str) -> list[list[int]]:
    __tracebackhide__ = True
    out = []
    for w, c in enumerate(actual):
        if isinstance(c, np.ndarray) and c.ndim == 1 and c.dtype.kind in "iu":
            c = c.tolist()
        if not isinstance(c, (list, tuple)):
            fail(Verdict.WRONG_TYPE, f"{fn} -> codes[{w}]: expected a list of 0/1 ints, got {type(c).__name__}")
        for b in c:
            if isinstance(b, (bool, np.bool_)) or not isinstance(b, (numbers.Integral, np.integer)):
                fail(Verdict.WRONG_TYPE, f"{fn} -> codes[{w}]: expected 0/1 ints, got {b!r} ({type(b).__name__})")
            if int(b) not in (0, 1):
                fail(Verdict.MISMATCH, f"{fn} -> codes[{w}] = {list(c)}: bits must be 0 or 1")
        out.append([int(b) for b in c])
    return out


def _huffman_compare(case, actual, expected, tol, fn):
    """Prefix-free, Kraft's equality, and the optimal expected length (any optimal code accepted)."""
    freqs = np.asarray(case.args[0], dtype=np.float64)
    if not hasattr(expected, "cost"):  # the answer came through a vectors file (a plain list): recompute it
        expected = _optimum(freqs)
    _huffman_run(freqs, expected, actual, fn)


def _huffman_run(freqs, expected, actual, fn):
    codes = _as_codes(actual, freqs.size, fn)
    for w, c in enumerate(codes):
        if not c:
            fail(Verdict.MISMATCH, f"{fn} -> codes[{w}] is empty: with V >= 2 words every code needs at least one bit")
    by_str = sorted(("".join(map(str, c)), w) for w, c in enumerate(codes))
    for (a, wa), (b, wb) in zip(by_str, by_str[1:]):
        if b.startswith(a):
            fail(Verdict.MISMATCH, f"{fn}: not prefix-free: codes[{wa}] = {a} is a prefix of codes[{wb}] = {b}")
    kraft = sum(Fraction(1, 2 ** len(c)) for c in codes)
    if kraft != 1:
        fail(Verdict.MISMATCH, f"{fn}: Kraft sum Σ 2^-len = {float(kraft)!r}, not 1: the code tree has unused "
             f"branches, so some code could be shorter (lengths {[len(c) for c in codes]})")
    cost = float(sum(f * len(c) for f, c in zip(freqs, codes)))
    if not cost <= expected.cost * (1 + 1e-12) + 1e-12:
        fail(Verdict.MISMATCH, f"{fn}: not optimal: Σ freq·len = {cost!r} with lengths {[len(c) for c in codes]}; "
             f"a Huffman code reaches {expected.cost!r} (e.g. {expected.codes}); any code of that cost is accepted")
    if cost < expected.cost * (1 - 1e-9):  # below the optimum: impossible for a prefix code; our bug
        raise AssertionError(f"huffman oracle: a prefix code of cost {cost} beats the 'optimal' {expected.cost}")


def _optimum(freqs) -> _Code:
    """An optimal code of ``freqs`` (heap Huffman) and its cost: the Huffman oracle's answer."""
    codes = _heap_huffman(freqs)
    out = _Code([None] * len(codes))
    out.codes = codes
    out.cost = float(sum(float(w) * len(c) for w, c in zip(np.asarray(freqs), codes)))
    return out


class _Shannon(list):
    """The Shannon oracle's answer: V slots (any code lengths accepted); the compare checks the bound."""


def _shannon_bound(case, actual, fn):
    """H <= L < H + 1 with L = Σ p_w len_w, H = −Σ p_w log2 p_w (Shannon's source coding bound)."""
    f = np.asarray(case.args[0], dtype=np.float64)
    p = f / f.sum()
    _shannon_run(f, p, float(-(p * np.log2(p)).sum()), actual, fn)


def _shannon_run(f, p, H, actual, fn):
    codes = _as_codes(actual, f.size, fn)
    L = float(sum(pi * len(c) for pi, c in zip(p, codes)))
    if not (H - 1e-9 <= L < H + 1 - 1e-12):
        fail(Verdict.PROPERTY, f"{fn}: expected code length L = {L!r} breaks Shannon's bound "
             f"H <= L < H + 1 with H = {H!r} (lengths {[len(c) for c in codes]})")


def _codes_prep(case, expected, tol, fn):
    f = np.asarray(case.args[0], dtype=np.float64)
    if isinstance(expected, _Shannon):
        p = f / f.sum()
        return _shannon_run, (f, p, float(-(p * np.log2(p)).sum())), fn
    return _huffman_run, (f, expected if hasattr(expected, "cost") else _optimum(f)), fn


def _codes_run(st, actual):
    __tracebackhide__ = True
    run, args, fn = st
    run(*args, actual, fn)


def _codes_compare(case, actual, expected, tol, fn):
    """The code oracles return V slots, not codes (a different optimal code may have other lengths)."""
    __tracebackhide__ = True
    return _codes_run(_codes_prep(case, expected, tol, fn), actual)


_codes_compare.prep, _codes_compare.check = _codes_prep, _codes_run
