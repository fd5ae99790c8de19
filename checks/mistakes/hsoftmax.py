"""Known mistakes of the hsoftmax formulas: wrong implementations, each with a description and a hint."""

import heapq

import numpy as np

import reference.hsoftmax as R


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


MISTAKES = [
    ('hsoftmax.huffman_codes', 'balanced tree, frequencies ignored', huffman_balanced,
        'The codes come from a balanced tree that ignores the frequencies.',
        'Huffman gives frequent words short codes: the tree depends on the frequencies.'),
    ('hsoftmax.huffman_codes', 'fixed-length block code', huffman_fixed_length,
        'Every word gets a code of the same length (a block code).',
        'An optimal code gives frequent words shorter codes.'),
    ('hsoftmax.huffman_codes', 'merges the most frequent subtrees', huffman_merges_largest,
        'The two MOST frequent subtrees are merged at each step instead of the two least frequent.',
        'Huffman merges the two smallest weights.'),
    ('hsoftmax.huffman_codes', 'Shannon-Fano instead of Huffman', huffman_shannon_fano,
        'The code is built top-down by Shannon-Fano splitting, which is not always optimal.',
        'Huffman builds bottom-up by merging the two least frequent subtrees.',
        {'oracle': 'algorithm:heapq-huffman'}),
    ('hsoftmax.hs_probabilities', 'bit meanings swapped', hs_bits_swapped,
        'The meanings of bit 0 and bit 1 are swapped (bit 1 taken as the positive branch).',
        'In the contract bit 0 gives σ(+u) and bit 1 gives σ(−u).'),
    ('hsoftmax.hs_probabilities', 'node id taken as the depth', hs_node_by_depth,
        'The node vector is picked by the depth instead of by the node id of the path.',
        'paths[w][j] names the node at step j: use it to index node_vecs.'),
    ('hsoftmax.hs_probabilities', 'mean of the branch probabilities, renormalised', hs_sum_not_product,
        'The branch probabilities are averaged (and renormalised) instead of multiplied.',
        'The probability of a route is the product of its decisions.'),
]


# ---------------------------------------------------------------- added by the adversarial review


def huffman_lengths_with_rank_bits(freqs):
    """Huffman's (optimal) lengths, but each code is the binary of the word's rank among the words of
    its length: Kraft's equality holds, the code is not prefix-free."""
    seen: dict = {}
    out = []
    for c in R.huffman_codes(freqs):
        r = seen.get(len(c), 0)
        seen[len(c)] = r + 1
        out.append([int(b) for b in format(r, f"0{len(c)}b")])
    return out


def huffman_bits_leaf_to_root(freqs):
    """Bits collected walking up from the leaf and never reversed (suffix-free, not prefix-free)."""
    return [c[::-1] for c in R.huffman_codes(freqs)]


def huffman_sorted_once(freqs):
    """Sorts once, then always merges the first two and appends the merged node at the END of the list."""
    items = sorted([(float(f), (w,)) for w, f in enumerate(freqs)], key=lambda t: t[0])
    codes = [[] for _ in items]
    while len(items) > 1:
        (w0, l0), (w1, l1) = items[0], items[1]
        for w in l0:
            codes[w].insert(0, 0)
        for w in l1:
            codes[w].insert(0, 1)
        items = items[2:] + [(w0 + w1, l0 + l1)]
    return codes


def huffman_merged_weight_max(freqs):
    """The merged node pushed back with max(w0, w1) instead of w0 + w1."""
    heap = [(float(f), w, (w,)) for w, f in enumerate(freqs)]
    heapq.heapify(heap)
    codes = [[] for _ in heap]
    k = len(heap)
    while len(heap) > 1:
        w0, _, l0 = heapq.heappop(heap)
        w1, _, l1 = heapq.heappop(heap)
        for w in l0:
            codes[w].insert(0, 0)
        for w in l1:
            codes[w].insert(0, 1)
        heapq.heappush(heap, (max(w0, w1), k, l0 + l1))
        k += 1
    return codes


def hs_code_read_backwards(v_c, node_vecs, codes, paths):
    """The code read leaf first against the root-first path."""
    return R.hs_probabilities(v_c, node_vecs, [list(c)[::-1] for c in codes], paths)


def hs_bit1_complement_only_if_positive(v_c, node_vecs, codes, paths):
    """Bit 1 takes 1 - σ(u) only where u > 0, σ(u) elsewhere."""
    u = np.asarray(node_vecs) @ np.asarray(v_c)
    sig = 1 / (1 + np.exp(-u))
    return np.array([np.prod([sig[n] if b == 0 or u[n] <= 0 else 1 - sig[n] for b, n in zip(c, p)])
                     for c, p in zip(codes, paths)])


MISTAKES += [
    ('hsoftmax.huffman_codes', 'optimal lengths, rank bits (not prefix-free)', huffman_lengths_with_rank_bits,
        'The code lengths are optimal but the bits are assigned by rank, so the code is not prefix-free.',
        'Read the bits off the merge tree: no code may be a prefix of another.'),
    ('hsoftmax.huffman_codes', 'bits leaf to root (not reversed)', huffman_bits_leaf_to_root,
        'The bits are listed from the leaf up to the root instead of from the root down.',
        'A code is read from the root: reverse what you collect while climbing.'),
    ('hsoftmax.huffman_codes', 'sorted once, merged node appended at the end', huffman_sorted_once,
        'The weights are sorted once and merged nodes appended at the end, so later merges do not pick the smallest.',
        'After each merge the new node must compete again with the rest: a heap keeps them ordered.'),
    ('hsoftmax.huffman_codes', 'merged weight max(w0, w1)', huffman_merged_weight_max,
        'A merged node gets the weight max(w0, w1) instead of w0 + w1.',
        "A subtree's weight is the total frequency of its leaves."),
    ('hsoftmax.hs_probabilities', 'code read leaf first', hs_code_read_backwards,
        'The code is read from its last bit first.',
        'codes[w][j] belongs with paths[w][j]: walk them together from the root.'),
    ('hsoftmax.hs_probabilities', 'bit 1 complemented only where u > 0', hs_bit1_complement_only_if_positive,
        "Bit 1's complement σ(−u) is used only where u > 0.",
        'A bit-1 decision is always σ(−u), whatever the sign of u.'),
]
