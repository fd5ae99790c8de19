"""Value oracles of conv.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

from checks.oracles.torchlib import F, N, T, vjp


def _t_conv(x, w, b):
    return N(F().conv2d(T(x), T(w)[:, :, None, None], T(b)))


def _t_rebuild(x, w, b):
    return N((T(w)[None, :, :, None, None] * T(x)[:, None]).sum(dim=2) + T(b)[None, :, None, None])


def _t_backward(x, w, b, dy):
    return vjp(lambda xt, wt, bt: F().conv2d(xt, wt[:, :, None, None], bt), dy, x, w, b)
