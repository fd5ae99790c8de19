"""Correct implementations of the hsoftmax group written differently from the reference."""

from __future__ import annotations

import heapq
from collections import deque

import numpy as np

import reference as R
from tests.variants import Variant


def huffman_flipped_bits(freqs):
    return [[1 - b for b in c] for c in R.huffman_codes(freqs)]


def huffman_two_queues(freqs):
    """The linear two-queue Huffman construction on sorted frequencies; codes as tuples."""
    f = [float(v) for v in freqs]
    q1 = deque(sorted([(f[w], (w,)) for w in range(len(f))], key=lambda t: t[0]))
    q2: deque = deque()
    codes = [[] for _ in f]

    def pop():
        return q2.popleft() if q2 and (not q1 or q2[0][0] < q1[0][0]) else q1.popleft()

    while len(q1) + len(q2) > 1:
        a, b = pop(), pop()
        for w in a[1]:
            codes[w].insert(0, 1)
        for w in b[1]:
            codes[w].insert(0, 0)
        q2.append((a[0] + b[0], a[1] + b[1]))
    return [tuple(c) for c in codes]


def huffman_canonical(freqs):
    """Canonical code from the lengths of a Huffman tree built with another tie-break; np.int64 arrays."""
    f = [float(v) for v in freqs]
    heap = [(f[w], -w, (w,)) for w in range(len(f))]
    heapq.heapify(heap)
    depth, k = [0] * len(f), 0
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        for w in a[2] + b[2]:
            depth[w] += 1
        k += 1
        heapq.heappush(heap, (a[0] + b[0], -(len(f) + k), a[2] + b[2]))
    order = sorted(range(len(f)), key=lambda w: (depth[w], w))
    code, prev, out = 0, depth[order[0]], [None] * len(f)
    for i, w in enumerate(order):
        if i:
            code = (code + 1) << (depth[w] - prev)
            prev = depth[w]
        out[w] = np.array([int(b) for b in format(code, f"0{depth[w]}b")], dtype=np.int64)
    return out


def huffman_resorted_list(freqs):
    """Re-sorts a list after every merge (the merged node first among equals); bits as np.int64."""
    items = [(float(f), [w]) for w, f in enumerate(freqs)]
    codes = [[] for _ in items]
    while len(items) > 1:
        items.sort(key=lambda t: t[0])
        (w0, l0), (w1, l1) = items.pop(0), items.pop(0)
        for w in l0:
            codes[w] = [np.int64(0)] + codes[w]
        for w in l1:
            codes[w] = [np.int64(1)] + codes[w]
        items.insert(0, (w0 + w1, l0 + l1))
    return codes


def hs_naive_product(v_c, node_vecs, codes, paths):
    out = np.zeros(len(codes))
    for w, (c, p) in enumerate(zip(codes, paths)):
        pr = 1.0
        for b, n in zip(c, p):
            s = 1.0 / (1.0 + np.exp(-(node_vecs[n] @ v_c)))
            pr *= s if b == 0 else 1.0 - s
        out[w] = pr
    return out


def hs_renormalised(v_c, node_vecs, codes, paths):
    p = R.hs_probabilities(v_c, node_vecs, codes, paths)
    return p / p.sum()


VARIANTS = [
    Variant("hsoftmax.huffman_codes", "every bit flipped", huffman_flipped_bits),
    Variant("hsoftmax.huffman_codes", "two queues, tuples", huffman_two_queues),
    Variant("hsoftmax.huffman_codes", "a canonical code, np.int64 arrays", huffman_canonical),
    Variant("hsoftmax.huffman_codes", "a re-sorted list, np.int64 bits", huffman_resorted_list),
    Variant("hsoftmax.hs_probabilities", "a naive product of sigmoids", hs_naive_product),
    Variant("hsoftmax.hs_probabilities", "the reference renormalised", hs_renormalised),
]
