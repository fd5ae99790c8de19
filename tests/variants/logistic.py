"""Correct implementations of the logistic group written differently from the reference."""

from __future__ import annotations

import math

import numpy as np

from tests.variants import Variant
from tests.variants._special import expit


def ll_logsig(theta, X, y):
    a = X @ theta
    return np.sum(-y * np.logaddexp(0, -a) - (1 - y) * np.logaddexp(0, a))


def ll_loop(theta, X, y):
    tot = 0.0
    for n in range(X.shape[0]):
        a = float(X[n] @ theta)
        sp = max(a, 0) + math.log1p(math.exp(-abs(a)))  # softplus
        tot += y[n] * (a - sp) + (1 - y[n]) * (-sp)
    return tot


def grad_naive_sig(theta, X, y):
    with np.errstate(over="ignore"):
        s = 1 / (1 + np.exp(-(X @ theta)))
    r = y - s
    return (r @ X, r[:, None] * theta[None, :])


def hess_loop(theta, X, y):
    H = np.zeros((X.shape[1],) * 2)
    for n in range(X.shape[0]):
        a = X[n] @ theta
        H -= expit(a) * expit(-a) * np.outer(X[n], X[n])
    return H


def hess_diag(theta, X, y):
    s = expit(X @ theta)
    return -X.T @ np.diag(s * (1 - s)) @ X


VARIANTS = [
    Variant("logistic.log_likelihood", "log-sigmoids by logaddexp", ll_logsig),
    Variant("logistic.log_likelihood", "a softplus loop", ll_loop),
    Variant("logistic.log_likelihood_grad", "a naive sigmoid, a tuple", grad_naive_sig),
    Variant("logistic.log_likelihood_hessian", "a sum of outer products", hess_loop),
    Variant("logistic.log_likelihood_hessian", "-X^T diag(s(1 - s)) X", hess_diag),
]
