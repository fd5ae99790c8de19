"""SymPy oracles: derive once, lambdify with ``cse=True``, cache per size.

Never ``simplify`` (BatchNorm N=3 takes 1-2 s to simplify); keep symbolic
sizes at 4 or below. :data:`DERIVATION_SECONDS` records what each derivation
cost the first time (``formulacheck verify --timings`` prints it).
"""

from __future__ import annotations

import functools
import time
from typing import Callable

DERIVATION_SECONDS: dict[str, float] = {}


def derivation(fn: Callable) -> Callable:
    """Cache a derivation ``fn(*sizes) -> lambdified callable`` per argument tuple and time its first call."""

    @functools.cache
    def wrapper(*key):
        t0 = time.perf_counter()
        out = fn(*key)
        DERIVATION_SECONDS[f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}{key}"] = time.perf_counter() - t0
        return out

    wrapper.__wrapped__ = fn
    wrapper.__name__ = fn.__name__
    return wrapper


def lambdify(args, expr):
    import sympy

    return sympy.lambdify(args, expr, modules="numpy", cse=True)


def symbols(prefix: str, n: int):
    import sympy

    return list(sympy.symbols(f"{prefix}0:{n}", real=True))
