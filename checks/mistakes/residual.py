import numpy as np

import reference.residual as R


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def residual_no_identity(x, W, b, dy):
    t = np.tanh(x @ W.T + b)
    dz = dy * (1 - t * t)
    return dz @ W, dz.T @ x, dz.sum(0)  # forgets the shortcut's dy


def residual_dW_transposed(x, W, b, dy):
    dx, dW, db = R.residual_backward(x, W, b, dy)
    return dx, dW.T, db


def residual_no_tanh_derivative(x, W, b, dy):
    return dy + dy @ W, dy.T @ x, dy.sum(0)


def highway_carry_T(x, WH, bH, WT, bT):
    H = np.maximum(x @ WH.T + bH, 0)
    T = _sig(x @ WT.T + bT)
    return H * T + x * T  # carry gate T instead of 1 - T


def highway_tanh(x, WH, bH, WT, bT):
    T = _sig(x @ WT.T + bT)
    return np.tanh(x @ WH.T + bH) * T + x * (1 - T)


def highway_backward_no_gate(x, WH, bH, WT, bT, dy):
    aH = x @ WH.T + bH
    H = np.maximum(aH, 0)
    T = _sig(x @ WT.T + bT)
    daH = np.where(aH > 0, dy * T, 0.0)
    daT = dy * (H - x) * T * (1 - T)
    dx = dy * (1 - T) + daH @ WH  # the gate path daT @ WT is missing
    return dx, daH.T @ x, daH.sum(0), daT.T @ x, daT.sum(0)


def highway_backward_no_carry(x, WH, bH, WT, bT, dy):
    dx, *rest = R.highway_backward(x, WH, bH, WT, bT, dy)
    T = _sig(x @ WT.T + bT)
    return (dx - dy * (1 - T), *rest)


MISTAKES = [
    ('residual.residual_backward', 'without the identity', residual_no_identity,
        'TODO without the identity',
        'TODO'),
    ('residual.residual_backward', 'without the identity (identity-path property)', residual_no_identity,
        '',
        '',
        {'oracle': 'property:identity-path', 'verdict': 'property violated'}),
    ('residual.residual_backward', 'dW transposed', residual_dW_transposed,
        'TODO dW transposed',
        'TODO'),
    ('residual.residual_backward', "without tanh'", residual_no_tanh_derivative,
        "TODO without tanh'",
        'TODO'),
    ('residual.highway', 'carry gate T instead of 1-T', highway_carry_T,
        'TODO carry gate T instead of 1-T',
        'TODO'),
    ('residual.highway', 'carry gate T (convexity property)', highway_carry_T,
        '',
        '',
        {'oracle': 'property:between-H-and-x', 'verdict': 'property violated'}),
    ('residual.highway', 'tanh instead of relu for H', highway_tanh,
        'TODO tanh instead of relu for H',
        'TODO'),
    ('residual.highway_backward', 'without the gate path', highway_backward_no_gate,
        'TODO without the gate path',
        'TODO'),
    ('residual.highway_backward', 'without the carry path', highway_backward_no_carry,
        'TODO without the carry path',
        'TODO'),
]


# ---------------------------------------------------------------- adversarial review


def residual_dx_with_W_transposed(x, W, b, dy):
    t = np.tanh(x @ W.T + b)
    dz = dy * (1 - t * t)
    return dy + dz @ W.T, dz.T @ x, dz.sum(0)


def residual_forward_x_W(x, W, b, dy):
    """The branch taken as tanh(x W + b) (W not transposed)."""
    t = np.tanh(x @ W + b)
    dz = dy * (1 - t * t)
    return dy + dz @ W.T, x.T @ dz, dz.sum(0)


def residual_db_mean(x, W, b, dy):
    dx, dW, db = R.residual_backward(x, W, b, dy)
    return dx, dW, db / np.shape(x)[0]


def highway_backward_gate_H_plus_x(x, WH, bH, WT, bT, dy):
    aH = x @ WH.T + bH
    H = np.maximum(aH, 0)
    T = _sig(x @ WT.T + bT)
    daH = np.where(aH > 0, dy * T, 0.0)
    daT = dy * (H + x) * T * (1 - T)  # d/dT of H·T + x(1−T) is H − x
    dx = dy * (1 - T) + daH @ WH + daT @ WT
    return dx, daH.T @ x, daH.sum(0), daT.T @ x, daT.sum(0)


def highway_backward_relu_mask_missing(x, WH, bH, WT, bT, dy):
    aH = x @ WH.T + bH
    H = np.maximum(aH, 0)
    T = _sig(x @ WT.T + bT)
    daH = dy * T
    daT = dy * (H - x) * T * (1 - T)
    dx = dy * (1 - T) + daH @ WH + daT @ WT
    return dx, daH.T @ x, daH.sum(0), daT.T @ x, daT.sum(0)


def highway_backward_dW_transposed(x, WH, bH, WT, bT, dy):
    dx, dWH, dbH, dWT, dbT = R.highway_backward(x, WH, bH, WT, bT, dy)
    return dx, dWH.T, dbH, dWT.T, dbT


MISTAKES += [
    ('residual.residual_backward', 'dz @ W.T instead of dz @ W', residual_dx_with_W_transposed,
        'TODO dz @ W.T instead of dz @ W',
        'TODO'),
    ('residual.residual_backward', 'branch tanh(x W + b)', residual_forward_x_W,
        'TODO branch tanh(x W + b)',
        'TODO'),
    ('residual.residual_backward', 'db averaged over N', residual_db_mean,
        'TODO db averaged over N',
        'TODO'),
    ('residual.highway_backward', 'gate gradient with H + x', highway_backward_gate_H_plus_x,
        'TODO gate gradient with H + x',
        'TODO'),
    ('residual.highway_backward', 'relu mask missing', highway_backward_relu_mask_missing,
        'TODO relu mask missing',
        'TODO'),
    ('residual.highway_backward', 'dWH, dWT transposed', highway_backward_dW_transposed,
        'TODO dWH, dWT transposed',
        'TODO'),
]
