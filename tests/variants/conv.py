"""Correct implementations of the conv group written differently from the reference."""

from __future__ import annotations

import itertools

import numpy as np

from tests.variants import Variant


def conv1x1_backward_loops(x, w, b, dy):
    n, cin, h, wd = x.shape
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for i, j in itertools.product(range(h), range(wd)):
        dx[:, :, i, j] = dy[:, :, i, j] @ w
        dw += dy[:, :, i, j].T @ x[:, :, i, j]
    return dx, dw, dy.sum(axis=(0, 2, 3))


def conv_transpose_matmul(x, w, b):
    return np.ascontiguousarray((x.transpose(0, 2, 3, 1) @ w.T + b).transpose(0, 3, 1, 2))


def conv_tensordot(x, w, b):
    return np.moveaxis(np.tensordot(x, w, axes=([1], [1])), -1, 1) + b[:, None, None]


def conv_bw_reshape(x, w, b, dy):
    N, C, H, W = x.shape
    O = w.shape[0]
    xf = x.transpose(0, 2, 3, 1).reshape(-1, C)
    dyf = dy.transpose(0, 2, 3, 1).reshape(-1, O)
    dx = (dyf @ w).reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return (np.ascontiguousarray(dx), dyf.T @ xf, dyf.sum(0))


VARIANTS = [
    Variant("conv.conv1x1_backward", "a loop over pixels", conv1x1_backward_loops),
    Variant("conv.conv1x1", "a channels-last matmul", conv_transpose_matmul),
    Variant("conv.conv1x1", "np.tensordot", conv_tensordot),
    Variant("conv.conv1x1_backward", "pixels as rows, a tuple", conv_bw_reshape),
]
