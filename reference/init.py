"""Weight initialisation: fans, Xavier (Glorot) and He (Kaiming) normal std.

Notes 004 解决梯度消失和梯度爆炸的方法 §1 权重初始化: "对于ReLU：使用 **He初始化**；
对于sigmoid或tanh：使用 **Xavier初始化**" (002 §3: "如果使用 Relu 做激活函数, 最好将 W
初始化为接近单位矩阵"). The fans follow torch.nn.init: a weight of shape
(out, in, k1, k2, ...) has receptive field k1·k2·..., fan_in = in·receptive,
fan_out = out·receptive.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def _shape_arg(shape):
    if isinstance(shape, np.ndarray):
        shape = shape.tolist()
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape must be a tuple of ints, got {type(shape).__name__}")
    out = []
    for s in shape:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (numbers.Integral, np.integer)) or int(s) < 0:
            raise ValueError(f"shape must hold non-negative ints, got {tuple(shape)!r}")
        out.append(int(s))
    if len(out) < 2:
        raise ValueError(f"fan in and fan out need a shape of at least 2 dims (out, in, ...), got {tuple(out)!r}")
    return out


def fan_in_fan_out(shape):
    r"""(fan_in, fan_out) of a weight shape (out, in) or (out, in, k1, k2, ...), as torch.nn.init.

    .. math:: r = \prod_{d \ge 2} \text{shape}[d], \quad
              \text{fan\_in} = \text{shape}[1]\, r, \quad \text{fan\_out} = \text{shape}[0]\, r
    """
    s = _shape_arg(shape)
    receptive = 1
    for d in s[2:]:
        receptive *= d
    return s[1] * receptive, s[0] * receptive


def _fans_positive(shape):
    fi, fo = fan_in_fan_out(shape)
    if fi <= 0 or fo <= 0:
        raise ValueError(f"shape {tuple(shape)!r} has a zero fan (fan_in={fi}, fan_out={fo}): the std is undefined")
    return fi, fo


def xavier_normal_std(shape):
    r"""Xavier/Glorot normal std :math:`\sqrt{2/(\text{fan\_in}+\text{fan\_out})}` (gain 1; sigmoid/tanh layers)."""
    fi, fo = _fans_positive(shape)
    return math.sqrt(2.0 / float(fi + fo))


def he_normal_std(shape):
    r"""He/Kaiming normal std for ReLU, mode fan_in: :math:`\sqrt{2/\text{fan\_in}}`."""
    fi, _ = _fans_positive(shape)
    return math.sqrt(2.0 / float(fi))
