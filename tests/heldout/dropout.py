import numpy as np

from tests.heldout import Heldout


def train_forgets_rescale(x, mask, p_keep, inverted):
    y = np.asarray(x, dtype=np.float64).copy()
    y[~np.asarray(mask, dtype=bool)] = 0.0                     # masked, but never divided by p_keep
    return y


def eval_always_scaled(x, p_keep, inverted):
    return np.asarray(x, dtype=np.float64) * p_keep           # scales in both conventions


def backward_times_p(dy, mask, p_keep, inverted):
    dx = np.asarray(dy, dtype=np.float64) * np.asarray(mask, dtype=np.float64)
    return dx * p_keep if inverted else dx                     # multiplied where it should divide


HELDOUT = [
    Heldout("dropout.dropout_train", "boolean mask, no rescale", train_forgets_rescale,
            "dropout.dropout_train:train_inverted_no_division"),
    Heldout("dropout.dropout_eval", "x·p_keep in both conventions", eval_always_scaled,
            "dropout.dropout_eval:eval_scaled_when_inverted"),
    Heldout("dropout.dropout_backward", "inverted: dy·m·p_keep", backward_times_p, "unknown"),
]
