"""Correct implementations of the reductions group written differently from the reference."""

from __future__ import annotations

import numpy as np

from tests.variants import Variant


def max_backward_last(x, dy):
    dx = np.zeros_like(x, dtype=np.float64)
    d = x.shape[1]
    idx = d - 1 - np.argmax(x[:, ::-1], axis=1)
    dx[np.arange(x.shape[0]), idx] = dy
    return dx


def max_backward_even_split(x, dy):
    is_max = x == x.max(axis=1, keepdims=True)
    return is_max / is_max.sum(axis=1, keepdims=True) * dy[:, None]


def max_bw_loops_last_tie(x, dy):
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        best = 0
        for d in range(x.shape[1]):
            if x[n, d] >= x[n, best]:
                best = d
        dx[n, best] = dy[n]
    return dx


def max_bw_weighted_ties(x, dy):
    m = (x == x.max(1, keepdims=True)).astype(float)
    w = m * np.arange(1, x.shape[1] + 1)  # unequal non-negative weights on the ties
    return w / w.sum(1, keepdims=True) * dy[:, None]


VARIANTS = [
    Variant("reductions.max_backward", "the last maximum at a tie", max_backward_last),
    Variant("reductions.max_backward", "dy split evenly over tied maxima", max_backward_even_split),
    Variant("reductions.max_backward", "loops, the last tied maximum", max_bw_loops_last_tie),
    Variant("reductions.max_backward", "unequal weights on tied maxima", max_bw_weighted_ties),
]
