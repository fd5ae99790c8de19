"""dropout.* -- dropout with a given mask, standard and inverted (notes 002 §4, 004 "dropout的作用是什么").

``p_keep`` is the keep probability, ``mask`` float64 zeros and ones.
standard: train x⊙m, eval p_keep·x; inverted: train x⊙m/p_keep, eval x.
torch's ``F.dropout(x, p)`` is the inverted convention with the DROP
probability p = 1 - p_keep (documented by tests/test_dropout_extra.py, which
also checks E_mask[train] = eval by enumerating all masks and statistically).

Oracles: torch rebuilds (autograd for the backward), the expectation over
every mask (eval = Σ_m p^k (1-p)^(n-k) train(x, m)), and exact properties:
dropped units give exactly 0, kept units exactly x (standard) or x/p_keep
(inverted), and the backward applies the same diagonal map to dy.
"""

from __future__ import annotations

import numpy as np

import reference.dropout as ref
from checks.core.compare import Tol, Verdict, fail
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, reals, st
from checks.oracles.torchlib import N, T

# ---------------------------------------------------------------- strategies

_shape = st.integers(0, 3).flatmap(lambda nd: st.tuples(*[st.integers(1, 4)] * nd))
_p_keep = st.one_of(st.sampled_from([0.1, 0.5, 0.8, 1.0]), reals(0.05, 1.0))


@st.composite
def _data(draw, shape):
    hi = draw(st.sampled_from([10.0, 1e4]))
    return draw(array(shape, -hi, hi))


@st.composite
def _mask(draw, shape):
    regime = draw(st.sampled_from(["random", "random", "ones", "zeros"]))
    if regime == "ones":
        return np.ones(shape)
    if regime == "zeros":
        return np.zeros(shape)
    return draw(array(shape, elements=st.sampled_from([0.0, 1.0])))


@st.composite
def train_cases(draw, small: bool = False):
    """(x, mask, p_keep, inverted); ``small``: at most 8 elements (all masks enumerable)."""
    shape = draw(_shape if not small else st.integers(0, 2).flatmap(lambda nd: st.tuples(*[st.integers(1, 2 if nd == 2 else 4)] * nd)))
    return Case((draw(_data(shape)), draw(_mask(shape)), draw(_p_keep), draw(st.booleans())))


@st.composite
def eval_cases(draw, small: bool = False):
    c = draw(train_cases(small))
    x, _, p, inv = c.args
    return Case((x, p, inv))


# ---------------------------------------------------------------- oracles


def _t_train(x, mask, p_keep, inverted):
    y = T(x) * T(mask)
    return N(y / p_keep if inverted else y)


def _t_eval(x, p_keep, inverted):
    xt = T(x)
    return N(xt if inverted else xt * p_keep)


def _t_backward(dy, mask, p_keep, inverted):
    """Autograd of the torch rebuild of dropout_train(x, mask) with upstream dy."""
    xt = T(np.zeros_like(np.asarray(dy, dtype=np.float64)), grad=True)
    y = xt * T(mask)
    (y / p_keep if inverted else y).backward(T(dy))
    return N(xt.grad)


def all_masks(n: int) -> np.ndarray:
    """(2^n, n): every 0/1 mask of n units."""
    return ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(np.float64)


