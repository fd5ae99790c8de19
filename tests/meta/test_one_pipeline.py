"""One pipeline: verify, the grader and the audit give the same verdict and the same feedback text.

For one mutant of each group of ``tests/mutants`` (the first one the public
vectors catch with a judged verdict: mismatch, nan/inf, property violated,
wrong shape or type) the test takes its smallest failing public vector and
writes a vectors file holding exactly that input for that formula
(:func:`checks.run.vectors.from_cases`; one file for all the groups). Then
the same implementation on the same input is judged three ways:

(a) in process, as ``formulacheck verify`` / pytest judge it
    (:func:`checks.run.check.check_vectors`);
(b) by the real grader: a sandboxed worker runs a one-file submission that
    holds the mutant modules' source (the reference as
    :mod:`checks.grader.refsub` embeds it, each mutant module executed in its
    own namespace, so no import of ``reference`` or ``tests``);
(c) by the audit (:func:`checks.audit.formula.evaluate_formula`).

The three verdicts must be equal and the three feedback texts identical
strings; the reference, on the same file, passes all three.
"""

from __future__ import annotations

import ast
import inspect
import sys

import pytest

from checks import __version__, registry
from checks.audit.formula import evaluate_formula
from checks.core import vecfile
from checks.core.feedback import SMALLEST
from checks.core.verdicts import Status, Verdict
from checks.grader import refsub
from checks.grader.grade import Grader
from checks.grader.rubric import Rubric
from checks.run.check import check_vectors, local_caller
from checks.run.vectors import from_cases
from tests.judging import public, vectors_result
from tests.mutants import Mutant, all_mutants

#: the verdicts decided by judging a result (not by a crash, a timeout or an exception's text)
JUDGED = (Verdict.MISMATCH, Verdict.NONFINITE, Verdict.PROPERTY, Verdict.WRONG_TYPE)
#: groups whose chosen mutant must also be graded in the sandbox (the issue's bar)
MIN_GRADED = 15

# the mutant modules run in the submission next to the embedded reference (refsub's _load/_Mod/_find)
_MUTANTS_PRELUDE = '''

class _Stub:
    """tests.mutants.Mutant, for the modules' MUTANTS lists (unused here)."""

    def __init__(self, *args, **kwargs):
        pass


class _Ref:
    """``import reference as R``: R.name is the reference's re-exported function."""

    def __getattr__(self, name):
        return _find(name)


def _mutants(name, source):
    ns = {"__name__": "mutants_" + name, "_load": _load, "_Mod": _Mod, "_find": _find, "_Stub": _Stub, "_Ref": _Ref}
    exec(compile(source, "mutants/" + name + ".py", "exec"), ns)
    return ns
'''


class NotStandalone(Exception):
    """A mutant that cannot be written into a one-file submission (the reason)."""


def _group(m: Mutant) -> str:
    return m.fn.__module__.rsplit(".", 1)[1]


def chosen() -> dict[str, tuple[Mutant, object, list[str]]]:
    """Per group, the first mutant failing the public vectors with a judged verdict, its smallest
    failing vector and the oracles that judge that vector in the public file."""
    out: dict[str, tuple[Mutant, object, list[str]]] = {}
    for m in all_mutants():
        g = _group(m)
        if g in out:
            continue
        res = vectors_result(m.formula, m.fn)
        if res.verdict in JUDGED:
            fv = public(m.formula)
            i = next(i for i, c in enumerate(fv.cases) if c.call_repr(fv.fn_name) == res.call)
            out[g] = (m, fv.cases[i], [o.name for o in fv.oracles if i in o.cases])
    return out


def mutant_module_source(m: Mutant) -> str:
    """The source of the mutant's module, its imports of ``tests`` and ``reference`` rewritten for a submission."""
    mod = sys.modules[m.fn.__module__]
    if getattr(mod, m.fn.__name__, None) is not m.fn:
        raise NotStandalone(f"{m.fn.__qualname__} is not a module-level function of {mod.__name__}")
    src = inspect.getsource(mod)
    lines = src.splitlines(keepends=True)
    edits = []
    for node in ast.parse(src).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tests":
            repl = "; ".join(f"{a.asname or a.name} = _Stub" for a in node.names)
        elif isinstance(node, ast.Import) and any(a.name == "reference" for a in node.names):
            if len(node.names) != 1:
                raise NotStandalone(f"{mod.__name__} line {node.lineno}: import reference with other modules")
            repl = f"{node.names[0].asname or 'reference'} = _Ref()"
        else:
            continue
        edits.append((node.lineno, node.end_lineno, repl))
    for start, end, repl in sorted(edits, reverse=True):
        lines[start - 1:end] = [repl + "\n"]
    try:
        return refsub._rewrite("".join(lines), mod.__name__)  # import reference.x as R, from reference.x import y
    except refsub.RefSubError as e:
        raise NotStandalone(str(e)) from None


