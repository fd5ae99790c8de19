import math

import numpy as np

from tests.heldout import Heldout


def clip_norm_each(grads, max_norm):
    out = []
    total = 0.0
    for g in grads:
        g = np.asarray(g, dtype=np.float64)
        n = float(np.linalg.norm(g.ravel()))
        total += n * n
        out.append(g * min(1.0, max_norm / (n + 1e-6)))          # each array clipped by its own norm
    return out, math.sqrt(total)


def clip_value_upper_only(grads, clip):
    return [np.minimum(np.asarray(g, dtype=np.float64), clip) for g in grads]


def clip_norm_always_rescale(grads, max_norm):
    gs = [np.asarray(g, dtype=np.float64) for g in grads]
    total = math.sqrt(sum(float((g ** 2).sum()) for g in gs))
    return [g * (max_norm / (total + 1e-6)) for g in gs], total  # rescales up too


HELDOUT = [
    Heldout("clip.clip_grad_norm", "norm per array", clip_norm_each, "clip.clip_grad_norm:clip_norm_per_tensor"),
    Heldout("clip.clip_grad_value", "np.minimum only", clip_value_upper_only, "clip.clip_grad_value:clip_value_only_above"),
    Heldout("clip.clip_grad_norm", "always rescaled to max_norm", clip_norm_always_rescale,
            "clip.clip_grad_norm:clip_norm_scales_up"),
]
