"""Audit of notes 002 (study notes), ``002_1feb5fa5caddec6d.md``:
§5 ResNet/highway network (the residual gradient, no extra parameters, the
highway eq. (3)) and §6 CNN pooling (1-max and k-max pooling of text, 2x2
image pooling, average pooling)."""

from __future__ import annotations

import numpy as np

from checks.audit.common import EXACT, TIGHT, R, ints, ref, sigmoid
from checks.audit.model import FILES, collector, Truth
from checks.strategies import Case, array, st
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["002"])


# =====================================================================
# §5 ResNet / highway
# =====================================================================


@st.composite
def _res_cases(draw):
    n, d = draw(ints(1, 3)), draw(ints(1, 3))
    return Case((draw(array((n, d), -2, 2)), draw(array((d, d), -2, 2)), draw(array((d,), -2, 2)), draw(array((n, d), -2, 2))))


def _res_grad_as_written(x, W, b, dy):
    # y = x + F(x), F(x) = tanh(x W^T + b):  dx = dy (I + ∂F/∂x)
    t = np.tanh(x @ W.T + b)
    return dy + (dy * (1 - t ** 2)) @ W


def _res_grad_torch(x, W, b, dy):
    xt = T(x, grad=True)
    (xt + torch().tanh(xt @ T(W).T + T(b))).backward(T(dy))
    return N(xt.grad)


entry(
    id="002.5.residual_gradient", location="§5 ResNet, 好处 1 (line 183)",
    quote="回传梯度时, 即使多层网络 f(x) 梯度较小或消失, 仍能通过 short-cut 路径, 把梯度回传给近端输入",
    claim="Through y = x + F(x) the gradient is dy·(I + ∂F/∂x): the shortcut passes dy unchanged.",
    as_written=_res_grad_as_written,
    correct=(ref("residual_backward", lambda f: lambda *a: f(*a)[0], "reference.residual_backward -> dx"), Truth("torch autograd", _res_grad_torch)),
    strategy=lambda: _res_cases(), tol=TIGHT, checked="x (N,D), W (D,D), b, dy: N, D in 1..3, entries in [-2,2]; F(x) = tanh(xW^T + b)",
    topics=("residual",),
)


def _extra_params_truth(d):
    tch = torch()
    plain = sum(p.numel() for p in tch.nn.Linear(d, d).parameters())  # F alone
    residual = plain  # y = x + F(x): the shortcut has no parameter
    highway = plain + sum(p.numel() for p in tch.nn.Linear(d, d).parameters())  # + the gate T(x, W_T)
    return {"residual extra": residual - plain, "highway extra > 0": highway - plain > 0}


entry(
    id="002.5.resnet_no_extra_params", location="§5 ResNet, 好处 5 (line 191) and highway (line 195)",
    quote="5 相比于 highway network, 不引入额外参数 … (highway) 也能解决梯度消失, 但需要引入额外参数学习门控",
    claim="A residual shortcut adds no parameter; a highway gate adds some.",
    as_written=lambda d: {"residual extra": 0, "highway extra > 0": True},
    correct=(Truth("parameter counts of torch nn.Linear layers", _extra_params_truth),),
    strategy=lambda: ints(1, 8).map(lambda d: Case((d,))), tol=EXACT, checked="width D in 1..8", topics=("residual",),
)


@st.composite
def _hw_cases(draw):
    n, d = draw(ints(1, 3)), draw(ints(1, 3))
    return Case((draw(array((n, d), -2, 2)), draw(array((d, d), -2, 2)), draw(array((d,), -2, 2)),
                 draw(array((d, d), -2, 2)), draw(array((d,), -2, 2))))


def _highway_as_written(x, WH, bH, WT, bT):
    # y = H(x, W_H)·T(x, W_T) + x·(1 - T(x, W_T)), H = relu(affine), T = σ(affine) (the contract's choice of H)
    Hx = np.maximum(x @ WH.T + bH, 0.0)
    Tx = sigmoid(x @ WT.T + bT)
    return Hx * Tx + x * (1 - Tx)


def _highway_torch(x, WH, bH, WT, bT):
    xt = T(x)
    Hx = F().relu(F().linear(xt, T(WH), T(bH)))
    Tx = torch().sigmoid(F().linear(xt, T(WT), T(bT)))
    return N(Hx * Tx + xt * (1 - Tx))


entry(
    id="002.5.highway", location="§5 Highway network, eq. (3) (line 197)",
    quote="y = H(x, W_H)·T(x, W_T) + x·(1 - T(x, W_T)). (3)",
    claim="The highway layer (H = relu of an affine map, T = sigmoid gate).",
    as_written=_highway_as_written,
    correct=(ref("highway"), Truth("torch rebuild", _highway_torch)),
    strategy=lambda: _hw_cases(), tol=TIGHT, checked="x (N,D), W_H, W_T (D,D), b_H, b_T: N, D in 1..3, entries in [-2,2]",
    topics=("residual", "highway"),
)

