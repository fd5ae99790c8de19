import numpy as np

from tests.heldout import Heldout


def maxpool_step_k(x, k, stride):
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    y = np.full((N, C, Ho, Wo), -np.inf)
    for i in range(Ho):
        for j in range(Wo):
            r, c = i * k, j * k                                 # moves by the window size
            win = x[:, :, r:r + k, c:c + k]
            if win.shape[2] and win.shape[3]:
                y[:, :, i, j] = win.max(axis=(2, 3))
    return y


def avgpool_backward_no_divide(x, k, stride, dy):
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    Ho, Wo = dy.shape[2], dy.shape[3]
    for i in range(Ho):
        for j in range(Wo):
            dx[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += dy[:, :, i:i + 1, j:j + 1]
    return dx                                                   # the 1/k² of the mean forgotten


def kmax_value_order(x, k):
    x = np.asarray(x, dtype=np.float64)
    return -np.sort(-x, axis=-1, kind="stable")[..., :k]        # largest first, not in time order


HELDOUT = [
    Heldout("pool.maxpool2d", "windows move by k", maxpool_step_k, "pool.maxpool2d:maxpool_windows_step_k"),
    Heldout("pool.avgpool2d_backward", "no 1/k²", avgpool_backward_no_divide, "pool.avgpool2d_backward:avgpool_bw_no_k2"),
    Heldout("pool.kmax_pool", "sorted, largest first", kmax_value_order, "pool.kmax_pool:kmax_sorted_by_value"),
]
