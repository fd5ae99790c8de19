"""A library of known mistakes: per formula, realistic wrong implementations that explain a failure.

One module per contract group (``checks/mistakes/<group>.py``, the groups of
``checks/formulas``). Each defines ``MISTAKES``: a list of plain tuples

    (formula id, name, function, description, hint)            or
    (formula id, name, function, description, hint, {"oracle": ..., "verdict": ...})

- the function is a trusted numpy implementation with the formula's signature,
  wrong in exactly the way the description says;
- the description is one sentence a student understands (what is wrong);
- the hint points at the idea without giving the solution;
- the optional dict names the oracle that must catch it and the verdict
  expected (``tests/meta/test_mutants.py``). A function listed again with
  another oracle repeats the entry with an empty description: it inherits
  the first one's texts (one library entry per function).

The group modules import nothing from ``checks`` or ``tests`` (numpy, the
standard library and ``reference`` only), so a module's source can be
embedded in a one-file submission (``tests/meta/test_one_pipeline.py``).

:mod:`checks.diagnose` runs a failing formula's mistakes on the grading
cases and names the one whose outputs match the submission's. The meta-tests
(``tests/grader/test_mutants_on_vectors.py``, ``tests/meta/test_mutants.py``,
through ``tests.mutants``) prove every entry is caught by the checks.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable


class MistakeError(ValueError):
    """A malformed library entry (a bug of ours: the message names the entry)."""


@dataclass(frozen=True)
class Mistake:
    formula: str                  # formula id
    name: str                     # what is wrong, in a few words (the meta-tests' id)
    fn: Callable                  # the wrong implementation (trusted numpy code)
    description: str = ""         # one sentence for the student: what is wrong
    hint: str = ""                # where to look, without the solution
    oracle: str | None = None     # the oracle that must catch it (None: any)
    verdict: str | None = None    # the verdict expected (None: any failure)

    @property
    def id(self) -> str:
        """Stable machine id: ``<formula id>:<function name>`` (FormulaResult.mistakes)."""
        return f"{self.formula}:{self.fn.__name__}"

    @property
    def group(self) -> str:
        return self.formula.split(".", 1)[0]


def groups() -> list[str]:
    """The group modules of the library, sorted (private modules excluded)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def _entries(group: str) -> list[Mistake]:
    mod = importlib.import_module(f"{__name__}.{group}")
    out: list[Mistake] = []
    texts: dict[str, tuple[str, str]] = {}
    for k, t in enumerate(getattr(mod, "MISTAKES", [])):
        if not isinstance(t, tuple) or len(t) not in (5, 6):
            raise MistakeError(f"checks/mistakes/{group}.py MISTAKES[{k}]: expected (formula, name, fn, description, "
                               f"hint[, {{oracle, verdict}}]), got {str(t)[:80]}")
        formula, name, fn, desc, hint = t[:5]
        extra = t[5] if len(t) == 6 else {}
        m = Mistake(formula, name, fn, desc, hint, extra.get("oracle"), extra.get("verdict"))
        if not formula.startswith(group + "."):
            raise MistakeError(f"checks/mistakes/{group}.py: {name!r} is for {formula}, not a formula of group {group}")
        if desc or hint:
            if m.id in texts:
                raise MistakeError(f"checks/mistakes/{group}.py: {m.id} has its texts twice ({name!r})")
            texts[m.id] = (desc, hint)
        out.append(m)
    for i, m in enumerate(out):
        if not (m.description and m.hint):
            if m.id not in texts:
                raise MistakeError(f"checks/mistakes/{group}.py: {m.id} ({m.name!r}) has no description and hint")
            d, h = texts[m.id]
            out[i] = Mistake(m.formula, m.name, m.fn, m.description or d, m.hint or h, m.oracle, m.verdict)
    return out


@functools.cache
def all_entries() -> tuple[Mistake, ...]:
    """Every listed entry, in group order (a function listed for two oracles appears twice)."""
    return tuple(m for g in groups() for m in _entries(g))


@functools.cache
def _by_formula() -> dict[str, tuple[Mistake, ...]]:
    out: dict[str, dict[str, Mistake]] = {}
    for m in all_entries():
        out.setdefault(m.formula, {}).setdefault(m.id, m)
    return {k: tuple(v.values()) for k, v in out.items()}


def for_formula(formula_id: str) -> tuple[Mistake, ...]:
    """The distinct mistakes of one formula (one per function), in library order."""
    return _by_formula().get(formula_id, ())


def get(mistake_id: str) -> Mistake:
    """The library entry of an id ``<formula id>:<function name>``."""
    formula = mistake_id.rsplit(":", 1)[0]
    for m in for_formula(formula):
        if m.id == mistake_id:
            return m
    known = ", ".join(m.id for m in for_formula(formula)) or "none"
    raise MistakeError(f"no known mistake {mistake_id!r} (known for {formula}: {known})")
