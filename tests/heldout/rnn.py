import numpy as np

from tests.heldout import Heldout


def _softmax_rows(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _forward(x, h0, W1, W2, b2, U, b1):
    hs, ps, h = [], [], np.asarray(h0, dtype=np.float64)
    for t in range(x.shape[0]):
        h = np.tanh(h @ W1.T + x[t] @ W2.T + b2)
        hs.append(h)
        ps.append(_softmax_rows(h @ U.T + b1))
    return np.stack(hs), np.stack(ps)


def bptt_summed(x, labels, h0, W1, W2, b2, U, b1):
    x = np.asarray(x, dtype=np.float64)
    h, p = _forward(x, h0, W1, W2, b2, U, b1)
    T, N, _ = x.shape
    g = dict(x=np.zeros_like(x), h0=np.zeros_like(h0), W1=np.zeros_like(W1), W2=np.zeros_like(W2),
             b2=np.zeros_like(b2), U=np.zeros_like(U), b1=np.zeros_like(b1))
    carry = np.zeros_like(h0)
    for t in reversed(range(T)):
        dz_out = p[t].copy()
        dz_out[np.arange(N), labels[t]] -= 1.0                 # the per-step loss summed over n: no /N
        g["U"] += dz_out.T @ h[t]
        g["b1"] += dz_out.sum(0)
        dh = dz_out @ U + carry
        dz = dh * (1 - h[t] ** 2)
        prev = h[t - 1] if t > 0 else h0
        g["W1"] += dz.T @ prev
        g["W2"] += dz.T @ x[t]
        g["b2"] += dz.sum(0)
        g["x"][t] = dz @ W2
        carry = dz @ W1
    g["h0"] = carry
    return g


def step_jacobian_W1_transposed(x_t, h_prev, W1, W2, b2):
    h = np.tanh(h_prev @ W1.T + x_t @ W2.T + b2)
    J = np.empty((h.shape[0], h.shape[1], h.shape[1]))
    for n in range(h.shape[0]):
        J[n] = W1.T @ np.diag(1 - h[n] ** 2)                   # denominator layout: W1ᵀ diag(f')
    return J


def forward_probabilities_unnormalised(x, h0, W1, W2, b2, U, b1):
    x = np.asarray(x, dtype=np.float64)
    h, _ = _forward(x, h0, W1, W2, b2, U, b1)
    return h, np.exp(h @ U.T + b1)                             # exp without the softmax's denominator


HELDOUT = [
    Heldout("rnn.rnn_bptt", "per-step loss summed over the batch", bptt_summed, "rnn.rnn_bptt:bptt_sum_over_batch"),
    Heldout("rnn.rnn_step_jacobian", "W1ᵀ diag(f') per sample", step_jacobian_W1_transposed,
            "rnn.rnn_step_jacobian:jacobian_transposed"),
    Heldout("rnn.rnn_forward", "p = exp(logits), not normalised", forward_probabilities_unnormalised, "unknown"),
]
