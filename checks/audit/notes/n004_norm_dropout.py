"""Audit of notes 004 (interview notes; its formulas were images and are lost, the
audit checks the textual claims), ``004_ee6cdde1245a4949.md``:
BatchNorm和LayerNorm有什么区别 (the axes, independence of the batch),
归一化的作用 (mean 0, variance 1), dropout的作用是什么 (keep probability,
and against torch)."""

from __future__ import annotations

import numpy as np

from checks.audit.common import LOOSE, TIGHT, R, ints, ref
from checks.audit.model import FILES, collector, Tol, Truth
from checks.strategies import Case, array, st
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["004"])


# ---------------------------------------------------------------- normalisation


@st.composite
def _norm_cases(draw):
    n, d = draw(ints(2, 4)), draw(ints(2, 4))
    x = draw(array((n, d), -3, 3))
    x[0] += 1.0  # no constant column (BatchNorm) and no constant row (LayerNorm)
    x[1] -= 1.0
    x[:, 0] += 0.5
    return Case((x, draw(st.sampled_from([1e-5, 1e-3]))))


def _bn_axes(x, eps):
    # BatchNorm: 对每个特征维度 k 计算 μ 和 σ，来自 batch 中所有样本 (axis 0)
    return (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)


def _ln_axes(x, eps):
    # LayerNorm: 对每个样本独立计算，μ 和 σ 来自特征维度 (axis 1)
    return (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + eps)


entry(
    id="004.batchnorm_axes", location="BatchNorm和LayerNorm有什么区别, table (lines 135-138)",
    quote="BatchNorm: 样本间归一化（batch维度）; 对每个特征维度 k 计算 μ和σ来自batch中所有样本",
    claim="BatchNorm takes its statistics over the batch, per feature.",
    as_written=_bn_axes,
    correct=(Truth("torch F.batch_norm (training)", lambda x, eps: N(F().batch_norm(T(x), None, None, training=True, eps=eps))),
             ref("batchnorm_forward", lambda f: lambda x, eps: f(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), eps))),
    strategy=lambda: _norm_cases(), tol=LOOSE, checked="x (N,D), N, D in 2..4, entries in [-3,3]; eps in {1e-5, 1e-3}",
    topics=("norm", "batchnorm"),
)

entry(
    id="004.layernorm_axes", location="BatchNorm和LayerNorm有什么区别, table (lines 135-138)",
    quote="LayerNorm: 样本内归一化（feature维度）; 对每个样本独立计算 μ和σ来自特征维度",
    claim="LayerNorm takes its statistics over the features, per sample.",
    as_written=_ln_axes,
    correct=(Truth("torch F.layer_norm", lambda x, eps: N(F().layer_norm(T(x), (x.shape[1],), eps=eps))),
             ref("layernorm_forward", lambda f: lambda x, eps: f(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), eps))),
    strategy=lambda: _norm_cases(), tol=LOOSE, checked="x (N,D), N, D in 2..4, entries in [-3,3]; eps in {1e-5, 1e-3}",
    topics=("norm", "layernorm"),
)


def _ln_rowwise_truth(x, eps):
    return np.concatenate([N(F().layer_norm(T(x[n:n + 1]), (x.shape[1],), eps=eps)) for n in range(x.shape[0])])


entry(
    id="004.layernorm_batch_independent", location="BatchNorm和LayerNorm有什么区别, 依赖 Batch Size (line 139)",
    quote="LayerNorm: 中依赖 batch size (不依赖 batch size)",
    claim="LayerNorm of a sample does not depend on the rest of the batch.",
    as_written=lambda x, eps: N(F().layer_norm(T(x), (x.shape[1],), eps=eps)),
    correct=(Truth("torch F.layer_norm of each sample alone", _ln_rowwise_truth),),
    strategy=lambda: _norm_cases(), tol=TIGHT, checked="x (N,D), N, D in 2..4; each row normalised alone vs in the batch",
    topics=("norm", "layernorm"),
)


def _bn_var_as_written(x, eps):
    # 让激活值分布均值为 0，方差为 1
    return np.zeros(x.shape[1]), np.ones(x.shape[1])


def _bn_var_truth(x, eps):
    y = N(F().batch_norm(T(x), None, None, training=True, eps=eps))
    return y.mean(axis=0), y.var(axis=0)


