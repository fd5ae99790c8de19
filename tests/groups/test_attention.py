"""attention: multi-head attention against torch.nn.MultiheadAttention, torch's mask conventions,
the positional encoding's relative-position rotation, and clear errors on bad input.

``multi_head_attention`` is reference-only (not in the student contract).
"""

from __future__ import annotations

import numpy as np
import pytest

import reference as ref  # (reference.attention is also a function name)
from checks.oracles.torchlib import N, T, torch


def _rng(seed):
    return np.random.default_rng(seed)


def _mask(rng, n, m):
    mk = rng.random((n, m)) < 0.5
    for r in range(n):
        if not mk[r].any():
            mk[r, rng.integers(m)] = True
    mk[0] = False
    mk[0, rng.integers(m)] = True  # a row with exactly one key, on purpose
    return mk


def _torch_mha(E, h, Wq, Wk, Wv, Wo, bq, bk, bv, bo):
    t = torch()
    mha = t.nn.MultiheadAttention(E, h, bias=True, batch_first=True, dtype=t.float64)
    with t.no_grad():
        mha.in_proj_weight.copy_(T(np.concatenate([Wq, Wk, Wv], axis=0)))  # [Wq; Wk; Wv]
        mha.in_proj_bias.copy_(T(np.concatenate([bq, bk, bv])))
        mha.out_proj.weight.copy_(T(Wo))
        mha.out_proj.bias.copy_(T(bo))
    return mha.eval()


@pytest.mark.parametrize("seed", range(12))
def test_multi_head_attention_matches_torch(seed):
    rng = _rng(seed)
    h = [1, 2, 4][seed % 3]
    E = h * int(rng.integers(1, 4))
    N_, n, m = int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
    x_q, x_kv = rng.normal(size=(N_, n, E)), rng.normal(size=(N_, m, E))
    Wq, Wk, Wv, Wo = (rng.normal(size=(E, E)) / np.sqrt(E) for _ in range(4))
    bq, bk, bv, bo = (rng.normal(size=E) for _ in range(4))
    mask = _mask(rng, n, m) if seed % 2 else None
    y = ref.multi_head_attention(x_q, x_kv, Wq, Wk, Wv, Wo, h, bq=bq, bk=bk, bv=bv, bo=bo, mask=mask)
    mha = _torch_mha(E, h, Wq, Wk, Wv, Wo, bq, bk, bv, bo)
    # torch.nn.MultiheadAttention's bool attn_mask is the opposite of ours: True = NOT allowed
    am = None if mask is None else torch().tensor(~mask)
    with torch().no_grad():
        yt, _ = mha(T(x_q), T(x_kv), T(x_kv), attn_mask=am, need_weights=False)
    np.testing.assert_allclose(y, N(yt), rtol=1e-10, atol=1e-12)


def test_multi_head_attention_without_bias_and_one_head_is_attention_of_projections():
    rng = _rng(99)
    E = 4
    x = rng.normal(size=(2, 3, E))
    Wq, Wk, Wv, Wo = (rng.normal(size=(E, E)) for _ in range(4))
    y = ref.multi_head_attention(x, x, Wq, Wk, Wv, Wo, 1)
    want = ref.attention(x @ Wq.T, x @ Wk.T, x @ Wv.T) @ Wo.T
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)


def test_multi_head_attention_bad_heads():
    x = np.zeros((1, 2, 6))
    W = np.eye(6)
    with pytest.raises(ValueError, match="divisible"):
        ref.multi_head_attention(x, x, W, W, W, W, 4)
    with pytest.raises(ValueError, match="num_heads"):
        ref.multi_head_attention(x, x, W, W, W, W, 0)


def test_torch_bool_mask_conventions():
    """SDPA's bool attn_mask means True = may attend (as the contract); MHA's means True = blocked."""
    rng = _rng(7)
    Q, K, V = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 4)), rng.normal(size=(2, 4, 4))
    mask = _mask(rng, 3, 4)
    y = ref.attention(Q, K, V, mask=mask)
    F = torch().nn.functional
    np.testing.assert_allclose(N(F.scaled_dot_product_attention(T(Q), T(K), T(V), attn_mask=torch().tensor(mask))), y,
                               rtol=1e-12, atol=1e-12)
    assert not np.allclose(ref.attention(Q, K, V, mask=~mask | np.eye(3, 4, dtype=bool)), y)


