"""logistic.* -- logistic regression's log-likelihood, gradient, Hessian (notes 002 §7 逻辑回归)."""

from __future__ import annotations

import reference as ref
from checks.core.compare import Tol
from checks.formulas import Strategies
from checks.oracles.logistic import _s, _t_grad, _t_hessian, _t_ll
from checks.registry import Formula, Oracle, Source, register


S = Strategies("logistic")

_SRC = "§7 逻辑回归"


register(Formula(
    id="logistic.log_likelihood",
    source=Source("002", _SRC, "L = y log f(z) + (1−y) log(1−f(z))", "$$= y_i \\log f(z) + (1-y_i) \\log (1-f(z))$$"),
    reference=ref.log_likelihood,
    strategy=S.logistic_cases,
    outputs=("L",),
    oracles=(
        Oracle("torch", _t_ll, description="Σ y logsigmoid(a) + (1−y) logsigmoid(−a)"),
        Oracle("sympy", _s("ll"), strategy=S.sym_cases, description="the notes' expression, N, D <= 3"),
    ),
    points=1, tol=Tol(rtol=1e-9, atol=1e-9),
    summary="stable for near-separable data (|θᵀx| up to ~1e4)",
))


register(Formula(
    id="logistic.log_likelihood_grad",
    source=Source("002", _SRC, "∂L/∂θ = [y − f(z)]·x, ∂L/∂x = [y − f(z)]·θ",
                  "\\frac{\\partial L}{\\partial \\theta} = [y_i - f(z)] \\cdot x \\quad \\frac{\\partial L}{\\partial x} = [y_i - f(z)] \\cdot \\theta"),
    reference=ref.log_likelihood_grad,
    strategy=S.logistic_cases,
    outputs=("dtheta", "dX"),
    oracles=(
        Oracle("torch", _t_grad, description="autograd w.r.t. theta and X"),
        Oracle("sympy", _s("grad"), strategy=S.sym_cases, description="sympy.diff of the notes' L, N, D <= 3"),
    ),
    points=2, tol=Tol(rtol=1e-8, atol=1e-10),
))


register(Formula(
    id="logistic.log_likelihood_hessian",
    source=Source("002", "§7 Jacobians and Hessians; §7 逻辑回归", "∇²_θ L = −Xᵀ diag(σ(1−σ)) X (derivative of Σ (y − f(z)) x)"),
    reference=ref.log_likelihood_hessian,
    strategy=S.logistic_cases,
    outputs=("H",),
    oracles=(
        Oracle("torch", _t_hessian, description="torch.autograd.functional.hessian"),
        Oracle("sympy", _s("hessian"), strategy=S.sym_cases, description="sympy.hessian of the notes' L, N, D <= 3"),
    ),
    points=2, tol=Tol(rtol=1e-8, atol=1e-10),
))
