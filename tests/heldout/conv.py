import numpy as np

from tests.heldout import Heldout


def conv_einsum_co(x, w, b):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    return np.einsum("co,nchw->nohw", w, x) + b[:, None, None]  # w indexed [in, out]


def backward_db_mean_over_batch(x, w, b, dy):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    N, Co, H, W = dy.shape
    dyf = dy.transpose(1, 0, 2, 3).reshape(Co, -1)
    xf = x.transpose(1, 0, 2, 3).reshape(x.shape[1], -1)
    dx = (w.T @ dyf).reshape(x.shape[1], N, H, W).transpose(1, 0, 2, 3)
    return dx, dyf @ xf.T, dyf.sum(axis=1) / N                # db divided by the batch size


HELDOUT = [
    Heldout("conv.conv1x1", "einsum 'co' (w read as [in, out])", conv_einsum_co,
            "conv.conv1x1:conv_w_untransposed_when_square"),
    Heldout("conv.conv1x1_backward", "db / N", backward_db_mean_over_batch, "generic:factor-1/N"),
]
