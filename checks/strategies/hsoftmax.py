"""Input strategies of hsoftmax.* (Hypothesis).

Case strategies are named ``<what>_cases``; hard regimes are a module-level
``REGIMES`` tuple of names, drawn with ``st.sampled_from`` (a repeated name is a larger share).
"""

from __future__ import annotations

import numpy as np

from checks.judges.huffman import _heap_huffman
from checks.oracles.hsoftmax import _paths_of
from checks.strategies import Case, array, st

FREQ_REGIMES = ("counts with ties", "near-uniform", "random", "near-uniform", "all equal", "dyadic", "skewed", "spread")


@st.composite
def freq_cases(draw):
    regime = draw(st.sampled_from(FREQ_REGIMES))
    V = draw(st.sampled_from([6, 8, 10, 12, 7, 9] if regime == "near-uniform" else [2, 3, 4, 5, 6, 8, 7, 10, 12]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if regime == "counts with ties":  # small integer counts: many ties, many optimal codes
        f = rng.choice([1.0, 1.0, 2.0, 3.0, 5.0], size=V)
    elif regime == "near-uniform":  # frequencies within a factor 2: top-down splits (Shannon-Fano) lose here
        f = rng.uniform(1.0, 2.0, size=V)
    elif regime == "random":
        f = draw(array((V,), 0.01, 100.0))
    elif regime == "all equal":
        f = np.full(V, draw(st.sampled_from([1.0, 0.1, 7.0])))
    elif regime == "dyadic":  # probabilities 2^-k: H = L exactly, the Shannon bound is tight
        k = list(range(1, V)) + [V - 1]
        f = np.array([2.0 ** -i for i in k])[rng.permutation(V)]
    elif regime == "skewed":  # Fibonacci-like: the deepest Huffman tree, lengths up to V-1
        f = np.array([float(x) for x in _fib(V)])[rng.permutation(V)]
    else:  # frequencies over six orders of magnitude
        f = 10.0 ** rng.uniform(-3, 3, size=V)
    return Case((f,))


def _fib(n):
    a, b, out = 1, 1, []
    for _ in range(n):
        out.append(a)
        a, b = b, a + b
    return out


def random_tree(rng, V: int):
    """codes, paths of a random full binary tree: V word leaves, V-1 inner nodes, root id 0, the other
    inner ids a random permutation of 1..V-2, bit 0 = left child, paths root first."""
    items = list(range(V))  # ("w", id) leaves as ints >= 0; inner nodes as ("n", k)
    kids = []  # kids[k] = (left, right) of the k-th merge
    nodes = [("w", w) for w in items]
    while len(nodes) > 1:
        i, j = sorted(rng.choice(len(nodes), size=2, replace=False))
        b, a = nodes.pop(j), nodes.pop(i)
        if rng.random() < 0.5:
            a, b = b, a
        kids.append((a, b))
        nodes.append(("n", len(kids) - 1))
    ids = {V - 2: 0}  # the last merge is the root
    for k, nid in zip(range(V - 2), rng.permutation(np.arange(1, V - 1)) if V > 2 else []):
        ids[k] = int(nid)
    codes, paths = [None] * V, [None] * V
    stack = [(nodes[0], [], [])]
    while stack:
        (kind, x), code, path = stack.pop()
        if kind == "w":
            codes[x], paths[x] = code, path
        else:
            left, right = kids[x]
            stack.append((left, code + [0], path + [ids[x]]))
            stack.append((right, code + [1], path + [ids[x]]))
    return codes, paths


@st.composite
def hs_cases(draw):
    V = draw(st.sampled_from([4, 5, 6, 8, 2, 3]))
    E = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.sampled_from([True, True, False])):
        codes, paths = random_tree(rng, V)
    else:  # a Huffman tree of random counts, its inner ids numbered from the root (the word2vec setting)
        codes, paths = _paths_of(_heap_huffman(rng.choice([1.0, 2.0, 3.0, 8.0], size=V)))
    hi = draw(st.sampled_from([1.0, 3.0, 10.0]))  # 10: scores up to 400, some σ saturate
    if draw(st.sampled_from([True, True, False])):  # distinct node vectors (Hypothesis' arrays repeat one value)
        v_c, W = rng.uniform(-hi, hi, size=E), rng.uniform(-hi, hi, size=(V - 1, E))
    else:
        v_c, W = draw(array((E,), -hi, hi)), draw(array((V - 1, E), -hi, hi))
    return Case((v_c, W, codes, paths))
