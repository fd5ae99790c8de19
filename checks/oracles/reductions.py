"""Value oracles of reductions.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

from checks.oracles.torchlib import torch, vjp


def _t_amax(x, dy):
    """autograd of torch.amax, which splits dy evenly over tied maxima."""
    return vjp(lambda t: torch().amax(t, dim=1), dy, x)
