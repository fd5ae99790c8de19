import numpy as np

from tests.heldout import Heldout


def _sig(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def grad_outputs_swapped(theta, X, y):
    theta = np.asarray(theta, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    r = np.asarray(y, dtype=np.float64) - _sig(X @ theta)
    return r[:, None] * theta[None, :], X.T @ r              # (dX, dtheta): the contract's order reversed


def hessian_positive(theta, X, y):
    X = np.asarray(X, dtype=np.float64)
    s = _sig(X @ np.asarray(theta, dtype=np.float64))
    H = np.zeros((X.shape[1], X.shape[1]))
    for n in range(X.shape[0]):
        H += s[n] * (1 - s[n]) * np.outer(X[n], X[n])          # the loss's Hessian (sign lost)
    return H


def ll_average(theta, X, y):
    a = np.asarray(X, dtype=np.float64) @ np.asarray(theta, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.mean(y * a - np.logaddexp(0.0, a)))       # averaged over the samples


def grad_dX_with_x(theta, X, y):
    theta = np.asarray(theta, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    r = np.asarray(y, dtype=np.float64) - _sig(X @ theta)
    return X.T @ r, r[:, None] * X                             # ∂z/∂x taken as x


HELDOUT = [
    Heldout("logistic.log_likelihood_grad", "returns (dX, dtheta)", grad_outputs_swapped, "generic:outputs-swapped"),
    Heldout("logistic.log_likelihood_hessian", "Σ σ(1-σ) x xᵀ (positive)", hessian_positive,
            "logistic.log_likelihood_hessian:hessian_positive"),
    Heldout("logistic.log_likelihood", "np.mean instead of np.sum", ll_average, "logistic.log_likelihood:ll_mean"),
    Heldout("logistic.log_likelihood_grad", "dX rows r·x", grad_dX_with_x, "logistic.log_likelihood_grad:grad_dX_uses_x"),
]
