"""Audit of notes 002 (study notes), ``002_1feb5fa5caddec6d.md``:
§7 逻辑回归: P(X=1) and P(X=0), the likelihood and its log, ∂L/∂z by the
chain rule, σ' and the gradients."""

from __future__ import annotations

import numpy as np

from checks.audit.common import LOOSE, TIGHT, ints, ref
from checks.audit.model import FILES, collector, Tol, Truth
from checks.strategies import Case, array, reals, st
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["002"])


# =====================================================================
# §7 logistic regression
# =====================================================================


def _z_cases():
    return array(st.tuples(ints(1, 4)), -30, 30).map(lambda z: Case((z,)))


def _sig_t(z):
    return N(torch().sigmoid(T(z)))


entry(
    id="002.7.logistic_probabilities", location="§7 逻辑回归, P(X=1), P(X=0) (lines 344-346)",
    quote="P(X=1) = 1/(1+e^{-z}) = f(z), z = θ^T x; P(X=0) = 1 - P(X=1) = e^{-z}/(1+e^{-z}) = 1/(e^z+1) = f(-z)",
    claim="P(X=0) = e^{-z}/(1+e^{-z}) = 1/(e^z+1) = f(-z) = 1 - f(z).",
    as_written=lambda z: (1 / (1 + np.exp(-z)), np.exp(-z) / (1 + np.exp(-z)), 1 / (np.exp(z) + 1), 1 / (1 + np.exp(z))),
    correct=(Truth("torch.sigmoid (f(z), 1-f(z) for each form)", lambda z: (_sig_t(z), 1 - _sig_t(z), 1 - _sig_t(z), 1 - _sig_t(z))),),
    strategy=_z_cases, tol=Tol(1e-9, 1e-12), checked="z (n,), n<=4, in [-30,30]", topics=("logistic",),
)


@st.composite
def _logit_cases(draw):
    d = draw(ints(1, 3))
    return Case((draw(array((d,), -2, 2)), draw(array((1, d), -2, 2)), np.array([float(draw(ints(0, 1)))])))


def _ll_product(theta, X, y):
    z = X @ theta
    p1 = 1 / (1 + np.exp(-z))
    return float(np.prod(p1 ** y * (1 - p1) ** (1 - y)))  # L = P(X=1)^y · P(X=0)^(1-y)


entry(
    id="002.7.logistic_likelihood", location="§7 逻辑回归, 前向 (line 350)",
    quote="前向: 损失函数: L = P(X=1)^{y_i} · P(X=0)^{1-y_i} (最大化)",
    claim="The likelihood of one sample is P(X=1)^y P(X=0)^{1-y}.",
    as_written=_ll_product,
    correct=(ref("log_likelihood", lambda f: lambda *a: float(np.exp(f(*a))), "exp(reference.log_likelihood)"),),
    strategy=lambda: _logit_cases(), tol=TIGHT, checked="θ (D,), x (1,D), D in 1..3, entries in [-2,2]; y in {0,1}",
    topics=("logistic",),
)


def _ll_log(theta, X, y):
    z = X @ theta
    f = 1 / (1 + np.exp(-z))
    return float(np.sum(y * np.log(f) + (1 - y) * np.log(1 - f)))


def _ll_torch(theta, X, y):
    return -float(F().binary_cross_entropy_with_logits(T(X @ theta), T(y), reduction="sum"))


entry(
    id="002.7.logistic_log_likelihood", location="§7 逻辑回归, 对数形式 (line 354)",
    quote="= y_i log f(z) + (1-y_i) log(1-f(z))",
    claim="The log-likelihood y log f(z) + (1-y) log(1-f(z)).",
    as_written=_ll_log, correct=(ref("log_likelihood"), Truth("-torch BCE with logits (sum)", _ll_torch)),
    strategy=lambda: _logit_cases(), tol=TIGHT, checked="θ (D,), x (1,D), D in 1..3, entries in [-2,2]; y in {0,1}",
    topics=("logistic",),
)


@st.composite
def _zy_cases(draw):
    return Case((draw(reals(-8, 8)), float(draw(ints(0, 1)))))


def _dLdz_torch(z, y):
    zt = T(np.array(z), grad=True)
    f = torch().sigmoid(zt)
    (y * torch().log(f) + (1 - y) * torch().log(1 - f)).backward()
    return float(zt.grad)


