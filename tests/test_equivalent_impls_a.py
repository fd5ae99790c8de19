"""Correct implementations written differently from the reference get full marks (groups activations,
reductions, softmax, logistic, conv, rnn, lstm, gru, clip, residual, dropout, embedding, init).

Adversarial review: loops, other algorithms (tanh-form and clipped sigmoids, 1/cosh², logsumexp forms,
log-sigmoid likelihoods), other valid tie-breaks and subgradients (x >= 0 at relu/leaky/PReLU kinks, the
midpoint at a leaky kink, unequal non-negative weights on tied maxima), numerically different summation
orders, and every type the contract allows (tuple instead of list, numpy scalar or 0-d array instead of
float, np.int64 fans, extra dict keys, an argument returned unchanged where the result equals it).
Each is judged on every oracle (derandomized ``grade`` profile) and on the grader's own fixed cases.
Only numpy and math: the grading environment has no scipy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.judging import assert_full_marks


# ---------------------------------------------------------------- numpy stand-ins for scipy.special


def expit(a):
    a = np.asarray(a, dtype=np.float64)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def logsumexp(z, axis=None, keepdims=False):
    m = np.max(z, axis=axis, keepdims=True)
    r = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return r if keepdims else np.squeeze(r, axis=axis)


def sp_softmax(z, axis=None):
    return np.exp(z - logsumexp(z, axis=axis, keepdims=True))


def log_softmax(z, axis=None):
    return z - logsumexp(z, axis=axis, keepdims=True)


# ---- activations
def sigmoid_clip500(x):
    x = np.asarray(x, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))


def sigmoid_where_both(x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


def sigmoid_expit(x):
    return expit(x)


def sigmoid_loop(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    for i in np.ndindex(x.shape):
        v = float(x[i])
        out[i] = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
    return out if x.ndim else float(out)


def sigmoid_backward_exp_abs(x, dy):
    e = np.exp(-np.abs(x))
    return dy * e / (1 + e) ** 2


def sigmoid_backward_tanh(x, dy):
    return dy * 0.25 * (1 - np.tanh(0.5 * np.asarray(x)) ** 2)


def sigmoid_backward_naive_s(x, dy):
    with np.errstate(over="ignore"):
        s = 1 / (1 + np.exp(-np.asarray(x)))
    return dy * s * (1 - s)


def tanh_backward_cosh(x, dy):
    with np.errstate(over="ignore"):
        return dy / np.cosh(x) ** 2


def tanh_backward_exp(x, dy):
    with np.errstate(over="ignore"):
        return dy * 4 / (np.exp(x) + np.exp(-x)) ** 2


def relu_backward_ge(x, dy):
    return dy * (np.asarray(x) >= 0)


def relu_backward_heaviside(x, dy):
    return dy * np.heaviside(x, 0.5)


def relu_backward_copy_mask(x, dy):
    dx = np.array(dy, dtype=np.float64, copy=True)
    dx[np.asarray(x) <= 0] = 0.0
    return dx


def leaky_ge(x, a, dy):
    return np.where(np.asarray(x) >= 0, dy, a * np.asarray(dy))


def leaky_mid(x, a, dy):
    x = np.asarray(x)
    dy = np.asarray(dy)
    return dy * np.where(x > 0, 1.0, np.where(x < 0, a, (1 + a) / 2))


def prelu_loops_ge(x, a, dy):
    x = np.asarray(x)
    dy = np.asarray(dy)
    dx = np.empty_like(x)
    da = np.zeros(len(a))
    for idx in np.ndindex(x.shape):
        c = idx[1]
        if x[idx] >= 0:
            dx[idx] = dy[idx]
        else:
            dx[idx] = a[c] * dy[idx]
            da[c] += dy[idx] * x[idx]
    return (dx, da)


def prelu_moveaxis(x, a, dy):
    xm = np.moveaxis(np.asarray(x), 1, -1)
    dym = np.moveaxis(np.asarray(dy), 1, -1)
    dx = np.where(xm > 0, dym, a * dym)
    da = (np.minimum(xm, 0) * dym).reshape(-1, len(a)).sum(0)
    return [np.moveaxis(dx, -1, 1), da]


# ---- reductions
def max_bw_loops_last_tie(x, dy):
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        best = 0
        for d in range(x.shape[1]):
            if x[n, d] >= x[n, best]:
                best = d
        dx[n, best] = dy[n]
    return dx


def max_bw_weighted_ties(x, dy):
    m = (x == x.max(1, keepdims=True)).astype(float)
    w = m * np.arange(1, x.shape[1] + 1)  # unequal non-negative weights on the ties
    return w / w.sum(1, keepdims=True) * dy[:, None]


# ---- softmax
def softmax_via_helper(z):
    softmax = sp_softmax
    return softmax(z, axis=1)


def softmax_lse(z):
    return np.exp(z - logsumexp(z, axis=1, keepdims=True))


def jac_loops(z):
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = math.fsum(e)
    y = [v / s for v in e]
    K = len(z)
    return np.array([[y[i] * ((i == j) - y[j]) for j in range(K)] for i in range(K)])


def jac_outer_T(z):
    softmax = sp_softmax
    y = softmax(z)
    return np.diag(y) - np.outer(y, y).T


def ce_logsumexp_numpy_scalar(z, labels):
    return np.mean(logsumexp(z, axis=1) - z[np.arange(len(labels)), labels])  # numpy float64


def ce_log_softmax_0d(z, labels):
    ls = z - z.max(1, keepdims=True)
    ls = ls - np.log(np.exp(ls).sum(1, keepdims=True))
    return np.array(-ls[np.arange(len(labels)), labels].mean())


def ce_bw_eye(z, labels):
    softmax = sp_softmax
    return (softmax(z, axis=1) - np.eye(z.shape[1])[labels]) / z.shape[0]


def ce_bw_exp_logsoftmax(z, labels):
    p = np.exp(log_softmax(z, axis=1))
    oh = np.zeros_like(p)
    oh[np.arange(len(labels)), labels] = 1
    return (p - oh) / len(labels)


# ---- logistic
def ll_logsig(theta, X, y):
    a = X @ theta
    return np.sum(-y * np.logaddexp(0, -a) - (1 - y) * np.logaddexp(0, a))


def ll_loop(theta, X, y):
    tot = 0.0
    for n in range(X.shape[0]):
        a = float(X[n] @ theta)
        sp = max(a, 0) + math.log1p(math.exp(-abs(a)))  # softplus
        tot += y[n] * (a - sp) + (1 - y[n]) * (-sp)
    return tot


def grad_naive_sig(theta, X, y):
    with np.errstate(over="ignore"):
        s = 1 / (1 + np.exp(-(X @ theta)))
    r = y - s
    return (r @ X, r[:, None] * theta[None, :])


def hess_loop(theta, X, y):
    H = np.zeros((X.shape[1],) * 2)
    for n in range(X.shape[0]):
        a = X[n] @ theta
        H -= expit(a) * expit(-a) * np.outer(X[n], X[n])
    return H


def hess_diag(theta, X, y):
    s = expit(X @ theta)
    return -X.T @ np.diag(s * (1 - s)) @ X


EQUIVALENT_1 = [
    ("activations.sigmoid", sigmoid_clip500),
    ("activations.sigmoid", sigmoid_where_both),
    ("activations.sigmoid", sigmoid_expit),
    ("activations.sigmoid", sigmoid_loop),
    ("activations.sigmoid_backward", sigmoid_backward_exp_abs),
    ("activations.sigmoid_backward", sigmoid_backward_tanh),
    ("activations.sigmoid_backward", sigmoid_backward_naive_s),
    ("activations.tanh_backward", tanh_backward_cosh),
    ("activations.tanh_backward", tanh_backward_exp),
    ("activations.relu_backward", relu_backward_ge),
    ("activations.relu_backward", relu_backward_heaviside),
    ("activations.relu_backward", relu_backward_copy_mask),
    ("activations.leaky_relu_backward", leaky_ge),
    ("activations.leaky_relu_backward", leaky_mid),
    ("activations.prelu_backward", prelu_loops_ge),
    ("activations.prelu_backward", prelu_moveaxis),
    ("reductions.max_backward", max_bw_loops_last_tie),
    ("reductions.max_backward", max_bw_weighted_ties),
    ("softmax.softmax", softmax_via_helper),
    ("softmax.softmax", softmax_lse),
    ("softmax.softmax_jacobian", jac_loops),
    ("softmax.softmax_jacobian", jac_outer_T),
    ("softmax.cross_entropy", ce_logsumexp_numpy_scalar),
    ("softmax.cross_entropy", ce_log_softmax_0d),
    ("softmax.cross_entropy_backward", ce_bw_eye),
    ("softmax.cross_entropy_backward", ce_bw_exp_logsoftmax),
    ("logistic.log_likelihood", ll_logsig),
    ("logistic.log_likelihood", ll_loop),
    ("logistic.log_likelihood_grad", grad_naive_sig),
    ("logistic.log_likelihood_hessian", hess_loop),
    ("logistic.log_likelihood_hessian", hess_diag),
]


# ----------------------------------------------------------------


def _sig(a):
    a = np.asarray(a, dtype=np.float64)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


# ---- conv
def conv_transpose_matmul(x, w, b):
    return np.ascontiguousarray((x.transpose(0, 2, 3, 1) @ w.T + b).transpose(0, 3, 1, 2))


def conv_tensordot(x, w, b):
    return np.moveaxis(np.tensordot(x, w, axes=([1], [1])), -1, 1) + b[:, None, None]


def conv_bw_reshape(x, w, b, dy):
    N, C, H, W = x.shape
    O = w.shape[0]
    xf = x.transpose(0, 2, 3, 1).reshape(-1, C)
    dyf = dy.transpose(0, 2, 3, 1).reshape(-1, O)
    dx = (dyf @ w).reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return (np.ascontiguousarray(dx), dyf.T @ xf, dyf.sum(0))


# ---- rnn
def _sm(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def rnn_forward_loops(x, h0, W1, W2, b2, U, b1):
    T, _N, _D = x.shape
    h0.shape[1]
    Wc = np.concatenate([W1, W2], 1)  # [W1 | W2] on [h, x]
    hs, ps, h = [], [], h0
    for t in range(T):
        h = np.tanh(np.concatenate([h, x[t]], 1) @ Wc.T + b2)
        hs.append(h)
        ps.append(_sm(h @ U.T + b1))
    return [np.stack(hs), np.stack(ps)]


def rnn_bptt_alt(x, labels, h0, W1, W2, b2, U, b1):
    T, N, _ = x.shape
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W1.T + x[t] @ W2.T + b2))
    H = np.stack(hs[1:])
    P = _sm(H @ U.T + b1)
    dO = P.copy()
    for t in range(T):
        for n in range(N):
            dO[t, n, labels[t, n]] -= 1
    dO /= N
    dU = np.einsum("tnk,tnh->kh", dO, H)
    db1 = dO.sum((0, 1))
    dz_all = np.zeros_like(H)
    carry = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        dz_all[t] = (dO[t] @ U + carry) * (1 - H[t] ** 2)
        carry = dz_all[t] @ W1
    Hprev = np.stack(hs[:-1])
    return {
        "x": dz_all @ W2,
        "h0": carry,
        "W1": np.einsum("tni,tnj->ij", dz_all, Hprev),
        "W2": np.einsum("tni,tnj->ij", dz_all, x),
        "b2": dz_all.sum((0, 1)),
        "U": dU,
        "b1": db1,
        "extra": 1,
    }


def rnn_jac_loop(x_t, h_prev, W1, W2, b2):
    N, H = h_prev.shape
    J = np.zeros((N, H, H))
    for n in range(N):
        z = W1 @ h_prev[n] + W2 @ x_t[n] + b2
        J[n] = np.diag(1 - np.tanh(z) ** 2) @ W1
    return J


# ---- lstm
def lstm_cell_split(x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    blocks = [W[k * H : (k + 1) * H] for k in range(4)]
    bb = [b[k * H : (k + 1) * H] for k in range(4)]
    hx = np.concatenate([h_prev, x], 1)
    i, f, g, o = (hx @ Wk.T + bk for Wk, bk in zip(blocks, bb))
    c = _sig(f) * c_prev + _sig(i) * np.tanh(g)
    return [_sig(o) * np.tanh(c), c]


def lstm_cell_backward_alt(x, h_prev, c_prev, W, b, dh, dc):
    H = h_prev.shape[1]
    hx = np.concatenate([h_prev, x], 1)
    a = hx @ W.T + b
    i, f, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), _sig(a[:, 3 * H :])
    g = np.tanh(a[:, 2 * H : 3 * H])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dcc = dc + dh * o / np.cosh(c) ** 2
    da = np.hstack(
        [
            dcc * g * i * (1 - i),
            dcc * c_prev * f * (1 - f),
            dcc * i / np.cosh(a[:, 2 * H : 3 * H]) ** 2,
            dh * tc * o * (1 - o),
        ]
    )
    dhx = da @ W
    return (dhx[:, H:], dhx[:, :H], dcc * f, np.einsum("ni,nj->ij", da, hx), da.sum(0))


def lstm_sj_loop(x, c_prev, o_prev, W, b):
    N, H = c_prev.shape
    J = np.zeros((N, H, H))
    for n in range(N):
        hp = o_prev[n] * np.tanh(c_prev[n])
        a = W @ np.concatenate([hp, x[n]]) + b
        i, f, g = _sig(a[:H]), _sig(a[H : 2 * H]), np.tanh(a[2 * H : 3 * H])
        dcdh = (
            np.diag(c_prev[n] * f * (1 - f)) @ W[H : 2 * H, :H]
            + np.diag(g * i * (1 - i)) @ W[:H, :H]
            + np.diag(i * (1 - g * g)) @ W[2 * H : 3 * H, :H]
        )
        J[n] = dcdh @ np.diag(o_prev[n] * (1 - np.tanh(c_prev[n]) ** 2)) + np.diag(f)
    return J


def lstm_bptt_alt(x, h0, c0, W, b, dh):
    T = x.shape[0]
    H = h0.shape[1]
    hs, cs, acts = [h0], [c0], []
    for t in range(T):
        a = np.concatenate([hs[-1], x[t]], 1) @ W.T + b
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), _sig(a[:, 3 * H :])
        c = f * cs[-1] + i * g
        acts.append((i, f, g, o))
        cs.append(c)
        hs.append(o * np.tanh(c))
    dW = np.zeros_like(W)
    db = np.zeros_like(b)
    dx = np.zeros_like(x)
    dhn = np.zeros_like(h0)
    dcn = np.zeros_like(c0)
    for t in reversed(range(T)):
        i, f, g, o = acts[t]
        c = cs[t + 1]
        tc = np.tanh(c)
        dht = dh[t] + dhn
        dct = dcn + dht * o * (1 - tc**2)
        da = np.hstack([dct * g * i * (1 - i), dct * cs[t] * f * (1 - f), dct * i * (1 - g**2), dht * tc * o * (1 - o)])
        hx = np.concatenate([hs[t], x[t]], 1)
        dW += da.T @ hx
        db += da.sum(0)
        dhx = da @ W
        dx[t] = dhx[:, H:]
        dhn = dhx[:, :H]
        dcn = dct * f
    return {"x": dx, "h0": dhn, "c0": dcn, "W": dW, "b": db}


# ---- gru
def gru_cell_alt(x, h, p):
    u = _sig(h @ p["Wu"].T + x @ p["Uu"].T + p["bu"])
    r = _sig(h @ p["Wr"].T + x @ p["Ur"].T + p["br"])
    ht = np.tanh((r * h) @ p["Wh"].T + x @ p["Uh"].T + p["bh"])
    return h + u * (ht - h)


def gru_bw_loop(x, h, p, dh):
    N, _H = h.shape
    dx = np.zeros_like(x)
    dhp = np.zeros_like(h)
    dp = {k: np.zeros_like(np.asarray(v, dtype=np.float64)) for k, v in p.items()}
    for n in range(N):
        hn, xn, g = h[n], x[n], dh[n]
        u = _sig(p["Wu"] @ hn + p["Uu"] @ xn + p["bu"])
        r = _sig(p["Wr"] @ hn + p["Ur"] @ xn + p["br"])
        ht = np.tanh(p["Wh"] @ (r * hn) + p["Uh"] @ xn + p["bh"])
        dau = g * (ht - hn) * u * (1 - u)
        dah = g * u * (1 - ht**2)
        drh = p["Wh"].T @ dah
        dar = drh * hn * r * (1 - r)
        dhp[n] = g * (1 - u) + drh * r + p["Wu"].T @ dau + p["Wr"].T @ dar
        dx[n] = p["Uu"].T @ dau + p["Ur"].T @ dar + p["Uh"].T @ dah
        for k, da, inp in (("u", dau, hn), ("r", dar, hn), ("h", dah, r * hn)):
            dp["W" + k] += np.outer(da, inp)
            dp["U" + k] += np.outer(da, xn)
            dp["b" + k] += da
    return [dx, dhp, dp]


# ---- clip
def clip_norm_concat(grads, max_norm):
    total = np.linalg.norm(np.concatenate([np.ravel(g) for g in grads]))
    f = max_norm / (total + 1e-6)
    return (tuple(g * f if f < 1 else g for g in grads), total)  # tuple, numpy scalar, aliasing when unchanged


def clip_norm_loop(grads, max_norm):
    sq = 0.0
    for g in reversed(grads):
        for v in np.ravel(g)[::-1]:
            sq += v * v
    total = math.sqrt(sq)
    f = min(1.0, max_norm / (total + 1e-6))
    return [np.array(g) * f for g in grads], np.array(total)


def clip_value_minmax(grads, clip):
    return tuple(np.minimum(np.maximum(g, -clip), clip) for g in grads)


def clip_value_where(grads, clip):
    return [np.where(g > clip, clip, np.where(g < -clip, -clip, g)) for g in grads]


# ---- residual
def residual_loops(x, W, b, dy):
    N, _D = x.shape
    dx = dy.copy()
    dW = np.zeros_like(W)
    db = np.zeros_like(b)
    for n in range(N):
        z = W @ x[n] + b
        dz = dy[n] / np.cosh(z) ** 2
        dx[n] += W.T @ dz
        dW += np.outer(dz, x[n])
        db += dz
    return dx, dW, db


def highway_alt(x, WH, bH, WT, bT):
    H = np.where(x @ WH.T + bH > 0, x @ WH.T + bH, 0.0)
    T = _sig(x @ WT.T + bT)
    return x + T * (H - x)


def highway_bw_alt(x, WH, bH, WT, bT, dy):
    aH = x @ WH.T + bH
    H = aH * (aH > 0)
    T = _sig(x @ WT.T + bT)
    daH = dy * T * (H > 0)
    daT = dy * (H - x) * T * (1 - T)
    return [
        dy - dy * T + daH @ WH + daT @ WT,
        np.einsum("ni,nj->ij", daH, x),
        daH.sum(0),
        np.einsum("ni,nj->ij", daT, x),
        daT.sum(0),
    ]


# ---- dropout
def dtrain_where(x, mask, p_keep, inverted):
    return np.where(mask == 1, x * (1.0 / p_keep) if inverted else x * 1.0, 0.0)


def deval_alias(x, p_keep, inverted):
    return x if inverted else p_keep * x


def dbw_scale_first(dy, mask, p_keep, inverted):
    return (mask / p_keep if inverted else mask) * dy


# ---- embedding
def emb_loops(indices, dy, V):
    dE = np.zeros((V, dy.shape[2]))
    for n in range(indices.shape[0]):
        for l in range(indices.shape[1]):
            dE[indices[n, l]] += dy[n, l]
    return dE


def emb_onehot(indices, dy, V):
    oh = np.eye(V)[indices.reshape(-1)]
    return oh.T @ dy.reshape(-1, dy.shape[2])


# ---- init
def fans_np(shape):
    r = np.prod(shape[2:], dtype=np.int64)
    return [np.int64(shape[1]) * r, np.int64(shape[0]) * r]


def xavier_np(shape):
    r = np.prod(shape[2:], dtype=np.int64)
    return np.sqrt(2.0) / np.sqrt(shape[0] * r + shape[1] * r)


def he_np(shape):
    r = math.prod(shape[2:])
    return np.float64(math.sqrt(2) / math.sqrt(shape[1] * r))


EQUIVALENT_2 = [
    ("conv.conv1x1", conv_transpose_matmul),
    ("conv.conv1x1", conv_tensordot),
    ("conv.conv1x1_backward", conv_bw_reshape),
    ("rnn.rnn_forward", rnn_forward_loops),
    ("rnn.rnn_bptt", rnn_bptt_alt),
    ("rnn.rnn_step_jacobian", rnn_jac_loop),
    ("lstm.lstm_cell", lstm_cell_split),
    ("lstm.lstm_cell_backward", lstm_cell_backward_alt),
    ("lstm.lstm_cell_state_jacobian", lstm_sj_loop),
    ("lstm.lstm_bptt", lstm_bptt_alt),
    ("gru.gru_cell", gru_cell_alt),
    ("gru.gru_cell_backward", gru_bw_loop),
    ("clip.clip_grad_norm", clip_norm_concat),
    ("clip.clip_grad_norm", clip_norm_loop),
    ("clip.clip_grad_value", clip_value_minmax),
    ("clip.clip_grad_value", clip_value_where),
    ("residual.residual_backward", residual_loops),
    ("residual.highway", highway_alt),
    ("residual.highway_backward", highway_bw_alt),
    ("dropout.dropout_train", dtrain_where),
    ("dropout.dropout_eval", deval_alias),
    ("dropout.dropout_backward", dbw_scale_first),
    ("embedding.embedding_backward", emb_loops),
    ("embedding.embedding_backward", emb_onehot),
    ("init.fan_in_fan_out", fans_np),
    ("init.xavier_normal_std", xavier_np),
    ("init.he_normal_std", he_np),
]

EQUIVALENT = EQUIVALENT_1 + EQUIVALENT_2


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("formula_id, fn", [pytest.param(i, f, id=f"{i}-{f.__name__}") for i, f in EQUIVALENT])
def test_correct_but_different_implementation_gets_full_marks(formula_id, fn):
    assert_full_marks(formula_id, fn)
