"""Wrong implementations of lstm.* that the checks must catch."""

import numpy as np

import reference.lstm as R


def _sig(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def _gates(x, h, W, b, order="ifgo", x_first=False):
    H = h.shape[1]
    z = np.concatenate([x, h] if x_first else [h, x], axis=1)
    a = z @ W.T + b
    blocks = dict(zip(order, (a[:, k * H:(k + 1) * H] for k in range(4))))
    return _sig(blocks["i"]), _sig(blocks["f"]), np.tanh(blocks["g"]), _sig(blocks["o"])


def cell_if_swapped(x, h_prev, c_prev, W, b):
    i, f, g, o = _gates(x, h_prev, W, b, order="figo")
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def cell_x_first(x, h_prev, c_prev, W, b):
    i, f, g, o = _gates(x, h_prev, W, b, x_first=True)  # the contract's W multiplies [h_prev, x]
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def _backward(x, h_prev, c_prev, W, b, dh, dc, through_h=True, order="ifgo"):
    H = h_prev.shape[1]
    i, f, g, o = _gates(x, h_prev, W, b, order=order)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dct = dc + (dh * o * (1 - tc ** 2) if through_h else 0.0)
    da = {"i": dct * g * i * (1 - i), "f": dct * c_prev * f * (1 - f), "g": dct * i * (1 - g ** 2),
          "o": dh * tc * o * (1 - o)}
    da = np.concatenate([da[k] for k in order], axis=1)
    dW = da.T @ np.concatenate([h_prev, x], axis=1)
    dhx = da @ W
    return dhx[:, H:], dhx[:, :H], dct * f, dW, da.sum(0)


def backward_no_dh_into_c(x, h_prev, c_prev, W, b, dh, dc):
    return _backward(x, h_prev, c_prev, W, b, dh, dc, through_h=False)


def backward_if_swapped(x, h_prev, c_prev, W, b, dh, dc):
    return _backward(x, h_prev, c_prev, W, b, dh, dc, order="figo")


def state_jacobian_diag_f(x, c_prev, o_prev, W, b):
    h_prev = o_prev * np.tanh(c_prev)
    _, f, _, _ = _gates(x, h_prev, W, b)
    return np.stack([np.diag(r) for r in f])


def state_jacobian_no_o_prev(x, c_prev, o_prev, W, b):
    H = c_prev.shape[1]
    i, f, g, _ = _gates(x, o_prev * np.tanh(c_prev), W, b)
    Wi, Wf, Wg = W[:H, :H], W[H:2 * H, :H], W[2 * H:3 * H, :H]
    dc_dh = ((c_prev * f * (1 - f))[:, :, None] * Wf + (g * i * (1 - i))[:, :, None] * Wi
             + (i * (1 - g ** 2))[:, :, None] * Wg)
    J = dc_dh * (1 - np.tanh(c_prev) ** 2)[:, None, :]  # ∂h/∂C taken as tanh'(C): o_prev forgotten
    return J + np.stack([np.diag(r) for r in f])


def state_jacobian_transposed(x, c_prev, o_prev, W, b):
    return np.ascontiguousarray(np.transpose(R.lstm_cell_state_jacobian(x, c_prev, o_prev, W, b), (0, 2, 1)))


def _bptt(x, h0, c0, W, b, dh, carry_c=True, carry_h=True, through_h=True):
    T = x.shape[0]
    hs, cs = [h0], [c0]
    for t in range(T):
        h, c = R.lstm_cell(x[t], hs[-1], cs[-1], W, b)
        hs.append(h)
        cs.append(c)
    dx, dW, db = np.zeros_like(x), np.zeros_like(W), np.zeros_like(b)
    dhn, dcn = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(T)):
        dx[t], dhp, dcp, dWt, dbt = _backward(x[t], hs[t], cs[t], W, b, dh[t] + (dhn if carry_h else 0.0),
                                              dcn if carry_c else np.zeros_like(c0), through_h=through_h)
        dhn, dcn = dhp, dcp
        dW += dWt
        db += dbt
    return {"x": dx, "h0": dhn, "c0": dcn, "W": dW, "b": db}


