"""rnn.* -- the vanilla RNN: forward, BPTT, one step's Jacobian (notes 002 §7, 001 A6.4).

Oracles: torch.nn.RNN(nonlinearity="tanh") with the contract's weights mapped
onto it (weight_hh = W1, weight_ih = W2, bias_ih = b2, bias_hh = 0) and the
output softmax; a rebuild in torch ops differentiated by autograd;
torch.autograd.functional.jacobian for the step Jacobian; SymPy (H = D = 1,
T <= 3, K <= 3) for BPTT, evaluated per sample (the loss is a mean of
independent per-sample losses).

The strategies also serve lstm.* and gru.* (``weights``, ``REGIMES``).
"""

from __future__ import annotations

import reference.rnn as ref
from checks.core.compare import Tol
from checks.formulas import Strategies
from checks.oracles.rnn import _s_bptt, _s_step_jacobian, _t_bptt, _t_forward, _t_nn_bptt, _t_nn_forward, _t_step_jacobian
from checks.registry import Formula, Oracle, Source, register


S = Strategies("rnn")

_TOL = Tol(rtol=1e-7, atol=1e-10)


register(Formula(
    id="rnn.rnn_forward",
    source=Source("002", "§7 逻辑回归, softmax, RNN 导数推导 (RNN 中反向传播)",
                  "h_t = tanh(W1 h_{t-1} + W2 x_t + b2), y_t = softmax(U h_t + b1)",
                  "其中 $\\vec{h}_t = \\tanh/\\text{sigmoid}(W_1 \\cdot \\vec{h}_{t-1} + W_2 \\cdot \\vec{x}_t + \\vec{b}_2)$"),
    reference=ref.rnn_forward,
    strategy=S.rnn_cases,
    outputs=("h", "p"),
    oracles=(
        Oracle("torch:nn.RNN", _t_nn_forward,
               description="nn.RNN(tanh), weight_hh=W1, weight_ih=W2, bias_ih=b2, bias_hh=0; softmax(F.linear(h, U, b1))"),
        Oracle("torch", _t_forward, description="rebuilt step by step in torch ops"),
    ),
    points=1, tol=_TOL,
    summary="T, N, H, D, K from 1; S.weights moderate, small or saturating",
))


register(Formula(
    id="rnn.rnn_bptt",
    source=Source("002", "§7 逻辑回归, softmax, RNN 导数推导 (RNN 中反向传播)",
                  "∂loss/∂h_{t-1} = W1ᵀ·diag[f'(z)]·Uᵀ·(y_t − y_i)",
                  "$$(n, 1) = \\underbrace{W_1^T}_{(n \\times m)} \\cdot \\underbrace{\\text{diag}[f'(\\vec{z})]}_{(m \\times m)} "
                  "\\cdot \\underbrace{U^T}_{(m \\times k)} \\cdot \\underbrace{(\\vec{y}_t - \\vec{y}_i)}_{(k, 1)}$$"),
    reference=ref.rnn_bptt,
    strategy=lambda: S.rnn_cases(with_labels=True),
    outputs=("grads",),
    oracles=(
        Oracle("torch", _t_bptt, description="autograd of the rebuilt Σ_t mean_n −log softmax"),
        Oracle("torch:nn.RNN", _t_nn_bptt, description="autograd through nn.RNN + F.cross_entropy, summed over t"),
        Oracle("sympy", _s_bptt, strategy=S.sym_rnn_cases,
               description="sympy.diff of the notes' loss, H = D = 1, T <= 3, per sample"),
    ),
    points=3, tol=_TOL,
    summary="dict of 7 gradients; loss summed over time, mean over the batch",
))


register(Formula(
    id="rnn.rnn_step_jacobian",
    source=Source("002", "§7 逻辑回归, softmax, RNN 导数推导 (RNN 中反向传播)",
                  "∂h_t/∂h_{t-1} = W1ᵀ·diag[f'(z)] (the contract returns its transpose, numerator layout)",
                  "$$\\therefore \\frac{\\partial \\vec{h}_t}{\\partial \\vec{h}_{t-1}} = \\underbrace{W_1^T}_{(n \\times m)} "
                  "\\cdot \\underbrace{\\text{diag}[f'(\\vec{z})]}_{(m \\times m)}$$"),
    reference=ref.rnn_step_jacobian,
    strategy=S.step_cases,
    outputs=("J",),
    oracles=(
        Oracle("torch:jacobian", _t_step_jacobian, description="torch.autograd.functional.jacobian, diagonal batch blocks"),
        Oracle("sympy", _s_step_jacobian, strategy=lambda: S.step_cases(regimes=("moderate", "small")),
               description="sympy Matrix.jacobian of tanh(W1 h + W2 x + b2)"),
    ),
    points=1, tol=_TOL,
    summary="J[n,i,j] = ∂h_t[n,i]/∂h_prev[n,j] = (1 − h_t²)[n,i]·W1[i,j]",
))
