"""Auditing an implementation of a REGISTRY formula with the pipeline's own judge and feedback.

:func:`checks.audit.model.evaluate` checks an as-written formula of the notes
against its truths with the audit's own comparison. :func:`evaluate_formula`
instead audits an implementation of one of the registry's formulas exactly
as ``formulacheck verify`` and the grader judge it: every oracle of the
formula that draws from the formula's own strategy (or the ``oracles``
named) judges every given input (:func:`checks.run.vectors.from_cases`:
expected answers from :func:`checks.run.expect.expected_for`, the inputs
smallest first), the implementation is called in process
(:func:`checks.run.local.local_caller`) and judged by
:func:`checks.run.check.check_vectors` (:func:`checks.core.judge.verdict_of`,
the first failure decides). The verdict is ``verified`` when every input
passes every oracle, else ``erratum``; the ``details`` of an erratum are the
pipeline's feedback (:func:`checks.core.feedback.render`, headed "Smallest
failing input:", the label of every explicitly given input), character for
character what the grader shows for the same input.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from checks.audit.model import AuditHarnessError, AuditResult
from checks.core.case import Case
from checks.core.verdicts import HarnessError, Verdict


@dataclass
class FormulaAuditResult(AuditResult):
    """An :class:`AuditResult` that also carries the pipeline's :class:`Verdict` (``check``)."""

    check: Verdict = Verdict.PASSED
    oracle: str = ""               # the oracle that failed ("" when verified)

    def as_json(self) -> dict:
        return super().as_json() | {"check": str(self.check), "oracle": self.oracle}


def evaluate_formula(formula, fn: Callable[..., Any] | None, cases: Iterable[Case], *,
                     oracles: list[str] | None = None, id: str | None = None, file: str = "", location: str = "",
                     claim: str = "", quote: str = "") -> FormulaAuditResult:
    """Audit ``fn`` as an implementation of the registry formula ``formula`` (an entry or its id) on ``cases``.

    ``oracles``: the names of the oracles that judge (default: those drawing from the formula's strategy).
    """
    from checks import registry
    from checks.run.check import check_vectors
    from checks.run.local import local_caller
    from checks.run.vectors import from_cases

    t0 = time.perf_counter()
    f = registry.get(formula) if isinstance(formula, str) else formula
    cases = list(cases)
    if not cases:
        raise ValueError(f"{f.id}: evaluate_formula needs at least one input")
    try:
        fv = from_cases(f, cases, oracles)
    except HarnessError as e:
        raise AuditHarnessError(str(e)) from e
    try:
        res = check_vectors(fv, local_caller(fn, f.fn_name, fresh_outputs=f.fresh_outputs))
    except HarnessError as e:
        raise AuditHarnessError(f"{f.id}: {e}") from e
    n = len(fv.cases)
    checked = f"{n} given input{'s' if n != 1 else ''}"
    oracles = [o.name for o in fv.oracles]
    base = dict(id=id or f.id, file=file, location=location or f"registry formula {f.id}",
                claim=claim or f"the implementation of {f.id} passes every oracle ({', '.join(oracles)})",
                quote=quote, checked=checked, truths=oracles, examples=n, check=res.verdict)
    if res.passed:
        evidence = f"passes {', '.join(oracles)} on {checked}"
        r = FormulaAuditResult(**base, verdict="verified", evidence=evidence, details=evidence)
    else:
        lines = res.message.splitlines()
        error = lines[1] if len(lines) > 1 else str(res.verdict)  # the first line of the failure's message
        at = f" at {res.call}" if res.call else ""
        r = FormulaAuditResult(**base, verdict="erratum", oracle=res.oracle if res.oracle != "vectors" else "",
                               evidence=f"{res.verdict} against {res.oracle}: {error}{at}",
                               counterexample=res.call, error=error, details=res.message)
    r.seconds = time.perf_counter() - t0
    return r
