"""Known mistakes of the attention formulas: wrong implementations, each with a description and a hint."""

import numpy as np

import reference as R


def _softmax(S, axis):
    E = np.exp(S - S.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def _scores(Q, K, mask, scale=True):
    S = np.matmul(Q, np.swapaxes(K, -1, -2))
    if scale:
        S = S / np.sqrt(np.shape(Q)[-1])
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    return S


def attention_unscaled(Q, K, V, mask=None):
    return _softmax(_scores(Q, K, mask, scale=False), -1) @ V  # forgot 1/sqrt(d)


def attention_softmax_over_queries(Q, K, V, mask=None):
    S = _scores(Q, K, None)
    if mask is not None:
        S = np.where(mask, S, -1e30)  # (a -inf column would give nan over the query axis)
    return _softmax(S, -2) @ V


def attention_mask_inverted(Q, K, V, mask=None):
    if mask is not None and (~np.asarray(mask)).any(axis=-1).all():
        mask = ~np.asarray(mask)  # torch.nn.MultiheadAttention's convention: True = blocked
    return _softmax(_scores(Q, K, mask), -1) @ V


def attention_mask_ignored(Q, K, V, mask=None):
    return _softmax(_scores(Q, K, None), -1) @ V


def attention_scaled_by_d(Q, K, V, mask=None):
    S = np.matmul(Q, np.swapaxes(K, -1, -2)) / np.shape(Q)[-1]  # 1/d instead of 1/sqrt(d)
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    return _softmax(S, -1) @ V


def backward_no_jacobian_term(Q, K, V, dy):
    d = np.shape(Q)[-1]
    P = _softmax(_scores(Q, K, None), -1)
    dP = dy @ np.swapaxes(V, -1, -2)
    dS = P * dP  # forgot "- rowsum(dP * P)": only the diagonal of the softmax Jacobian
    return dS @ K / np.sqrt(d), np.swapaxes(dS, -1, -2) @ Q / np.sqrt(d), np.swapaxes(P, -1, -2) @ dy


def backward_dK_unscaled(Q, K, V, dy):
    dQ, dK, dV = R.attention_backward(Q, K, V, dy)
    return dQ, dK * np.sqrt(np.shape(Q)[-1]), dV


def backward_dK_from_dS_not_transposed(Q, K, V, dy):
    d = np.shape(Q)[-1]
    P = _softmax(_scores(Q, K, None), -1)
    dP = dy @ np.swapaxes(V, -1, -2)
    dS = P * (dP - (dP * P).sum(-1, keepdims=True))
    dSt = np.swapaxes(dS, -1, -2)
    dK = dSt @ Q / np.sqrt(d) if dS.shape[-1] != dS.shape[-2] else dS @ Q / np.sqrt(d)  # transposes only when it must
    return dS @ K / np.sqrt(d), dK, np.swapaxes(P, -1, -2) @ dy


def pe_sin_cos_swapped(n, d):
    pe = R.positional_encoding(n, d)
    return pe[:, np.arange(d) ^ 1]  # cos in even columns, sin in odd ones


def pe_column_index_exponent(n, d):
    j = np.arange(d, dtype=np.float64)
    ang = np.arange(n)[:, None] / 10000.0 ** (j / d)[None, :]  # 10000^(j/d) with the column j, not 2i
    return np.where(np.arange(d) % 2 == 0, np.sin(ang), np.cos(ang))


def pe_exponent_i_over_d(n, d):
    i = np.repeat(np.arange(d // 2, dtype=np.float64), 2)
    ang = np.arange(n)[:, None] / 10000.0 ** (i / d)[None, :]  # 10000^(i/d): the factor 2 lost
    return np.where(np.arange(d) % 2 == 0, np.sin(ang), np.cos(ang))


MISTAKES = [
    ('attention.attention', 'no 1/sqrt(d) scale', attention_unscaled,
        'The scores QKᵀ are not divided by √d before the softmax.',
        "Scaled dot-product attention: look at what keeps the scores' variance independent of d."),
    ('attention.attention', '1/d instead of 1/sqrt(d)', attention_scaled_by_d,
        'The scores are divided by d instead of √d.',
        'Check the power of d in the scale.'),
    ('attention.attention', 'softmax over the query axis', attention_softmax_over_queries,
        'The softmax normalises over the query axis instead of the key axis.',
        "Each query's weights over the keys must sum to 1: which axis is that?"),
    ('attention.attention', 'mask read as True = blocked', attention_mask_inverted,
        'The mask is read the wrong way round: True entries are blocked instead of allowed.',
        "In the contract True means 'may attend'."),
    ('attention.attention', 'mask ignored', attention_mask_ignored,
        'The mask argument is never applied.',
        'Blocked positions must get weight 0 after the softmax.'),
    ('attention.attention_backward', 'softmax Jacobian without its -p p^T term', backward_no_jacobian_term,
        'The softmax backward uses dS = P ⊙ dP, missing the −P·(Σ dP⊙P) term of the Jacobian.',
        'The softmax Jacobian is diag(p) − ppᵀ: both parts contribute.'),
    ('attention.attention_backward', 'dK without the 1/sqrt(d) factor', backward_dK_unscaled,
        'dK misses the 1/√d factor of the scores.',
        'The scale multiplies QKᵀ, so both dQ and dK carry it.'),
    ('attention.attention_backward', 'dK from dS instead of dS^T when n == m', backward_dK_from_dS_not_transposed,
        'dK is computed from dS instead of dSᵀ (only visible when n == m).',
        "S = QKᵀ: write the shapes of dS and K's gradient and see which transpose is needed."),
    ('attention.positional_encoding', 'sin and cos swapped', pe_sin_cos_swapped,
        'cos is put on the even columns and sin on the odd ones (swapped).',
        'The contract has sin at column 2i and cos at column 2i+1.'),
    ('attention.positional_encoding', 'exponent uses the column index j instead of 2i', pe_column_index_exponent,
        "The frequency exponent uses the column index j instead of 2i (the pair's even index).",
        'Both columns of a (sin, cos) pair share one frequency.'),
    ('attention.positional_encoding', 'exponent i/d instead of 2i/d', pe_exponent_i_over_d,
        'The frequency exponent is i/d instead of 2i/d.',
        'Check the exponent of 10000 against the formula ω_i = 10000^(−2i/d).'),
]


# ---------------------------------------------------------------- added by the adversarial review


def attention_mask_after_softmax(Q, K, V, mask=None):
    P = _softmax(_scores(Q, K, None), -1)
    if mask is not None:
        P = P * np.asarray(mask)  # blocked weights zeroed after the softmax, never renormalised
    return P @ V


def attention_mask_zero_fill(Q, K, V, mask=None):
    S = _scores(Q, K, None)
    if mask is not None:
        S = S * np.asarray(mask)  # blocked scores set to 0, not -inf
    return _softmax(S, -1) @ V


def attention_mask_transposed(Q, K, V, mask=None):
    if mask is not None and np.shape(mask)[0] == np.shape(mask)[1]:
        mask = np.asarray(mask).T  # read as [key, query] (shapes only agree when n == m)
    with np.errstate(invalid="ignore"):
        return _softmax(_scores(Q, K, mask), -1) @ V


def attention_scaled_by_sqrt_dv(Q, K, V, mask=None):
    S = np.matmul(Q, np.swapaxes(K, -1, -2)) / np.sqrt(np.shape(V)[-1])  # √dv instead of √d
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    return _softmax(S, -1) @ V


def backward_jacobian_sum_over_queries(Q, K, V, dy):
    d = np.shape(Q)[-1]
    P = _softmax(_scores(Q, K, None), -1)
    dP = dy @ np.swapaxes(V, -1, -2)
    dS = P * (dP - (dP * P).sum(-2, keepdims=True))  # the softmax's row sum taken over the query axis
    return dS @ K / np.sqrt(d), np.swapaxes(dS, -1, -2) @ Q / np.sqrt(d), np.swapaxes(P, -1, -2) @ dy


def backward_dV_not_transposed(Q, K, V, dy):
    dQ, dK, dV = R.attention_backward(Q, K, V, dy)
    P = _softmax(_scores(Q, K, None), -1)
    return dQ, dK, (P @ dy if P.shape[-1] == P.shape[-2] else dV)  # P dy instead of Pᵀ dy when n == m


def pe_concatenated_halves(n, d):
    i = np.arange(d // 2, dtype=np.float64)
    ang = np.arange(n)[:, None] / 10000.0 ** (2 * i / d)[None, :]
    return np.concatenate([np.sin(ang), np.cos(ang)], axis=1)  # [sin ... | cos ...], not interleaved


def pe_one_based_positions(n, d):
    return R.positional_encoding(n + 1, d)[1:]


def pe_base_1000(n, d):
    i = np.repeat(np.arange(d // 2, dtype=np.float64), 2)
    ang = np.arange(n)[:, None] / 1000.0 ** (2 * i / d)[None, :]
    return np.where(np.arange(d) % 2 == 0, np.sin(ang), np.cos(ang))


MISTAKES += [
    ('attention.attention', 'mask applied after the softmax (no renormalisation)', attention_mask_after_softmax,
        'The mask is applied after the softmax, so the remaining weights no longer sum to 1.',
        'Mask the scores before normalising, not the weights after.'),
    ('attention.attention', 'blocked scores set to 0', attention_mask_zero_fill,
        'Blocked scores are set to 0 instead of −∞, so blocked keys still get weight.',
        'exp(0) = 1: what score gives a weight of exactly 0?'),
    ('attention.attention', 'mask transposed (n == m)', attention_mask_transposed,
        'The mask is used transposed (mask[j, i] instead of mask[i, j]).',
        'The mask is indexed (query, key).'),
    ('attention.attention', 'scaled by sqrt(dv)', attention_scaled_by_sqrt_dv,
        'The scores are scaled by √dv (the value dimension) instead of √d.',
        'The scale comes from the dimension of the dot product QKᵀ.'),
    ('attention.attention_backward', "softmax Jacobian's sum over the query axis", backward_jacobian_sum_over_queries,
        "The softmax Jacobian's sum Σ dP⊙P runs over the query axis instead of the key axis.",
        'The softmax was taken over keys; its backward sums over the same axis.'),
    ('attention.attention_backward', 'dV = P dy (not transposed) when n == m', backward_dV_not_transposed,
        'dV is computed as P·dy instead of Pᵀ·dy (visible when n == m).',
        'y = P V: write the shapes to see which transpose of P multiplies dy.'),
    ('attention.positional_encoding', 'sin and cos halves concatenated', pe_concatenated_halves,
        'All sines are put in the first half of the columns and all cosines in the second half, instead of interleaving them.',
        'The contract interleaves: sin at even columns, cos at odd columns.'),
    ('attention.positional_encoding', '1-based positions', pe_one_based_positions,
        'Positions start at 1 instead of 0.',
        'The first row of the encoding is position 0.'),
    ('attention.positional_encoding', 'base 1000', pe_base_1000,
        'The frequency base is 1000 instead of 10000.',
        'Check the base of the frequencies.'),
]
