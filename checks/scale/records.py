"""A :class:`~checks.grader.grade.SubmissionResult` as plain JSON data, and back, exactly.

The journal (:mod:`checks.scale.journal`) stores results this way and the
Dask workers (:mod:`checks.scale.dask`) send them back this way: plain
data (str, float, list, dict), never a pickle of the grader's classes. The
round trip is exact: ``from_record(to_record(r)) == r`` (floats keep their
value through JSON; the enums come back as the same members; a
formula's ``mistakes`` tuple comes back a tuple).

A record names its format (``RECORD_VERSION``); a record of another format,
or one missing a field, is refused with :class:`RecordError`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from checks.core.verdicts import Status, Verdict
from checks.grader.grade import FormulaResult, SubmissionResult

RECORD_VERSION = 1
_SUB_FIELDS = tuple(f.name for f in dataclasses.fields(SubmissionResult))
_FORMULA_FIELDS = tuple(f.name for f in dataclasses.fields(FormulaResult))


class RecordError(ValueError):
    """A record that is not a result of this format (a one-line message)."""


def _plain(value: Any, where: str) -> Any:
    """``value`` as JSON data; anything else is a bug of ours (a new field of an unknown type)."""
    if value is None or isinstance(value, (bool, int, str)):
        return str(value) if isinstance(value, (Status, Verdict)) else value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RecordError(f"{where}: {value!r} is not a finite number")
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, where) for k, v in value.items()}
    raise RecordError(f"{where}: a {type(value).__name__} cannot be stored in a record")


def formula_record(t: FormulaResult) -> dict:
    return {name: _plain(getattr(t, name), f"{t.id}.{name}") for name in _FORMULA_FIELDS}


def to_record(res: SubmissionResult) -> dict:
    """The result as JSON data (every field of the dataclasses, the enums as their values)."""
    rec: dict[str, Any] = {"record": RECORD_VERSION}
    for name in _SUB_FIELDS:
        if name == "tests":
            rec[name] = [formula_record(t) for t in res.tests]
        else:
            rec[name] = _plain(getattr(res, name), name)
    return rec


def _formula(d: Any, k: int) -> FormulaResult:
    if not isinstance(d, dict) or set(d) != set(_FORMULA_FIELDS):
        raise RecordError(f"tests[{k}]: not a formula result of this format "
                          f"(fields {sorted(d) if isinstance(d, dict) else type(d).__name__})")
    kw = dict(d)
    kw["verdict"] = Verdict(kw["verdict"])
    kw["score"], kw["max_score"] = float(kw["score"]), float(kw["max_score"])
    kw["mistakes"] = tuple(kw["mistakes"])
    return FormulaResult(**kw)


def from_record(rec: Any) -> SubmissionResult:
    """The :class:`SubmissionResult` of :func:`to_record`'s output; RecordError on anything else."""
    if not isinstance(rec, dict) or rec.get("record") != RECORD_VERSION:
        got = rec.get("record") if isinstance(rec, dict) else type(rec).__name__
        raise RecordError(f"not a result record of format {RECORD_VERSION} (got {got!r})")
    missing = [n for n in _SUB_FIELDS if n not in rec]
    extra = [n for n in rec if n not in _SUB_FIELDS and n != "record"]
    if missing or extra:
        raise RecordError(f"a result record with missing fields {missing} / unknown fields {extra}: "
                          "written by another version of formulacheck")
    kw = {n: rec[n] for n in _SUB_FIELDS}
    try:
        kw["status"] = Status(kw["status"])
        kw["tests"] = [_formula(d, k) for k, d in enumerate(kw["tests"])]
        kw["seconds"] = float(kw["seconds"])
        kw["student"] = dict(kw["student"])
    except (ValueError, TypeError, KeyError) as e:
        if isinstance(e, RecordError):
            raise
        raise RecordError(f"a malformed result record ({type(e).__name__}: {e})") from None
    return SubmissionResult(**kw)
