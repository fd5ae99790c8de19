"""embedding.* -- the gradient of an embedding lookup with respect to its table.

Repeated indices are drawn on purpose (a small vocabulary, or one index
everywhere): their gradients must ADD up, which an assignment gets wrong.
"""

from __future__ import annotations

import numpy as np

import reference.embedding as ref
from checks.core.compare import Tol
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, hnp, st
from checks.oracles.torchlib import F, N, T, torch

# ---------------------------------------------------------------- strategies


@st.composite
def embedding_case(draw):
    """indices (N,L) in [0,V), dy (N,L,E), V; regimes: any index, few distinct (repeats), one index repeated."""
    n, l, e = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    V = draw(st.integers(1, 6))
    regime = draw(st.sampled_from(["any", "repeats", "one"]))
    if regime == "one":
        idx = np.full((n, l), draw(st.integers(0, V - 1)), dtype=np.int64)
    else:
        hi = V - 1 if regime == "any" else min(V - 1, 1)
        idx = draw(hnp.arrays(np.int64, (n, l), elements=st.integers(0, hi)))
    return Case((idx, draw(array((n, l, e), -10, 10)), V))


# ---------------------------------------------------------------- torch oracles


def _t_embedding(indices, dy, V):
    """autograd of F.embedding with respect to the weight (V, E)."""
    w = T(np.zeros((V, np.shape(dy)[2])), grad=True)
    F().embedding(torch().as_tensor(np.asarray(indices, dtype=np.int64)), w).backward(T(dy))
    return N(w.grad)


def _t_onehot(indices, dy, V):
    """The lookup as a one-hot matrix product: dE = onehot(indices)ᵀ · dy."""
    tt = torch()
    oh = F().one_hot(tt.as_tensor(np.asarray(indices, dtype=np.int64)).reshape(-1), V).to(tt.float64)
    return N(oh.T @ T(dy).reshape(-1, np.shape(dy)[2]))


# ---------------------------------------------------------------- entries

register(Formula(
    id="embedding.embedding_backward",
    source=Source("004", "什么是embedding §2 Embedding 是怎么做的", "y[n,l] = E[indices[n,l]];  dE[v] = Σ_{indices[n,l]=v} dy[n,l]",
                  "每个证的 embedding 是这个矩阵中对应行的向量"),
    reference=ref.embedding_backward,
    strategy=embedding_case,
    outputs=("dE",),
    oracles=(
        Oracle("torch:F.embedding", _t_embedding, description="autograd of F.embedding w.r.t. the weight"),
        Oracle("torch", _t_onehot, description="one_hot(indices)ᵀ @ dy"),
    ),
    points=1, tol=Tol(rtol=1e-7, atol=1e-12),
    summary="dE (V,E): repeated indices add up; rows never looked up stay 0",
))
