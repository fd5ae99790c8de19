"""Audit of notes 002 (study notes), ``002_1feb5fa5caddec6d.md``:
§8 S2S beam search (and the cost of exhaustive search) and §9 wordvec
hierarchical softmax (the path product, the average path length, short paths
for frequent words)."""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np

from checks.audit.common import EXACT, TIGHT, R, ints, ref, sigmoid, softmax
from checks.audit.model import FILES, collector, Tol, Truth
from checks.strategies import Case, array, st
from checks.oracles.torchlib import T, torch

ENTRIES, entry = collector(FILES["002"])


# =====================================================================
# §8 beam search
# =====================================================================


@st.composite
def _beam_cases(draw):
    v, length, beam = draw(ints(2, 4)), draw(ints(1, 4)), draw(ints(1, 3))
    li = np.log(softmax(draw(array((v,), elements=st.integers(-3, 3).map(float)))))
    lt = np.log(softmax(draw(array((v, v), elements=st.integers(-3, 3).map(float))), axis=1))
    return Case((li, lt, length, beam))


def _beam_as_written(log_init, log_trans, length, beam):
    """选择概率最大的 K 个 y_{t-1}; 对每个, 得到下一个 y_t 的所有概率; 在所有 P(prefix)·P(y_t|y_{t-1}) 中选概率最高的 K 个序列; 重复; 选概率最高的序列."""
    V = log_init.size
    kept = sorted(((float(log_init[v]), [v]) for v in range(V)), key=lambda a: -a[0])[:beam]
    for _ in range(length - 1):
        cand = [(s + float(log_trans[seq[-1], v]), seq + [v]) for s, seq in kept for v in range(V)]
        kept = sorted(cand, key=lambda a: -a[0])[:beam]
    return kept[0][0]


def _exhaustive_when_wide(log_init, log_trans, length, beam):
    """Score of the reference's beam search (its sequence's log-probability)."""
    return float(R("beam_search")(log_init, log_trans, length, beam)[1])


entry(
    id="002.8.beam_search", location="§8 S2S, beam search (lines 439-451)",
    quote="每次输出的 y_{t-1} 中, 选择概率最大的两个 … 最后选 P(y_{t-1,biggest}) * P(y_t | y_{t-1,biggest}) 的所有序列, 和 … 的所有序列中, 概率最高的两个序列 … 重复 … 直到结束, 选概率最高的序列作为输出",
    claim="Beam search keeps the K most probable prefixes over all expansions at every step (K = 2 in the example).",
    as_written=_beam_as_written, correct=(Truth("reference.beam_search -> score", _exhaustive_when_wide),),
    strategy=lambda: _beam_cases(), tol=TIGHT,
    checked="V in 2..4 tokens, length 1..4, beam 1..3; log-probabilities from small integer logits (ties); the best scores compared",
    topics=("beam",),
)


def _exhaustive_count(V, L):
    return sum(1 for _ in itertools.product(range(V), repeat=L))


entry(
    id="002.8.exhaustive_cost", location="§8 (line 458)",
    quote="但穷举 P(y_t | y_{t-1}, …, y_1) 复杂度很高",
    claim="Exhaustive decoding must score every sequence: V^L of them, exponential in the length L.",
    as_written=lambda V, L: V ** L,
    correct=(Truth("enumeration of all sequences", _exhaustive_count),),
    strategy=lambda: st.tuples(ints(2, 4), ints(1, 5)).map(lambda a: Case(a)), tol=EXACT,
    checked="V in 2..4, L in 1..5", topics=("beam",),
)


# =====================================================================
# §9 hierarchical softmax
# =====================================================================


def huffman_tree(freqs):
    """Huffman tree: codes[w] (0/1 bits) and paths[w] (inner-node ids, root first); inner nodes numbered 0..V-2."""
    V = len(freqs)
    heap = [(float(f), w, ("leaf", w)) for w, f in enumerate(freqs)]
    heapq.heapify(heap)
    cnt, inner = V, []
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        node = ("inner", len(inner), a[2], b[2])
        inner.append(node)
        heapq.heappush(heap, (a[0] + b[0], cnt, node))
        cnt += 1
    root = heap[0][2]
    # renumber so that the root is 0
    order = {}
    codes, paths = [None] * V, [None] * V
    stack = [(root, [], [])]
    while stack:
        node, code, path = stack.pop()
        if node[0] == "leaf":
            codes[node[1]], paths[node[1]] = code, path
        else:
            nid = order.setdefault(node[1], len(order))
            stack.append((node[2], code + [0], path + [nid]))
            stack.append((node[3], code + [1], path + [nid]))
    return codes, paths