def test_attention_is_invariant_to_permuting_keys_with_their_values():
    rng = _rng(3)
    Q, K, V = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 4, 2)), rng.normal(size=(2, 4, 3))
    mask = _mask(rng, 3, 4)
    p = rng.permutation(4)
    np.testing.assert_allclose(ref.attention(Q, K[:, p], V[:, p], mask[:, p]), ref.attention(Q, K, V, mask),
                               rtol=1e-12, atol=1e-12)


def test_masked_keys_get_no_gradient_and_single_key_rows_copy_values():
    rng = _rng(5)
    Q, K, V = rng.normal(size=(1, 2, 3)), rng.normal(size=(1, 3, 3)), rng.normal(size=(1, 3, 2))
    mask = np.array([[False, True, False], [True, True, False]])
    y = ref.attention(Q, K, V, mask)
    np.testing.assert_array_equal(y[0, 0], V[0, 1])
    y2 = ref.attention(Q, K + np.array([0.0, 0.0, 1e3])[None, :, None], V + np.array([0.0, 0.0, 5.0])[None, :, None], mask)
    np.testing.assert_allclose(y2, y, rtol=1e-12, atol=1e-12)  # key 2 is masked everywhere: it changes nothing


def test_positional_encoding_relative_rotation():
    """The notes' reason for sinusoids (004 位置编码): PE[p+k] = M_k PE[p] with M_k block-diagonal,
    blocks [[cos kω_i, sin kω_i], [−sin kω_i, cos kω_i]] acting on (sin, cos) pairs -- independent of p."""
    n, d = 40, 8
    pe = ref.positional_encoding(n, d)
    w = 10000.0 ** (-np.arange(0, d, 2) / d)
    for k in (1, 2, 5, 17):
        M = np.zeros((d, d))
        for i, wi in enumerate(w):
            c, s = np.cos(k * wi), np.sin(k * wi)
            M[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[c, s], [-s, c]]
        np.testing.assert_allclose(pe[k:], pe[:-k] @ M.T, atol=1e-12)
    # and the map is orthogonal: every pair has norm 1
    np.testing.assert_allclose(pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2, 1.0, atol=1e-15)


def test_positional_encoding_known_values():
    pe = ref.positional_encoding(3, 4)
    want = np.array([[0, 1, 0, 1],
                     [np.sin(1), np.cos(1), np.sin(1e-2), np.cos(1e-2)],
                     [np.sin(2), np.cos(2), np.sin(2e-2), np.cos(2e-2)]])
    np.testing.assert_allclose(pe, want, rtol=1e-14, atol=1e-15)
    assert ref.positional_encoding(0, 2).shape == (0, 2)


@pytest.mark.parametrize("args, err", [((3, 5), ValueError), ((3, 0), ValueError), ((-1, 2), ValueError),
                                       ((3.0, 4), TypeError)])
def test_positional_encoding_bad_input(args, err):
    with pytest.raises(err):
        ref.positional_encoding(*args)


def test_attention_bad_input_is_explained():
    Q, K, V = np.zeros((1, 2, 3)), np.zeros((1, 4, 3)), np.zeros((1, 4, 2))
    with pytest.raises(ValueError, match="share d"):
        ref.attention(Q, np.zeros((1, 4, 2)), V)
    with pytest.raises(ValueError, match="mask must have shape"):
        ref.attention(Q, K, V, np.ones((4, 2), dtype=bool))
    with pytest.raises(TypeError, match="bool"):
        ref.attention(Q, K, V, np.ones((2, 4)))
    with pytest.raises(ValueError, match="at least one True"):
        ref.attention(Q, K, V, np.array([[True] * 4, [False] * 4]))
    with pytest.raises(ValueError, match="dy must have shape"):
        ref.attention_backward(Q, K, V, np.zeros((1, 2, 3)))
