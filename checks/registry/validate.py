"""What :func:`checks.registry.register` checks of an entry before it accepts it.

:func:`problems` returns every problem of one entry, each a self-contained
line in the style of Hypothesis' argument errors: the entry, the field and
its value, what is wrong, how to fix it::

    formula 'softmax.softmax', outputs=('y', 'y'): 'y' is named twice; give each returned value its own name

``register`` raises them all at once (:class:`RegistrationError`), at import
of the group module, so a bad entry never reaches a check.
"""

from __future__ import annotations

import ast
import inspect
import keyword
import math
import numbers
from typing import Any

#: TEMPORARY exceptions, owned by checks/formulas/: formula id -> the name of its one oracle whose
#: name and kind may disagree (family 'property' <=> kind "property") until the entry is fixed.
#: Only that oracle's family/kind check is skipped; every other check still applies to the entry.
#: Keep it empty: a disagreement makes ``formulacheck verify --oracle property`` run a value oracle
#: or skip a property one. tests/meta/test_registry.py fails while a listed oracle agrees again.
#: (It held "decode.beam_search": "algorithm:every-tie-break" and "hsoftmax.huffman_codes":
#: "property:shannon-bound" until commit f6b5837 renamed them.)
_KNOWN_MISMATCHES: dict[str, str] = {}

KINDS = ("value", "property")


class RegistrationError(ValueError):
    """An entry ``register`` refused; ``problems`` lists every reason, one line each."""

    def __init__(self, formula_id: Any, problems: list[str]):
        self.formula_id = formula_id
        self.problems = list(problems)
        if len(problems) == 1:
            msg = problems[0]
        else:
            msg = f"formula {formula_id!r} cannot be registered, {len(problems)} problems:\n" + "\n".join(
                f"  - {p}" for p in problems
            )
        super().__init__(msg)


def _short(v: Any, n: int = 70) -> str:
    """A value as the message shows it: functions by name, long reprs cut."""
    if inspect.isfunction(v) or inspect.isbuiltin(v) or inspect.ismethod(v):
        return f"<function {getattr(v, '__qualname__', v.__name__)}>"
    r = repr(v)
    return r if len(r) <= n else r[: n - 3] + "..."


def _is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _check_id(fid: Any, out: list[str], at: str) -> None:
    ok_form = isinstance(fid, str) and fid.count(".") == 1
    group, fn = fid.split(".") if ok_form else ("", "")
    if not ok_form:
        out.append(f"{at}id={fid!r}: must be '<group>.<function name>' with exactly one dot, e.g. id='softmax.softmax'")
        return
    for part, what in ((group, "group"), (fn, "function name")):
        if not part.isidentifier() or keyword.iskeyword(part):
            out.append(f"{at}id={fid!r}: the {what} {part!r} is not a valid Python identifier; "
                       f"the id is '<group>.<function name>' and the function name is what a submission defines")


def _check_reference(f: Any, out: list[str], at: str) -> None:
    ref = f.reference
    if not callable(ref):
        out.append(f"{at}reference={_short(ref)}: must be callable: the numpy function of reference/<group>.py")
        return
    name = getattr(ref, "__name__", None)
    fn = f.id.split(".")[1] if isinstance(f.id, str) and f.id.count(".") == 1 else ""
    if fn.isidentifier() and not keyword.iskeyword(fn) and name != fn:  # (a bad id is reported once, as the id)
        out.append(f"{at}reference={_short(ref)}: its name {name!r} differs from the id's function name "
                   f"{fn!r}; the reference is the contract's function itself (reference.{fn})")
    try:
        sig = inspect.signature(ref)
    except (TypeError, ValueError):
        out.append(f"{at}reference={_short(ref)}: has no inspectable signature; the template copies it, "
                   f"so write it as a plain `def {fn or 'name'}(...)`")
        return
    for p in sig.parameters.values():
        if p.default is not inspect.Parameter.empty:
            try:
                ok = ast.literal_eval(repr(p.default)) == p.default
            except (ValueError, SyntaxError):
                ok = False
            if not ok:
                out.append(f"{at}reference={_short(ref)}: the default {p.name}={_short(p.default)} is not a Python "
                           f"literal; the template copies defaults, use None, a number, a string or a tuple")
    if not (inspect.getdoc(ref) or "").strip():
        out.append(f"{at}reference={_short(ref)}: has no docstring; its first paragraph (the formula, in the "
                   f"contract's terms) becomes the template's docstring: write one")


