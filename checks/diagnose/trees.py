"""Comparing and flattening result trees for the diagnosis (numpy only).

Two results are *the same* when they have the same structure (sequences of
the same length, the same dict keys, arrays of the same shape and dtype) and
their numbers agree within a tolerance (nan where nan, inf where inf):
stricter than the grader's judge, which conforms a result to the contract's
types first, because here the question is whether two implementations made
the same mistake, not whether one is acceptable.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from checks.core.compare import Tol


def _is_num(x: Any) -> bool:
    return (isinstance(x, (numbers.Number, np.number)) and not isinstance(x, (bool, np.bool_))) or (
        isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iuf")


def arrays_close(a: np.ndarray, b: np.ndarray, tol: Tol) -> bool:
    """Elementwise |a-b| <= atol + rtol·max(|a|,|b|); nan matches nan, inf matches the same inf."""
    if a.shape != b.shape:
        return False
    if a.dtype.kind not in "fc" and b.dtype.kind not in "fc":
        return bool(np.array_equal(a, b))
    with np.errstate(all="ignore"):
        a = a.astype(np.float64, copy=False)
        b = b.astype(np.float64, copy=False)
        fa, fb = np.isfinite(a), np.isfinite(b)
        if not np.array_equal(fa, fb):
            return False
        if not fa.all():
            nf = ~fa
            if not ((a[nf] == b[nf]) | (np.isnan(a[nf]) & np.isnan(b[nf]))).all():
                return False
            a, b = a[fa], b[fa]
        return bool((np.abs(a - b) <= tol.atol + tol.rtol * np.maximum(np.abs(a), np.abs(b))).all())


def same(a: Any, b: Any, tol: Tol, depth: int = 0) -> bool:
    """Whether two raw results are the same tree with close numbers."""
    if depth > 20:
        return False
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            return False
        return all(same(a[k], b[k], tol, depth + 1) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))) or len(a) != len(b):
            return False
        return all(same(x, y, tol, depth + 1) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) and a.ndim > 0 or isinstance(b, np.ndarray) and b.ndim > 0:
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.dtype != b.dtype:
            return False
        if a.dtype.kind not in "biufc":
            return bool(np.array_equal(a, b))
        return arrays_close(a, b, tol)
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return isinstance(a, (bool, np.bool_)) and isinstance(b, (bool, np.bool_)) and bool(a) == bool(b)
    if _is_num(a) and _is_num(b):
        return arrays_close(np.asarray(a), np.asarray(b), tol)
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:
        return False


def leaves(expected: Any, actual: Any, path: str, names: tuple[str, ...] | None = None):
    """(path, expected leaf, actual leaf or None) for every numeric leaf of ``expected``.

    ``actual`` is followed along ``expected``'s structure (a list may stand for a tuple); where it
    has another structure its leaves are None. Non-numeric leaves (strings, None) are skipped.
    """
    if isinstance(expected, dict):
        for k, v in expected.items():
            sub = actual.get(k) if isinstance(actual, dict) else None
            yield from leaves(v, sub, f"{path}[{k!r}]")
        return
    if isinstance(expected, (list, tuple)):
        ok = isinstance(actual, (list, tuple)) and len(actual) == len(expected)
        for i, v in enumerate(expected):
            p = names[i] if names else f"{path}[{i}]"
            yield from leaves(v, actual[i] if ok else None, p)
        return
    if isinstance(expected, (bool, np.bool_)) or isinstance(expected, str) or expected is None:
        return
    if isinstance(expected, np.ndarray) and expected.dtype.kind not in "iuf":
        return
    if not (isinstance(expected, np.ndarray) or _is_num(expected)):
        return
    e = np.asarray(expected, dtype=np.float64)
    a = None
    if isinstance(actual, np.ndarray) and actual.dtype.kind in "iuf" or (_is_num(actual) and not isinstance(actual, np.ndarray)):
        a = np.asarray(actual, dtype=np.float64)
    yield path, e, a
