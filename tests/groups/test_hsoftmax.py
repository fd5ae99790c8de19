"""hsoftmax: the gradient of log P(w|c) against autograd, the drawn trees are valid, the Huffman
checks accept every optimal code and reject suboptimal or malformed ones, and the Huffman oracle
agrees with a brute-force optimum.

``hs_log_prob_grad`` is reference-only (not in the student contract).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

import reference.hsoftmax as ref
from checks import registry
from checks.run.check import check, local_caller
from checks.formulas.hsoftmax import _heap_huffman, _paths_of, random_tree
from checks.oracles.torchlib import N, T, torch


def _cost(freqs, codes):
    return float(sum(f * len(c) for f, c in zip(freqs, codes)))


# ---------------------------------------------------------------- trees


@pytest.mark.parametrize("V", [2, 3, 4, 5, 8, 13])
def test_random_tree_is_a_valid_full_binary_tree(V):
    rng = np.random.default_rng(V)
    for _ in range(20):
        codes, paths = random_tree(rng, V)
        assert len(codes) == len(paths) == V
        assert sum(Fraction(1, 2 ** len(c)) for c in codes) == 1  # full: Kraft's equality
        strs = sorted("".join(map(str, c)) for c in codes)
        assert all(not b.startswith(a) for a, b in zip(strs, strs[1:]))  # prefix-free
        node_of = {}  # the same prefix is the same inner node, and distinct prefixes distinct nodes
        for c, p in zip(codes, paths):
            assert len(c) == len(p) and p[0] == 0
            for k, nid in enumerate(p):
                assert node_of.setdefault(tuple(c[:k]), nid) == nid
        assert sorted(node_of.values()) == list(range(V - 1))


# ---------------------------------------------------------------- gradient of log P(w | c)


@pytest.mark.parametrize("seed", range(10))
def test_hs_log_prob_grad_matches_autograd(seed):
    rng = np.random.default_rng(seed)
    V, E = int(rng.integers(2, 9)), int(rng.integers(1, 5))
    codes, paths = random_tree(rng, V)
    v_c = rng.normal(size=E) * (3.0 if seed % 2 else 1.0)
    W = rng.normal(size=(V - 1, E)) * (3.0 if seed % 2 else 1.0)
    probs = ref.hs_probabilities(v_c, W, codes, paths)
    for w in range(V):
        logp, dv, dW = ref.hs_log_prob_grad(v_c, W, codes[w], paths[w])
        vt, Wt = T(v_c, grad=True), T(W, grad=True)
        sign = torch().tensor([1.0 if b == 0 else -1.0 for b in codes[w]])
        lp = torch().nn.functional.logsigmoid(sign * (Wt[list(paths[w])] @ vt)).sum()
        lp.backward()
        np.testing.assert_allclose(logp, float(lp.detach()), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(logp, np.log(probs[w]), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dv, N(vt.grad), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dW, N(Wt.grad), rtol=1e-10, atol=1e-12)
        off = np.setdiff1d(np.arange(V - 1), paths[w])
        assert not dW[off].any()  # only the nodes on the route move


def test_hs_probabilities_sum_to_one_on_a_deep_tree():
    rng = np.random.default_rng(0)
    freqs = np.array([float(x) for x in [1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]])
    codes, paths = _paths_of(ref.huffman_codes(freqs))
    v, W = rng.normal(size=3) * 5, rng.normal(size=(freqs.size - 1, 3)) * 5
    p = ref.hs_probabilities(v, W, codes, paths)
    assert abs(p.sum() - 1) < 1e-12 and (p >= 0).all()


def test_hs_probabilities_bad_routes_are_explained():
    v, W = np.zeros(2), np.zeros((2, 2))
    with pytest.raises(ValueError, match="V = node_vecs.shape"):
        ref.hs_probabilities(v, W, [[0], [1]], [[0], [0]])
    with pytest.raises(ValueError, match="equal length"):
        ref.hs_probabilities(v, W, [[0], [1, 0], [1, 1]], [[0], [0], [0, 1]])


# ---------------------------------------------------------------- Huffman


def _brute_optimum(freqs):
    """The least Σ f·len over every complete prefix code: lengths with Kraft's equality, sorted
    frequencies matched with sorted lengths (the exchange argument)."""
    V = len(freqs)
    f = sorted(freqs, reverse=True)
    best = np.inf
    for lens in itertools.combinations_with_replacement(range(1, V), V):
        if sum(Fraction(1, 2 ** k) for k in lens) == 1:
            best = min(best, sum(a * b for a, b in zip(f, lens)))
    return best


@pytest.mark.parametrize("seed", range(25))
def test_huffman_oracle_and_reference_are_optimal_by_brute_force(seed):
    rng = np.random.default_rng(seed)
    V = int(rng.integers(2, 7))
    freqs = rng.choice([1.0, 2.0, 3.0, 5.0], size=V) if seed % 2 else rng.uniform(0.1, 10, size=V)
    best = _brute_optimum(list(freqs))
    assert _cost(freqs, _heap_huffman(freqs)) == pytest.approx(best, rel=1e-12)
    assert _cost(freqs, ref.huffman_codes(freqs)) == pytest.approx(best, rel=1e-12)


def test_huffman_known_example():
    freqs = np.array([45.0, 13, 12, 16, 9, 5])  # CLRS 16.3: cost 224
    codes = ref.huffman_codes(freqs)
    assert _cost(freqs, codes) == 224
    assert len(codes[0]) == 1


def _run(fid, fn, profile="grade"):
    f = registry.get(fid)
    return [check(f, o, local_caller(fn, f.fn_name), profile=profile) for o in f.oracles]


def _flipped(freqs):
    return [[1 - b for b in c] for c in ref.huffman_codes(freqs)]


def _other_tiebreak_tuples(freqs):
    return [tuple(np.int64(b) for b in c) for c in _heap_huffman(freqs)]  # tuples of numpy ints accepted


def _canonical(freqs):
    """Canonical Huffman code: the same lengths, codewords assigned in order of (length, word)."""
    lens = [len(c) for c in ref.huffman_codes(freqs)]
    order = sorted(range(len(lens)), key=lambda w: (lens[w], w))
    codes, code, prev = [None] * len(lens), 0, lens[order[0]]
    for w in order:
        code <<= lens[w] - prev
        prev = lens[w]
        codes[w] = [int(b) for b in format(code, f"0{lens[w]}b")]
        code += 1
    return codes


def _random_tiebreak(freqs):
    """Huffman with a random choice among equal-weight subtrees (other optimal length profiles)."""
    rng = np.random.default_rng(int(np.asarray(freqs).sum() * 1000) % 2**32)
    nodes = [(float(f), [w]) for w, f in enumerate(freqs)]
    codes = {w: [] for w in range(len(freqs))}
    while len(nodes) > 1:
        rng.shuffle(nodes)
        nodes.sort(key=lambda x: x[0])
        (fa, a), (fb, b) = nodes[0], nodes[1]
        for w in a:
            codes[w].insert(0, 0)
        for w in b:
            codes[w].insert(0, 1)
        nodes = nodes[2:] + [(fa + fb, a + b)]
    return [codes[w] for w in range(len(freqs))]


@pytest.mark.parametrize("fn", [_flipped, _other_tiebreak_tuples, _canonical, _random_tiebreak])
def test_every_optimal_code_is_accepted(fn):
    for r in _run("hsoftmax.huffman_codes", fn):
        assert r.passed, r.message


def test_equal_frequencies_admit_different_length_profiles():
    """[1, 1, 2, 2] has optimal codes with lengths {2,2,2,2} and {1,2,3,3}: both pass, cost 12."""
    freqs = np.array([1.0, 1.0, 2.0, 2.0])
    from checks.formulas.hsoftmax import _codes_compare, _oracle_codes, _shannon_oracle
    from checks.core.case import Case
    from checks.core.compare import Tol

    for codes in ([[0, 0], [0, 1], [1, 0], [1, 1]], [[1, 1, 0], [1, 1, 1], [1, 0], [0]]):
        assert _cost(freqs, codes) == 12
        for oracle in (_oracle_codes, _shannon_oracle):
            _codes_compare(Case((freqs,)), codes, oracle(freqs), Tol(), "huffman_codes")


@pytest.mark.parametrize("codes, msg", [
    ([[0], [0, 1], [1]], "not prefix-free"),
    ([[0], [1, 0]], "Kraft"),
    ([[], [1]], "empty"),
    ([[0], [1, 2]], "bits must be 0 or 1"),
    ([[0], [True]], "0/1 ints"),
    ([[1], [0, 0], [0, 1]], "not optimal"),  # the most frequent word (index 2) got a long code
])
def test_bad_codes_are_rejected_with_a_reason(codes, msg):
    from checks.core.case import Case
    from checks.core.compare import CheckFailure, Tol
    from checks.formulas.hsoftmax import _codes_compare, _oracle_codes

    freqs = np.array([1.0, 2.0, 4.0])[: len(codes)]
    with pytest.raises(CheckFailure, match=msg):
        _codes_compare(Case((freqs,)), codes, _oracle_codes(freqs), Tol(), "huffman_codes")
