"""Value oracles of hsoftmax.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import heapq

import numpy as np

from checks.judges.huffman import _Code, _Shannon
from checks.oracles.torchlib import N, T, torch


def _heap_huffman(freqs):
    """Codes by a heap of (weight, -size, id) merges: larger subtrees win ties, unlike the reference."""
    f = [float(x) for x in np.asarray(freqs)]
    heap = [(w, -1, i, (i,)) for i, w in enumerate(f)]
    heapq.heapify(heap)
    codes = {i: [] for i in range(len(f))}
    nid = len(f)
    while len(heap) > 1:
        w1, s1, _, leaves1 = heapq.heappop(heap)
        w2, s2, _, leaves2 = heapq.heappop(heap)
        for leaf in leaves1:
            codes[leaf].insert(0, 1)
        for leaf in leaves2:
            codes[leaf].insert(0, 0)
        heapq.heappush(heap, (w1 + w2, s1 + s2, nid, leaves1 + leaves2))
        nid += 1
    return [codes[i] for i in range(len(f))]


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
    codes = _heap_huffman(freqs)
    out = _Code([None] * len(codes))
    out.codes = codes
    out.cost = float(sum(float(w) * len(c) for w, c in zip(np.asarray(freqs), codes)))
    return out


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
