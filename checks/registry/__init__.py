"""The formula registry: one :class:`Formula` entry per formula id.

An entry declares everything about a formula -- where it comes from in the
notes, the reference function, the oracles it is checked against, how its
inputs are drawn, how its outputs are compared, and its points. Generic,
parametrized checks (``tests/test_formulas.py``, ``formulacheck verify``,
the grader) consume the entries; adding a formula touches one group module
in ``checks/formulas/`` (and its reference function); ``register`` validates
the entry (``validate.py``) and the student template is generated from the
registry (``template.py``).
"""

from __future__ import annotations

import importlib
import pkgutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Literal

from checks.core.compare import Tol
from checks.registry import validate
from checks.registry.validate import RegistrationError  # noqa: F401  (re-exported)

GROUP_ORDER = (
    "activations", "reductions", "softmax", "logistic", "conv",
    "rnn", "lstm", "gru",
    "clip", "residual", "dropout", "norm", "pool", "embedding",
    "optim", "attention", "decode", "hsoftmax", "init",
)


@dataclass(frozen=True)
class Source:
    """Where the formula comes from.

    In the notes: ``file`` is the notes file's number ("001".."004"),
    ``section`` its heading (or question number), ``equation`` the formula as
    the notes write it, ``quote`` a line copied verbatim. From outside the
    notes: ``file`` names the work (author, year, title or arXiv id),
    ``section`` the place in it (a section, an algorithm, an equation number).
    """

    file: str
    section: str
    equation: str = ""
    quote: str = ""

    @property
    def in_notes(self) -> bool:
        """True when ``file`` is a notes file number ("002"), False for an outside source."""
        return len(self.file) == 3 and self.file.isdigit()

    def __str__(self) -> str:
        s = f"{self.file} {self.section}"
        return f"{s}, {self.equation}" if self.equation else s


@dataclass(frozen=True)
class Oracle:
    """An independent source of truth for a formula.

    kind "value": ``fn(*args, **kwargs)`` returns the expected result, in the
    contract's structure, as numpy (e.g. rebuilt with torch and
    differentiated by autograd, or lambdified from SymPy).
    kind "property": ``fn(case, result)`` raises ``CheckFailure`` (through
    ``checks.core.compare.fail``) when the result violates a property that an
    oracle would not show (rows sum to one, weights on tied maxima...).

    ``strategy`` overrides the formula's input strategy (SymPy oracles draw
    small sizes); ``tol`` overrides the formula's tolerance.
    """

    name: str
    fn: Callable[..., Any]
    kind: Literal["value", "property"] = "value"
    strategy: Callable[[], Any] | None = None
    tol: Tol | None = None
    description: str = ""

    @property
    def family(self) -> str:
        return self.name.split(":", 1)[0]


@dataclass(frozen=True)
class Formula:
    """One formula id of the student contract.

    ``compare(case, actual, expected, tol, where)``, when given, replaces the
    elementwise comparison of a value oracle's result (subgradients at ties
    and kinks, order-free results); it receives the conformed results.
    """

    id: str
    source: Source
    reference: Callable[..., Any]
    strategy: Callable[[], Any]
    outputs: tuple[str, ...]
    oracles: tuple[Oracle, ...]
    points: float = 1.0
    tol: Tol = field(default_factory=Tol)
    compare: Callable[..., None] | None = None
    fresh_outputs: bool = False
    examples_scale: float = 1.0
    summary: str = ""

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def fn_name(self) -> str:
        return self.id.split(".", 1)[1]

    def oracle(self, name: str) -> Oracle:
        for o in self.oracles:
            if o.name == name:
                return o
        raise KeyError(f"formula {self.id!r} has no oracle {name!r}; it has {[o.name for o in self.oracles]}")

    def families(self) -> list[str]:
        out: list[str] = []
        for o in self.oracles:
            if o.family not in out:
                out.append(o.family)
        return out


_REGISTRY: dict[str, Formula] = {}
_loaded = False


def register(f: Formula) -> Formula:
    """Add ``f`` to the registry, or raise :class:`RegistrationError` naming every problem of the entry.

    The checks (``checks.registry.validate``): the id is '<group>.<function
    name>', both identifiers, and new; the reference is the contract's
    function (its name, an inspectable signature with literal defaults, a
    docstring: the template is generated from them); at least one oracle, with
    names unique in the entry and kind "property" exactly when the family
    (the name before ':') is 'property'; outputs a non-empty tuple of distinct
    names; strategy and compare callable; points >= 0 and examples_scale > 0,
    finite; tol a Tol; source a Source.
    """
    errs = validate.problems(f, _REGISTRY)
    if errs:
        raise validate.RegistrationError(getattr(f, "id", None), errs)
    _REGISTRY[f.id] = f
    return f


@contextmanager
def scratch() -> Iterator[dict[str, Formula]]:
    """Inside the block the registry is a fresh, empty one (for tests).

    ``register``, ``get``, ``all_formulas``, ``groups``, ``select`` and
    ``checks.registry.template.render_template`` see only the entries
    registered inside the block; the real registry is loaded before and put
    back after, untouched.
    """
    global _REGISTRY
    _load()  # the group modules register into the real registry, never into the scratch one
    saved, _REGISTRY = _REGISTRY, {}
    try:
        yield _REGISTRY
    finally:
        _REGISTRY = saved


def _load() -> None:
    global _loaded
    if _loaded:
        return
    import checks.formulas as pkg

    for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not m.name.startswith("_"):
            importlib.import_module(f"checks.formulas.{m.name}")
    _loaded = True


def _order(f: Formula) -> tuple:
    g = f.group
    return (GROUP_ORDER.index(g) if g in GROUP_ORDER else len(GROUP_ORDER), g)


def all_formulas() -> list[Formula]:
    """Every registered formula, groups in the contract's order, ids in registration order."""
    _load()
    items = list(_REGISTRY.values())
    return sorted(items, key=_order)  # stable: keeps registration order inside a group


def groups() -> list[str]:
    out: list[str] = []
    for f in all_formulas():
        if f.group not in out:
            out.append(f.group)
    return out


def get(formula_id: str) -> Formula:
    _load()
    try:
        return _REGISTRY[formula_id]
    except KeyError:
        raise KeyError(
            f"unknown formula id {formula_id!r}; `formulacheck list` shows the {len(_REGISTRY)} known ids"
        ) from None


def select(group: str | None = None, ids: list[str] | None = None) -> list[Formula]:
    """Formulas of a group and/or with the given ids (errors name the unknown value)."""
    fs = all_formulas()
    if group is not None:
        known = groups()
        for g in group.split(","):
            if g not in known:
                raise ValueError(f"--group {g!r}: no such group; choose from {', '.join(known)}")
        gs = group.split(",")
        fs = [f for f in fs if f.group in gs]
    if ids:
        for i in ids:
            get(i)
        fs = [f for f in fs if f.id in ids]
    return fs
