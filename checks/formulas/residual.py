"""residual.* -- a residual block y = x + tanh(xWᵀ + b) and a highway layer (notes 002 §5, 004).

Oracles: torch rebuilds differentiated by autograd; the identity path of
the residual block (notes 004 "残差连接如何解决梯度爆炸和梯度消失":
∂y/∂x = I + ∂F/∂x): dx - dy must equal dy contracted with the Jacobian of the
branch F(x) = tanh(xWᵀ + b) alone (torch.autograd.functional.jacobian); and
the highway output is a convex combination of H and x (0 < T < 1).

Regimes: moderate weights; saturated branches (|xWᵀ + b| large: tanh' ≈ 0,
so the gradient reaches x only through the shortcut); highway gates nearly
closed (bT = -8: carry x) or open (bT = +8: transform). Highway
pre-activations of H are kept off relu's kink (|a_H| >= 1e-6) by shifting bH,
since any subgradient would be accepted there.
"""

from __future__ import annotations

import numpy as np

import reference.residual as ref
from checks.core.compare import Tol, Verdict, fail
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, st
from checks.oracles.torchlib import F, N, T, torch

# ---------------------------------------------------------------- strategies

_nd = st.tuples(st.integers(1, 4), st.integers(1, 4))


def _pieces(draw, *shapes):
    """Arrays of ``shapes`` with values in [-1, 1], sliced from ONE drawn array (a third of the cost of several)."""
    sizes = [int(np.prod(sh)) for sh in shapes]
    flat = draw(array((sum(sizes),), -1, 1))
    out, i = [], 0
    for sh, k in zip(shapes, sizes):
        out.append(flat[i:i + k].reshape(sh).copy())
        i += k
    return out


@st.composite
def residual_cases(draw):
    """(x (N,D), W (D,D), b (D,), dy)."""
    n, d = draw(_nd)
    regime = draw(st.sampled_from(["moderate", "saturated", "small"]))
    w = {"moderate": 1.0, "saturated": 10.0, "small": 1e-3}[regime]
    x, W, b, dy = _pieces(draw, (n, d), (d, d), (d,), (n, d))
    return Case((3 * x, w * W, b * (10.0 if regime == "saturated" else 2.0), 10 * dy))


def _off_kink(x, WH, bH):
    """Shift each bH_j so that no pre-activation x·WH_j + bH_j is within 1e-6 of relu's kink."""
    a = x @ WH.T
    bH = bH.copy()
    for j in range(bH.size):
        for shift in (0.0, 0.25, -0.25, 0.5, -0.5, 0.75, 1.0, -1.0, 1.5):
            if np.all(np.abs(a[:, j] + bH[j] + shift) >= 1e-6):
                bH[j] += shift
                break
    return bH


@st.composite
def highway_cases(draw, backward: bool = False):
    """(x, WH, bH, WT, bT[, dy]), gates in a drawn regime."""
    n, d = draw(_nd)
    gate = draw(st.sampled_from(["moderate", "closed", "open"]))
    x, WH, bH, WT, bT, dy = _pieces(draw, (n, d), (d, d), (d,), (d, d), (d,), (n, d))
    x, WH, WT = 3 * x, 2 * WH, 2 * WT
    bH = _off_kink(x, WH, 2 * bH)
    bT = 2 * bT + {"moderate": 0.0, "closed": -8.0, "open": 8.0}[gate]
    args = (x, WH, bH, WT, bT)
    if backward:
        args += (10 * dy,)
    return Case(args)


# ---------------------------------------------------------------- oracles


def _t_residual_backward(x, W, b, dy):
    xt, Wt, bt = T(x, grad=True), T(W, grad=True), T(b, grad=True)
    (xt + torch().tanh(xt @ Wt.T + bt)).backward(T(dy))
    return N(xt.grad), N(Wt.grad), N(bt.grad)


def _t_highway_graph(xt, WH, bH, WT, bT):
    H = F().relu(xt @ WH.T + bH)
    Tg = torch().sigmoid(xt @ WT.T + bT)
    return H * Tg + xt * (1 - Tg)


def _t_highway(x, WH, bH, WT, bT):
    return N(_t_highway_graph(T(x), T(WH), T(bH), T(WT), T(bT)))


