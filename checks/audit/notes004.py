"""Audit of notes 004 (interview notes). Its formulas were images and are
lost; the audit checks the textual claims: derivative bounds and saturation,
He/Xavier initialisation, the residual gradient I + ∂F/∂x, BatchNorm vs
LayerNorm axes, dropout with keep probability, gradient clipping, the
attention formula, the RNN formula, embeddings, the GRU's parameter count."""

from __future__ import annotations

import math

import numpy as np

from checks.audit.common import EXACT, LOOSE, TIGHT, R, ref, sigmoid, softmax
from checks.audit.model import FILES, collector, Tol, Truth
from checks.strategies import Case, array, st
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["004"])


def _i(lo, hi):
    return st.integers(lo, hi)


def _xs(lo, hi):
    return lambda: array(st.tuples(_i(1, 4)), lo, hi).map(lambda x: Case((x,)))


# ---------------------------------------------------------------- sigmoid


entry(
    id="004.sigmoid_definition", location="为什么sigmoid会饱和, 标准定义 (lines 113-115)",
    quote="σ(x) = 1 / (1 + e^(-x)); 输出范围：（0, 1）",
    claim="The logistic sigmoid, with values in (0, 1).",
    as_written=lambda x: (1 / (1 + np.exp(-x)), bool(np.all((1 / (1 + np.exp(-x)) > 0) & (1 / (1 + np.exp(-x)) < 1)))),
    correct=(Truth("reference.sigmoid, open range check", lambda x: (R("sigmoid")(x), True)),
             Truth("torch.sigmoid", lambda x: (N(torch().sigmoid(T(x))), True))),
    strategy=_xs(-30, 30), tol=TIGHT, checked="x (n,), n<=4, in [-30,30] (beyond |x| ≈ 37 float64 rounds σ to exactly 1)",
    topics=("sigmoid",),
)

entry(
    id="004.sigmoid_derivative", location="为什么sigmoid会饱和, 2 导数几乎为0 (line 124)",
    quote="σ'(x) = σ(x) * (1 - σ(x)); 当 σ(x) 接近 0 或 1 时，σ'(x) ≈ 0",
    claim="σ' = σ(1 - σ).",
    as_written=lambda x: sigmoid(x) * (1 - sigmoid(x)),
    correct=(ref("sigmoid_backward", lambda f: lambda x: f(x, np.ones_like(x)), "reference.sigmoid_backward(dy=1)"),
             Truth("torch autograd", lambda x: (lambda t: (torch().sigmoid(t).sum().backward(), N(t.grad))[1])(T(x, grad=True)))),
    strategy=_xs(-30, 30), tol=TIGHT, checked="x (n,), n<=4, in [-30,30]", topics=("sigmoid",),
)


def _sig_bound_truth():
    import sympy
    x = sympy.Symbol("x", real=True)
    s = 1 / (1 + sympy.exp(-x))
    d = sympy.diff(s, x)
    crit = [c for c in sympy.solve(sympy.Eq(sympy.diff(d, x), 0), x) if c.is_real]
    mx = max(float(d.subs(x, c)) for c in crit)
    grid = np.linspace(-40, 40, 8001)
    num = float(np.max(sigmoid(grid) * (1 - sigmoid(grid))))
    return {"max sigmoid'": mx, "attained at": float(crit[0]), "sigmoid' <= 1/4 on a grid": num <= 0.25 + 1e-15}


entry(
    id="004.sigmoid_saturation_bound", location="梯度消失的原因 (line 8) and 为什么sigmoid会饱和",
    quote="如果激活函数（如sigmoid或tanh）的导数小于1，连乘后梯度迅速趋近0 … 比如sigmoid在输入过大或过小时梯度接近0",
    claim="The sigmoid's derivative is at most 1/4 (at x = 0), so a chain of n sigmoid derivatives is at most 4^-n.",
    as_written=lambda: {"max sigmoid'": 0.25, "attained at": 0.0, "sigmoid' <= 1/4 on a grid": True},
    correct=(Truth("SymPy (solve σ'' = 0) and a grid of 8001 points in [-40,40]", _sig_bound_truth),),
    tol=TIGHT, checked="SymPy critical points of σ'; numeric grid", topics=("sigmoid",),
)


def _tanh_lt1_truth(x):
    return bool(np.all(1 - np.tanh(x) ** 2 < 1))


