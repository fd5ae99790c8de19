"""rnn.* -- the vanilla RNN: forward, BPTT, one step's Jacobian (notes 002 §7, 001 A6.4).

Oracles: torch.nn.RNN(nonlinearity="tanh") with the contract's weights mapped
onto it (weight_hh = W1, weight_ih = W2, bias_ih = b2, bias_hh = 0) and the
output softmax; a rebuild in torch ops differentiated by autograd;
torch.autograd.functional.jacobian for the step Jacobian; SymPy (H = D = 1,
T <= 3, K <= 3) for BPTT, evaluated per sample (the loss is a mean of
independent per-sample losses).

The strategies also serve lstm.* and gru.* (``weights``, ``REGIMES``).
"""

from __future__ import annotations

import numpy as np

import reference.rnn as ref
from checks.oracles import sym
from checks.core.compare import Tol
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, hnp, labels, st
from checks.oracles.torchlib import N, T, F, torch

# ---------------------------------------------------------------- strategies

#: weight scale per regime: "saturating" drives tanh/σ into their flat tails
#: (pre-activations of tens), "small" keeps everything nearly linear.
REGIMES = {"moderate": 1.0, "small": 0.1, "saturating": 8.0}


def regime(names=tuple(REGIMES)):
    return st.sampled_from(list(names))


@st.composite
def _saturating_bias(draw, shape):
    """|b| in [20, 30] with a drawn sign per unit: σ′, tanh′ < 1e-8 whatever the weights add."""
    mag = draw(array(shape, 20.0, 30.0))
    sign = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0])))
    return mag * sign


def weights(shape, reg):
    """Weights of a regime; in the "saturating" regime a bias (1-d) is large on purpose."""
    if reg == "saturating" and len(shape) == 1:
        return _saturating_bias(shape)
    s = REGIMES[reg]
    return array(shape, -s, s)


@st.composite
def rnn_case(draw, with_labels=False, t_max=4, hd_max=3, n_max=3, k_max=3, regimes=tuple(REGIMES), hd=None):
    """(x, [labels,] h0, W1, W2, b2, U, b1) with T, N, H, D, K from 1, a drawn weight regime."""
    t, n = draw(st.integers(1, t_max)), draw(st.integers(1, n_max))
    h, d = hd if hd is not None else (draw(st.integers(1, hd_max)), draw(st.integers(1, hd_max)))
    k = draw(st.integers(1, k_max))
    reg = draw(regime(regimes))
    x = draw(array((t, n, d), -3.0, 3.0))
    h0 = draw(array((n, h), -1.0, 1.0))
    W1, W2, b2 = draw(weights((h, h), reg)), draw(weights((h, d), reg)), draw(weights((h,), reg))
    U, b1 = draw(array((k, h), -2.0, 2.0)), draw(array((k,), -2.0, 2.0))
    if with_labels:
        lab = draw(labels(t * n, k)).reshape(t, n)
        return Case((x, lab, h0, W1, W2, b2, U, b1))
    return Case((x, h0, W1, W2, b2, U, b1))


@st.composite
def step_case(draw, hd_max=3, regimes=tuple(REGIMES)):
    """(x_t, h_prev, W1, W2, b2) of one step."""
    n, h, d = draw(st.integers(1, 3)), draw(st.integers(1, hd_max)), draw(st.integers(1, hd_max))
    reg = draw(regime(regimes))
    return Case((
        draw(array((n, d), -3.0, 3.0)), draw(array((n, h), -1.0, 1.0)),
        draw(weights((h, h), reg)), draw(weights((h, d), reg)), draw(weights((h,), reg)),
    ))


# ---------------------------------------------------------------- torch oracles


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


# ---------------------------------------------------------------- SymPy oracles


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


_sym_rnn_cases = lambda: rnn_case(with_labels=True, t_max=3, n_max=3, k_max=3,  # noqa: E731
                                  regimes=("moderate", "small"), hd=(1, 1))

