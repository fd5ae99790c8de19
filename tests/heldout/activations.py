import numpy as np

from tests.heldout import Heldout


def _sig(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def sigmoid_backward_squared(x, dy):
    s = _sig(x)
    return np.asarray(dy, dtype=np.float64) * s * s          # forgot the (1 - s): wrote s·s


def tanh_backward_one_minus_t(x, dy):
    t = np.tanh(np.asarray(x, dtype=np.float64))
    out = np.empty_like(t)
    for i in np.ndindex(t.shape):
        out[i] = dy[i] * (1.0 - t[i])                        # 1 - tanh, not 1 - tanh²
    return out


def relu_backward_dy_sign(x, dy):
    dy = np.asarray(dy, dtype=np.float64)
    return np.where(dy > 0, dy, 0.0)                          # gate on the incoming gradient


def prelu_backward_da_wrong_side(x, a, dy):
    x = np.asarray(x, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    slope = np.where(x > 0, 1.0, np.asarray(a).reshape(shape))
    axes = tuple(k for k in range(x.ndim) if k != 1)
    da = (dy * x * (x > 0)).sum(axis=axes)                   # the positive side's x
    return dy * slope, da


def leaky_backward_slope_one_minus(x, a, dy):
    x = np.asarray(x, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    return np.where(x > 0, dy, (1.0 - a) * dy)                # slope (1 - a) on the negative side


HELDOUT = [
    Heldout("activations.sigmoid_backward", "dy·σ² (the 1-σ dropped)", sigmoid_backward_squared, "unknown"),
    Heldout("activations.tanh_backward", "1 - tanh in a loop", tanh_backward_one_minus_t,
            "activations.tanh_backward:tanh_backward_wrong"),
    Heldout("activations.relu_backward", "gated on dy > 0", relu_backward_dy_sign,
            "activations.relu_backward:relu_backward_gates_on_dy"),
    Heldout("activations.prelu_backward", "da from the x > 0 side", prelu_backward_da_wrong_side, "unknown"),
    Heldout("activations.leaky_relu_backward", "negative slope 1 - a", leaky_backward_slope_one_minus,
            "activations.leaky_relu_backward:leaky_wrong_slope"),
]
