"""The one feedback formatter: the same text in verify, pytest, the grader and the audit.

::

    softmax.softmax vs torch: mismatch
    softmax -> y: values are not close!
      Mismatched elements: ...
    Minimal failing input:
        softmax(np.array([[1000.0, 0.0]]))
    Expected:
        np.array([[1.0, 0.0]])
    Got:
        np.array([[nan, nan]])

"Expected" is shown for value oracles whose answer is a value (not a
structure-only template); "Got" whenever the result was read.
"""

from __future__ import annotations

from typing import Any

from checks.core.case import Case, py_repr
from checks.core.judge import is_template
from checks.core.verdicts import CheckFailure, Verdict

#: how the failing input was found: it heads the input in the feedback
MINIMAL = "Minimal failing input:"        # shrunk by Hypothesis
SMALLEST = "Smallest failing input:"      # the smallest failing vector of a size ladder
FAILING = "Failing input (not shrunk):"   # as drawn
MISSING = object()


def value_repr(x: Any, limit: int = 600) -> str:
    s = py_repr(x)
    return s if len(s) <= limit else s[:limit] + " ...(truncated)"


def one_line(verdict: str, message: str, limit: int = 140) -> str:
    """The first line of a failure, prefixed with its verdict (CSV, tables)."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    s = f"{verdict}: {first}" if first and not first.startswith(str(verdict)) else (first or str(verdict))
    return s if len(s) <= limit else s[: limit - 3] + "..."


def render(formula, oracle, failure: CheckFailure, case: Case | None = None, *, found: str = FAILING,
           expected: Any = MISSING, actual: Any = MISSING) -> str:
    """The feedback of one failed check (``oracle`` may be None: timeouts and crashes)."""
    head = f"{formula.id}" + (f" vs {oracle.name}" if oracle is not None else "") + f": {failure.verdict}"
    lines = [head, failure.message]
    if case is not None and failure.verdict is not Verdict.NOT_IMPLEMENTED:
        lines += [found, f"    {case.call_repr(formula.fn_name)}"]
        if (oracle is not None and oracle.kind == "value" and expected is not MISSING and expected is not None
                and not is_template(expected)):
            lines += ["Expected:", f"    {value_repr(expected)}"]
        if actual is not MISSING:
            lines += ["Got:", f"    {value_repr(actual)}"]
    return "\n".join(lines)
