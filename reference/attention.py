"""Scaled dot-product attention, its backward pass, sinusoidal positional encoding.

Notes 001 A6.4 (自注意力层: A(Q,K,V) = Softmax(QKᵀ)V, cost O(n²d)) and 004
"Transformer" (核心原理: ``Attention(Q, K, V) = softmax(QKᵀ / √d_k) * V``;
多头机制; 位置编码 "通常采用正余弦函数"). The notes' 001 formula omits the
1/√d scale; the contract (and 004) keep it.

Every function returns new float64 arrays and leaves its arguments untouched.
:func:`multi_head_attention` is reference-only (not part of the student
contract): it is checked against ``torch.nn.MultiheadAttention`` in
``tests/test_attention_extra.py``.
"""

from __future__ import annotations

import numbers

import numpy as np


def _arr(x, name: str, ndim: int) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {a.shape}")
    return a


def _qkv(Q, K, V):
    Q, K, V = _arr(Q, "Q", 3), _arr(K, "K", 3), _arr(V, "V", 3)
    if K.shape[0] != Q.shape[0] or V.shape[0] != Q.shape[0]:
        raise ValueError(f"Q, K, V must share the batch size N: got {Q.shape}, {K.shape}, {V.shape}")
    if K.shape[2] != Q.shape[2]:
        raise ValueError(f"Q (N,n,d) and K (N,m,d) must share d: got {Q.shape} and {K.shape}")
    if V.shape[1] != K.shape[1]:
        raise ValueError(f"K (N,m,d) and V (N,m,dv) must share m: got {K.shape} and {V.shape}")
    if Q.shape[2] == 0:
        raise ValueError("d must be >= 1 (the scale is 1/sqrt(d))")
    return Q, K, V


def _weights(Q, K, mask=None):
    r"""P = softmax(QKᵀ/√d) over the key axis, masked keys get weight 0."""
    d = Q.shape[-1]
    S = np.matmul(Q, np.swapaxes(K, -1, -2)) / np.sqrt(d)  # (N, n, m)
    if mask is not None:
        mk = np.asarray(mask)
        if mk.dtype != np.bool_:
            raise TypeError(f"mask must be a bool array (True = may attend), got dtype {mk.dtype}")
        if mk.shape != S.shape[-2:]:
            raise ValueError(f"mask must have shape (n, m) = {S.shape[-2:]}, got {mk.shape}")
        if S.shape[-1] and not mk.any(axis=-1).all():
            raise ValueError("every query row of mask needs at least one True (a key it may attend to)")
        S = np.where(mk, S, -np.inf)
    S = S - S.max(axis=-1, keepdims=True)  # stable: every exponent <= 0, the row max gives e^0
    E = np.exp(S)
    return E / E.sum(axis=-1, keepdims=True)


def attention(Q, K, V, mask=None):
    r"""Scaled dot-product attention (notes 004 Transformer, 核心原理).

    .. math:: \operatorname{Attention}(Q,K,V) = \operatorname{softmax}\!\Big(\frac{QK^\top}{\sqrt d}\Big) V

    Q (N,n,d), K (N,m,d), V (N,m,dv); the softmax runs over the key axis
    (each query's weights sum to 1). ``mask`` (n,m) bool, True = may attend:
    a False entry's score becomes −∞ (weight 0). Returns (N,n,dv).
    """
    Q, K, V = _qkv(Q, K, V)
    return np.matmul(_weights(Q, K, mask), V)


def attention_backward(Q, K, V, dy):
    r"""Gradients of y = softmax(S) V, S = QKᵀ/√d, for an upstream gradient dy (N,n,dv).

    .. math:: dV = P^\top dy,\quad dP = dy\,V^\top,\quad
              dS = P \odot \big(dP - \textstyle\sum_j (dP \odot P)_{:,j}\big),\quad
              dQ = dS\,K/\sqrt d,\quad dK = dS^\top Q/\sqrt d

    (the softmax Jacobian diag(p) − ppᵀ row by row, notes 002 §7). Returns (dQ, dK, dV).
    """
    Q, K, V = _qkv(Q, K, V)
    dy = _arr(dy, "dy", 3)
    if dy.shape != Q.shape[:2] + V.shape[2:]:
        raise ValueError(f"dy must have shape (N,n,dv) = {Q.shape[:2] + V.shape[2:]}, got {dy.shape}")
    P = _weights(Q, K)
    s = 1.0 / np.sqrt(Q.shape[-1])
    dV = np.matmul(np.swapaxes(P, -1, -2), dy)
    dP = np.matmul(dy, np.swapaxes(V, -1, -2))
    dS = P * (dP - (dP * P).sum(axis=-1, keepdims=True))
    dQ = np.matmul(dS, K) * s
    dK = np.matmul(np.swapaxes(dS, -1, -2), Q) * s
    return dQ, dK, dV


