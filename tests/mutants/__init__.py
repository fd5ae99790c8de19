"""Realistic wrong implementations ("mutants"), one module per contract group.

Each module defines ``MUTANTS``: a list of :class:`Mutant`. The generic test
``tests/meta/test_mutants.py`` proves each one is caught: the formula's checks,
run derandomized, FAIL on it (while ``tests/test_formulas.py`` shows the
reference passes the same checks).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Mutant:
    formula: str                  # formula id
    name: str                     # what is wrong, in a few words
    fn: Callable                  # the wrong implementation
    oracle: str | None = None     # the oracle that must catch it (None: any)
    verdict: str | None = None    # the verdict expected (None: any failure)


def all_mutants() -> list[Mutant]:
    out: list[Mutant] = []
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{__name__}.{m.name}")
        out.extend(getattr(mod, "MUTANTS", []))
    return out