def bptt_dc_not_carried(*a):
    return _bptt(*a, carry_c=False)


def bptt_dh_not_into_dc(*a):
    return _bptt(*a, through_h=False)


def bptt_truncated(*a):
    return _bptt(*a, carry_h=False, carry_c=False)


MISTAKES = [
    ('lstm.lstm_cell', 'gates i and f swapped', cell_if_swapped,
        'The input gate i and the forget gate f are swapped (blocks 1 and 2 of W read the wrong way).',
        "W's row blocks are in the order i, f, g, o."),
    ('lstm.lstm_cell', 'W applied to [x, h] instead of [h, x]', cell_x_first,
        'W is applied to [x, h] instead of [h, x].',
        "The contract's columns of W multiply h_prev first, then x."),
    ('lstm.lstm_cell_backward', "dh's path through c ignored", backward_no_dh_into_c,
        "The gradient reaching c ignores dh's path through h = o·tanh(c).",
        'c is used by h too: the total gradient on c is dc + dh·o·(1 − tanh²c).'),
    ('lstm.lstm_cell_backward', 'gates i and f swapped', backward_if_swapped,
        'The backward swaps the input and forget gates (blocks 1 and 2).',
        "W's row blocks are in the order i, f, g, o."),
    ('lstm.lstm_cell_state_jacobian', 'diag(f) only', state_jacobian_diag_f,
        'The Jacobian is only diag(f): the terms through the gates are missing.',
        'h_prev depends on c_prev, and every gate depends on h_prev.'),
    ('lstm.lstm_cell_state_jacobian', 'transposed layout', state_jacobian_transposed,
        'The Jacobian is transposed: J[n, j, i] instead of J[n, i, j] = ∂c_t[i]/∂c_prev[j].',
        'Numerator layout: rows are the outputs c_t, columns the inputs c_prev.'),
    ('lstm.lstm_cell_state_jacobian', 'o_prev left out of dh_prev/dc_prev', state_jacobian_no_o_prev,
        'o_prev is left out of ∂h_prev/∂c_prev.',
        'h_prev = o_prev ⊙ tanh(c_prev).'),
    ('lstm.lstm_bptt', 'dc not carried across time', bptt_dc_not_carried,
        'The cell-state gradient is not carried from one step to the previous one.',
        'dc_prev of step t is the dc of step t−1.'),
    ('lstm.lstm_bptt', 'dh not passed into dc', bptt_dh_not_into_dc,
        "dh is not passed into the cell state's gradient at each step.",
        "Each step's c feeds its h: dh flows into dc."),
    ('lstm.lstm_bptt', 'BPTT truncated to one step', bptt_truncated,
        'Backpropagation through time is truncated to one step.',
        'Carry the gradients on h and c back through every step.'),
]


# ---------------------------------------------------------------- adversarial review


def cell_gate_order_ifog(x, h_prev, c_prev, W, b):
    """Blocks read as i, f, o, g (another common layout), not the contract's i, f, g, o."""
    i, f, g, o = _gates(x, h_prev, W, b, order="ifog")
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def cell_h_from_c_prev(x, h_prev, c_prev, W, b):
    i, f, g, o = _gates(x, h_prev, W, b)
    c = f * c_prev + i * g
    return o * np.tanh(c_prev), c


def backward_dc_prev_from_dc_only(x, h_prev, c_prev, W, b, dh, dc):
    dx, dhp, _, dW, db = R.lstm_cell_backward(x, h_prev, c_prev, W, b, dh, dc)
    _, f, _, _ = _gates(x, h_prev, W, b)
    return dx, dhp, dc * f, dW, db


