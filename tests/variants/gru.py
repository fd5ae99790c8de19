"""Correct implementations of the gru group written differently from the reference."""

from __future__ import annotations

import numpy as np

from tests.variants import Variant
from tests.variants._special import expit as _sig


def gru_cell_alt(x, h, p):
    u = _sig(h @ p["Wu"].T + x @ p["Uu"].T + p["bu"])
    r = _sig(h @ p["Wr"].T + x @ p["Ur"].T + p["br"])
    ht = np.tanh((r * h) @ p["Wh"].T + x @ p["Uh"].T + p["bh"])
    return h + u * (ht - h)


def gru_bw_loop(x, h, p, dh):
    N, _H = h.shape
    dx = np.zeros_like(x)
    dhp = np.zeros_like(h)
    dp = {k: np.zeros_like(np.asarray(v, dtype=np.float64)) for k, v in p.items()}
    for n in range(N):
        hn, xn, g = h[n], x[n], dh[n]
        u = _sig(p["Wu"] @ hn + p["Uu"] @ xn + p["bu"])
        r = _sig(p["Wr"] @ hn + p["Ur"] @ xn + p["br"])
        ht = np.tanh(p["Wh"] @ (r * hn) + p["Uh"] @ xn + p["bh"])
        dau = g * (ht - hn) * u * (1 - u)
        dah = g * u * (1 - ht**2)
        drh = p["Wh"].T @ dah
        dar = drh * hn * r * (1 - r)
        dhp[n] = g * (1 - u) + drh * r + p["Wu"].T @ dau + p["Wr"].T @ dar
        dx[n] = p["Uu"].T @ dau + p["Ur"].T @ dar + p["Uh"].T @ dah
        for k, da, inp in (("u", dau, hn), ("r", dar, hn), ("h", dah, r * hn)):
            dp["W" + k] += np.outer(da, inp)
            dp["U" + k] += np.outer(da, xn)
            dp["b" + k] += da
    return [dx, dhp, dp]


VARIANTS = [
    Variant("gru.gru_cell", "h + u (h~ - h)", gru_cell_alt),
    Variant("gru.gru_cell_backward", "a loop over the batch, a list", gru_bw_loop),
]
