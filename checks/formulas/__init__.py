"""Formula entries, one module per contract group: ``register(Formula(...))`` and short glue.

The code the entries name lives elsewhere:

- ``checks/strategies/<group>.py``: input strategies (Hypothesis);
- ``checks/oracles/<group>.py``: value oracles (torch / SymPy rebuilds, brute force);
- ``checks/judges/<topic>.py``: custom comparisons and property oracles (numpy/scipy
  only: they run at judge time, where torch, SymPy and Hypothesis may be blocked).

Loading the registry imports neither torch, SymPy nor Hypothesis: an entry names
its strategies through :class:`Strategies`, which imports the strategies module
when a strategy is first built (``formula.strategy()``).
"""

from __future__ import annotations

import importlib
from typing import Any, Callable


class LazyStrategy:
    """``checks.strategies.<group>.<name>``, imported when called (a zero-argument strategy factory, or
    a strategy function called with its arguments)."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args: Any, **kwargs: Any):
        return getattr(importlib.import_module(self.module), self.name)(*args, **kwargs)

    @property
    def __name__(self) -> str:  # noqa: A003  (listings print strategies by name)
        return self.name

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


class Strategies:
    """The strategies of one group, by attribute: ``S = Strategies("decode"); S.beam_cases`` is a
    :class:`LazyStrategy` (one object per name, so oracles sharing a strategy share its draws)."""

    def __init__(self, group: str):
        self._module = f"checks.strategies.{group}"
        self._made: dict[str, LazyStrategy] = {}

    def __getattr__(self, name: str) -> LazyStrategy:
        if name.startswith("__"):
            raise AttributeError(name)
        if name not in self._made:
            self._made[name] = LazyStrategy(self._module, name)
        return self._made[name]


def moved(*modules: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving names that used to live in a group module (strategies,
    oracles, judges) from their new ``modules``, imported on first use: old imports keep working."""

    def __getattr__(name: str) -> Any:
        for m in modules:
            mod = importlib.import_module(m)
            if hasattr(mod, name):
                return getattr(mod, name)
        raise AttributeError(f"module has no attribute {name!r} (looked in {', '.join(modules)})")

    return __getattr__
