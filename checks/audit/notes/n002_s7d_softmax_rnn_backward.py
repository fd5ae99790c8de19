"""Audit of notes 002 (study notes), ``002_1feb5fa5caddec6d.md``:
§7 RNN 中反向传播: the loss, the softmax derivative, the softmax +
cross-entropy gradient, ∂loss/∂h, ∂h/∂z, ∂h/∂h_prev (tanh and ReLU),
∂loss/∂h_prev and the forward pass."""

from __future__ import annotations

import numpy as np

from checks.audit.common import TIGHT, ints, ref, sigmoid, softmax
from checks.audit.model import FILES, collector, Truth
from checks.strategies import Case, array, st
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["002"])


# =====================================================================
# §7 softmax and the RNN backward pass
# =====================================================================


@st.composite
def _zK_cases(draw):
    k = draw(ints(1, 5))
    return Case((draw(array((k,), -5, 5)), draw(ints(0, k - 1))))


entry(
    id="002.7.rnn_loss", location="§7 RNN 中反向传播, 前向 / 反向 (lines 377-385)",
    quote="loss = -Σ_{i=1}^K y_i log y_t; 假设 ground-truth 类别为 K. loss = -1 · log y_K = -log y_K",
    claim="With a one-hot target the cross-entropy is -log of the true class's probability.",
    as_written=lambda z, k: float(-np.sum(np.eye(z.size)[k] * np.log(softmax(z)))),
    correct=(ref("cross_entropy", lambda f: lambda z, k: f(z[None, :], np.array([k])), "reference.cross_entropy"),
             Truth("torch F.cross_entropy", lambda z, k: float(F().cross_entropy(T(z[None, :]), torch().tensor([k]))))),
    strategy=lambda: _zK_cases(), tol=TIGHT, checked="z (K,), K in 1..5, in [-5,5]; the class in 0..K-1", topics=("softmax",),
)


def _softmax_jac_as_written(z):
    # ∂y_K/∂z_K = y_K(1-y_K); ∂y_K/∂z_j = -y_K y_j (j ≠ K), for every K
    y = softmax(z)
    J = -np.outer(y, y)
    J[np.diag_indices(z.size)] = y * (1 - y)
    return J


entry(
    id="002.7.softmax_derivative", location="§7 RNN 中反向传播, ∂y_K/∂z (lines 396-404)",
    quote="当 j=K: … = g(z^K)(1 - g(z^K)) = y^K(1 - y^K); 当 j≠K: … = -g(z^K) · g(z^j) = -y^K · y^j",
    claim="The softmax Jacobian: y_K(1-y_K) on the diagonal, -y_K y_j off it.",
    as_written=_softmax_jac_as_written,
    correct=(ref("softmax_jacobian"), Truth("torch autograd jacobian", lambda z: N(torch().autograd.functional.jacobian(lambda t: torch().softmax(t, 0), T(z))))),
    strategy=lambda: array(st.tuples(ints(1, 5)), -5, 5).map(lambda z: Case((z,))), tol=TIGHT, checked="z (K,), K in 1..5, in [-5,5]",
    topics=("softmax",),
)


def _ce_grad_torch(z, k):
    zt = T(z, grad=True)
    (-torch().log_softmax(zt, 0)[k]).backward()
    return N(zt.grad)


entry(
    id="002.7.softmax_ce_gradient", location="§7 RNN 中反向传播 (line 406)",
    quote="∂loss/∂y_K · ∂y_K/∂z = -1/y^K · y^K · {1 - y^j (j=K); 0 - y^j (j≠K)} = y_t - y_i",
    claim="∂loss/∂z = y_t - onehot(K).",
    as_written=lambda z, k: softmax(z) - np.eye(z.size)[k],
    correct=(ref("cross_entropy_backward", lambda f: lambda z, k: f(z[None, :], np.array([k]))[0], "reference.cross_entropy_backward"),
             Truth("torch autograd", _ce_grad_torch)),
    strategy=lambda: _zK_cases(), tol=TIGHT, checked="z (K,), K in 1..5, in [-5,5]", topics=("softmax",),
)


@st.composite
def _rnn_out_cases(draw):
    m, k = draw(ints(1, 3)), draw(ints(1, 4))
    return Case((draw(array((m,), -2, 2)), draw(array((k, m), -2, 2)), draw(array((k,), -2, 2)), draw(ints(0, k - 1))))


def _dloss_dh_torch(h, U, b1, k):
    ht = T(h, grad=True)
    (-torch().log_softmax(T(U) @ ht + T(b1), 0)[k]).backward()
    return N(ht.grad)