entry(
    id="004.batchnorm_mean0_var1", location="归一化的作用, 2 (lines 94-98)",
    quote="以 Batch Normalization 为例 … 其中 μ 和 σ² 是 mini-batch 的均值和方差。→ 结果：让激活值分布均值为 0，方差为 1。",
    claim="After BatchNorm every feature has mean 0 and variance 1.",
    as_written=_bn_var_as_written,
    correct=(Truth("batch mean/variance of torch F.batch_norm (training)", _bn_var_truth),),
    strategy=lambda: _norm_cases().map(lambda c: Case((c.args[0] * 0.05, c.args[1]))), tol=Tol(1e-6, 1e-9), kind="variant",
    convention="the normalisation with eps (torch: (x - μ)/sqrt(σ² + eps)) gives variance σ²/(σ² + eps), 1 only in the limit eps -> 0",
    case_map=lambda c: Case((c.args[0], 1e-300)),
    matters="the variance is σ²/(σ²+eps): below 1 by a relative eps/σ², visible for features whose batch variance is within ~100·eps (e.g. σ² ~ 1e-3 with eps = 1e-5 gives 0.99).",
    checked="x (N,D) scaled by 0.05 (small batch variances), N, D in 2..4; eps in {1e-5, 1e-3}",
    topics=("norm", "batchnorm"),
)

# ---------------------------------------------------------------- dropout


@st.composite
def _keep_cases(draw):
    return Case((draw(array(st.tuples(ints(1, 3)), -3, 3)), draw(st.floats(0.05, 0.95))))


def _expectation_keep(x, p):
    import itertools
    out = np.zeros_like(x)
    for m in itertools.product((0.0, 1.0), repeat=x.size):
        m = np.array(m).reshape(x.shape)
        out += np.prod(np.where(m == 1, p, 1 - p)) * R("dropout_train")(x, m, p, False)
    return out


entry(
    id="004.dropout_keep_probability", location="dropout的作用是什么, 数学表达 (lines 159-168)",
    quote="训练时：x~ = x·m, m ∼ Bernoulli(p), p为保留概率 (keep probability); 推理时：不丢节点，输出乘以 p 的缩放补偿（保持期望一致）",
    claim="With p the keep probability, multiplying by p at inference matches the training output's expectation.",
    as_written=lambda x, p: p * x,
    correct=(Truth("exact expectation over all masks of reference.dropout_train", _expectation_keep),
             ref("dropout_eval", lambda f: lambda x, p: f(x, p, False), "reference.dropout_eval(inverted=False)")),
    strategy=lambda: _keep_cases(), tol=TIGHT, checked="x (n,), n<=3, in [-3,3]; keep probability p in [0.05, 0.95]; all 2^n masks",
    topics=("dropout",),
)


def _torch_dropout_pair(x, p):
    """torch F.dropout (drop probability 1 - p, inverted) in training with a fixed seed; and in eval."""
    tch = torch()
    tch.manual_seed(0)
    y = N(F().dropout(T(x), p=1 - p, training=True))
    return y, N(F().dropout(T(x), p=1 - p, training=False))


def _notes_dropout_pair(x, p):
    tch = torch()
    tch.manual_seed(0)
    m = (N(F().dropout(tch.ones(x.shape), p=1 - p, training=True)) != 0).astype(np.float64)  # the same mask
    return x * m, p * x


entry(
    id="004.dropout_vs_torch", location="dropout的作用是什么, 数学表达 (lines 159-168), against torch",
    quote="训练时：x~ = x·m, m ∼ Bernoulli(p) … 推理时：不丢节点，输出乘以 p 的缩放补偿",
    claim="The notes' dropout (scale at inference) against torch's F.dropout on the same mask.",
    as_written=_notes_dropout_pair,
    correct=(Truth("torch F.dropout(p_drop = 1 - p): training output, eval output", _torch_dropout_pair),),
    strategy=lambda: _keep_cases().filter(lambda c: np.all(c.args[0] != 0)), tol=TIGHT, kind="convention",
    convention="torch uses inverted dropout with the DROP probability: training output x·m/p, inference output x; the notes scale at inference. Mapped by dividing both outputs by p",
    fn_map=lambda aw: (lambda x, p: tuple(o / p for o in aw(x, p))),
    matters="the same network function up to the constant p; it matters when loading weights trained under one convention into the other (outputs off by a factor p), and torch's argument p is the drop probability, 1 - (the notes' p).",
    checked="x (n,), n<=3, non-zero entries in [-3,3]; keep probability p in [0.05, 0.95]; torch's mask from manual_seed(0)",
    topics=("dropout",),
)
