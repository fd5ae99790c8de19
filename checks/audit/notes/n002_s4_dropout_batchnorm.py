"""Audit of notes 002 (study notes), ``002_1feb5fa5caddec6d.md``:
§4 dropout (2^N models, the test-time scaling, the ratio) and
Batch_normalize (min-max scaling, standardisation, x^(k), mean 0 and
variance 1, γ and β, restoring the input, the CNN case)."""

from __future__ import annotations

import itertools

import numpy as np

from checks.audit.common import EPS0, EXACT, LOOSE, TIGHT, R, ints, ref
from checks.audit.model import FILES, collector, Tol, Truth
from checks.strategies import Case, array, st
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["002"])


# =====================================================================
# §4 dropout, BatchNorm
# =====================================================================

entry(
    id="002.4.dropout_2N_models", location="§4 dropout (line 130)",
    quote="如果共有 N 个神经元参与 dropout, 每个神经元都有两种可能, 相当于训练 2^N 个模型",
    claim="N droppable units give 2^N distinct sub-networks (masks).",
    as_written=lambda n: 2 ** n,
    correct=(Truth("enumeration of the distinct 0/1 masks", lambda n: len(set(itertools.product((0, 1), repeat=n)))),),
    strategy=lambda: ints(1, 10).map(lambda n: Case((n,))), tol=EXACT, checked="N in 1..10", topics=("dropout",),
)


@st.composite
def _drop_cases(draw):
    return Case((draw(array(st.tuples(ints(1, 3)), -3, 3)), draw(st.floats(0.05, 0.95))))


def _expected_train_output(x, p_drop):
    """E over every 0/1 mask (each unit kept with probability 1 - p_drop) of the training output x∘mask."""
    out = np.zeros_like(x)
    for m in itertools.product((0.0, 1.0), repeat=x.size):
        m = np.array(m).reshape(x.shape)
        prob = np.prod(np.where(m == 1, 1 - p_drop, p_drop))
        out += prob * R("dropout_train")(x, m, 1 - p_drop, False)
    return out


entry(
    id="002.4.dropout_test_scaling", location="§4 dropout (lines 134-136)",
    quote="训练时, 以概率 p 随机丢弃。测试时, 不丢弃神经元 … 所以测试时每个神经元的输出乘以概率 p , 使得总的输出量级等于训练时",
    claim="With units dropped with probability p in training, multiplying by p at test time matches the training output's expectation.",
    as_written=lambda x, p: p * x,
    correct=(Truth("exact expectation over all masks of reference.dropout_train", _expected_train_output),
             ref("dropout_eval", lambda f: lambda x, p: f(x, 1 - p, False), "reference.dropout_eval(p_keep = 1 - p)")),
    strategy=lambda: _drop_cases(), tol=TIGHT,
    checked="x (n,), n<=3, in [-3,3]; drop probability p in [0.05, 0.95]; the expectation enumerates all 2^n masks",
    correction="With p the DROP probability, E[train output] = (1-p)·x: multiply by the keep probability 1-p at test time (004 defines p as the keep probability, and then 'multiply by p' is right). torch uses inverted dropout: divide by 1-p in training, no test-time scaling.",
    topics=("dropout",),
)


def _ratio_truth(x, p):
    return float(np.sum(x) / np.sum(_expected_train_output(x, p)))


entry(
    id="002.4.dropout_ratio", location="§4 dropout (line 134)",
    quote="测试时, 不丢弃神经元, 可能导致网络输出比训练时大 p 倍",
    claim="Without dropping, the test output is p times the training output (p = drop probability).",
    as_written=lambda x, p: p,
    correct=(Truth("test output / expected training output (exact over all masks)", _ratio_truth),),
    strategy=lambda: _drop_cases().filter(lambda c: abs(np.sum(c.args[0])) > 0.1), tol=LOOSE,
    checked="x (n,), n<=3, in [-3,3] with |Σx| > 0.1; drop probability p in [0.05, 0.95]",
    correction="The test output is 1/(1-p) times the expected training output (it is the training output that is (1-p) times smaller).",
    topics=("dropout",),
)


@st.composite
def _spread_vec(draw):
    n = draw(ints(2, 5))
    x = draw(array((n,), elements=st.integers(-6, 6).map(float)))
    if x.max() == x.min():
        x[0] += 1.0
    return Case((x,))


def _minmax_truth(x):
    """The affine map a·x + b sending min(x) to 0 and max(x) to 1 (solved, not written)."""
    a, b = np.linalg.solve(np.array([[x.min(), 1.0], [x.max(), 1.0]]), np.array([0.0, 1.0]))
    return a * x + b


