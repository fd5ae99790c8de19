import numpy as np

import reference.pool as R
from tests.mutants import Mutant


def _windows(x, k, stride):
    x = np.asarray(x, dtype=np.float64)
    H, W = x.shape[2:]
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    for i in range(Ho):
        for j in range(Wo):
            yield i, j, x[:, :, i * stride:i * stride + k, j * stride:j * stride + k]


def maxpool_windows_step_k(x, k, stride):
    """Windows start at i*k (non-overlapping thinking) while the output size uses the stride."""
    x = np.asarray(x, dtype=np.float64)
    H, W = x.shape[2:]
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    y = np.empty(x.shape[:2] + (Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            r, c = min(i * k, H - k), min(j * k, W - k)
            y[:, :, i, j] = x[:, :, r:r + k, c:c + k].max(axis=(2, 3))
    return y


def maxpool_bw_assign(x, k, stride, dy):
    """dx[argmax] = dy: overlapping windows sharing a maximum overwrite each other."""
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for i, j, w in _windows(x, k, stride):
        flat = w.reshape(w.shape[0], w.shape[1], -1)
        am = flat.argmax(-1)
        for n in range(x.shape[0]):
            for c in range(x.shape[1]):
                a, b = divmod(int(am[n, c]), k)
                dx[n, c, i * stride + a, j * stride + b] = dy[n, c, i, j]
    return dx


def maxpool_bw_all_tied(x, k, stride, dy):
    """dy * 1[x == window max]: every tied maximum gets the whole dy (weights sum to more than 1)."""
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for i, j, w in _windows(x, k, stride):
        m = (w == w.max(axis=(2, 3), keepdims=True))
        dx[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += m * dy[:, :, i:i + 1, j:j + 1]
    return dx


def avgpool_bw_no_k2(x, k, stride, dy):
    return R.avgpool2d_backward(x, k, stride, dy) * (k * k)


def avgpool_bw_assign(x, k, stride, dy):
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for i, j, _ in _windows(x, k, stride):
        dx[:, :, i * stride:i * stride + k, j * stride:j * stride + k] = dy[:, :, i:i + 1, j:j + 1] / (k * k)
    return dx


def kmax_sorted_by_value(x, k):
    x = np.asarray(x, dtype=np.float64)
    return -np.sort(-x, axis=-1)[..., :k]


def kmax_first_k_steps(x, k):
    return np.array(np.asarray(x, dtype=np.float64)[..., :k])


def kmax_bw_value_order(x, k, dy):
    """dy[j] goes to the position of the j-th LARGEST value instead of the j-th chosen one in time order."""
    x = np.asarray(x, dtype=np.float64)
    pos = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    dx = np.zeros_like(x)
    np.put_along_axis(dx, pos, dy, axis=-1)
    return dx


def kmax_bw_split_ties(x, k, dy):
    """At a tie on the k-th largest, dy of the tied slot is split over every tied position."""
    x = np.asarray(x, dtype=np.float64)
    dx = R.kmax_pool_backward(x, k, dy)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            row = x[n, c]
            thr = np.sort(row)[::-1][k - 1]
            eq = np.flatnonzero(row == thr)
            need = k - int((row > thr).sum())
            if len(eq) > need:
                mass = dx[n, c, eq].sum()
                dx[n, c, eq] = mass / len(eq)
    return dx


MUTANTS = [
    Mutant("pool.maxpool2d", "windows step by k instead of stride", maxpool_windows_step_k),
    Mutant("pool.maxpool2d_backward", "assigns instead of accumulating (overlapping windows)", maxpool_bw_assign),
    Mutant("pool.maxpool2d_backward", "whole dy to every tied maximum", maxpool_bw_all_tied),
    Mutant("pool.avgpool2d_backward", "forgets the 1/k²", avgpool_bw_no_k2),
    Mutant("pool.avgpool2d_backward", "assigns instead of accumulating (overlapping windows)", avgpool_bw_assign),
    Mutant("pool.kmax_pool", "sorted by value, not time order", kmax_sorted_by_value),
    Mutant("pool.kmax_pool", "first k time steps", kmax_first_k_steps),
    Mutant("pool.kmax_pool_backward", "dy in value order", kmax_bw_value_order),
    Mutant("pool.kmax_pool_backward", "dy split over tied positions", kmax_bw_split_ties),
]
