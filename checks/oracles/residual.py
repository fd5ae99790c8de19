"""Value oracles of residual.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

from checks.oracles.torchlib import F, N, T, torch


def _t_residual_backward(x, W, b, dy):
    xt, Wt, bt = T(x, grad=True), T(W, grad=True), T(b, grad=True)
    (xt + torch().tanh(xt @ Wt.T + bt)).backward(T(dy))
    return N(xt.grad), N(Wt.grad), N(bt.grad)


def _t_highway_graph(xt, WH, bH, WT, bT):
    H = F().relu(xt @ WH.T + bH)
    Tg = torch().sigmoid(xt @ WT.T + bT)
    return H * Tg + xt * (1 - Tg)


def _t_highway(x, WH, bH, WT, bT):
    return N(_t_highway_graph(T(x), T(WH), T(bH), T(WT), T(bT)))


def _t_highway_backward(x, WH, bH, WT, bT, dy):
    ts = [T(a, grad=True) for a in (x, WH, bH, WT, bT)]
    _t_highway_graph(*ts).backward(T(dy))
    return tuple(N(t.grad) for t in ts)
