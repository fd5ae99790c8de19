"""Correct implementations of the optim group written differently from the reference."""

from __future__ import annotations

import math

import numpy as np

from tests.variants import Variant


def adam_torch_order(theta, grad, m, s, t, lr, beta1, beta2, eps):
    """torch.optim.Adam's order: lerp for m, step lr/bc1, denominator √s/√bc2 + eps."""
    m2 = m + (1 - beta1) * (grad - m)
    s2 = s * beta2 + (1 - beta2) * grad * grad
    denom = np.sqrt(s2) / math.sqrt(1 - beta2 ** t) + eps
    return theta - (lr / (1 - beta1 ** t)) * (m2 / denom), m2, s2


def adam_expm1(theta, grad, m, s, t, lr, beta1, beta2, eps):
    """1 − β^t as −expm1(t·log β): more accurate than the reference for β near 1."""
    bc = lambda b: -math.expm1(t * math.log(b)) if b > 0 else 1.0  # noqa: E731
    m2 = beta1 * m + (1 - beta1) * grad
    s2 = beta2 * s + (1 - beta2) * np.square(grad)
    return theta - lr * (m2 / bc(beta1)) / (np.sqrt(s2 / bc(beta2)) + eps), m2, s2


def adam_loops(theta, grad, m, s, t, lr, beta1, beta2, eps):
    th, mm, ss = [], [], []
    for i in range(len(theta)):
        mi = beta1 * m[i] + (1 - beta1) * grad[i]
        si = beta2 * s[i] + (1 - beta2) * grad[i] ** 2
        th.append(theta[i] - lr * (mi / (1 - beta1 ** t)) / (math.sqrt(si / (1 - beta2 ** t)) + eps))
        mm.append(mi)
        ss.append(si)
    return [np.array(th), np.array(mm), np.array(ss)]


def rmsprop_lerp(theta, grad, s, lr, beta, eps):
    s2 = s + (1 - beta) * (grad * grad - s)
    return theta - grad * (lr / (np.sqrt(s2) + eps)), s2


def adagrad_inplace_on_copies(theta, grad, s, lr, eps):
    s2 = s.copy()
    s2 += grad ** 2
    std = np.sqrt(s2)
    std += eps
    return theta + (-lr) * (grad / std), s2


def momentum_expanded(theta, grad, m, lr, beta):
    return theta - beta * m - lr * grad, beta * m + lr * grad


def nag_torch_parametrisation(theta, grad_fn, m, lr, beta):
    """torch's Nesterov SGD on φ = θ − βm (buffer m/lr), mapped back to θ = φ + βm_new."""
    phi = theta - beta * m
    g = grad_fn(phi)
    buf = beta * (m / lr) + g
    m2 = lr * buf
    return (phi - lr * (g + beta * buf)) + beta * m2, m2


def sgd_out_param(theta, grad, lr):
    out = np.empty_like(theta)
    np.multiply(grad, -lr, out=out)
    out += theta
    return out


VARIANTS = [
    Variant("optim.adam_step", "torch.optim.Adam's order of operations", adam_torch_order),
    Variant("optim.adam_step", "1 - beta^t as -expm1(t log beta)", adam_expm1),
    Variant("optim.adam_step", "loops, a list", adam_loops),
    Variant("optim.rmsprop_step", "the lerp form", rmsprop_lerp),
    Variant("optim.adagrad_step", "in place on copies", adagrad_inplace_on_copies),
    Variant("optim.momentum_step", "the update expanded", momentum_expanded),
    Variant("optim.nag_step", "torch's Nesterov parametrisation", nag_torch_parametrisation),
    Variant("optim.sgd_step", "np.multiply(out=)", sgd_out_param),
]
