"""Value oracles of rnn.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.oracles import sym
from checks.oracles.torchlib import N, T, F, torch


def _nn_rnn(x, h0, W1, W2, b2):
    """torch.nn.RNN with the contract's weights; returns (module, x tensor, h0 tensor, out)."""
    tc = torch()
    D, H = np.shape(W2)[1], np.shape(W1)[0]
    m = tc.nn.RNN(D, H, nonlinearity="tanh")
    with tc.no_grad():
        m.weight_hh_l0.copy_(T(W1))
        m.weight_ih_l0.copy_(T(W2))
        m.bias_ih_l0.copy_(T(b2))
        m.bias_hh_l0.zero_()
    xt, ht = T(x, grad=True), T(np.asarray(h0)[None], grad=True)
    out, _ = m(xt, ht)
    return m, xt, ht, out


def _t_nn_forward(x, h0, W1, W2, b2, U, b1):
    _, _, _, out = _nn_rnn(x, h0, W1, W2, b2)
    p = F().softmax(F().linear(out, T(U), T(b1)), dim=-1)
    return N(out), N(p)


def _rebuild(x, h0, W1, W2, b2, U, b1):
    """Plain torch ops, one step at a time; returns (tensors dict, hs list, logits list)."""
    tc = torch()
    ts = {k: T(v, grad=True) for k, v in dict(x=x, h0=h0, W1=W1, W2=W2, b2=b2, U=U, b1=b1).items()}
    h, hs, zs = ts["h0"], [], []
    for t in range(ts["x"].shape[0]):
        h = tc.tanh(h @ ts["W1"].T + ts["x"][t] @ ts["W2"].T + ts["b2"])
        hs.append(h)
        zs.append(h @ ts["U"].T + ts["b1"])
    return ts, hs, zs


def _t_forward(x, h0, W1, W2, b2, U, b1):
    tc = torch()
    _, hs, zs = _rebuild(x, h0, W1, W2, b2, U, b1)
    ps = [tc.exp(z - tc.logsumexp(z, dim=-1, keepdim=True)) for z in zs]
    return N(tc.stack(hs)), N(tc.stack(ps))


_KEYS = ("x", "h0", "W1", "W2", "b2", "U", "b1")


def _t_bptt(x, labels, h0, W1, W2, b2, U, b1):
    """Autograd of the rebuilt loss Σ_t mean_n (logsumexp(z_t[n]) − z_t[n, label])."""
    tc = torch()
    ts, _, zs = _rebuild(x, h0, W1, W2, b2, U, b1)
    lab = tc.as_tensor(np.asarray(labels, dtype=np.int64))
    loss = sum((tc.logsumexp(z, dim=-1) - z.gather(1, lab[t][:, None])[:, 0]).mean() for t, z in enumerate(zs))
    loss.backward()
    return {k: N(ts[k].grad) for k in _KEYS}


def _t_nn_bptt(x, labels, h0, W1, W2, b2, U, b1):
    """Autograd through torch.nn.RNN + F.cross_entropy (mean over the batch), summed over time."""
    m, xt, ht, out = _nn_rnn(x, h0, W1, W2, b2)
    Ut, b1t = T(U, grad=True), T(b1, grad=True)
    z = F().linear(out, Ut, b1t)
    lab = torch().as_tensor(np.asarray(labels, dtype=np.int64))
    loss = sum(F().cross_entropy(z[t], lab[t]) for t in range(z.shape[0]))
    loss.backward()
    return {"x": N(xt.grad), "h0": N(ht.grad[0]), "W1": N(m.weight_hh_l0.grad), "W2": N(m.weight_ih_l0.grad),
            "b2": N(m.bias_ih_l0.grad), "U": N(Ut.grad), "b1": N(b1t.grad)}


def _t_step_jacobian(x_t, h_prev, W1, W2, b2):
    """torch.autograd.functional.jacobian of h_t(h_prev); J[n,i,m,j] is zero off n == m."""
    tc = torch()
    xt, W1t, W2t, b2t = T(x_t), T(W1), T(W2), T(b2)
    J = tc.autograd.functional.jacobian(lambda hp: tc.tanh(hp @ W1t.T + xt @ W2t.T + b2t), T(h_prev))
    return np.ascontiguousarray(np.einsum("ninj->nij", N(J)))


