"""conv.* -- the 1×1 convolution and its backward (notes 001 A6.1)."""

from __future__ import annotations

import reference as ref
from checks.core.compare import Tol
from checks.formulas import Strategies
from checks.oracles.conv import _t_backward, _t_conv, _t_rebuild
from checks.registry import Formula, Oracle, Source, register


S = Strategies("conv")

_SRC = Source("001", "A6.1", "1×1 conv: y[n,o] = Σ_c w[o,c] x[n,c] + b[o] at every pixel", "1. 改变通道数 当卷积核的个数大于或小于输入通道数时，可以改变输出的通道数")


register(Formula(
    id="conv.conv1x1",
    source=_SRC,
    reference=ref.conv1x1,
    strategy=S.conv_cases,
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
    strategy=lambda: S.conv_cases(backward=True),
    outputs=("dx", "dw", "db"),
    oracles=(Oracle("torch", _t_backward, description="autograd of F.conv2d with a 1×1 kernel, random dy"),),
    points=2, tol=Tol(rtol=1e-9, atol=1e-10),
))
