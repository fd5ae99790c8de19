"""Pooling: 2-d max / average pooling and k-max pooling over time (notes 002 §6 CNN, 004 池化的作用是什么).

No padding, floor mode: a (N, C, H, W) input pooled with a k x k window moved
by ``stride`` gives Ho = (H - k) // stride + 1 rows and Wo = (W - k) // stride + 1
columns. Windows may overlap (stride < k); then a position's gradient is the
SUM of what every window containing it sends back.

Every function returns new float64 arrays and leaves its arguments untouched.
"""

from __future__ import annotations

import numbers

import numpy as np


def _int_arg(v, name: str, lo: int = 1) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    v = int(v)
    if v < lo:
        raise ValueError(f"{name} must be >= {lo}, got {v}")
    return v


def _pool_args(x, k, stride):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got shape {x.shape}")
    k = _int_arg(k, "k")
    stride = _int_arg(stride, "stride")
    H, W = x.shape[2:]
    if k > H or k > W:
        raise ValueError(f"window k={k} is larger than the input's H x W = {H} x {W} (no padding)")
    return x, k, stride, (H - k) // stride + 1, (W - k) // stride + 1


def _windows(x, k, stride):
    """View (N, C, Ho, Wo, k, k) of every pooling window (no copy)."""
    v = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
    return v[:, :, ::stride, ::stride]


def _dy_arg(dy, shape, name="dy"):
    dy = np.asarray(dy, dtype=np.float64)
    if dy.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} (the forward output's), got {dy.shape}")
    return dy


def maxpool2d(x, k, stride):
    r"""Max pooling: :math:`y[n,c,i,j] = \max_{0\le a,b<k} x[n,c,\,i s+a,\,j s+b]`.

    Notes 002 §6: "最大池化： 每次选取每个区域的最大值作为该区域的特征值". x (N,C,H,W)
    -> (N,C,Ho,Wo), no padding, floor mode.
    """
    x, k, stride, Ho, Wo = _pool_args(x, k, stride)
    return _windows(x, k, stride).max(axis=(4, 5)).astype(np.float64, copy=True)


def maxpool2d_backward(x, k, stride, dy):
    r"""Backward of :func:`maxpool2d`: each window sends its dy to its maximum.

    .. math:: dx[p] = \sum_{\text{windows } w \ni p} dy_w \,\mathbb 1[p = \operatorname{argmax}_w]

    Overlapping windows (stride < k) ADD their contributions at a shared
    position. At a tie inside a window any split of dy over the tied maxima is
    a subgradient; this reference gives it all to the first maximum in
    row-major order (as torch does).
    """
    x, k, stride, Ho, Wo = _pool_args(x, k, stride)
    N, C, H, W = x.shape
    dy = _dy_arg(dy, (N, C, Ho, Wo))
    win = _windows(x, k, stride).reshape(N, C, Ho, Wo, k * k)
    am = win.argmax(axis=-1)  # first maximum of each window
    rows = np.arange(Ho)[None, None, :, None] * stride + am // k
    cols = np.arange(Wo)[None, None, None, :] * stride + am % k
    n = np.arange(N)[:, None, None, None]
    c = np.arange(C)[None, :, None, None]
    dx = np.zeros_like(x)
    np.add.at(dx, (np.broadcast_to(n, am.shape), np.broadcast_to(c, am.shape), rows, cols), dy)
    return dx


def avgpool2d_backward(x, k, stride, dy):
    r"""Backward of average pooling :math:`y_w = \frac1{k^2}\sum_{p\in w} x_p`.

    .. math:: dx[p] = \sum_{\text{windows } w \ni p} dy_w / k^2

    Notes 002 §6: "平均池化： 每次选取每个区域的均值作为该区域的特征值". Overlapping windows add up.
    """
    x, k, stride, Ho, Wo = _pool_args(x, k, stride)
    N, C, H, W = x.shape
    dy = _dy_arg(dy, (N, C, Ho, Wo))
    dx = np.zeros_like(x)
    share = dy / float(k * k)
    for a in range(k):
        for b in range(k):
            dx[:, :, a:a + stride * (Ho - 1) + 1:stride, b:b + stride * (Wo - 1) + 1:stride] += share
    return dx


def _kmax_args(x, k):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (N, C, T), got shape {x.shape}")
    k = _int_arg(k, "k")
    if k > x.shape[2]:
        raise ValueError(f"k={k} must satisfy 1 <= k <= T = {x.shape[2]}")
    return x, k


def _kmax_positions(x, k):
    """(N, C, k) time positions of the k largest values of each row, in time order.

    A stable sort on -x keeps, at a tie on the k-th largest value, the earliest positions.
    """
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.sort(order, axis=-1)


def kmax_pool(x, k):
    r"""k-max pooling over time: the k largest values of each row, in their original time order.

    Notes 002 §6: "k-max pooling: ... 每个向量选最大 K 个特征, 拼成 Kn 维向量"
    (k = 1 is "1-max pooling"). x (N,C,T), 1 <= k <= T -> (N,C,k).
    """
    x, k = _kmax_args(x, k)
    return np.take_along_axis(x, _kmax_positions(x, k), axis=-1).astype(np.float64, copy=True)


def kmax_pool_backward(x, k, dy):
    r"""Backward of :func:`kmax_pool`: dy[..., j] goes to the j-th selected position (in time order).

    .. math:: dx[n,c,t_j] = dy[n,c,j], \quad t_1 < \dots < t_k \text{ the selected positions}

    Uses the same positions as :func:`kmax_pool` (earliest ones at a tie).
    """
    x, k = _kmax_args(x, k)
    dy = _dy_arg(dy, x.shape[:2] + (k,))
    dx = np.zeros_like(x)
    np.put_along_axis(dx, _kmax_positions(x, k), dy, axis=-1)
    return dx