@sym.derivation
def _sym_bptt(t_len, k):
    """H = D = N = 1: the notes' model and loss with one-hot symbols y[t][k]; its gradient."""
    import sympy

    xs = sym.symbols("x", t_len)
    h0, W1, W2, b2 = sympy.symbols("h0 W1 W2 b2", real=True)
    Us, b1s = sym.symbols("U", k), sym.symbols("b1_", k)
    ys = [sym.symbols(f"y{t}_", k) for t in range(t_len)]
    h, loss = h0, 0
    for t in range(t_len):
        h = sympy.tanh(W1 * h + W2 * xs[t] + b2)  # h_t = tanh(W_1 h_{t-1} + W_2 x_t + b_2)
        z = [Us[j] * h + b1s[j] for j in range(k)]  # z = U h_t + b_1
        lse = sympy.log(sum(sympy.exp(zj) for zj in z))
        loss += -sum(ys[t][j] * (z[j] - lse) for j in range(k))  # −log y_K = −(z_K − log Σ e^z)
    wrt = [*xs, h0, W1, W2, b2, *Us, *b1s]
    inputs = [*wrt, *[y for row in ys for y in row]]
    return sym.lambdify(inputs, [sympy.diff(loss, v) for v in wrt])


_SYM_T, _SYM_K = 3, 3  # one derivation; shorter sequences and fewer classes are padded exactly


def _s_bptt(x, labels, h0, W1, W2, b2, U, b1):
    """Evaluate the (T, K) = (3, 3) derivation, padded: steps t >= T get one-hot rows y_t = 0 (they
    leave the loss), classes k >= K get U_k = 0, b1_k = -1000 (e^{z_k} underflows to exactly 0)."""
    t_len, n, _ = x.shape
    k = U.shape[0]
    fn = _sym_bptt(_SYM_T, _SYM_K)
    Up = np.zeros(_SYM_K)
    Up[:k] = U[:, 0]
    b1p = np.full(_SYM_K, -1000.0)
    b1p[:k] = b1
    out = {key: np.zeros(np.shape(v)) for key, v in zip(_KEYS, (x, h0, W1, W2, b2, U, b1))}
    for i in range(n):  # loss = mean_n loss_n: per-sample gradients / N
        xp = np.zeros(_SYM_T)
        xp[:t_len] = x[:, i, 0]
        onehot = np.zeros((_SYM_T, _SYM_K))
        onehot[np.arange(t_len), np.asarray(labels)[:, i]] = 1.0
        g = [float(v) for v in fn(*xp, h0[i, 0], W1[0, 0], W2[0, 0], b2[0], *Up, *b1p, *onehot.reshape(-1))]
        T_ = _SYM_T
        out["x"][:, i, 0] = np.array(g[:t_len]) / n
        out["h0"][i, 0] = g[T_] / n
        out["W1"][0, 0] += g[T_ + 1] / n
        out["W2"][0, 0] += g[T_ + 2] / n
        out["b2"][0] += g[T_ + 3] / n
        out["U"][:, 0] += np.array(g[T_ + 4:T_ + 4 + k]) / n
        out["b1"] += np.array(g[T_ + 4 + _SYM_K:T_ + 4 + _SYM_K + k]) / n
    return out


@sym.derivation
def _sym_step_jacobian(h, d):
    import sympy

    hs, xs, b2 = sym.symbols("h", h), sym.symbols("x", d), sym.symbols("b", h)
    W1 = sympy.Matrix(h, h, sym.symbols("W1_", h * h))
    W2 = sympy.Matrix(h, d, sym.symbols("W2_", h * d))
    ht = (W1 * sympy.Matrix(hs) + W2 * sympy.Matrix(xs) + sympy.Matrix(b2)).applyfunc(sympy.tanh)
    J = ht.jacobian(sympy.Matrix(hs))  # J[i, j] = ∂h_t[i]/∂h_prev[j]
    return sym.lambdify([*hs, *xs, *list(W1), *list(W2), *b2], J)


def _s_step_jacobian(x_t, h_prev, W1, W2, b2):
    n, h = h_prev.shape
    fn = _sym_step_jacobian(h, x_t.shape[1])
    # sympy.Matrix flattens row-major, like numpy's reshape(-1)
    return np.stack([np.asarray(fn(*h_prev[i], *x_t[i], *W1.reshape(-1), *W2.reshape(-1), *b2), dtype=np.float64)
                     for i in range(n)])
