"""attention.* -- scaled dot-product attention, its backward pass, sinusoidal positional encoding.

Oracles: a torch rebuild (autograd for the backward), torch's own
``F.scaled_dot_product_attention`` (its bool ``attn_mask`` means the same as
the contract's: True = may attend), properties (rows with a single allowed
key copy that key's value; PE[p+k] is a rotation of PE[p]).
"""

from __future__ import annotations

import math

import numpy as np

import reference as ref  # (reference.attention is also a function name: use the package)
from checks.core.compare import Tol, Verdict, assert_array_close, fail
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, st
from checks.oracles.torchlib import F, N, T, torch

# ---------------------------------------------------------------- strategies


@st.composite
def _mask(draw, n: int, m: int) -> np.ndarray:
    """A bool (n, m) mask, every row with at least one True; some rows with exactly one, on purpose."""
    regime = draw(st.sampled_from(["random", "one-key rows", "all true", "causal-like"]))
    if regime == "all true":
        return np.ones((n, m), dtype=bool)
    if regime == "causal-like":
        return np.tril(np.ones((n, m), dtype=bool), k=max(0, m - n))
    mk = np.array(draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m)), dtype=bool).reshape(n, m)
    for r in range(n):
        one = regime == "one-key rows" and draw(st.booleans())
        if one or not mk[r].any():
            mk[r] = False
            mk[r, draw(st.integers(0, m - 1))] = True
    return mk


@st.composite
def _qkv(draw, backward: bool = False):
    N_, n, m = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    d, dv = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    regime = draw(st.sampled_from(["moderate", "sharp", "moderate", "equal keys", "zero queries"]))
    hi = 5.0 if regime == "sharp" else 2.0  # sharp: scores up to 50, softmax nearly one-hot
    if draw(st.sampled_from([True, True, False])):
        # varied values from a drawn seed: Hypothesis' arrays repeat one fill value almost everywhere,
        # which makes every score equal and hides a wrong scale
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        Q, K = rng.uniform(-hi, hi, (N_, n, d)), rng.uniform(-hi, hi, (N_, m, d))
        V = rng.uniform(-10, 10, (N_, m, dv))
        dy = rng.uniform(-10, 10, (N_, n, dv))
    else:
        Q, K = draw(array((N_, n, d), -hi, hi)), draw(array((N_, m, d), -hi, hi))
        V = draw(array((N_, m, dv), -10, 10))
        dy = draw(array((N_, n, dv), -10, 10)) if backward else None
    if regime == "equal keys":  # tied scores: equal weights on the repeated keys
        K[:, :] = K[:, :1]
    if regime == "zero queries":  # every score 0: uniform weights
        Q[:] = 0.0
    if backward:
        return Case((Q, K, V, dy))
    how = draw(st.sampled_from(["keyword", "positional", "keyword", "positional", "omitted", "None"]))
    if how == "omitted":
        return Case((Q, K, V))
    if how == "None":
        return Case((Q, K, V), {"mask": None})
    mk = draw(_mask(n, m))
    return Case((Q, K, V, mk)) if how == "positional" else Case((Q, K, V), {"mask": mk})


attention_cases = _qkv
backward_cases = lambda: _qkv(backward=True)  # noqa: E731


@st.composite
def pe_cases(draw):
    n = draw(st.sampled_from([1, 2, 3, 4, 7, 16, 50, 128]))
    d = 2 * draw(st.sampled_from([1, 2, 3, 4, 8, 16]))
    return Case((n, d))


# ---------------------------------------------------------------- torch oracles


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


# ---------------------------------------------------------------- properties


