"""Correct implementations of the pool group written differently from the reference."""

from __future__ import annotations

import itertools

import numpy as np

from tests.variants import Variant


def _wins(x, k, s):
    H, W = x.shape[2:]
    for i in range((H - k) // s + 1):
        for j in range((W - k) // s + 1):
            yield i, j, i * s, j * s


def maxpool_loops(x, k, stride):
    N, C, H, W = x.shape
    y = np.zeros((N, C, (H - k) // stride + 1, (W - k) // stride + 1))
    for i, j, r, c in _wins(x, k, stride):
        y[:, :, i, j] = x[:, :, r:r + k, c:c + k].max(axis=(2, 3))
    return y


def maxpool_bw_last_max(x, k, stride, dy):
    """Each window's dy to its LAST maximum (row-major)."""
    dx = np.zeros_like(x)
    for i, j, r, c in _wins(x, k, stride):
        w = x[:, :, r:r + k, c:c + k].reshape(x.shape[0], x.shape[1], -1)
        am = k * k - 1 - w[..., ::-1].argmax(-1)
        for n, ch in itertools.product(range(x.shape[0]), range(x.shape[1])):
            a, b = divmod(int(am[n, ch]), k)
            dx[n, ch, r + a, c + b] += dy[n, ch, i, j]
    return dx


def maxpool_bw_even_split(x, k, stride, dy):
    dx = np.zeros_like(x)
    for i, j, r, c in _wins(x, k, stride):
        w = x[:, :, r:r + k, c:c + k]
        m = w == w.max(axis=(2, 3), keepdims=True)
        dx[:, :, r:r + k, c:c + k] += m / m.sum(axis=(2, 3), keepdims=True) * dy[:, :, i:i + 1, j:j + 1]
    return dx


def maxpool_bw_random_split(x, k, stride, dy, _rng=np.random.default_rng(7)):
    """Random positive weights over each window's tied maxima (any split is a subgradient)."""
    dx = np.zeros_like(x)
    for i, j, r, c in _wins(x, k, stride):
        w = x[:, :, r:r + k, c:c + k]
        m = (w == w.max(axis=(2, 3), keepdims=True)) * _rng.uniform(0.01, 1.0, size=w.shape)
        dx[:, :, r:r + k, c:c + k] += m / m.sum(axis=(2, 3), keepdims=True) * dy[:, :, i:i + 1, j:j + 1]
    return dx


def maxpool_bw_random_vertex(x, k, stride, dy, _rng=np.random.default_rng(8)):
    """Each window's whole dy to a random one of its tied maxima."""
    dx = np.zeros_like(x)
    for i, j, r, c in _wins(x, k, stride):
        for n, ch in itertools.product(range(x.shape[0]), range(x.shape[1])):
            w = x[n, ch, r:r + k, c:c + k]
            cand = np.argwhere(w == w.max())
            a, b = cand[_rng.integers(len(cand))]
            dx[n, ch, r + a, c + b] += dy[n, ch, i, j]
    return dx


def avgpool_bw_loops(x, k, stride, dy):
    dx = np.zeros_like(x)
    for i, j, r, c in _wins(x, k, stride):
        dx[:, :, r:r + k, c:c + k] += dy[:, :, i:i + 1, j:j + 1] * (1.0 / k ** 2)
    return dx


def kmax_argpartition(x, k):
    idx = np.argpartition(-x, k - 1, axis=-1)[..., :k]
    return np.take_along_axis(x, np.sort(idx, axis=-1), axis=-1)


def _latest(row, k):
    return sorted(sorted(range(len(row)), key=lambda t: (row[t], t))[-k:])  # the LATEST positions at a tie


def kmax_latest_ties(x, k):
    out = np.empty(x.shape[:2] + (k,))
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        out[n, c] = x[n, c, _latest(list(x[n, c]), k)]
    return out


def kmax_random_ties(x, k, _rng=np.random.default_rng(9)):
    out = np.empty(x.shape[:2] + (k,))
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        row, noise = x[n, c], _rng.permutation(x.shape[2])
        out[n, c] = row[sorted(sorted(range(row.size), key=lambda t: (-row[t], noise[t]))[:k])]
    return out


def kmax_bw_latest_ties(x, k, dy):
    dx = np.zeros_like(x)
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for j, t in enumerate(_latest(list(x[n, c]), k)):
            dx[n, c, t] = dy[n, c, j]
    return dx


def kmax_bw_argpartition(x, k, dy):
    dx = np.zeros_like(x)
    np.put_along_axis(dx, np.sort(np.argpartition(-x, k - 1, axis=-1)[..., :k], axis=-1), dy, axis=-1)
    return dx


VARIANTS = [
    Variant("pool.maxpool2d", "loops over windows", maxpool_loops),
    Variant("pool.maxpool2d_backward", "each window's last maximum", maxpool_bw_last_max),
    Variant("pool.maxpool2d_backward", "an even split over tied maxima", maxpool_bw_even_split),
    Variant("pool.maxpool2d_backward", "a random positive split over tied maxima", maxpool_bw_random_split),
    Variant("pool.maxpool2d_backward", "a random one of the tied maxima", maxpool_bw_random_vertex),
    Variant("pool.avgpool2d_backward", "loops over windows", avgpool_bw_loops),
    Variant("pool.kmax_pool", "np.argpartition", kmax_argpartition),
    Variant("pool.kmax_pool", "the latest positions at a tie", kmax_latest_ties),
    Variant("pool.kmax_pool", "a random tie-break", kmax_random_ties),
    Variant("pool.kmax_pool_backward", "the latest positions at a tie", kmax_bw_latest_ties),
    Variant("pool.kmax_pool_backward", "np.argpartition", kmax_bw_argpartition),
]