entry(
    id="002.4.minmax_scaling", location="§4 Batch_normalize, 一种等比例 (line 142)",
    quote="一种等比例: x = x - x_min / x_max - x_min",
    claim="Min-max scaling, as typed: x - x_min/x_max - x_min.",
    as_written=lambda x: x - x.min() / x.max() - x.min(),
    correct=(Truth("the affine map sending min to 0 and max to 1", _minmax_truth),),
    strategy=lambda: _spread_vec(), tol=LOOSE, checked="x (n,), n in 2..5, integers in [-6,6], not constant",
    correction="x' = (x - x_min) / (x_max - x_min): the parentheses are missing (as typed, / binds first).",
    topics=("norm",),
)

entry(
    id="002.4.standardize", location="§4 Batch_normalize, N(0,1) (line 142)",
    quote="一种改变分布为 N(0,1) x = x - u / σ",
    claim="Standardisation, as typed: x - u/σ.",
    as_written=lambda x: x - x.mean() / x.std(),
    correct=(ref("batchnorm_forward", lambda f: lambda x: f(x[:, None], np.ones(1), np.zeros(1), EPS0)[:, 0], "reference.batchnorm_forward (γ=1, β=0, eps→0)"),),
    strategy=lambda: _spread_vec(), tol=LOOSE, checked="x (n,), n in 2..5, integers in [-6,6], not constant",
    correction="x' = (x - u) / σ (parentheses), σ the standard deviation.",
    topics=("norm",),
)


@st.composite
def _bn_cases(draw, eps=True):
    n, d = draw(ints(2, 4)), draw(ints(1, 3))
    scale = draw(st.sampled_from([1.0, 1.0, 1e-2, 1e-3]))
    x = draw(array((n, d), -3, 3)) * scale
    x[0] += scale  # no constant column
    x[1] -= scale
    args = (x,)
    if eps:
        args += (draw(st.sampled_from([1e-5, 1e-3, 1e-8])),)
    return Case(args)


def _bn_torch(x, eps):
    return N(F().batch_norm(T(x), None, None, training=True, eps=eps))


entry(
    id="002.4.bn_normalize", location="§4 Batch_normalize, x^(k) (line 148)",
    quote="x^(k) = (x^(k) - E[x^(k)]) / sqrt(Var[x^(k)])",
    claim="BatchNorm's normalisation, without eps.",
    as_written=lambda x, eps: (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0)),
    correct=(ref("batchnorm_forward", lambda f: lambda x, eps: f(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), eps), "reference.batchnorm_forward (γ=1, β=0)"),
             Truth("torch F.batch_norm (training)", _bn_torch)),
    strategy=lambda: _bn_cases(), tol=LOOSE, kind="variant",
    convention="eps omitted (the libraries divide by sqrt(Var + eps), eps = 1e-5 in torch); the two coincide for eps -> 0",
    case_map=lambda c: Case((c.args[0], EPS0)),
    matters="relative difference ≈ eps/(2 Var): negligible for Var ≫ eps, large when a feature's batch variance is comparable to eps, and without eps a constant feature (Var = 0) gives 0/0 = nan.",
    checked="x (N,D), N in 2..4, D in 1..3, scales 1, 1e-2, 1e-3 (small variances on purpose), eps in {1e-8, 1e-5, 1e-3}",
    topics=("norm", "batchnorm"),
)


def _bn_stats(f):
    def fn(x):
        y = f(x)
        return y.mean(axis=0), y.var(axis=0)
    return fn


entry(
    id="002.4.bn_mean0_var1", location="§4 Batch_normalize (line 150)",
    quote="对每个 batch, (B,n) 每个特征 (节点) 在该 batch 上做归一化, 那么这个 batch 的每个节点 (特征), 其均值为 0, 方差为 1",
    claim="After normalisation each feature has batch mean 0 and (biased) batch variance 1.",
    as_written=lambda x: (np.zeros(x.shape[1]), np.ones(x.shape[1])),
    correct=(ref("batchnorm_forward", lambda f: _bn_stats(lambda x: f(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), EPS0)),
                 "batch mean/variance of reference.batchnorm_forward (eps→0)"),),
    strategy=lambda: _bn_cases(eps=False), tol=Tol(1e-7, 1e-9),
    checked="x (N,D), N in 2..4, D in 1..3, scales 1 .. 1e-3; the variance is the biased batch variance",
    topics=("norm", "batchnorm"),
)

entry(
    id="002.4.bn_sigma_is_variance", location="§4 Batch_normalize (line 150)",
    quote="E(x_k) 是特征 k 在该 batch 上的均值, σ 是该 batch 的方差",
    claim="In x = (x - u)/σ, σ is the batch variance.",
    as_written=lambda x: (x - x.mean(axis=0)) / x.var(axis=0),
    correct=(ref("batchnorm_forward", lambda f: lambda x: f(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), EPS0), "reference.batchnorm_forward (γ=1, β=0, eps→0)"),),
    strategy=lambda: _bn_cases(eps=False), tol=LOOSE,
    checked="x (N,D), N in 2..4, D in 1..3, scales 1 .. 1e-3",
    correction="σ is the batch STANDARD DEVIATION √Var (as the formula on line 148 divides by √Var[x]); dividing by the variance leaves variance 1/Var.",
    topics=("norm", "batchnorm"),
)


