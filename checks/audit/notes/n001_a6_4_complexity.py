"""Audit of notes 001 (assignment A6 "分析与简答"), ``001_21b8451c1ff404b6.md``:
A6.4 (自注意力 vs 循环层 vs 卷积层): the FLOP exponents of self-attention,
recurrent and convolutional layers, measured with
``torch.utils.flop_counter.FlopCounterMode`` and fitted; the softmax cost;
the convolution's output length without and with same padding; the
attention formula."""

from __future__ import annotations

import math

import numpy as np

from checks.audit.common import EXACT, EXPONENT, TIGHT, fit_exponents, flops, ref, softmax, sweep
from checks.audit.model import FILES, collector, Truth
from checks.strategies import array, st
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["001"])


# =====================================================================
# A6.4  complexity (FLOPs measured with torch.utils.flop_counter.FlopCounterMode)
# =====================================================================


def _attn_cost(n, d):
    tch = torch()
    Q, K, V = (tch.randn(n, d) for _ in range(3))
    return flops(lambda: tch.softmax(Q @ K.T, dim=-1) @ V)


def _rnn_cost(n, d):
    tch = torch()
    U, W, xs = tch.randn(d, d), tch.randn(d, d), tch.randn(n, d, 1)  # input size m = d

    def run():
        h = tch.zeros(d, 1)
        for t in range(n):
            h = tch.tanh(U @ xs[t] + W @ h)
    return flops(run)


def _conv_cost(n, k, d):
    tch = torch()
    x, w = tch.randn(1, d, n), tch.randn(d, d, k)
    return flops(lambda: F().conv1d(x, w, padding="same"))


def _ux_cost(m, d):
    tch = torch()
    U, x = tch.randn(d, m), tch.randn(m, 1)
    return flops(lambda: U @ x)


def _wh_cost(d):
    tch = torch()
    W, h = tch.randn(d, d), tch.randn(d, 1)
    return flops(lambda: W @ h)


def _fit(cost, grid):
    return lambda: fit_exponents(sweep(cost, grid))


_NGRID = [8, 16, 32, 64]

entry(
    id="001.A6.4.self_attention_flops", location="A6.4, 自注意力层 (lines 106-111)",
    quote="相似度计算 QK^T: n×d 与 d×n 运算，得到 n×n 矩阵，复杂度为 O(n²d) … 加权和: n×n 与 n×d 运算 … 故最后self-attention的时间复杂度为 O(n²d)",
    claim="Self-attention softmax(QK^T)V costs O(n² d): exponent 2 in n, 1 in d.",
    as_written=lambda: {"n": 2.0, "d": 1.0},
    correct=(Truth("FlopCounterMode sweep, fitted exponents", _fit(_attn_cost, {"n": _NGRID, "d": _NGRID})),),
    checked="FLOPs of softmax(QK^T)V for n, d in {8,16,32,64} (one varied at a time), log-log least squares; tolerance 0.1 on each exponent",
    tol=EXPONENT, topics=("complexity", "attention"),
)

entry(
    id="001.A6.4.recurrent_flops", location="A6.4, 循环层 (lines 92-98)",
    quote="故一次操作的时间复杂度为 O(d²)，n次序列操作后的总时间复杂度为 O(nd²)",
    claim="A recurrent layer h_t = f(Ux_t + Wh_{t-1}) over n steps costs O(n d²) (input size m = d).",
    as_written=lambda: {"n": 1.0, "d": 2.0},
    correct=(Truth("FlopCounterMode sweep, fitted exponents", _fit(_rnn_cost, {"n": _NGRID, "d": _NGRID})),),
    checked="FLOPs of n steps of tanh(U x_t + W h) with m = d, n, d in {8,16,32,64}; tolerance 0.1",
    tol=EXPONENT, topics=("complexity", "rnn"),
)

entry(
    id="001.A6.4.recurrent_step_flops", location="A6.4, 循环层 bullets (lines 95-96)",
    quote="Ux_t: d×m 与 m×1 运算，复杂度为 O(md)；Wh_{t-1}: d×d 与 d×1 运算，复杂度为 O(d²)",
    claim="One step: Ux_t costs O(md), Wh_{t-1} costs O(d²).",
    as_written=lambda: {"Ux:m": 1.0, "Ux:d": 1.0, "Wh:d": 2.0},
    correct=(Truth("FlopCounterMode sweeps, fitted exponents",
                   lambda: {**{f"Ux:{k}": v for k, v in fit_exponents(sweep(_ux_cost, {"m": _NGRID, "d": _NGRID})).items()},
                            **{f"Wh:{k}": v for k, v in fit_exponents(sweep(_wh_cost, {"d": _NGRID})).items()}}),),
    checked="FLOPs of U@x for m, d in {8..64} and of W@h for d in {8..64}; tolerance 0.1",
    tol=EXPONENT, topics=("complexity", "rnn"),
)

entry(
    id="001.A6.4.convolution_flops", location="A6.4, 卷积层 (lines 100-104)",
    quote="大小为 k×d 的卷积核一次运算的复杂度为 O(kd)，一共做了 n 次，故复杂度为 O(nkd) … 需要 d 个卷积核，所以卷积操作总的时间复杂度为 O(nkd²)",
    claim="A 1-d convolution layer (d in and out channels, kernel k, length n, 'same' padding) costs O(n k d²).",
    as_written=lambda: {"n": 1.0, "k": 1.0, "d": 2.0},
    correct=(Truth("FlopCounterMode sweep, fitted exponents", _fit(_conv_cost, {"n": [16, 32, 64, 128], "k": [3, 5, 9, 17], "d": [4, 8, 16, 32]})),),
    checked="FLOPs of F.conv1d(x (1,d,n), w (d,d,k), padding='same'), n in {16..128}, k in {3..17}, d in {4..32}; tolerance 0.1",
    tol=EXPONENT, topics=("complexity", "conv"),
)


