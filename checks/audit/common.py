"""Helpers shared by the audit's entry modules: truths from the reference,
small strategies, torch helpers, FLOP measurement and power-law fits."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from checks.audit.model import Tol, Truth, Unavailable
from checks.strategies import Case, array, reals, st
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


def truth(name: str) -> Callable[[Callable], Truth]:
    """Decorator: ``@truth("torch autograd") def f(...)`` -> a :class:`Truth`."""

    def deco(fn: Callable) -> Truth:
        return Truth(name, fn)

    return deco


TIGHT = Tol(rtol=1e-9, atol=1e-11)
LOOSE = Tol(rtol=1e-6, atol=1e-9)
EXPONENT = Tol(rtol=0.0, atol=0.1)  # fitted exponents vs claimed ones
EXACT = Tol(rtol=0.0, atol=0.0)


# ------------------------------------------------------------------ math


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def tnp(*arrays, grad=False):
    return tuple(T(a, grad=grad) for a in arrays)


# ------------------------------------------------------------------ strategies


def small(lo=-3.0, hi=3.0):
    return reals(lo, hi)


@st.composite
def arrays(draw, *shapes, lo=-3.0, hi=3.0):
    return tuple(draw(array(s, lo, hi)) for s in shapes)


def cases(builder: Callable) -> Callable[[], Any]:
    """``builder(draw) -> tuple of args`` -> a zero-arg strategy factory of Case."""

    @st.composite
    def strat(draw):
        out = builder(draw)
        return out if isinstance(out, Case) else Case(tuple(out))

    return lambda: strat()


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


def grad_of(f_t: Callable, *arrays_, wrt: int | tuple = 0, upstream=None):
    """autograd: gradient(s) of sum(upstream * f(*tensors)) w.r.t. the chosen arguments."""
    tt = [T(a, grad=True) for a in arrays_]
    out = f_t(*tt)
    up = T(upstream) if upstream is not None else torch().ones_like(out)
    (out * up).sum().backward()
    if isinstance(wrt, int):
        return N(tt[wrt].grad)
    return tuple(N(tt[i].grad) for i in wrt)


def jacobian(f_t: Callable, x, *rest) -> np.ndarray:
    """d f(x, *rest) / d x (torch.autograd.functional.jacobian), numpy."""
    tch = torch()
    xs = T(x)
    others = [T(r) for r in rest]
    J = tch.autograd.functional.jacobian(lambda a: f_t(a, *others), xs)
    return N(J)