def _single_key_rows(case, y):
    """A query row whose mask allows exactly one key j outputs V[:, j] exactly (its weight is 1)."""
    Q, K, V = case.args[:3]
    mask = case.args[3] if len(case.args) > 3 else case.kwargs.get("mask")
    m = K.shape[1]
    mk = np.ones((Q.shape[1], m), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(mk.sum(axis=1) == 1)
    if m == 1:
        rows = np.arange(Q.shape[1])
    for r in rows:
        j = int(np.flatnonzero(mk[r])[0])
        assert_array_close(np.asarray(y)[:, r, :], np.asarray(V)[:, j, :], Tol(rtol=1e-12, atol=1e-12),
                           f"attention -> y[:, {r}, :] (query {r} may attend to key {j} only, so its output is V[:, {j}, :])")
    # every output is a convex combination of the allowed values
    Vb = np.asarray(V)[:, None, :, :]  # (N, 1, m, dv)
    lo = np.where(mk[None, :, :, None], Vb, np.inf).min(axis=2)
    hi = np.where(mk[None, :, :, None], Vb, -np.inf).max(axis=2)
    bad = (np.asarray(y) < lo - 1e-9) | (np.asarray(y) > hi + 1e-9)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        fail(Verdict.PROPERTY, f"attention -> y{i} = {float(np.asarray(y)[i])!r} lies outside [{float(lo[i])!r}, {float(hi[i])!r}],"
             " the range of the values its query may attend to (softmax weights are >= 0 and sum to 1 over the keys)")


def _pe_rotation(case, pe):
    r"""PE[0] = (0,1,0,1,...) and PE[p+k] = R(k) PE[p] for every p, k: each (sin, cos) pair of
    frequency ω_i = 10000^(−2i/d) turns by the angle kω_i (sin(a+b) = sin a cos b + cos a sin b,
    cos(a+b) = cos a cos b − sin a sin b) -- the notes' reason for sinusoids (004 位置编码)."""
    n, d = case.args
    pe = np.asarray(pe, dtype=np.float64)
    tol = Tol(rtol=0.0, atol=1e-9)
    e0 = np.tile([0.0, 1.0], d // 2)
    if n:
        assert_array_close(pe[0], e0, tol, "positional_encoding -> PE[0] (sin 0 = 0 in even columns, cos 0 = 1 in odd)")
    w = 10000.0 ** (-2.0 * np.arange(d // 2) / d)
    s, c = pe[:, 0::2], pe[:, 1::2]
    for k in range(1, n):
        ck, sk = np.cos(k * w), np.sin(k * w)
        want = np.empty((n - k, d))
        want[:, 0::2] = s[:-k] * ck + c[:-k] * sk
        want[:, 1::2] = c[:-k] * ck - s[:-k] * sk
        assert_array_close(pe[k:], want, tol,
                           f"positional_encoding -> PE[k:] vs the rotation of PE[:-k] by the angles k*w_i, k = {k}")


# ---------------------------------------------------------------- entries

_TOL = Tol(rtol=1e-9, atol=1e-11)

register(Formula(
    id="attention.attention",
    source=Source("004", "Transformer, 核心原理 — 注意力机制 (Attention); 001 A6.4 自注意力层",
                  "softmax(QKᵀ/√d_k) V", "Attention(Q, K, V) = softmax(QKᵀ / √d_k) * V"),
    reference=ref.attention,
    strategy=attention_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _torch_rebuild, description="softmax(Q Kᵀ/√d, masked_fill(~mask, -inf)) @ V in torch"),
        Oracle("torch:F.scaled_dot_product_attention", _torch_sdpa,
               description="torch's SDPA with the bool mask as attn_mask (True = may attend, as in the contract)"),
        Oracle("property:single-key-rows-and-convexity", _single_key_rows, kind="property",
               description="rows with one allowed key copy its value; outputs lie within the allowed values"),
    ),
    points=2, tol=_TOL,
    summary="Q (N,n,d), K (N,m,d), V (N,m,dv), mask (n,m) bool True = may attend",
))

register(Formula(
    id="attention.attention_backward",
    source=Source("004", "Transformer, 核心原理 — 注意力机制 (Attention); 002 §7 softmax 导数",
                  "dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = dS K/√d, dK = dSᵀ Q/√d, dV = Pᵀ dy",
                  "Attention(Q, K, V) = softmax(QKᵀ / √d_k) * V"),
    reference=ref.attention_backward,
    strategy=backward_cases,
    outputs=("dQ", "dK", "dV"),
    oracles=(
        Oracle("torch", _backward_of(_t_attention), description="autograd of the torch rebuild, random dy"),
        Oracle("torch:F.scaled_dot_product_attention",
               _backward_of(lambda q, k, v: F().scaled_dot_product_attention(q, k, v)),
               description="autograd of torch's SDPA, random dy"),
    ),
    points=2, tol=Tol(rtol=1e-8, atol=1e-10),
))

register(Formula(
    id="attention.positional_encoding",
    source=Source("004", "Transformer, 位置编码 (Positional Encoding)",
                  "PE[p,2i] = sin(p/10000^(2i/d)), PE[p,2i+1] = cos(p/10000^(2i/d))",
                  "位置编码 (Positional Encoding) 用于引入序列位置信息，通常采用正余弦函数。"),
    reference=ref.positional_encoding,
    strategy=pe_cases,
    outputs=("PE",),
    oracles=(
        Oracle("torch", _torch_pe, description="exp(arange(0,d,2)·(−ln 10000/d)) frequencies, sin/cos in torch"),
        Oracle("property:relative-position-rotation", _pe_rotation, kind="property",
               description="PE[p+k] = block-rotation(k·ω_i) PE[p] for all p, k; PE[0] = (0,1,0,1,...)"),
    ),
    points=1, tol=Tol(rtol=1e-9, atol=1e-11),
    summary="n positions, d even; n up to 128 drawn",
))