def positional_encoding(n, d):
    r"""Sinusoidal positional encoding (notes 004 Transformer, 位置编码: "通常采用正余弦函数").

    .. math:: PE[p, 2i] = \sin(p\,\omega_i),\quad PE[p, 2i+1] = \cos(p\,\omega_i),\quad
              \omega_i = 10000^{-2i/d}

    Why sinusoids: PE[p+k] is a fixed linear map of PE[p] -- each pair
    (sin, cos) of frequency ω_i turns by the angle kω_i, whatever p is.
    n >= 0 positions, d even. Returns (n, d).
    """
    for name, v in (("n", n), ("d", d)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    n, d = int(n), int(d)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if d <= 0 or d % 2:
        raise ValueError(f"d must be a positive even int, got {d}")
    i = np.arange(d // 2, dtype=np.float64)
    w = np.power(10000.0, -2.0 * i / d)  # ω_i = 1 / 10000^(2i/d)
    ang = np.arange(n, dtype=np.float64)[:, None] * w[None, :]
    pe = np.empty((n, d), dtype=np.float64)
    pe[:, 0::2] = np.sin(ang)
    pe[:, 1::2] = np.cos(ang)
    return pe


def multi_head_attention(x_q, x_kv, Wq, Wk, Wv, Wo, num_heads, bq=None, bk=None, bv=None, bo=None, mask=None):
    r"""Multi-head attention (notes 004 Transformer, 多头机制: "并行分成多个子空间（多个头）... 最后拼接").

    Reference-only (not in the student contract). x_q (N,n,E), x_kv (N,m,E);
    Wq, Wk, Wv, Wo (E,E) act on row vectors (q = x_q Wqᵀ + bq, as
    torch.nn.Linear); the E features split into ``num_heads`` heads of E/h
    features, each head runs :func:`attention` (scale 1/√(E/h)), the heads
    are concatenated and projected: y = concat Woᵀ + bo. ``mask`` (n,m) bool,
    True = may attend (torch.nn.MultiheadAttention's bool attn_mask is the
    opposite: True = blocked). Returns (N,n,E).
    """
    xq, xkv = _arr(x_q, "x_q", 3), _arr(x_kv, "x_kv", 3)
    E = xq.shape[-1]
    if isinstance(num_heads, bool) or not isinstance(num_heads, (numbers.Integral, np.integer)) or num_heads < 1:
        raise ValueError(f"num_heads must be a positive int, got {num_heads!r}")
    h = int(num_heads)
    if E % h:
        raise ValueError(f"E = {E} must be divisible by num_heads = {h}")
    if xkv.shape[0] != xq.shape[0] or xkv.shape[-1] != E:
        raise ValueError(f"x_kv must be (N,m,E) with x_q's N and E: got {xkv.shape} and {xq.shape}")

    def lin(x, W, b, name):
        W = _arr(W, name, 2)
        if W.shape != (E, E):
            raise ValueError(f"{name} must have shape (E,E) = {(E, E)}, got {W.shape}")
        y = x @ W.T
        return y if b is None else y + _arr(b, "b" + name[1:], 1)

    def split(x):  # (N, L, E) -> (N*h, L, E/h), head-major inside each batch element
        N, L, _ = x.shape
        return x.reshape(N, L, h, E // h).transpose(0, 2, 1, 3).reshape(N * h, L, E // h)

    q, k, v = lin(xq, Wq, bq, "Wq"), lin(xkv, Wk, bk, "Wk"), lin(xkv, Wv, bv, "Wv")
    o = attention(split(q), split(k), split(v), mask)  # (N*h, n, E/h)
    N, n = xq.shape[:2]
    o = o.reshape(N, h, n, E // h).transpose(0, 2, 1, 3).reshape(N, n, E)
    return lin(o, Wo, bo, "Wo")
