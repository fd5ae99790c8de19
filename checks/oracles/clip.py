"""Value oracles of clip.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.oracles.torchlib import N, T, torch


def _params(grads):
    tt = torch()
    ps = [tt.nn.Parameter(tt.zeros(np.shape(g))) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = T(g)
    return ps


def _t_clip_norm_lib(grads, max_norm):
    ps = _params(grads)
    total = torch().nn.utils.clip_grad_norm_(ps, float(max_norm))
    return [N(p.grad) for p in ps], float(total)


def _t_clip_norm(grads, max_norm):
    """Rebuild: total = ||concat(flattened grads)||_2, factor = min(max_norm/(total+1e-6), 1)."""
    tt = torch()
    ts = [T(g) for g in grads]
    total = tt.linalg.vector_norm(tt.cat([t.reshape(-1) for t in ts]))
    factor = tt.clamp(float(max_norm) / (total + 1e-6), max=1.0)
    return [N(t * factor) for t in ts], float(total)


def _t_clip_value_lib(grads, clip):
    ps = _params(grads)
    torch().nn.utils.clip_grad_value_(ps, float(clip))
    return [N(p.grad) for p in ps]


def _t_clip_value(grads, clip):
    return [N(torch().clamp(T(g), -float(clip), float(clip))) for g in grads]
