import numpy as np

from tests.heldout import Heldout


def _sm(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def softmax_columns(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)                                   # normalised down the columns


def ce_backward_loop_no_mean(z, labels):
    p = _sm(z)
    for n, k in enumerate(labels):
        p[n, k] = p[n, k] - 1.0
    return p                                                   # forgot the 1/N of the mean


def ce_mean_over_all_entries(z, labels):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    onehot = np.zeros_like(z)
    onehot[np.arange(z.shape[0]), labels] = 1.0
    return float(-np.mean(onehot * logp))                     # mean over N·K entries, not N rows


def jacobian_plus(z):
    y = _sm(np.asarray(z, dtype=np.float64)[None])[0]
    return np.diag(y) + np.outer(y, y)                         # + where − belongs


HELDOUT = [
    Heldout("softmax.softmax", "normalised over axis 0", softmax_columns, "softmax.softmax:softmax_wrong_axis"),
    Heldout("softmax.cross_entropy_backward", "loop, no /N", ce_backward_loop_no_mean,
            "softmax.cross_entropy_backward:ce_backward_no_mean"),
    Heldout("softmax.cross_entropy", "mean over every entry (/N·K)", ce_mean_over_all_entries, "generic:factor-1/N"),
    Heldout("softmax.softmax_jacobian", "diag(y) + y yᵀ", jacobian_plus, "softmax.softmax_jacobian:jacobian_plus_outer"),
]
