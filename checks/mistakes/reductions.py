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
        'TODO dy to every tied maximum',
        'TODO'),
    ('reductions.max_backward', 'one-hot without dy', one_hot_ignores_dy,
        'TODO one-hot without dy',
        'TODO'),
    ('reductions.max_backward', 'argmin instead of argmax', argmin,
        'TODO argmin instead of argmax',
        'TODO'),
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
        'TODO max over the whole array',
        'TODO'),
    ('reductions.max_backward', 'tie counts without keepdims (N == D)', even_split_count_without_keepdims,
        'TODO tie counts without keepdims (N == D)',
        'TODO'),
    ('reductions.max_backward', 'split normalised over the whole batch', split_over_all_ties_of_the_batch,
        'TODO split normalised over the whole batch',
        'TODO'),
    ('reductions.max_backward', 'nan on tied maxima when dy = 0', nan_on_tied_maxima_when_dy_is_zero,
        'TODO nan on tied maxima when dy = 0',
        'TODO',
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
        "TODO nan on tied maxima only (value oracle's own comparison)",
        'TODO',
        {'oracle': 'torch', 'verdict': 'nan/inf'}),
]
