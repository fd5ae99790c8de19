"""Wrong implementations of gru.* that the checks must catch."""

import numpy as np

import reference.gru as R


def _sig(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def _fwd(x, h, p, reset_after=False):
    u = _sig(h @ p["Wu"].T + x @ p["Uu"].T + p["bu"])
    r = _sig(h @ p["Wr"].T + x @ p["Ur"].T + p["br"])
    if reset_after:  # torch.nn.GRUCell's placement: r ⊙ (W_h h)
        ht = np.tanh(r * (h @ p["Wh"].T) + x @ p["Uh"].T + p["bh"])
    else:
        ht = np.tanh((r * h) @ p["Wh"].T + x @ p["Uh"].T + p["bh"])
    return u, r, ht


def cell_u_swapped(x, h_prev, p):
    u, _, ht = _fwd(x, h_prev, p)
    return u * h_prev + (1 - u) * ht


def cell_reset_after(x, h_prev, p):
    u, _, ht = _fwd(x, h_prev, p, reset_after=True)
    return (1 - u) * h_prev + u * ht


def _backward(x, h, p, dh, swap_u=False, reset_after=False, r_path=True, dWh_uses_h=False):
    u, r, ht = _fwd(x, h, p, reset_after)
    w_new = (1 - u) if swap_u else u  # weight of h̃
    dau = dh * (ht - h) * u * (1 - u) * (-1 if swap_u else 1)
    dah = dh * w_new * (1 - ht ** 2)
    dh_prev = dh * (1 - w_new) + dau @ p["Wu"]
    if reset_after:
        whh = h @ p["Wh"].T
        dar = dah * whh * r * (1 - r)
        dh_prev = dh_prev + (dah * r) @ p["Wh"]
        dWh = (dah * r).T @ h
    else:
        drh = dah @ p["Wh"]
        dar = drh * h * r * (1 - r)
        if r_path:
            dh_prev = dh_prev + drh * r
        dWh = dah.T @ (h if dWh_uses_h else r * h)
    dh_prev = dh_prev + dar @ p["Wr"]
    dx = dau @ p["Uu"] + dar @ p["Ur"] + dah @ p["Uh"]
    dp = {"Wu": dau.T @ h, "Wr": dar.T @ h, "Wh": dWh, "Uu": dau.T @ x, "Ur": dar.T @ x, "Uh": dah.T @ x,
          "bu": dau.sum(0), "br": dar.sum(0), "bh": dah.sum(0)}
    return dx, dh_prev, dp


def backward_u_swapped(x, h_prev, p, dh):
    return _backward(x, h_prev, p, dh, swap_u=True)


def backward_reset_after(x, h_prev, p, dh):
    return _backward(x, h_prev, p, dh, reset_after=True)


def backward_no_reset_path(x, h_prev, p, dh):
    return _backward(x, h_prev, p, dh, r_path=False)


def backward_dWh_with_h(x, h_prev, p, dh):
    return _backward(x, h_prev, p, dh, dWh_uses_h=True)


def backward_dp_missing_key(x, h_prev, p, dh):
    dx, dhp, dp = R.gru_cell_backward(x, h_prev, p, dh)
    del dp["bh"]
    return dx, dhp, dp


MISTAKES = [
    ('gru.gru_cell', 'u and 1-u swapped', cell_u_swapped,
        'u and 1 − u are swapped: u weights the old state instead of the candidate.',
        "In the notes' convention the new state's weight is u, the old state's is 1 − u."),
    ('gru.gru_cell', "reset after the matmul (torch's placement)", cell_reset_after,
        "The reset gate multiplies after the matmul (torch's placement) instead of before.",
        'The contract resets h before W_h: W_h(r ⊙ h).',
        {'oracle': 'torch'}),
    ('gru.gru_cell_backward', 'u and 1-u swapped', backward_u_swapped,
        'The backward uses u and 1 − u the wrong way round.',
        'h_new = (1 − u)⊙h + u⊙h̃: differentiate each term with its own weight.'),
    ('gru.gru_cell_backward', 'reset after the matmul', backward_reset_after,
        "The backward assumes the reset is applied after the matmul (torch's GRU).",
        "The contract's candidate is tanh(W_h(r ⊙ h) + ...).",
        {'oracle': 'torch'}),
    ('gru.gru_cell_backward', 'dh_prev misses the path through r⊙h', backward_no_reset_path,
        'dh_prev misses the path through r ⊙ h inside the candidate.',
        'h_prev enters the candidate through r ⊙ h: that path contributes to dh_prev.'),
    ('gru.gru_cell_backward', 'dWh = dah^T h instead of dah^T (r⊙h)', backward_dWh_with_h,
        'dW_h uses h instead of r ⊙ h.',
        'W_h multiplies r ⊙ h, so its gradient pairs da_h with r ⊙ h.'),
    ('gru.gru_cell_backward', "dp without the key 'bh'", backward_dp_missing_key,
        "The parameter gradients dp lack the key 'bh'.",
        'dp must have every key of p.',
        {'verdict': 'wrong shape or type'}),
]


# ---------------------------------------------------------------- adversarial review


def _backward2(x, h, p, dh, direct=True, dau_sign=1.0, dar_times_h=True):
    u, r, ht = _fwd(x, h, p)
    dau = dau_sign * dh * (ht - h) * u * (1 - u)
    dah = dh * u * (1 - ht ** 2)
    drh = dah @ p["Wh"]
    dar = drh * (h if dar_times_h else 1.0) * r * (1 - r)
    dh_prev = (dh * (1 - u) if direct else 0.0) + drh * r + dau @ p["Wu"] + dar @ p["Wr"]
    dx = dau @ p["Uu"] + dar @ p["Ur"] + dah @ p["Uh"]
    dp = {"Wu": dau.T @ h, "Wr": dar.T @ h, "Wh": dah.T @ (r * h), "Uu": dau.T @ x, "Ur": dar.T @ x,
          "Uh": dah.T @ x, "bu": dau.sum(0), "br": dar.sum(0), "bh": dah.sum(0)}
    return dx, dh_prev, dp


def backward_no_direct_path(x, h_prev, p, dh):
    return _backward2(x, h_prev, p, dh, direct=False)  # forgets dh·(1−u)


def backward_dau_sign(x, h_prev, p, dh):
    return _backward2(x, h_prev, p, dh, dau_sign=-1.0)  # (h − h̃) instead of (h̃ − h)


def backward_dar_without_h(x, h_prev, p, dh):
    return _backward2(x, h_prev, p, dh, dar_times_h=False)


def cell_W_untransposed(x, h_prev, p):
    u = _sig(h_prev @ p["Wu"] + x @ p["Uu"].T + p["bu"])
    r = _sig(h_prev @ p["Wr"] + x @ p["Ur"].T + p["br"])
    ht = np.tanh((r * h_prev) @ p["Wh"] + x @ p["Uh"].T + p["bh"])
    return (1 - u) * h_prev + u * ht


MISTAKES += [
    ('gru.gru_cell_backward', 'dh_prev misses the direct dh·(1−u)', backward_no_direct_path,
        'dh_prev misses the direct term dh·(1 − u).',
        'h_prev also reaches h_new directly, weighted by 1 − u.'),
    ('gru.gru_cell_backward', 'update-gate gradient sign flipped', backward_dau_sign,
        "The update gate's gradient has the wrong sign.",
        '∂h_new/∂u = h̃ − h: check the order of the difference.'),
    ('gru.gru_cell_backward', 'reset-gate gradient without the factor h', backward_dar_without_h,
        "The reset gate's gradient misses the factor h.",
        'r multiplies h, so ∂(r⊙h)/∂r = h.'),
    ('gru.gru_cell', 'h @ W instead of h @ W.T', cell_W_untransposed,
        'h is multiplied by W instead of Wᵀ (row batches need h @ W.T).',
        'With rows as samples, W h becomes h Wᵀ.'),
]
