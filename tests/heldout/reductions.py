import numpy as np

from tests.heldout import Heldout


def max_backward_global(x, dy):
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    flat = int(np.argmax(x))                                  # argmax of the whole matrix
    n, d = divmod(flat, x.shape[1])
    dx[n, d] = dy[n]
    return dx


def max_backward_times_x(x, dy):
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        j = int(np.argmax(x[n]))
        dx[n, j] = dy[n] * x[n, j]                            # multiplied by the max value itself
    return dx


HELDOUT = [
    Heldout("reductions.max_backward", "argmax of the flattened matrix", max_backward_global,
            "reductions.max_backward:global_max"),
    Heldout("reductions.max_backward", "dy times the max value", max_backward_times_x, "unknown"),
]