entry(
    id="004.tanh_derivative_below_1", location="梯度消失的原因, 1 (line 8)",
    quote="如果激活函数（如sigmoid或tanh）的导数小于1，连乘后梯度迅速趋近0",
    claim="The derivatives of sigmoid and tanh are (strictly) smaller than 1.",
    as_written=lambda x: True,
    correct=(Truth("evaluate tanh'(x) = 1 - tanh²(x) < 1 (and σ' < 1)", lambda x: _tanh_lt1_truth(x) and bool(np.all(sigmoid(x) * (1 - sigmoid(x)) < 1))),),
    strategy=lambda: array(st.tuples(_i(1, 3)), elements=st.sampled_from([0.0, 0.5, -1.0, 3.0])).map(lambda x: Case((x,))),
    tol=EXACT, checked="x (n,), n<=3, from {0, 0.5, -1, 3} (the maximiser 0 included)",
    correction="σ' ≤ 1/4 < 1 holds, but tanh' ≤ 1 with equality at x = 0 (tanh'(0) = 1): tanh's derivative alone does not shrink gradients near 0; the vanishing comes from saturation (|x| large) and from the weights.",
    topics=("tanh",),
)

# ---------------------------------------------------------------- initialisation


@st.composite
def _wshape(draw):
    nd = draw(_i(2, 4))
    return Case((tuple(draw(_i(1, 5)) for _ in range(nd)),))


def _torch_kaiming_std(shape):
    tch = torch()
    fan_in, _ = tch.nn.init._calculate_fan_in_and_fan_out(tch.empty(*shape))
    return tch.nn.init.calculate_gain("relu") / math.sqrt(fan_in)


def _relu_second_moment_ratio():
    """E[relu(z)²] / Var(z) for z ~ N(0, σ²) by SymPy integration: 1/2, so Var(w) = 2/fan_in keeps E[h²] constant."""
    import sympy
    z, s = sympy.symbols("z sigma", positive=True)
    pdf = sympy.exp(-z ** 2 / (2 * s ** 2)) / (s * sympy.sqrt(2 * sympy.pi))
    return float(sympy.integrate(z ** 2 * pdf, (z, 0, sympy.oo)) / s ** 2)


def _fan_in(shape):
    return int(np.prod(shape[1:]))


entry(
    id="004.he_init_relu", location="解决梯度消失和梯度爆炸的方法, 1 权重初始化 (line 30)",
    quote="对于ReLU：使用 He初始化",
    claim="He initialisation (std = sqrt(2/fan_in)) keeps the second moment of ReLU activations constant from layer to layer.",
    as_written=lambda shape: (math.sqrt(2 / _fan_in(shape)), 1.0),
    correct=(Truth("torch.nn.init (kaiming, relu gain) std; SymPy E[relu(z)²]/Var(z) × 2", lambda shape: (_torch_kaiming_std(shape), 2 * _relu_second_moment_ratio())),
             ref("he_normal_std", lambda f: lambda shape: (float(f(shape)), 1.0), "reference.he_normal_std")),
    strategy=lambda: _wshape(), tol=LOOSE, checked="weight shapes of 2..4 dims, sizes 1..5; the moment ratio by SymPy integration",
    topics=("init",),
)


def _torch_xavier_std(shape):
    tch = torch()
    fi, fo = tch.nn.init._calculate_fan_in_and_fan_out(tch.empty(*shape))
    return math.sqrt(2.0 / (fi + fo))


entry(
    id="004.xavier_init_tanh", location="解决梯度消失和梯度爆炸的方法, 1 权重初始化 (line 31)",
    quote="对于sigmoid或tanh：使用 Xavier初始化",
    claim="Xavier initialisation std = sqrt(2/(fan_in + fan_out)) (torch's gain 1).",
    as_written=lambda shape: math.sqrt(2 / (_fan_in(shape) + shape[0] * int(np.prod(shape[2:])))),
    correct=(Truth("torch.nn.init fan computation", _torch_xavier_std),
             ref("xavier_normal_std", lambda f: lambda shape: float(f(shape)), "reference.xavier_normal_std")),
    strategy=lambda: _wshape(), tol=LOOSE, checked="weight shapes of 2..4 dims, sizes 1..5 (fan = channels × receptive field)",
    topics=("init",),
)

# ---------------------------------------------------------------- residual


@st.composite
def _res_cases(draw):
    n, d = draw(_i(1, 2)), draw(_i(1, 3))
    return Case((draw(array((n, d), -2, 2)), draw(array((d, d), -2, 2)), draw(array((d,), -2, 2))))


def _res_jac_as_written(x, W, b):
    # ∂y/∂x = I + ∂F/∂x for y = x + F(x), F(x) = tanh(x W^T + b), per sample
    t = np.tanh(x @ W.T + b)
    return np.stack([np.eye(W.shape[0]) + (1 - tn ** 2)[:, None] * W for tn in t])


