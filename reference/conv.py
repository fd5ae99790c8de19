"""The 1×1 convolution (notes 001 A6.1: it changes the channel count; 002 §14)."""

from __future__ import annotations

import numpy as np


def conv1x1(x, w, b):
    r"""y[n, o, h, w] = Σ_c w[o, c] x[n, c, h, w] + b[o]: a per-pixel linear map of the channels.

    x (N, Cin, H, W), w (Cout, Cin), b (Cout,) -> (N, Cout, H, W).
    """
    x = np.asarray(x, dtype=np.float64)
    return np.einsum("oc,nchw->nohw", np.asarray(w, dtype=np.float64), x) + np.asarray(b, dtype=np.float64)[None, :, None, None]


def conv1x1_backward(x, w, b, dy):
    r"""(dx, dw, db) of the 1×1 convolution.

    .. math:: dx[n,c,h,w] = \sum_o w[o,c]\,dy[n,o,h,w],\quad
              dw[o,c] = \sum_{n,h,w} dy[n,o,h,w]\,x[n,c,h,w],\quad
              db[o] = \sum_{n,h,w} dy[n,o,h,w]
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    dx = np.einsum("oc,nohw->nchw", w, dy)
    dw = np.einsum("nohw,nchw->oc", dy, x)
    db = dy.sum(axis=(0, 2, 3))
    return dx, dw, db
