import math

import numpy as np

from tests.heldout import Heldout


def hs_bits_flipped(v_c, node_vecs, codes, paths):
    p = np.ones(len(codes))
    for w, (code, path) in enumerate(zip(codes, paths)):
        for bit, node in zip(code, path):
            u = float(np.dot(node_vecs[node], v_c))
            sgn = 1.0 if bit == 1 else -1.0                      # bit 1 taken as the + branch
            p[w] *= 1.0 / (1.0 + math.exp(-sgn * u))
    return p


def huffman_equal_lengths(freqs):
    V = len(freqs)
    L = max(1, math.ceil(math.log2(V)))
    return [[(w >> (L - 1 - j)) & 1 for j in range(L)] for w in range(V)]  # a block code, frequencies unused


HELDOUT = [
    Heldout("hsoftmax.hs_probabilities", "bit 1 = positive branch", hs_bits_flipped, "hsoftmax.hs_probabilities:hs_bits_swapped"),
    Heldout("hsoftmax.huffman_codes", "fixed-length code", huffman_equal_lengths, "hsoftmax.huffman_codes:huffman_fixed_length"),
]
