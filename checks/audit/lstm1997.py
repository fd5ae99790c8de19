"""The original LSTM of Hochreiter & Schmidhuber (1997), as notes 003 walks
through its appendix A.1/A.2: memory blocks of S cells sharing one input gate
and one output gate, NO forget gate, the constant error carousel
s_c(t) = s_c(t-1) + g(net_c(t))·y^in(t), and truncated backprop.

Architecture (one time step t; all weights without biases, a constant-1
unit in the source vector plays the bias):

    y^u(t-1) = [x(t), y^i(t-1), y^c(t-1), 1]            length I = D + H + C·S + 1
    hidden   y^i   = f_i(W_i y^u)                          W_i   (H, I)
    gates    y^in  = f_in(W_in y^u), y^out = f_out(W_out y^u)   (C, I) each
    cells    s_c   = s_c(t-1) + y^in_{block(c)} g(W_c y^u),  y^c = y^out_{block(c)} h(s_c)   W_c (C·S, I)
    outputs  y^k   = f_k(W_ki y^i + W_kc y^c)              W_ki (K, H), W_kc (K, C·S)
    E(t)     = Σ_k (t^k(t) - y^k(t))²

so the weight count is KH + KCS + CSI + 2CI + HI (003 §5.6). f_i, f_in,
f_out, f_k are the logistic sigmoid, g = h = tanh.

Truncation (the paper's "scissors"): errors reaching the net inputs of
hidden units, gates and cells are not propagated back into the previous time
step, i.e. the source vector y^u(t-1) is DETACHED at every step; only the
cell state s_c carries error back in time. :func:`run` returns every
intermediate at the last step together with the truncated autograd
gradients, which are the truths the 003 entries compare with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from checks.strategies import Case, array, st
from checks.oracles.torchlib import N, T, torch

PARAMS = ("W_i", "W_in", "W_out", "W_c", "W_ki", "W_kc")


@dataclass(frozen=True)
class Sizes:
    D: int
    H: int
    C: int
    S: int
    K: int

    @property
    def I(self) -> int:  # noqa: E743 - the notes' name
        return self.D + self.H + self.C * self.S + 1


def shapes(z: Sizes) -> dict[str, tuple[int, int]]:
    return {"W_i": (z.H, z.I), "W_in": (z.C, z.I), "W_out": (z.C, z.I), "W_c": (z.C * z.S, z.I),
            "W_ki": (z.K, z.H), "W_kc": (z.K, z.C * z.S)}


def sizes_of(p: dict, x: np.ndarray) -> Sizes:
    H = p["W_i"].shape[0]
    C = p["W_in"].shape[0]
    S = p["W_c"].shape[0] // C
    return Sizes(D=x.shape[1], H=H, C=C, S=S, K=p["W_ki"].shape[0])


def model(z: Sizes):
    """A torch nn.Module holding the six weight matrices (to count its parameters)."""
    tch = torch()

    class LSTM1997(tch.nn.Module):
        def __init__(self):
            super().__init__()
            for k, s in shapes(z).items():
                setattr(self, k, tch.nn.Parameter(tch.zeros(*s)))

    return LSTM1997()


def run(p: dict, x: np.ndarray, target: np.ndarray, truncate: bool = True) -> dict:
    """Forward over x (T, D); E at the last step; truncated autograd. Returns numpy intermediates and gradients."""
    tch = torch()
    z = sizes_of(p, x)
    W = {k: T(p[k], grad=True) for k in PARAMS}
    blk = tch.arange(z.C * z.S) // z.S  # block of each cell
    yi, yc, s = tch.zeros(z.H), tch.zeros(z.C * z.S), tch.zeros(z.C * z.S)
    rec = {}
    for t in range(x.shape[0]):
        last = t == x.shape[0] - 1
        u = tch.cat([T(x[t]), yi, yc, tch.ones(1)])
        if truncate:
            u = u.detach()  # the scissors: no error into the previous step through the sources
        net_i, net_in, net_out, net_c = W["W_i"] @ u, W["W_in"] @ u, W["W_out"] @ u, W["W_c"] @ u
        y_in, y_out = tch.sigmoid(net_in), tch.sigmoid(net_out)
        s = s + y_in[blk] * tch.tanh(net_c)
        yi = tch.sigmoid(net_i)
        yc = y_out[blk] * tch.tanh(s)
        if last:
            for v in (net_i, net_in, net_out, net_c, s):
                v.retain_grad()
            yi.retain_grad()
            net_k = W["W_ki"] @ yi + W["W_kc"] @ yc
            net_k.retain_grad()
            yk = tch.sigmoid(net_k)
            E = ((T(target) - yk) ** 2).sum()
            rec = dict(u=u, net_i=net_i, net_in=net_in, net_out=net_out, net_c=net_c, s=s, y_i=yi, y_c=yc,
                       net_k=net_k, y_k=yk, E=E)
    rec["E"].backward()
    out = {k: N(v) for k, v in rec.items()}
    out["T"] = x.shape[0]
    out["blk"] = np.arange(z.C * z.S) // z.S
    out["sizes"] = z
    # the negative gradients -∂E/∂(·) of the intermediates (the paper's errors e_l, eq. 18)
    for k in ("net_i", "net_in", "net_out", "net_c", "s", "net_k", "y_i"):
        out[f"-dE/d{k}"] = -N(rec[k].grad)
    for k in PARAMS:
        out[f"dE/d{k}"] = N(W[k].grad)
    return out


def state_jacobians(p: dict, x: np.ndarray) -> dict:
    """∂s_c(t)/∂W_in and ∂s_c(t)/∂W_c at the last step, with truncation (torch autograd jacobian)."""
    tch = torch()
    z = sizes_of(p, x)
    blk = tch.arange(z.C * z.S) // z.S

    def final_s(W_in, W_c):
        yi, yc, s = tch.zeros(z.H), tch.zeros(z.C * z.S), tch.zeros(z.C * z.S)
        Wi, Wout = T(p["W_i"]), T(p["W_out"])
        for t in range(x.shape[0]):
            u = tch.cat([T(x[t]), yi.detach(), yc.detach(), tch.ones(1)])
            y_in, y_out = tch.sigmoid(W_in @ u), tch.sigmoid(Wout @ u)
            s = s + y_in[blk] * tch.tanh(W_c @ u)
            yi, yc = tch.sigmoid(Wi @ u), y_out[blk] * tch.tanh(s)
        return s

    J_in, J_c = tch.autograd.functional.jacobian(final_s, (T(p["W_in"]), T(p["W_c"])))
    return {"ds/dW_in": N(J_in), "ds/dW_c": N(J_c)}


def forward_all(p: dict, x: np.ndarray) -> list[dict]:
    """numpy forward: per step the source vector and the net inputs (for the RTRL recursions)."""
    z = sizes_of(p, x)
    blk = np.arange(z.C * z.S) // z.S
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    yi, yc, s = np.zeros(z.H), np.zeros(z.C * z.S), np.zeros(z.C * z.S)
    steps = []
    for t in range(x.shape[0]):
        u = np.concatenate([x[t], yi, yc, [1.0]])
        net_in, net_out, net_c = p["W_in"] @ u, p["W_out"] @ u, p["W_c"] @ u
        s_prev = s
        s = s + sig(net_in)[blk] * np.tanh(net_c)
        yi, yc = sig(p["W_i"] @ u), sig(net_out)[blk] * np.tanh(s)
        steps.append(dict(u=u, net_in=net_in, net_out=net_out, net_c=net_c, s=s, s_prev=s_prev, blk=blk))
    return steps


@st.composite
def cases(draw, s_min: int = 1):
    z = Sizes(D=draw(st.integers(1, 2)), H=draw(st.integers(1, 2)), C=draw(st.integers(1, 2)),
              S=draw(st.integers(s_min, 2)), K=draw(st.integers(1, 2)))
    p = {k: draw(array(s, -1.5, 1.5)) for k, s in shapes(z).items()}
    steps = draw(st.integers(1, 3))
    return Case((p, draw(array((steps, z.D), -2, 2)), draw(array((z.K,), 0, 1))))
