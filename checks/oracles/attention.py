"""Value oracles of attention.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import math

import numpy as np

from checks.oracles.torchlib import F, N, T, torch


def _t_attention(Qt, Kt, Vt, mask=None):
    S = Qt @ Kt.transpose(-1, -2) / math.sqrt(Qt.shape[-1])
    if mask is not None:
        S = S.masked_fill(~torch().tensor(np.asarray(mask, dtype=bool)), float("-inf"))
    return torch().softmax(S, dim=-1) @ Vt


def _torch_rebuild(Q, K, V, mask=None):
    return N(_t_attention(T(Q), T(K), T(V), mask))


def _torch_sdpa(Q, K, V, mask=None):
    am = None if mask is None else torch().tensor(np.asarray(mask, dtype=bool))
    return N(F().scaled_dot_product_attention(T(Q), T(K), T(V), attn_mask=am))


def _backward_of(f):
    def oracle(Q, K, V, dy):
        Qt, Kt, Vt = T(Q, grad=True), T(K, grad=True), T(V, grad=True)
        f(Qt, Kt, Vt).backward(T(dy))
        return N(Qt.grad), N(Kt.grad), N(Vt.grad)

    return oracle


def _torch_pe(n, d):
    t = torch()
    pos = t.arange(n, dtype=t.float64)[:, None]
    div = t.exp(t.arange(0, d, 2, dtype=t.float64) * (-math.log(10000.0) / d))  # the Annotated Transformer's form
    pe = t.zeros(n, d, dtype=t.float64)
    pe[:, 0::2] = t.sin(pos * div)
    pe[:, 1::2] = t.cos(pos * div)
    return N(pe)
