"""The LSTM cell, its backward pass, the cell-state Jacobian, and BPTT over a sequence.

Notes 001 A6.3 (推导LSTM网络中参数的梯度) and 002 §1 (LSTM/GRU):

    f_t = σ(W_f·[h_{t−1}, x_t] + b_f)      i_t = σ(W_i·[h_{t−1}, x_t] + b_i)
    C̃_t = tanh(W_C·[h_{t−1}, x_t] + b_C)   o_t = σ(W_o·[h_{t−1}, x_t] + b_o)
    C_t = f_t * C_{t−1} + i_t * C̃_t         h_t = o_t * tanh(C_t)

The contract stacks the four gate matrices as W (4H, H+D), row blocks in the
order i, f, g (= C̃), o, multiplying [h_prev, x] (h first); b (4H,). Row
batches: a = [h_prev, x] Wᵀ + b. Every function returns new float64 arrays
and leaves its arguments untouched.
"""

from __future__ import annotations

import numpy as np

from reference.activations import sigmoid as _sigmoid
from reference.rnn import _expect, _f64


def _check_wb(W, b, H, D):
    W, b = _f64("W", W, 2), _f64("b", b, 1)
    _expect("W", W, (4 * H, H + D))
    _expect("b", b, (4 * H,))
    return W, b



def _gates(x, h_prev, W, b):
    """(i, f, g, o) for row batches x (N, D), h_prev (N, H)."""
    H = h_prev.shape[1]
    a = h_prev @ W[:, :H].T + x @ W[:, H:].T + b
    return _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])


def _cell_inputs(x, h_prev, c_prev, W, b):
    x, h_prev, c_prev = _f64("x", x, 2), _f64("h_prev", h_prev, 2), _f64("c_prev", c_prev, 2)
    N, D = x.shape
    H = h_prev.shape[1]
    _expect("h_prev", h_prev, (N, H))
    _expect("c_prev", c_prev, (N, H))
    W, b = _check_wb(W, b, H, D)
    return x, h_prev, c_prev, W, b


def lstm_cell(x, h_prev, c_prev, W, b):
    r"""One LSTM step: c = f⊙c_prev + i⊙g, h = o⊙tanh(c).

    (notes 001 A6.3: "C_t = f_t * C_{t−1} + i_t * C̃_t", "h_t = o_t * tanh(C_t)").
    x (N, D), h_prev (N, H), c_prev (N, H), W (4H, H+D), b (4H,) -> (h, c), both (N, H).
    """
    x, h_prev, c_prev, W, b = _cell_inputs(x, h_prev, c_prev, W, b)
    i, f, g, o = _gates(x, h_prev, W, b)
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def _cell_backward(x, h_prev, c_prev, W, i, f, g, o, c, dh, dc):
    H = h_prev.shape[1]
    tc = np.tanh(c)
    dct = dc + dh * o * (1.0 - tc * tc)  # the total gradient on c: its own plus the one through h
    da = np.concatenate(
        [dct * g * i * (1.0 - i), dct * c_prev * f * (1.0 - f), dct * i * (1.0 - g * g), dh * tc * o * (1.0 - o)],
        axis=1,
    )
    dW = da.T @ np.concatenate([h_prev, x], axis=1)
    dhx = da @ W
    return dhx[:, H:], dhx[:, :H], dct * f, dW, da.sum(axis=0)


def lstm_cell_backward(x, h_prev, c_prev, W, b, dh, dc):
    r"""Gradients (dx, dh_prev, dc_prev, dW, db) of Σ dh⊙h + Σ dc⊙c through one LSTM step.

    .. math::
        \bar c = dc + dh \odot o \odot (1 - \tanh^2 c), \quad
        dc_{prev} = \bar c \odot f, \\
        da_i = \bar c\, g\, i(1-i), \; da_f = \bar c\, c_{prev} f(1-f), \;
        da_g = \bar c\, i (1-g^2), \; da_o = dh \tanh(c)\, o(1-o), \\
        dW = da^\top [h_{prev}, x], \quad db = \textstyle\sum_n da, \quad [dh_{prev}, dx] = da\, W

    (notes 001 A6.3: ∂L/∂W = ∂L/∂h_t·∂h_t/∂C_t·…·∂C_1/∂W — the gradient on
    C_t collects dc and the path through h_t = o_t * tanh(C_t)).
    dh, dc (N, H) are the upstream gradients on h and c.
    """
    x, h_prev, c_prev, W, b = _cell_inputs(x, h_prev, c_prev, W, b)
    dh, dc = _f64("dh", dh, 2), _f64("dc", dc, 2)
    _expect("dh", dh, h_prev.shape)
    _expect("dc", dc, h_prev.shape)
    i, f, g, o = _gates(x, h_prev, W, b)
    c = f * c_prev + i * g
    return _cell_backward(x, h_prev, c_prev, W, i, f, g, o, c, dh, dc)


