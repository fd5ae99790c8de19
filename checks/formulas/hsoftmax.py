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

import heapq
import numbers
from fractions import Fraction

import numpy as np

import reference.hsoftmax as ref
from checks.core.compare import Tol, Verdict, fail
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, st
from checks.oracles.torchlib import N, T, torch

# ---------------------------------------------------------------- strategies


@st.composite
def freq_cases(draw):
    regime = draw(st.sampled_from(["counts with ties", "near-uniform", "random", "near-uniform", "all equal", "dyadic",
                                   "skewed", "spread"]))
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


# ---------------------------------------------------------------- an independent Huffman code


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


class _Code(list):
    """The oracle's answer: V slots (any code lengths accepted), with the optimal codes and cost attached."""

    codes: list
    cost: float


def _oracle_codes(freqs):
    codes = _heap_huffman(freqs)
    out = _Code([None] * len(codes))
    out.codes = codes
    out.cost = float(sum(float(w) * len(c) for w, c in zip(np.asarray(freqs), codes)))
    return out


def _as_codes(actual, V: int, fn: str) -> list[list[int]]:
    __tracebackhide__ = True
    out = []
    for w, c in enumerate(actual):
        if isinstance(c, np.ndarray) and c.ndim == 1 and c.dtype.kind in "iu":
            c = c.tolist()
        if not isinstance(c, (list, tuple)):
            fail(Verdict.WRONG_TYPE, f"{fn} -> codes[{w}]: expected a list of 0/1 ints, got {type(c).__name__}")
        for b in c:
            if isinstance(b, (bool, np.bool_)) or not isinstance(b, (numbers.Integral, np.integer)):
                fail(Verdict.WRONG_TYPE, f"{fn} -> codes[{w}]: expected 0/1 ints, got {b!r} ({type(b).__name__})")
            if int(b) not in (0, 1):
                fail(Verdict.MISMATCH, f"{fn} -> codes[{w}] = {list(c)}: bits must be 0 or 1")
        out.append([int(b) for b in c])
    return out


def _huffman_compare(case, actual, expected, tol, fn):
    """Prefix-free, Kraft's equality, and the optimal expected length (any optimal code accepted)."""
    freqs = np.asarray(case.args[0], dtype=np.float64)
    codes = _as_codes(actual, freqs.size, fn)
    for w, c in enumerate(codes):
        if not c:
            fail(Verdict.MISMATCH, f"{fn} -> codes[{w}] is empty: with V >= 2 words every code needs at least one bit")
    by_str = sorted(("".join(map(str, c)), w) for w, c in enumerate(codes))
    for (a, wa), (b, wb) in zip(by_str, by_str[1:]):
        if b.startswith(a):
            fail(Verdict.MISMATCH, f"{fn}: not prefix-free: codes[{wa}] = {a} is a prefix of codes[{wb}] = {b}")
    kraft = sum(Fraction(1, 2 ** len(c)) for c in codes)
    if kraft != 1:
        fail(Verdict.MISMATCH, f"{fn}: Kraft sum Σ 2^-len = {float(kraft)!r}, not 1: the code tree has unused "
             f"branches, so some code could be shorter (lengths {[len(c) for c in codes]})")
    cost = float(sum(f * len(c) for f, c in zip(freqs, codes)))
    if not cost <= expected.cost * (1 + 1e-12) + 1e-12:
        fail(Verdict.MISMATCH, f"{fn}: not optimal: Σ freq·len = {cost!r} with lengths {[len(c) for c in codes]}; "
             f"a Huffman code reaches {expected.cost!r} (e.g. {expected.codes}); any code of that cost is accepted")
    if cost < expected.cost * (1 - 1e-9):  # below the optimum: impossible for a prefix code; our bug
        raise AssertionError(f"huffman oracle: a prefix code of cost {cost} beats the 'optimal' {expected.cost}")


class _Shannon(list):
    """The Shannon oracle's answer: V slots (any code lengths accepted); the compare checks the bound."""


def _shannon_oracle(freqs):
    return _Shannon([None] * np.asarray(freqs).size)


def _shannon_bound(case, actual, fn):
    """H <= L < H + 1 with L = Σ p_w len_w, H = −Σ p_w log2 p_w (Shannon's source coding bound)."""
    f = np.asarray(case.args[0], dtype=np.float64)
    p = f / f.sum()
    codes = _as_codes(actual, f.size, fn)
    L = float(sum(pi * len(c) for pi, c in zip(p, codes)))
    H = float(-(p * np.log2(p)).sum())
    if not (H - 1e-9 <= L < H + 1 - 1e-12):
        fail(Verdict.PROPERTY, f"{fn}: expected code length L = {L!r} breaks Shannon's bound "
             f"H <= L < H + 1 with H = {H!r} (lengths {[len(c) for c in codes]})")


def _codes_compare(case, actual, expected, tol, fn):
    """The code oracles return V slots, not codes (a different optimal code may have other lengths)."""
    __tracebackhide__ = True
    if isinstance(expected, _Shannon):
        _shannon_bound(case, actual, fn)
    else:
        _huffman_compare(case, actual, expected, tol, fn)


# ---------------------------------------------------------------- hs_probabilities


def _torch_hs(v_c, node_vecs, codes, paths):
    t = torch()
    u = T(node_vecs) @ T(v_c)
    out = []
    for c, p in zip(codes, paths):
        sign = t.tensor([1.0 if b == 0 else -1.0 for b in c])
        out.append(t.exp(torch().nn.functional.logsigmoid(sign * u[list(p)]).sum()))
    return N(t.stack(out))


def _sums_to_one(case, probs):
    """Over a full binary tree the word probabilities sum to 1 (σ(x) + σ(−x) = 1 at every inner node)."""
    s = float(np.sum(probs))
    if not abs(s - 1.0) <= 1e-9:
        fail(Verdict.PROPERTY, f"hs_probabilities: the probabilities sum to {s!r}, not 1 "
             "(at every inner node bit 0 has σ(node·v_c) and bit 1 the rest)")
    if np.any(np.asarray(probs) < 0) or np.any(np.asarray(probs) > 1):
        fail(Verdict.PROPERTY, f"hs_probabilities: probabilities outside [0, 1]: {np.asarray(probs).tolist()}")


# ---------------------------------------------------------------- entries

_Q9 = "该树是根据词频建立的 huffman 编码树，所有词都是叶子节点，对应一条路径。高频词路径短。"

register(Formula(
    id="hsoftmax.huffman_codes",
    source=Source("002", "§9 wordvec, 层级化 softmax (l. 481)", "Huffman tree by word frequency: frequent words get short paths", _Q9),
    reference=ref.huffman_codes,
    strategy=freq_cases,
    outputs=("codes",),
    oracles=(
        Oracle("algorithm:heapq-huffman", _oracle_codes,
               description="an independent heap-built Huffman code's Σ freq·len; the result must be prefix-free, "
                           "meet Kraft's equality and reach that cost (any optimal tie-break)"),
        Oracle("property:shannon-bound", _shannon_oracle,
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
    strategy=hs_cases,
    outputs=("p",),
    oracles=(
        Oracle("torch", _torch_hs, description="exp(Σ logsigmoid(±node·v_c)) along each route, in torch"),
        Oracle("property:sums-to-1", _sums_to_one, kind="property", description="Σ_w P(w|c) = 1, each in [0, 1]"),
    ),
    points=1, tol=Tol(rtol=1e-9, atol=1e-12),
    summary="valid random trees: V leaves, V-1 inner nodes, root 0, paths root first",
))
