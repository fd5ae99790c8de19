import heapq

import numpy as np

import reference.hsoftmax as R
from tests.mutants import Mutant


def huffman_balanced(freqs):
    V = len(freqs)
    codes = [[] for _ in range(V)]

    def split(ws, prefix):  # halves of the index range: a balanced tree, frequencies ignored
        if len(ws) == 1:
            codes[ws[0]] = prefix
            return
        h = len(ws) // 2
        split(ws[:h], prefix + [0])
        split(ws[h:], prefix + [1])

    split(list(range(V)), [])
    return codes


def huffman_fixed_length(freqs):
    V = len(freqs)
    n = max(1, int(np.ceil(np.log2(V))))
    return [[int(b) for b in format(w, f"0{n}b")] for w in range(V)]  # block code: wastes branches


def huffman_merges_largest(freqs):
    # max-heap by mistake: merges the two MOST frequent subtrees first
    heap = [(-float(f), w, w) for w, f in enumerate(freqs)]
    heapq.heapify(heap)
    k = len(freqs)
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        heapq.heappush(heap, (a[0] + b[0], k, (a[2], b[2])))
        k += 1
    codes = [None] * len(freqs)
    stack = [(heap[0][2], [])]
    while stack:
        node, pre = stack.pop()
        if isinstance(node, tuple):
            stack += [(node[0], pre + [0]), (node[1], pre + [1])]
        else:
            codes[node] = pre
    return codes


def huffman_shannon_fano(freqs):
    f = np.asarray(freqs, dtype=np.float64)
    codes = [[] for _ in range(f.size)]

    def split(ws, prefix):  # top-down: sort by frequency, cut where the two halves' totals are closest
        if len(ws) == 1:
            codes[ws[0]] = prefix
            return
        tot, acc, best, cut = f[ws].sum(), 0.0, np.inf, 1
        for i in range(1, len(ws)):
            acc += f[ws[i - 1]]
            if abs(tot - 2 * acc) < best:
                best, cut = abs(tot - 2 * acc), i
        split(ws[:cut], prefix + [0])
        split(ws[cut:], prefix + [1])

    split(sorted(range(f.size), key=lambda w: -f[w]), [])
    return codes


def hs_bits_swapped(v_c, node_vecs, codes, paths):
    return R.hs_probabilities(v_c, node_vecs, [[1 - b for b in c] for c in codes], paths)  # bit 0 takes 1 - σ


def hs_node_by_depth(v_c, node_vecs, codes, paths):
    # uses the depth as the node id: right only for the root
    return R.hs_probabilities(v_c, node_vecs, codes, [list(range(len(p))) for p in paths])


def hs_sum_not_product(v_c, node_vecs, codes, paths):
    u = np.asarray(node_vecs) @ np.asarray(v_c)
    sig = 1 / (1 + np.exp(-u))
    out = np.array([np.mean([sig[n] if b == 0 else 1 - sig[n] for b, n in zip(c, p)]) for c, p in zip(codes, paths)])
    return out / out.sum()  # renormalised: still sums to 1


MUTANTS = [
    Mutant("hsoftmax.huffman_codes", "balanced tree, frequencies ignored", huffman_balanced),
    Mutant("hsoftmax.huffman_codes", "fixed-length block code", huffman_fixed_length),
    Mutant("hsoftmax.huffman_codes", "merges the most frequent subtrees", huffman_merges_largest),
    Mutant("hsoftmax.huffman_codes", "Shannon-Fano instead of Huffman", huffman_shannon_fano, oracle="algorithm:heapq-huffman"),
    Mutant("hsoftmax.hs_probabilities", "bit meanings swapped", hs_bits_swapped),
    Mutant("hsoftmax.hs_probabilities", "node id taken as the depth", hs_node_by_depth),
    Mutant("hsoftmax.hs_probabilities", "mean of the branch probabilities, renormalised", hs_sum_not_product),
]
