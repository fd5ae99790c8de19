import numpy as np

import reference as R
from tests.heldout import Heldout


def _s(a):
    return 1.0 / (1.0 + np.exp(-a))


def cell_gates_ifog(x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    a = np.concatenate([h_prev, x], axis=1) @ W.T + b
    i, f, o, g = (a[:, k * H:(k + 1) * H] for k in range(4))  # read as i, f, o, g
    c = _s(f) * c_prev + _s(i) * np.tanh(g)
    return _s(o) * np.tanh(c), c


def backward_dW_blocks_ifog(x, h_prev, c_prev, W, b, dh, dc):
    dx, dh_prev, dc_prev, dW, db = R.lstm_cell_backward(x, h_prev, c_prev, W, b, dh, dc)
    H = h_prev.shape[1]
    order = [0, 1, 3, 2]                                       # wrote dW, db in the order i, f, o, g
    dW = np.concatenate([dW[k * H:(k + 1) * H] for k in order])
    db = np.concatenate([db[k * H:(k + 1) * H] for k in order])
    return dx, dh_prev, dc_prev, dW, db


def state_jacobian_swapaxes(x, c_prev, o_prev, W, b):
    return np.swapaxes(R.lstm_cell_state_jacobian(x, c_prev, o_prev, W, b), 1, 2).copy()


def bptt_no_cell_carry(x, h0, c0, W, b, dh):
    T = x.shape[0]
    hs, cs = [np.asarray(h0, dtype=np.float64)], [np.asarray(c0, dtype=np.float64)]
    for t in range(T):
        h, c = R.lstm_cell(x[t], hs[-1], cs[-1], W, b)
        hs.append(h)
        cs.append(c)
    g = {"x": np.zeros_like(x, dtype=np.float64), "W": np.zeros_like(W, dtype=np.float64),
         "b": np.zeros_like(b, dtype=np.float64)}
    dh_next = np.zeros_like(hs[0])
    dc_next = np.zeros_like(cs[0])
    for t in range(T - 1, -1, -1):
        dxt, dh_next, dc_prev, dWt, dbt = R.lstm_cell_backward(x[t], hs[t], cs[t], W, b, dh[t] + dh_next,
                                                               np.zeros_like(dc_next))  # dc never passed on
        g["x"][t] = dxt
        g["W"] += dWt
        g["b"] += dbt
        dc_next = dc_prev
    g["h0"], g["c0"] = dh_next, dc_next
    return g


HELDOUT = [
    Heldout("lstm.lstm_cell", "blocks read i, f, o, g", cell_gates_ifog, "lstm.lstm_cell:cell_gate_order_ifog"),
    Heldout("lstm.lstm_cell_backward", "dW, db stacked i, f, o, g", backward_dW_blocks_ifog, "generic:blocks-permuted"),
    Heldout("lstm.lstm_cell_state_jacobian", "axes 1 and 2 swapped", state_jacobian_swapaxes,
            "lstm.lstm_cell_state_jacobian:state_jacobian_transposed"),
    Heldout("lstm.lstm_bptt", "cell gradient not carried back", bptt_no_cell_carry, "lstm.lstm_bptt:bptt_dc_not_carried"),
]
