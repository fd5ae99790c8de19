"""The library of known mistakes: well-formed entries, each one diagnoses itself, no diagnosis on right code."""

from __future__ import annotations

import ast
import inspect

import pytest

import reference
from checks import mistakes, registry
from checks.diagnose import diagnose
from checks.diagnose.inprocess import judge_all
from tests.diagnose.conftest import public_vectors
from tests.variants import all_variants

FORMULAS = sorted({m.formula for m in mistakes.all_entries()})


def test_entries_are_well_formed():
    entries = mistakes.all_entries()
    assert len(entries) >= 313
    distinct = {m.id for m in entries}
    assert len(distinct) == sum(len(mistakes.for_formula(f)) for f in FORMULAS)
    for m in entries:
        assert m.description.endswith(".") and len(m.description) < 200, m.id
        assert m.hint and m.hint != m.description and len(m.hint) < 200, m.id
        assert "TODO" not in m.description + m.hint, m.id
        ref = getattr(reference, registry.get(m.formula).fn_name)
        assert len(inspect.signature(m.fn).parameters) in (0, len(inspect.signature(ref).parameters)) or any(
            p.kind is p.VAR_POSITIONAL for p in inspect.signature(m.fn).parameters.values()), m.id
    assert {m.formula for m in entries} == {f.id for f in registry.all_formulas()}


def test_group_modules_import_nothing_of_the_project_but_reference():
    """A group module's source is embedded in one-file submissions (tests/meta/test_one_pipeline.py)."""
    for g in mistakes.groups():
        src = inspect.getsource(__import__(f"checks.mistakes.{g}", fromlist=["x"]))
        for node in ast.walk(ast.parse(src)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for n in names:
                assert n.split(".")[0] in ("numpy", "math", "heapq", "itertools", "functools", "reference"), (g, n)
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0, (g, "relative import")


def test_unknown_id_is_a_clear_error():
    with pytest.raises(mistakes.MistakeError, match="no known mistake 'optim.adam_step:nope'.*adam_no_bias_correction"):
        mistakes.get("optim.adam_step:nope")


@pytest.mark.parametrize("formula", FORMULAS)
def test_each_mistake_diagnoses_itself(formula):
    fv = public_vectors()[formula]
    alone, listed, uncaught = [], [], []
    for m in mistakes.for_formula(formula):
        actual, failing, passing = judge_all(fv, m.fn)
        d = diagnose(fv, actual, failing, passing)
        if not failing:   # caught by the grader's freshness / in-place checks, not by values
            assert d is None
            uncaught.append(m.id)
            continue
        assert d is not None and m.id in d.ids, f"{m.id}: {d}"
        (alone if d.ids == (m.id,) else listed).append(m.id)
        assert len(d.ids) <= 3
    assert len(uncaught) <= 2 and not (uncaught and formula.split(".")[0] != "optim"), uncaught
    assert len(listed) <= 1, listed


@pytest.mark.parametrize("formula", FORMULAS)
def test_no_diagnosis_on_the_reference_and_correct_variants(formula):
    fv = public_vectors()[formula]
    f = registry.get(formula)
    impls = [f.reference] + [v.fn for v in all_variants() if v.formula == formula]
    for fn in impls:
        actual, failing, passing = judge_all(fv, fn)
        assert not failing
        assert diagnose(fv, actual, failing, passing) is None
        # right values on cases the grader failed for another reason (in place, time, a crash elsewhere)
        idx = list(actual)[:10]
        assert diagnose(fv, actual, idx, [i for i in actual if i not in idx]) is None, fn
