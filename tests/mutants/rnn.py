"""Wrong implementations of rnn.* that the checks must catch."""

import numpy as np

import reference.rnn as R
from tests.mutants import Mutant


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def forward_W1_untransposed(x, h0, W1, W2, b2, U, b1):
    h, prev = [], h0
    for t in range(x.shape[0]):
        prev = np.tanh(prev @ W1 + x[t] @ W2.T + b2)  # column-vector habit: W1 h written h @ W1
        h.append(prev)
    h = np.stack(h)
    return h, _softmax(h @ U.T + b1)


def forward_softmax_over_batch(x, h0, W1, W2, b2, U, b1):
    h, _ = R.rnn_forward(x, h0, W1, W2, b2, U, b1)
    return h, _softmax(h @ U.T + b1, axis=1)


def _bptt(x, labels, h0, W1, W2, b2, U, b1, carry=True, mean=True, with_h0=True):
    T, N, _ = x.shape
    h, p = R.rnn_forward(x, h0, W1, W2, b2, U, b1)
    g = dict(x=np.zeros_like(x), W1=np.zeros_like(W1), W2=np.zeros_like(W2), b2=np.zeros_like(b2),
             U=np.zeros_like(U), b1=np.zeros_like(b1))
    dnext = np.zeros_like(h0)
    for t in reversed(range(T)):
        dout = p[t].copy()
        dout[np.arange(N), labels[t]] -= 1
        if mean:
            dout /= N
        g["U"] += dout.T @ h[t]
        g["b1"] += dout.sum(0)
        dz = (dout @ U + (dnext if carry else 0.0)) * (1 - h[t] ** 2)
        prev = h[t - 1] if t else h0
        g["W1"] += dz.T @ prev
        g["W2"] += dz.T @ x[t]
        g["b2"] += dz.sum(0)
        g["x"][t] = dz @ W2
        dnext = dz @ W1
    g["h0"] = dnext if with_h0 else np.zeros_like(h0)
    return g


def bptt_truncated(*a):
    return _bptt(*a, carry=False)  # each step sees only its own loss: BPTT truncated to one step


def bptt_no_dh0(*a):
    return _bptt(*a, with_h0=False)


def bptt_sum_over_batch(*a):
    return _bptt(*a, mean=False)


def jacobian_transposed(x_t, h_prev, W1, W2, b2):
    return np.ascontiguousarray(np.transpose(R.rnn_step_jacobian(x_t, h_prev, W1, W2, b2), (0, 2, 1)))


def jacobian_without_fprime(x_t, h_prev, W1, W2, b2):
    return np.broadcast_to(np.asarray(W1, dtype=np.float64), (np.shape(x_t)[0],) + np.shape(W1)).copy()


MUTANTS = [
    Mutant("rnn.rnn_forward", "h @ W1 instead of h @ W1.T", forward_W1_untransposed),
    Mutant("rnn.rnn_forward", "softmax over the batch axis", forward_softmax_over_batch),
    Mutant("rnn.rnn_bptt", "BPTT truncated to one step", bptt_truncated),
    Mutant("rnn.rnn_bptt", "h0 gradient left at zero", bptt_no_dh0),
    Mutant("rnn.rnn_bptt", "loss summed over the batch, not averaged", bptt_sum_over_batch),
    Mutant("rnn.rnn_step_jacobian", "the notes' W1^T diag(f') layout (transposed)", jacobian_transposed),
    Mutant("rnn.rnn_step_jacobian", "forgot diag(f')", jacobian_without_fprime),
]
