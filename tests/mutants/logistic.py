import numpy as np

import reference as R
from tests.mutants import Mutant


def ll_naive(theta, X, y):
    with np.errstate(all="ignore"):
        s = 1 / (1 + np.exp(-(X @ theta)))
        return float(np.sum(y * np.log(s) + (1 - y) * np.log(1 - s)))


def ll_mean(theta, X, y):
    return R.log_likelihood(theta, X, y) / np.asarray(X).shape[0]


def grad_wrong_sign(theta, X, y):
    dt, dX = R.log_likelihood_grad(theta, X, y)
    return -dt, -dX


def grad_dX_uses_x(theta, X, y):
    dt, _ = R.log_likelihood_grad(theta, X, y)
    r = y - R.sigmoid(X @ theta)
    return dt, r[:, None] * X


def hessian_positive(theta, X, y):
    return -R.log_likelihood_hessian(theta, X, y)


def hessian_no_weights(theta, X, y):
    return -np.asarray(X).T @ np.asarray(X) / 4


MUTANTS = [
    Mutant("logistic.log_likelihood", "log of sigmoid computed naively", ll_naive),
    Mutant("logistic.log_likelihood", "mean instead of sum", ll_mean),
    Mutant("logistic.log_likelihood_grad", "sign flipped (gradient of the loss)", grad_wrong_sign),
    Mutant("logistic.log_likelihood_grad", "dX rows use x instead of theta", grad_dX_uses_x),
    Mutant("logistic.log_likelihood_hessian", "positive (sign flipped)", hessian_positive),
    Mutant("logistic.log_likelihood_hessian", "σ(1−σ) replaced by its bound 1/4", hessian_no_weights),
]