def _check_oracles(f: Any, out: list[str], at: str) -> None:
    from checks.core.compare import Tol
    from checks.registry import Oracle

    os_ = f.oracles
    if not isinstance(os_, tuple) or not os_:
        out.append(f"{at}oracles={_short(os_)}: must be a non-empty tuple of Oracle; a formula nothing checks "
                   f"is a defect: add at least one, e.g. oracles=(Oracle('torch', rebuilt_in_torch),)")
        return
    seen: set[str] = set()
    for i, o in enumerate(os_):
        w = f"{at}oracles[{i}]"
        if not isinstance(o, Oracle):
            out.append(f"{w}={_short(o)}: must be an Oracle(name, fn, kind=...)")
            continue
        w = f"{w} {o.name!r}" if isinstance(o.name, str) else w
        if not isinstance(o.name, str) or not o.name or o.name != o.name.strip() or not o.family:
            out.append(f"{w}: name={o.name!r} must be a non-empty str '<family>' or '<family>:<what>' "
                       f"with a non-empty family, e.g. 'torch', 'torch:F.softmax', 'property:rows-sum-to-1'")
            continue
        if o.name in seen:
            out.append(f"{w}: name={o.name!r} is used twice in this entry; oracle names are unique within "
                       f"an entry (results are keyed by formula id and oracle name): rename one, e.g. "
                       f"'{o.family}:<what differs>'")
        seen.add(o.name)
        if not callable(o.fn):
            out.append(f"{w}: fn={_short(o.fn)} must be callable: fn(*args) -> expected (kind 'value') "
                       f"or fn(case, result) raising through fail() (kind 'property')")
        if o.kind not in KINDS:
            out.append(f"{w}: kind={o.kind!r} must be one of {KINDS}")
        elif (o.family == "property") != (o.kind == "property") and _KNOWN_MISMATCHES.get(f.id) != o.name:
            if o.kind == "property":
                fix = (f"property oracles are named 'property:<what>' so that `formulacheck verify --oracle "
                       f"property` selects them: rename it 'property:{o.name.split(':', 1)[-1]}', or make it a "
                       f"value oracle (fn(*args) -> expected) with kind='value'")
            else:
                fix = ("the family 'property' is for kind='property' oracles (fn(case, result)): set "
                       "kind='property', or rename it to the family that produces the value (e.g. 'algorithm:...')")
            out.append(f"{w}: kind={o.kind!r} disagrees with its family {o.family!r} (the name before ':'); {fix}")
        if o.strategy is not None and not callable(o.strategy):
            out.append(f"{w}: strategy={_short(o.strategy)} must be None or a zero-argument callable "
                       f"returning a SearchStrategy[Case]")
        if o.tol is not None and not isinstance(o.tol, Tol):
            out.append(f"{w}: tol={_short(o.tol)} must be None or a checks.core.compare.Tol, e.g. Tol(rtol=1e-6, atol=1e-9)")
        if not isinstance(o.description, str):
            out.append(f"{w}: description={_short(o.description)} must be a str")


def _check_fields(f: Any, out: list[str], at: str) -> None:
    from checks.core.compare import Tol
    from checks.registry import Source

    s = f.source
    if not isinstance(s, Source):
        out.append(f"{at}source={_short(s)}: must be a Source(file, section, equation, quote), e.g. "
                   f"Source('002', '§7 逻辑回归', 'f(z) = 1/(1+e^(-z))')")
    else:
        for name in ("file", "section", "equation", "quote"):
            if not isinstance(getattr(s, name), str):
                out.append(f"{at}source.{name}={_short(getattr(s, name))}: must be a str")
        if isinstance(s.file, str) and not s.file.strip():
            out.append(f"{at}source.file={s.file!r}: must name the notes file ('001'..'004') or, for a formula "
                       f"from outside the notes, the work it comes from (docs/adding-a-formula.md)")
        if isinstance(s.section, str) and not s.section.strip():
            out.append(f"{at}source.section={s.section!r}: must say where in {s.file!r} the formula stands "
                       f"(a section, a question number, an algorithm)")
    if not callable(f.strategy):
        out.append(f"{at}strategy={_short(f.strategy)}: must be a zero-argument callable returning a "
                   f"SearchStrategy[Case], e.g. an @st.composite function")
    outs = f.outputs
    if not isinstance(outs, tuple) or not outs:
        out.append(f"{at}outputs={_short(outs)}: must be a non-empty tuple of names, one per returned value, "
                   f"e.g. outputs=('y',) or outputs=('dx', 'dw', 'db')")
    else:
        bad = [o for o in outs if not isinstance(o, str) or not o.strip()]
        if bad:
            out.append(f"{at}outputs={_short(outs)}: {_short(bad)} not a non-empty str; name every returned value")
        dup = sorted({o for o in outs if isinstance(o, str) and outs.count(o) > 1})
        if dup:
            out.append(f"{at}outputs={_short(outs)}: {', '.join(map(repr, dup))} named twice; "
                       f"give each returned value its own name")
    p = f.points
    if not _is_real(p) or not math.isfinite(p) or p < 0:
        out.append(f"{at}points={_short(p)}: must be a finite number >= 0 (0 for a formula checked but not graded)")
    if not isinstance(f.tol, Tol):
        out.append(f"{at}tol={_short(f.tol)}: must be a checks.core.compare.Tol, e.g. Tol(rtol=1e-7, atol=1e-12)")
    if f.compare is not None and not callable(f.compare):
        out.append(f"{at}compare={_short(f.compare)}: must be None or callable "
                   f"compare(case, actual, expected, tol, where) raising through fail()")
    e = f.examples_scale
    if not _is_real(e) or not math.isfinite(e) or e <= 0:
        out.append(f"{at}examples_scale={_short(e)}: must be a finite number > 0 (< 1 for expensive formulas)")
    if not isinstance(f.fresh_outputs, bool):
        out.append(f"{at}fresh_outputs={_short(f.fresh_outputs)}: must be True or False")
    if not isinstance(f.summary, str):
        out.append(f"{at}summary={_short(f.summary)}: must be a str")


def problems(f: Any, registered: dict[str, Any]) -> list[str]:
    """Every reason ``f`` may not join ``registered``, each line naming the entry and the field."""
    from checks.registry import Formula

    if not isinstance(f, Formula):
        return [f"register({_short(f)}): expected a Formula(id=..., source=..., ...)"]
    at = f"formula {f.id!r}, "
    out: list[str] = []
    _check_id(f.id, out, at)
    if isinstance(f.id, str) and f.id in registered:
        out.append(f"{at}id={f.id!r}: is already registered; every id is registered once "
                   f"(two entries with the same id, or a group module imported twice)")
    _check_reference(f, out, at)
    _check_oracles(f, out, at)
    _check_fields(f, out, at)
    return out
