import numpy as np

import reference.activations as R
from tests.mutants import Mutant


def sigmoid_naive_split(x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.exp(x) / (1.0 + np.exp(x))  # inf/inf = nan for large x


def sigmoid_backward_no_dy(x, dy):
    s = R.sigmoid(x)
    return s * (1 - s) + 0 * dy


def tanh_backward_wrong(x, dy):
    return dy * (1 - np.tanh(x))  # forgot the square


def relu_backward_ge(x, dy):
    return np.where(np.asarray(x) >= -1e-3, dy, 0.0)  # threshold off the kink


def relu_backward_passes_all(x, dy):
    return np.array(dy, dtype=np.float64)


def leaky_wrong_slope(x, a, dy):
    return np.where(np.asarray(x) > 0, dy, (1 - a) * np.asarray(dy))


def prelu_da_without_x(x, a, dy):
    dx, _ = R.prelu_backward(x, a, dy)
    axes = tuple(i for i in range(np.ndim(x)) if i != 1)
    return dx, np.where(np.asarray(x) <= 0, dy, 0.0).sum(axis=axes)


def prelu_da_mean(x, a, dy):
    dx, da = R.prelu_backward(x, a, dy)
    return dx, da / np.asarray(x).shape[0]


MUTANTS = [
    Mutant("activations.sigmoid", "exp(x)/(1+exp(x)) overflows", sigmoid_naive_split, verdict="nan/inf"),
    Mutant("activations.sigmoid_backward", "ignores dy", sigmoid_backward_no_dy),
    Mutant("activations.tanh_backward", "1 - tanh instead of 1 - tanh^2", tanh_backward_wrong),
    Mutant("activations.relu_backward", "passes every gradient", relu_backward_passes_all),
    Mutant("activations.relu_backward", "threshold below zero", relu_backward_ge),
    Mutant("activations.leaky_relu_backward", "slope 1-a", leaky_wrong_slope),
    Mutant("activations.prelu_backward", "da averaged over the batch", prelu_da_mean),
    Mutant("activations.prelu_backward", "da without the factor x", prelu_da_without_x),
]
