"""Value oracles of dropout.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.oracles.torchlib import N, T


def _t_train(x, mask, p_keep, inverted):
    y = T(x) * T(mask)
    return N(y / p_keep if inverted else y)


def _t_eval(x, p_keep, inverted):
    xt = T(x)
    return N(xt if inverted else xt * p_keep)


def _t_backward(dy, mask, p_keep, inverted):
    """Autograd of the torch rebuild of dropout_train(x, mask) with upstream dy."""
    xt = T(np.zeros_like(np.asarray(dy, dtype=np.float64)), grad=True)
    y = xt * T(mask)
    (y / p_keep if inverted else y).backward(T(dy))
    return N(xt.grad)


def all_masks(n: int) -> np.ndarray:
    """(2^n, n): every 0/1 mask of n units."""
    return ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(np.float64)


def expectation_over_masks(x, p_keep, inverted) -> np.ndarray:
    """E_m[x⊙m (/p_keep)] with m_i ~ Bernoulli(p_keep), summed over all 2^n masks (n <= 12).

    Weight of a mask with k kept units: p^k (1-p)^(n-k) (notes 002 §4: "相当于训练 2^N 个模型").
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    if n > 12:
        raise ValueError(f"expectation_over_masks: {n} units is too many to enumerate (at most 12)")
    M = all_masks(n)
    k = M.sum(axis=1)
    w = p_keep ** k * (1.0 - p_keep) ** (n - k)
    train = x.reshape(1, -1) * M
    if inverted:
        train = train / p_keep
    return (w @ train).reshape(x.shape)
