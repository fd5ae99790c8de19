r"""Dropout with a given mask, both conventions (notes 002 §4 "防止过拟合", 004 "dropout的作用是什么").

``p_keep`` is the KEEP probability and ``mask`` holds float64 zeros and ones
(m ~ Bernoulli(p_keep)). Notes 004: "x~=x⋅m,m∼Bernoulli(p)", "p为保留概率
(keep probability)", "推理时: 不丢节点，输出乘以 p 的缩放补偿（保持期望一致）".

* standard (``inverted=False``, the notes' convention): train ``x⊙m``,
  eval ``p_keep·x``;
* inverted (``inverted=True``, torch's ``F.dropout`` with drop probability
  ``1 - p_keep``): train ``x⊙m / p_keep``, eval ``x``.

In both, :math:`E_m[\text{train}(x)] = \text{eval}(x)` ("保持期望一致").
(Notes 002 §4 words it with p as the DROP probability -- "以概率 p 随机丢弃 ...
测试时每个神经元的输出乘以概率 p" -- which mixes the two meanings of p; the
contract follows 004's keep probability.)
"""

from __future__ import annotations

import numpy as np


def _p_keep(fn: str, p_keep) -> float:
    p = float(p_keep)
    if not 0.0 < p <= 1.0:
        raise ValueError(f"{fn}: p_keep is the keep probability and must be in (0, 1], got {p_keep!r}")
    return p


def _mask(fn: str, mask, shape) -> np.ndarray:
    m = np.asarray(mask, dtype=np.float64)
    if m.shape != shape:
        raise ValueError(f"{fn}: mask must have the shape {shape} of its data, got {m.shape}")
    if not np.all((m == 0.0) | (m == 1.0)):
        raise ValueError(f"{fn}: mask must hold only zeros and ones (float64)")
    return m


def dropout_train(x, mask, p_keep, inverted):
    r"""Training-mode dropout: :math:`x\odot m`, divided by ``p_keep`` when ``inverted``."""
    fn = "dropout_train"
    x = np.asarray(x, dtype=np.float64)
    m = _mask(fn, mask, x.shape)
    p = _p_keep(fn, p_keep)
    y = x * m
    return y / p if inverted else y


def dropout_eval(x, p_keep, inverted):
    r"""Evaluation-mode dropout: :math:`p_{keep}\,x` (standard) or ``x`` (inverted)."""
    p = _p_keep("dropout_eval", p_keep)
    x = np.asarray(x, dtype=np.float64)
    return x.copy() if inverted else p * x


def dropout_backward(dy, mask, p_keep, inverted):
    r""":math:`dx = dy\odot m` (divided by ``p_keep`` when ``inverted``): dropout is linear and diagonal."""
    fn = "dropout_backward"
    dy = np.asarray(dy, dtype=np.float64)
    m = _mask(fn, mask, dy.shape)
    p = _p_keep(fn, p_keep)
    dx = dy * m
    return dx / p if inverted else dx
