import numpy as np

import reference.norm as R
from tests.mutants import Mutant


def _stats(x, axes, eps, ddof=0):
    mu = x.mean(axis=axes, keepdims=True)
    m = int(np.prod([x.shape[a] for a in axes]))
    var = ((x - mu) ** 2).sum(axis=axes, keepdims=True) / (m - ddof)
    return mu, var


def bn_unbiased(x, gamma, beta, eps):
    mu, var = _stats(x, (0,), eps, ddof=1)  # np.var(ddof=1) in the normalisation
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def bn_eps_outside(x, gamma, beta, eps):
    mu, var = _stats(x, (0,), eps)
    return gamma * (x - mu) / (np.sqrt(var) + eps) + beta


def bn_no_eps(x, gamma, beta, eps):
    mu, var = _stats(x, (0,), eps)
    with np.errstate(all="ignore"):
        return gamma * (x - mu) / np.sqrt(var) + beta


def _bn_bw(x, gamma, eps, dy, axes, gb, mean_term=True, var_term=True):
    mu, var = _stats(x, axes, eps)
    s = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * s
    m = int(np.prod([x.shape[a] for a in axes]))
    t = m * dy
    if mean_term:
        t = t - dy.sum(axis=axes, keepdims=True)
    if var_term:
        t = t - xhat * (dy * xhat).sum(axis=axes, keepdims=True)
    return gb * s / m * t, (dy * xhat).sum(axis=axes), dy.sum(axis=axes)


def bn_backward_no_mean_term(x, gamma, beta, eps, dy):
    return _bn_bw(x, gamma, eps, dy, (0,), gamma, mean_term=False)


def bn_backward_no_var_term(x, gamma, beta, eps, dy):
    return _bn_bw(x, gamma, eps, dy, (0,), gamma, var_term=False)


def bn_backward_no_gamma(x, gamma, beta, eps, dy):
    return _bn_bw(x, gamma, eps, dy, (0,), 1.0)


def bn2d_stats_over_n(x, gamma, beta, eps, dy):
    # statistics per (channel, pixel) over N only, as if each pixel were a feature
    n, c, h, w = x.shape
    xs = x.transpose(0, 2, 3, 1).reshape(n, h * w * c)
    ds = dy.transpose(0, 2, 3, 1).reshape(n, h * w * c)
    g = np.tile(gamma, h * w)
    mu, var = _stats(xs, (0,), eps)
    s = 1.0 / np.sqrt(var + eps)
    xhat = (xs - mu) * s
    dxs = g * s / n * (n * ds - ds.sum(0) - xhat * (ds * xhat).sum(0))
    dx = dxs.reshape(n, h, w, c).transpose(0, 3, 1, 2)
    xh4 = xhat.reshape(n, h, w, c).transpose(0, 3, 1, 2)
    return dx, (dy * xh4).sum(axis=(0, 2, 3)), dy.sum(axis=(0, 2, 3))


def bn2d_no_var_term(x, gamma, beta, eps, dy):
    return _bn_bw(x, gamma, eps, dy, (0, 2, 3), gamma.reshape(1, -1, 1, 1), var_term=False)


def running_var_biased(rm, rv, x, m):
    return (1 - m) * rm + m * x.mean(0), (1 - m) * rv + m * x.var(0)


def running_momentum_swapped(rm, rv, x, m):
    return m * rm + (1 - m) * x.mean(0), m * rv + (1 - m) * x.var(0, ddof=1)


def ln_over_batch(x, gamma, beta, eps):
    mu, var = _stats(x, (0,), eps)  # LayerNorm's statistics taken over the batch axis (that is BatchNorm)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def ln_eps_outside(x, gamma, beta, eps):
    mu, var = _stats(x, (1,), eps)
    return gamma * (x - mu) / (np.sqrt(var) + eps) + beta


def ln_backward_over_batch(x, gamma, beta, eps, dy):
    return _bn_bw(x, gamma, eps, dy, (0,), gamma)  # BatchNorm's gradient: statistics over the batch axis


def ln_backward_gamma_outside(x, gamma, beta, eps, dy):
    # treats γ as if it multiplied after the normalisation of the row of dy, ie ignores that γ varies inside the row
    dx, dg, db = R.layernorm_backward(x, np.ones_like(gamma), beta, eps, dy)
    return gamma * dx, dg, db


def ln_backward_no_var_term(x, gamma, beta, eps, dy):
    mu, var = _stats(x, (1,), eps)
    s = 1.0 / np.sqrt(var + eps)
    g = gamma * dy
    d = x.shape[1]
    xhat = (x - mu) * s
    return s / d * (d * g - g.sum(1, keepdims=True)), (dy * xhat).sum(0), dy.sum(0)


MUTANTS = [
    Mutant("norm.batchnorm_forward", "unbiased variance in the normalisation", bn_unbiased),
    Mutant("norm.batchnorm_forward", "eps outside the square root", bn_eps_outside),
    Mutant("norm.batchnorm_forward", "no eps (nan on constant features)", bn_no_eps),
    Mutant("norm.batchnorm_forward", "unbiased variance (caught by the moments property)", bn_unbiased, oracle="property:moments"),
    Mutant("norm.batchnorm_forward", "eps outside the root (moments property)", bn_eps_outside, oracle="property:moments"),
    Mutant("norm.batchnorm_backward", "missing the mean term", bn_backward_no_mean_term),
    Mutant("norm.batchnorm_backward", "missing the variance term", bn_backward_no_var_term),
    Mutant("norm.batchnorm_backward", "missing the mean term (sympy)", bn_backward_no_mean_term, oracle="sympy"),
    Mutant("norm.batchnorm_backward", "missing the variance term (sympy)", bn_backward_no_var_term, oracle="sympy"),
    Mutant("norm.batchnorm_backward", "missing the mean term (projection property)", bn_backward_no_mean_term,
           oracle="property:dx-projections", verdict="property violated"),
    Mutant("norm.batchnorm_backward", "missing the variance term (projection property)", bn_backward_no_var_term,
           oracle="property:dx-projections", verdict="property violated"),
    Mutant("norm.batchnorm_backward", "dx without γ", bn_backward_no_gamma),
    Mutant("norm.batchnorm2d_backward", "statistics over (N) only", bn2d_stats_over_n),
    Mutant("norm.batchnorm2d_backward", "missing the variance term", bn2d_no_var_term),
    Mutant("norm.batchnorm_running_update", "running_var with the biased variance", running_var_biased),
    Mutant("norm.batchnorm_running_update", "momentum on the old value", running_momentum_swapped),
    Mutant("norm.layernorm_forward", "statistics over the batch axis", ln_over_batch),
    Mutant("norm.layernorm_forward", "eps outside the square root", ln_eps_outside),
    Mutant("norm.layernorm_forward", "statistics over the batch axis (moments property)", ln_over_batch,
           oracle="property:moments"),
    Mutant("norm.layernorm_backward", "BatchNorm's gradient (batch axis)", ln_backward_over_batch),
    Mutant("norm.layernorm_backward", "γ outside the row's normalisation", ln_backward_gamma_outside),
    Mutant("norm.layernorm_backward", "missing the variance term", ln_backward_no_var_term),
    Mutant("norm.layernorm_backward", "missing the variance term (sympy)", ln_backward_no_var_term, oracle="sympy"),
]