def _res_jac_torch(x, W, b):
    tch = torch()
    return np.stack([N(tch.autograd.functional.jacobian(lambda v: v + tch.tanh(T(W) @ v + T(b)), T(xn))) for xn in x])


entry(
    id="004.residual_gradient", location="残差连接如何解决梯度爆炸和梯度消失, 3 (lines 71-75)",
    quote="数学上，反向传播梯度可以表示为：[image: ∂y/∂x = I + ∂F/∂x] 其中，I 是单位矩阵，表示恒等映射",
    claim="The Jacobian of a residual block y = x + F(x) is I + ∂F/∂x.",
    as_written=_res_jac_as_written,
    correct=(Truth("torch autograd jacobian", _res_jac_torch),
             ref("residual_backward", lambda f: lambda x, W, b: np.stack([np.stack([f(x[n:n + 1], W, b, np.eye(W.shape[0])[i][None])[0][0] for i in range(W.shape[0])]) for n in range(x.shape[0])]),
                 "reference.residual_backward (rows of the Jacobian)")),
    strategy=lambda: _res_cases(), tol=TIGHT, checked="x (N,D), W (D,D), b: N<=2, D<=3, entries in [-2,2]; F(x) = tanh(xW^T + b)",
    topics=("residual",),
)


@st.composite
def _res_scalar(draw):
    # a scalar residual block y = x + tanh(w x + b), w drawn from regimes including -1
    return Case((draw(st.sampled_from([0.0, 0.5, -1.0, 1.0])), draw(st.sampled_from([-1.0, -0.5, 0.5, 2.0])), draw(st.sampled_from([0.0, 1.0]))))


entry(
    id="004.residual_never_vanishes", location="残差连接如何解决梯度爆炸和梯度消失, 3 (line 76)",
    quote="即使 [∂F/∂x] 很小或很大，“+I” 保证了梯度至少可以稳定地传递下去",
    claim="With the +I, the gradient through a residual block cannot vanish (dy/dx ≠ 0) whatever ∂F/∂x is.",
    as_written=lambda x, w, b: True,
    correct=(Truth("torch autograd dy/dx ≠ 0", lambda x, w, b: (lambda t: (lambda y: (y.backward(), abs(float(t.grad)) > 1e-12)[1])(t + torch().tanh(w * t + b)))(T(np.array(x), grad=True))),),
    strategy=lambda: _res_scalar(), tol=EXACT, checked="scalar blocks y = x + tanh(wx + b), x in {0, 0.5, -1, 1}, w in {-1, -0.5, 0.5, 2}, b in {0, 1}",
    correction="dy/dx = I + ∂F/∂x: the shortcut keeps the gradient from vanishing when ∂F/∂x is SMALL, but I + ∂F/∂x can still be singular (∂F/∂x = -I, e.g. y = x + tanh(-x) at x = 0 has dy/dx = 0) or large when ∂F/∂x is large (it does not prevent explosion). In practice ∂F/∂x is small at initialisation, which is why the +I helps.",
    topics=("residual",),
)

# ---------------------------------------------------------------- normalisation


@st.composite
def _norm_cases(draw):
    n, d = draw(_i(2, 4)), draw(_i(2, 4))
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
    return Case((draw(array(st.tuples(_i(1, 3)), -3, 3)), draw(st.floats(0.05, 0.95))))


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

# ---------------------------------------------------------------- clipping, attention, RNN, embedding, GRU


@st.composite
def _grads(draw):
    k = draw(_i(1, 3))
    return Case(([draw(array(st.tuples(_i(1, 3)), -12, 12)) for _ in range(k)],))


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
    n, m, d, dv = (draw(_i(1, 3)) for _ in range(4))
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
    n, h, d = draw(_i(1, 2)), draw(_i(1, 3)), draw(_i(1, 3))
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
    v, d = draw(_i(1, 5)), draw(_i(1, 3))
    return Case((draw(array((v, d), -2, 2)), draw(st.lists(_i(0, v - 1), min_size=1, max_size=4))))


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
    strategy=lambda: st.tuples(_i(1, 8), _i(1, 8)).map(lambda a: Case(a)), tol=TIGHT, checked="input size D and hidden size H in 1..8",
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
    strategy=lambda: st.tuples(_i(1, 2), _i(1, 3), _i(1, 2)).flatmap(lambda s: st.tuples(
        array((s[0], s[2]), -2, 2), array((s[0], s[1]), -2, 2), array((s[0], s[1]), -2, 2),
        array((4 * s[1], s[1] + s[2]), -1, 1), array((4 * s[1],), -1, 1))).map(lambda a: Case(a)),
    tol=TIGHT, checked="x (N,D), h, c (N,H), W (4H,H+D) in [-1,1]: sizes 1..3", topics=("lstm",),
)
