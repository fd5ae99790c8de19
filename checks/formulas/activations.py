"""activations.* -- sigmoid and the backward passes of tanh, relu, leaky relu, PReLU."""

from __future__ import annotations

import numpy as np

import reference.activations as ref
from checks.oracles import sym
from checks.core.compare import Tol, assert_array_close, assert_between
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, reals, st, with_zeros
from checks.oracles.torchlib import N, T, F, torch, vjp

# ---------------------------------------------------------------- strategies


@st.composite
def _values(draw, shape, kinks: bool = False):
    """Values in a drawn regime: moderate, huge (up to the stable range 1e4), or with exact zeros."""
    regime = draw(st.sampled_from(["moderate", "huge", "zeros"] if kinks else ["moderate", "huge"]))
    hi = 1e4 if regime == "huge" else 10.0
    x = draw(array(shape, -hi, hi))
    if regime == "zeros":
        x = draw(with_zeros(x))
    return x


_any_shape = st.integers(0, 3).flatmap(lambda nd: st.tuples(*[st.integers(1, 4)] * nd))


@st.composite
def unary(draw, kinks=False):
    shape = draw(_any_shape)
    return Case((draw(_values(shape, kinks)),))


@st.composite
def unary_dy(draw, kinks=False, slope=False, hi=None):
    shape = draw(_any_shape)
    x = draw(_values(shape, kinks)) if hi is None else draw(array(shape, -hi, hi))
    dy = draw(array(shape, -10, 10))
    if slope:
        return Case((x, draw(reals(0.0, 1.0)), dy))
    return Case((x, dy))


@st.composite
def prelu_case(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    rest = draw(st.lists(st.integers(1, 3), max_size=2))
    shape = (n, c, *rest)
    x = draw(_values(shape, kinks=True))
    a = draw(array((c,), 0.0, 1.0))
    return Case((x, a, draw(array(shape, -10, 10))))


# ---------------------------------------------------------------- torch oracles


def _t_sigmoid(x):
    return N(torch().sigmoid(T(x)))


def _t_backward(f):
    """dx of ``f`` (torch ops on one tensor) by autograd, with the drawn upstream gradient dy."""

    def oracle(x, dy):
        return vjp(f, dy, x)

    return oracle


def _t_leaky(x, a, dy):
    return vjp(lambda t: F().leaky_relu(t, negative_slope=float(a)), dy, x)


def _t_prelu(x, a, dy):
    return vjp(F().prelu, dy, x, a)


# ---------------------------------------------------------------- SymPy oracles


@sym.derivation
def _sym_unary(name):
    import sympy

    x = sympy.Symbol("x", real=True)
    f = {"sigmoid": 1 / (1 + sympy.exp(-x)), "tanh": sympy.tanh(x)}[name]
    return sym.lambdify([x], f), sym.lambdify([x], sympy.diff(f, x))


def _s_sigmoid(x):
    return np.asarray(_sym_unary("sigmoid")[0](np.asarray(x, dtype=np.float64)), dtype=np.float64)


def _s_grad(name):
    def oracle(x, dy):
        return np.asarray(dy * _sym_unary(name)[1](np.asarray(x, dtype=np.float64)), dtype=np.float64)

    return oracle


_sym_range = lambda: unary_dy(hi=30.0)  # noqa: E731  (the symbolic form overflows past that)


# ---------------------------------------------------------------- comparisons at kinks


def _kink_compare(lo_at_zero):
    """Compare dx elementwise off x == 0 and accept any value in [lo, dy] at x == 0."""

    def compare(case, actual, expected, tol, fn):
        x, dy = case.args[0], case.args[-1]
        zero = np.asarray(x) == 0
        lo = lo_at_zero(case)
        a = actual[0] if isinstance(actual, tuple) else actual
        e = expected[0] if isinstance(expected, tuple) else expected
        assert_array_close(a, e, tol, f"{fn} -> dx", mask=~zero)
        assert_between(a, lo, np.asarray(dy, dtype=np.float64), tol, f"{fn} -> dx", mask=zero)
        if isinstance(actual, tuple):  # prelu's da: 0 is the only value at the kink (x·dy = 0 there)
            assert_array_close(actual[1], expected[1], tol, f"{fn} -> da")

    return compare


def _slope_at_zero(case):
    x, a, dy = case.args
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a.reshape((1, -1) + (1,) * (np.ndim(x) - 2))
    return a * dy


# ---------------------------------------------------------------- entries

_TOL = Tol(rtol=1e-7, atol=1e-12)

register(Formula(
    id="activations.sigmoid",
    source=Source("002", "§7 逻辑回归", "P(X=1) = 1/(1+e^{-z}) = f(z)", "$$P(X=1) = \\frac{1}{1+e^{-z}} = f(z)"),
    reference=ref.sigmoid,
    strategy=unary,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_sigmoid, description="torch.sigmoid"),
        Oracle("sympy", _s_sigmoid, strategy=lambda: unary_dy(hi=30.0).map(lambda c: Case(c.args[:1])),
               description="1/(1+exp(-x)) lambdified"),
    ),
    points=1, tol=_TOL,
    summary="σ(x), stable for |x| <= 1e4, any shape (0-d included)",
))

register(Formula(
    id="activations.sigmoid_backward",
    source=Source("002", "§7 逻辑回归", "f'(z) = f(z)(1 - f(z))", "$$f'(z) = f(z) \\cdot (1-f(z))$$"),
    reference=ref.sigmoid_backward,
    strategy=unary_dy,
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
    strategy=unary_dy,
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
    strategy=lambda: unary_dy(kinks=True),
    outputs=("dx",),
    oracles=(Oracle("torch", _t_backward(lambda t: F().relu(t)), description="autograd of F.relu"),),
    compare=_kink_compare(lambda case: np.zeros_like(np.asarray(case.args[0], dtype=np.float64))),
    points=1, tol=_TOL,
    summary="any value in [0, dy] accepted at x = 0",
))

register(Formula(
    id="activations.leaky_relu_backward",
    source=Source("004", "解决梯度消失和梯度爆炸的方法 §2 使用合适的激活函数", "Leaky ReLU"),
    reference=ref.leaky_relu_backward,
    strategy=lambda: unary_dy(kinks=True, slope=True),
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
    strategy=prelu_case,
    outputs=("dx", "da"),
    oracles=(Oracle("torch", _t_prelu, description="autograd of F.prelu"),),
    compare=_kink_compare(_slope_at_zero),
    points=2, tol=_TOL,
))
