"""Correct implementations of the clip group written differently from the reference."""

from __future__ import annotations

import math

import numpy as np

from tests.variants import Variant


def clip_norm_concat(grads, max_norm):
    total = np.linalg.norm(np.concatenate([np.ravel(g) for g in grads]))
    f = max_norm / (total + 1e-6)
    return (tuple(g * f if f < 1 else g for g in grads), total)  # tuple, numpy scalar, aliasing when unchanged


def clip_norm_loop(grads, max_norm):
    sq = 0.0
    for g in reversed(grads):
        for v in np.ravel(g)[::-1]:
            sq += v * v
    total = math.sqrt(sq)
    f = min(1.0, max_norm / (total + 1e-6))
    return [np.array(g) * f for g in grads], np.array(total)


def clip_value_minmax(grads, clip):
    return tuple(np.minimum(np.maximum(g, -clip), clip) for g in grads)


def clip_value_where(grads, clip):
    return [np.where(g > clip, clip, np.where(g < -clip, -clip, g)) for g in grads]


VARIANTS = [
    Variant("clip.clip_grad_norm", "the norm of the concatenation; a tuple, a numpy scalar, aliasing when unchanged", clip_norm_concat),
    Variant("clip.clip_grad_norm", "a reversed sum of squares, a 0-d total", clip_norm_loop),
    Variant("clip.clip_grad_value", "minimum and maximum, a tuple", clip_value_minmax),
    Variant("clip.clip_grad_value", "np.where", clip_value_where),
]
