"""clip.* -- gradient clipping by global norm and by value (torch.nn.utils' conventions).

Inputs are lists of 1..4 arrays of different shapes (0-d to 3-d). The norm
regimes are drawn on purpose: below the threshold (no change), above it
(one global factor), exactly at it (max_norm = total norm: torch's 1e-6 still
scales by total/(total+1e-6)) and all-zero gradients. clip_grad_value draws
clips below and above the largest magnitude, with elements exactly at ±clip.
"""

from __future__ import annotations

import reference.clip as ref
from checks.core.compare import Tol
from checks.formulas import Strategies
from checks.judges.clipping import _prop_global_factor
from checks.oracles.clip import _t_clip_norm, _t_clip_norm_lib, _t_clip_value, _t_clip_value_lib
from checks.registry import Formula, Oracle, Source, register


S = Strategies("clip")

_TOL = Tol(rtol=1e-7, atol=1e-12)


_SRC = Source("004", "解决梯度消失和梯度爆炸的方法 §4 梯度裁剪（Gradient Clipping）",
              "g ← g·min(max_norm/(‖g‖+1e-6), 1);  g ← clip(g, −c, c)",
              "**主要用于RNN、LSTM**，在梯度过大时将其限制在某一范围内（如[-5, 5]）")


register(Formula(
    id="clip.clip_grad_norm",
    source=Source("002", "§3 梯度消失, 梯度爆炸", "g ← g·min(max_norm/(‖g‖₂+1e-6), 1), ‖g‖ over ALL arrays",
                  "梯度爆炸: grad_clip"),
    reference=ref.clip_grad_norm,
    strategy=S.clip_norm_cases,
    outputs=("grads", "total_norm"),
    oracles=(
        Oracle("torch:clip_grad_norm_", _t_clip_norm_lib, description="torch.nn.utils.clip_grad_norm_ on parameters' .grad"),
        Oracle("torch", _t_clip_norm, description="vector_norm of the concatenation, clamp(max_norm/(total+1e-6), max=1)"),
        Oracle("property:global-factor", _prop_global_factor, kind="property",
               description="one factor in [0,1] for every array; norm returned = norm before"),
    ),
    points=1, tol=_TOL,
    summary="(clipped list, total norm before clipping); below / above / exactly at the threshold drawn",
))


register(Formula(
    id="clip.clip_grad_value",
    source=_SRC,
    reference=ref.clip_grad_value,
    strategy=S.clip_value_cases,
    outputs=("grads",),
    oracles=(
        Oracle("torch:clip_grad_value_", _t_clip_value_lib, description="torch.nn.utils.clip_grad_value_"),
        Oracle("torch", _t_clip_value, description="torch.clamp(g, -clip, clip) per array"),
    ),
    points=1, tol=_TOL,
    summary="every element clipped to [-clip, clip]",
))
