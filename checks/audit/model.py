"""The audit's data model and engine: an :class:`AuditEntry` per formula or
quantitative claim of the notes, and :func:`evaluate`, which COMPUTES its
verdict.

An entry holds the quoted line, an executable encoding of exactly what the
notes say (``as_written``) and one or more independent truths (``correct``:
the verified reference, torch, SymPy, or a measurement). Hypothesis
(derandomized, profile-controlled example counts) looks for an input where
the two disagree:

* no disagreement on any generated input            -> ``verified``
* a disagreement, entry of kind ``formula``          -> ``erratum`` with the
  shrunk counterexample, the size of the error and the stated correction
* a disagreement, entry of kind ``convention``: the declared mapping
  (``fn_map``: the notes' layout / gate convention -> the library's) is
  applied to the as-written formula and checked again; agreement ->
  ``convention``, disagreement -> ``erratum``
* a disagreement, entry of kind ``variant``: both are checked again on the
  inputs where the variants must coincide (``case_map``, e.g. eps -> 0);
  agreement -> ``variant`` (with the measured size of the difference),
  disagreement -> ``erratum``

Nothing here writes a verdict by hand: swap ``as_written`` (``entry.replace(
as_written=...)``) and the verdict follows the computation.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from checks.core.case import Case, py_repr
from checks.core.compare import Tol
from checks.core.verdicts import CheckFailure, HarnessError, Verdict
from checks.run import draw, profiles

VERDICTS = ("verified", "erratum", "variant", "convention")
KINDS = ("formula", "variant", "convention")

FILES = {
    "001": "001_21b8451c1ff404b6.md",
    "002": "002_1feb5fa5caddec6d.md",
    "003": "003_a1ac6faffcdc08b6.md",
    "004": "004_ee6cdde1245a4949.md",
}


class Unavailable(Exception):
    """A truth cannot be computed here (e.g. a reference group not written yet)."""


class AuditHarnessError(HarnessError):
    """A truth, a strategy or a mapping itself failed: a bug of the audit, never a finding."""


@dataclass(frozen=True)
class Truth:
    """One independent source of truth: ``fn`` has the as-written formula's signature."""

    name: str
    fn: Callable[..., Any]


@dataclass(frozen=True)
class AuditEntry:
    id: str
    file: str                      # the notes file name, e.g. "002_1feb5fa5caddec6d.md"
    location: str                  # section + equation number or line
    quote: str                     # the line(s) of the notes, quoted
    claim: str                     # the plain statement checked
    as_written: Callable[..., Any]  # exactly what the notes say, executable
    correct: tuple[Truth, ...]     # the truths it is checked against
    strategy: Callable[[], Any] | None = None  # zero-arg -> SearchStrategy[Case]; None: one call with no arguments
    checked: str = ""              # what the inputs are (sizes, ranges, regimes)
    kind: str = "formula"          # formula | variant | convention (declared)
    correction: str = ""           # the corrected formula (shown for an erratum)
    convention: str = ""           # variant/convention: the stated convention
    fn_map: Callable[[Callable], Callable] | None = None   # convention: as_written -> as_written in the library's convention
    case_map: Callable[[Case], Case] | None = None          # variant: the inputs on which the variants coincide
    matters: str = ""              # variant/convention: when the difference matters
    tol: Tol = field(default_factory=Tol)
    compare: Callable[[Case, Any, Any, Tol], tuple[bool, str]] | None = None
    examples_scale: float = 1.0
    topics: tuple[str, ...] = ()

    def replace(self, **kw) -> "AuditEntry":
        return dataclasses.replace(self, **kw)

    @property
    def short_file(self) -> str:
        return self.file.split("_", 1)[0]


