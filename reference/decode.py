"""Decoding a first-order model: beam search (notes 002 §8 S2S) and Viterbi (002 §11).

Both take log-probabilities indexed [previous, next]:
log P(y_1) = log_init[y_1], log P(y_t | y_{t-1}) = log_trans[y_{t-1}, y_t];
both return (sequence as a list of Python ints, its total log-prob as a float).
"""

from __future__ import annotations

import numbers

import numpy as np


def _int(v, name: str, lo: int) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    if int(v) < lo:
        raise ValueError(f"{name} must be >= {lo}, got {int(v)}")
    return int(v)


def _model(log_init, log_trans):
    li = np.asarray(log_init, dtype=np.float64)
    lt = np.asarray(log_trans, dtype=np.float64)
    if li.ndim != 1 or li.size == 0:
        raise ValueError(f"log_init must be a non-empty 1-d array (V,), got shape {li.shape}")
    if lt.shape != (li.size, li.size):
        raise ValueError(f"log_trans must have shape (V,V) = {(li.size, li.size)}, got {lt.shape}")
    return li, lt


def beam_search(log_init, log_trans, length, beam):
    r"""Beam search of width ``beam`` (notes 002 §8: "每次输出的 y_{t-1} 中, 选择概率最大的两个" for K=2).

    Step 1 keeps the ``beam`` best first tokens by log_init; every later step
    expands every kept prefix by every token, scores
    score(prefix) + log_trans[last, v], and keeps the ``beam`` best of all
    those expansions (over all prefixes together, not the best child of each).
    After ``length`` steps the best kept sequence is returned with its score
    .. math:: \log P(y) = \text{log\_init}[y_1] + \sum_{t\ge2} \text{log\_trans}[y_{t-1}, y_t]

    Ties at the cut-off are broken by the lower (prefix rank, token) -- any
    tie-break is allowed by the contract. Returns (list of ``length`` ints, float).
    """
    li, lt = _model(log_init, log_trans)
    length = _int(length, "length", 1)
    beam = _int(beam, "beam", 1)
    V = li.size
    order = np.argsort(-li, kind="stable")[:beam]
    seqs = [[int(v)] for v in order]
    scores = li[order]
    for _ in range(length - 1):
        cand = scores[:, None] + lt[[s[-1] for s in seqs], :]  # (B, V): every expansion
        flat = np.argsort(-cand.reshape(-1), kind="stable")[:beam]
        seqs = [seqs[f // V] + [int(f % V)] for f in flat]
        scores = cand.reshape(-1)[flat]
    best = int(np.argmax(scores))
    return seqs[best], float(scores[best])


def viterbi(log_init, log_trans, log_emit, obs):
    r"""Most probable state path of an HMM (notes 002 §11 HMM/CRF/维特比算法).

    .. math:: \delta_1(s) = \text{log\_init}[s] + \text{log\_emit}[s, o_1], \quad
              \delta_t(s) = \max_{r} \big(\delta_{t-1}(r) + \text{log\_trans}[r, s]\big) + \text{log\_emit}[s, o_t]

    with back-pointers ψ_t(s) = argmax_r; the path is read backwards from
    argmax_s δ_T(s). log_init (S,), log_trans (S,S) [previous, next],
    log_emit (S,O), obs a list (or 1-d int array) of observation ids.
    Returns (list of len(obs) states, the path's joint log-prob max_s δ_T(s)).
    """
    li, lt = _model(log_init, log_trans)
    le = np.asarray(log_emit, dtype=np.float64)
    S = li.size
    if le.ndim != 2 or le.shape[0] != S or le.shape[1] == 0:
        raise ValueError(f"log_emit must have shape (S,O) with S = {S}, O >= 1, got {le.shape}")
    o = np.asarray(obs)
    if o.ndim != 1 or o.size == 0 or (o.dtype.kind not in "iu" and not (o.dtype == object and all(
            isinstance(x, (numbers.Integral, np.integer)) and not isinstance(x, bool) for x in o))):
        raise ValueError(f"obs must be a non-empty list / 1-d array of ints, got {obs!r}")
    o = o.astype(np.int64)
    if o.min() < 0 or o.max() >= le.shape[1]:
        raise ValueError(f"obs values must be in [0, O) = [0, {le.shape[1]}), got {o.tolist()}")
    delta = li + le[:, o[0]]
    back = []
    for t in range(1, o.size):
        cand = delta[:, None] + lt  # [previous r, next s]
        psi = np.argmax(cand, axis=0)
        delta = cand[psi, np.arange(S)] + le[:, o[t]]
        back.append(psi)
    s = int(np.argmax(delta))
    score = float(delta[s])
    path = [s]
    for psi in reversed(back):
        s = int(psi[s])
        path.append(s)
    return path[::-1], score
