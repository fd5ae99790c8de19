"""norm.* -- BatchNorm (1-d, 2-d, running statistics) and LayerNorm, training mode.

Notes 002 §4 (防止过拟合, "Batch_normalize"), 004 "归一化的作用",
"BatchNorm和LayerNorm有什么区别". Oracles: torch rebuilds differentiated by
autograd, the library functions ``F.batch_norm`` (training=True, with running
statistics and momentum) and ``F.layer_norm``, SymPy derivations of the
notes' formula for small groups, and properties of the normalised output and
of the gradient (dx is orthogonal to the mean direction; its projection on x̂
is shrunk by eps/(σ²+eps)).

Hard regimes, drawn per normalised group (a BN column / channel, an LN row):
exactly constant values (σ² = 0), near-constant far below eps, near eps, far
above eps, and a large offset 1e4 + small noise; eps from {1e-5, 1e-3, 0.1};
N = 2 on purpose (biased vs unbiased variance differ by a factor 2 there).

Tolerances (why they scale with the data): x̂ = (x-μ)·s with s = 1/√(σ²+eps)
is computed from x - μ, which loses about u·max|x| (u = 2.2e-16) to rounding
when |x| is large and the spread small (x = 1e4 + 1e-7·noise). That absolute
error is magnified by s (up to 1/√eps ≈ 316), so any correct float64
implementation -- ours, torch's, the lambdified SymPy expression -- carries
an error δ ≈ u·(max|x|·s + 1) in x̂, and the backward pass multiplies it
again by |γ|·s·max|dy|·m. The comparisons allow K = 64 times that
conditioning bound per element (on top of rtol 1e-7 / atol 1e-9), and
nothing more: on moderate data the bound is ~1e-13, and every wrong formula
in tests/mutants/norm.py misses by far more.
"""

from __future__ import annotations

import reference.norm as ref
from checks.core.compare import Tol
from checks.formulas import Strategies, moved
from checks.judges.normalization import _backward_compare, _dx_projection_property, _forward_compare, _moments_property, _running_compare
from checks.oracles.norm import _s_bn_backward, _s_ln_backward, _t_bn2d_lib_bw, _t_bn2d_rebuild_bw, _t_bn_forward, _t_bn_forward_lib, _t_bn_lib_bw, _t_bn_rebuild_bw, _t_ln_forward, _t_ln_forward_lib, _t_ln_lib_bw, _t_ln_rebuild_bw, _t_running_lib, _t_running_rebuild
from checks.registry import Formula, Oracle, Source, register


S = Strategies("norm")

_TOL = Tol(rtol=1e-7, atol=1e-9)


_SRC_BN = Source(
    "002", "§4 防止过拟合 (Batch_normalize); 004 归一化的作用",
    "x̂ = (x - E[x])/√Var[x], y = γx̂ + β (eps inside the root, biased variance: the contract)",
    "$$\\hat{x}^{(k)} = \\frac{x^{(k)} - E[x^{(k)}]}{\\sqrt{\\text{Var}[x^{(k)}]}}$$",
)


_SRC_LN = Source(
    "004", "BatchNorm和LayerNorm有什么区别",
    "per-sample statistics over the features, y = γx̂ + β",
    "对每个样本独立计算   μ和σ来自**特征维度**",
)


register(Formula(
    id="norm.batchnorm_forward",
    source=_SRC_BN,
    reference=ref.batchnorm_forward,
    strategy=S.bn_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_bn_forward, description="γ(x-μ)/√(σ²+eps)+β in torch ops"),
        Oracle("torch:F.batch_norm", _t_bn_forward_lib, description="F.batch_norm(training=True)"),
        Oracle("property:moments", _moments_property((0,), "batchnorm_forward"), kind="property",
               description="per column: mean β, biased variance γ²σ²/(σ²+eps)"),
    ),
    compare=_forward_compare((0,)),
    points=1, tol=_TOL,
    summary="training mode, biased variance, eps inside the root",
))


