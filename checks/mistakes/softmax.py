"""Known mistakes of the softmax formulas: wrong implementations, each with a description and a hint."""

import numpy as np

import reference as R


def softmax_no_shift(z):
    with np.errstate(all="ignore"):
        e = np.exp(np.asarray(z, dtype=np.float64))
        return e / e.sum(axis=-1, keepdims=True)


def softmax_wrong_axis(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def jacobian_diag_only(z):
    y = R.softmax(np.asarray(z)[None])[0]
    return np.diag(y * (1 - y))


def jacobian_plus_outer(z):
    y = R.softmax(np.asarray(z)[None])[0]
    return np.diag(y) + np.outer(y, y)


def ce_sum_not_mean(z, labels):
    return R.cross_entropy(z, labels) * np.asarray(z).shape[0]


def ce_naive_log(z, labels):
    with np.errstate(all="ignore"):
        p = softmax_no_shift(z)
        return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))


def ce_backward_no_mean(z, labels):
    return R.cross_entropy_backward(z, labels) * np.asarray(z).shape[0]


def ce_backward_no_onehot(z, labels):
    return R.softmax(z) / np.asarray(z).shape[0]


MISTAKES = [
    ('softmax.softmax', 'no max shift', softmax_no_shift,
        'exp(z) is taken without subtracting the row maximum, which overflows for large z.',
        'softmax(z) = softmax(z − c) for any c: pick c so every exponent is <= 0.',
        {'verdict': 'nan/inf'}),
    ('softmax.softmax', 'normalised over the batch axis', softmax_wrong_axis,
        'The softmax normalises over the batch axis (columns) instead of each row.',
        "Each row's probabilities sum to 1."),
    ('softmax.softmax_jacobian', 'diagonal only', jacobian_diag_only,
        'The Jacobian is only diag(y): the −y yᵀ term is missing.',
        'Changing z_j changes every y_i through the normaliser.'),
    ('softmax.softmax_jacobian', '+ y yT instead of -', jacobian_plus_outer,
        'The Jacobian is diag(y) + y yᵀ instead of diag(y) − y yᵀ.',
        'Check the sign of ∂y_i/∂z_j for i ≠ j.'),
    ('softmax.cross_entropy', 'sum instead of mean', ce_sum_not_mean,
        'The loss is summed over the batch instead of averaged.',
        "The contract's loss is a mean over the N samples."),
    ('softmax.cross_entropy', 'log of an unshifted softmax', ce_naive_log,
        'The loss takes the log of an unshifted softmax, which overflows or gives log(0).',
        'Use log-sum-exp: log Σ e^z − z_y, computed stably.'),
    ('softmax.cross_entropy_backward', 'without /N', ce_backward_no_mean,
        'The gradient misses the 1/N of the mean over the batch.',
        'The loss is a mean over N samples: its gradient carries 1/N.'),
    ('softmax.cross_entropy_backward', 'without the one-hot', ce_backward_no_onehot,
        'The one-hot of the labels is not subtracted.',
        '∂loss/∂z = softmax(z) − onehot(label).'),
]


# ---------------------------------------------------------------- adversarial review


