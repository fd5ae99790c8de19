"""Correct implementations of the attention group written differently from the reference."""

from __future__ import annotations

import itertools
import math

import numpy as np

from tests.variants import Variant


def attention_loops(Q, K, V, mask=None):
    N, n, d = Q.shape
    out = np.zeros((N, n, V.shape[-1]))
    for b, i in itertools.product(range(N), range(n)):
        sc = [float(Q[b, i] @ K[b, j]) / math.sqrt(d) for j in range(K.shape[1])]
        allowed = [j for j in range(K.shape[1]) if mask is None or mask[i, j]]
        mx = max(sc[j] for j in allowed)
        w = {j: math.exp(sc[j] - mx) for j in allowed}
        z = sum(w.values())
        for j in allowed:
            out[b, i] += w[j] / z * V[b, j]
    return out


def attention_mask_after_softmax_renormalised(Q, K, V, mask=None):
    S = Q @ np.swapaxes(K, -1, -2) / math.sqrt(Q.shape[-1])
    E = np.exp(S - S.max(-1, keepdims=True))
    P = E / E.sum(-1, keepdims=True)
    if mask is not None:
        P = P * mask
        P = P / P.sum(-1, keepdims=True)
    return P @ V


def attention_additive_mask_no_max(Q, K, V, mask=None):
    S = (Q / math.sqrt(Q.shape[-1])) @ np.swapaxes(K, -1, -2)
    if mask is not None:
        S = S + np.where(mask, 0.0, -1e9)
    E = np.exp(S)  # no max subtraction: scores here are far from overflow (not a "stable" function)
    return np.einsum("bnm,bmv->bnv", E / E.sum(-1, keepdims=True), V)


def attention_backward_full_jacobian(Q, K, V, dy):
    d = Q.shape[-1]
    S = Q @ np.swapaxes(K, -1, -2) / math.sqrt(d)
    E = np.exp(S - S.max(-1, keepdims=True))
    P = E / E.sum(-1, keepdims=True)
    dP = dy @ np.swapaxes(V, -1, -2)
    dS = np.zeros_like(P)
    for b, i in itertools.product(range(P.shape[0]), range(P.shape[1])):
        p = P[b, i]
        dS[b, i] = (np.diag(p) - np.outer(p, p)) @ dP[b, i]
    return (np.einsum("bnm,bmd->bnd", dS, K) / math.sqrt(d), np.einsum("bnm,bnd->bmd", dS, Q) / math.sqrt(d),
            np.einsum("bnm,bnv->bmv", P, dy))


def pe_exp_log(n, d):
    pe = np.zeros((n, d))
    pos = np.arange(n)[:, None].astype(float)
    div = np.exp(np.arange(0, d, 2) * (-math.log(10000.0) / d))
    pe[:, 0::2] = np.sin(pos * div)
    pe[:, 1::2] = np.cos(pos * div)
    return pe


def pe_loops(n, d):
    pe = np.zeros((n, d))
    for p in range(n):
        for i in range(0, d, 2):
            pe[p, i] = math.sin(p / 10000 ** (i / d))
            pe[p, i + 1] = math.cos(p / 10000 ** (i / d))
    return pe


VARIANTS = [
    Variant("attention.attention", "loops", attention_loops),
    Variant("attention.attention", "the mask after the softmax, renormalised", attention_mask_after_softmax_renormalised),
    Variant("attention.attention", "an additive -1e9 mask, no max shift", attention_additive_mask_no_max),
    Variant("attention.attention_backward", "the full softmax Jacobian of each row", attention_backward_full_jacobian),
    Variant("attention.positional_encoding", "exp-log frequencies", pe_exp_log),
    Variant("attention.positional_encoding", "loops", pe_loops),
]