register(Formula(
    id="norm.batchnorm_backward",
    source=_SRC_BN,
    reference=ref.batchnorm_backward,
    strategy=lambda: S.bn_cases(backward=True),
    outputs=("dx", "dgamma", "dbeta"),
    oracles=(
        Oracle("torch", _t_bn_rebuild_bw, description="autograd of the torch rebuild"),
        Oracle("torch:F.batch_norm", _t_bn_lib_bw, description="autograd of F.batch_norm(training=True)"),
        Oracle("sympy", _s_bn_backward, strategy=S.sym_bn_cases, description="sympy.diff of the notes' formula, N <= 3"),
        Oracle("property:dx-projections", _dx_projection_property((0,), "batchnorm_backward"), kind="property",
               description="Σ dx = 0 and Σ dx·x̂ = s·eps/(σ²+eps)·Σ γ dy x̂ per column"),
    ),
    compare=_backward_compare((0,)),
    points=2, tol=_TOL,
))


register(Formula(
    id="norm.batchnorm2d_backward",
    source=Source("002", "§4 防止过拟合 (Batch_normalize, CNN)", "statistics per channel over (N, H, W)",
                  "因此一个卷积核对应的输入对应一组 BN 参数"),
    reference=ref.batchnorm2d_backward,
    strategy=S.bn2d_cases,
    outputs=("dx", "dgamma", "dbeta"),
    oracles=(
        Oracle("torch", _t_bn2d_rebuild_bw, description="autograd of the torch rebuild over (N,H,W)"),
        Oracle("torch:F.batch_norm", _t_bn2d_lib_bw, description="autograd of F.batch_norm on (N,C,H,W)"),
        Oracle("property:dx-projections", _dx_projection_property((0, 2, 3), "batchnorm2d_backward"), kind="property"),
    ),
    compare=_backward_compare((0, 2, 3)),
    points=2, tol=_TOL,
    examples_scale=0.75,
))


register(Formula(
    id="norm.batchnorm_running_update",
    source=Source("004", "BatchNorm和LayerNorm有什么区别", "(1-m)·old + m·batch statistic, unbiased variance (torch)",
                  "需要保变 moving mean/var"),
    reference=ref.batchnorm_running_update,
    strategy=S.running_cases,
    outputs=("new_mean", "new_var"),
    oracles=(
        Oracle("torch:F.batch_norm", _t_running_lib, description="running_mean/var updated by F.batch_norm(training=True, momentum)"),
        Oracle("torch", _t_running_rebuild, description="(1-m)·old + m·(mean, var(unbiased=True))"),
    ),
    compare=_running_compare,
    points=1, tol=_TOL,
))


register(Formula(
    id="norm.layernorm_forward",
    source=_SRC_LN,
    reference=ref.layernorm_forward,
    strategy=S.ln_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_ln_forward, description="γ(x-μ)/√(σ²+eps)+β per row in torch ops"),
        Oracle("torch:F.layer_norm", _t_ln_forward_lib, description="F.layer_norm(normalized_shape=(D,))"),
        Oracle("property:moments", _moments_property((1,), "layernorm_forward"), kind="property",
               description="per row: (y-β)/γ has mean 0 and variance σ²/(σ²+eps)"),
    ),
    compare=_forward_compare((1,)),
    points=1, tol=_TOL,
))


register(Formula(
    id="norm.layernorm_backward",
    source=_SRC_LN,
    reference=ref.layernorm_backward,
    strategy=lambda: S.ln_cases(backward=True),
    outputs=("dx", "dgamma", "dbeta"),
    oracles=(
        Oracle("torch:F.layer_norm", _t_ln_lib_bw, description="autograd of F.layer_norm"),
        Oracle("torch", _t_ln_rebuild_bw, description="autograd of the torch rebuild"),
        Oracle("sympy", _s_ln_backward, strategy=S.sym_ln_cases, description="sympy.diff of one row, D <= 3"),
        Oracle("property:dx-projections", _dx_projection_property((1,), "layernorm_backward"), kind="property",
               description="per row: Σ dx = 0 and Σ dx·x̂ = s·eps/(σ²+eps)·Σ γ dy x̂"),
    ),
    compare=_backward_compare((1,)),
    points=2, tol=_TOL,
))

# names that lived here before the split (tests/test_*_extra.py, benchmarks/ import them from this module)
__getattr__ = moved("checks.strategies.norm", "checks.oracles.norm", "checks.judges.normalization")