def backward_dW_columns_x_first(x, h_prev, c_prev, W, b, dh, dc):
    dx, dhp, dcp, dW, db = R.lstm_cell_backward(x, h_prev, c_prev, W, b, dh, dc)
    H = np.shape(h_prev)[1]
    return dx, dhp, dcp, np.concatenate([dW[:, H:], dW[:, :H]], axis=1), db


def state_jacobian_without_input_gate_term(x, c_prev, o_prev, W, b):
    H = c_prev.shape[1]
    tp = np.tanh(c_prev)
    i, f, g, _ = _gates(x, o_prev * tp, W, b)
    Wf, Wg = W[H:2 * H, :H], W[2 * H:3 * H, :H]
    J = ((c_prev * f * (1 - f))[:, :, None] * Wf + (i * (1 - g * g))[:, :, None] * Wg) * (o_prev * (1 - tp ** 2))[:, None, :]
    return J + np.stack([np.diag(r) for r in f])


def state_jacobian_dh_dc_on_rows(x, c_prev, o_prev, W, b):
    """o_prev·tanh'(c_prev) scales the rows (i) instead of the columns (j)."""
    H = c_prev.shape[1]
    tp = np.tanh(c_prev)
    i, f, g, _ = _gates(x, o_prev * tp, W, b)
    Wi, Wf, Wg = W[:H, :H], W[H:2 * H, :H], W[2 * H:3 * H, :H]
    d = ((c_prev * f * (1 - f))[:, :, None] * Wf + (g * i * (1 - i))[:, :, None] * Wi
         + (i * (1 - g * g))[:, :, None] * Wg)
    return d * (o_prev * (1 - tp ** 2))[:, :, None] + np.stack([np.diag(r) for r in f])


def bptt_h_not_carried(*a):
    return _bptt(*a, carry_h=False)


def bptt_c0_left_zero(x, h0, c0, W, b, dh):
    g = R.lstm_bptt(x, h0, c0, W, b, dh)
    g["c0"] = np.zeros_like(g["c0"])
    return g


MISTAKES += [
    ('lstm.lstm_cell', 'gate blocks read as i, f, o, g', cell_gate_order_ifog,
        'The gate blocks of W are read in the order i, f, o, g instead of i, f, g, o.',
        'Check the order of the four row blocks of W in the contract.'),
    ('lstm.lstm_cell', 'h from tanh(c_prev)', cell_h_from_c_prev,
        'h is computed from tanh(c_prev) instead of tanh(c).',
        'h_t = o_t ⊙ tanh(c_t): the new cell state.'),
    ('lstm.lstm_cell_backward', "dc_prev = dc·f (misses dh's path through c)", backward_dc_prev_from_dc_only,
        "dc_prev = dc·f misses dh's path through c.",
        'The total gradient on c includes dh·o·(1 − tanh²c).'),
    ('lstm.lstm_cell_backward', 'dW columns in [x, h] order', backward_dW_columns_x_first,
        "dW's columns are in [x, h] order instead of [h, x].",
        'dW must have the layout of W: h_prev columns first.'),
    ('lstm.lstm_cell_state_jacobian', 'input-gate term missing', state_jacobian_without_input_gate_term,
        'The term through the input gate i is missing from the Jacobian.',
        'c = f⊙c_prev + i⊙g: i depends on c_prev (through h_prev) too.'),
    ('lstm.lstm_cell_state_jacobian', '∂h_prev/∂c_prev on the rows', state_jacobian_dh_dc_on_rows,
        '∂h_prev/∂c_prev is applied on the rows instead of the columns.',
        'The chain rule multiplies ∂c/∂h_prev on the right by ∂h_prev/∂c_prev.'),
    ('lstm.lstm_bptt', 'dh not carried across time (dc is)', bptt_h_not_carried,
        "The hidden state's gradient is not carried across time (the cell's is).",
        'dh_prev of step t adds to the upstream dh of step t−1.'),
    ('lstm.lstm_bptt', 'c0 gradient left at zero', bptt_c0_left_zero,
        'The gradient with respect to c0 is left at zero.',
        'Return what reaches c0 after the first step.'),
]
