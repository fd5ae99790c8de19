"""Gradient of max (notes 001 A6.2)."""

from __future__ import annotations

import numpy as np


def max_backward(x, dy):
    r"""Backward of y_n = max_d x[n, d].

    Notes 001 A6.2: :math:`\partial y/\partial x_i = 1` if :math:`x_i = \max(x_1..x_D)`,
    else 0. At a tie that rule gives dy to *every* tied maximum, which is not a
    gradient (the weights would sum to more than 1); this reference gives dy to
    the first maximum (argmax), one element of the subdifferential.
    x (N, D), dy (N,) -> dx (N, D).
    """
    x = np.asarray(x, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    dx = np.zeros_like(x)
    dx[np.arange(x.shape[0]), np.argmax(x, axis=1)] = dy
    return dx
