"""Correct implementations of the activations group written differently from the reference."""

from __future__ import annotations

import math

import numpy as np

from tests.variants import Variant
from tests.variants._special import expit


def sigmoid_tanh_form(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def sigmoid_naive(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))  # overflow warning only: exp -> inf -> 0


def relu_backward_half_at_zero(x, dy):
    return np.where(x > 0, dy, np.where(x == 0, 0.5 * dy, 0.0))


def sigmoid_clip500(x):
    x = np.asarray(x, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))


def sigmoid_where_both(x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


def sigmoid_expit(x):
    return expit(x)


def sigmoid_loop(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    for i in np.ndindex(x.shape):
        v = float(x[i])
        out[i] = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
    return out if x.ndim else float(out)


def sigmoid_backward_exp_abs(x, dy):
    e = np.exp(-np.abs(x))
    return dy * e / (1 + e) ** 2


def sigmoid_backward_tanh(x, dy):
    return dy * 0.25 * (1 - np.tanh(0.5 * np.asarray(x)) ** 2)


def sigmoid_backward_naive_s(x, dy):
    with np.errstate(over="ignore"):
        s = 1 / (1 + np.exp(-np.asarray(x)))
    return dy * s * (1 - s)


def tanh_backward_cosh(x, dy):
    with np.errstate(over="ignore"):
        return dy / np.cosh(x) ** 2


def tanh_backward_exp(x, dy):
    with np.errstate(over="ignore"):
        return dy * 4 / (np.exp(x) + np.exp(-x)) ** 2


def relu_backward_ge(x, dy):
    return dy * (np.asarray(x) >= 0)


def relu_backward_heaviside(x, dy):
    return dy * np.heaviside(x, 0.5)


def relu_backward_copy_mask(x, dy):
    dx = np.array(dy, dtype=np.float64, copy=True)
    dx[np.asarray(x) <= 0] = 0.0
    return dx


def leaky_ge(x, a, dy):
    return np.where(np.asarray(x) >= 0, dy, a * np.asarray(dy))


def leaky_mid(x, a, dy):
    x = np.asarray(x)
    dy = np.asarray(dy)
    return dy * np.where(x > 0, 1.0, np.where(x < 0, a, (1 + a) / 2))


def prelu_loops_ge(x, a, dy):
    x = np.asarray(x)
    dy = np.asarray(dy)
    dx = np.empty_like(x)
    da = np.zeros(len(a))
    for idx in np.ndindex(x.shape):
        c = idx[1]
        if x[idx] >= 0:
            dx[idx] = dy[idx]
        else:
            dx[idx] = a[c] * dy[idx]
            da[c] += dy[idx] * x[idx]
    return (dx, da)


def prelu_moveaxis(x, a, dy):
    xm = np.moveaxis(np.asarray(x), 1, -1)
    dym = np.moveaxis(np.asarray(dy), 1, -1)
    dx = np.where(xm > 0, dym, a * dym)
    da = (np.minimum(xm, 0) * dym).reshape(-1, len(a)).sum(0)
    return [np.moveaxis(dx, -1, 1), da]


VARIANTS = [
    Variant("activations.sigmoid", "(1 + tanh(x/2)) / 2", sigmoid_tanh_form),
    Variant("activations.sigmoid", "1/(1 + exp(-x)), overflowing to 0", sigmoid_naive),
    Variant("activations.relu_backward", "dy/2 at x = 0", relu_backward_half_at_zero),
    Variant("activations.sigmoid", "exp of x clipped to +-500", sigmoid_clip500),
    Variant("activations.sigmoid", "np.where of both forms", sigmoid_where_both),
    Variant("activations.sigmoid", "a numpy expit", sigmoid_expit),
    Variant("activations.sigmoid", "a math.exp loop, both forms", sigmoid_loop),
    Variant("activations.sigmoid_backward", "exp(-|x|) / (1 + exp(-|x|))^2", sigmoid_backward_exp_abs),
    Variant("activations.sigmoid_backward", "(1 - tanh^2(x/2)) / 4", sigmoid_backward_tanh),
    Variant("activations.sigmoid_backward", "s (1 - s) with a naive s", sigmoid_backward_naive_s),
    Variant("activations.tanh_backward", "dy / cosh^2", tanh_backward_cosh),
    Variant("activations.tanh_backward", "4 / (exp(x) + exp(-x))^2", tanh_backward_exp),
    Variant("activations.relu_backward", "x >= 0 passes dy", relu_backward_ge),
    Variant("activations.relu_backward", "np.heaviside(x, 0.5)", relu_backward_heaviside),
    Variant("activations.relu_backward", "a masked copy of dy", relu_backward_copy_mask),
    Variant("activations.leaky_relu_backward", "x >= 0 passes dy", leaky_ge),
    Variant("activations.leaky_relu_backward", "(1 + a)/2 at the kink", leaky_mid),
    Variant("activations.prelu_backward", "loops, x >= 0 passes dy, a tuple", prelu_loops_ge),
    Variant("activations.prelu_backward", "channels last, a list", prelu_moveaxis),
]
