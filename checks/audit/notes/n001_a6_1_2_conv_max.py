"""Audit of notes 001 (assignment A6 "分析与简答"), ``001_21b8451c1ff404b6.md``:
A6.1 and A6.2: what a 1x1 convolution does (a per-pixel linear map that
changes the channel count), and the gradients of y = max(x_1..x_D) and
y = argmax(x_1..x_D)."""

from __future__ import annotations

import numpy as np

from checks.audit.common import ref
from checks.audit.model import FILES, collector, Truth
from checks.strategies import array, st, with_ties
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["001"])


# =====================================================================
# A6.1  1x1 convolution
# =====================================================================

def _conv1x1_as_written(x, w, b):
    # "改变通道数: 当卷积核的个数大于或小于输入通道数时，可以改变输出的通道数": one kernel per output
    # channel; a 1x1 kernel mixes the channels of each pixel: y[n,o,h,w] = sum_c w[o,c] x[n,c,h,w] + b[o]
    return np.einsum("oc,nchw->nohw", w, x) + b[None, :, None, None]


def _conv1x1_torch(x, w, b):
    return N(F().conv2d(T(x), T(w)[:, :, None, None], T(b)))




@st.composite
def _conv1x1_cases(draw):
    n, ci, co, h, w = (draw(st.integers(1, k)) for k in (2, 3, 4, 3, 3))
    from checks.strategies import Case
    return Case((draw(array((n, ci, h, w), -3, 3)), draw(array((co, ci), -3, 3)), draw(array((co,), -3, 3))))


entry(
    id="001.A6.1.conv1x1", location="A6.1, items 1-2",
    quote="1. 改变通道数 当卷积核的个数大于或小于输入通道数时，可以改变输出的通道数 2. 增加非线性 1x1卷积核可以在不改变特征维度的情况下添加非线性激活",
    claim="A 1x1 convolution with Cout kernels maps (N,Cin,H,W) to (N,Cout,H,W), mixing the channels of each pixel and keeping H, W.",
    as_written=_conv1x1_as_written,
    correct=(ref("conv1x1"), Truth("torch F.conv2d", _conv1x1_torch)),
    strategy=lambda: _conv1x1_cases(),
    checked="x (N,Cin,H,W), w (Cout,Cin), b (Cout,): N<=2, Cin<=3, Cout<=4, H,W<=3, entries in [-3,3]",
    topics=("conv",),
)

# =====================================================================
# A6.2  gradients of max and argmax
# =====================================================================


@st.composite
def _vec_with_ties(draw):
    from checks.strategies import Case
    d = draw(st.integers(1, 5))
    regime = draw(st.sampled_from(["ties", "ties", "distinct", "integers"]))
    if regime == "integers":
        x = draw(array((d,), elements=st.integers(-2, 2).map(float)))
    else:
        x = draw(array((d,), -10, 10))
    if regime == "ties":
        x = draw(with_ties(x[None, :]))[0]
    return Case((x,))


def _max_grad_as_written(x):
    # dy/dx_i = 1 if x_i = max(x_1..x_D) else 0
    return (x == x.max()).astype(np.float64)


def _max_grad_torch(x):
    xt = T(x, grad=True)
    torch().amax(xt).backward()
    return N(xt.grad)


def _subgradient_compare(case, got, want, tol):
    """A gradient of max at x is valid iff it is a convex combination of the unit vectors of the maxima."""
    x = case.args[0]
    g = np.asarray(got, dtype=np.float64)
    on = x == x.max()
    if np.any(np.abs(g[~on]) > 1e-12):
        return False, "non-zero gradient off the maxima"
    if np.any(g[on] < -1e-12):
        return False, "negative weight on a maximum"
    if abs(g.sum() - 1.0) > 1e-9:
        return False, f"the weights on the {int(on.sum())} tied maxima sum to {g.sum():g}, not 1 (dy/dx must be a subgradient: a convex combination)"
    return True, ""


entry(
    id="001.A6.2.max_grad", location="A6.2, eq. for ∂y/∂x_i of y = max(x_1..x_D)",
    quote="如果对于输入向量中的某个元素x_i，它是最大值，则其梯度为1，其他所有元素的梯度都为0: ∂y/∂x_i = 1 if x_i = max(x_1,⋯,x_D), 0 otherwise",
    claim="The gradient of max is 1 on every element equal to the maximum and 0 elsewhere.",
    as_written=_max_grad_as_written,
    correct=(ref("max_backward", lambda f: lambda x: f(x[None, :], np.ones(1))[0], "reference.max_backward"),
             Truth("torch amax autograd", _max_grad_torch)),
    compare=_subgradient_compare,
    strategy=lambda: _vec_with_ties(),
    checked="x (D,), D in 1..5, entries in [-10,10], ties and small integers drawn on purpose; compared as a subgradient",
    correction="∂y/∂x_i = 1[i = i*] for ONE maximiser i* (or weights w_i ≥ 0 with Σ w_i = 1 spread over the k tied maxima, e.g. 1/k each as torch.amax does); with ties, giving 1 to every maximum sums to k and is not a (sub)gradient.",
    topics=("max",),
)


@st.composite
def _distinct_vec(draw):
    from checks.strategies import Case
    d = draw(st.integers(1, 5))
    vals = draw(st.lists(st.integers(-20, 20), min_size=d, max_size=d, unique=True))
    return Case((np.array(vals, dtype=np.float64) / 2.0,))


def _argmax_grad_as_written(x):
    # ∂y/∂x_i = 1 if i = argmax(x_1..x_D) else 0
    g = np.zeros_like(x)
    g[int(np.argmax(x))] = 1.0
    return g


def _argmax_grad_fd(x):
    """Central finite differences of argmax (exact here: no ties within the step)."""
    h = 1e-6
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (float(np.argmax(x + e)) - float(np.argmax(x - e))) / (2 * h)
    return g


def _argmax_grad_torch(x):
    # torch.argmax returns an integer tensor without a grad_fn: no gradient flows (it is 0 almost everywhere)
    xt = T(x, grad=True)
    y = torch().argmax(xt)
    return np.zeros_like(x) if y.grad_fn is None else None


entry(
    id="001.A6.2.argmax_grad", location="A6.2, eq. for ∂y/∂x_i of y = argmax(x_1..x_D)",
    quote="如果对于输入向量中的某个元素x_i，它的索引位置与最大值所在的位置相同，则其梯度为1，其他所有元素的梯度都为0: ∂y/∂x_i = 1 if i = argmax(x_1,⋯,x_D), 0 otherwise",
    claim="The gradient of argmax is the one-hot vector of the maximiser.",
    as_written=_argmax_grad_as_written,
    correct=(Truth("finite differences of argmax", _argmax_grad_fd), Truth("torch (argmax has no grad_fn)", _argmax_grad_torch)),
    strategy=lambda: _distinct_vec(),
    checked="x (D,), D in 1..5, distinct half-integers in [-10,10]",
    correction="argmax is piecewise constant (an integer index): ∂y/∂x_i = 0 wherever it is differentiable (no ties) and it is undefined at ties. It passes no gradient; a differentiable surrogate is the soft-argmax Σ_i i·softmax(x/τ)_i.",
    topics=("argmax",),
)