@dataclass
class AuditResult:
    id: str
    file: str
    location: str
    claim: str
    quote: str
    verdict: str
    evidence: str                  # one line
    counterexample: str | None = None
    correction: str | None = None
    error: str | None = None        # size of the error (erratum) / of the difference (variant, convention)
    details: str = ""              # several lines: as written vs truth at the counterexample, the measure
    checked: str = ""
    truths: list[str] = field(default_factory=list)
    examples: int = 0
    seconds: float = 0.0
    kind: str = "formula"
    convention: str = ""
    matters: str = ""

    def as_json(self) -> dict:
        return {
            "id": self.id, "file": self.file, "location": self.location, "claim": self.claim,
            "quote": self.quote, "verdict": self.verdict, "evidence": self.evidence,
            "counterexample": self.counterexample, "correction": self.correction,
            "error": self.error, "details": self.details, "checked": self.checked,
            "truths": self.truths, "examples": self.examples, "seconds": round(self.seconds, 3),
            "kind": self.kind, "convention": self.convention, "matters": self.matters,
        }


# --------------------------------------------------------------------------
# comparing two results of any structure
# --------------------------------------------------------------------------

@dataclass
class Diff:
    ok: bool
    abs: float = 0.0
    rel: float = 0.0
    where: str = ""
    note: str = ""


def _is_num(x) -> bool:
    return isinstance(x, (numbers.Number, np.number, np.ndarray, np.bool_)) and not isinstance(x, str)


def diff(a: Any, b: Any, tol: Tol, where: str = "") -> Diff:
    """Compare ``a`` (as written) with ``b`` (truth); the worst difference and whether it is within ``tol``."""
    if isinstance(b, dict):
        if not isinstance(a, dict) or set(a) != set(b):
            return Diff(False, math.inf, math.inf, where, f"keys {sorted(a) if isinstance(a, dict) else type(a).__name__} vs {sorted(b)}")
        return _worst([diff(a[k], b[k], tol, f"{where}[{k!r}]") for k in b])
    if isinstance(b, (list, tuple)) and not (b and all(_is_num(e) and np.ndim(e) == 0 for e in b) and isinstance(a, np.ndarray)):
        if not isinstance(a, (list, tuple)) or len(a) != len(b):
            return Diff(False, math.inf, math.inf, where, f"{_short(a)} vs {_short(b)}")
        return _worst([diff(x, y, tol, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b))])
    if isinstance(b, (bool, np.bool_, str)) or b is None:
        if a == b:
            return Diff(True, 0.0, 0.0, where)
        return Diff(False, math.nan, math.nan, where, f"claimed {a!r}, computed {b!r}")
    try:
        x = np.asarray(a, dtype=np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(b) else np.float64)
        y = np.asarray(b, dtype=x.dtype)
    except (TypeError, ValueError):
        return Diff(False, math.inf, math.inf, where, f"{_short(a)} vs {_short(b)}")
    if x.shape != y.shape:
        return Diff(False, math.inf, math.inf, where, f"shape {x.shape} vs {y.shape}")
    if x.size == 0:
        return Diff(True, 0.0, 0.0, where)
    with np.errstate(all="ignore"):
        both_nan = np.isnan(x) & np.isnan(y)
        same_inf = np.isinf(x) & (x == y)
        d = np.where(both_nan | same_inf, 0.0, np.abs(x - y))
        d = np.where(np.isnan(d), np.inf, d)
        scale = np.abs(np.where(np.isfinite(y), y, 0.0))
        rel = np.where(scale > 0, d / np.where(scale > 0, scale, 1.0), np.where(d > 0, np.inf, 0.0))
        bad = d > tol.atol + tol.rtol * scale
    i = int(np.argmax(d.reshape(-1)))
    idx = tuple(int(j) for j in np.unravel_index(i, d.shape)) if d.ndim else ()
    w = f"{where}{list(idx) if idx else ''}"
    return Diff(not bool(bad.any()), float(d.reshape(-1)[i]), float(np.max(rel)), w)


