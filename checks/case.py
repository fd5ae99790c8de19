"""A generated input (`Case`) and its copy-pastable representation."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def py_repr(v: Any) -> str:
    """Source text that rebuilds ``v`` exactly (arrays with their dtype)."""
    if isinstance(v, np.ndarray):
        body = _list_repr(v.tolist())
        if v.dtype == np.float64:
            return f"np.array({body}, dtype=np.float64)" if v.size == 0 or v.ndim == 0 else f"np.array({body})"
        if v.dtype == np.int64:
            return f"np.array({body}, dtype=np.int64)"
        if v.dtype == np.bool_:
            return f"np.array({body}, dtype=bool)"
        return f"np.array({body}, dtype=np.{v.dtype.name})"
    if isinstance(v, float):
        return _float_repr(v)
    if isinstance(v, np.floating):
        return _float_repr(float(v))
    if isinstance(v, (bool, np.bool_)):
        return repr(bool(v))
    if isinstance(v, (int, np.integer)):
        return repr(int(v))
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {py_repr(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(py_repr(x) for x in v) + "]"
    if isinstance(v, tuple):
        inner = ", ".join(py_repr(x) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    return repr(v)


def _float_repr(x: float) -> str:
    if math.isnan(x):
        return "float('nan')"
    if math.isinf(x):
        return "float('inf')" if x > 0 else "-float('inf')"
    return repr(x)


def _list_repr(x: Any) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_list_repr(e) for e in x) + "]"
    if isinstance(x, float):
        return _float_repr(x)
    return repr(x)


@dataclass
class Case:
    """The positional (and keyword) arguments of one call of a formula."""

    args: tuple
    kwargs: dict = field(default_factory=dict)

    def copy(self) -> "Case":
        return Case(copy.deepcopy(self.args), copy.deepcopy(self.kwargs))

    def call_repr(self, fn_name: str) -> str:
        parts = [py_repr(a) for a in self.args]
        parts += [f"{k}={py_repr(v)}" for k, v in self.kwargs.items()]
        return f"{fn_name}({', '.join(parts)})"

    def __repr__(self) -> str:  # shown by Hypothesis in "Falsifying example"
        return self.call_repr("f")

    def __getitem__(self, i):
        return self.args[i]


def args_equal(a: Any, b: Any) -> bool:
    """Exact equality of argument trees (arrays: same dtype, shape and bits)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(args_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(args_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b
