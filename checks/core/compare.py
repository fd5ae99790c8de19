"""Conforming results to the contract's types and comparing them.

Messages follow ``torch.testing.assert_close``: mismatched count, greatest
absolute and relative difference with their index, the allowed tolerance.
Every failure is a :class:`CheckFailure` carrying a verdict from
:class:`Verdict`; helpers set ``__tracebackhide__`` so pytest shows the
check, not the helper.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from checks.core.verdicts import CheckFailure, Verdict, fail  # noqa: F401  (re-exported: the comparison's vocabulary)


@dataclass(frozen=True)
class Tol:
    """|actual - expected| <= atol + rtol * |expected|, elementwise."""

    rtol: float = 1e-7
    atol: float = 1e-9

    def __post_init__(self):
        for name in ("rtol", "atol"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and v >= 0 and math.isfinite(v)):
                raise ValueError(f"Tol({name}={v!r}): a tolerance must be a finite number >= 0")


def _tname(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"ndarray(dtype={x.dtype}, shape={x.shape})"
    return type(x).__name__


# --------------------------------------------------------------------------
# conform: make the actual result look like the expected one, or fail
# --------------------------------------------------------------------------

def conform(actual: Any, template: Any, where: str) -> Any:
    """Check ``actual`` has the contract's type and shape; return it normalised.

    The template is the expected result. Arrays must be float64 ndarrays of
    the same shape (a float32 array is wrong); scalars may be Python or numpy
    numbers or 0-d arrays; several results may come as a tuple or a list;
    dicts may have extra keys; integer sequences may hold numpy ints.
    """
    __tracebackhide__ = True
    if isinstance(template, np.ndarray):
        if template.ndim == 0 and not isinstance(actual, np.ndarray):
            # a 0-d result may come as a Python float or a numpy float64 scalar
            if isinstance(actual, (float, np.float64)) and not isinstance(actual, bool):
                return np.asarray(actual, dtype=np.float64)
            fail(Verdict.WRONG_TYPE, f"{where}: expected a float64 scalar or 0-d array, got {_tname(actual)}")
        if not isinstance(actual, np.ndarray):
            fail(Verdict.WRONG_TYPE, f"{where}: expected a float64 ndarray of shape {template.shape}, got {_tname(actual)}")
        if actual.dtype != template.dtype:
            fail(Verdict.WRONG_TYPE, f"{where}: expected dtype {template.dtype}, got {actual.dtype} (shape {actual.shape})")
        if actual.shape != template.shape:
            fail(Verdict.WRONG_TYPE, f"{where}: expected shape {template.shape}, got {actual.shape}")
        return np.asarray(actual)
    if isinstance(template, bool):
        if not isinstance(actual, (bool, np.bool_)):
            fail(Verdict.WRONG_TYPE, f"{where}: expected a bool, got {_tname(actual)}")
        return bool(actual)
    if isinstance(template, numbers.Integral):
        if isinstance(actual, (bool, np.bool_)) or not isinstance(actual, (numbers.Integral, np.integer)):
            fail(Verdict.WRONG_TYPE, f"{where}: expected an int, got {_tname(actual)}")
        return int(actual)
    if isinstance(template, numbers.Real):
        if isinstance(actual, np.ndarray) and actual.ndim == 0 and actual.dtype.kind in "fiu":
            return float(actual)
        if isinstance(actual, (bool, np.bool_)) or not isinstance(actual, (numbers.Real, np.floating, np.integer)):
            fail(Verdict.WRONG_TYPE, f"{where}: expected a float scalar, got {_tname(actual)}")
        return float(actual)
    if isinstance(template, dict):
        if not isinstance(actual, dict):
            fail(Verdict.WRONG_TYPE, f"{where}: expected a dict with keys {sorted(template)}, got {_tname(actual)}")
        missing = [k for k in template if k not in actual]
        if missing:
            fail(Verdict.WRONG_TYPE, f"{where}: missing key(s) {missing} (expected keys {list(template)})")
        return {k: conform(actual[k], template[k], f"{where}[{k!r}]") for k in template}
    if isinstance(template, (list, tuple)):
        if isinstance(actual, np.ndarray) and actual.ndim == 1 and actual.dtype.kind in "iu" and all(
            isinstance(t, numbers.Integral) for t in template
        ):
            actual = actual.tolist()
        if not isinstance(actual, (list, tuple)):
            fail(Verdict.WRONG_TYPE, f"{where}: expected a sequence of {len(template)} items, got {_tname(actual)}")
        if len(actual) != len(template):
            fail(Verdict.WRONG_TYPE, f"{where}: expected {len(template)} items, got {len(actual)}")
        return type(template)(conform(a, t, f"{where}[{i}]") for i, (a, t) in enumerate(zip(actual, template)))
    if template is None:
        return actual
    raise TypeError(f"conform: unsupported template type {type(template).__name__} at {where}")


# --------------------------------------------------------------------------
# compare: elementwise, with an assert_close-style message
# --------------------------------------------------------------------------

def _idx(flat: int, shape: tuple) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def assert_close(actual: Any, expected: Any, tol: Tol, where: str, *, quiet: bool = False) -> None:
    """Compare two conformed trees; raise CheckFailure on the first mismatch.

    ``quiet``: the same CheckFailure (same verdict, same cases) without building its message
    (a caller that only asks which outputs are wrong)."""
    __tracebackhide__ = True
    if isinstance(expected, dict):
        for k in expected:
            assert_close(actual[k], expected[k], tol, f"{where}[{k!r}]", quiet=quiet)
        return
    if isinstance(expected, (list, tuple)):
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, tol, f"{where}[{i}]", quiet=quiet)
        return
    if isinstance(expected, (bool, numbers.Integral)) and not isinstance(expected, np.ndarray):
        if actual != expected:
            fail(Verdict.MISMATCH, "" if quiet else f"{where}: expected {expected!r}, got {actual!r}")
        return
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    assert_array_close(a, e, tol, where, quiet=quiet)


def assert_array_close(a: np.ndarray, e: np.ndarray, tol: Tol, where: str, mask: np.ndarray | None = None, *,
                       quiet: bool = False) -> None:
    """Elementwise |a-e| <= atol + rtol|e| (optionally only where ``mask``); ``quiet``: no message."""
    __tracebackhide__ = True
    if a.shape != e.shape:
        fail(Verdict.WRONG_TYPE, "" if quiet else f"{where}: expected shape {e.shape}, got {a.shape}")
    diff = allowed = None
    if mask is None:  # the common case, cheaply: every element within tolerance (a NaN anywhere is not)
        with np.errstate(all="ignore"):
            diff = np.abs(a - e)
            allowed = tol.atol + tol.rtol * np.abs(e)
            if (diff <= allowed).all():
                return
    fin_e = np.isfinite(e)
    all_fin = bool(fin_e.all())
    bad_nf = ~np.isfinite(a) & fin_e
    if mask is not None:
        bad_nf &= mask
    if bad_nf.any():
        if quiet:
            fail(Verdict.NONFINITE, "")
        i = _idx(int(np.flatnonzero(bad_nf)[0]), a.shape)
        fail(
            Verdict.NONFINITE,
            f"{where}: {int(bad_nf.sum())} non-finite value(s) (nan/inf) where finite values were expected;"
            f" first at index {i}: got {a[i]!r}, expected {e[i]!r}",
        )
    with np.errstate(all="ignore"):
        if not all_fin:
            diff = np.abs(a - e)
            diff = np.where(fin_e, diff, np.where((a == e) | (np.isnan(a) & np.isnan(e)), 0.0, np.inf))
            allowed = tol.atol + tol.rtol * np.abs(np.where(fin_e, e, 0.0))
        elif diff is None:  # every expected value finite: the same numbers without the where()s
            diff = np.abs(a - e)
            allowed = tol.atol + tol.rtol * np.abs(e)
        bad = diff > allowed
        if mask is not None:
            bad &= mask
        if not bad.any():
            return
        if quiet:
            fail(Verdict.MISMATCH, "")
        rel = np.where(np.abs(e) > 0, diff / np.abs(e), np.where(diff > 0, np.inf, 0.0))
    # the summary is computed among the violations only (as torch and numpy report it):
    # an element within tolerance is never named as the worst
    n_bad, n = int(bad.sum()), int(bad.size)
    ia = _idx(int(np.argmax(np.where(bad, diff, -1.0))), a.shape)
    ir = _idx(int(np.argmax(np.where(bad, rel, -1.0))), a.shape)
    msg = (
        f"{where}: values are not close!\n"
        f"  Mismatched elements: {n_bad} / {n} ({100.0 * n_bad / n:.1f}%)\n"
        f"  Greatest absolute difference: {float(diff[ia]):.6g} at index {ia} (up to {tol.atol:g} allowed)\n"
        f"  Greatest relative difference: {float(rel[ir]):.6g} at index {ir} (up to {tol.rtol:g} allowed)\n"
        f"  At index {ia}: got {float(a[ia])!r}, expected {float(e[ia])!r}"
    )
    fail(Verdict.MISMATCH, msg)


def max_abs_error(actual: Any, expected: Any) -> float:
    """Worst absolute difference over two conformed trees (0 for exact leaves)."""
    if isinstance(expected, dict):
        return max((max_abs_error(actual[k], expected[k]) for k in expected), default=0.0)
    if isinstance(expected, (list, tuple)):
        return max((max_abs_error(a, e) for a, e in zip(actual, expected)), default=0.0)
    if isinstance(expected, (bool, numbers.Integral)) and not isinstance(expected, np.ndarray):
        return 0.0 if actual == expected else math.inf
    with np.errstate(all="ignore"):
        d = np.abs(np.asarray(actual, dtype=np.float64) - np.asarray(expected, dtype=np.float64))
    return float(np.max(d)) if d.size else 0.0


def assert_between(a: np.ndarray, lo: np.ndarray, hi: np.ndarray, tol: Tol, where: str, mask: np.ndarray) -> None:
    """Where ``mask``: lo - slack <= a <= hi + slack (a subgradient interval at a kink)."""
    __tracebackhide__ = True
    lo_, hi_ = np.minimum(lo, hi), np.maximum(lo, hi)
    slack = tol.atol + tol.rtol * np.maximum(np.abs(lo_), np.abs(hi_))
    with np.errstate(invalid="ignore"):
        bad = mask & ~((a >= lo_ - slack) & (a <= hi_ + slack))
    if bad.any():
        i = tuple(int(j) for j in np.unravel_index(int(np.flatnonzero(bad)[0]), a.shape))
        fail(
            Verdict.MISMATCH,
            f"{where}: {int(bad.sum())} value(s) at a kink outside the subgradient interval;"
            f" at index {i}: got {float(a[i])!r}, allowed [{float(lo_[i])!r}, {float(hi_[i])!r}]",
        )
