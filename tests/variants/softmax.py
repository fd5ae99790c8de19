"""Correct implementations of the softmax group written differently from the reference."""

from __future__ import annotations

import math

import numpy as np

from tests.variants import Variant
from tests.variants._special import log_softmax, logsumexp, softmax as sp_softmax


def softmax_loops(z):
    out = np.empty_like(z, dtype=np.float64)
    for n in range(z.shape[0]):
        m = max(z[n])
        e = [np.exp(v - m) for v in z[n]]
        s = sum(reversed(e))  # another summation order
        out[n] = [v / s for v in e]
    return out


def cross_entropy_loops(z, labels):
    total = 0.0
    for n in range(z.shape[0]):
        m = z[n].max()
        total += m + np.log(np.sum(np.exp(z[n] - m))) - z[n, labels[n]]
    return total / z.shape[0]


def softmax_via_helper(z):
    softmax = sp_softmax
    return softmax(z, axis=1)


def softmax_lse(z):
    return np.exp(z - logsumexp(z, axis=1, keepdims=True))


def jac_loops(z):
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = math.fsum(e)
    y = [v / s for v in e]
    K = len(z)
    return np.array([[y[i] * ((i == j) - y[j]) for j in range(K)] for i in range(K)])


def jac_outer_T(z):
    softmax = sp_softmax
    y = softmax(z)
    return np.diag(y) - np.outer(y, y).T


def ce_logsumexp_numpy_scalar(z, labels):
    return np.mean(logsumexp(z, axis=1) - z[np.arange(len(labels)), labels])  # numpy float64


def ce_log_softmax_0d(z, labels):
    ls = z - z.max(1, keepdims=True)
    ls = ls - np.log(np.exp(ls).sum(1, keepdims=True))
    return np.array(-ls[np.arange(len(labels)), labels].mean())


def ce_bw_eye(z, labels):
    softmax = sp_softmax
    return (softmax(z, axis=1) - np.eye(z.shape[1])[labels]) / z.shape[0]


def ce_bw_exp_logsoftmax(z, labels):
    p = np.exp(log_softmax(z, axis=1))
    oh = np.zeros_like(p)
    oh[np.arange(len(labels)), labels] = 1
    return (p - oh) / len(labels)


VARIANTS = [
    Variant("softmax.softmax", "loops, reversed summation order", softmax_loops),
    Variant("softmax.cross_entropy", "a loop over the batch", cross_entropy_loops),
    Variant("softmax.softmax", "a scipy-like softmax(z, axis=1)", softmax_via_helper),
    Variant("softmax.softmax", "exp(z - logsumexp)", softmax_lse),
    Variant("softmax.softmax_jacobian", "loops with math.fsum", jac_loops),
    Variant("softmax.softmax_jacobian", "diag(y) - (y y^T)^T", jac_outer_T),
    Variant("softmax.cross_entropy", "logsumexp, a numpy scalar", ce_logsumexp_numpy_scalar),
    Variant("softmax.cross_entropy", "log-softmax, a 0-d array", ce_log_softmax_0d),
    Variant("softmax.cross_entropy_backward", "one-hot rows of np.eye", ce_bw_eye),
    Variant("softmax.cross_entropy_backward", "exp of the log-softmax", ce_bw_exp_logsoftmax),
]
