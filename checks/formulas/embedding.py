"""embedding.* -- the gradient of an embedding lookup with respect to its table.

Repeated indices are drawn on purpose (a small vocabulary, or one index
everywhere): their gradients must ADD up, which an assignment gets wrong.
"""

from __future__ import annotations

import reference.embedding as ref
from checks.core.compare import Tol
from checks.formulas import Strategies
from checks.oracles.embedding import _t_embedding, _t_onehot
from checks.registry import Formula, Oracle, Source, register


S = Strategies("embedding")

register(Formula(
    id="embedding.embedding_backward",
    source=Source("004", "什么是embedding §2 Embedding 是怎么做的", "y[n,l] = E[indices[n,l]];  dE[v] = Σ_{indices[n,l]=v} dy[n,l]",
                  "每个证的 embedding 是这个矩阵中对应行的向量"),
    reference=ref.embedding_backward,
    strategy=S.embedding_cases,
    outputs=("dE",),
    oracles=(
        Oracle("torch:F.embedding", _t_embedding, description="autograd of F.embedding w.r.t. the weight"),
        Oracle("torch", _t_onehot, description="one_hot(indices)ᵀ @ dy"),
    ),
    points=1, tol=Tol(rtol=1e-7, atol=1e-12),
    summary="dE (V,E): repeated indices add up; rows never looked up stay 0",
))
