"""Correct implementations written differently from the reference get full marks.

Loops instead of vectorisation, other tie-breaks, other valid summation
orders, the one-pass variance: a check that failed any of these would give a
wrong grade. Each is run through every oracle of its formula, derandomized.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.judging import assert_full_marks



# ---------------------------------------------------------------- loops


def softmax_loops(z):
    out = np.empty_like(z, dtype=np.float64)
    for n in range(z.shape[0]):
        m = max(z[n])
        e = [np.exp(v - m) for v in z[n]]
        s = sum(reversed(e))  # another summation order
        out[n] = [v / s for v in e]
    return out


def cross_entropy_loops(z, labels):
    total = 0.0
    for n in range(z.shape[0]):
        m = z[n].max()
        total += m + np.log(np.sum(np.exp(z[n] - m))) - z[n, labels[n]]
    return total / z.shape[0]


def conv1x1_backward_loops(x, w, b, dy):
    n, cin, h, wd = x.shape
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for i, j in itertools.product(range(h), range(wd)):
        dx[:, :, i, j] = dy[:, :, i, j] @ w
        dw += dy[:, :, i, j].T @ x[:, :, i, j]
    return dx, dw, dy.sum(axis=(0, 2, 3))


def sigmoid_tanh_form(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def sigmoid_naive(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))  # overflow warning only: exp -> inf -> 0


# ---------------------------------------------------------------- other tie-breaks


def max_backward_last(x, dy):
    dx = np.zeros_like(x, dtype=np.float64)
    d = x.shape[1]
    idx = d - 1 - np.argmax(x[:, ::-1], axis=1)
    dx[np.arange(x.shape[0]), idx] = dy
    return dx


def max_backward_even_split(x, dy):
    is_max = x == x.max(axis=1, keepdims=True)
    return is_max / is_max.sum(axis=1, keepdims=True) * dy[:, None]


def relu_backward_half_at_zero(x, dy):
    return np.where(x > 0, dy, np.where(x == 0, 0.5 * dy, 0.0))


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


# ---------------------------------------------------------------- numerically different, mathematically equal


def batchnorm_forward_one_pass(x, gamma, beta, eps):
    mu = x.mean(0)
    var = (x * x).mean(0) - mu * mu  # E[x²] − E[x]²: the contract does not require "stable" here
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def layernorm_backward_one_pass(x, gamma, beta, eps, dy):
    d = x.shape[1]
    mu = x.mean(1, keepdims=True)
    var = (x * x).mean(1, keepdims=True) - mu * mu
    s = 1 / np.sqrt(var + eps)
    xh = (x - mu) * s
    g = dy * gamma
    dx = s / d * (d * g - g.sum(1, keepdims=True) - xh * (g * xh).sum(1, keepdims=True))
    return dx, (dy * xh).sum(0), dy.sum(0)


def huffman_flipped_bits(freqs):
    import reference

    return [[1 - b for b in c] for c in reference.huffman_codes(freqs)]


EQUIVALENT = [
    ("softmax.softmax", softmax_loops),
    ("softmax.cross_entropy", cross_entropy_loops),
    ("conv.conv1x1_backward", conv1x1_backward_loops),
    ("activations.sigmoid", sigmoid_tanh_form),
    ("activations.sigmoid", sigmoid_naive),
    ("reductions.max_backward", max_backward_last),
    ("reductions.max_backward", max_backward_even_split),
    ("activations.relu_backward", relu_backward_half_at_zero),
    ("decode.viterbi", viterbi_last_argmax),
    ("decode.beam_search", beam_search_random_ties),
    ("norm.batchnorm_forward", batchnorm_forward_one_pass),
    ("norm.layernorm_backward", layernorm_backward_one_pass),
    ("hsoftmax.huffman_codes", huffman_flipped_bits),
]


@pytest.mark.parametrize("formula_id, fn", [pytest.param(i, f, id=f"{i}-{f.__name__}") for i, f in EQUIVALENT])
def test_correct_but_different_implementation_gets_full_marks(formula_id, fn):
    assert_full_marks(formula_id, fn)