# ---------------------------------------------------------------- entries

_TOL = Tol(rtol=1e-7, atol=1e-10)

register(Formula(
    id="rnn.rnn_forward",
    source=Source("002", "§7 逻辑回归, softmax, RNN 导数推导 (RNN 中反向传播)",
                  "h_t = tanh(W1 h_{t-1} + W2 x_t + b2), y_t = softmax(U h_t + b1)",
                  "其中 $\\vec{h}_t = \\tanh/\\text{sigmoid}(W_1 \\cdot \\vec{h}_{t-1} + W_2 \\cdot \\vec{x}_t + \\vec{b}_2)$"),
    reference=ref.rnn_forward,
    strategy=rnn_case,
    outputs=("h", "p"),
    oracles=(
        Oracle("torch:nn.RNN", _t_nn_forward,
               description="nn.RNN(tanh), weight_hh=W1, weight_ih=W2, bias_ih=b2, bias_hh=0; softmax(F.linear(h, U, b1))"),
        Oracle("torch", _t_forward, description="rebuilt step by step in torch ops"),
    ),
    points=1, tol=_TOL,
    summary="T, N, H, D, K from 1; weights moderate, small or saturating",
))

register(Formula(
    id="rnn.rnn_bptt",
    source=Source("002", "§7 逻辑回归, softmax, RNN 导数推导 (RNN 中反向传播)",
                  "∂loss/∂h_{t-1} = W1ᵀ·diag[f'(z)]·Uᵀ·(y_t − y_i)",
                  "$$(n, 1) = \\underbrace{W_1^T}_{(n \\times m)} \\cdot \\underbrace{\\text{diag}[f'(\\vec{z})]}_{(m \\times m)} "
                  "\\cdot \\underbrace{U^T}_{(m \\times k)} \\cdot \\underbrace{(\\vec{y}_t - \\vec{y}_i)}_{(k, 1)}$$"),
    reference=ref.rnn_bptt,
    strategy=lambda: rnn_case(with_labels=True),
    outputs=("grads",),
    oracles=(
        Oracle("torch", _t_bptt, description="autograd of the rebuilt Σ_t mean_n −log softmax"),
        Oracle("torch:nn.RNN", _t_nn_bptt, description="autograd through nn.RNN + F.cross_entropy, summed over t"),
        Oracle("sympy", _s_bptt, strategy=_sym_rnn_cases,
               description="sympy.diff of the notes' loss, H = D = 1, T <= 3, per sample"),
    ),
    points=3, tol=_TOL,
    summary="dict of 7 gradients; loss summed over time, mean over the batch",
))

register(Formula(
    id="rnn.rnn_step_jacobian",
    source=Source("002", "§7 逻辑回归, softmax, RNN 导数推导 (RNN 中反向传播)",
                  "∂h_t/∂h_{t-1} = W1ᵀ·diag[f'(z)] (the contract returns its transpose, numerator layout)",
                  "$$\\therefore \\frac{\\partial \\vec{h}_t}{\\partial \\vec{h}_{t-1}} = \\underbrace{W_1^T}_{(n \\times m)} "
                  "\\cdot \\underbrace{\\text{diag}[f'(\\vec{z})]}_{(m \\times m)}$$"),
    reference=ref.rnn_step_jacobian,
    strategy=step_case,
    outputs=("J",),
    oracles=(
        Oracle("torch:jacobian", _t_step_jacobian, description="torch.autograd.functional.jacobian, diagonal batch blocks"),
        Oracle("sympy", _s_step_jacobian, strategy=lambda: step_case(regimes=("moderate", "small")),
               description="sympy Matrix.jacobian of tanh(W1 h + W2 x + b2)"),
    ),
    points=1, tol=_TOL,
    summary="J[n,i,j] = ∂h_t[n,i]/∂h_prev[n,j] = (1 − h_t²)[n,i]·W1[i,j]",
))
