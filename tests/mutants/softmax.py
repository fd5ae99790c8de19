import numpy as np

import reference as R
from tests.mutants import Mutant


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


MUTANTS = [
    Mutant("softmax.softmax", "no max shift", softmax_no_shift, verdict="nan/inf"),
    Mutant("softmax.softmax", "normalised over the batch axis", softmax_wrong_axis),
    Mutant("softmax.softmax_jacobian", "diagonal only", jacobian_diag_only),
    Mutant("softmax.softmax_jacobian", "+ y yT instead of -", jacobian_plus_outer),
    Mutant("softmax.cross_entropy", "sum instead of mean", ce_sum_not_mean),
    Mutant("softmax.cross_entropy", "log of an unshifted softmax", ce_naive_log),
    Mutant("softmax.cross_entropy_backward", "without /N", ce_backward_no_mean),
    Mutant("softmax.cross_entropy_backward", "without the one-hot", ce_backward_no_onehot),
]
