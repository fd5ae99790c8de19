"""lstm.* -- the LSTM cell, its backward pass, the cell-state Jacobian, BPTT (notes 001 A6.3, 002 §1).

The contract's W (4H, H+D) multiplies [h_prev, x] (h first), row blocks
i, f, g, o -- torch's gate order. torch.nn.LSTMCell / torch.nn.LSTM take
weight_hh = W[:, :H], weight_ih = W[:, H:], bias_ih = b, bias_hh = 0.

Oracles: the torch library modules, a rebuild in torch ops with autograd,
torch.autograd.functional.jacobian for the state Jacobian, the notes' four
terms of ∂C^(k)/∂C^(k−1) written out, and SymPy for the scalar (H = 1) cell
derived from the notes' equations.
"""

from __future__ import annotations

import reference.lstm as ref
from checks.core.compare import Tol
from checks.formulas import Strategies
from checks.judges.lstm import _prop_four_terms
from checks.oracles.lstm import _s_cell, _s_cell_backward, _s_state_jacobian, _t_bptt, _t_cell, _t_cell_backward, _t_nn_bptt, _t_nn_cell, _t_nn_cell_backward, _t_state_jacobian
from checks.registry import Formula, Oracle, Source, register


S = Strategies("lstm")

_SYM = ("moderate", "small")


_TOL = Tol(rtol=1e-7, atol=1e-10)


_SRC_CELL = ("C_t = f_t * C_{t-1} + i_t * C̃_t, h_t = o_t * tanh(C_t); gates σ(W·[h_{t-1}, x_t] + b)",
             "$$C_{t}=f_{t} * C_{t-1}+i_{t} * \\widetilde{C}_{t}$$")


register(Formula(
    id="lstm.lstm_cell",
    source=Source("001", "A6.3 推导LSTM网络中参数的梯度 (and 002 §1 LSTM/GRU)", *_SRC_CELL),
    reference=ref.lstm_cell,
    strategy=S.cell_cases,
    outputs=("h", "c"),
    oracles=(
        Oracle("torch:nn.LSTMCell", _t_nn_cell,
               description="nn.LSTMCell, weight_hh = W[:, :H], weight_ih = W[:, H:], bias_ih = b, bias_hh = 0"),
        Oracle("torch", _t_cell, description="rebuilt in torch ops, gates i, f, g, o"),
        Oracle("sympy", _s_cell, strategy=lambda: S.cell_cases(h=1, d_max=2, regimes=_SYM),
               description="the notes' scalar cell (H = 1) lambdified"),
    ),
    points=1, tol=_TOL,
    summary="W (4H, H+D) multiplies [h_prev, x]; gate blocks i, f, g, o",
))


register(Formula(
    id="lstm.lstm_cell_backward",
    source=Source("001", "A6.3 推导LSTM网络中参数的梯度",
                  "∂L_t/∂W = ∂L_t/∂h_t · ∂h_t/∂C_t · … · Π ∂C_k/∂C_{k-1} · ∂C_1/∂W",
                  "$$\\frac{\\partial L_{t}}{\\partial W}=\\frac{\\partial L_{t}}{\\partial h_{t}} * "
                  "\\frac{\\partial h_{t}}{\\partial C_{t}} * \\ldots"),
    reference=ref.lstm_cell_backward,
    strategy=lambda: S.cell_cases(backward=True),
    outputs=("dx", "dh_prev", "dc_prev", "dW", "db"),
    oracles=(
        Oracle("torch", _t_cell_backward, description="autograd of Σ dh⊙h + Σ dc⊙c through the rebuilt cell"),
        Oracle("torch:nn.LSTMCell", _t_nn_cell_backward, description="autograd through nn.LSTMCell; dW = [∇weight_hh | ∇weight_ih]"),
        Oracle("sympy", _s_cell_backward, strategy=lambda: S.cell_cases(backward=True, h=1, d_max=2, regimes=_SYM),
               description="sympy.diff of dh·h_t + dc·c_t, scalar cell (H = 1)"),
    ),
    points=2, tol=_TOL,
    summary="random upstream gradients on both h and c",
))


register(Formula(
    id="lstm.lstm_cell_state_jacobian",
    source=Source("001", "A6.3 推导LSTM网络中参数的梯度 (LSTM 通过记忆单元 C 来缓解梯度消失问题)",
                  "∂C^(k)/∂C^(k-1) = C^(k-1)σ′W_f o^(k-1)tanh′(C^(k-1)) + a^(k)σ′W_i o^(k-1)tanh′(C^(k-1)) "
                  "+ i^(k)tanh′W_c o^(k-1)tanh′(C^(k-1)) + f",
                  "\\frac{\\partial C^{(k)}}{\\partial C^{(k-1)}}=C^{(k-1)} \\sigma^{\\prime}(\\cdot) W_{f} o^{(k-1)} "
                  "\\tanh ^{\\prime}\\left(C^{(k-1)}\\right)"),
    reference=ref.lstm_cell_state_jacobian,
    strategy=S.state_jacobian_cases,
    outputs=("J",),
    oracles=(
        Oracle("torch:jacobian", _t_state_jacobian,
               description="torch.autograd.functional.jacobian of c_t(c_prev) with h_prev = o_prev⊙tanh(c_prev)"),
        Oracle("property:notes-four-term", _prop_four_terms, kind="property",
               description="equals the notes' four terms written out, one sample at a time"),
        Oracle("sympy", _s_state_jacobian, strategy=lambda: S.state_jacobian_cases(h=1, d_max=2, regimes=_SYM),
               description="sympy.diff(C_t, C_prev) of the scalar cell with h_prev = o_prev tanh(C_prev)"),
    ),
    points=2, tol=_TOL,
    summary="J[n,i,j] = ∂c_t[n,i]/∂c_prev[n,j] through h_prev = o_prev⊙tanh(c_prev), o_prev fixed",
))


register(Formula(
    id="lstm.lstm_bptt",
    source=Source("001", "A6.3 推导LSTM网络中参数的梯度",
                  "Π_{k=t+1}^{T} ∂C^(k)/∂C^(k-1) = (f^(k) f^(k+1) … f^(T)) + other",
                  "\\prod_{k=t+1}^{T} \\frac{\\partial C^{(k)}}{\\partial C^{(k-1)}}=\\left(f^{(k)} f^{(k+1)} "
                  "\\ldots f^{(T)}\\right)+\\text { other }"),
    reference=ref.lstm_bptt,
    strategy=S.bptt_cases,
    outputs=("grads",),
    oracles=(
        Oracle("torch:nn.LSTM", _t_nn_bptt, description="autograd of Σ dh⊙out through nn.LSTM with the mapped weights"),
        Oracle("torch", _t_bptt, description="autograd of Σ_t dh[t]⊙h_t through the rebuilt cell, unrolled"),
    ),
    points=3, tol=_TOL,
    summary="dict x, h0, c0, W, b of L = Σ dh[t,n,j] h_t[n,j]",
))
