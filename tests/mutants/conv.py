import numpy as np

import reference as R
from tests.mutants import Mutant


def conv_no_bias(x, w, b):
    return np.einsum("oc,nchw->nohw", w, x)


def conv_bias_on_input_channels(x, w, b):
    return np.einsum("oc,nchw->nohw", w, x) + np.asarray(b).mean()


def backward_db_mean(x, w, b, dy):
    dx, dw, db = R.conv1x1_backward(x, w, b, dy)
    return dx, dw, np.asarray(dy).mean(axis=(0, 2, 3))


def backward_dw_first_sample(x, w, b, dy):
    dx, dw, db = R.conv1x1_backward(x, w, b, dy)
    return dx, np.einsum("ohw,chw->oc", dy[0], x[0]), db


def backward_dx_untransposed(x, w, b, dy):
    dx, dw, db = R.conv1x1_backward(x, w, b, dy)
    w = np.asarray(w)
    if w.shape[0] == w.shape[1]:
        dx = np.einsum("co,nohw->nchw", w, dy)
    return dx, dw, db


MUTANTS = [
    Mutant("conv.conv1x1", "bias dropped", conv_no_bias),
    Mutant("conv.conv1x1", "bias averaged", conv_bias_on_input_channels),
    Mutant("conv.conv1x1_backward", "db averaged instead of summed", backward_db_mean),
    Mutant("conv.conv1x1_backward", "dw from the first sample only", backward_dw_first_sample),
    Mutant("conv.conv1x1_backward", "dx with w instead of wT", backward_dx_untransposed),
]
