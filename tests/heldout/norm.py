import numpy as np

from tests.heldout import Heldout


def bn_forward_ddof1(x, gamma, beta, eps):
    x = np.asarray(x, dtype=np.float64)
    return gamma * (x - x.mean(0)) / np.sqrt(np.var(x, axis=0, ddof=1) + eps) + beta


def bn_backward_staged_no_mean(x, gamma, beta, eps, dy):
    x = np.asarray(x, dtype=np.float64)
    N = x.shape[0]
    mu = x.mean(0)
    xc = x - mu
    var = (xc ** 2).mean(0)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = xc * inv
    dxhat = dy * gamma
    dvar = np.sum(dxhat * xc, axis=0) * -0.5 * inv ** 3
    dx = dxhat * inv + dvar * 2.0 * xc / N                     # the mean's path (dmu) left out
    return dx, np.sum(dy * xhat, axis=0), np.sum(dy, axis=0)


def bn_backward_params_swapped(x, gamma, beta, eps, dy):
    x = np.asarray(x, dtype=np.float64)
    N = x.shape[0]
    xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    dxhat = dy * gamma
    dx = (N * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0)) / (N * np.sqrt(x.var(0) + eps))
    return dx, dy.sum(0), (dy * xhat).sum(0)                   # (dx, dbeta, dgamma)


def ln_forward_columns(x, gamma, beta, eps):
    x = np.asarray(x, dtype=np.float64)
    mu = x.mean(axis=0, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=0, keepdims=True)         # statistics per feature (BatchNorm's)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def running_update_momentum_reversed(running_mean, running_var, x, momentum):
    x = np.asarray(x, dtype=np.float64)
    mu = x.mean(0)
    var = x.var(0, ddof=1)
    return (momentum * running_mean + (1 - momentum) * mu,    # momentum on the old value
            momentum * running_var + (1 - momentum) * var)


def ln_backward_no_projection(x, gamma, beta, eps, dy):
    x = np.asarray(x, dtype=np.float64)
    mu = x.mean(1, keepdims=True)
    s = 1.0 / np.sqrt(x.var(1, keepdims=True) + eps)
    xhat = (x - mu) * s
    g = gamma * dy
    dx = s * (g - g.mean(1, keepdims=True))                   # the x̂·mean(g·x̂) term dropped
    return dx, (dy * xhat).sum(0), dy.sum(0)


HELDOUT = [
    Heldout("norm.batchnorm_forward", "np.var(ddof=1)", bn_forward_ddof1, "norm.batchnorm_forward:bn_unbiased"),
    Heldout("norm.batchnorm_backward", "staged, dmu path left out", bn_backward_staged_no_mean,
            "norm.batchnorm_backward:bn_backward_no_mean_term"),
    Heldout("norm.batchnorm_backward", "returns (dx, dbeta, dgamma)", bn_backward_params_swapped, "generic:outputs-swapped"),
    Heldout("norm.layernorm_forward", "statistics over axis 0", ln_forward_columns, "norm.layernorm_forward:ln_over_batch"),
    Heldout("norm.batchnorm_running_update", "momentum weights the old value", running_update_momentum_reversed,
            "norm.batchnorm_running_update:running_momentum_swapped"),
    Heldout("norm.layernorm_backward", "variance term dropped", ln_backward_no_projection,
            "norm.layernorm_backward:ln_backward_no_var_term"),
]
