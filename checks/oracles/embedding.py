"""Value oracles of embedding.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.oracles.torchlib import F, N, T, torch


def _t_embedding(indices, dy, V):
    """autograd of F.embedding with respect to the weight (V, E)."""
    w = T(np.zeros((V, np.shape(dy)[2])), grad=True)
    F().embedding(torch().as_tensor(np.asarray(indices, dtype=np.int64)), w).backward(T(dy))
    return N(w.grad)


def _t_onehot(indices, dy, V):
    """The lookup as a one-hot matrix product: dE = onehot(indices)ᵀ · dy."""
    tt = torch()
    oh = F().one_hot(tt.as_tensor(np.asarray(indices, dtype=np.int64)).reshape(-1), V).to(tt.float64)
    return N(oh.T @ T(dy).reshape(-1, np.shape(dy)[2]))
