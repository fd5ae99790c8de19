"""Correct implementations of the rnn group written differently from the reference."""

from __future__ import annotations

import numpy as np

from tests.variants import Variant


def _sm(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def rnn_forward_loops(x, h0, W1, W2, b2, U, b1):
    T, _N, _D = x.shape
    h0.shape[1]
    Wc = np.concatenate([W1, W2], 1)  # [W1 | W2] on [h, x]
    hs, ps, h = [], [], h0
    for t in range(T):
        h = np.tanh(np.concatenate([h, x[t]], 1) @ Wc.T + b2)
        hs.append(h)
        ps.append(_sm(h @ U.T + b1))
    return [np.stack(hs), np.stack(ps)]


def rnn_bptt_alt(x, labels, h0, W1, W2, b2, U, b1):
    T, N, _ = x.shape
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W1.T + x[t] @ W2.T + b2))
    H = np.stack(hs[1:])
    P = _sm(H @ U.T + b1)
    dO = P.copy()
    for t in range(T):
        for n in range(N):
            dO[t, n, labels[t, n]] -= 1
    dO /= N
    dU = np.einsum("tnk,tnh->kh", dO, H)
    db1 = dO.sum((0, 1))
    dz_all = np.zeros_like(H)
    carry = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        dz_all[t] = (dO[t] @ U + carry) * (1 - H[t] ** 2)
        carry = dz_all[t] @ W1
    Hprev = np.stack(hs[:-1])
    return {
        "x": dz_all @ W2,
        "h0": carry,
        "W1": np.einsum("tni,tnj->ij", dz_all, Hprev),
        "W2": np.einsum("tni,tnj->ij", dz_all, x),
        "b2": dz_all.sum((0, 1)),
        "U": dU,
        "b1": db1,
        "extra": 1,
    }


def rnn_jac_loop(x_t, h_prev, W1, W2, b2):
    N, H = h_prev.shape
    J = np.zeros((N, H, H))
    for n in range(N):
        z = W1 @ h_prev[n] + W2 @ x_t[n] + b2
        J[n] = np.diag(1 - np.tanh(z) ** 2) @ W1
    return J


VARIANTS = [
    Variant("rnn.rnn_forward", "[W1 | W2] on [h, x], a list", rnn_forward_loops),
    Variant("rnn.rnn_bptt", "loops, an extra dict key", rnn_bptt_alt),
    Variant("rnn.rnn_step_jacobian", "a loop over the batch", rnn_jac_loop),
]
