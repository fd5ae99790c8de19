"""attention.* -- scaled dot-product attention, its backward pass, sinusoidal positional encoding.

Oracles: a torch rebuild (autograd for the backward), torch's own
``F.scaled_dot_product_attention`` (its bool ``attn_mask`` means the same as
the contract's: True = may attend), properties (rows with a single allowed
key copy that key's value; PE[p+k] is a rotation of PE[p]).
"""

from __future__ import annotations

import reference as ref
from checks.core.compare import Tol
from checks.formulas import Strategies
from checks.judges.attention import _pe_rotation, _single_key_rows
from checks.oracles.attention import _backward_of, _t_attention, _torch_pe, _torch_rebuild, _torch_sdpa
from checks.oracles.torchlib import F
from checks.registry import Formula, Oracle, Source, register


S = Strategies("attention")

_TOL = Tol(rtol=1e-9, atol=1e-11)


register(Formula(
    id="attention.attention",
    source=Source("004", "Transformer, 核心原理 — 注意力机制 (Attention); 001 A6.4 自注意力层",
                  "softmax(QKᵀ/√d_k) V", "Attention(Q, K, V) = softmax(QKᵀ / √d_k) * V"),
    reference=ref.attention,
    strategy=S.attention_cases,
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
    strategy=S.attention_backward_cases,
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
    strategy=S.pe_cases,
    outputs=("PE",),
    oracles=(
        Oracle("torch", _torch_pe, description="exp(arange(0,d,2)·(−ln 10000/d)) frequencies, sin/cos in torch"),
        Oracle("property:relative-position-rotation", _pe_rotation, kind="property",
               description="PE[p+k] = block-rotation(k·ω_i) PE[p] for all p, k; PE[0] = (0,1,0,1,...)"),
    ),
    points=1, tol=Tol(rtol=1e-9, atol=1e-11),
    summary="n positions, d even; n up to 128 drawn",
))