def _sym_dLdz():
    from checks.oracles import sym

    @sym.derivation
    def d():
        import sympy
        z, y = sympy.symbols("z y", real=True)
        f = 1 / (1 + sympy.exp(-z))
        return sym.lambdify([z, y], sympy.diff(y * sympy.log(f) + (1 - y) * sympy.log(1 - f), z))

    return d()


_DLDZ = (Truth("torch autograd", _dLdz_torch), Truth("SymPy d/dz", lambda z, y: float(_sym_dLdz()(z, y))))
_f = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
_fp = lambda z: _f(z) * (1 - _f(z))  # noqa: E731

entry(
    id="002.7.logistic_dLdz_chain", location="§7 逻辑回归, 后向 (line 358)",
    quote="∂L/∂z = y_i · 1/f(z) · f'(z) + (1-y_i) · 1/(1-f(z)) · -1 · f'(z)",
    claim="The chain rule for ∂L/∂z.",
    as_written=lambda z, y: y / _f(z) * _fp(z) + (1 - y) / (1 - _f(z)) * -1 * _fp(z),
    correct=_DLDZ, strategy=lambda: _zy_cases(), tol=LOOSE, checked="z in [-8,8], y in {0,1}", topics=("logistic",),
)


def _sym_fprime():
    from checks.oracles import sym

    @sym.derivation
    def d():
        import sympy
        z = sympy.Symbol("z", real=True)
        return sym.lambdify([z], sympy.diff(1 / (1 + sympy.exp(-z)), z))

    return d()


entry(
    id="002.7.sigmoid_derivative", location="§7 逻辑回归 (line 360)",
    quote="f'(z) = f(z) · (1-f(z))",
    claim="σ' = σ(1-σ).",
    as_written=lambda z: _fp(z),
    correct=(Truth("SymPy d/dz", lambda z: np.asarray(_sym_fprime()(z), dtype=np.float64)),
             ref("sigmoid_backward", lambda f: lambda z: f(z, np.ones_like(z)), "reference.sigmoid_backward(dy=1)")),
    strategy=lambda: array(st.tuples(ints(1, 4)), -20, 20).map(lambda z: Case((z,))), tol=LOOSE, checked="z (n,), n<=4, in [-20,20]",
    topics=("logistic", "sigmoid"),
)

for _line, _q, _fn in (
    ("line 362", "∴ ∂L/∂z = y_i · (1-f(z)) + (1-y_i) · 1/(f(z)-1) · f(z) · (1-f(z))",
     lambda z, y: y * (1 - _f(z)) + (1 - y) * 1 / (_f(z) - 1) * _f(z) * (1 - _f(z))),
    ("line 365", "= y_i (1-f(z)) + (y_i-1) · f(z)", lambda z, y: y * (1 - _f(z)) + (y - 1) * _f(z)),
    ("line 367", "= y_i - f(z)", lambda z, y: y - _f(z)),
):
    entry(
        id=f"002.7.logistic_dLdz_{_line.split()[1]}", location=f"§7 逻辑回归, 后向 ({_line})", quote=_q,
        claim="A step of the simplification of ∂L/∂z down to y - f(z).",
        as_written=_fn, correct=_DLDZ, strategy=lambda: _zy_cases(), tol=LOOSE, checked="z in [-8,8], y in {0,1}",
        topics=("logistic",),
    )


def _ll_grad_torch(theta, X, y):
    th, xt = T(theta, grad=True), T(X, grad=True)
    f = torch().sigmoid(xt @ th)
    (T(y) * torch().log(f) + (1 - T(y)) * torch().log(1 - f)).sum().backward()
    return N(th.grad), N(xt.grad)


entry(
    id="002.7.logistic_gradients", location="§7 逻辑回归, 后向 (lines 369-371)",
    quote="∂z/∂θ = x, ∂z/∂x = θ; ∴ ∂L/∂θ = [y_i - f(z)] · x, ∂L/∂x = [y_i - f(z)] · θ",
    claim="∂L/∂θ = (y - f(z)) x and ∂L/∂x = (y - f(z)) θ.",
    as_written=lambda theta, X, y: ((y - _f(X @ theta)) @ X, (y - _f(X @ theta))[:, None] * theta[None, :]),
    correct=(ref("log_likelihood_grad"), Truth("torch autograd", _ll_grad_torch)),
    strategy=lambda: _logit_cases(), tol=TIGHT, checked="θ (D,), x (1,D), D in 1..3, entries in [-2,2]; y in {0,1}",
    topics=("logistic",),
)