def lstm_cell_state_jacobian(x, c_prev, o_prev, W, b):
    r"""J[n, i, j] = ∂c_t[n, i]/∂c_prev[n, j] with h_prev = o_prev⊙tanh(c_prev), o_prev fixed.

    The notes' four terms (001 A6.3, ∂C^(k)/∂C^(k−1)):

    .. math::
        J = \underbrace{\mathrm{diag}(c_{prev}\,\sigma'_f)\, W_f^h}_{\text{via } f}
          + \underbrace{\mathrm{diag}(g\,\sigma'_i)\, W_i^h}_{\text{via } i}
          + \underbrace{\mathrm{diag}(i\,\tanh'_g)\, W_g^h}_{\text{via } \tilde C}\;
            \cdot\ \mathrm{diag}(o_{prev} \tanh'(c_{prev}))
          + \mathrm{diag}(f)

    ("C^(k−1) σ′(·) W_f o^(k−1) tanh′(C^(k−1)) + a^(k) σ′(·) W_i o^(k−1)
    tanh′(C^(k−1)) + i^(k) tanh′(·) W_c o^(k−1) tanh′(C^(k−1)) + f^(t)"),
    where W_*^h is the gate's block of the columns multiplying h_prev.
    x (N, D), c_prev (N, H), o_prev (N, H) -> (N, H, H).
    """
    c_prev = _f64("c_prev", c_prev, 2)
    o_prev = _f64("o_prev", o_prev, 2)
    _expect("o_prev", o_prev, c_prev.shape)
    tp = np.tanh(c_prev)
    h_prev = o_prev * tp
    x, h_prev, c_prev, W, b = _cell_inputs(x, h_prev, c_prev, W, b)
    H = h_prev.shape[1]
    i, f, g, o = _gates(x, h_prev, W, b)
    Wh = W[:, :H]
    Wi, Wf, Wg = Wh[:H], Wh[H:2 * H], Wh[2 * H:3 * H]
    dc_dh = (
        (c_prev * f * (1.0 - f))[:, :, None] * Wf[None]
        + (g * i * (1.0 - i))[:, :, None] * Wi[None]
        + (i * (1.0 - g * g))[:, :, None] * Wg[None]
    )
    J = dc_dh * (o_prev * (1.0 - tp * tp))[:, None, :]
    J[:, np.arange(H), np.arange(H)] += f
    return J


def lstm_bptt(x, h0, c0, W, b, dh):
    r"""Gradients of L = Σ_{t,n,j} dh[t,n,j]·h_t[n,j] over a sequence, by BPTT.

    Backward from t = T−1 to 0, carrying both states (notes 001 A6.3: the
    product Π ∂C^(k)/∂C^(k−1) is the cell-state path; h carries the rest):
    the step's upstream gradients are dh[t] + dh_next on h_t and dc_next on
    c_t; :func:`lstm_cell_backward` returns dh_next, dc_next for the step
    before. x (T, N, D), h0, c0 (N, H), dh (T, N, H). Returns a dict with keys
    "x", "h0", "c0", "W", "b".
    """
    x = _f64("x", x, 3)
    T, N, D = x.shape
    h0, c0 = _f64("h0", h0, 2), _f64("c0", c0, 2)
    H = h0.shape[1]
    _expect("h0", h0, (N, H))
    _expect("c0", c0, (N, H))
    W, b = _check_wb(W, b, H, D)
    dh = _f64("dh", dh, 3)
    _expect("dh", dh, (T, N, H))
    cache = []
    h, c = h0, c0
    for t in range(T):
        i, f, g, o = _gates(x[t], h, W, b)
        cn = f * c + i * g
        cache.append((h, c, i, f, g, o, cn))
        h, c = o * np.tanh(cn), cn
    dx = np.zeros_like(x)
    dW, db = np.zeros_like(W), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in range(T - 1, -1, -1):
        hp, cp, i, f, g, o, cn = cache[t]
        dx[t], dh_next, dc_next, dWt, dbt = _cell_backward(x[t], hp, cp, W, i, f, g, o, cn, dh[t] + dh_next, dc_next)
        dW += dWt
        db += dbt
    return {"x": dx, "h0": dh_next, "c0": dc_next, "W": dW, "b": db}
