"""conv.* -- the 1×1 convolution and its backward (notes 001 A6.1)."""

from __future__ import annotations


import reference as ref
from checks.core.compare import Tol
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, st
from checks.oracles.torchlib import F, N, T, vjp


@st.composite
def conv_cases(draw, backward=False):
    n, cin, cout = (draw(st.integers(1, 3)) for _ in range(3))
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    x = draw(array((n, cin, h, w), -10, 10))
    args = [x, draw(array((cout, cin), -3, 3)), draw(array((cout,), -3, 3))]
    if backward:
        args.append(draw(array((n, cout, h, w), -10, 10)))
    return Case(tuple(args))


def _t_conv(x, w, b):
    return N(F().conv2d(T(x), T(w)[:, :, None, None], T(b)))


def _t_rebuild(x, w, b):
    return N((T(w)[None, :, :, None, None] * T(x)[:, None]).sum(dim=2) + T(b)[None, :, None, None])


def _t_backward(x, w, b, dy):
    return vjp(lambda xt, wt, bt: F().conv2d(xt, wt[:, :, None, None], bt), dy, x, w, b)


_SRC = Source("001", "A6.1", "1×1 conv: y[n,o] = Σ_c w[o,c] x[n,c] + b[o] at every pixel", "1. 改变通道数 当卷积核的个数大于或小于输入通道数时，可以改变输出的通道数")

register(Formula(
    id="conv.conv1x1",
    source=_SRC,
    reference=ref.conv1x1,
    strategy=conv_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch:F.conv2d", _t_conv, description="F.conv2d with a 1×1 kernel"),
        Oracle("torch", _t_rebuild, description="broadcast-and-sum rebuild"),
    ),
    points=1, tol=Tol(rtol=1e-9, atol=1e-10),
))

register(Formula(
    id="conv.conv1x1_backward",
    source=_SRC,
    reference=ref.conv1x1_backward,
    strategy=lambda: conv_cases(backward=True),
    outputs=("dx", "dw", "db"),
    oracles=(Oracle("torch", _t_backward, description="autograd of F.conv2d with a 1×1 kernel, random dy"),),
    points=2, tol=Tol(rtol=1e-9, atol=1e-10),
))
