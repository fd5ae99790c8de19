"""``grade --shrink``: a bounded Hypothesis search for a smaller failing input (feedback only).

The grade never depends on it: the verdict and the score come from the
vectors file alone. It needs the oracles (torch, SymPy) and Hypothesis,
so it runs only where they are installed (an instructor's machine); the
search is seeded, bounded in calls and seconds, and its input is shown
only if it fails the same way as the smallest failing vector.
"""

from __future__ import annotations

import pickle
import time

from checks.core import feedback, vecfile
from checks.core.judge import verdict_of
from checks.run import draw
from checks.run.expect import expected_for, strategy_for


class _Stop(draw.Stop):
    def __init__(self):
        BaseException.__init__(self, "stop")


def shrink(sb, p, judged, timeout: float, max_calls: int, max_seconds: float) -> str | None:
    from checks import registry
    from checks.grader.grade import _worker_failure

    fv = p.formula
    formula = registry.get(fv.id)
    oracle = formula.oracle(judged.oracle.name)
    best: list = [None]
    calls = [0]
    t_end = time.monotonic() + max_seconds

    def body(case) -> None:
        calls[0] += 1
        if calls[0] > max_calls or time.monotonic() > t_end:
            raise _Stop()
        expected = expected_for(formula, oracle, case)
        replies, problem = sb.run(fv.fn_name, [pickle.dumps((case.args, case.kwargs), protocol=5)],
                                  fv.fresh_outputs, timeout)
        if problem is not None or replies[0] is None or replies[0]["k"] == "notimpl":
            raise _Stop()
        failure, actual = _worker_failure(fv.fn_name, replies[0])
        read = failure is None
        if failure is None:
            failure = verdict_of(formula, oracle, case, actual, expected)
        if failure is not None and failure.verdict is judged.verdict:
            best[0] = (case.copy(), failure, actual if read else feedback.MISSING, expected)
            raise failure

    seed = draw.seed_for(draw.DEFAULT_SEED, fv.id, oracle.name, "shrink")
    try:
        draw.search(strategy_for(formula, oracle), body, fv.examples, seed, "grade")
    except draw.HarnessError:
        return None
    if best[0] is None:
        return None
    case, failure, actual, expected = best[0]
    if vecfile.size_of(case) >= vecfile.size_of(fv.cases[judged.index]):
        return None  # not smaller than the smallest failing vector (size, then magnitude)
    return feedback.render(fv, judged.oracle, failure, case, found=feedback.MINIMAL, expected=expected, actual=actual)
