"""Registration validates an entry: every problem named by the entry, the field, its value and the fix.

Bad entries are registered into ``registry.scratch()`` (a fresh, empty
registry for the block), never into the real one.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from checks import registry
from checks.core.compare import Tol
from checks.registry import Formula, Oracle, RegistrationError, Source, validate
from checks.strategies import Case, st


def scale(x):
    """y = 2x, elementwise."""
    return 2.0 * np.asarray(x, dtype=np.float64)


def _cases():
    return st.just(Case((np.ones(2),)))


def _twice(x):
    """Twice x."""
    return 2.0 * np.asarray(x, dtype=np.float64)


def _positive(case, result):
    pass


def good(**changes) -> Formula:
    """A valid entry ('toy.scale'), with ``changes`` applied."""
    f = Formula(
        id="toy.scale", source=Source("002", "§3 toy", "y = 2x"), reference=scale, strategy=_cases,
        outputs=("y",), oracles=(Oracle("numpy", _twice), Oracle("property:finite", _positive, kind="property")),
        points=1, tol=Tol(),
    )
    return dataclasses.replace(f, **changes)


def _refused(f: Formula) -> RegistrationError:
    with registry.scratch() as reg:
        with pytest.raises(RegistrationError) as ei:
            registry.register(f)
        assert f.id not in reg  # a refused entry is not half-registered
    return ei.value


def test_a_good_entry_registers_into_the_scratch_registry_only():
    real = [f.id for f in registry.all_formulas()]
    with registry.scratch() as reg:
        f = registry.register(good())
        assert reg == {"toy.scale": f}
        assert registry.get("toy.scale") is f and registry.all_formulas() == [f] and registry.groups() == ["toy"]
        registry.register(good(id="toy.scale_again", reference=_renamed(scale, "scale_again")))
        assert len(registry.all_formulas()) == 2
    assert [f.id for f in registry.all_formulas()] == real  # the real registry is back, untouched
    with pytest.raises(KeyError):
        registry.get("toy.scale")


def _renamed(fn, name):
    def wrapper(x):
        return fn(x)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = fn.__doc__
    return wrapper


BAD = [  # (field as the message names it, the entry's change, a phrase of the fix)
    ("id=", dict(id="scale"), "'<group>.<function name>'"),
    ("id=", dict(id="toy.a.b"), "exactly one dot"),
    ("id=", dict(id="toy.2scale"), "not a valid Python identifier"),
    ("id=", dict(id="toy.lambda"), "not a valid Python identifier"),
    ("id=", dict(id="my-group.scale"), "not a valid Python identifier"),
    ("oracles=", dict(oracles=()), "add at least one"),
    ("oracles=", dict(oracles=[Oracle("numpy", _twice)]), "tuple"),
    ("oracles[0]=", dict(oracles=("numpy",)), "Oracle(name, fn"),
    ("name='numpy' is used twice", dict(oracles=(Oracle("numpy", _twice), Oracle("numpy", _twice))), "rename one"),
    ("name=''", dict(oracles=(Oracle("", _twice),)), "non-empty"),
    ("name=':x'", dict(oracles=(Oracle(":x", _twice),)), "non-empty family"),
    ("fn=", dict(oracles=(Oracle("numpy", None),)), "must be callable"),
    ("kind='values'", dict(oracles=(Oracle("numpy", _twice, kind="values"),)), "one of ('value', 'property')"),
    ("kind='property' disagrees with its family 'algorithm'",
     dict(oracles=(Oracle("algorithm:ties", _positive, kind="property"),)), "rename it 'property:ties'"),
    ("kind='value' disagrees with its family 'property'",
     dict(oracles=(Oracle("property:bound", _twice),)), "set kind='property'"),
    ("strategy=", dict(oracles=(Oracle("numpy", _twice, strategy=3),)), "zero-argument callable"),
    ("tol=", dict(oracles=(Oracle("numpy", _twice, tol=1e-6),)), "Tol(rtol="),
    ("outputs=", dict(outputs=()), "non-empty tuple"),
    ("outputs=", dict(outputs="y"), "non-empty tuple"),
    ("outputs=", dict(outputs=("dx", "dx")), "its own name"),
    ("outputs=", dict(outputs=("dx", "")), "name every returned value"),
    ("outputs=", dict(outputs=("dx", 2)), "name every returned value"),
    ("reference=", dict(reference=None), "must be callable"),
    ("reference=", dict(reference=_twice), "reference.scale"),
    ("strategy=", dict(strategy=_cases()), "zero-argument callable"),
    ("points=", dict(points=-1), ">= 0"),
    ("points=", dict(points=math.inf), "finite"),
    ("points=", dict(points=math.nan), "finite"),
    ("points=", dict(points="1"), "finite number"),
    ("points=", dict(points=True), "finite number"),
    ("tol=", dict(tol=1e-7), "checks.core.compare.Tol"),
    ("tol=", dict(tol=None), "checks.core.compare.Tol"),
    ("examples_scale=", dict(examples_scale=0), "> 0"),
    ("examples_scale=", dict(examples_scale=-0.5), "> 0"),
    ("examples_scale=", dict(examples_scale=math.nan), "> 0"),
    ("source=", dict(source="002 §3"), "Source(file, section"),
    ("source.file=", dict(source=Source("", "§3")), "outside the notes"),
    ("source.section=", dict(source=Source("002", " ")), "where in '002'"),
    ("compare=", dict(compare="elementwise"), "None or callable"),
    ("fresh_outputs=", dict(fresh_outputs=1), "True or False"),
    ("summary=", dict(summary=None), "str"),
]


@pytest.mark.parametrize("field, change, fix", BAD, ids=[f"{i}-{b[0][:24]}" for i, b in enumerate(BAD)])
def test_a_bad_entry_is_refused_naming_the_entry_the_field_and_the_fix(field, change, fix):
    f = good(**change)
    err = _refused(f)
    msg = str(err)
    assert len(err.problems) == 1, err.problems
    assert msg == err.problems[0] and "\n" not in msg  # one problem: one line
    assert msg.startswith(f"formula {f.id!r}, "), msg
    assert field in msg, msg
    assert fix in msg, msg


def test_a_reference_without_docstring_or_with_a_non_literal_default_is_refused():
    def scale(x, k=object()):
        return x

    msg = str(_refused(good(reference=scale)))
    assert "formula 'toy.scale', reference=<function" in msg
    assert "has no docstring" in msg and "the default k=<object object" in msg and "not a Python literal" in msg


def test_every_problem_of_an_entry_is_raised_at_once():
    f = good(outputs=(), points=-1, tol=None, oracles=(Oracle("numpy", _twice), Oracle("numpy", _twice)))
    err = _refused(f)
    assert len(err.problems) == 4, err.problems
    text = str(err)
    assert text.startswith("formula 'toy.scale' cannot be registered, 4 problems:")
    for field in ("outputs=()", "points=-1", "tol=None", "name='numpy' is used twice"):
        assert sum(field in p for p in err.problems) == 1, (field, err.problems)
    assert all(p.startswith("formula 'toy.scale', ") for p in err.problems)
    assert isinstance(err, ValueError) and err.formula_id == "toy.scale"


def test_an_id_is_registered_once():
    with registry.scratch():
        registry.register(good())
        with pytest.raises(RegistrationError, match=r"formula 'toy\.scale', id='toy\.scale': is already registered"):
            registry.register(good())


def test_registering_something_else_than_a_formula():
    with registry.scratch(), pytest.raises(RegistrationError, match=r"register\('toy\.scale'\): expected a Formula"):
        registry.register("toy.scale")


def test_the_known_mismatches_skip_exactly_their_oracle(monkeypatch):
    monkeypatch.setitem(validate._KNOWN_MISMATCHES, "toy.scale", "algorithm:ties")
    listed = Oracle("algorithm:ties", _positive, kind="property")
    with registry.scratch():  # the listed oracle passes under the listed id ...
        registry.register(good(oracles=(listed,)))
    # ... but the same mismatch under another id, or another mismatch in that entry, does not
    other = dict(id="toy.other", reference=_renamed(scale, "other"))
    assert "disagrees with its family" in str(_refused(good(**other, oracles=(listed,))))
    assert "'property:bound': kind='value' disagrees" in str(_refused(good(oracles=(listed, Oracle("property:bound", _twice)))))


def _mismatched(f: Formula, name: str) -> bool:
    o = f.oracle(name)
    return (o.family == "property") != (o.kind == "property")


@pytest.mark.parametrize("fid", sorted(validate._KNOWN_MISMATCHES))  # empty today: nothing to run
def test_a_known_mismatch_is_still_one(fid):
    """A reminder for the formulas' owner: a fixed entry leaves _KNOWN_MISMATCHES."""
    name = validate._KNOWN_MISMATCHES[fid]
    f = registry.get(fid)
    assert name in [o.name for o in f.oracles] and _mismatched(f, name), (
        f"{fid}: oracle {name!r} is gone or agrees with its kind now: remove {fid!r} from "
        f"checks/registry/validate.py _KNOWN_MISMATCHES")


def test_every_registered_entry_passes_validation():
    fs = registry.all_formulas()
    assert len({f.id for f in fs}) == len(fs) > 0
    for f in fs:
        others = {g.id: g for g in fs if g is not f}
        assert validate.problems(f, others) == [], f.id
    # and the property family is what `verify --oracle property` selects: kinds agree outside the known list
    for f in fs:
        for o in f.oracles:
            if validate._KNOWN_MISMATCHES.get(f.id) != o.name:
                assert (o.family == "property") == (o.kind == "property"), (f.id, o.name)


def test_source_in_notes_or_outside():
    assert Source("002", "§7").in_notes and not Source("Kingma & Ba 2015 (arXiv:1412.6980)", "Algorithm 1").in_notes
    with registry.scratch():
        registry.register(good(source=Source("Kingma & Ba 2015 (arXiv:1412.6980)", "Algorithm 1", "θ ← θ − α m̂/(√v̂ + ε)")))