def _worst(ds: list[Diff]) -> Diff:
    if not ds:
        return Diff(True)
    bad = [d for d in ds if not d.ok]
    pool = bad or ds
    key = lambda v: math.inf if v != v else v  # noqa: E731  a false true/false claim (nan) ranks first
    w = max(pool, key=lambda d: (key(d.abs), key(d.rel)))
    rel = w.rel if w.rel != w.rel else max((d.rel for d in ds if d.rel == d.rel), default=0.0)
    return Diff(not bad, w.abs, rel, w.where, w.note)


def _short(x: Any, limit: int = 160) -> str:
    s = py_repr(x) if not isinstance(x, str) else x
    return s if len(s) <= limit else s[: limit - 12] + " ...(cut)"


def fmt(x: Any, limit: int = 400) -> str:
    """A compact, exact-enough rendering of a value for the report."""
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        x = np.round(x, 12)
    if isinstance(x, np.ndarray) and x.dtype.kind == "c":
        x = np.round(x.real, 12) + 1j * np.round(x.imag, 12)
        s = np.array2string(x, precision=6, separator=", ")
        return s if len(s) <= limit else s[: limit - 12] + " ...(cut)"
    if isinstance(x, tuple) and len(x) and all(isinstance(e, np.ndarray) for e in x):
        return "(" + ", ".join(fmt(e, limit // max(1, len(x))) for e in x) + ")"
    return _short(x, limit)


def efmt(v: float) -> str:
    if v != v:
        return "n/a"
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return "inf"
    return f"{v:.3g}"


# --------------------------------------------------------------------------
# running an entry
# --------------------------------------------------------------------------

def _call(fn: Callable, case: Case) -> Any:
    c = case.copy()
    return fn(*c.args, **c.kwargs)


def _compare(entry: AuditEntry, case: Case, got: Any, want: Any) -> tuple[bool, Diff]:
    if entry.compare is not None:
        ok, note = entry.compare(case, got, want, entry.tol)
        d = diff(got, want, entry.tol) if not ok else Diff(True)
        d.ok = ok
        d.note = note
        return ok, d
    d = diff(got, want, entry.tol)
    return d.ok, d


@dataclass
class _Search:
    examples: int = 0
    worst: Diff | None = None
    fail_case: Case | None = None
    fail_truth: str = ""
    fail_got: Any = None
    fail_want: Any = None
    fail_diff: Diff | None = None
    fail_raised: str = ""
    skipped: set = field(default_factory=set)
    used: list = field(default_factory=list)


def _search(entry: AuditEntry, fn: Callable, truths: tuple[Truth, ...], profile: str | None,
            case_map: Callable[[Case], Case] | None = None) -> _Search:
    """Look for a case where ``fn`` disagrees with one of ``truths``; Hypothesis shrinks it."""
    res = _Search()

    def one(case: Case) -> None:
        if case_map is not None:
            case = case_map(case)
        res.examples += 1
        wants = []
        for t in truths:
            if t.name in res.skipped:
                continue
            try:
                w = _call(t.fn, case)
            except Unavailable:
                res.skipped.add(t.name)
                continue
            except Exception as e:
                raise AuditHarnessError(f"{entry.id}: truth {t.name!r} failed on {case!r}: {type(e).__name__}: {e}") from e
            if t.name not in res.used:
                res.used.append(t.name)
            wants.append((t, w))
        if not wants:
            raise AuditHarnessError(f"{entry.id}: no truth available ({', '.join(sorted(res.skipped))} unavailable)")
        try:
            with np.errstate(all="ignore"):
                got = _call(fn, case)
        except (AuditHarnessError, Unavailable):
            raise
        except Exception as e:
            res.fail_case, res.fail_truth, res.fail_got, res.fail_want = case, wants[0][0].name, None, wants[0][1]
            res.fail_diff = Diff(False, math.inf, math.inf, "", f"raises {type(e).__name__}: {e}")
            res.fail_raised = f"{type(e).__name__}: {e}"
            raise CheckFailure(Verdict.ERROR, res.fail_raised) from None
        for t, w in wants:
            ok, d = _compare(entry, case, got, w)
            if not ok:
                res.fail_case, res.fail_truth, res.fail_got, res.fail_want, res.fail_diff = case, t.name, got, w, d
                res.fail_raised = ""
                raise CheckFailure(Verdict.MISMATCH, d.note or "mismatch")
            if d.abs == d.abs and (res.worst is None or d.abs > res.worst.abs):
                res.worst = d

    if entry.strategy is None:
        try:
            one(Case(()))
        except CheckFailure:
            pass
        return res
    n = profiles.examples(profile, entry.examples_scale)
    seed = draw.seed_for(draw.DEFAULT_SEED, entry.id, "mapped" if case_map is not None else "as written",
                         profiles.resolve(profile))
    draw.search(entry.strategy(), one, n, seed, profile)
    return res


def _case_repr(case: Case | None) -> str | None:
    if case is None:
        return None
    if not case.args and not case.kwargs:
        return "(no input: a single computation)"
    return case.call_repr("f")


def _fail_lines(s: _Search, label: str = "as written") -> list[str]:
    lines = [f"counterexample: {_case_repr(s.fail_case)}"]
    if s.fail_raised:
        lines.append(f"{label}: raises {s.fail_raised}")
    else:
        lines.append(f"{label}: {fmt(s.fail_got)}")
    lines.append(f"{s.fail_truth}: {fmt(s.fail_want)}")
    d = s.fail_diff
    if d is not None and not s.fail_raised:
        where = f" at {d.where}" if d.where else ""
        if d.abs != d.abs:
            lines.append(f"error: {d.note}{where}")
        else:
            lines.append(f"error: max |diff| = {efmt(d.abs)}{where}, max relative = {efmt(d.rel)}" + (f" ({d.note})" if d.note else ""))
    return lines


def _err(s: _Search) -> str:
    d = s.fail_diff
    if s.fail_raised:
        return f"as written raises {s.fail_raised}"
    if d is None:
        return ""
    if d.abs != d.abs:
        return d.note
    return f"|error| = {efmt(d.abs)} (relative {efmt(d.rel)})" + (f"; {d.note}" if d.note else "")


def _checked(entry: AuditEntry, s: _Search) -> str:
    n = s.examples
    what = entry.checked or ("a single computation" if entry.strategy is None else "generated inputs")
    return f"{n} example{'s' if n != 1 else ''}: {what}" if entry.strategy is not None else what


def evaluate(entry: AuditEntry, profile: str | None = None) -> AuditResult:
    """Compute the verdict of ``entry`` (see the module docstring)."""
    if entry.kind not in KINDS:
        raise ValueError(f"{entry.id}: kind {entry.kind!r} must be one of {KINDS}")
    t0 = time.perf_counter()
    base = dict(id=entry.id, file=entry.file, location=entry.location, claim=entry.claim, quote=entry.quote,
                kind=entry.kind, convention=entry.convention, matters=entry.matters)
    s = _search(entry, entry.as_written, entry.correct, profile)
    truths = list(s.used)
    skipped = sorted(s.skipped)
    skip_note = f" ({', '.join(skipped)} unavailable)" if skipped else ""
    if s.fail_case is None:
        worst = f"; worst |diff| {efmt(s.worst.abs)}" if s.worst is not None and s.worst.abs > 0 else ""
        r = AuditResult(**base, verdict="verified",
                        evidence=f"agrees with {', '.join(truths)}{skip_note} on {_checked(entry, s)}{worst}",
                        checked=_checked(entry, s), truths=truths, examples=s.examples)
        r.details = r.evidence
        r.seconds = time.perf_counter() - t0
        return r

    raw_lines = _fail_lines(s)
    if entry.kind == "formula":
        r = AuditResult(**base, verdict="erratum",
                        evidence=f"differs from {s.fail_truth}: {_err(s)} at {_case_repr(s.fail_case)}",
                        counterexample=_case_repr(s.fail_case), correction=entry.correction or None,
                        error=_err(s), details="\n".join(raw_lines), checked=_checked(entry, s),
                        truths=truths, examples=s.examples)
        r.seconds = time.perf_counter() - t0
        return r

    # variant / convention: the raw formula differs; check it under the declared mapping
    if entry.fn_map is None and entry.case_map is None:
        raise AuditHarnessError(f"{entry.id}: a {entry.kind} entry needs fn_map (the notes' convention -> the library's) or case_map (the inputs where the variants coincide)")
    fn = entry.fn_map(entry.as_written) if entry.fn_map is not None else entry.as_written
    s2 = _search(entry, fn, entry.correct, profile, case_map=entry.case_map)
    label = "mapped as written" if entry.fn_map is not None else "as written, on the mapped input"
    truths2 = [t for t in s2.used if t not in truths]
    truths += truths2
    if s2.fail_case is not None:
        lines = raw_lines + ["", f"under the declared {entry.kind} ({entry.convention}) it still differs:"] + _fail_lines(s2, label)
        r = AuditResult(**base, verdict="erratum",
                        evidence=f"differs from {s2.fail_truth} even under the declared {entry.kind}: {_err(s2)} at {_case_repr(s2.fail_case)}",
                        counterexample=_case_repr(s2.fail_case), correction=entry.correction or None,
                        error=_err(s2), details="\n".join(lines), checked=_checked(entry, s),
                        truths=truths, examples=s.examples + s2.examples)
        r.seconds = time.perf_counter() - t0
        return r
    measure = _measure(entry, profile)
    raw = _err(s)
    ev = (f"{entry.convention}: agrees with {', '.join(s2.used)} on {_checked(entry, s2)} under the mapping; "
          f"unmapped it differs ({raw}"
          + (f"; {measure}" if measure else "") + ")")
    lines = raw_lines + ["", f"under the {entry.kind}: agrees on {_checked(entry, s2)}"]
    if measure:
        lines.append(f"measured: {measure}")
    if entry.matters:
        lines.append(f"when it matters: {entry.matters}")
    r = AuditResult(**base, verdict=entry.kind, evidence=ev, counterexample=_case_repr(s.fail_case),
                    correction=entry.correction or None, error=(measure or raw), details="\n".join(lines),
                    checked=_checked(entry, s2), truths=truths, examples=s.examples + s2.examples)
    r.seconds = time.perf_counter() - t0
    return r


def _measure(entry: AuditEntry, profile: str | None) -> str:
    """How far the unmapped as-written formula is from the truth over the generated inputs."""
    if entry.strategy is None:
        return ""
    worst = {"abs": 0.0, "rel": 0.0, "case": None, "n": 0}
    t = entry.correct[0]

    def one(case: Case) -> None:
        try:
            want = _call(t.fn, case)
            with np.errstate(all="ignore"):
                got = _call(entry.as_written, case)
        except Exception:
            return
        d = diff(got, want, entry.tol)
        worst["n"] += 1
        if d.abs == d.abs and d.abs > worst["abs"]:
            worst.update(abs=d.abs, rel=d.rel, case=case)

    try:
        n = profiles.examples(profile, entry.examples_scale)
        draw.search(entry.strategy(), one, n, draw.seed_for(draw.DEFAULT_SEED, entry.id, "measure", profiles.resolve(profile)), profile, shrink=False)
    except HarnessError:
        return ""
    if worst["case"] is None or not math.isfinite(worst["abs"]):
        return ""
    return (f"largest difference over {worst['n']} inputs: |diff| {efmt(worst['abs'])}, relative {efmt(worst['rel'])}")


def collector(file: str):
    """(entries, entry): the list a notes module fills and the function that adds an
    ``AuditEntry`` of ``file`` to it (``entry(id=..., location=..., ...)``)."""
    entries: list[AuditEntry] = []

    def entry(**kw) -> AuditEntry:
        e = AuditEntry(file=file, **kw)
        entries.append(e)
        return e

    return entries, entry
