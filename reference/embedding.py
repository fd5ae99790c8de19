"""Embedding lookup and its backward (notes 004 什么是embedding).

Notes 004: "用一个**可学习的查找表（矩阵）**，将每个证或类别映射为一个低维稠密向量 ...
embedding 矩阵是 `V × d` ... 每个证的 embedding 是这个矩阵中对应行的向量".
The forward is y[n, l] = E[indices[n, l]]; its backward scatters dy back into
the rows of E, and a row looked up several times collects the SUM.
"""

from __future__ import annotations

import numbers

import numpy as np


def embedding_backward(indices, dy, V):
    r"""Gradient of y[n,l,:] = E[indices[n,l], :] with respect to E (V, E).

    .. math:: dE[v, :] = \sum_{n,l:\ \mathrm{indices}[n,l] = v} dy[n, l, :]

    indices (N, L) int in [0, V), dy (N, L, E) -> dE (V, E). Repeated indices add up.
    """
    if isinstance(V, (bool, np.bool_)) or not isinstance(V, (numbers.Integral, np.integer)) or int(V) < 1:
        raise ValueError(f"V must be a positive int (the vocabulary size), got {V!r}")
    V = int(V)
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"indices must be an integer array, got dtype {idx.dtype}")
    if idx.ndim != 2:
        raise ValueError(f"indices must have shape (N, L), got shape {idx.shape}")
    dy = np.asarray(dy, dtype=np.float64)
    if dy.ndim != 3 or dy.shape[:2] != idx.shape:
        raise ValueError(f"dy must have shape (N, L, E) = {idx.shape + ('E',)}, got {dy.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= V):
        raise ValueError(f"indices must lie in [0, V) = [0, {V}), got values in [{idx.min()}, {idx.max()}]")
    dE = np.zeros((V, dy.shape[2]), dtype=np.float64)
    np.add.at(dE, idx.reshape(-1), dy.reshape(-1, dy.shape[2]))
    return dE
