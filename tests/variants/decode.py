"""Correct implementations of the decode group written differently from the reference."""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from tests.variants import Variant


def viterbi_last_argmax(log_init, log_trans, log_emit, obs):
    obs = list(obs)
    S = len(log_init)
    delta = log_init + log_emit[:, obs[0]]
    back = []
    for o in obs[1:]:
        cand = delta[:, None] + log_trans
        psi = S - 1 - np.argmax(cand[::-1], axis=0)  # the LAST best predecessor
        delta = cand[psi, np.arange(S)] + log_emit[:, o]
        back.append(psi)
    s = int(S - 1 - np.argmax(delta[::-1]))
    score = delta[s]
    path = [s]
    for psi in reversed(back):
        s = int(psi[s])
        path.append(s)
    return tuple(np.int64(p) for p in path[::-1]), np.float64(score)


def beam_search_random_ties(log_init, log_trans, length, beam, _rng=np.random.default_rng(0)):
    V = len(log_init)
    noise = _rng.permutation(V)  # a random tie-break order
    order = sorted(range(V), key=lambda v: (-log_init[v], noise[v]))[:beam]
    beams = [([v], log_init[v]) for v in order]
    for _ in range(length - 1):
        cand = [(s + [v], sc + log_trans[s[-1], v]) for s, sc in beams for v in range(V)]
        _rng.shuffle(cand)
        cand.sort(key=lambda c: -c[1])
        beams = cand[:beam]
    best = max(beams, key=lambda c: c[1])
    return best[0], best[1]


def beam_heapq(log_init, log_trans, length, beam):
    """heapq.nlargest on (score, sequence): ties broken by the larger sequence; a tuple of np.int64, np.float64."""
    V = len(log_init)
    beams = heapq.nlargest(beam, [(float(log_init[v]), (v,)) for v in range(V)])
    for _ in range(length - 1):
        beams = heapq.nlargest(beam, [(sc + float(log_trans[s[-1], v]), s + (v,)) for sc, s in beams for v in range(V)])
    sc, s = max(beams)
    return tuple(np.int64(v) for v in s), np.float64(sc)


def beam_latest_ties(log_init, log_trans, length, beam):
    """Cut-off ties go to the LATEST candidates; the sequence as an int64 array, the score a 0-d array."""
    V = log_init.size
    order = np.argsort(log_init, kind="stable")[::-1][:beam]
    seqs, scores = [[int(v)] for v in order], log_init[order]
    for _ in range(length - 1):
        cand = (scores[:, None] + log_trans[[s[-1] for s in seqs]]).reshape(-1)
        flat = np.argsort(cand, kind="stable")[::-1][:beam]
        seqs, scores = [seqs[f // V] + [int(f % V)] for f in flat], cand[flat]
    b = len(scores) - 1 - int(np.argmax(scores[::-1]))
    return np.array(seqs[b], dtype=np.int64), np.asarray(scores[b])


def viterbi_brute_last(log_init, log_trans, log_emit, obs):
    """Brute force over all paths, the LAST optimal path in lexicographic order."""
    o = [int(v) for v in obs]
    best = None
    for p in itertools.product(range(log_init.size), repeat=len(o)):
        sc = log_init[p[0]] + log_emit[p[0], o[0]] + sum(log_trans[a, b] + log_emit[b, x] for a, b, x in zip(p, p[1:], o[1:]))
        if best is None or sc >= best[1]:
            best = (list(p), sc)
    return best


def viterbi_array_path(log_init, log_trans, log_emit, obs):
    """Back-pointer table (T, S), path as an int64 array, score a numpy float."""
    o = np.asarray(obs)
    S = log_init.size
    delta = log_init + log_emit[:, o[0]]
    back = np.zeros((len(o), S), dtype=np.int64)
    for t in range(1, len(o)):
        cand = delta[:, None] + log_trans
        back[t] = cand.argmax(axis=0)
        delta = cand[back[t], np.arange(S)] + log_emit[:, o[t]]
    path = np.zeros(len(o), dtype=np.int64)
    path[-1] = delta.argmax()
    for t in range(len(o) - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path, delta[path[-1]]


VARIANTS = [
    Variant("decode.viterbi", "the last best predecessor", viterbi_last_argmax),
    Variant("decode.beam_search", "a random tie-break order", beam_search_random_ties),
    Variant("decode.beam_search", "heapq.nlargest, a tuple of np.int64", beam_heapq),
    Variant("decode.beam_search", "the latest candidates at a tie, an int64 array, a 0-d score", beam_latest_ties),
    Variant("decode.viterbi", "brute force, the last optimal path", viterbi_brute_last),
    Variant("decode.viterbi", "a back-pointer table, an int64 array", viterbi_array_path),
]
