"""Softmax, its Jacobian, cross-entropy (notes 002 §7 "逻辑回归, softmax, RNN 导数推导")."""

from __future__ import annotations

import numpy as np


def softmax(z):
    r"""Row-wise softmax, stable for \|z\| <= 1e4.

    .. math:: y_j = \frac{e^{z_j - m}}{\sum_k e^{z_k - m}}, \quad m = \max_k z_k

    (notes 002 §7: g(z)_j = e^{z_j} / \sum_k e^{z_k}; the shift by the row
    maximum changes nothing mathematically and keeps every exponent <= 0.)
    z (N, K) -> (N, K).
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_jacobian(z):
    r"""J[i, j] = ∂y_i/∂z_j = y_i (δ_ij − y_j), i.e. J = diag(y) − y yᵀ.

    Notes 002 §7: ∂y_K/∂z_K = y_K (1 − y_K); ∂y_K/∂z_j = −y_K y_j (j ≠ K).
    z (K,) -> (K, K).
    """
    y = softmax(np.asarray(z, dtype=np.float64)[None, :])[0]
    return np.diag(y) - np.outer(y, y)


def _logsumexp(z):
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


def cross_entropy(z, labels):
    r"""Mean over the batch of −log softmax(z)[n, labels[n]], stable.

    .. math:: L = \frac1N \sum_n \Big(\log\sum_k e^{z_{nk}} - z_{n,y_n}\Big)

    (notes 002 §7: loss = −log y_K for the ground-truth class K).
    """
    z = np.asarray(z, dtype=np.float64)
    labels = np.asarray(labels)
    n = z.shape[0]
    return float(np.mean(_logsumexp(z) - z[np.arange(n), labels]))


def cross_entropy_backward(z, labels):
    r"""dz = (softmax(z) − onehot(labels)) / N (notes 002 §7: ∂loss/∂z = y − onehot)."""
    z = np.asarray(z, dtype=np.float64)
    labels = np.asarray(labels)
    n = z.shape[0]
    g = softmax(z)
    g[np.arange(n), labels] -= 1.0
    return g / n