@st.composite
def _bn_gb_cases(draw):
    n, d = draw(ints(2, 4)), draw(ints(1, 3))
    x = draw(array((n, d), -3, 3))
    x[0] += 1.0
    x[1] -= 1.0
    return Case((x, draw(array((d,), -3, 3)), draw(array((d,), -3, 3))))


def _bn_out_stats(x, gamma, beta):
    y = R("batchnorm_forward")(x, gamma, beta, EPS0)
    return y.mean(axis=0), y.var(axis=0)


entry(
    id="002.4.bn_gamma_beta", location="§4 Batch_normalize, y^(k) = γ^(k) x^(k) + β^(k) (lines 156-158)",
    quote="y^(k) = γ^(k) x^(k) + β^(k) 将每一维的分布恢复为均值为 β_k , 方差为 γ_k 的正态分布",
    claim="After y = γx̂ + β each feature has mean β and variance γ.",
    as_written=lambda x, gamma, beta: (beta, gamma),
    correct=(Truth("batch mean/variance of reference.batchnorm_forward (eps→0)", _bn_out_stats),),
    strategy=lambda: _bn_gb_cases(), tol=LOOSE,
    checked="x (N,D), N in 2..4, D in 1..3; γ, β (D,) in [-3,3]",
    correction="mean β_k and variance γ_k² (standard deviation |γ_k|); and the distribution is that of x̂ shifted and scaled, normal only if the input was.",
    topics=("norm", "batchnorm"),
)


def _bn_identity_truth(x, eps):
    g, b = np.sqrt(x.var(axis=0) + eps), x.mean(axis=0)
    return R("batchnorm_forward")(x, g, b, eps)


def _bn_identity_torch(x, eps):
    g, b = np.sqrt(x.var(axis=0) + eps), x.mean(axis=0)
    return N(F().batch_norm(T(x), None, None, T(g), T(b), training=True, eps=eps))


entry(
    id="002.4.bn_restore", location="§4 Batch_normalize (line 154)",
    quote="但直接归一化, 之前学到的某些分布特征可能丢失。为防止丢失, 同样对每一维度进行补偿",
    claim="γ and β can undo the normalisation: γ = sqrt(Var[x] + eps), β = E[x] give back x.",
    as_written=lambda x, eps: x,
    correct=(Truth("reference.batchnorm_forward(γ = sqrt(Var+eps), β = mean)", _bn_identity_truth),
             Truth("torch F.batch_norm (training)", _bn_identity_torch)),
    strategy=lambda: _bn_cases(), tol=LOOSE,
    checked="x (N,D), N in 2..4, D in 1..3, scales 1 .. 1e-3, eps in {1e-8, 1e-5, 1e-3}",
    topics=("norm", "batchnorm"),
)


@st.composite
def _bn2d_cases(draw):
    n, c, h, w = draw(ints(1, 3)), draw(ints(1, 3)), draw(ints(1, 3)), draw(ints(1, 3))
    x = draw(array((n, c, h, w), -3, 3))
    x = x.copy()
    x[0, :, 0, 0] += 1.0
    if n * h * w < 2:
        x = np.concatenate([x, x - 1.0], axis=0)
    return Case((x, draw(array((c,), -2, 2)), draw(array((c,), -2, 2))))


def _bn2d_as_written(x, gamma, beta):
    """One set of BN parameters per convolution kernel (channel): statistics over every position of every sample."""
    mu = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    return gamma[None, :, None, None] * (x - mu) / np.sqrt(var + 1e-5) + beta[None, :, None, None], 2 * x.shape[1]


def _bn2d_torch(x, gamma, beta):
    tch = torch()
    m = tch.nn.BatchNorm2d(x.shape[1], eps=1e-5)
    with tch.no_grad():
        m.weight.copy_(T(gamma)), m.bias.copy_(T(beta))
    m.train()
    y = m(T(x))
    return N(y), sum(p.numel() for p in m.parameters())


entry(
    id="002.4.bn_cnn", location="§4 Batch_normalize, CNN (line 162)",
    quote="对于 CNN, 每个卷积核作用相同 … 因此一个卷积核对应的输入对应一组 BN 参数。这个卷积核作用的所有 batch, normalize. n 组卷积核, n 组 BN 层。",
    claim="In a CNN, BatchNorm has one (γ, β) per channel, with statistics over batch and positions: 2n parameters for n kernels.",
    as_written=_bn2d_as_written, correct=(Truth("torch nn.BatchNorm2d (output, parameter count)", _bn2d_torch),),
    strategy=lambda: _bn2d_cases(), tol=LOOSE,
    checked="x (N,C,H,W) up to (3,3,3,3) with N·H·W ≥ 2, γ, β (C,)",
    topics=("norm", "batchnorm"),
)
