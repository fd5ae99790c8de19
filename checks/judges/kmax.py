"""Judge-time code (pool): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import functools
from itertools import combinations

import numpy as np

from checks.core.compare import Tol, Verdict, assert_array_close, fail


def kmax_choices(row: np.ndarray, k: int) -> list[tuple[int, ...]]:
    """Every valid choice of k positions of a 1-d row (in time order): all values above the
    k-th largest, plus any subset of the right size of the positions equal to it."""
    thr = np.sort(row)[::-1][k - 1]
    gt = [int(i) for i in np.flatnonzero(row > thr)]
    eq = [int(i) for i in np.flatnonzero(row == thr)]
    return [tuple(sorted(gt + list(sub))) for sub in combinations(eq, k - len(gt))]


def _kmax_rows(x):
    x = np.asarray(x, dtype=np.float64)
    return [(n, c) for n in range(x.shape[0]) for c in range(x.shape[1])]


def _close(a, e, tol: Tol) -> bool:
    return bool(np.all(np.abs(a - e) <= tol.atol + tol.rtol * np.abs(e)))


def _kmax_compare(candidate, what: str):
    """A comparison accepting, row by row, the result of any valid choice of positions.

    A ``functools.partial`` of :func:`kmax_check` (stored by name in a vectors file: the student
    kit judges it without the registry); ``candidate`` is one of this module's ``_kmax_*_candidate``.
    """
    if globals().get(candidate.__name__) is not candidate or not candidate.__name__.endswith("_candidate"):
        raise ValueError(f"_kmax_compare(candidate={candidate!r}): give one of the _kmax_*_candidate functions of {__name__}")
    return functools.partial(kmax_check, candidate=candidate.__name__, what=str(what))


def kmax_check(case, actual, expected, tol: Tol, fn: str, *, candidate: str, what: str) -> None:
    """The comparison of :func:`_kmax_compare` (``candidate``: the name of a ``_kmax_*_candidate`` here)."""
    __tracebackhide__ = True
    cand_fn = globals().get(candidate) if str(candidate).endswith("_candidate") else None
    if cand_fn is None:
        raise ValueError(f"kmax_check: unknown candidate {candidate!r}")
    x, k = case.args[0], case.args[1]
    x = np.asarray(x, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    where = f"{fn} -> {what}"
    unique = np.ones(a.shape, dtype=bool)
    ambiguous = []
    for n, c in _kmax_rows(x):
        if len(kmax_choices(x[n, c], k)) > 1:
            unique[n, c] = False
            ambiguous.append((n, c))
    assert_array_close(a, np.asarray(expected, dtype=np.float64), tol, where, mask=unique)
    for n, c in ambiguous:
        choices = kmax_choices(x[n, c], k)
        cands = [cand_fn(case, n, c, pos) for pos in choices]
        if not np.isfinite(a[n, c]).all():
            fail(Verdict.NONFINITE, f"{where}: non-finite value(s) in row (n={n}, c={c}): {a[n, c].tolist()}")
        if not any(_close(a[n, c], e, tol) for e in cands):
            shown = "\n".join(f"    positions {list(p)}: {e.tolist()}" for p, e in list(zip(choices, cands))[:4])
            more = f"\n    ... ({len(cands) - 4} more)" if len(cands) > 4 else ""
            fail(
                Verdict.MISMATCH,
                f"{where}: row (n={n}, c={c}) has a tie at the k-th largest value (k={k}); any valid choice of"
                f" positions is accepted, but the result matches none of them.\n  got {a[n, c].tolist()}\n"
                f"  valid results (the k largest in time order{', dy unsplit at the chosen positions' if what == 'dx' else ''}):\n"
                f"{shown}{more}",
            )


def _kmax_forward_candidate(case, n, c, pos):
    return np.asarray(case.args[0], dtype=np.float64)[n, c, list(pos)]


def _kmax_backward_candidate(case, n, c, pos):
    x, k, dy = case.args
    out = np.zeros(np.shape(x)[2], dtype=np.float64)
    out[list(pos)] = np.asarray(dy, dtype=np.float64)[n, c]
    return out