def _softmax_work(n):
    """Elementary operations of a row-wise softmax on an n×n matrix, counted per primitive (max, subtract, exp, sum, divide)."""
    ops = 0
    z = np.random.default_rng(0).standard_normal((n, n))
    for row in z:
        m = row.max(); ops += row.size            # noqa: E702
        e = np.exp(row - m); ops += 2 * row.size  # noqa: E702
        s = e.sum(); ops += row.size              # noqa: E702
        _ = e / s; ops += row.size                # noqa: E702
    return ops


entry(
    id="001.A6.4.softmax_cost", location="A6.4, 自注意力层 softmax bullet (line 110)",
    quote="softmax计算: 对每行做softmax，复杂度为 O(n)，则 n 行的复杂度为 O(n²)",
    claim="Row-wise softmax of the n×n score matrix costs O(n²).",
    as_written=lambda: {"n": 2.0},
    correct=(Truth("counted primitive operations, fitted exponent", _fit(_softmax_work, {"n": _NGRID})),),
    checked="operations of a counted row-wise softmax for n in {8,16,32,64}; tolerance 0.1",
    tol=EXPONENT, topics=("complexity", "attention"),
)


@st.composite
def _nk(draw):
    from checks.strategies import Case
    n = draw(st.integers(1, 12))
    return Case((n, draw(st.integers(1, n))))


def _conv_len_torch(n, k):
    return int(F().conv1d(torch().zeros(1, 1, n), torch().zeros(1, 1, k)).shape[-1])


entry(
    id="001.A6.4.conv_no_padding_length", location="A6.4, 卷积层 first bullet (line 102)",
    quote="如果不 padding的话，那么输出的第一个维度为 n-k+1，因为这里stride是为1的",
    claim="Without padding (stride 1) the output length is n - k + 1.",
    as_written=lambda n, k: n - k + 1,
    correct=(Truth("torch F.conv1d output length", _conv_len_torch),),
    strategy=lambda: _nk(), checked="n in 1..12, k in 1..n", tol=EXACT, topics=("conv",),
)


def _same_padding_truth(n, k):
    """The (left, right) zero padding that reproduces torch's padding='same' output for this (n, k)."""
    tch = torch()
    x = tch.arange(1.0, n + 1).reshape(1, 1, n)
    w = tch.arange(1.0, k + 1).reshape(1, 1, k) ** 2
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "padding='same' with even kernel lengths ... zero-padded copy"
        y = F().conv1d(x, w, padding="same")
    for left in range(k):
        right = k - 1 - left
        if tch.equal(F().conv1d(F().pad(x, (left, right)), w), y):
            return [float(left), float(right)]
    return None


entry(
    id="001.A6.4.conv_same_padding", location="A6.4, 卷积层 first bullet (line 102)",
    quote="为了保证输入输出相同，则需要对序列的前后分别padding长度为 (k-1)/2",
    claim="Padding (k-1)/2 before and after the sequence keeps the length n (stride 1).",
    as_written=lambda n, k: [(k - 1) / 2, (k - 1) / 2],
    correct=(Truth("torch F.conv1d(padding='same'): the (left, right) padding it applies", _same_padding_truth),),
    strategy=lambda: _nk(), checked="n in 1..12, k in 1..n (odd and even k)", tol=EXACT,
    correction="(k-1)/2 on each side only for odd k. For even k the total padding k-1 is odd: pad ⌊(k-1)/2⌋ before and ⌈(k-1)/2⌉ after (torch's padding='same'), or use odd kernels.",
    topics=("conv",),
)


@st.composite
def _attn_cases(draw):
    from checks.strategies import Case
    n, m, d, dv = (draw(st.integers(1, 3)) for _ in range(4))
    return Case((draw(array((1, n, d), -2, 2)), draw(array((1, m, d), -2, 2)), draw(array((1, m, dv), -2, 2))))


def _attn_unscaled(Q, K, V):
    # A(Q,K,V) = Softmax(QK^T) V
    return softmax(Q @ np.swapaxes(K, -1, -2)) @ V


def _sdpa_torch(Q, K, V):
    return N(F().scaled_dot_product_attention(T(Q), T(K), T(V)))


entry(
    id="001.A6.4.attention_formula", location="A6.4, 自注意力层 formula (line 107)",
    quote="A(Q,K,V) = Softmax(QK^T) V",
    claim="Self-attention is softmax(QK^T)V (no 1/√d scaling).",
    as_written=_attn_unscaled,
    correct=(ref("attention", lambda f: lambda Q, K, V: f(Q, K, V)), Truth("torch F.scaled_dot_product_attention", _sdpa_torch)),
    strategy=lambda: _attn_cases(),
    checked="Q (1,n,d), K (1,m,d), V (1,m,dv): sizes 1..3, entries in [-2,2]",
    kind="variant", convention="unscaled dot-product attention (the 1/√d folded into Q, e.g. into W_Q)",
    fn_map=lambda aw: (lambda Q, K, V: aw(Q / math.sqrt(Q.shape[-1]), K, V)),
    matters="the unscaled scores have variance ~d for unit-variance q, k: for large d the softmax saturates (near one-hot, vanishing gradients); Vaswani et al. scale by 1/√d for this reason. Identical for d = 1.",
    correction="Transformer attention is softmax(QK^T/√d_k)V (as 004 writes it); the unscaled form is Luong's dot attention.",
    tol=TIGHT, topics=("attention",),
)
