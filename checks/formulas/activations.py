"""activations.* -- sigmoid and the backward passes of tanh, relu, leaky relu, PReLU."""

from __future__ import annotations


import reference.activations as ref
from checks.core.case import Case
from checks.core.compare import Tol
from checks.formulas import Strategies
from checks.judges.subgradient import _kink_compare, _slope_at_zero, _zero_at_zero
from checks.oracles.activations import _s_grad, _s_sigmoid, _t_backward, _t_leaky, _t_prelu, _t_sigmoid
from checks.oracles.torchlib import F, torch
from checks.registry import Formula, Oracle, Source, register


S = Strategies("activations")

_sym_range = lambda: S.unary_backward_cases(hi=30.0)  # noqa: E731  (the symbolic form overflows past that)


_TOL = Tol(rtol=1e-7, atol=1e-12)


register(Formula(
    id="activations.sigmoid",
    source=Source("002", "§7 逻辑回归", "P(X=1) = 1/(1+e^{-z}) = f(z)", "$$P(X=1) = \\frac{1}{1+e^{-z}} = f(z)"),
    reference=ref.sigmoid,
    strategy=S.unary_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_sigmoid, description="torch.sigmoid"),
        Oracle("sympy", _s_sigmoid, strategy=lambda: S.unary_backward_cases(hi=30.0).map(lambda c: Case(c.args[:1])),
               description="1/(1+exp(-x)) lambdified"),
    ),
    points=1, tol=_TOL,
    summary="σ(x), stable for |x| <= 1e4, any shape (0-d included)",
))


register(Formula(
    id="activations.sigmoid_backward",
    source=Source("002", "§7 逻辑回归", "f'(z) = f(z)(1 - f(z))", "$$f'(z) = f(z) \\cdot (1-f(z))$$"),
    reference=ref.sigmoid_backward,
    strategy=S.unary_backward_cases,
    outputs=("dx",),
    oracles=(
        Oracle("torch", _t_backward(lambda t: torch().sigmoid(t)), description="autograd of torch.sigmoid"),
        Oracle("sympy", _s_grad("sigmoid"), strategy=_sym_range, description="sympy.diff(1/(1+exp(-x)))"),
    ),
    points=1, tol=_TOL,
))


register(Formula(
    id="activations.tanh_backward",
    source=Source("002", "§3 梯度消失, 梯度爆炸", "tanh'(x) = 1 - tanh^2(x)"),
    reference=ref.tanh_backward,
    strategy=S.unary_backward_cases,
    outputs=("dx",),
    oracles=(
        Oracle("torch", _t_backward(lambda t: torch().tanh(t)), description="autograd of torch.tanh"),
        Oracle("sympy", _s_grad("tanh"), strategy=_sym_range, description="sympy.diff(tanh(x))"),
    ),
    points=1, tol=_TOL,
))


register(Formula(
    id="activations.relu_backward",
    source=Source("002", "§3 梯度消失, 梯度爆炸", "relu'(x) = 1[x > 0]"),
    reference=ref.relu_backward,
    strategy=lambda: S.unary_backward_cases(kinks=True),
    outputs=("dx",),
    oracles=(Oracle("torch", _t_backward(lambda t: F().relu(t)), description="autograd of F.relu"),),
    compare=_kink_compare(_zero_at_zero),
    points=1, tol=_TOL,
    summary="any value in [0, dy] accepted at x = 0",
))


register(Formula(
    id="activations.leaky_relu_backward",
    source=Source("004", "解决梯度消失和梯度爆炸的方法 §2 使用合适的激活函数", "Leaky ReLU"),
    reference=ref.leaky_relu_backward,
    strategy=lambda: S.unary_backward_cases(kinks=True, slope=True),
    outputs=("dx",),
    oracles=(Oracle("torch", _t_leaky, description="autograd of F.leaky_relu"),),
    compare=_kink_compare(_slope_at_zero),
    points=1, tol=_TOL,
    summary="any value between a·dy and dy accepted at x = 0",
))


register(Formula(
    id="activations.prelu_backward",
    source=Source("004", "解决梯度消失和梯度爆炸的方法 §2 使用合适的激活函数", "PReLU, one slope per channel"),
    reference=ref.prelu_backward,
    strategy=S.prelu_cases,
    outputs=("dx", "da"),
    oracles=(Oracle("torch", _t_prelu, description="autograd of F.prelu"),),
    compare=_kink_compare(_slope_at_zero),
    points=2, tol=_TOL,
))
