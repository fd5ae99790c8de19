"""Correct implementations written differently from the reference ("variants"), one module per
contract group: the counterpart of ``tests/mutants``.

Loops instead of vectorisation, other algorithms (tanh-form and clipped sigmoids, 1/cosh², logsumexp
forms, the staged batch-norm backward, torch.optim's order of operations), other valid tie-breaks and
subgradients, other summation orders, the one-pass variance, and every type the contract allows
(tuple instead of list, numpy scalar or 0-d array instead of float, np.int64, extra dict keys, an
argument returned unchanged where the result equals it). Only numpy and the standard library: the
grading environment has no scipy (``_special.py`` holds the stand-ins).

Each module defines ``VARIANTS``: a list of :class:`Variant`. The generic test
``tests/meta/test_correct_variants.py`` proves each one gets full marks: every oracle of its formula
(derandomized ``grade`` profile) and the grader's own fixed cases pass it. A failure there is a
correct submission losing points.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Variant:
    formula: str                  # formula id
    name: str                     # how it differs from the reference, in a few words
    fn: Callable                  # the correct implementation


def variant_modules() -> list:
    """The group modules, sorted by name (``_special`` and other private modules excluded)."""
    return [importlib.import_module(f"{__name__}.{m.name}")
            for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name) if not m.name.startswith("_")]


def all_variants() -> list[Variant]:
    out: list[Variant] = []
    for mod in variant_modules():
        out.extend(getattr(mod, "VARIANTS", []))
    return out