entry(
    id="002.7.rnn_dloss_dh", location="§7 RNN 中反向传播 (lines 409-411)",
    quote="∂z/∂h_t = U^T ⇒ ∂loss/∂h_t = U^T (y_t - y_i)",
    claim="∂loss/∂h_t = Uᵀ(y_t - onehot).",
    as_written=lambda h, U, b1, k: U.T @ (softmax(U @ h + b1) - np.eye(U.shape[0])[k]),
    correct=(Truth("torch autograd", _dloss_dh_torch),),
    strategy=lambda: _rnn_out_cases(), tol=TIGHT, checked="h (m,), U (K,m), b1 (K,): m in 1..3, K in 1..4, entries in [-2,2]",
    topics=("rnn",),
)


@st.composite
def _act_cases(draw):
    return Case((draw(array(st.tuples(ints(1, 4)), -4, 4)), draw(st.sampled_from(["tanh", "sigmoid"]))))


def _act_jac_torch(z, act):
    fn = getattr(torch(), act)
    return N(torch().autograd.functional.jacobian(fn, T(z)))


entry(
    id="002.7.rnn_dh_dz", location="§7 RNN 中反向传播 (line 421)",
    quote="∂h_t/∂z = ∂h_t/∂f(z) ∂f(z)/∂z = diag[f'(z)] (m×m), f = sigmoid/tanh",
    claim="The Jacobian of an elementwise activation is diag(f'(z)).",
    as_written=lambda z, act: np.diag(1 - np.tanh(z) ** 2 if act == "tanh" else sigmoid(z) * (1 - sigmoid(z))),
    correct=(Truth("torch autograd jacobian", _act_jac_torch),),
    strategy=lambda: _act_cases(), tol=TIGHT, checked="z (m,), m in 1..4, in [-4,4]; f in {tanh, sigmoid}", topics=("rnn",),
)


@st.composite
def _rnn_step_cases(draw, relu_kinks=False):
    n, h, d = draw(ints(1, 2)), draw(ints(1, 3)), draw(ints(1, 2))
    return Case((draw(array((n, d), -2, 2)), draw(array((n, h), -2, 2)), draw(array((h, h), -2, 2)),
                 draw(array((h, d), -2, 2)), draw(array((h,), -2, 2))))


def _rnn_jac_as_written(x_t, h_prev, W1, W2, b2):
    # ∂h_t/∂h_{t-1} = W1^T · diag[f'(z)], f = tanh, z = W1 h_{t-1} + W2 x_t + b (per sample)
    z = h_prev @ W1.T + x_t @ W2.T + b2
    return np.stack([W1.T @ np.diag(1 - np.tanh(zn) ** 2) for zn in z])


def _rnn_jac_torch(x_t, h_prev, W1, W2, b2, act="tanh"):
    tch = torch()
    fn = getattr(tch, act)
    out = []
    for n in range(x_t.shape[0]):
        out.append(N(tch.autograd.functional.jacobian(lambda h: fn(T(W1) @ h + T(W2) @ T(x_t[n]) + T(b2)), T(h_prev[n]))))
    return np.stack(out)


_TRANSPOSE = lambda aw: (lambda *a: np.swapaxes(aw(*a), -1, -2))  # noqa: E731

entry(
    id="002.7.rnn_dh_dhprev", location="§7 RNN 中反向传播 (lines 425-427)",
    quote="∂z/∂h_{t-1} = W_1^T (n×m); ∴ ∂h_t/∂h_{t-1} = W_1^T (n×m) · diag[f'(z)] (m×m)",
    claim="∂h_t/∂h_{t-1} = W1ᵀ diag(f'(z)).",
    as_written=_rnn_jac_as_written,
    correct=(ref("rnn_step_jacobian"), Truth("torch autograd jacobian", _rnn_jac_torch)),
    strategy=lambda: _rnn_step_cases(), tol=TIGHT, kind="convention",
    convention="denominator layout (J[j,i] = ∂h_t[i]/∂h_{t-1}[j], the transpose of the numerator-layout Jacobian torch and the contract return); mapped by transposing",
    fn_map=_TRANSPOSE,
    matters="consistent within the notes (they multiply ∂h_t/∂h_{t-1} · ∂loss/∂h_t with column gradients); mixing it with numerator-layout Jacobians (torch.autograd.functional.jacobian, the contract's rnn_step_jacobian) transposes W1.",
    checked="x_t (N,D), h_{t-1} (N,H), W1 (H,H), W2 (H,D), b2: N<=2, H<=3, D<=2, entries in [-2,2]; f = tanh",
    topics=("rnn",),
)


def _rnn_jac_relu_as_written(x_t, h_prev, W1, W2, b2):
    # 对 f = ReLU(z): ∂h_t/∂h_{t-1} = W_1^T [[1, 0], [0, 1]]
    return np.stack([W1.T @ np.eye(W1.shape[0]) for _ in range(x_t.shape[0])])


