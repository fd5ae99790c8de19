import math

import numpy as np

from tests.heldout import Heldout


def _softmax(s, axis=-1):
    s = s - s.max(axis=axis, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=axis, keepdims=True)


def attention_no_scale(Q, K, V, mask=None):
    S = np.einsum("bqd,bkd->bqk", Q, K)                          # the 1/√d forgotten
    if mask is not None:
        S = np.where(mask[None], S, -np.inf)
    return np.einsum("bqk,bkv->bqv", _softmax(S), V)


def attention_mask_blocks_true(Q, K, V, mask=None):
    S = Q @ np.swapaxes(K, 1, 2) / math.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask[None], -np.inf, S)                     # True read as "blocked"
    return _softmax(S) @ V


def backward_returns_dK_dQ_dV(Q, K, V, dy):
    d = Q.shape[-1]
    P = _softmax(Q @ np.swapaxes(K, 1, 2) / math.sqrt(d))
    dV = np.swapaxes(P, 1, 2) @ dy
    dP = dy @ np.swapaxes(V, 1, 2)
    dS = P * (dP - (dP * P).sum(-1, keepdims=True))
    dQ = dS @ K / math.sqrt(d)
    dK = np.swapaxes(dS, 1, 2) @ Q / math.sqrt(d)
    return dK, dQ, dV                                            # dQ and dK in each other's place


def pe_cos_first(n, d):
    pos = np.arange(n)[:, None]
    i = np.arange(0, d, 2)[None, :]
    ang = pos / np.power(10000.0, i / d)
    PE = np.zeros((n, d))
    PE[:, 0::2] = np.cos(ang)                                    # cos on the even columns
    PE[:, 1::2] = np.sin(ang)
    return PE


HELDOUT = [
    Heldout("attention.attention", "einsum without 1/√d", attention_no_scale, "attention.attention:attention_unscaled"),
    Heldout("attention.attention", "mask True = blocked", attention_mask_blocks_true, "attention.attention:attention_mask_inverted"),
    Heldout("attention.attention_backward", "returns (dK, dQ, dV)", backward_returns_dK_dQ_dV, "generic:outputs-swapped"),
    Heldout("attention.positional_encoding", "cos on even columns", pe_cos_first, "attention.positional_encoding:pe_sin_cos_swapped"),
]
