"""residual.* -- a residual block y = x + tanh(xWᵀ + b) and a highway layer (notes 002 §5, 004).

Oracles: torch rebuilds differentiated by autograd; the identity path of
the residual block (notes 004 "残差连接如何解决梯度爆炸和梯度消失":
∂y/∂x = I + ∂F/∂x): dx - dy must equal dy contracted with the Jacobian of the
branch F(x) = tanh(xWᵀ + b) alone (torch.autograd.functional.jacobian); and
the highway output is a convex combination of H and x (0 < T < 1).

Regimes: moderate weights; saturated branches (|xWᵀ + b| large: tanh' ≈ 0,
so the gradient reaches x only through the shortcut); highway gates nearly
closed (bT = -8: carry x) or open (bT = +8: transform). Highway
pre-activations of H are kept off relu's kink (|a_H| >= 1e-6) by shifting bH,
since any subgradient would be accepted there.
"""

from __future__ import annotations

import reference.residual as ref
from checks.core.compare import Tol
from checks.formulas import Strategies
from checks.judges.residual import _prop_convex, _prop_identity_path
from checks.oracles.residual import _t_highway, _t_highway_backward, _t_residual_backward
from checks.registry import Formula, Oracle, Source, register


S = Strategies("residual")

_TOL = Tol(rtol=1e-7, atol=1e-9)


register(Formula(
    id="residual.residual_backward",
    source=Source("004", "残差连接如何解决梯度爆炸和梯度消失; 002 §5 Resnet/highway network",
                  "y = x + F(x), ∂y/∂x = I + ∂F/∂x", "现在输出时是 $x + F(x) \\rightarrow H(x)$"),
    reference=ref.residual_backward,
    strategy=S.residual_cases,
    outputs=("dx", "dW", "db"),
    oracles=(
        Oracle("torch", _t_residual_backward, description="autograd of x + tanh(x Wᵀ + b)"),
        Oracle("property:identity-path", _prop_identity_path, kind="property",
               description="dx - dy = dy·J_branch (torch.autograd.functional.jacobian of tanh(xWᵀ+b))"),
    ),
    points=1, tol=_TOL,
))


_SRC_HW = Source("002", "§5 Resnet/highway network", "y = H(x, W_H)·T(x, W_T) + x·(1 - T(x, W_T))   (3)",
                 "$$y = H(x, W_H) \\cdot T(x, W_T) + x \\cdot (1 - T(x, W_T)). \\quad (3)$$")


register(Formula(
    id="residual.highway",
    source=_SRC_HW,
    reference=ref.highway,
    strategy=S.highway_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_highway, description="F.relu / torch.sigmoid rebuild"),
        Oracle("property:between-H-and-x", _prop_convex, kind="property",
               description="y is a convex combination of H and x"),
    ),
    points=1, tol=_TOL,
))


register(Formula(
    id="residual.highway_backward",
    source=_SRC_HW,
    reference=ref.highway_backward,
    strategy=lambda: S.highway_cases(backward=True),
    outputs=("dx", "dWH", "dbH", "dWT", "dbT"),
    oracles=(Oracle("torch", _t_highway_backward, description="autograd of the torch rebuild"),),
    points=2, tol=_TOL,
))
