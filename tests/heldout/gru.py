import numpy as np

import reference as R
from tests.heldout import Heldout


def _s(a):
    return np.exp(-np.logaddexp(0.0, -a))


def cell_old_state_weighted_u(x, h_prev, p):
    u = _s(h_prev @ p["Wu"].T + x @ p["Uu"].T + p["bu"])
    r = _s(h_prev @ p["Wr"].T + x @ p["Ur"].T + p["br"])
    cand = np.tanh((r * h_prev) @ p["Wh"].T + x @ p["Uh"].T + p["bh"])
    return u * h_prev + (1.0 - u) * cand                       # u weights the old state


def backward_dp_gates_swapped(x, h_prev, p, dh):
    dx, dh_prev, dp = R.gru_cell_backward(x, h_prev, p, dh)
    dp = dict(dp)
    dp["Wu"], dp["Wr"] = dp["Wr"], dp["Wu"]                     # update/reset gradients filed under each other's key
    dp["Uu"], dp["Ur"] = dp["Ur"], dp["Uu"]
    dp["bu"], dp["br"] = dp["br"], dp["bu"]
    return dx, dh_prev, dp


def cell_no_reset(x, h_prev, p):
    u = _s(h_prev @ p["Wu"].T + x @ p["Uu"].T + p["bu"])
    cand = np.tanh(h_prev @ p["Wh"].T + x @ p["Uh"].T + p["bh"])  # reset gate never applied
    return (1.0 - u) * h_prev + u * cand


HELDOUT = [
    Heldout("gru.gru_cell", "u weights the old state", cell_old_state_weighted_u, "gru.gru_cell:cell_u_swapped"),
    Heldout("gru.gru_cell_backward", "update and reset gradients swapped", backward_dp_gates_swapped,
            "generic:outputs-permuted"),
    Heldout("gru.gru_cell", "reset gate never applied", cell_no_reset, "unknown"),
]
