"""reductions.max_backward -- the gradient of max over the last axis (notes 001 A6.2)."""

from __future__ import annotations

import reference.reductions as ref
from checks.core.compare import Tol
from checks.formulas import Strategies
from checks.judges.subgradient import _compare, _tie_split_property
from checks.oracles.reductions import _t_amax
from checks.registry import Formula, Oracle, Source, register


S = Strategies("reductions")

register(Formula(
    id="reductions.max_backward",
    source=Source("001", "A6.2", "∂y/∂x_i = 1 if x_i = max(x_1..x_D) else 0",
                  "\\frac{\\partial y}{\\partial x_{i}}=1, \\text { if } x_{i}=max(𝑥_1,⋯,𝑥_𝐷); 0, \\text { otherwise }"),
    reference=ref.max_backward,
    strategy=S.max_cases,
    outputs=("dx",),
    oracles=(
        Oracle("torch", _t_amax, description="autograd of torch.amax (even split at ties); any valid split accepted"),
        Oracle("property:tie-split", _tie_split_property, kind="property",
               description="weights lie on the tied maxima, are >= 0 and sum to dy"),
    ),
    compare=_compare,
    points=2,
    tol=Tol(rtol=1e-9, atol=1e-12),
    summary="ties: any split of dy over the tied maxima (non-negative weights summing to 1)",
))
