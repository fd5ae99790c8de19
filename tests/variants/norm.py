"""Correct implementations of the norm group written differently from the reference."""

from __future__ import annotations

import numpy as np

import reference as R
from tests.variants import Variant


def batchnorm_forward_one_pass(x, gamma, beta, eps):
    mu = x.mean(0)
    var = (x * x).mean(0) - mu * mu  # E[x²] − E[x]²: the contract does not require "stable" here
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def layernorm_backward_one_pass(x, gamma, beta, eps, dy):
    d = x.shape[1]
    mu = x.mean(1, keepdims=True)
    var = (x * x).mean(1, keepdims=True) - mu * mu
    s = 1 / np.sqrt(var + eps)
    xh = (x - mu) * s
    g = dy * gamma
    dx = s / d * (d * g - g.sum(1, keepdims=True) - xh * (g * xh).sum(1, keepdims=True))
    return dx, (dy * xh).sum(0), dy.sum(0)


def bn_fused(x, gamma, beta, eps):
    """y = x·a + (β − μ·a), a = γ/√(σ²+eps): the inference-style fused form (cancellation at large |x|)."""
    mu, var = x.mean(0), x.var(0)
    a = gamma / np.sqrt(var + eps)
    return x * a + (beta - mu * a)


def bn_loops(x, gamma, beta, eps):
    N, D = x.shape
    y = np.empty_like(x)
    for j in range(D):
        col = [float(v) for v in x[:, j]]
        mu = sum(col) / N
        var = sum((v - mu) ** 2 for v in col) / N
        for i in range(N):
            y[i, j] = gamma[j] * (col[i] - mu) / (var + eps) ** 0.5 + beta[j]
    return y


def _staged_backward(x, gamma, eps, dy, axes):
    """The staged chain rule through var and mean (CS231n's form), not the compact formula."""
    m = int(np.prod([x.shape[a] for a in axes]))
    mu = x.mean(axes, keepdims=True)
    xc = x - mu
    var = (xc ** 2).mean(axes, keepdims=True)
    istd = 1.0 / np.sqrt(var + eps)
    dxh = dy * gamma
    dvar = (dxh * xc).sum(axes, keepdims=True) * -0.5 * (var + eps) ** -1.5
    dmu = (-dxh * istd).sum(axes, keepdims=True) + dvar * (-2.0 * xc).mean(axes, keepdims=True)
    return dxh * istd + dvar * 2.0 * xc / m + dmu / m, xc * istd


def bn_backward_staged(x, gamma, beta, eps, dy):
    dx, xh = _staged_backward(x, gamma, eps, dy, (0,))
    return dx, (dy * xh).sum(0), dy.sum(0)


def bn_backward_one_pass(x, gamma, beta, eps, dy):
    n = x.shape[0]
    mu = x.mean(0)
    var = (x * x).mean(0) - mu * mu  # E[x²] − E[x]²
    s = 1 / np.sqrt(var + eps)
    xh = (x - mu) * s
    return gamma * s / n * (n * dy - dy.sum(0) - xh * (dy * xh).sum(0)), (dy * xh).sum(0), dy.sum(0)


def bn2d_backward_staged(x, gamma, beta, eps, dy):
    dx, xh = _staged_backward(x, gamma.reshape(1, -1, 1, 1), eps, dy, (0, 2, 3))
    return dx, (dy * xh).sum((0, 2, 3)), dy.sum((0, 2, 3))


def bn2d_backward_via_reshape(x, gamma, beta, eps, dy):
    """BatchNorm1d on the (N·H·W, C) reshape; a list of results."""
    n, c, h, w = x.shape
    flat = lambda a: a.transpose(0, 2, 3, 1).reshape(-1, c)  # noqa: E731
    dx, dg, db = R.batchnorm_backward(flat(x), gamma, beta, eps, flat(dy))
    return [dx.reshape(n, h, w, c).transpose(0, 3, 1, 2).copy(), dg, db]


def ln_fused(x, gamma, beta, eps):
    mu = x.mean(1, keepdims=True)
    r = 1.0 / np.sqrt(((x - mu) ** 2).mean(1, keepdims=True) + eps)
    return (x * r - mu * r) * gamma + beta


def ln_backward_staged(x, gamma, beta, eps, dy):
    dx, xh = _staged_backward(x, gamma, eps, dy, (1,))
    return dx, (dy * xh).sum(0), dy.sum(0)


def running_update_lerp(rm, rv, x, m):
    n = x.shape[0]
    return rm + m * (x.mean(0) - rm), rv * (1 - m) + m * x.var(0) * n / (n - 1)


VARIANTS = [
    Variant("norm.batchnorm_forward", "one-pass variance E[x^2] - E[x]^2", batchnorm_forward_one_pass),
    Variant("norm.layernorm_backward", "one-pass variance E[x^2] - E[x]^2", layernorm_backward_one_pass),
    Variant("norm.batchnorm_forward", "the fused form x a + (beta - mu a)", bn_fused),
    Variant("norm.batchnorm_forward", "loops", bn_loops),
    Variant("norm.batchnorm_backward", "staged through dvar and dmu", bn_backward_staged),
    Variant("norm.batchnorm_backward", "one-pass variance E[x^2] - E[x]^2", bn_backward_one_pass),
    Variant("norm.batchnorm2d_backward", "staged through dvar and dmu", bn2d_backward_staged),
    Variant("norm.batchnorm2d_backward", "BatchNorm1d on the (N H W, C) reshape, a list", bn2d_backward_via_reshape),
    Variant("norm.layernorm_forward", "the fused form", ln_fused),
    Variant("norm.layernorm_backward", "staged through dvar and dmu", ln_backward_staged),
    Variant("norm.batchnorm_running_update", "the lerp form", running_update_lerp),
]