# =====================================================================
# §6 pooling
# =====================================================================


@st.composite
def _text_pool_cases(draw):
    n, c, t = draw(ints(1, 2)), draw(ints(1, 3)), draw(ints(1, 5))
    x = draw(array((n, c, t), elements=st.integers(-3, 3).map(float)))
    return Case((x, draw(ints(1, t))))


entry(
    id="002.6.one_max_pooling", location="§6 CNN 文本, 1-max pooling (line 212)",
    quote="1-max pooling: 每个卷积核得到的向量中, 选择最大的, 拼成 n 维向量",
    claim="1-max pooling keeps each kernel's largest value: n kernels -> an n-dim vector.",
    as_written=lambda x, k: x.max(axis=2),
    correct=(ref("kmax_pool", lambda f: lambda x, k: f(x, 1)[:, :, 0], "reference.kmax_pool(k=1)"),
             Truth("torch amax", lambda x, k: N(torch().amax(T(x), dim=2)))),
    strategy=lambda: _text_pool_cases(), tol=EXACT, checked="x (N,C,T) up to (2,3,5), small integers (ties)",
    topics=("pool",),
)


def _kmax_as_written(x, k):
    # 每个向量选最大 K 个特征, 拼成 Kn 维向量 (the order of the kept values is not specified: compared as sorted)
    top = -np.sort(-x, axis=2)[:, :, :k]
    return np.sort(top.reshape(x.shape[0], -1), axis=1), x.shape[1] * k


def _kmax_truth(x, k):
    y = R("kmax_pool")(x, k)
    return np.sort(y.reshape(x.shape[0], -1), axis=1), y.shape[1] * y.shape[2]


def _kmax_torch(x, k):
    y = N(torch().topk(T(x), k, dim=2).values)
    return np.sort(y.reshape(x.shape[0], -1), axis=1), y.shape[1] * y.shape[2]


entry(
    id="002.6.k_max_pooling", location="§6 CNN 文本, k-max pooling (line 215)",
    quote="k-max pooling: … 每个向量选最大 K 个特征, 拼成 Kn 维向量",
    claim="k-max pooling keeps the K largest values of each of the n vectors: a Kn-dim vector.",
    as_written=_kmax_as_written,
    correct=(Truth("reference.kmax_pool (values, size)", _kmax_truth), Truth("torch.topk (values, size)", _kmax_torch)),
    strategy=lambda: _text_pool_cases(), tol=EXACT,
    checked="x (N,C,T) up to (2,3,5), small integers (ties), k in 1..T; the kept values compared as a multiset (the notes do not fix their order; the contract keeps time order)",
    topics=("pool",),
)


@st.composite
def _img_pool_cases(draw):
    n, c, h, w = draw(ints(1, 2)), draw(ints(1, 2)), draw(ints(2, 5)), draw(ints(2, 5))
    return Case((draw(array((n, c, h, w), elements=st.integers(-3, 3).map(float))),))


def _pool2x2_as_written(x):
    # 选取 2×2 不重叠区域: max and average of each block (a trailing odd row/column is dropped)
    n, c, h, w = x.shape
    b = x[:, :, : h // 2 * 2, : w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
    return b.max(axis=(3, 5)), b.mean(axis=(3, 5))


def _pool2x2_truth(x):
    return R("maxpool2d")(x, 2, 2), N(F().avg_pool2d(T(x), 2, 2))


def _pool2x2_torch(x):
    return N(F().max_pool2d(T(x), 2, 2)), N(F().avg_pool2d(T(x), 2, 2))


entry(
    id="002.6.pool_2x2", location="§6 CNN 图像 (lines 224-229)",
    quote="一般选取不重叠区域池化。如果选取 2×2 不重叠区域 … 平均池化： 每次选取每个区域的均值 … 最大池化： 每次选取每个区域的最大值",
    claim="2×2 non-overlapping max and average pooling.",
    as_written=_pool2x2_as_written,
    correct=(Truth("reference.maxpool2d(k=2, stride=2), torch avg_pool2d", _pool2x2_truth), Truth("torch max_pool2d / avg_pool2d", _pool2x2_torch)),
    strategy=lambda: _img_pool_cases(), tol=TIGHT, checked="x (N,C,H,W), H, W in 2..5 (odd sizes: floor mode), small integers",
    topics=("pool",),
)

entry(
    id="002.6.average_pooling_text", location="§6 CNN 文本, 平均池化 (line 217)",
    quote="平均池化： 所有卷积核得到的特征向量取平均",
    claim="Average pooling for text: the mean of each kernel's feature vector over time.",
    as_written=lambda x, k: x.mean(axis=2),
    correct=(Truth("torch adaptive_avg_pool1d(·, 1)", lambda x, k: N(F().adaptive_avg_pool1d(T(x), 1))[:, :, 0]),),
    strategy=lambda: _text_pool_cases(), tol=TIGHT, checked="x (N,C,T) up to (2,3,5)", topics=("pool",),
)
