"""Audit of notes 002 (study notes), ``002_1feb5fa5caddec6d.md``:
§3 梯度消失/爆炸: sigmoid saturation, leaky ReLU and PReLU, and the W^n of
the RNN (general W, symmetric W, growth)."""

from __future__ import annotations

import numpy as np

from checks.audit.common import LOOSE, TIGHT, ints
from checks.audit.model import FILES, collector, Truth
from checks.strategies import Case, array, reals, st
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["002"])


# =====================================================================
# §3 gradients vanishing / exploding
# =====================================================================


def _saturation_truth():
    import sympy
    x = sympy.Symbol("x", real=True)
    ds = sympy.diff(1 / (1 + sympy.exp(-x)), x)
    dt = sympy.diff(sympy.tanh(x), x)
    return {k: float(sympy.limit(e, x, s)) for k, e, s in
            (("sigmoid' at +∞", ds, sympy.oo), ("sigmoid' at -∞", ds, -sympy.oo), ("tanh' at +∞", dt, sympy.oo), ("tanh' at -∞", dt, -sympy.oo))}


entry(
    id="002.3.saturation", location="§3 激活函数导致的梯度消失 (line 94)",
    quote="sigmoid/Tanh : 值过大或者过小时, 梯度为 0, 梯度消失",
    claim="The sigmoid's and tanh's derivatives tend to 0 for large |x|.",
    as_written=lambda: {"sigmoid' at +∞": 0.0, "sigmoid' at -∞": 0.0, "tanh' at +∞": 0.0, "tanh' at -∞": 0.0},
    correct=(Truth("SymPy limits", _saturation_truth),), checked="SymPy limits x -> ±∞", tol=TIGHT, topics=("sigmoid", "tanh"),
)


@st.composite
def _x_a(draw):
    return Case((draw(array(st.tuples(ints(1, 4)), -5, 5)), draw(reals(0.0, 1.0))))


entry(
    id="002.3.leaky_relu", location="§3 (line 100)",
    quote="leaky Relu: 正时相同。为负时, y = ax",
    claim="Leaky ReLU: y = x for x > 0, ax for x < 0.",
    as_written=lambda x, a: np.where(x > 0, x, a * x),
    correct=(Truth("torch F.leaky_relu", lambda x, a: N(F().leaky_relu(T(x), negative_slope=a))),),
    strategy=lambda: _x_a(), tol=TIGHT, checked="x (n,), n<=4, in [-5,5]; a in [0,1]", topics=("relu",),
)


@st.composite
def _prelu_cases(draw):
    n, c, l = draw(ints(1, 2)), draw(ints(1, 3)), draw(ints(1, 3))
    return Case((draw(array((n, c, l), -5, 5)), draw(array((c,), 0, 1))))


entry(
    id="002.3.prelu", location="§3 (line 102)",
    quote="P-Relu: 正时相同。为负时, y = ax. a 学习得到",
    claim="PReLU: y = x for x > 0, a x for x < 0 with a learned (per channel).",
    as_written=lambda x, a: np.where(x > 0, x, a[None, :, None] * x),
    correct=(Truth("torch F.prelu", lambda x, a: N(F().prelu(T(x), T(a)))),),
    strategy=lambda: _prelu_cases(), tol=TIGHT, checked="x (N,C,L) <= (2,3,3) in [-5,5], a (C,) in [0,1]", topics=("relu",),
)


def _wn_as_written(W, n):
    """W^n = QΛQ^T * QΛQ^T * ... = Q Λ^n Q^T, Q the (unit) eigenvectors of W (orthonormal ones when W is symmetric)."""
    if np.array_equal(W, W.T):
        lam, Q = np.linalg.eigh(W)
    else:
        lam, Q = np.linalg.eig(W)
    return Q @ np.diag(lam ** n) @ Q.T


def _wn_torch(W, n):
    return N(torch().linalg.matrix_power(T(W), n))


@st.composite
def _wn_cases(draw, symmetric=False):
    d = draw(ints(1, 3))
    W = draw(array((d, d), elements=st.integers(-3, 3).map(float)))
    if symmetric:
        W = np.triu(W) + np.triu(W, 1).T
    return Case((W, draw(ints(1, 4))))


entry(
    id="002.3.Wn_general", location="§3 rnn 导致的梯度消失/爆炸, W^n (line 114)",
    quote="W^n = QAQ^T * QAQ^T * QAQ^T … = Q * A^n * Q^T",
    claim="For the recurrent matrix W, W^n = Q Λ^n Q^T with Q its eigenvectors (any W).",
    as_written=_wn_as_written,
    correct=(Truth("torch.linalg.matrix_power", _wn_torch),),
    strategy=lambda: _wn_cases(), tol=LOOSE,
    checked="W (d,d), d in 1..3, integer entries in [-3,3] (any W), n in 1..4",
    correction="W = QΛQ^T with Q orthogonal (Q^T = Q^{-1}) only for symmetric W (spectral theorem); then W^n = QΛ^nQ^T. For a diagonalizable non-symmetric W, W^n = QΛ^nQ^{-1} (Q not orthogonal, Λ possibly complex); a defective W needs its Jordan form. The growth is then governed by |λ|^n but with transient growth from the non-orthogonal Q.",
    topics=("Wn",),
)

entry(
    id="002.3.Wn_symmetric", location="§3 W^n (line 114), for symmetric W",
    quote="W^n = QAQ^T * QAQ^T * QAQ^T … = Q * A^n * Q^T",
    claim="For a symmetric W (orthonormal eigenvectors Q), W^n = Q Λ^n Q^T.",
    as_written=_wn_as_written,
    correct=(Truth("torch.linalg.matrix_power", _wn_torch),),
    strategy=lambda: _wn_cases(symmetric=True), tol=LOOSE,
    checked="symmetric W (d,d), d in 1..3, integer entries in [-3,3], n in 1..4",
    topics=("Wn",),
)


def _wn_growth_truth(W, n):
    return float(np.linalg.norm(_wn_torch(W, n), 2))


entry(
    id="002.3.Wn_growth", location="§3 (lines 112-116)",
    quote="当雅克比矩阵特征值大于 1 时: … 靠近输入端梯度会爆炸。反之靠近输入端梯度会消失。",
    claim="For symmetric W, ‖W^n‖ = (max |λ|)^n: it explodes if the largest |λ| > 1 and vanishes if it is < 1.",
    as_written=lambda W, n: float(np.max(np.abs(np.linalg.eigvalsh(W))) ** n),
    correct=(Truth("spectral norm of torch.linalg.matrix_power", _wn_growth_truth),),
    strategy=lambda: _wn_cases(symmetric=True), tol=LOOSE,
    checked="symmetric W (d,d), d in 1..3, integer entries in [-3,3], n in 1..4",
    topics=("Wn",),
)
