"""Gradient clipping (notes 002 §3 "梯度爆炸: grad_clip", 004 解决梯度消失和梯度爆炸的方法 §4 梯度裁剪).

Notes 004: "**梯度裁剪（Gradient Clipping）** ... 在梯度过大时将其限制在某一范围内（如[-5, 5]）".
Two conventions, both torch's (torch.nn.utils.clip_grad_norm_ / clip_grad_value_):
rescale every gradient by one global factor when the total L2 norm is too
large, or clip every element to [-clip, clip].
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: torch's guard against a zero norm: factor = max_norm / (total_norm + 1e-6)
EPS = 1e-6


def _grads_arg(grads):
    if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)):
        raise TypeError(f"grads must be a list of arrays, got {type(grads).__name__}")
    return [np.asarray(g, dtype=np.float64) for g in grads]


def _positive(v, name):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {type(v).__name__}")
    v = float(v)
    if not (v >= 0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    return v


def clip_grad_norm(grads, max_norm):
    r"""Clip by the global norm.

    .. math:: \|g\| = \sqrt{\sum_i \sum_j g_{i,j}^2}, \qquad
              s = \frac{\text{max\_norm}}{\|g\| + 10^{-6}}, \qquad
              g_i \leftarrow g_i \cdot \min(s, 1)

    Returns ``(clipped list, total_norm)``: the norm is the one measured BEFORE
    clipping (torch.nn.utils.clip_grad_norm_ returns it too). One factor for
    all arrays: the direction of the whole gradient is kept; never scaled up.
    """
    gs = _grads_arg(grads)
    max_norm = _positive(max_norm, "max_norm")
    total = math.sqrt(sum(float(np.sum(g * g)) for g in gs))
    factor = max_norm / (total + EPS)
    if factor < 1.0:
        return [np.asarray(g * factor) for g in gs], total
    return [g.copy() for g in gs], total


def clip_grad_value(grads, clip):
    r"""Clip by value: every element to :math:`[-\text{clip}, \text{clip}]` (the notes' "[-5, 5]")."""
    gs = _grads_arg(grads)
    clip = _positive(clip, "clip")
    return [np.asarray(np.clip(g, -clip, clip)) for g in gs]
