"""The GRU cell in the notes' convention, and its backward pass.

Notes 002 §1 (LSTM/GRU):

    u = σ(W_u h + U_u x + b_u)              (update)
    r = σ(W_r h + U_r x + b_r)              (reset)
    h̃ = tanh(W_h (r ∘ h) + U_h x + b_h)    (the reset acts BEFORE the matmul)
    h_new = (1 − u) ∘ h + u ∘ h̃             ("新的隐状态权重为 u, 旧的隐状态权重为 1-u")

This is not torch.nn.GRUCell's convention (there the reset multiplies
W_hn h + b_hn after the matmul and z = 1 − u weights the OLD state);
tests/test_recurrent_extra.py documents the relation. Row batches:
W h is written h Wᵀ. Every function returns new float64 arrays and leaves
its arguments untouched.
"""

from __future__ import annotations

import numpy as np

from reference.activations import sigmoid as _sigmoid

KEYS = ("Wu", "Wr", "Wh", "Uu", "Ur", "Uh", "bu", "br", "bh")



def _inputs(x, h_prev, p):
    x = np.asarray(x, dtype=np.float64)
    h = np.asarray(h_prev, dtype=np.float64)
    if x.ndim != 2 or h.ndim != 2 or x.shape[0] != h.shape[0]:
        raise ValueError(f"x must be (N, D) and h_prev (N, H) with the same N, got {x.shape} and {h.shape}")
    if not isinstance(p, dict):
        raise TypeError(f"p must be a dict with keys {list(KEYS)}, got {type(p).__name__}")
    missing = [k for k in KEYS if k not in p]
    if missing:
        raise ValueError(f"p is missing key(s) {missing} (expected {list(KEYS)})")
    H, D = h.shape[1], x.shape[1]
    q = {k: np.asarray(p[k], dtype=np.float64) for k in KEYS}
    want = {"W": (H, H), "U": (H, D), "b": (H,)}
    for k in KEYS:
        if q[k].shape != want[k[0]]:
            raise ValueError(f"p[{k!r}] must have shape {want[k[0]]}, got {q[k].shape}")
    return x, h, q


def _forward(x, h, q):
    u = _sigmoid(h @ q["Wu"].T + x @ q["Uu"].T + q["bu"])
    r = _sigmoid(h @ q["Wr"].T + x @ q["Ur"].T + q["br"])
    rh = r * h
    ht = np.tanh(rh @ q["Wh"].T + x @ q["Uh"].T + q["bh"])
    return u, r, rh, ht


def gru_cell(x, h_prev, p):
    r"""h_new = (1 − u)⊙h + u⊙h̃ with h̃ = tanh(W_h(r⊙h) + U_h x + b_h) (notes 002 §1).

    x (N, D), h_prev (N, H), p: dict "Wu","Wr","Wh" (H, H), "Uu","Ur","Uh" (H, D),
    "bu","br","bh" (H,) -> h_new (N, H).
    """
    x, h, q = _inputs(x, h_prev, p)
    u, _, _, ht = _forward(x, h, q)
    return (1.0 - u) * h + u * ht


def gru_cell_backward(x, h_prev, p, dh):
    r"""(dx, dh_prev, dp) of Σ dh⊙h_new through one GRU step (notes 002 §1).

    .. math::
        da_u = dh\,(\tilde h - h)\, u(1-u), \quad
        da_h = dh\, u\, (1-\tilde h^2), \quad
        d(r h) = da_h W_h, \quad
        da_r = d(rh) \odot h\, r(1-r), \\
        dh_{prev} = dh\,(1-u) + d(rh) \odot r + da_u W_u + da_r W_r, \quad
        dx = da_u U_u + da_r U_r + da_h U_h, \\
        dW_h = da_h^\top (r h), \quad dW_{u,r} = da_{u,r}^\top h, \quad
        dU_\ast = da_\ast^\top x, \quad db_\ast = \textstyle\sum_n da_\ast

    dh (N, H) is the upstream gradient on h_new; dp has the keys of p.
    """
    x, h, q = _inputs(x, h_prev, p)
    dh = np.asarray(dh, dtype=np.float64)
    if dh.shape != h.shape:
        raise ValueError(f"dh must have shape {h.shape}, got {dh.shape}")
    u, r, rh, ht = _forward(x, h, q)
    dau = dh * (ht - h) * u * (1.0 - u)
    dah = dh * u * (1.0 - ht * ht)
    drh = dah @ q["Wh"]
    dar = drh * h * r * (1.0 - r)
    dh_prev = dh * (1.0 - u) + drh * r + dau @ q["Wu"] + dar @ q["Wr"]
    dx = dau @ q["Uu"] + dar @ q["Ur"] + dah @ q["Uh"]
    dp = {
        "Wu": dau.T @ h, "Wr": dar.T @ h, "Wh": dah.T @ rh,
        "Uu": dau.T @ x, "Ur": dar.T @ x, "Uh": dah.T @ x,
        "bu": dau.sum(axis=0), "br": dar.sum(axis=0), "bh": dah.sum(axis=0),
    }
    return dx, dh_prev, dp
