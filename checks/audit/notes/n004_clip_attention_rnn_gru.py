"""Audit of notes 004 (interview notes; its formulas were images and are lost, the
audit checks the textual claims), ``004_ee6cdde1245a4949.md``:
解决梯度消失和梯度爆炸的方法 4 梯度裁剪, Transformer (the attention formula)
and Transformer为什么可以并行 (the weights' shape), RNN, 什么是embedding,
LSTM和GRU (the GRU's fewer parameters, the forget gate)."""

from __future__ import annotations

import math

import numpy as np

from checks.audit.common import EXACT, TIGHT, R, ints, ref, softmax
from checks.audit.model import FILES, collector, Truth
from checks.strategies import Case, array, st
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["004"])


# ---------------------------------------------------------------- clipping, attention, RNN, embedding, GRU


@st.composite
def _grads(draw):
    k = draw(ints(1, 3))
    return Case(([draw(array(st.tuples(ints(1, 3)), -12, 12)) for _ in range(k)],))


def _clip_torch(grads):
    tch = torch()
    ps = [tch.nn.Parameter(T(np.zeros_like(g))) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = T(g)
    tch.nn.utils.clip_grad_value_(ps, 5.0)
    return [N(p.grad) for p in ps]


entry(
    id="004.gradient_clipping", location="解决梯度消失和梯度爆炸的方法, 4 梯度裁剪 (line 42)",
    quote="主要用于RNN、LSTM，在梯度过大时将其限制在某一范围内（如[-5, 5]）",
    claim="Clipping by value to [-5, 5].",
    as_written=lambda grads: [np.minimum(np.maximum(g, -5.0), 5.0) for g in grads],
    correct=(Truth("torch.nn.utils.clip_grad_value_(5)", _clip_torch), ref("clip_grad_value", lambda f: lambda grads: f(grads, 5.0))),
    strategy=lambda: _grads(), tol=EXACT, checked="1..3 gradient arrays of size 1..3, entries in [-12,12]", topics=("clip",),
)


@st.composite
def _attn_cases(draw):
    n, m, d, dv = (draw(ints(1, 3)) for _ in range(4))
    return Case((draw(array((1, n, d), -2, 2)), draw(array((1, m, d), -2, 2)), draw(array((1, m, dv), -2, 2))))


entry(
    id="004.attention", location="Transformer, 核心原理 — 注意力机制 (line 314)",
    quote="Attention(Q, K, V) = softmax(QKᵀ / √d_k) * V",
    claim="Scaled dot-product attention.",
    as_written=lambda Q, K, V: softmax(Q @ np.swapaxes(K, -1, -2) / math.sqrt(Q.shape[-1])) @ V,
    correct=(ref("attention", lambda f: lambda Q, K, V: f(Q, K, V)), Truth("torch F.scaled_dot_product_attention", lambda Q, K, V: N(F().scaled_dot_product_attention(T(Q), T(K), T(V))))),
    strategy=lambda: _attn_cases(), tol=TIGHT, checked="Q (1,n,d), K (1,m,d), V (1,m,dv): sizes 1..3, entries in [-2,2]",
    topics=("attention",),
)

entry(
    id="004.attention_weights_shape", location="Transformer为什么可以并行 (line 341)",
    quote="输入序列长度为 n，那么 Self-Attention 的计算是通过 Q dot K^T 实现 n[×n] 的权重矩阵，这可以使用矩阵乘法一次性完成",
    claim="For a sequence of length n, QKᵀ is an n×n weight matrix.",
    as_written=lambda Q, K, V: (Q.shape[1], Q.shape[1]),
    correct=(Truth("shape of torch Q @ K^T (self-attention: K from the same n positions)", lambda Q, K, V: tuple(int(s) for s in (T(Q) @ T(Q).transpose(-1, -2)).shape[1:])),),
    strategy=lambda: _attn_cases(), tol=EXACT, checked="Q (1,n,d), n, d in 1..3", topics=("attention",),
)


@st.composite
def _rnn_cases(draw):
    n, h, d = draw(ints(1, 2)), draw(ints(1, 3)), draw(ints(1, 3))
    return Case((draw(array((n, d), -2, 2)), draw(array((n, h), -2, 2)), draw(array((h, h), -2, 2)), draw(array((h, d), -2, 2)),
                 draw(array((h,), -2, 2)), draw(st.sampled_from(["tanh", "relu"]))))


def _rnn_cell_torch(x, h, Wh, Wx, b, act):
    tch = torch()
    cell = tch.nn.RNNCell(x.shape[1], h.shape[1], nonlinearity=act)
    with tch.no_grad():
        cell.weight_hh.copy_(T(Wh)), cell.weight_ih.copy_(T(Wx)), cell.bias_ih.copy_(T(b)), cell.bias_hh.zero_()
        return N(cell(T(x), T(h)))


entry(
    id="004.rnn", location="RNN, 核心计算公式 (line 375)",
    quote="hₜ = f(Wₕ * hₜ₋₁ + Wₓ * xₜ + b); f 通常是 tanh 或 ReLU 激活函数",
    claim="The RNN step.",
    as_written=lambda x, h, Wh, Wx, b, act: (np.tanh if act == "tanh" else (lambda z: np.maximum(z, 0)))(h @ Wh.T + x @ Wx.T + b),
    correct=(Truth("torch nn.RNNCell (bias_hh = 0)", _rnn_cell_torch),),
    strategy=lambda: _rnn_cases(), tol=TIGHT, checked="x (N,D), h (N,H), W_h, W_x, b: sizes 1..3, entries in [-2,2]; f in {tanh, relu}",
    topics=("rnn",),
)


@st.composite
def _emb_cases(draw):
    v, d = draw(ints(1, 5)), draw(ints(1, 3))
    return Case((draw(array((v, d), -2, 2)), draw(st.lists(ints(0, v - 1), min_size=1, max_size=4))))


def _emb_grad_truth(E, ids):
    tch = torch()
    Et = T(E, grad=True)
    F().embedding(tch.tensor(ids), Et).sum().backward()
    return N(F().embedding(tch.tensor(ids), T(E))), N(Et.grad)


def _emb_as_written(E, ids):
    # 每个词的 embedding 是这个矩阵中对应行的向量 (= one-hot(w) · E); its gradient: rows of the used words, repeats add up
    onehot = np.eye(E.shape[0])[ids]
    return onehot @ E, onehot.T @ np.ones((len(ids), E.shape[1]))


entry(
    id="004.embedding_lookup", location="什么是embedding, 2 (lines 470-472)",
    quote="假设词表大小为 V，embedding 维度为 d，那么 embedding 矩阵是 V × d。每个词的 embedding 是这个矩阵中对应行的向量。",
    claim="An embedding is a row lookup of the V×d matrix (one-hot times E); rows of repeated words get the sum of their gradients.",
    as_written=_emb_as_written,
    correct=(Truth("torch F.embedding (output, gradient of the sum)", _emb_grad_truth),
             ref("embedding_backward", lambda f: lambda E, ids: (E[ids], f(np.array([ids]), np.ones((1, len(ids), E.shape[1])), E.shape[0])), "reference.embedding_backward")),
    strategy=lambda: _emb_cases(), tol=TIGHT, checked="E (V,d), V in 1..5, d in 1..3; 1..4 word ids (repeats)", topics=("embedding",),
)


def _gru_lstm_counts(D, H):
    tch = torch()
    g = sum(p.numel() for p in tch.nn.GRUCell(D, H).parameters())
    l_ = sum(p.numel() for p in tch.nn.LSTMCell(D, H).parameters())
    return {"GRU / LSTM parameters": g / l_, "GRU has fewer": g < l_}


entry(
    id="004.gru_fewer_parameters", location="LSTM和GRU, GRU 的优势 (line 434)",
    quote="相较于 LSTM，GRU 没有记忆单元和输出门，计算量和参数较少",
    claim="A GRU has fewer parameters than an LSTM of the same sizes: 3 gate blocks instead of 4.",
    as_written=lambda D, H: {"GRU / LSTM parameters": 0.75, "GRU has fewer": True},
    correct=(Truth("parameter counts of torch nn.GRUCell and nn.LSTMCell", _gru_lstm_counts),),
    strategy=lambda: st.tuples(ints(1, 8), ints(1, 8)).map(lambda a: Case(a)), tol=TIGHT, checked="input size D and hidden size H in 1..8",
    topics=("gru",),
)


def _forget_extremes(x, h, c, W, b):
    H = h.shape[1]
    b = b.copy()
    out = []
    for fb in (-1e3, 1e3):  # forget gate forced to 0, then to 1 (and the input gate to 0)
        b[H:2 * H] = fb
        b[:H] = -1e3
        out.append(R("lstm_cell")(x, h, c, W, b)[1])
    return out


entry(
    id="004.lstm_forget_gate", location="LSTM和GRU, 遗忘门 (line 405)",
    quote="遗忘门 (Forget Gate)：决定保留前一时刻的记忆多少。通过 sigmoid 函数决定遗忘多少信息，值为 0 时完全忘记，值为 1 时完全保留。",
    claim="With the forget gate at 0 the old cell state is forgotten; at 1 it is kept (input gate closed).",
    as_written=lambda x, h, c, W, b: [np.zeros_like(c), c],
    correct=(Truth("reference.lstm_cell with the gates saturated by biases ±1e3", _forget_extremes),),
    strategy=lambda: st.tuples(ints(1, 2), ints(1, 3), ints(1, 2)).flatmap(lambda s: st.tuples(
        array((s[0], s[2]), -2, 2), array((s[0], s[1]), -2, 2), array((s[0], s[1]), -2, 2),
        array((4 * s[1], s[1] + s[2]), -1, 1), array((4 * s[1],), -1, 1))).map(lambda a: Case(a)),
    tol=TIGHT, checked="x (N,D), h, c (N,H), W (4H,H+D) in [-1,1]: sizes 1..3", topics=("lstm",),
)
