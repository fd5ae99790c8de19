"""Value oracles of hsoftmax.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.judges.huffman import _optimum, _Shannon
from checks.oracles.torchlib import N, T, torch


def _paths_of(codes):
    """Inner-node ids for a code set: the root is 0, the others numbered in order of first visit."""
    ids: dict = {}
    paths = []
    for c in codes:
        p = []
        for k in range(len(c)):
            p.append(ids.setdefault(tuple(c[:k]), len(ids)))
        paths.append(p)
    return codes, paths


def _oracle_codes(freqs):
    """An independent optimal code (a heap of merges, ties broken unlike the reference) and its cost."""
    return _optimum(freqs)


def _shannon_oracle(freqs):
    return _Shannon([None] * np.asarray(freqs).size)


def _torch_hs(v_c, node_vecs, codes, paths):
    t = torch()
    u = T(node_vecs) @ T(v_c)
    out = []
    for c, p in zip(codes, paths):
        sign = t.tensor([1.0 if b == 0 else -1.0 for b in c])
        out.append(t.exp(torch().nn.functional.logsigmoid(sign * u[list(p)]).sum()))
    return N(t.stack(out))
