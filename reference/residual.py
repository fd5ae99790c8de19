r"""Residual and highway blocks (notes 002 §5 "Resnet/highway network", 004 "残差连接如何解决梯度爆炸和梯度消失").

Residual block (002 §5: "现在输出时是 $x + F(x) \rightarrow H(x)$") with the
branch :math:`F(x) = \tanh(xW^\top + b)`; its Jacobian is the identity plus
the branch's (004: "∂y/∂x = I + ∂F/∂x ... 单位矩阵，表示恒等映射"), so the
upstream gradient reaches x unchanged through the shortcut.

Highway network (002 §5, eq. (3)):
"$$y = H(x, W_H) \cdot T(x, W_T) + x \cdot (1 - T(x, W_T)). \quad (3)$$"
with :math:`H = \mathrm{relu}(xW_H^\top + b_H)`, :math:`T = \sigma(xW_T^\top + b_T)`.
"""

from __future__ import annotations

import numpy as np

from reference.activations import sigmoid as _sigmoid



def _shapes(fn: str, x, pairs, dy=None):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"{fn}: x must have shape (N, D), got {x.shape}")
    d = x.shape[1]
    out = []
    for wname, bname, W, b in pairs:
        W = np.asarray(W, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        if W.shape != (d, d) or b.shape != (d,):
            raise ValueError(f"{fn}: {wname} must be ({d}, {d}) and {bname} ({d},) for x {x.shape}, got {W.shape} and {b.shape}")
        out += [W, b]
    if dy is not None:
        dy = np.asarray(dy, dtype=np.float64)
        if dy.shape != x.shape:
            raise ValueError(f"{fn}: dy must have the shape of y {x.shape}, got {dy.shape}")
        out.append(dy)
    return x, out


def residual_backward(x, W, b, dy):
    r"""Gradients of :math:`y = x + \tanh(xW^\top + b)`: ``(dx, dW, db)``.

    .. math:: dz = dy\odot(1-\tanh^2 z),\quad dx = dy + dz\,W,\quad dW = dz^\top x,\quad db = \textstyle\sum_n dz

    (002 §5: "即使多层网络 $f(x)$ 梯度较小或消失, 仍能通过 short-cut 路径, 把梯度回传给近端输入":
    the ``dy +`` term is the shortcut.)
    """
    x, (W, b, dy) = _shapes("residual_backward", x, [("W", "b", W, b)], dy)
    t = np.tanh(x @ W.T + b)
    dz = dy * (1.0 - t * t)
    return dy + dz @ W, dz.T @ x, dz.sum(axis=0)


def highway(x, WH, bH, WT, bT):
    r"""Highway layer: :math:`y = H\odot T + x\odot(1-T)` (002 §5 eq. (3))."""
    x, (WH, bH, WT, bT) = _shapes("highway", x, [("WH", "bH", WH, bH), ("WT", "bT", WT, bT)])
    H = np.maximum(x @ WH.T + bH, 0.0)
    T = _sigmoid(x @ WT.T + bT)
    return H * T + x * (1.0 - T)


def highway_backward(x, WH, bH, WT, bT, dy):
    r"""Gradients of :func:`highway`: ``(dx, dWH, dbH, dWT, dbT)``.

    .. math:: da_H = dy\odot T\odot \mathbb 1[a_H>0],\quad
              da_T = dy\odot(H-x)\odot T(1-T),\quad
              dx = dy\odot(1-T) + da_H W_H + da_T W_T

    (the carry path, the transform path and the gate path); relu's
    subgradient at a_H = 0 is taken as 0.
    """
    x, (WH, bH, WT, bT, dy) = _shapes("highway_backward", x, [("WH", "bH", WH, bH), ("WT", "bT", WT, bT)], dy)
    aH = x @ WH.T + bH
    H = np.maximum(aH, 0.0)
    T = _sigmoid(x @ WT.T + bT)
    daH = np.where(aH > 0, dy * T, 0.0)
    daT = dy * (H - x) * T * (1.0 - T)
    dx = dy * (1.0 - T) + daH @ WH + daT @ WT
    return dx, daH.T @ x, daH.sum(axis=0), daT.T @ x, daT.sum(axis=0)
