"""logistic.* -- logistic regression's log-likelihood, gradient, Hessian (notes 002 §7 逻辑回归)."""

from __future__ import annotations

import numpy as np

import reference as ref
from checks.oracles import sym
from checks.core.compare import Tol
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, hnp, st
from checks.oracles.torchlib import F, N, T, torch


@st.composite
def logistic_cases(draw, n_max=5, d_max=4, regimes=("moderate", "separable", "misclassified", "zero-theta")):
    """theta, X, y with y in {0., 1.}; regimes push |θᵀx| up to ~1e4 (near-separable data)."""
    n, d = draw(st.integers(1, n_max)), draw(st.integers(1, d_max))
    regime = draw(st.sampled_from(regimes))
    X = draw(array((n, d), -10, 10))
    theta = draw(array((d,), -3, 3))
    if regime in ("separable", "misclassified"):
        theta = theta * draw(st.sampled_from([10.0, 100.0, 250.0]))
    elif regime == "zero-theta":
        theta = np.zeros(d)
    a = X @ theta
    if regime == "separable":
        y = (a > 0).astype(np.float64)
    elif regime == "misclassified":
        y = (a <= 0).astype(np.float64)
    else:
        y = draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([0.0, 1.0])))
    return Case((theta, X, y))


def sym_cases():
    """Small sizes and |θᵀx| <= 6: the notes' log(1 − f(z)) loses precision past that."""

    @st.composite
    def small(draw):
        n, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        theta, X = draw(array((d,), -1, 1)), draw(array((n, d), -2, 2))
        y = draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([0.0, 1.0])))
        return Case((theta, X, y))

    return small()


# ---------------------------------------------------------------- torch


def _t_ll_tensor(theta, X, y):
    a = X @ theta
    return (y * F().logsigmoid(a) + (1 - y) * F().logsigmoid(-a)).sum()


def _t_ll(theta, X, y):
    return float(_t_ll_tensor(T(theta), T(X), T(y)))


def _t_grad(theta, X, y):
    th, Xt = T(theta, grad=True), T(X, grad=True)
    _t_ll_tensor(th, Xt, T(y)).backward()
    return N(th.grad), N(Xt.grad)


def _t_hessian(theta, X, y):
    Xt, yt = T(X), T(y)
    return N(torch().autograd.functional.hessian(lambda th: _t_ll_tensor(th, Xt, yt), T(theta)))


# ---------------------------------------------------------------- SymPy


@sym.derivation
def _sym_logistic(n, d):
    """The notes' L = Σ y log f(z) + (1−y) log(1−f(z)), f(z) = 1/(1+e^{−z}), z = θᵀx; diff'd twice."""
    import sympy

    th = sym.symbols("t", d)
    X = [sym.symbols(f"x{i}_", d) for i in range(n)]
    y = sym.symbols("y", n)
    L = 0
    for i in range(n):
        f = 1 / (1 + sympy.exp(-sum(t * x for t, x in zip(th, X[i]))))
        L += y[i] * sympy.log(f) + (1 - y[i]) * sympy.log(1 - f)
    flatX = [v for row in X for v in row]
    args = [th, flatX, y]
    dth = sympy.Matrix([sympy.diff(L, t) for t in th])
    dX = sympy.Matrix([sympy.diff(L, v) for v in flatX])
    H = sympy.hessian(L, th)
    return sym.lambdify(args, L), sym.lambdify(args, dth), sym.lambdify(args, dX), sym.lambdify(args, H)


def _s(which):
    def oracle(theta, X, y):
        n, d = X.shape
        fs = _sym_logistic(n, d)
        args = (list(theta), list(X.reshape(-1)), list(y))
        if which == "ll":
            return float(fs[0](*args))
        if which == "grad":
            return (np.asarray(fs[1](*args), dtype=np.float64).reshape(d),
                    np.asarray(fs[2](*args), dtype=np.float64).reshape(n, d))
        return np.asarray(fs[3](*args), dtype=np.float64).reshape(d, d)

    return oracle


_SRC = "§7 逻辑回归"

register(Formula(
    id="logistic.log_likelihood",
    source=Source("002", _SRC, "L = y log f(z) + (1−y) log(1−f(z))", "$$= y_i \\log f(z) + (1-y_i) \\log (1-f(z))$$"),
    reference=ref.log_likelihood,
    strategy=logistic_cases,
    outputs=("L",),
    oracles=(
        Oracle("torch", _t_ll, description="Σ y logsigmoid(a) + (1−y) logsigmoid(−a)"),
        Oracle("sympy", _s("ll"), strategy=sym_cases, description="the notes' expression, N, D <= 3"),
    ),
    points=1, tol=Tol(rtol=1e-9, atol=1e-9),
    summary="stable for near-separable data (|θᵀx| up to ~1e4)",
))

register(Formula(
    id="logistic.log_likelihood_grad",
    source=Source("002", _SRC, "∂L/∂θ = [y − f(z)]·x, ∂L/∂x = [y − f(z)]·θ",
                  "\\frac{\\partial L}{\\partial \\theta} = [y_i - f(z)] \\cdot x \\quad \\frac{\\partial L}{\\partial x} = [y_i - f(z)] \\cdot \\theta"),
    reference=ref.log_likelihood_grad,
    strategy=logistic_cases,
    outputs=("dtheta", "dX"),
    oracles=(
        Oracle("torch", _t_grad, description="autograd w.r.t. theta and X"),
        Oracle("sympy", _s("grad"), strategy=sym_cases, description="sympy.diff of the notes' L, N, D <= 3"),
    ),
    points=2, tol=Tol(rtol=1e-8, atol=1e-10),
))

register(Formula(
    id="logistic.log_likelihood_hessian",
    source=Source("002", "§7 Jacobians and Hessians; §7 逻辑回归", "∇²_θ L = −Xᵀ diag(σ(1−σ)) X (derivative of Σ (y − f(z)) x)"),
    reference=ref.log_likelihood_hessian,
    strategy=logistic_cases,
    outputs=("H",),
    oracles=(
        Oracle("torch", _t_hessian, description="torch.autograd.functional.hessian"),
        Oracle("sympy", _s("hessian"), strategy=sym_cases, description="sympy.hessian of the notes' L, N, D <= 3"),
    ),
    points=2, tol=Tol(rtol=1e-8, atol=1e-10),
))
