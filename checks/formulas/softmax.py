"""softmax.* -- softmax, its Jacobian, cross-entropy and its gradient (notes 002 §7)."""

from __future__ import annotations

import reference as ref
from checks.core.compare import Tol
from checks.formulas import Strategies, moved
from checks.judges.probability import _rows_sum_to
from checks.oracles.softmax import _s_ce, _s_ce_backward, _s_jacobian, _s_softmax, _t_ce, _t_ce_backward, _t_ce_rebuild, _t_jacobian, _t_softmax_lib, _t_softmax_rebuild
from checks.registry import Formula, Oracle, Source, register


S = Strategies("softmax")

_SRC = "§7 逻辑回归, softmax, RNN 导数推导"


_TOL = Tol(rtol=1e-7, atol=1e-12)


register(Formula(
    id="softmax.softmax",
    source=Source("002", _SRC, "g(z)_j = e^{z_j} / Σ_k e^{z_k}", "g(\\vec{z}) = \\frac{e^{z_j}}{\\sum_{k=1}^K e^{z_k}}"),
    reference=ref.softmax,
    strategy=S.softmax_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_softmax_rebuild, description="max-shifted exp rebuild in torch"),
        Oracle("torch:F.softmax", _t_softmax_lib),
        Oracle("sympy", _s_softmax, strategy=S.sym_softmax_cases, description="e^{z_j}/Σe^{z_k} lambdified, K <= 4"),
        Oracle("property:rows-sum-to-1", _rows_sum_to(1.0), kind="property"),
    ),
    points=1, tol=_TOL,
    summary="stable for |z| <= 1e4",
))


register(Formula(
    id="softmax.softmax_jacobian",
    source=Source("002", _SRC, "∂y_K/∂z_K = y_K(1 − y_K); ∂y_K/∂z_j = −y_K y_j",
                  "= g(z^K) - g^2(z^K) = g(z^K)(1 - g(z^K)) = y^K(1 - y^K)"),
    reference=ref.softmax_jacobian,
    strategy=S.jacobian_cases,
    outputs=("J",),
    oracles=(
        Oracle("torch", _t_jacobian, description="torch.autograd.functional.jacobian of F.softmax"),
        Oracle("sympy", _s_jacobian, strategy=S.sym_jacobian_cases, description="Matrix.jacobian of the symbolic softmax, K <= 4"),
        Oracle("property:rows-sum-to-0", _rows_sum_to(0.0), kind="property",
               description="softmax(z + c) = softmax(z), so each row of J sums to 0"),
    ),
    points=2, tol=_TOL,
))


register(Formula(
    id="softmax.cross_entropy",
    source=Source("002", _SRC, "loss = −log y_K", "$loss = -1 \\cdot \\log y_K = -\\log y_K$ 一维."),
    reference=ref.cross_entropy,
    strategy=S.ce_cases,
    outputs=("loss",),
    oracles=(
        Oracle("torch", _t_ce_rebuild, description="mean of logsumexp(z) − z[label] in torch"),
        Oracle("torch:F.cross_entropy", _t_ce),
        Oracle("sympy", _s_ce, strategy=S.sym_ce_cases, description="log Σe^{z_k} − z_l lambdified, K <= 4"),
    ),
    points=1, tol=Tol(rtol=1e-9, atol=1e-9),
    summary="mean over N; stable for |z| <= 1e4",
))


register(Formula(
    id="softmax.cross_entropy_backward",
    source=Source("002", _SRC, "∂loss/∂z = y − onehot(K)  (mean over the batch: / N)"),
    reference=ref.cross_entropy_backward,
    strategy=S.ce_cases,
    outputs=("dz",),
    oracles=(
        Oracle("torch", _t_ce_backward, description="autograd of F.cross_entropy (mean reduction)"),
        Oracle("sympy", _s_ce_backward, strategy=S.sym_ce_cases, description="sympy.diff of −log softmax, K <= 4"),
        Oracle("property:rows-sum-to-0", _rows_sum_to(0.0), kind="property"),
    ),
    points=2, tol=_TOL,
))

# names that lived here before the split (tests/test_*_extra.py, benchmarks/ import them from this module)
__getattr__ = moved("checks.strategies.softmax", "checks.oracles.softmax", "checks.judges.probability")