@st.composite
def _hs_cases(draw):
    v, e = draw(ints(2, 5)), draw(ints(1, 3))
    freqs = draw(array((v,), elements=st.integers(1, 9).map(float)))
    codes, paths = huffman_tree(freqs)
    return Case((draw(array((e,), -2, 2)), draw(array((v - 1, e), -2, 2)), codes, paths))


def _hs_as_written(v_c, node_vecs, codes, paths):
    # P(v_i | v_c) = Π over the path of the binary classifiers' probabilities (σ(node·v_c) for bit 0, 1 - σ for bit 1)
    out = []
    for code, path in zip(codes, paths):
        p = 1.0
        for bit, n in zip(code, path):
            s = float(sigmoid(node_vecs[n] @ v_c))
            p *= s if bit == 0 else 1 - s
        out.append(p)
    return np.array(out)


entry(
    id="002.9.hs_path_product", location="§9 wordvec, 层级化 softmax (line 479)",
    quote="从 v_c 到 v_i 的概率 P(v_i|v_c) 是该路径上一系列概率的相乘。每个节点处的概率可以看作由一个二分类器得出，该二分类器向量的参数是 node 的 vector",
    claim="A word's probability is the product of the binary decisions along its path (and the V probabilities sum to 1).",
    as_written=_hs_as_written,
    correct=(ref("hs_probabilities"),
             Truth("probabilities over the leaves sum to 1 (torch: prod of sigmoids)", lambda v, nv, codes, paths: _hs_torch(v, nv, codes, paths))),
    strategy=lambda: _hs_cases(), tol=TIGHT,
    checked="V in 2..5 words with integer frequencies 1..9 (Huffman tree), E in 1..3, vectors in [-2,2]",
    topics=("hsoftmax",),
)


def _hs_torch(v_c, node_vecs, codes, paths):
    tch = torch()
    s = tch.sigmoid(T(node_vecs) @ T(v_c))
    out = []
    for code, path in zip(codes, paths):
        p = tch.tensor(1.0)
        for bit, n in zip(code, path):
            p = p * (s[n] if bit == 0 else 1 - s[n])
        out.append(float(p))
    return np.array(out)


@st.composite
def _freq_cases(draw):
    v = draw(ints(2, 8))
    return Case((draw(array((v,), elements=st.integers(1, 20).map(float))),))


def _avg_path_truth(freqs):
    codes = R("huffman_codes")(freqs)
    p = freqs / freqs.sum()
    return float(sum(pi * len(c) for pi, c in zip(p, codes)))


entry(
    id="002.9.hs_average_path", location="§9 wordvec (line 481)",
    quote="平均路径长为 log|V| 。该树是根据词频建立的 huffman 编码树",
    claim="The average path length in the Huffman tree is log2|V|.",
    as_written=lambda freqs: math.log2(freqs.size),
    correct=(Truth("frequency-weighted mean code length of reference.huffman_codes", _avg_path_truth),),
    strategy=lambda: _freq_cases(), tol=Tol(rtol=0.0, atol=1e-9),
    checked="V in 2..8 words, integer frequencies 1..20",
    correction="The frequency-weighted average path length L of a Huffman tree satisfies H(p) ≤ L < H(p) + 1 (H the entropy of the word frequencies, in bits) and L ≤ ⌈log2|V|⌉; it equals log2|V| only for uniform frequencies with |V| a power of 2, and is far smaller for skewed (Zipfian) vocabularies, which is the point of using Huffman codes. Hierarchical softmax costs O(log|V|) per word in a balanced tree.",
    topics=("hsoftmax",),
)


def _freq_order_truth(freqs):
    codes = R("huffman_codes")(freqs)
    lens = [len(c) for c in codes]
    ok = all(lens[i] <= lens[j] for i in range(len(freqs)) for j in range(len(freqs)) if freqs[i] > freqs[j])
    prefix_free = not any(a != b and b[: len(a)] == a for a in codes for b in codes)
    return {"higher frequency -> path no longer": ok, "every word a leaf (prefix-free codes)": prefix_free}


entry(
    id="002.9.hs_frequent_short", location="§9 wordvec (line 481)",
    quote="所有词都是叶子节点，对应一条路径。高频词路径短。",
    claim="Every word is a leaf (prefix-free codes) and more frequent words have paths no longer than rarer ones.",
    as_written=lambda freqs: {"higher frequency -> path no longer": True, "every word a leaf (prefix-free codes)": True},
    correct=(Truth("properties of reference.huffman_codes", _freq_order_truth),),
    strategy=lambda: _freq_cases(), tol=EXACT, checked="V in 2..8 words, integer frequencies 1..20 (ties)",
    topics=("hsoftmax",),
)
