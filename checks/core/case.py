"""A generated input (`Case`) and its copy-pastable representation."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from checks.core.wire import Opaque


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


def same(a: Any, b: Any) -> bool:
    """The one in-place rule: is ``b`` (the argument after the call) exactly ``a`` (before it)?

    Arrays compare by dtype, shape and bytes (writing -0.0 over 0.0 is a
    change; a NaN stays the same NaN); floats by value (NaN equals NaN);
    containers item by item, dict keys in order. In the sandbox, ``b`` is the
    runner's echo decoded from the wire: an object the wire does not carry
    (a ``grad_fn``) arrives as :class:`~checks.core.wire.Opaque` and is not
    compared; in process, such objects compare with their own ``==``.
    Used by the in-process runner and by the sandbox's supervisor alike.
    """
    if isinstance(b, Opaque):
        return not isinstance(a, (np.ndarray, list, tuple, dict, float, int, str, bytes, complex, bool, type(None)))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return isinstance(b, float) and (a == b or (a != a and b != b))
    if isinstance(a, np.generic):
        return isinstance(b, np.generic) and a.dtype == b.dtype and a.tobytes() == b.tobytes()
    return type(a) is type(b) and a == b
