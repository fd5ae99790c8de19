"""Helpers shared by the audit's entry modules (:mod:`checks.audit.notes`): truths
from the reference, tolerances, small strategies, one torch.optim step, FLOP
measurement and power-law fits."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from checks.audit.model import Tol, Truth, Unavailable
from checks.strategies import Case, array, st
from checks.oracles.torchlib import N, T, torch


def R(name: str) -> Callable:
    """``reference.<name>``, or :class:`Unavailable` if that group is not written yet."""
    try:
        import reference
    except Exception as e:  # pragma: no cover - the reference package always imports
        raise Unavailable(f"reference: {e}") from e
    f = getattr(reference, name, None)
    if f is None:
        raise Unavailable(f"reference.{name}")
    return f


def ref(name: str, adapt: Callable[[Callable], Callable] | None = None, label: str | None = None) -> Truth:
    """A truth from the verified reference (``adapt`` turns the contract's call into the entry's signature)."""

    def fn(*a, **k):
        f = R(name)
        try:
            return (adapt(f) if adapt else f)(*a, **k)
        except NotImplementedError as e:
            raise Unavailable(f"reference.{name}") from e

    return Truth(label or f"reference.{name}", fn)


TIGHT = Tol(rtol=1e-9, atol=1e-11)
LOOSE = Tol(rtol=1e-6, atol=1e-9)
EXPONENT = Tol(rtol=0.0, atol=0.1)  # fitted exponents vs claimed ones
EXACT = Tol(rtol=0.0, atol=0.0)

#: "eps -> 0" where the reference requires eps > 0: sqrt(s + 1e-300) == sqrt(s) in float64 for s > 1e-284
EPS0 = 1e-300


# ------------------------------------------------------------------ math


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ------------------------------------------------------------------ strategies


def ints(lo: int, hi: int):
    return st.integers(lo, hi)


def vec(d: int, lo: float = -3.0, hi: float = 3.0):
    """A float64 vector of length ``d`` with entries in [lo, hi]."""
    return array((d,), lo, hi)


def vector_cases(lo: float, hi: float) -> Callable[[], Any]:
    """A zero-arg strategy factory of ``Case((x,))``, x a vector of length 1..4 in [lo, hi]."""
    return lambda: array(st.tuples(ints(1, 4)), lo, hi).map(lambda x: Case((x,)))


# ------------------------------------------------------------------ torch.optim


def torch_opt(cls: str, theta, grad, state: dict | None = None, **kw):
    """One step of torch.optim.<cls> from the given state; returns (theta, state as numpy)."""
    tch = torch()
    p = tch.nn.Parameter(T(theta))
    opt = getattr(tch.optim, cls)([p], **kw)
    if state:
        st_ = opt.state[p]
        for k, v in state.items():
            st_[k] = tch.tensor(float(v)) if k == "step" else T(v)
    p.grad = T(grad)
    opt.step()
    return N(p), {k: (N(v) if hasattr(v, "detach") and v.dim() > 0 else v) for k, v in opt.state[p].items() if k != "step"}


# ------------------------------------------------------------------ FLOPs


def flops(fn: Callable[[], Any]) -> int:
    """FLOPs torch counts (``torch.utils.flop_counter.FlopCounterMode``) for running ``fn`` once."""
    torch()
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        fn()
    return int(fc.get_total_flops())


def fit_exponents(samples: list[tuple[dict[str, float], float]]) -> dict[str, float]:
    """Least-squares fit of log cost = sum_v a_v log v + c over ``samples`` [(sizes, cost)]."""
    names = sorted(samples[0][0])
    A = np.array([[math.log(s[v]) for v in names] + [1.0] for s, _ in samples])
    y = np.array([math.log(c) for _, c in samples])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return {v: round(float(a), 3) for v, a in zip(names, coef[:-1])}


def sweep(cost: Callable[..., float], grid: dict[str, list[int]], fixed: dict[str, int] | None = None) -> list[tuple[dict, float]]:
    """Vary one size at a time around the base point (the first value of each list), plus the base."""
    base = {k: v[0] for k, v in grid.items()}
    pts = [dict(base)]
    for k, vals in grid.items():
        for v in vals[1:]:
            p = dict(base)
            p[k] = v
            pts.append(p)
    out = []
    for p in pts:
        out.append((p, float(cost(**p, **(fixed or {})))))
    return out
