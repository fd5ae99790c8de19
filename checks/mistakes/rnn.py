"""Wrong implementations of rnn.* that the checks must catch."""

import numpy as np

import reference.rnn as R


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


MISTAKES = [
    ('rnn.rnn_forward', 'h @ W1 instead of h @ W1.T', forward_W1_untransposed,
        'h is multiplied by W1 instead of W1ᵀ.',
        'With rows as samples, W1·h becomes h W1ᵀ.'),
    ('rnn.rnn_forward', 'softmax over the batch axis', forward_softmax_over_batch,
        'The softmax normalises over the batch axis instead of over the classes.',
        "Each sample's probabilities over the K classes sum to 1."),
    ('rnn.rnn_bptt', 'BPTT truncated to one step', bptt_truncated,
        'Backpropagation through time is truncated to one step.',
        'The gradient on h_t also flows into h_{t−1} through W1.'),
    ('rnn.rnn_bptt', 'h0 gradient left at zero', bptt_no_dh0,
        'The gradient with respect to h0 is left at zero.',
        'Return what reaches h0 after the first step.'),
    ('rnn.rnn_bptt', 'loss summed over the batch, not averaged', bptt_sum_over_batch,
        'The loss is summed over the batch instead of averaged: the 1/N is missing.',
        'The loss is a mean over n at each step.'),
    ('rnn.rnn_step_jacobian', "the notes' W1^T diag(f') layout (transposed)", jacobian_transposed,
        "The Jacobian is in the notes' denominator layout (W1ᵀ diag(f′)), i.e. transposed.",
        "The contract's J[n, i, j] = ∂h_t[i]/∂h_prev[j]: numerator layout."),
    ('rnn.rnn_step_jacobian', "forgot diag(f')", jacobian_without_fprime,
        'The Jacobian misses diag(f′) = diag(1 − h²).',
        'h_t = tanh(z): the chain rule includes tanh′(z).'),
]


# ---------------------------------------------------------------- adversarial review


def _bptt2(x, labels, h0, W1, W2, b2, U, b1, prev_is_h_t=False, fprime_of_prev=False, mean_over_T=False,
           carry_after_fprime=False, last_loss_only=False):
    T, N, _ = x.shape
    h, p = R.rnn_forward(x, h0, W1, W2, b2, U, b1)
    args = {"x": x, "h0": h0, "W1": W1, "W2": W2, "b2": b2, "U": U, "b1": b1}
    g = {k: np.zeros_like(np.asarray(v, dtype=np.float64)) for k, v in args.items()}
    dnext = np.zeros_like(h0)
    for t in reversed(range(T)):
        dout = p[t].copy()
        dout[np.arange(N), labels[t]] -= 1
        dout /= N * (T if mean_over_T else 1)
        if last_loss_only and t != T - 1:
            dout[:] = 0.0
        g["U"] += dout.T @ h[t]
        g["b1"] += dout.sum(0)
        prev = h[t - 1] if t else h0
        fp = 1 - (prev if fprime_of_prev else h[t]) ** 2
        dz = (dout @ U) * fp + dnext if carry_after_fprime else (dout @ U + dnext) * fp
        g["W1"] += dz.T @ (h[t] if prev_is_h_t else prev)
        g["W2"] += dz.T @ x[t]
        g["b2"] += dz.sum(0)
        g["x"][t] = dz @ W2
        dnext = dz @ W1
    g["h0"] = dnext
    return g


def bptt_dW1_with_h_t(*a):
    return _bptt2(*a, prev_is_h_t=True)  # off by one in time: h_t instead of h_{t-1}


def bptt_fprime_of_h_prev(*a):
    return _bptt2(*a, fprime_of_prev=True)


def bptt_mean_over_time(*a):
    return _bptt2(*a, mean_over_T=True)


def bptt_carry_skips_fprime(*a):
    return _bptt2(*a, carry_after_fprime=True)


def bptt_last_step_loss_only(*a):
    return _bptt2(*a, last_loss_only=True)


def forward_p_from_h_prev(x, h0, W1, W2, b2, U, b1):
    h, _ = R.rnn_forward(x, h0, W1, W2, b2, U, b1)
    hp = np.concatenate([np.asarray(h0)[None], h[:-1]])
    return h, _softmax(hp @ U.T + b1)


def forward_no_recurrence(x, h0, W1, W2, b2, U, b1):
    h = np.tanh(np.asarray(h0)[None] @ W1.T + x @ W2.T + b2)  # every step from h0
    return h, _softmax(h @ U.T + b1)


def jacobian_fprime_of_h_prev(x_t, h_prev, W1, W2, b2):
    return (1 - np.asarray(h_prev) ** 2)[:, :, None] * np.asarray(W1)[None]


def jacobian_fprime_on_columns(x_t, h_prev, W1, W2, b2):
    h = np.tanh(h_prev @ W1.T + x_t @ W2.T + b2)
    return (1 - h ** 2)[:, None, :] * np.asarray(W1)[None]


MISTAKES += [
    ('rnn.rnn_bptt', 'dW1 with h_t instead of h_{t-1}', bptt_dW1_with_h_t,
        'dW1 pairs dz_t with h_t instead of h_{t−1}.',
        'W1 multiplies the PREVIOUS state.'),
    ('rnn.rnn_bptt', "tanh' of h_{t-1} instead of h_t", bptt_fprime_of_h_prev,
        'tanh′ is evaluated at h_{t−1} instead of h_t.',
        "The derivative belongs to the step's own output h_t."),
    ('rnn.rnn_bptt', 'loss averaged over time too', bptt_mean_over_time,
        'The loss is averaged over time as well.',
        'The loss is a sum over t of per-step means over n.'),
    ('rnn.rnn_bptt', "carried gradient skips tanh'", bptt_carry_skips_fprime,
        'The gradient carried to the previous step skips tanh′.',
        'The carried gradient is dz_t W1, after multiplying by tanh′.'),
    ('rnn.rnn_bptt', "only the last step's loss", bptt_last_step_loss_only,
        "Only the last step's loss is back-propagated.",
        "Every step's output has a loss."),
    ('rnn.rnn_forward', 'p_t from h_{t-1}', forward_p_from_h_prev,
        'p_t is computed from h_{t−1} instead of h_t.',
        'The output at step t reads the state just computed.'),
    ('rnn.rnn_forward', 'no recurrence (h0 at every step)', forward_no_recurrence,
        'There is no recurrence: h0 is used at every step instead of the previous state.',
        'h_t depends on h_{t−1}.'),
    ('rnn.rnn_step_jacobian', "tanh' of h_prev", jacobian_fprime_of_h_prev,
        'tanh′ is evaluated at h_prev instead of the new h.',
        "f′ is the derivative at the step's own z."),
    ('rnn.rnn_step_jacobian', "diag(f') on the right (columns)", jacobian_fprime_on_columns,
        'diag(f′) multiplies on the right (the columns) instead of the left.',
        'J = diag(f′)·W1: f′ scales the rows (outputs).'),
]
