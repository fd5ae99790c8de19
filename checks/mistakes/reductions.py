"""Known mistakes of the reductions formulas: wrong implementations, each with a description and a hint."""

import numpy as np


def every_tied_max_gets_dy(x, dy):
    """The notes' rule read literally: 1 for every x_i equal to the max."""
    x = np.asarray(x)
    return (x == x.max(axis=1, keepdims=True)) * np.asarray(dy)[:, None]


def one_hot_ignores_dy(x, dy):
    dx = np.zeros_like(np.asarray(x, dtype=np.float64))
    dx[np.arange(dx.shape[0]), np.argmax(x, axis=1)] = 1.0
    return dx


def argmin(x, dy):
    dx = np.zeros_like(np.asarray(x, dtype=np.float64))
    dx[np.arange(dx.shape[0]), np.argmin(x, axis=1)] = dy
    return dx


MISTAKES = [
    ('reductions.max_backward', 'dy to every tied maximum', every_tied_max_gets_dy,
        'dy goes to every tied maximum of a row, so the weights sum to more than 1.',
        "At a tie, split dy (or give it to one maximum): the row's gradient must total dy."),
    ('reductions.max_backward', 'one-hot without dy', one_hot_ignores_dy,
        'The one-hot of the argmax is returned without multiplying by dy.',
        'The chain rule multiplies by the upstream gradient.'),
    ('reductions.max_backward', 'argmin instead of argmax', argmin,
        'The gradient goes to the minimum instead of the maximum.',
        'Check which element the max picked.'),
]


# ---------------------------------------------------------------- adversarial review


def global_max(x, dy):
    """Compares with the max of the WHOLE array (right only for N = 1)."""
    x = np.asarray(x)
    m = x == x.max()
    return m / np.maximum(m.sum(axis=1, keepdims=True), 1) * np.asarray(dy)[:, None]


def even_split_count_without_keepdims(x, dy):
    """Even split, tie counts broadcast along the wrong axis (only runs when N == D)."""
    x = np.asarray(x)
    m = (x == x.max(axis=1, keepdims=True)).astype(np.float64)
    c = m.sum(axis=1)
    c = c if x.shape[0] == x.shape[1] else c[:, None]
    return m / c * np.asarray(dy)[:, None]


def split_over_all_ties_of_the_batch(x, dy):
    """Weights normalised over the whole batch's tied maxima."""
    x = np.asarray(x)
    m = (x == x.max(axis=1, keepdims=True)).astype(np.float64)
    return m / m.sum() * x.shape[0] * np.asarray(dy)[:, None]


def nan_on_tied_maxima_when_dy_is_zero(x, dy):
    """Weights dy/Σdy: 0/0 = nan on the maxima of a row with dy = 0."""
    x, dy = np.asarray(x), np.asarray(dy, dtype=np.float64)
    is_max = x == x.max(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        w = np.where(is_max, dy[:, None] / (is_max * dy[:, None]).sum(axis=1, keepdims=True), 0.0)
    return w * dy[:, None]


MISTAKES += [
    ('reductions.max_backward', 'max over the whole array', global_max,
        'The maximum is taken over the whole array instead of per row.',
        'y_n = max over row n: each row has its own maximum.'),
    ('reductions.max_backward', 'tie counts without keepdims (N == D)', even_split_count_without_keepdims,
        'The tie counts are divided without keepdims, so they broadcast along the wrong axis (visible when N == D).',
        'Keep the reduced axis so each row is divided by its own count.'),
    ('reductions.max_backward', 'split normalised over the whole batch', split_over_all_ties_of_the_batch,
        "dy is split over the ties of the whole batch instead of each row's.",
        "Each row's dy is split over that row's maxima only."),
    ('reductions.max_backward', 'nan on tied maxima when dy = 0', nan_on_tied_maxima_when_dy_is_zero,
        'The tie split produces nan where dy is 0 (0/0).',
        'Avoid dividing by a quantity that can be 0.',
        {'verdict': 'nan/inf'}),
]


def nan_only_on_ties_when_dy_is_zero(x, dy):
    """Rows with a unique max are right; tied rows split by dy/(count·dy): 0/0 = nan when dy = 0."""
    x, dy = np.asarray(x), np.asarray(dy, dtype=np.float64)
    is_max = x == x.max(axis=1, keepdims=True)
    count = is_max.sum(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        w = np.where(count > 1, dy[:, None] / (count * dy[:, None]), 1.0)
    return np.where(is_max, w, 0.0) * dy[:, None]


MISTAKES += [
    ('reductions.max_backward', "nan on tied maxima only (value oracle's own comparison)", nan_only_on_ties_when_dy_is_zero,
        'nan appears on tied maxima when dy is 0.',
        'Avoid dividing by a quantity that can be 0.',
        {'oracle': 'torch', 'verdict': 'nan/inf'}),
]