entry(
    id="002.7.rnn_dh_dhprev_relu", location="§7 RNN 中反向传播, ReLU case (line 429)",
    quote="对 f = ReLU(z): ∂h_t/∂h_{t-1} = W_1^T [[1, 0], [0, 1]]",
    claim="For ReLU, ∂h_t/∂h_{t-1} = W1ᵀ · I.",
    as_written=_rnn_jac_relu_as_written,
    correct=(Truth("torch autograd jacobian (relu)", lambda *a: _rnn_jac_torch(*a, act="relu")),),
    strategy=lambda: _rnn_step_cases(), tol=TIGHT, kind="convention",
    convention="denominator layout, as for tanh; mapped by transposing", fn_map=_TRANSPOSE,
    checked="x_t (N,D), h_{t-1} (N,H), W1, W2, b2: N<=2, H<=3, D<=2, entries in [-2,2]; f = relu",
    correction="∂h_t/∂h_{t-1} = W_1^T · diag(1[z > 0]): the identity only where every pre-activation is positive; units with z < 0 pass no gradient (dead units).",
    topics=("rnn", "relu"),
)


@st.composite
def _rnn_full_cases(draw):
    h, d, k = draw(ints(1, 3)), draw(ints(1, 2)), draw(ints(1, 3))
    return Case((draw(array((d,), -2, 2)), draw(array((h,), -2, 2)), draw(array((h, h), -2, 2)), draw(array((h, d), -2, 2)),
                 draw(array((h,), -2, 2)), draw(array((k, h), -2, 2)), draw(array((k,), -2, 2)), draw(ints(0, k - 1))))


def _dloss_dhprev_as_written(x, hp, W1, W2, b2, U, b1, k):
    z = W1 @ hp + W2 @ x + b2
    h = np.tanh(z)
    yt = softmax(U @ h + b1)
    return W1.T @ np.diag(1 - h ** 2) @ U.T @ (yt - np.eye(U.shape[0])[k])


def _dloss_dhprev_torch(x, hp, W1, W2, b2, U, b1, k):
    tch = torch()
    ht = T(hp, grad=True)
    h = tch.tanh(T(W1) @ ht + T(W2) @ T(x) + T(b2))
    (-tch.log_softmax(T(U) @ h + T(b1), 0)[k]).backward()
    return N(ht.grad)


entry(
    id="002.7.rnn_dloss_dhprev", location="§7 RNN 中反向传播 (lines 431-433)",
    quote="∂loss/∂h_{t-1} = ∂h_t/∂h_{t-1} · ∂loss/∂h_t = W_1^T · diag[f'(z)] · U^T · (y_t - y_i)",
    claim="The gradient of the step-t loss w.r.t. h_{t-1}.",
    as_written=_dloss_dhprev_as_written, correct=(Truth("torch autograd", _dloss_dhprev_torch),),
    strategy=lambda: _rnn_full_cases(), tol=TIGHT,
    checked="x (D,), h_{t-1} (H,), W1, W2, b2, U (K,H), b1: H<=3, D<=2, K<=3, entries in [-2,2]; f = tanh",
    topics=("rnn",),
)


@st.composite
def _rnn_fwd_cases(draw):
    n, h, d, k = draw(ints(1, 2)), draw(ints(1, 3)), draw(ints(1, 2)), draw(ints(1, 3))
    return Case((draw(array((1, n, d), -2, 2)), draw(array((n, h), -2, 2)), draw(array((h, h), -2, 2)), draw(array((h, d), -2, 2)),
                 draw(array((h,), -2, 2)), draw(array((k, h), -2, 2)), draw(array((k,), -2, 2))))


def _rnn_fwd_as_written(x, h0, W1, W2, b2, U, b1):
    # y_t = softmax(U h_t + b1), h_t = tanh(W1 h_{t-1} + W2 x_t + b2); row-vector batches
    h = np.tanh(h0 @ W1.T + x[0] @ W2.T + b2)
    return h[None], softmax(h @ U.T + b1)[None]


entry(
    id="002.7.rnn_forward", location="§7 RNN 中反向传播, 前向 (lines 379-381)",
    quote="y_t = softmax(U · h_t + b_1) (1×K); 其中 h_t = tanh/sigmoid(W_1 · h_{t-1} + W_2 · x_t + b_2)",
    claim="One RNN step and its softmax output.",
    as_written=_rnn_fwd_as_written, correct=(ref("rnn_forward"),),
    strategy=lambda: _rnn_fwd_cases(), tol=TIGHT, checked="one step, x (1,N,D), h0 (N,H), N<=2, H<=3, D<=2, K<=3", topics=("rnn",),
)
