"""Hierarchical softmax over a Huffman tree (notes 002 §9 wordvec).

Notes 002 §9: "对于层级化 softmax ... 从 v_c 到 v_i 的概率 P(v_i|v_c) 是该路径上一系列
概率的相乘。每个节点处的概率可以看作由一个二分类器得出，该二分类器向量的参数是 node 的
vector ... 该树是根据词频建立的 huffman 编码树，所有词都是叶子节点，对应一条路径。高频词路径短。"

A tree with V leaves (the words) has V−1 inner nodes, with ids 0..V−2 (the
root is 0 in the trees the checks draw, though nothing here relies on it).
Word w's route is ``paths[w]`` (inner-node ids, root first) and ``codes[w]``
(the bit taken at each of them). Bit 0 at node n has probability
σ(node_vecs[n]·v_c), bit 1 the rest, σ(−node_vecs[n]·v_c).
:func:`hs_log_prob_grad` is reference-only (not in the student contract).
"""

from __future__ import annotations

import heapq

import numpy as np


def huffman_codes(freqs):
    r"""An optimal prefix-free binary code for the frequencies (Huffman, 1952).

    Repeatedly merge the two least frequent subtrees (a heap; ties by
    creation order); the first popped gets bit 0, the second bit 1. The
    result minimises the expected length L = Σ_w f_w |code_w| / Σ f, with
    H ≤ L < H + 1 (Shannon) and Kraft's equality Σ 2^{−|code_w|} = 1.
    freqs (V,) positive, V >= 2. Returns a list of V codes (lists of 0/1 ints).
    """
    f = np.asarray(freqs, dtype=np.float64)
    if f.ndim != 1 or f.size < 2:
        raise ValueError(f"freqs must be a 1-d array of V >= 2 frequencies, got shape {f.shape}")
    if not (np.all(np.isfinite(f)) and np.all(f > 0)):
        raise ValueError(f"freqs must be finite and positive, got {f.tolist()}")
    V = f.size
    # heap items: (weight, creation counter, node); node = word id (int) or (left, right)
    heap = [(float(f[w]), w, w) for w in range(V)]
    heapq.heapify(heap)
    counter = V
    while len(heap) > 1:
        w0, _, a = heapq.heappop(heap)
        w1, _, b = heapq.heappop(heap)
        heapq.heappush(heap, (w0 + w1, counter, (a, b)))
        counter += 1
    codes: list[list[int]] = [[] for _ in range(V)]
    stack = [(heap[0][2], [])]
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, tuple):
            stack.append((node[0], prefix + [0]))
            stack.append((node[1], prefix + [1]))
        else:
            codes[node] = prefix
    return codes


def _route(v_c, node_vecs, codes, paths):
    v = np.asarray(v_c, dtype=np.float64)
    W = np.asarray(node_vecs, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"v_c must be 1-d (E,), got shape {v.shape}")
    if W.ndim != 2 or W.shape[1] != v.size:
        raise ValueError(f"node_vecs must have shape (V-1, E) with E = {v.size}, got {W.shape}")
    V = W.shape[0] + 1
    if len(codes) != V or len(paths) != V:
        raise ValueError(f"codes and paths need V = node_vecs.shape[0] + 1 = {V} entries, got {len(codes)} and {len(paths)}")
    for w, (c, p) in enumerate(zip(codes, paths)):
        if len(c) != len(p) or len(c) == 0:
            raise ValueError(f"word {w}: code {list(c)} and path {list(p)} must be non-empty and of equal length")
        if any(int(b) not in (0, 1) for b in c) or any(not 0 <= int(n) < V - 1 for n in p):
            raise ValueError(f"word {w}: code bits must be 0/1 and path ids in [0, {V - 1}), got {list(c)}, {list(p)}")
    return v, W


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)  # log σ(x), finite for every finite x


def hs_probabilities(v_c, node_vecs, codes, paths):
    r"""P(w | c) for every word w: the product of the binary decisions on w's route.

    .. math:: P(w\mid c) = \prod_{j} \sigma\big(s_j\, \text{node\_vecs}[n_j]\cdot v_c\big),
              \quad s_j = +1 \text{ for bit } 0,\ -1 \text{ for bit } 1

    (notes 002 §9: "P(v_i|v_c) 是该路径上一系列概率的相乘"); computed as
    exp(Σ log σ) so no factor underflows early. Sums to 1 over a full tree.
    Returns (V,).
    """
    v, W = _route(v_c, node_vecs, codes, paths)
    u = W @ v  # one score per inner node
    out = np.empty(W.shape[0] + 1, dtype=np.float64)
    for w, (c, p) in enumerate(zip(codes, paths)):
        s = np.where(np.asarray(c, dtype=np.int64) == 0, 1.0, -1.0)
        out[w] = np.exp(_log_sigmoid(s * u[np.asarray(p, dtype=np.int64)]).sum())
    return out


def hs_log_prob_grad(v_c, node_vecs, code, path):
    r"""log P(w | c) for one word's route, and its gradient w.r.t. v_c and node_vecs.

    .. math:: \log P = \sum_j \log\sigma(s_j u_j),\quad u_j = \text{node\_vecs}[n_j]\cdot v_c,\quad
              \frac{\partial \log P}{\partial v_c} = \sum_j s_j\,\sigma(-s_j u_j)\,\text{node\_vecs}[n_j],\quad
              \frac{\partial \log P}{\partial \text{node\_vecs}[n_j]} = s_j\,\sigma(-s_j u_j)\, v_c

    (d log σ(x)/dx = 1 − σ(x) = σ(−x); the word2vec update of the notes'
    node vectors and input vector). Only the nodes on the route get a
    gradient. Reference-only. Returns (log_p, dv_c (E,), dnode_vecs (V−1,E)).
    """
    v = np.asarray(v_c, dtype=np.float64)
    W = np.asarray(node_vecs, dtype=np.float64)
    if v.ndim != 1 or W.ndim != 2 or W.shape[1] != v.size:
        raise ValueError(f"v_c (E,) and node_vecs (V-1,E) must agree: got {v.shape} and {W.shape}")
    c = np.asarray(code, dtype=np.int64)
    p = np.asarray(path, dtype=np.int64)
    if c.shape != p.shape or c.ndim != 1 or c.size == 0:
        raise ValueError(f"code and path must be non-empty and of equal length: got {list(code)}, {list(path)}")
    s = np.where(c == 0, 1.0, -1.0)
    u = W[p] @ v
    g = s * np.exp(_log_sigmoid(-s * u))  # s_j σ(−s_j u_j)
    dW = np.zeros_like(W)
    np.add.at(dW, p, g[:, None] * v[None, :])  # a node may repeat only in a malformed route; add anyway
    return float(_log_sigmoid(s * u).sum()), g @ W[p], dW
