"""gru.* -- the GRU cell in the notes' convention and its backward pass (notes 002 §1).

The notes put the reset gate BEFORE the matmul, h̃ = tanh(W_h (r∘h) + U_h x + b_h),
and weight the NEW state by u: h_new = (1 − u)∘h + u∘h̃. torch.nn.GRUCell resets
after the matmul, n = tanh(W_in x + b_in + r∘(W_hn h + b_hn)), and weights the
OLD state by z: h' = (1 − z)∘n + z∘h. Under z's weights = −(u's weights) (so
z = σ(−a_u) = 1 − u) the two agree exactly when the reset placement cannot
matter: r ≡ 1 (reset gate saturated open) -- and, for the forward value,
also when W_h = 0. The "torch:nn.GRUCell" oracles draw only those regimes
(tests/test_recurrent_extra.py shows they disagree otherwise); the rebuild
in torch ops with autograd and SymPy (H = 1) check the general case.
"""

from __future__ import annotations

import reference.gru as ref
from checks.core.compare import Tol
from checks.formulas import Strategies, moved
from checks.oracles.gru import _s_cell, _s_cell_backward, _t_cell, _t_cell_backward, _t_nn_cell, _t_nn_cell_backward
from checks.registry import Formula, Oracle, Source, register


S = Strategies("gru")

_SYM = ("moderate", "small")


_TOL = Tol(rtol=1e-7, atol=1e-10)


_SRC = ("002", "§1 LSTM/GRU (GRU)")


register(Formula(
    id="gru.gru_cell",
    source=Source(*_SRC, "h̃ = tanh(W_h (r∘h) + U_h x + b_h), h = (1 − u)∘h_{t-1} + u∘h̃",
                  "$$\\mathbf{h}^{(t)} = (1 - \\mathbf{u}^{(t)}) \\circ \\mathbf{h}^{(t-1)} + \\mathbf{u}^{(t)} "
                  "\\circ \\tilde{\\mathbf{h}}^{(t)}$$"),
    reference=ref.gru_cell,
    strategy=S.gru_cases,
    outputs=("h_new",),
    oracles=(
        Oracle("torch", _t_cell, description="the notes' cell rebuilt in torch ops"),
        Oracle("torch:nn.GRUCell", _t_nn_cell, strategy=lambda: S.gru_cases(torch_regimes=("reset-open", "Wh=0")),
               description="nn.GRUCell with z = 1 − u (negated update weights), where reset placement cannot matter"),
        Oracle("sympy", _s_cell, strategy=lambda: S.gru_cases(h=1, d_max=2, regimes=_SYM),
               description="the notes' scalar GRU (H = 1) lambdified"),
    ),
    points=1, tol=_TOL,
    summary="the notes' convention: reset before the matmul, new state weighted by u",
))


register(Formula(
    id="gru.gru_cell_backward",
    source=Source(*_SRC, "backward of u = σ(W_u h + U_u x + b_u), r = σ(…), h̃ = tanh(W_h (r∘h) + …), h = (1−u)∘h + u∘h̃",
                  "$$\\tilde{\\mathbf{h}}^{(t)} = \\tanh \\left(\\mathbf{W}_h (\\mathbf{r}^{(t)} \\circ "
                  "\\mathbf{h}^{(t-1)}) + \\mathbf{U}_h \\mathbf{x}^{(t)} + \\mathbf{b}_h \\right)$$"),
    reference=ref.gru_cell_backward,
    strategy=lambda: S.gru_cases(backward=True),
    outputs=("dx", "dh_prev", "dp"),
    oracles=(
        Oracle("torch", _t_cell_backward, description="autograd of Σ dh⊙h_new through the rebuilt cell"),
        Oracle("torch:nn.GRUCell", _t_nn_cell_backward,
               strategy=lambda: S.gru_cases(backward=True, torch_regimes=("reset-open",)),
               description="autograd through nn.GRUCell (z = 1 − u, r ≡ 1), gradients mapped back"),
        Oracle("sympy", _s_cell_backward, strategy=lambda: S.gru_cases(backward=True, h=1, d_max=2, regimes=_SYM),
               description="sympy.diff of dh·h_new, scalar GRU (H = 1)"),
    ),
    points=2, tol=_TOL,
    summary="(dx, dh_prev, dp) with dp a dict of the keys of p",
))

# names that lived here before the split (tests/test_*_extra.py, benchmarks/ import them from this module)
__getattr__ = moved("checks.strategies.gru", "checks.oracles.gru")
