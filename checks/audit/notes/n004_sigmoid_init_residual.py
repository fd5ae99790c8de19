"""Audit of notes 004 (interview notes; its formulas were images and are lost, the
audit checks the textual claims), ``004_ee6cdde1245a4949.md``:
梯度消失和梯度爆炸的原因是什么 and 为什么sigmoid会饱和 (the sigmoid, its
derivative and saturation bound, tanh' < 1), 解决梯度消失和梯度爆炸的方法
1 权重初始化 (He, Xavier), 残差连接如何解决梯度爆炸和梯度消失 (I + ∂F/∂x)."""

from __future__ import annotations

import math

import numpy as np

from checks.audit.common import EXACT, LOOSE, TIGHT, R, ints, ref, sigmoid, vector_cases
from checks.audit.model import FILES, collector, Truth
from checks.strategies import Case, array, st
from checks.oracles.torchlib import N, T, torch

ENTRIES, entry = collector(FILES["004"])


# ---------------------------------------------------------------- sigmoid


entry(
    id="004.sigmoid_definition", location="为什么sigmoid会饱和, 标准定义 (lines 113-115)",
    quote="σ(x) = 1 / (1 + e^(-x)); 输出范围：（0, 1）",
    claim="The logistic sigmoid, with values in (0, 1).",
    as_written=lambda x: (1 / (1 + np.exp(-x)), bool(np.all((1 / (1 + np.exp(-x)) > 0) & (1 / (1 + np.exp(-x)) < 1)))),
    correct=(Truth("reference.sigmoid, open range check", lambda x: (R("sigmoid")(x), True)),
             Truth("torch.sigmoid", lambda x: (N(torch().sigmoid(T(x))), True))),
    strategy=vector_cases(-30, 30), tol=TIGHT, checked="x (n,), n<=4, in [-30,30] (beyond |x| ≈ 37 float64 rounds σ to exactly 1)",
    topics=("sigmoid",),
)

entry(
    id="004.sigmoid_derivative", location="为什么sigmoid会饱和, 2 导数几乎为0 (line 124)",
    quote="σ'(x) = σ(x) * (1 - σ(x)); 当 σ(x) 接近 0 或 1 时，σ'(x) ≈ 0",
    claim="σ' = σ(1 - σ).",
    as_written=lambda x: sigmoid(x) * (1 - sigmoid(x)),
    correct=(ref("sigmoid_backward", lambda f: lambda x: f(x, np.ones_like(x)), "reference.sigmoid_backward(dy=1)"),
             Truth("torch autograd", lambda x: (lambda t: (torch().sigmoid(t).sum().backward(), N(t.grad))[1])(T(x, grad=True)))),
    strategy=vector_cases(-30, 30), tol=TIGHT, checked="x (n,), n<=4, in [-30,30]", topics=("sigmoid",),
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
    strategy=lambda: array(st.tuples(ints(1, 3)), elements=st.sampled_from([0.0, 0.5, -1.0, 3.0])).map(lambda x: Case((x,))),
    tol=EXACT, checked="x (n,), n<=3, from {0, 0.5, -1, 3} (the maximiser 0 included)",
    correction="σ' ≤ 1/4 < 1 holds, but tanh' ≤ 1 with equality at x = 0 (tanh'(0) = 1): tanh's derivative alone does not shrink gradients near 0; the vanishing comes from saturation (|x| large) and from the weights.",
    topics=("tanh",),
)

# ---------------------------------------------------------------- initialisation


@st.composite
def _wshape(draw):
    nd = draw(ints(2, 4))
    return Case((tuple(draw(ints(1, 5)) for _ in range(nd)),))


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
    n, d = draw(ints(1, 2)), draw(ints(1, 3))
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
