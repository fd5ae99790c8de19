"""Logistic regression's log-likelihood, gradient and Hessian (notes 002 §7 "逻辑回归")."""

from __future__ import annotations

import numpy as np

from reference.activations import sigmoid


def log_likelihood(theta, X, y):
    r"""Σ_n y_n log σ(θᵀx_n) + (1 − y_n) log(1 − σ(θᵀx_n)), stable.

    With a = θᵀx: log σ(a) = a − softplus(a), log(1 − σ(a)) = −softplus(a), so
    the sum is Σ_n (y_n a_n − softplus(a_n)), softplus(a) = log(1 + e^a)
    computed as ``logaddexp(0, a)`` (notes 002 §7: L = y log f(z) + (1−y) log(1−f(z))).
    """
    theta = np.asarray(theta, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    a = X @ theta
    return float(np.sum(y * a - np.logaddexp(0.0, a)))


def log_likelihood_grad(theta, X, y):
    r"""(∂L/∂θ, ∂L/∂X) = (Σ_n (y_n − σ_n) x_n, rows (y_n − σ_n) θ).

    Notes 002 §7: ∂L/∂z = y − f(z), ∂z/∂θ = x, ∂z/∂x = θ.
    """
    theta = np.asarray(theta, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    r = np.asarray(y, dtype=np.float64) - sigmoid(X @ theta)
    return X.T @ r, np.outer(r, theta)


def log_likelihood_hessian(theta, X, y):
    r"""∇²_θ L = −Xᵀ diag(σ_n (1 − σ_n)) X (the derivative of Σ_n (y_n − σ_n) x_n)."""
    theta = np.asarray(theta, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    s = sigmoid(X @ theta)
    return -(X.T * (s * (1.0 - s))) @ X
