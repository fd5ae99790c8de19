"""Held-out mistakes: realistic student bugs written apart from the library, to measure the diagnosis.

Each module ``tests/heldout/<group>.py`` defines ``HELDOUT``: a list of :class:`Heldout`, a wrong
implementation written in its own style (loops, other numpy calls, another order of operations)
and the truth for scoring:

- a library id ``<formula>:<function>`` (:mod:`checks.mistakes`) when it is the same conceptual
  mistake as a library entry, written differently;
- ``generic:<relation>`` when the library does not know it but a generic relation explains it
  (:mod:`checks.diagnose.relations`: factor-N, factor-1/N, sign, factor-2, transposed,
  outputs-swapped, blocks-permuted, ...);
- ``unknown`` when nothing should be named (the right answer is no diagnosis).

Nothing here is used to build the library (tests/diagnose/test_heldout.py measures it).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Heldout:
    formula: str
    name: str
    fn: Callable
    truth: str        # a library mistake id, "generic:<relation>" or "unknown"


def all_heldout() -> list[Heldout]:
    out: list[Heldout] = []
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        out.extend(importlib.import_module(f"{__name__}.{m.name}").HELDOUT)
    return out
