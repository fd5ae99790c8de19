"""Grading an in-process implementation on a formula's vectors, every case (for the diagnosis).

:func:`judge_all` calls ``fn`` on each case of a :class:`~checks.core.vecfile.FormulaVectors`
and judges it with the grader's judge (:func:`checks.core.judge.verdict_of`) against every oracle:
the ``actual``, ``failing`` and ``passing`` that :func:`checks.diagnose.diagnose` takes. Unlike
the grader it does not stop at the first failure. Trusted code only (no sandbox): the held-out
evaluation (tests/heldout, benchmarks/bench_diagnosis.py) and the library's self-test use it.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from checks.core.judge import verdict_of


def judge_all(fv, fn: Callable) -> tuple[dict[int, Any], list[int], list[int]]:
    """(actual, failing, passing): results by case index; failing/passing indices, smallest first.

    A case whose call raises is failing, without a result.
    """
    actual: dict[int, Any] = {}
    raised: set[int] = set()
    for i, case in enumerate(fv.cases):
        c = case.copy()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                actual[i] = fn(*c.args, **c.kwargs)
        except Exception:
            raised.add(i)
    bad: set[int] = set(raised)
    for o in fv.oracles:
        for i, exp in zip(o.cases, o.expected):
            if i in bad:
                continue
            if verdict_of(fv, o, fv.cases[i], actual[i], exp) is not None:
                bad.add(i)
    judged = {i for o in fv.oracles for i in o.cases}
    order = sorted(judged, key=lambda i: (fv.sizes[i] if i < len(fv.sizes) else (0.0, 0.0), i))
    return actual, [i for i in order if i in bad], [i for i in order if i not in bad]
