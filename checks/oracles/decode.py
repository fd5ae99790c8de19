"""Value oracles of decode.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import itertools

import numpy as np

from checks.oracles.torchlib import N, T, torch


def _all_seqs(K, L):
    return np.array(list(itertools.product(range(K), repeat=L)), dtype=np.int64).reshape(-1, L)


def _brute_beam(log_init, log_trans, length, beam):
    li, lt = np.asarray(log_init), np.asarray(log_trans)
    P = _all_seqs(li.size, length)
    sc = li[P[:, 0]] + lt[P[:, :-1], P[:, 1:]].sum(axis=1)
    b = int(np.argmax(sc))
    return [int(v) for v in P[b]], float(sc[b])


def _brute_viterbi(log_init, log_trans, log_emit, obs):
    li, lt, le = np.asarray(log_init), np.asarray(log_trans), np.asarray(log_emit)
    o = np.asarray(obs, dtype=np.int64)
    P = _all_seqs(li.size, o.size)
    sc = li[P[:, 0]] + lt[P[:, :-1], P[:, 1:]].sum(axis=1) + le[P, o[None, :]].sum(axis=1)
    b = int(np.argmax(sc))
    return [int(v) for v in P[b]], float(sc[b])


def _torch_viterbi(log_init, log_trans, log_emit, obs):
    """Max-plus recursion in torch: δ_t = max_r(δ_{t-1}[r] + log_trans[r, :]) + log_emit[:, o_t]."""
    t = torch()
    li, lt, le = T(log_init), T(log_trans), T(log_emit)
    o = [int(x) for x in obs]
    delta = li + le[:, o[0]]
    back = []
    for x in o[1:]:
        best, arg = t.max(delta[:, None] + lt, dim=0)
        delta = best + le[:, x]
        back.append(arg)
    s = int(t.argmax(delta))
    score = float(N(delta)[s])
    path = [s]
    for arg in reversed(back):
        path.append(int(arg[path[-1]]))
    return path[::-1], score
