"""Lazy, single-threaded torch.

torch costs ~2.2 s to import, so nothing imports it at module level: oracle
functions call :func:`torch` (cached after the first call). The first call
pins torch to one thread -- with two threads small ops ran 2-80x slower under
load on 2-core machines, and forking a process with a multi-threaded torch
deadlocked its child.
"""

from __future__ import annotations

import functools


@functools.cache
def torch():
    import torch as _torch

    _torch.set_num_threads(1)
    try:
        _torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process
        pass
    _torch.set_default_dtype(_torch.float64)
    return _torch


def T(a, grad: bool = False):
    """numpy -> float64 torch tensor (a copy; ``grad`` enables autograd)."""
    import numpy as np

    t = torch().tensor(np.asarray(a, dtype=np.float64))
    return t.requires_grad_(grad)


def N(t):
    """torch tensor -> numpy float64 array (detached copy)."""
    return t.detach().cpu().numpy().astype("float64", copy=True)


def F():
    return torch().nn.functional


def vjp(f, dy, *arrays):
    """Gradients of Σ dy·f(*arrays) w.r.t. every array, by one autograd backward.

    ``f`` takes float64 tensors; the result is one numpy array per input (a
    tuple when there are several). This is what every "autograd with a random
    upstream gradient" oracle computes.
    """
    ts = [T(a, grad=True) for a in arrays]
    f(*ts).backward(T(dy))
    grads = tuple(N(t.grad) if t.grad is not None else N(torch().zeros_like(t)) for t in ts)
    return grads if len(grads) > 1 else grads[0]
