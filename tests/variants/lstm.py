"""Correct implementations of the lstm group written differently from the reference."""

from __future__ import annotations

import numpy as np

from tests.variants import Variant
from tests.variants._special import expit as _sig


def lstm_cell_split(x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    blocks = [W[k * H : (k + 1) * H] for k in range(4)]
    bb = [b[k * H : (k + 1) * H] for k in range(4)]
    hx = np.concatenate([h_prev, x], 1)
    i, f, g, o = (hx @ Wk.T + bk for Wk, bk in zip(blocks, bb))
    c = _sig(f) * c_prev + _sig(i) * np.tanh(g)
    return [_sig(o) * np.tanh(c), c]


def lstm_cell_backward_alt(x, h_prev, c_prev, W, b, dh, dc):
    H = h_prev.shape[1]
    hx = np.concatenate([h_prev, x], 1)
    a = hx @ W.T + b
    i, f, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), _sig(a[:, 3 * H :])
    g = np.tanh(a[:, 2 * H : 3 * H])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dcc = dc + dh * o / np.cosh(c) ** 2
    da = np.hstack(
        [
            dcc * g * i * (1 - i),
            dcc * c_prev * f * (1 - f),
            dcc * i / np.cosh(a[:, 2 * H : 3 * H]) ** 2,
            dh * tc * o * (1 - o),
        ]
    )
    dhx = da @ W
    return (dhx[:, H:], dhx[:, :H], dcc * f, np.einsum("ni,nj->ij", da, hx), da.sum(0))


def lstm_sj_loop(x, c_prev, o_prev, W, b):
    N, H = c_prev.shape
    J = np.zeros((N, H, H))
    for n in range(N):
        hp = o_prev[n] * np.tanh(c_prev[n])
        a = W @ np.concatenate([hp, x[n]]) + b
        i, f, g = _sig(a[:H]), _sig(a[H : 2 * H]), np.tanh(a[2 * H : 3 * H])
        dcdh = (
            np.diag(c_prev[n] * f * (1 - f)) @ W[H : 2 * H, :H]
            + np.diag(g * i * (1 - i)) @ W[:H, :H]
            + np.diag(i * (1 - g * g)) @ W[2 * H : 3 * H, :H]
        )
        J[n] = dcdh @ np.diag(o_prev[n] * (1 - np.tanh(c_prev[n]) ** 2)) + np.diag(f)
    return J


def lstm_bptt_alt(x, h0, c0, W, b, dh):
    T = x.shape[0]
    H = h0.shape[1]
    hs, cs, acts = [h0], [c0], []
    for t in range(T):
        a = np.concatenate([hs[-1], x[t]], 1) @ W.T + b
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), _sig(a[:, 3 * H :])
        c = f * cs[-1] + i * g
        acts.append((i, f, g, o))
        cs.append(c)
        hs.append(o * np.tanh(c))
    dW = np.zeros_like(W)
    db = np.zeros_like(b)
    dx = np.zeros_like(x)
    dhn = np.zeros_like(h0)
    dcn = np.zeros_like(c0)
    for t in reversed(range(T)):
        i, f, g, o = acts[t]
        c = cs[t + 1]
        tc = np.tanh(c)
        dht = dh[t] + dhn
        dct = dcn + dht * o * (1 - tc**2)
        da = np.hstack([dct * g * i * (1 - i), dct * cs[t] * f * (1 - f), dct * i * (1 - g**2), dht * tc * o * (1 - o)])
        hx = np.concatenate([hs[t], x[t]], 1)
        dW += da.T @ hx
        db += da.sum(0)
        dhx = da @ W
        dx[t] = dhx[:, H:]
        dhn = dhx[:, :H]
        dcn = dct * f
    return {"x": dx, "h0": dhn, "c0": dcn, "W": dW, "b": db}


VARIANTS = [
    Variant("lstm.lstm_cell", "per-gate weight blocks, a list", lstm_cell_split),
    Variant("lstm.lstm_cell_backward", "1/cosh^2 for tanh', a tuple", lstm_cell_backward_alt),
    Variant("lstm.lstm_cell_state_jacobian", "a loop over the batch", lstm_sj_loop),
    Variant("lstm.lstm_bptt", "stored activations, accumulated gradients", lstm_bptt_alt),
]
