"""Diagnosis: WHY a failing formula fails, from the known mistakes and generic relations (numpy only).

The grader's feedback says what differs; :func:`diagnose` says what is likely
wrong. For a failing formula it runs the library's mistakes of that formula
(:mod:`checks.mistakes`: trusted code, in process) on the grading cases and
names the one whose results are the submission's:

- on each considered failing case the mistake's result is the same as the
  submission's (:func:`checks.diagnose.trees.same`, the formula's tolerance)
  and the mistake fails there too;
- on each considered passing case the mistake passes the formula's judge.

One match: "Likely mistake: <description>\\nHint: <hint>"; two or three:
"Likely one of: ..." with each; more: None (noise). Without a match, a
generic relation (:mod:`checks.diagnose.relations`: a factor, a sign, a
transpose, swapped outputs, permuted gate blocks) may explain the failure.
A passing formula (no failing case) never gets a diagnosis.

Cost: at most ``MAX_FAILING`` failing and ``MAX_PASSING`` passing cases,
each mistake rejected at its first disagreeing case, a ``budget`` in seconds
(past it: None, since an undecided mistake could have matched too).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from checks.core.compare import Tol
from checks.core.judge import verdict_of
from checks.diagnose.relations import relation
from checks.diagnose.trees import same

MAX_FAILING = 20
MAX_PASSING = 20
MAX_LISTED = 3
BUDGET_SECONDS = 2.0

__all__ = ["Diagnosis", "diagnose", "match_tol", "MAX_FAILING", "MAX_PASSING", "BUDGET_SECONDS"]


@dataclass(frozen=True)
class Diagnosis:
    text: str                      # "Likely mistake: ...\nHint: ..." (or "Likely one of: ...")
    ids: tuple[str, ...]           # the matching mistakes' ids (checks.mistakes) or ("generic:<relation>",)


def match_tol(tol: Tol) -> Tol:
    """The tolerance of "the same result": the formula's, a little looser (other summation orders)."""
    return Tol(rtol=max(10 * tol.rtol, 1e-11), atol=max(10 * tol.atol, 1e-14))


def _missing(v: Any) -> bool:
    from checks.core import feedback

    return v is None or v is feedback.MISSING


class _Cases:
    """Per case index: the oracles judging it with their answers, and a value oracle's answer."""

    def __init__(self, fv):
        self.fv = fv
        self.judged: dict[int, list] = {}
        self.value: dict[int, Any] = {}
        for o in fv.oracles:
            for i, exp in zip(o.cases, o.expected):
                self.judged.setdefault(i, []).append((o, exp))
                if o.kind == "value" and i not in self.value:
                    self.value[i] = exp

    def fails(self, i: int, result: Any) -> bool:
        return any(verdict_of(self.fv, o, self.fv.cases[i], result, exp) is not None for o, exp in self.judged.get(i, ()))


def _run(fn, case) -> tuple[bool, Any]:
    c = case.copy()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return True, fn(*c.args, **c.kwargs)
    except Exception:
        return False, None


def _text(entries: Sequence[tuple[str, str]]) -> str:
    if len(entries) == 1:
        d, h = entries[0]
        return f"Likely mistake: {d}\nHint: {h}"
    lines = ["Likely one of:"]
    for d, h in entries:
        lines.append(f"- {d}\n  Hint: {h}")
    return "\n".join(lines)


def diagnose(fv, actual: dict[int, Any], failing: list[int], passing: list[int], *,
             mistakes=None, budget: float = BUDGET_SECONDS, generic: bool = True) -> Diagnosis | None:
    """The likely mistake behind a failing formula, or None.

    ``fv``: the formula's :class:`checks.core.vecfile.FormulaVectors`; ``actual[i]``: the
    submission's decoded result on case ``i`` (raw or conformed); ``failing``/``passing``: case
    indices as the grader judged them (smallest first is best: the first ``MAX_FAILING`` /
    ``MAX_PASSING`` with a result are used). ``mistakes``: the candidates (default: the library's
    entries of ``fv.id``).
    """
    t0 = time.perf_counter()
    if not failing:
        return None
    fail_idx = [i for i in failing if i in actual and not _missing(actual[i]) and 0 <= i < len(fv.cases)][:MAX_FAILING]
    if not fail_idx:
        return None
    pass_idx = [i for i in passing if 0 <= i < len(fv.cases)][:MAX_PASSING]
    info = _Cases(fv)
    tol = match_tol(fv.tol)
    if mistakes is None:
        from checks.mistakes import for_formula

        mistakes = for_formula(fv.id)
    matched = []
    for m in mistakes:
        ok = True
        for i in fail_idx:
            if time.perf_counter() - t0 > budget:
                return None
            ran, out = _run(m.fn, fv.cases[i])
            if not ran or not same(out, actual[i], tol) or not info.fails(i, out):
                ok = False
                break
        if ok:
            for i in pass_idx:
                if time.perf_counter() - t0 > budget:
                    return None
                ran, out = _run(m.fn, fv.cases[i])
                if not ran or info.fails(i, out):
                    ok = False
                    break
        if ok:
            matched.append(m)
            if len(matched) > MAX_LISTED:
                return None
    if matched:
        return Diagnosis(_text([(m.description, m.hint) for m in matched]), tuple(m.id for m in matched))
    if not generic:
        return None
    evidence = [(fv.cases[i], actual[i], info.value[i]) for i in fail_idx if i in info.value]
    if len(evidence) != len(fail_idx):
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            r = relation(fv, evidence, tol)
    except Exception:  # a relation that cannot be computed on an odd result is no diagnosis
        return None
    if r is None:
        return None
    return Diagnosis(_text([(r.description, r.hint)]), (r.id,))
