r"""BatchNorm and LayerNorm in training mode (notes 002 §4 "防止过拟合 / Batch_normalize",
004 "归一化的作用", "BatchNorm和LayerNorm有什么区别").

The notes' normalisation (002 §4):

.. math:: \hat x^{(k)} = \frac{x^{(k)} - E[x^{(k)}]}{\sqrt{\mathrm{Var}[x^{(k)}]}}, \qquad
          y^{(k)} = \gamma^{(k)} \hat x^{(k)} + \beta^{(k)}

with, as the contract fixes, ``eps`` INSIDE the square root and the BIASED
batch variance (divide by the count m):
:math:`\hat x = (x-\mu)/\sqrt{\sigma^2+\epsilon}`. BatchNorm takes the
statistics of every feature over the batch ("样本间归一化", per channel over
(N, H, W) for images: 002 §4 "一个卷积核对应 ... 一组 BN 参数"); LayerNorm
takes them over the features of each sample ("样本内归一化", 004).

The backward pass of :math:`y = \gamma\hat x + \beta` over a group of m
values that share one mean and variance (s = 1/\sqrt{\sigma^2+\epsilon}):

.. math:: d\beta = \sum dy, \quad d\gamma = \sum dy\,\hat x, \quad
          dx = \frac{\gamma s}{m}\Big(m\,dy - \sum dy - \hat x \sum dy\,\hat x\Big)

(the "mean term" :math:`\sum dy` and the "variance term"
:math:`\hat x\sum dy\,\hat x`). Every function returns new float64 arrays
and leaves its arguments untouched.
"""

from __future__ import annotations

import numpy as np


def _arr(name: str, fn: str, a) -> np.ndarray:
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{fn}: {name} must be a float array, got {type(a).__name__}: {e}") from None


def _check_eps(fn: str, eps) -> float:
    eps = float(eps)
    if not eps > 0:
        raise ValueError(f"{fn}: eps must be > 0, got {eps!r}")
    return eps


def _params(fn: str, x: np.ndarray, gamma, beta, width: int, what: str):
    g = _arr("gamma", fn, gamma)
    b = _arr("beta", fn, beta)
    if g.shape != (width,) or b.shape != (width,):
        raise ValueError(
            f"{fn}: gamma and beta must have shape ({width},) (one per {what} of x {x.shape}),"
            f" got {g.shape} and {b.shape}"
        )
    return g, b


def _stats(x: np.ndarray, axes, eps: float):
    """Mean, centred x and 1/sqrt(var + eps) over ``axes`` (biased variance, two passes)."""
    mu = x.mean(axis=axes, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=axes, keepdims=True)
    return mu, xc, 1.0 / np.sqrt(var + eps)


def _norm_backward(x, gamma_b, eps, dy, axes):
    """dx and x̂ for y = γ x̂ + β with statistics over ``axes`` (γ already broadcastable)."""
    _, xc, s = _stats(x, axes, eps)
    xhat = xc * s
    m = int(np.prod([x.shape[a] for a in axes]))
    sum_dy = dy.sum(axis=axes, keepdims=True)
    sum_dy_xhat = (dy * xhat).sum(axis=axes, keepdims=True)
    dx = (gamma_b * s / m) * (m * dy - sum_dy - xhat * sum_dy_xhat)
    return dx, xhat


def _x2d(fn: str, x, min_rows: int = 1) -> np.ndarray:
    x = _arr("x", fn, x)
    if x.ndim != 2 or x.shape[0] < min_rows or x.shape[1] < 1:
        need = f"N >= {min_rows}" if min_rows > 1 else "N >= 1"
        raise ValueError(f"{fn}: x must have shape (N, D) with {need} and D >= 1, got shape {x.shape}")
    return x


def _dy(fn: str, dy, shape) -> np.ndarray:
    dy = _arr("dy", fn, dy)
    if dy.shape != shape:
        raise ValueError(f"{fn}: dy must have the shape of the output {shape}, got {dy.shape}")
    return dy


def batchnorm_forward(x, gamma, beta, eps):
    r"""BatchNorm, training mode: per feature (column) over the batch.

    .. math:: \mu_k = \tfrac1N\sum_i x_{ik},\quad \sigma_k^2 = \tfrac1N\sum_i (x_{ik}-\mu_k)^2,\quad
              y_{ik} = \gamma_k \frac{x_{ik}-\mu_k}{\sqrt{\sigma_k^2+\epsilon}} + \beta_k

    Notes 002 §4: "$$\hat{x}^{(k)} = \frac{x^{(k)} - E[x^{(k)}]}{\sqrt{\text{Var}[x^{(k)}]}}$$",
    "$$y^{(k)} = \gamma^{(k)} \hat{x}^{(k)} + \beta^{(k)}$$". x (N, D) with N >= 2.
    """
    fn = "batchnorm_forward"
    x = _x2d(fn, x, min_rows=2)
    g, b = _params(fn, x, gamma, beta, x.shape[1], "feature (column)")
    eps = _check_eps(fn, eps)
    _, xc, s = _stats(x, (0,), eps)
    return g * (xc * s) + b


