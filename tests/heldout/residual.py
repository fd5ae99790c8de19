import numpy as np

from tests.heldout import Heldout


def residual_backward_branch_only(x, W, b, dy):
    z = x @ W.T + b
    dz = dy / np.cosh(z) ** 2
    return dz @ W, dz.T @ x, dz.sum(axis=0)                    # the shortcut's dy is missing from dx


def highway_tanh_gate(x, WH, bH, WT, bT):
    Hx = np.maximum(x @ WH.T + bH, 0.0)
    T = np.tanh(x @ WT.T + bT)                                 # gate through tanh, not the sigmoid
    return Hx * T + x * (1 - T)


def residual_backward_dW_T(x, W, b, dy):
    z = x @ W.T + b
    dz = dy * (1 - np.tanh(z) ** 2)
    return dy + dz @ W, x.T @ dz, dz.sum(axis=0)               # dW as xᵀ dz


HELDOUT = [
    Heldout("residual.residual_backward", "no dy + in dx", residual_backward_branch_only,
            "residual.residual_backward:residual_no_identity"),
    Heldout("residual.highway", "tanh gate", highway_tanh_gate, "unknown"),
    Heldout("residual.residual_backward", "dW = xᵀ dz", residual_backward_dW_T, "residual.residual_backward:residual_dW_transposed"),
]
