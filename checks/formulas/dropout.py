"""dropout.* -- dropout with a given mask, standard and inverted (notes 002 §4, 004 "dropout的作用是什么").

``p_keep`` is the keep probability, ``mask`` float64 zeros and ones.
standard: train x⊙m, eval p_keep·x; inverted: train x⊙m/p_keep, eval x.
torch's ``F.dropout(x, p)`` is the inverted convention with the DROP
probability p = 1 - p_keep (documented by tests/test_dropout_extra.py, which
also checks E_mask[train] = eval by enumerating all masks and statistically).

Oracles: torch rebuilds (autograd for the backward), the expectation over
every mask (eval = Σ_m p^k (1-p)^(n-k) train(x, m)), and exact properties:
dropped units give exactly 0, kept units exactly x (standard) or x/p_keep
(inverted), and the backward applies the same diagonal map to dy.
"""

from __future__ import annotations

import reference.dropout as ref
from checks.core.compare import Tol
from checks.formulas import Strategies, moved
from checks.judges.dropout import _prop_backward, _prop_train
from checks.oracles.dropout import _t_backward, _t_eval, _t_train, expectation_over_masks
from checks.registry import Formula, Oracle, Source, register


S = Strategies("dropout")

_TOL = Tol(rtol=1e-12, atol=0.0)


_SRC = Source("004", "dropout的作用是什么 (数学表达); 002 §4 防止过拟合",
              "train x̃ = x·m, m ~ Bernoulli(p_keep); eval scaled by p_keep (standard) -- or train /p_keep (inverted)",
              "x~=x⋅m,m∼Bernoulli(p)")


register(Formula(
    id="dropout.dropout_train",
    source=_SRC,
    reference=ref.dropout_train,
    strategy=S.train_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_train, description="x*mask (/p_keep) in torch"),
        Oracle("property:kept-and-dropped", _prop_train, kind="property",
               description="0 where dropped; x or x/p_keep where kept, exactly"),
    ),
    points=1, tol=_TOL,
))


register(Formula(
    id="dropout.dropout_eval",
    source=Source("004", "dropout的作用是什么 (推理时); 002 §4 防止过拟合",
                  "eval = p_keep·x (standard) or x (inverted): the expectation of the train output",
                  "不丢节点，输出乘以 ppp 的缩放补偿（保持期望一致）"),
    reference=ref.dropout_eval,
    strategy=S.eval_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_eval, description="p_keep*x or x in torch"),
        Oracle("brute-force:all-masks", expectation_over_masks, strategy=lambda: S.eval_cases(small=True),
               tol=Tol(rtol=1e-12, atol=1e-12),
               description="Σ over all 2^n masks of p^k(1-p)^(n-k)·train(x, mask)"),
    ),
    points=1, tol=_TOL,
))


register(Formula(
    id="dropout.dropout_backward",
    source=_SRC,
    reference=ref.dropout_backward,
    strategy=S.train_cases,  # (dy, mask, p_keep, inverted)
    outputs=("dx",),
    oracles=(
        Oracle("torch", _t_backward, description="autograd of the torch rebuild of dropout_train"),
        Oracle("property:same-diagonal-map", _prop_backward, kind="property",
               description="dx = dy⊙mask (/p_keep): the forward map's own (diagonal) Jacobian"),
    ),
    points=1, tol=_TOL,
))

# names that lived here before the split (tests/test_*_extra.py, benchmarks/ import them from this module)
__getattr__ = moved("checks.strategies.dropout", "checks.oracles.dropout", "checks.judges.dropout")
