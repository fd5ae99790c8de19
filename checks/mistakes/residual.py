"""Known mistakes of the residual formulas: wrong implementations, each with a description and a hint."""

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
        'dx misses the identity (shortcut) path: dy is not added.',
        'y = x + F(x): the shortcut passes dy straight to dx.'),
    ('residual.residual_backward', 'without the identity (identity-path property)', residual_no_identity,
        '',
        '',
        {'oracle': 'property:identity-path', 'verdict': 'property violated'}),
    ('residual.residual_backward', 'dW transposed', residual_dW_transposed,
        'dW is transposed.',
        "dW must have W's shape (out, in): pair dzᵀ with x."),
    ('residual.residual_backward', "without tanh'", residual_no_tanh_derivative,
        "The branch's gradient misses tanh′ = 1 − tanh².",
        'The branch is tanh(xWᵀ + b): differentiate the tanh too.'),
    ('residual.highway', 'carry gate T instead of 1-T', highway_carry_T,
        'The carry gate is T instead of 1 − T.',
        'y = H⊙T + x⊙(1 − T): the carry weight complements the transform gate.'),
    ('residual.highway', 'carry gate T (convexity property)', highway_carry_T,
        '',
        '',
        {'oracle': 'property:between-H-and-x', 'verdict': 'property violated'}),
    ('residual.highway', 'tanh instead of relu for H', highway_tanh,
        'H uses tanh instead of relu.',
        "Check which non-linearity the contract's H uses."),
    ('residual.highway_backward', 'without the gate path', highway_backward_no_gate,
        'The gate path through T is missing from the backward.',
        'T depends on x too: its gradient dy⊙(H − x)⊙T(1 − T) contributes.'),
    ('residual.highway_backward', 'without the carry path', highway_backward_no_carry,
        'The carry path dy⊙(1 − T) is missing from dx.',
        'x also reaches y directly, weighted by 1 − T.'),
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
        'dx uses dz·Wᵀ instead of dz·W.',
        'The forward is xWᵀ: write the shapes to see how dz maps back to x.'),
    ('residual.residual_backward', 'branch tanh(x W + b)', residual_forward_x_W,
        'The branch is taken as tanh(xW + b) instead of tanh(xWᵀ + b).',
        "Check the contract's forward: rows are samples and W is (out, in)."),
    ('residual.residual_backward', 'db averaged over N', residual_db_mean,
        'db is averaged over N instead of summed.',
        'b is added to every sample: sum their gradients.'),
    ('residual.highway_backward', 'gate gradient with H + x', highway_backward_gate_H_plus_x,
        'The gate gradient uses H + x instead of H − x.',
        '∂y/∂T = H − x.'),
    ('residual.highway_backward', 'relu mask missing', highway_backward_relu_mask_missing,
        "The relu mask is missing from H's gradient.",
        'H = relu(a_H): no gradient where a_H <= 0.'),
    ('residual.highway_backward', 'dWH, dWT transposed', highway_backward_dW_transposed,
        'dWH and dWT are transposed.',
        "Each weight gradient has its weight's shape (out, in)."),
]
