"""Value oracles of pool.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

from checks.oracles.torchlib import F, N, T, torch, vjp


def _unfold(xt, k, stride):
    """(N,C,Ho,Wo,k,k) windows of a torch tensor."""
    return xt.unfold(2, k, stride).unfold(3, k, stride)


def _t_maxpool(x, k, stride):
    return N(F().max_pool2d(T(x), k, stride))


def _t_maxpool_unfold(x, k, stride):
    return N(_unfold(T(x), k, stride).amax(dim=(-1, -2)))


def _t_maxpool_bw(x, k, stride, dy):
    return vjp(lambda t: F().max_pool2d(t, k, stride), dy, x)


def _t_maxpool_unfold_bw(x, k, stride, dy):
    """autograd of unfold + amax: splits dy EVENLY over a window's tied maxima (another valid subgradient)."""
    return vjp(lambda t: _unfold(t, k, stride).amax(dim=(-1, -2)), dy, x)


def _t_avgpool_bw(x, k, stride, dy):
    return vjp(lambda t: F().avg_pool2d(t, k, stride), dy, x)


def _t_avgpool_unfold_bw(x, k, stride, dy):
    return vjp(lambda t: _unfold(t, k, stride).mean(dim=(-1, -2)), dy, x)


def _t_kmax_index(xt, k):
    return torch().sort(torch().topk(xt, k, dim=-1).indices, dim=-1).values


def _t_kmax(x, k):
    xt = T(x)
    return N(xt.gather(-1, _t_kmax_index(xt, k)))


def _t_kmax_bw(x, k, dy):
    xt = T(x, grad=True)
    xt.gather(-1, _t_kmax_index(xt.detach(), k)).backward(T(dy))
    return N(xt.grad)