def softmax_global_max_shift(z):
    """Shifts by the max of the WHOLE batch: rows far below it underflow to 0/0."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(all="ignore"):
        e = np.exp(z - z.max())
        return e / e.sum(axis=-1, keepdims=True)


def softmax_mean_shift(z):
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(all="ignore"):
        e = np.exp(z - z.mean(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def softmax_float32(z):
    return R.softmax(np.asarray(z, dtype=np.float32)).astype(np.float64)


def jacobian_unshifted(z):
    with np.errstate(all="ignore"):
        e = np.exp(np.asarray(z, dtype=np.float64))
        y = e / e.sum()
    return np.diag(y) - np.outer(y, y)


def jacobian_without_diag(z):
    y = R.softmax(np.asarray(z)[None])[0]
    return -np.outer(y, y)


def ce_log_of_stable_softmax(z, labels):
    """−log of a (stable) softmax: log(0) = −inf once a probability underflows."""
    p = R.softmax(z)
    with np.errstate(all="ignore"):
        return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))


def ce_log_plus_eps(z, labels):
    """−log(p + 1e-12): finite, but wrong once p < 1e-12."""
    p = R.softmax(z)
    return float(-np.mean(np.log(p[np.arange(len(labels)), labels] + 1e-12)))


def ce_fancy_index_all_labels(z, labels):
    """z[:, labels] picks an (N, N) block: every row against every label."""
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return float(np.mean(lse[:, None] - z[:, labels]))


def ce_clipped_logits(z, labels):
    return R.cross_entropy(np.clip(np.asarray(z, dtype=np.float64), -500, 500), labels)


def ce_backward_divides_by_K(z, labels):
    return R.cross_entropy_backward(z, labels) * np.shape(z)[0] / np.shape(z)[1]


def ce_backward_unshifted(z, labels):
    with np.errstate(all="ignore"):
        p = softmax_no_shift(z)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def ce_backward_fancy_onehot(z, labels):
    """onehot[:, labels] = 1 sets every label's column in every row."""
    p = R.softmax(z)
    oh = np.zeros_like(p)
    oh[:, labels] = 1.0
    return (p - oh) / len(labels)


MISTAKES += [
    ('softmax.softmax', "shift by the batch's max, not the row's", softmax_global_max_shift,
        "The shift subtracts the batch's maximum instead of each row's, which still under- or overflows.",
        'Shift each row by its own maximum.',
        {'verdict': 'nan/inf'}),
    ('softmax.softmax', 'shift by the row mean', softmax_mean_shift,
        'The shift subtracts the row mean instead of the row maximum, which can still overflow.',
        'Only the maximum guarantees every exponent is <= 0.',
        {'verdict': 'nan/inf'}),
    ('softmax.softmax', 'float32 intermediate', softmax_float32,
        'An intermediate is computed in float32.',
        'Check the dtype of every array you create.'),
    ('softmax.softmax_jacobian', 'unshifted softmax inside', jacobian_unshifted,
        'The Jacobian uses an unshifted softmax, which overflows.',
        'Compute y with a stable softmax first.',
        {'verdict': 'nan/inf'}),
    ('softmax.softmax_jacobian', '−y yT without diag(y)', jacobian_without_diag,
        'The Jacobian is −y yᵀ without diag(y).',
        '∂y_i/∂z_i has an extra y_i.'),
    ('softmax.cross_entropy', '−log of a stable softmax', ce_log_of_stable_softmax,
        'The loss is −log of a (stable) softmax, which gives log(0) = −inf when a probability underflows.',
        'Compute log-softmax directly (z − logsumexp), never log of a probability.',
        {'verdict': 'nan/inf'}),
    ('softmax.cross_entropy', '−log(p + 1e-12)', ce_log_plus_eps,
        'An epsilon is added inside the log: −log(p + 1e-12).',
        'Use log-softmax; an epsilon changes the answer.'),
    ('softmax.cross_entropy', 'z[:, labels] (N×N block)', ce_fancy_index_all_labels,
        'z[:, labels] picks an N×N block instead of one entry per row.',
        'Index rows and labels together: z[np.arange(N), labels].'),
    ('softmax.cross_entropy', 'logits clipped to ±500', ce_clipped_logits,
        'The logits are clipped to ±500, which changes the loss for large logits.',
        'A stable log-sum-exp needs no clipping.'),
    ('softmax.cross_entropy_backward', '/K instead of /N', ce_backward_divides_by_K,
        'The gradient is divided by K (classes) instead of N (samples).',
        'The mean is over the N samples.'),
    ('softmax.cross_entropy_backward', 'unshifted softmax', ce_backward_unshifted,
        'The gradient uses an unshifted softmax, which overflows.',
        'Compute the softmax stably first.',
        {'verdict': 'nan/inf'}),
    ('softmax.cross_entropy_backward', 'onehot[:, labels] = 1', ce_backward_fancy_onehot,
        'onehot[:, labels] = 1 sets whole columns instead of one entry per row.',
        'Index rows and labels together: onehot[np.arange(N), labels].'),
]
