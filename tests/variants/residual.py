"""Correct implementations of the residual group written differently from the reference."""

from __future__ import annotations

import numpy as np

from tests.variants import Variant
from tests.variants._special import expit as _sig


def residual_loops(x, W, b, dy):
    N, _D = x.shape
    dx = dy.copy()
    dW = np.zeros_like(W)
    db = np.zeros_like(b)
    for n in range(N):
        z = W @ x[n] + b
        dz = dy[n] / np.cosh(z) ** 2
        dx[n] += W.T @ dz
        dW += np.outer(dz, x[n])
        db += dz
    return dx, dW, db


def highway_alt(x, WH, bH, WT, bT):
    H = np.where(x @ WH.T + bH > 0, x @ WH.T + bH, 0.0)
    T = _sig(x @ WT.T + bT)
    return x + T * (H - x)


def highway_bw_alt(x, WH, bH, WT, bT, dy):
    aH = x @ WH.T + bH
    H = aH * (aH > 0)
    T = _sig(x @ WT.T + bT)
    daH = dy * T * (H > 0)
    daT = dy * (H - x) * T * (1 - T)
    return [
        dy - dy * T + daH @ WH + daT @ WT,
        np.einsum("ni,nj->ij", daH, x),
        daH.sum(0),
        np.einsum("ni,nj->ij", daT, x),
        daT.sum(0),
    ]


VARIANTS = [
    Variant("residual.residual_backward", "a loop over the batch", residual_loops),
    Variant("residual.highway", "x + T (H - x)", highway_alt),
    Variant("residual.highway_backward", "another grouping, a list", highway_bw_alt),
]