def mutants_submission(picks: dict[str, tuple[Mutant, object, list[str]]]) -> tuple[str, dict[str, str]]:
    """(source, {group: why it is not in it}): the reference, then each chosen mutant under its formula's name."""
    out = [refsub.build(), _MUTANTS_PRELUDE]
    skipped = {}
    for g, (m, _, _) in picks.items():
        try:
            src = mutant_module_source(m)
        except NotStandalone as e:
            skipped[g] = str(e)
            continue
        out.append(f"\n_M_{g} = _mutants({g!r}, {src!r})\n{registry.get(m.formula).fn_name} = _M_{g}[{m.fn.__name__!r}]\n")
    return "".join(out), skipped


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("one-pipeline")
    picks = chosen()
    assert len(picks) == len({_group(m) for m in all_mutants()}), "a group has no mutant with a judged verdict"
    ids = [m.formula for m, _, _ in picks.values()]
    path = str(tmp / "given.zip")
    vecfile.write(path, {"formulacheck": __version__, "profile": "given", "visibility": "hidden", "seed": "hidden"},
                  [from_cases(registry.get(m.formula), [case], names) for m, case, names in picks.values()])
    vectors = vecfile.read(path)
    src, skipped = mutants_submission(picks)
    (tmp / "mutants.py").write_text(src, encoding="utf-8")
    (tmp / "reference.py").write_text(refsub.build(), encoding="utf-8")
    with Grader(Rubric(), vectors=path, ids=ids) as g:
        graded_mutants = g.grade_file(str(tmp / "mutants.py"))
        graded_reference = g.grade_file(str(tmp / "reference.py"))
    return picks, vectors, skipped, graded_mutants, graded_reference


def test_verify_grader_and_audit_agree_on_each_groups_mutant(judged):
    picks, vectors, skipped, graded, _ = judged
    assert graded.status is Status.OK, graded.message
    by_id = {t.id: t for t in graded.tests}
    assert len(picks) - len(skipped) >= MIN_GRADED, f"only {len(picks) - len(skipped)} groups graded: {skipped}"
    for g, (m, case, names) in picks.items():
        f = registry.get(m.formula)
        fv = vectors.formulas[f.id]
        assert len(fv.cases) == 1 and fv.cases[0].call_repr(f.fn_name) == case.call_repr(f.fn_name)
        a = check_vectors(fv, local_caller(m.fn, f.fn_name, fresh_outputs=f.fresh_outputs))
        c = evaluate_formula(f, m.fn, fv.cases, oracles=names)
        what = f"{g}: {m.formula} ({m.name})"
        assert a.verdict in JUDGED, f"{what}: in process {a.verdict}\n{a.message}"
        assert c.verdict == "erratum" and c.check is a.verdict, f"{what}: audit {c.verdict}/{c.check}, verify {a.verdict}"
        assert c.details == a.message, f"{what}: the audit's text differs from verify's:\n{c.details}\n---\n{a.message}"
        assert a.message.startswith(f"{f.id} vs ") and f"\n{SMALLEST}\n    {case.call_repr(f.fn_name)}" in a.message
        if g in skipped:
            continue
        b = by_id[f.id]
        assert b.verdict is a.verdict, f"{what}: grader {b.verdict}, verify {a.verdict}\n{b.feedback}\n---\n{a.message}"
        assert b.feedback == a.message, f"{what}: the grader's text differs from verify's:\n{b.feedback}\n---\n{a.message}"


def test_the_reference_passes_all_three_on_the_same_file(judged):
    picks, vectors, _, _, graded = judged
    assert graded.status is Status.OK, graded.message
    assert {t.id for t in graded.tests} == {m.formula for m, _, _ in picks.values()}
    for t in graded.tests:
        assert t.verdict is Verdict.PASSED, t.feedback
    for m, _, names in picks.values():
        f = registry.get(m.formula)
        fv = vectors.formulas[f.id]
        a = check_vectors(fv, local_caller(f.reference, f.fn_name, fresh_outputs=f.fresh_outputs))
        assert a.passed, a.message
        c = evaluate_formula(f, f.reference, fv.cases, oracles=names)
        assert (c.verdict, c.check) == ("verified", Verdict.PASSED), c.details


def test_evaluate_formula_missing_function_and_bad_oracle_names():
    f = registry.get("softmax.softmax")
    case = public(f.id).cases[0]
    r = evaluate_formula(f, None, [case])
    assert (r.verdict, r.check) == ("erratum", Verdict.NOT_IMPLEMENTED), r.details
    assert r.details == f"{f.id}: softmax: not implemented (no function named softmax)"
    with pytest.raises(ValueError, match=r"softmax\.softmax has no oracle 'nope' \(it has torch, "):
        evaluate_formula(f, f.reference, [case], oracles=["nope"])
    with pytest.raises(ValueError, match="needs at least one input"):
        evaluate_formula(f, f.reference, [])
