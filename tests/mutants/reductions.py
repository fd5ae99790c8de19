import numpy as np

from tests.mutants import Mutant


def every_tied_max_gets_dy(x, dy):
    """The notes' rule read literally: 1 for every x_i equal to the max."""
    x = np.asarray(x)
    return (x == x.max(axis=1, keepdims=True)) * np.asarray(dy)[:, None]


def one_hot_ignores_dy(x, dy):
    dx = np.zeros_like(np.asarray(x, dtype=np.float64))
    dx[np.arange(dx.shape[0]), np.argmax(x, axis=1)] = 1.0
    return dx


def argmin(x, dy):
    dx = np.zeros_like(np.asarray(x, dtype=np.float64))
    dx[np.arange(dx.shape[0]), np.argmin(x, axis=1)] = dy
    return dx


MUTANTS = [
    Mutant("reductions.max_backward", "dy to every tied maximum", every_tied_max_gets_dy),
    Mutant("reductions.max_backward", "one-hot without dy", one_hot_ignores_dy),
    Mutant("reductions.max_backward", "argmin instead of argmax", argmin),
]
