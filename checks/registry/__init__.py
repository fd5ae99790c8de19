"""The formula registry: one :class:`Formula` entry per formula id.

An entry declares everything about a formula -- where it comes from in the
notes, the reference function, the oracles it is checked against, how its
inputs are drawn, how its outputs are compared, and its points. Generic,
parametrized checks (``tests/test_formulas.py``, ``formulacheck verify``,
the grader) consume the entries; adding a formula touches one group module
in ``checks/formulas/``.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from checks.core.compare import Tol

GROUP_ORDER = (
    "activations", "reductions", "softmax", "logistic", "conv",
    "rnn", "lstm", "gru",
    "clip", "residual", "dropout", "norm", "pool", "embedding",
    "optim", "attention", "decode", "hsoftmax", "init",
)


@dataclass(frozen=True)
class Source:
    """Where the formula stands in the notes: file number, section, equation, quoted line."""

    file: str
    section: str
    equation: str = ""
    quote: str = ""

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
    if "." not in f.id:
        raise ValueError(f"formula id {f.id!r} must be '<group>.<function name>'")
    if f.id in _REGISTRY:
        raise ValueError(f"formula id {f.id!r} is registered twice")
    if not f.oracles:
        raise ValueError(f"formula {f.id!r} declares no oracle: a formula nothing checks is a defect")
    if f.points < 0:
        raise ValueError(f"formula {f.id!r}: points={f.points!r} must be >= 0")
    _REGISTRY[f.id] = f
    return f


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