def _t_highway_backward(x, WH, bH, WT, bT, dy):
    ts = [T(a, grad=True) for a in (x, WH, bH, WT, bT)]
    _t_highway_graph(*ts).backward(T(dy))
    return tuple(N(t.grad) for t in ts)


def _prop_identity_path(case, result):
    """dx - dy = dy · ∂F/∂x with F(x) = tanh(xWᵀ + b): the Jacobian of the block minus I is the branch's."""
    x, W, b, dy = case.args
    t = torch()
    Wt, bt = T(W), T(b)
    J = N(t.autograd.functional.jacobian(lambda xt: t.tanh(xt @ Wt.T + bt), T(x)))  # (N,D,N,D)
    want = np.einsum("nd,ndme->me", np.asarray(dy, dtype=np.float64), J)
    got = np.asarray(result[0], dtype=np.float64) - np.asarray(dy, dtype=np.float64)
    allowed = 1e-9 + 1e-7 * np.abs(want) + 1e-12 * np.abs(dy)
    bad = ~(np.abs(got - want) <= allowed)
    if bad.any():
        i = tuple(int(k) for k in np.unravel_index(int(np.flatnonzero(bad)[0]), want.shape))
        fail(Verdict.PROPERTY,
             f"residual_backward: dx - dy (what reaches x besides the shortcut's dy) at {i} is {float(got[i])!r};"
             f" dy·∂tanh(xWᵀ+b)/∂x gives {float(want[i])!r} (the block's Jacobian is I + the branch's)")


def _prop_convex(case, y):
    """0 < T < 1, so y = T⊙H + (1-T)⊙x lies between H and x elementwise."""
    x, WH, bH, WT, bT = (np.asarray(a, dtype=np.float64) for a in case.args)
    H = np.maximum(x @ WH.T + bH, 0.0)
    lo, hi = np.minimum(H, x), np.maximum(H, x)
    slack = 1e-9 + 1e-12 * np.maximum(np.abs(lo), np.abs(hi))
    y = np.asarray(y, dtype=np.float64)
    bad = ~((y >= lo - slack) & (y <= hi + slack))
    if bad.any():
        i = tuple(int(k) for k in np.unravel_index(int(np.flatnonzero(bad)[0]), y.shape))
        fail(Verdict.PROPERTY, f"highway: y{list(i)} = {float(y[i])!r} is not between H = {float(H[i])!r} and x = {float(x[i])!r};"
                               f" y = H·T + x·(1-T) with 0 < T < 1 must be")


# ---------------------------------------------------------------- entries

_TOL = Tol(rtol=1e-7, atol=1e-9)

register(Formula(
    id="residual.residual_backward",
    source=Source("004", "残差连接如何解决梯度爆炸和梯度消失; 002 §5 Resnet/highway network",
                  "y = x + F(x), ∂y/∂x = I + ∂F/∂x", "现在输出时是 $x + F(x) \\rightarrow H(x)$"),
    reference=ref.residual_backward,
    strategy=residual_cases,
    outputs=("dx", "dW", "db"),
    oracles=(
        Oracle("torch", _t_residual_backward, description="autograd of x + tanh(x Wᵀ + b)"),
        Oracle("property:identity-path", _prop_identity_path, kind="property",
               description="dx - dy = dy·J_branch (torch.autograd.functional.jacobian of tanh(xWᵀ+b))"),
    ),
    points=1, tol=_TOL,
))

_SRC_HW = Source("002", "§5 Resnet/highway network", "y = H(x, W_H)·T(x, W_T) + x·(1 - T(x, W_T))   (3)",
                 "$$y = H(x, W_H) \\cdot T(x, W_T) + x \\cdot (1 - T(x, W_T)). \\quad (3)$$")

register(Formula(
    id="residual.highway",
    source=_SRC_HW,
    reference=ref.highway,
    strategy=highway_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_highway, description="F.relu / torch.sigmoid rebuild"),
        Oracle("property:between-H-and-x", _prop_convex, kind="property",
               description="y is a convex combination of H and x"),
    ),
    points=1, tol=_TOL,
))

register(Formula(
    id="residual.highway_backward",
    source=_SRC_HW,
    reference=ref.highway_backward,
    strategy=lambda: highway_cases(backward=True),
    outputs=("dx", "dWH", "dbH", "dWT", "dbT"),
    oracles=(Oracle("torch", _t_highway_backward, description="autograd of the torch rebuild"),),
    points=2, tol=_TOL,
))
