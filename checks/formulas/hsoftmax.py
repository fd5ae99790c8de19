"""hsoftmax.* -- Huffman codes and hierarchical-softmax probabilities (notes 002 §9 wordvec).

huffman_codes: any optimal code is accepted, so codes are never compared for
equality: the result must be a prefix-free binary code meeting Kraft's
equality (Σ 2^-len = 1) whose expected length equals that of an independent
heap-built Huffman code, and it must lie within Shannon's bound H <= L < H+1.
Frequency ties are drawn on purpose.

hs_probabilities: valid trees are drawn (a random full binary tree with V
leaves and V-1 inner nodes, root = node 0, the other inner ids shuffled,
paths root first); the result equals a torch rebuild and sums to 1.
"""

from __future__ import annotations

import reference.hsoftmax as ref
from checks.core.compare import Tol
from checks.formulas import Strategies, moved
from checks.judges.huffman import _codes_compare
from checks.judges.probability import _sums_to_one
from checks.oracles.hsoftmax import _oracle_codes, _shannon_oracle, _torch_hs
from checks.registry import Formula, Oracle, Source, register


S = Strategies("hsoftmax")

_Q9 = "该树是根据词频建立的 huffman 编码树，所有词都是叶子节点，对应一条路径。高频词路径短。"


register(Formula(
    id="hsoftmax.huffman_codes",
    source=Source("002", "§9 wordvec, 层级化 softmax (l. 481)", "Huffman tree by word frequency: frequent words get short paths", _Q9),
    reference=ref.huffman_codes,
    strategy=S.freq_cases,
    outputs=("codes",),
    oracles=(
        Oracle("algorithm:heapq-huffman", _oracle_codes,
               description="an independent heap-built Huffman code's Σ freq·len; the result must be prefix-free, "
                           "meet Kraft's equality and reach that cost (any optimal tie-break)"),
        Oracle("algorithm:shannon-bound", _shannon_oracle,
               description="H <= L < H + 1 for the expected length L (a value-kind oracle: the reference's "
                           "code lengths must not serve as the template)"),
    ),
    compare=_codes_compare,
    points=2, tol=Tol(rtol=1e-12, atol=1e-12),
    summary="V 2..12 with frequency ties; any optimal code accepted",
))


register(Formula(
    id="hsoftmax.hs_probabilities",
    source=Source("002", "§9 wordvec, 层级化 softmax (l. 479)", "P(w|c) = Π_j σ(±node_vecs[n_j]·v_c)",
                  "从 v_c 到 v_i 的概率 $P(v_i|v_c)$ 是该路径上一系列概率的相乘。"),
    reference=ref.hs_probabilities,
    strategy=S.hs_cases,
    outputs=("p",),
    oracles=(
        Oracle("torch", _torch_hs, description="exp(Σ logsigmoid(±node·v_c)) along each route, in torch"),
        Oracle("property:sums-to-1", _sums_to_one, kind="property", description="Σ_w P(w|c) = 1, each in [0, 1]"),
    ),
    points=1, tol=Tol(rtol=1e-9, atol=1e-12),
    summary="valid random trees: V leaves, V-1 inner nodes, root 0, paths root first",
))

# names that lived here before the split (tests/test_*_extra.py, benchmarks/ import them from this module)
__getattr__ = moved("checks.strategies.hsoftmax", "checks.oracles.hsoftmax", "checks.judges.huffman")
