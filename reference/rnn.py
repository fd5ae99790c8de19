"""The vanilla (Elman) RNN: forward, back-propagation through time, one step's Jacobian.

Notes 002 §7 "逻辑回归, softmax, RNN 导数推导" (RNN 中反向传播) and 001 A6.4:

- forward: h_t = tanh(W1 h_{t-1} + W2 x_t + b2), y_t = softmax(U h_t + b1)
  ("其中 h_t = tanh/sigmoid(W_1·h_{t-1} + W_2·x_t + b_2)", "y_t = softmax(U·h_t + b_1)");
- loss: −log y_K for the ground-truth class K, summed over time, mean over the batch;
- backward: ∂loss/∂h_t = Uᵀ(y_t − onehot), ∂h_t/∂h_{t−1} = W1ᵀ·diag[f′(z)]
  (the notes' denominator layout; :func:`rnn_step_jacobian` returns its transpose).

Row-vector batches: z_t = h_{t−1} W1ᵀ + x_t W2ᵀ + b2 (N, H). Every function
returns new float64 arrays and leaves its arguments untouched.
"""

from __future__ import annotations

import numpy as np


def _f64(name, a, ndim):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {a.shape}")
    return a


def _expect(name, a, shape):
    if a.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {a.shape}")


def _params(x, h0, W1, W2, b2, U=None, b1=None):
    x = _f64("x", x, 3)
    T, N, D = x.shape
    h0 = _f64("h0", h0, 2)
    H = h0.shape[1]
    _expect("h0", h0, (N, H))
    W1, W2, b2 = _f64("W1", W1, 2), _f64("W2", W2, 2), _f64("b2", b2, 1)
    _expect("W1", W1, (H, H))
    _expect("W2", W2, (H, D))
    _expect("b2", b2, (H,))
    if U is None:
        return x, h0, W1, W2, b2
    U, b1 = _f64("U", U, 2), _f64("b1", b1, 1)
    K = U.shape[0]
    _expect("U", U, (K, H))
    _expect("b1", b1, (K,))
    return x, h0, W1, W2, b2, U, b1


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def rnn_forward(x, h0, W1, W2, b2, U, b1):
    r"""Run the RNN over time.

    .. math:: h_t = \tanh(h_{t-1} W_1^\top + x_t W_2^\top + b_2), \qquad
              p_t = \mathrm{softmax}(h_t U^\top + b_1)

    (notes 002 §7: "h_t = tanh/sigmoid(W_1·h_{t-1} + W_2·x_t + b_2)",
    "y_t = softmax(U·h_t + b_1)", written for row-vector batches).
    x (T, N, D), h0 (N, H), W1 (H, H), W2 (H, D), b2 (H,), U (K, H), b1 (K,)
    -> (h (T, N, H), p (T, N, K)).
    """
    x, h0, W1, W2, b2, U, b1 = _params(x, h0, W1, W2, b2, U, b1)
    T, N, _ = x.shape
    h = np.empty((T, N, h0.shape[1]))
    p = np.empty((T, N, U.shape[0]))
    prev = h0
    for t in range(T):
        prev = np.tanh(prev @ W1.T + x[t] @ W2.T + b2)
        h[t] = prev
        p[t] = _softmax(prev @ U.T + b1)
    return h, p


def rnn_bptt(x, labels, h0, W1, W2, b2, U, b1):
    r"""Gradients of loss = Σ_t mean_n −log p_t[n, labels[t, n]] by back-propagation through time.

    Per step, from the last to the first (notes 002 §7):

    .. math::
        dz^{out}_t = (p_t - \mathrm{onehot}_t)/N, \quad
        dh_t = dz^{out}_t U + dh^{next}, \quad
        dz_t = dh_t \odot (1 - h_t^2), \quad
        dh^{next} = dz_t W_1

    ("∂loss/∂h_t = Uᵀ(y_t − y_i)", "∂loss/∂h_{t−1} = ∂h_t/∂h_{t−1}·∂loss/∂h_t
    = W1ᵀ·diag[f′(z)]·Uᵀ·(y_t − y_i)"); dW1 = Σ_t dz_tᵀ h_{t−1},
    dW2 = Σ_t dz_tᵀ x_t, dU = Σ_t dz^{out ᵀ}_t h_t, and dh0 is what reaches
    h_0. labels (T, N) int. Returns a dict with keys "x", "h0", "W1", "W2",
    "b2", "U", "b1", each gradient shaped like its input.
    """
    x, h0, W1, W2, b2, U, b1 = _params(x, h0, W1, W2, b2, U, b1)
    T, N, _ = x.shape
    K = U.shape[0]
    labels = np.asarray(labels)
    _expect("labels", labels, (T, N))
    if labels.dtype.kind not in "iu" or (labels.size and (labels.min() < 0 or labels.max() >= K)):
        raise ValueError(f"labels must be integers in [0, {K}), got {labels.dtype} values")
    h, p = rnn_forward(x, h0, W1, W2, b2, U, b1)
    g = {k: np.zeros_like(v) for k, v in (("x", x), ("h0", h0), ("W1", W1), ("W2", W2), ("b2", b2), ("U", U), ("b1", b1))}
    rows = np.arange(N)
    dnext = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        dout = p[t].copy()
        dout[rows, labels[t]] -= 1.0
        dout /= N
        g["U"] += dout.T @ h[t]
        g["b1"] += dout.sum(axis=0)
        dz = (dout @ U + dnext) * (1.0 - h[t] * h[t])
        prev = h[t - 1] if t > 0 else h0
        g["W1"] += dz.T @ prev
        g["W2"] += dz.T @ x[t]
        g["b2"] += dz.sum(axis=0)
        g["x"][t] = dz @ W2
        dnext = dz @ W1
    g["h0"] = dnext
    return g


def rnn_step_jacobian(x_t, h_prev, W1, W2, b2):
    r"""One step's Jacobian in numerator layout: J[n, i, j] = ∂h_t[n, i]/∂h_prev[n, j].

    .. math:: J_n = \mathrm{diag}[f'(z_n)]\, W_1, \qquad f' = 1 - \tanh^2

    The notes write ∂h_t/∂h_{t−1} = W1ᵀ·diag[f′(z)] (002 §7, denominator
    layout): J_n is its transpose. Chained over time, J_T ⋯ J_1 = ∂h_T/∂h_0, the
    product 001 A6.4 blames for vanishing gradients ("具体原因也就是 ∏_{k=t+1}^{T}
    ∂h^(k)/∂h^(k−1) 部分"). x_t (N, D), h_prev (N, H) -> (N, H, H).
    """
    x_t = _f64("x_t", x_t, 2)
    x, h_prev, W1, W2, b2 = _params(x_t[None], h_prev, W1, W2, b2)
    h = np.tanh(h_prev @ W1.T + x[0] @ W2.T + b2)
    return (1.0 - h * h)[:, :, None] * W1[None, :, :]