def batchnorm_backward(x, gamma, beta, eps, dy):
    r"""Gradients of :func:`batchnorm_forward`: ``(dx, dgamma, dbeta)``.

    .. math:: dx = \frac{\gamma s}{N}\Big(N\,dy - \sum_i dy_i - \hat x\sum_i dy_i\hat x_i\Big),\quad
              d\gamma = \sum_i dy_i \hat x_i,\quad d\beta = \sum_i dy_i
    """
    fn = "batchnorm_backward"
    x = _x2d(fn, x, min_rows=2)
    g, _ = _params(fn, x, gamma, beta, x.shape[1], "feature (column)")
    eps = _check_eps(fn, eps)
    dy = _dy(fn, dy, x.shape)
    dx, xhat = _norm_backward(x, g, eps, dy, (0,))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)


def batchnorm2d_backward(x, gamma, beta, eps, dy):
    r"""BatchNorm2d backward: statistics per channel over (N, H, W), m = N·H·W >= 2.

    Same formula as :func:`batchnorm_backward` with the sums over (N, H, W)
    (notes 002 §4: "一个卷积核对应的输入对应一组 BN 参数"). Returns
    ``(dx (N,C,H,W), dgamma (C,), dbeta (C,))``.
    """
    fn = "batchnorm2d_backward"
    x = _arr("x", fn, x)
    if x.ndim != 4 or min(x.shape) < 1 or x.shape[0] * x.shape[2] * x.shape[3] < 2:
        raise ValueError(f"{fn}: x must have shape (N, C, H, W) with N·H·W >= 2, got shape {x.shape}")
    g, _ = _params(fn, x, gamma, beta, x.shape[1], "channel (axis 1)")
    eps = _check_eps(fn, eps)
    dy = _dy(fn, dy, x.shape)
    axes = (0, 2, 3)
    dx, xhat = _norm_backward(x, g.reshape(1, -1, 1, 1), eps, dy, axes)
    return dx, (dy * xhat).sum(axis=axes), dy.sum(axis=axes)


def batchnorm_running_update(running_mean, running_var, x, momentum):
    r"""Running statistics, torch's convention (``torch.nn.BatchNorm1d``, training mode).

    .. math:: \text{mean} \leftarrow (1-m)\,\text{mean} + m\,\mu_B,\qquad
              \text{var} \leftarrow (1-m)\,\text{var} + m\,\frac{1}{N-1}\sum_i (x_i-\mu_B)^2

    The running variance takes the UNBIASED batch variance (the normalisation
    itself uses the biased one). Notes 004 "BatchNorm和LayerNorm有什么区别":
    "运行时统计（推理阶段） | 需要保变 moving mean/var" (sic). x (N, D), N >= 2.
    """
    fn = "batchnorm_running_update"
    x = _x2d(fn, x, min_rows=2)
    rm, rv = _arr("running_mean", fn, running_mean), _arr("running_var", fn, running_var)
    if rm.shape != (x.shape[1],) or rv.shape != (x.shape[1],):
        raise ValueError(
            f"{fn}: running_mean and running_var must have shape ({x.shape[1]},), got {rm.shape} and {rv.shape}"
        )
    m = float(momentum)
    mu = x.mean(axis=0)
    xc = x - mu
    var_unbiased = (xc * xc).sum(axis=0) / (x.shape[0] - 1)
    return (1.0 - m) * rm + m * mu, (1.0 - m) * rv + m * var_unbiased


def layernorm_forward(x, gamma, beta, eps):
    r"""LayerNorm: statistics of each row (sample) over its D features.

    .. math:: \mu_i = \tfrac1D\sum_k x_{ik},\quad \sigma_i^2 = \tfrac1D\sum_k (x_{ik}-\mu_i)^2,\quad
              y_{ik} = \gamma_k \frac{x_{ik}-\mu_i}{\sqrt{\sigma_i^2+\epsilon}} + \beta_k

    Notes 004 "BatchNorm和LayerNorm有什么区别": "对每个样本独立计算 μ和σ来自特征维度".
    x (N, D); gamma, beta (D,).
    """
    fn = "layernorm_forward"
    x = _x2d(fn, x)
    g, b = _params(fn, x, gamma, beta, x.shape[1], "feature (column)")
    eps = _check_eps(fn, eps)
    _, xc, s = _stats(x, (1,), eps)
    return g * (xc * s) + b


def layernorm_backward(x, gamma, beta, eps, dy):
    r"""Gradients of :func:`layernorm_forward`: ``(dx, dgamma, dbeta)``.

    Per row, with :math:`g = \gamma\,dy` (γ sits inside the normalised group):

    .. math:: dx = \frac{s}{D}\Big(D\,g - \sum_k g_k - \hat x\sum_k g_k\hat x_k\Big),\quad
              d\gamma = \sum_i dy_i\,\hat x_i,\quad d\beta = \sum_i dy_i
    """
    fn = "layernorm_backward"
    x = _x2d(fn, x)
    g, _ = _params(fn, x, gamma, beta, x.shape[1], "feature (column)")
    eps = _check_eps(fn, eps)
    dy = _dy(fn, dy, x.shape)
    dx, xhat = _norm_backward(x, 1.0, eps, dy * g, (1,))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
