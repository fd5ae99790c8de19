import numpy as np

from tests.heldout import Heldout


def adam_uncorrected(theta, grad, m, s, t, lr, beta1, beta2, eps):
    m_new = m * beta1 + grad * (1 - beta1)
    s_new = s * beta2 + np.square(grad) * (1 - beta2)
    step = lr * m_new / (np.sqrt(s_new) + eps)                  # the moments used without correction
    return theta - step, m_new, s_new


def rmsprop_eps_in_sqrt(theta, grad, s, lr, beta, eps):
    s2 = beta * s + (1 - beta) * grad ** 2
    return theta - lr * grad / np.sqrt(s2 + eps), s2


def adagrad_accumulates_g(theta, grad, s, lr, eps):
    s2 = s + np.abs(grad)                                       # |g| accumulated, not g²
    return theta - lr * grad / (np.sqrt(s2) + eps), s2


def nag_plain_momentum(theta, grad_fn, m, lr, beta):
    g = grad_fn(np.array(theta, dtype=np.float64))              # gradient where we are, no look-ahead
    m2 = beta * m + lr * g
    return theta - m2, m2


def sgd_plus(theta, grad, lr):
    return np.add(theta, np.multiply(lr, grad))                 # ascent


def momentum_returns_step(theta, grad, m, lr, beta):
    m2 = beta * m + lr * grad
    return theta - m2, theta - m2                               # returns theta twice: m lost


HELDOUT = [
    Heldout("optim.adam_step", "no bias correction", adam_uncorrected, "optim.adam_step:adam_no_bias_correction"),
    Heldout("optim.rmsprop_step", "eps inside the root", rmsprop_eps_in_sqrt, "optim.rmsprop_step:rmsprop_eps_inside"),
    Heldout("optim.adagrad_step", "accumulates |g|", adagrad_accumulates_g, "unknown"),
    Heldout("optim.nag_step", "no look-ahead", nag_plain_momentum, "optim.nag_step:nag_no_lookahead"),
    Heldout("optim.sgd_step", "theta + lr·g", sgd_plus, "optim.sgd_step:sgd_ascent"),
    Heldout("optim.momentum_step", "returns theta as m", momentum_returns_step, "unknown"),
]
