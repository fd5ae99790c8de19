"""Activations and their backward passes (notes 002 §3, 004 "为什么sigmoid会饱和").

Every function returns new float64 arrays and leaves its arguments untouched.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    r"""Logistic sigmoid, stable for \|x\| <= 1e4.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}
              = \begin{cases} 1/(1+e^{-x}) & x \ge 0 \\ e^{x}/(1+e^{x}) & x < 0 \end{cases}

    The split form never evaluates ``exp`` of a large positive number
    (notes 002 §7: P(X=1) = 1/(1+e^{-z}) = f(z)). Any shape, 0-d included.
    """
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(x, dy):
    r""":math:`dx = dy\,\sigma(x)(1-\sigma(x))` (notes 002 §7: f'(z) = f(z)(1 - f(z)))."""
    s = sigmoid(x)
    return np.asarray(dy, dtype=np.float64) * s * (1.0 - s)


def tanh_backward(x, dy):
    r""":math:`dx = dy\,(1-\tanh^2 x)` (notes 002 §3: tanh'(x) = 1 - tanh(x)^2)."""
    t = np.tanh(np.asarray(x, dtype=np.float64))
    return np.asarray(dy, dtype=np.float64) * (1.0 - t * t)


def relu_backward(x, dy):
    r""":math:`dx = dy\,\mathbb 1[x>0]`; at x = 0 the subgradient 0 is taken (notes 002 §3)."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, np.asarray(dy, dtype=np.float64), 0.0)


def leaky_relu_backward(x, a, dy):
    r""":math:`dx = dy` where x > 0, :math:`a\,dy` where x <= 0 (y = max(x, a x) for a < 1)."""
    x = np.asarray(x, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    return np.where(x > 0, dy, float(a) * dy)


def prelu_backward(x, a, dy):
    r"""PReLU with one slope per channel (axis 1): y = x if x > 0 else a_c x.

    .. math:: dx = dy \cdot (\mathbb 1[x>0] + a_c \mathbb 1[x\le 0]), \qquad
              da_c = \sum_{n, \text{spatial}} dy \cdot x \cdot \mathbb 1[x \le 0]

    Returns ``(dx, da)`` with the shapes of ``x`` (N, C, ...) and ``a`` (C,).
    """
    x = np.asarray(x, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    ab = a.reshape((1, -1) + (1,) * (x.ndim - 2))
    neg = x <= 0
    dx = np.where(neg, ab * dy, dy)
    axes = tuple(i for i in range(x.ndim) if i != 1)
    da = np.where(neg, dy * x, 0.0).sum(axis=axes)
    return dx, da