def expectation_over_masks(x, p_keep, inverted) -> np.ndarray:
    """E_m[x⊙m (/p_keep)] with m_i ~ Bernoulli(p_keep), summed over all 2^n masks (n <= 12).

    Weight of a mask with k kept units: p^k (1-p)^(n-k) (notes 002 §4: "相当于训练 2^N 个模型").
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    if n > 12:
        raise ValueError(f"expectation_over_masks: {n} units is too many to enumerate (at most 12)")
    M = all_masks(n)
    k = M.sum(axis=1)
    w = p_keep ** k * (1.0 - p_keep) ** (n - k)
    train = x.reshape(1, -1) * M
    if inverted:
        train = train / p_keep
    return (w @ train).reshape(x.shape)


def _prop_train(case, y):
    """Dropped units are exactly 0; kept units are exactly x (standard) or x/p_keep (inverted)."""
    x, mask, p, inv = case.args
    x, mask, y = np.asarray(x), np.asarray(mask), np.asarray(y)
    dropped = (mask == 0) & (y != 0)
    if dropped.any():
        i = np.unravel_index(int(np.flatnonzero(dropped)[0]), y.shape) if y.ndim else ()
        fail(Verdict.PROPERTY, f"dropout_train: unit {tuple(map(int, i))} is dropped (mask 0) but its output is {float(y[i])!r}, not 0")
    want = x / p if inv else x
    kept = (mask == 1) & ~(np.abs(y - want) <= 1e-12 * np.abs(want))
    if kept.any():
        i = np.unravel_index(int(np.flatnonzero(kept)[0]), y.shape) if y.ndim else ()
        conv = "x/p_keep (inverted)" if inv else "x (standard: no scaling at train time)"
        fail(Verdict.PROPERTY, f"dropout_train: kept unit {tuple(map(int, i))} gives {float(y[i])!r}; it must be {conv} = {float(want[i])!r}")


def _prop_backward(case, dx):
    """Dropout is linear and diagonal: dx is the same map applied to dy (0 where dropped, dy or dy/p_keep where kept)."""
    dy, mask, p, inv = case.args
    want = np.asarray(dy) * np.asarray(mask) / (p if inv else 1.0)
    bad = ~(np.abs(np.asarray(dx) - want) <= 1e-12 * np.abs(want))
    if bad.any():
        i = np.unravel_index(int(np.flatnonzero(bad)[0]), want.shape) if want.ndim else ()
        fail(Verdict.PROPERTY, f"dropout_backward: at {tuple(map(int, i))} (mask {float(np.asarray(mask)[i])!r}) dx is"
                               f" {float(np.asarray(dx)[i])!r}; the derivative of the forward map gives {float(want[i])!r}")


# ---------------------------------------------------------------- entries

_TOL = Tol(rtol=1e-12, atol=0.0)
_SRC = Source("004", "dropout的作用是什么 (数学表达); 002 §4 防止过拟合",
              "train x̃ = x·m, m ~ Bernoulli(p_keep); eval scaled by p_keep (standard) -- or train /p_keep (inverted)",
              "x~=x⋅m,m∼Bernoulli(p)")

register(Formula(
    id="dropout.dropout_train",
    source=_SRC,
    reference=ref.dropout_train,
    strategy=train_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_train, description="x*mask (/p_keep) in torch"),
        Oracle("property:kept-and-dropped", _prop_train, kind="property",
               description="0 where dropped; x or x/p_keep where kept, exactly"),
    ),
    points=1, tol=_TOL,
))

register(Formula(
    id="dropout.dropout_eval",
    source=Source("004", "dropout的作用是什么 (推理时); 002 §4 防止过拟合",
                  "eval = p_keep·x (standard) or x (inverted): the expectation of the train output",
                  "不丢节点，输出乘以 ppp 的缩放补偿（保持期望一致）"),
    reference=ref.dropout_eval,
    strategy=eval_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_eval, description="p_keep*x or x in torch"),
        Oracle("brute-force:all-masks", expectation_over_masks, strategy=lambda: eval_cases(small=True),
               tol=Tol(rtol=1e-12, atol=1e-12),
               description="Σ over all 2^n masks of p^k(1-p)^(n-k)·train(x, mask)"),
    ),
    points=1, tol=_TOL,
))

register(Formula(
    id="dropout.dropout_backward",
    source=_SRC,
    reference=ref.dropout_backward,
    strategy=train_cases,  # (dy, mask, p_keep, inverted)
    outputs=("dx",),
    oracles=(
        Oracle("torch", _t_backward, description="autograd of the torch rebuild of dropout_train"),
        Oracle("property:same-diagonal-map", _prop_backward, kind="property",
               description="dx = dy⊙mask (/p_keep): the forward map's own (diagonal) Jacobian"),
    ),
    points=1, tol=_TOL,
))
