"""Audit of notes 001 (assignment A6 "分析与简答"): 1x1 convolutions, the
gradients of max and argmax (A6.2), the LSTM gradient and the four-term
dC(k)/dC(k-1) (A6.3), the complexity of self-attention, recurrent and
convolutional layers (A6.4, measured with FlopCounterMode)."""

from __future__ import annotations

import math

import numpy as np

from checks.audit.common import EXACT, EXPONENT, LOOSE, TIGHT, R, fit_exponents, flops, ref, sigmoid, softmax, sweep
from checks.audit.model import FILES, collector, Truth
from checks.strategies import array, st, with_ties
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["001"])


# =====================================================================
# A6.1  1x1 convolution
# =====================================================================

def _conv1x1_as_written(x, w, b):
    # "改变通道数: 当卷积核的个数大于或小于输入通道数时，可以改变输出的通道数": one kernel per output
    # channel; a 1x1 kernel mixes the channels of each pixel: y[n,o,h,w] = sum_c w[o,c] x[n,c,h,w] + b[o]
    return np.einsum("oc,nchw->nohw", w, x) + b[None, :, None, None]


def _conv1x1_torch(x, w, b):
    return N(F().conv2d(T(x), T(w)[:, :, None, None], T(b)))




@st.composite
def _conv1x1_cases(draw):
    n, ci, co, h, w = (draw(st.integers(1, k)) for k in (2, 3, 4, 3, 3))
    from checks.strategies import Case
    return Case((draw(array((n, ci, h, w), -3, 3)), draw(array((co, ci), -3, 3)), draw(array((co,), -3, 3))))


entry(
    id="001.A6.1.conv1x1", location="A6.1, items 1-2",
    quote="1. 改变通道数 当卷积核的个数大于或小于输入通道数时，可以改变输出的通道数 2. 增加非线性 1x1卷积核可以在不改变特征维度的情况下添加非线性激活",
    claim="A 1x1 convolution with Cout kernels maps (N,Cin,H,W) to (N,Cout,H,W), mixing the channels of each pixel and keeping H, W.",
    as_written=_conv1x1_as_written,
    correct=(ref("conv1x1"), Truth("torch F.conv2d", _conv1x1_torch)),
    strategy=lambda: _conv1x1_cases(),
    checked="x (N,Cin,H,W), w (Cout,Cin), b (Cout,): N<=2, Cin<=3, Cout<=4, H,W<=3, entries in [-3,3]",
    topics=("conv",),
)

# =====================================================================
# A6.2  gradients of max and argmax
# =====================================================================


@st.composite
def _vec_with_ties(draw):
    from checks.strategies import Case
    d = draw(st.integers(1, 5))
    regime = draw(st.sampled_from(["ties", "ties", "distinct", "integers"]))
    if regime == "integers":
        x = draw(array((d,), elements=st.integers(-2, 2).map(float)))
    else:
        x = draw(array((d,), -10, 10))
    if regime == "ties":
        x = draw(with_ties(x[None, :]))[0]
    return Case((x,))


def _max_grad_as_written(x):
    # dy/dx_i = 1 if x_i = max(x_1..x_D) else 0
    return (x == x.max()).astype(np.float64)


def _max_grad_torch(x):
    xt = T(x, grad=True)
    torch().amax(xt).backward()
    return N(xt.grad)


def _subgradient_compare(case, got, want, tol):
    """A gradient of max at x is valid iff it is a convex combination of the unit vectors of the maxima."""
    x = case.args[0]
    g = np.asarray(got, dtype=np.float64)
    on = x == x.max()
    if np.any(np.abs(g[~on]) > 1e-12):
        return False, "non-zero gradient off the maxima"
    if np.any(g[on] < -1e-12):
        return False, "negative weight on a maximum"
    if abs(g.sum() - 1.0) > 1e-9:
        return False, f"the weights on the {int(on.sum())} tied maxima sum to {g.sum():g}, not 1 (dy/dx must be a subgradient: a convex combination)"
    return True, ""


entry(
    id="001.A6.2.max_grad", location="A6.2, eq. for ∂y/∂x_i of y = max(x_1..x_D)",
    quote="如果对于输入向量中的某个元素x_i，它是最大值，则其梯度为1，其他所有元素的梯度都为0: ∂y/∂x_i = 1 if x_i = max(x_1,⋯,x_D), 0 otherwise",
    claim="The gradient of max is 1 on every element equal to the maximum and 0 elsewhere.",
    as_written=_max_grad_as_written,
    correct=(ref("max_backward", lambda f: lambda x: f(x[None, :], np.ones(1))[0], "reference.max_backward"),
             Truth("torch amax autograd", _max_grad_torch)),
    compare=_subgradient_compare,
    strategy=lambda: _vec_with_ties(),
    checked="x (D,), D in 1..5, entries in [-10,10], ties and small integers drawn on purpose; compared as a subgradient",
    correction="∂y/∂x_i = 1[i = i*] for ONE maximiser i* (or weights w_i ≥ 0 with Σ w_i = 1 spread over the k tied maxima, e.g. 1/k each as torch.amax does); with ties, giving 1 to every maximum sums to k and is not a (sub)gradient.",
    topics=("max",),
)


@st.composite
def _distinct_vec(draw):
    from checks.strategies import Case
    d = draw(st.integers(1, 5))
    vals = draw(st.lists(st.integers(-20, 20), min_size=d, max_size=d, unique=True))
    return Case((np.array(vals, dtype=np.float64) / 2.0,))


def _argmax_grad_as_written(x):
    # ∂y/∂x_i = 1 if i = argmax(x_1..x_D) else 0
    g = np.zeros_like(x)
    g[int(np.argmax(x))] = 1.0
    return g


def _argmax_grad_fd(x):
    """Central finite differences of argmax (exact here: no ties within the step)."""
    h = 1e-6
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (float(np.argmax(x + e)) - float(np.argmax(x - e))) / (2 * h)
    return g


def _argmax_grad_torch(x):
    # torch.argmax returns an integer tensor without a grad_fn: no gradient flows (it is 0 almost everywhere)
    xt = T(x, grad=True)
    y = torch().argmax(xt)
    return np.zeros_like(x) if y.grad_fn is None else None


entry(
    id="001.A6.2.argmax_grad", location="A6.2, eq. for ∂y/∂x_i of y = argmax(x_1..x_D)",
    quote="如果对于输入向量中的某个元素x_i，它的索引位置与最大值所在的位置相同，则其梯度为1，其他所有元素的梯度都为0: ∂y/∂x_i = 1 if i = argmax(x_1,⋯,x_D), 0 otherwise",
    claim="The gradient of argmax is the one-hot vector of the maximiser.",
    as_written=_argmax_grad_as_written,
    correct=(Truth("finite differences of argmax", _argmax_grad_fd), Truth("torch (argmax has no grad_fn)", _argmax_grad_torch)),
    strategy=lambda: _distinct_vec(),
    checked="x (D,), D in 1..5, distinct half-integers in [-10,10]",
    correction="argmax is piecewise constant (an integer index): ∂y/∂x_i = 0 wherever it is differentiable (no ties) and it is undefined at ties. It passes no gradient; a differentiable surrogate is the soft-argmax Σ_i i·softmax(x/τ)_i.",
    topics=("argmax",),
)

# =====================================================================
# A6.3  LSTM
# =====================================================================


def _blocks(W, b, H):
    return [W[k * H:(k + 1) * H] for k in range(4)], [b[k * H:(k + 1) * H] for k in range(4)]


def _lstm_cell_as_written(x, h_prev, c_prev, W, b):
    # f_t = σ(W_f·[h_{t-1},x_t]+b_f), i_t = σ(W_i·[h,x]+b_i), C~_t = tanh(W_C·[h,x]+b_C), o_t = σ(W_o[h,x]+b_o)
    # C_t = f_t*C_{t-1} + i_t*C~_t, h_t = o_t*tanh(C_t); the contract stacks the blocks i, f, g(=C~), o
    H = h_prev.shape[1]
    (Wi, Wf, Wc, Wo), (bi, bf, bc, bo) = _blocks(W, b, H)
    hx = np.concatenate([h_prev, x], axis=1)
    f = sigmoid(hx @ Wf.T + bf)
    i = sigmoid(hx @ Wi.T + bi)
    ct = np.tanh(hx @ Wc.T + bc)
    o = sigmoid(hx @ Wo.T + bo)
    c = f * c_prev + i * ct
    return o * np.tanh(c), c


def _lstm_cell_torch(x, h_prev, c_prev, W, b):
    tch = torch()
    H = h_prev.shape[1]
    cell = tch.nn.LSTMCell(x.shape[1], H)
    with tch.no_grad():
        cell.weight_ih.copy_(T(W[:, H:]))
        cell.weight_hh.copy_(T(W[:, :H]))
        cell.bias_ih.copy_(T(b))
        cell.bias_hh.zero_()
        h, c = cell(T(x), (T(h_prev), T(c_prev)))
    return N(h), N(c)


@st.composite
def _lstm_cases(draw):
    from checks.strategies import Case
    n, h, d = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return Case((draw(array((n, d), -2, 2)), draw(array((n, h), -2, 2)), draw(array((n, h), -2, 2)),
                 draw(array((4 * h, h + d), -2, 2)), draw(array((4 * h,), -2, 2))))


entry(
    id="001.A6.3.lstm_cell", location="A6.3, gate equations (遗忘门, 记忆门, 输出门, 单元状态更新)",
    quote="f_t=σ(W_f·[h_{t-1},x_t]+b_f); i_t=σ(W_i·[h_{t-1},x_t]+b_i); C~_t=tanh(W_C·[h_{t-1},x_t]+b_C); o_t=σ(W_o[h_{t-1},x_t]+b_o); h_t=o_t*tanh(C_t); C_t=f_t*C_{t-1}+i_t*C~_t",
    claim="The LSTM cell with gates acting on the concatenation [h_{t-1}, x_t].",
    as_written=_lstm_cell_as_written,
    correct=(ref("lstm_cell"), Truth("torch nn.LSTMCell (W_hh = W[:, :H], W_ih = W[:, H:])", _lstm_cell_torch)),
    strategy=lambda: _lstm_cases(),
    checked="x (N,D), h, c (N,H), W (4H,H+D), b (4H,): N,H,D in 1..3, entries in [-2,2]",
    tol=TIGHT, topics=("lstm",),
)


# ---- the gradient product  ∂L_t/∂W = ∂L_t/∂h_t * ∂h_t/∂C_t * ... * Π ∂C_k/∂C_{k-1} * ∂C_1/∂W


def _t_step(x, h, c, W, b, H):
    tch = torch()
    z = tch.cat([h, x], dim=-1) @ W.T + b
    i, f, g, o = tch.sigmoid(z[..., :H]), tch.sigmoid(z[..., H:2 * H]), tch.tanh(z[..., 2 * H:3 * H]), tch.sigmoid(z[..., 3 * H:])
    c2 = f * c + i * g
    return o * tch.tanh(c2), c2, o


@st.composite
def _seq_cases(draw, tmin=1, tmax=3):
    from checks.strategies import Case
    t, h, d = draw(st.integers(tmin, tmax)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    return Case((draw(array((t, 1, d), -2, 2)), draw(array((1, h), -1, 1)), draw(array((1, h), -1, 1)),
                 draw(array((4 * h, h + d), -1.5, 1.5)), draw(array((4 * h,), -1, 1)), draw(array((1, h), -2, 2))))


_IFO = lambda H: np.r_[0:2 * H, 3 * H:4 * H]  # noqa: E731  rows of W_i, W_f, W_o in the stacked W


def _lstm_product_as_written(x, h0, c0, W, b, dh):
    """∂L_t/∂W = ∂L_t/∂h_t ∂h_t/∂C_t Π_{k=2}^{t} ∂C_k/∂C_{k-1} ∂C_1/∂W, for W ∈ {W_i, W_f, W_o}
    ("..." read as nothing more: the product of the factors shown); L = dh·h_t at the last step t = T."""
    tch = torch()
    H = h0.shape[1]
    Wt, bt = T(W), T(b)
    hs, cs, os_ = [T(h0)], [T(c0)], [None]
    for k in range(x.shape[0]):
        h, c, o = _t_step(T(x[k]), hs[-1], cs[-1], Wt, bt, H)
        hs.append(h), cs.append(c), os_.append(o)
    t = x.shape[0]
    v = T(dh)[0] * os_[t][0] * (1 - tch.tanh(cs[t][0]) ** 2)  # ∂L/∂h_t · ∂h_t/∂C_t (o_t held fixed)
    for k in range(t, 1, -1):  # Π_{k=2}^{t} ∂C_k/∂C_{k-1}, h_{k-1} = o_{k-1} tanh(C_{k-1}) with o_{k-1} fixed
        ok, xk = os_[k - 1], T(x[k - 1])
        J = tch.autograd.functional.jacobian(lambda cp: _t_step(xk, ok * tch.tanh(cp), cp, Wt, bt, H)[1], cs[k - 1])
        v = v @ J.reshape(H, H)
    dC1dW = tch.autograd.functional.jacobian(lambda w: _t_step(T(x[0]), T(h0), T(c0), w, bt, H)[1], Wt).reshape(H, *W.shape)
    g = N(tch.einsum("h,hab->ab", v, dC1dW))
    return g[_IFO(H)]


def _lstm_product_autograd(x, h0, c0, W, b, dh):
    H = h0.shape[1]
    Wt = T(W, grad=True)
    h, c = T(h0), T(c0)
    for k in range(x.shape[0]):
        h, c, _ = _t_step(T(x[k]), h, c, Wt, T(b), H)
    (h * T(dh)).sum().backward()
    return N(Wt.grad)[_IFO(H)]


def _lstm_product_reference(x, h0, c0, W, b, dh):
    up = np.zeros((x.shape[0],) + dh.shape)
    up[-1] = dh
    g = R("lstm_bptt")(x, h0, c0, W, b, up)["W"]
    return g[_IFO(h0.shape[1])]


entry(
    id="001.A6.3.dL_dW_product", location="A6.3, ∂L_t/∂W (line 56)",
    quote="对于参数W_i, W_f, W_o, 统一用W表示: ∂L_t/∂W = ∂L_t/∂h_t * ∂h_t/∂C_t * … * (Π_{k=2}^{t} ∂C_k/∂C_{k-1}) * ∂C_1/∂W",
    claim="The gradient of L_t w.r.t. the gate weights is ONE chain product from h_t back to C_1 times ∂C_1/∂W.",
    as_written=_lstm_product_as_written,
    correct=(Truth("torch autograd", _lstm_product_autograd), Truth("reference.lstm_bptt", _lstm_product_reference)),
    strategy=lambda: _seq_cases(),
    checked="T in 1..3 steps, N=1, H,D in 1..2, L = dh·h_T; rows of W_i, W_f, W_o compared",
    tol=LOOSE,
    correction=("∂L_t/∂W = Σ_{k=1}^{t} [ δC_k · ∂⁺C_k/∂W + δh_k ⊙ tanh(C_k) · ∂⁺o_k/∂W ]: a SUM over every step k of the "
                "direct (explicit) dependence of C_k and o_k on W, where δC_k, δh_k are the total gradients of L_t w.r.t. C_k, h_k "
                "flowing back through both h and C. The single product reaching only ∂C_1/∂W drops the terms of steps 2..t, "
                "and the output-gate weights W_o get their gradient only through o_k (∂h_k/∂o_k = tanh(C_k)), which the product omits."),
    topics=("lstm", "lstm-gradient"),
)


# ---- dC(k)/dC(k-1)


def _one_step_cases():
    @st.composite
    def s(draw):
        from checks.strategies import Case
        n, h, d = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
        return Case((draw(array((n, d), -2, 2)), draw(array((n, h), -2, 2)), draw(array((n, h), 0.05, 1)),
                     draw(array((4 * h, h + d), -2, 2)), draw(array((4 * h,), -2, 2))))
    return s()


def _gate_parts(x, c_prev, o_prev, W, b):
    H = c_prev.shape[1]
    h_prev = o_prev * np.tanh(c_prev)
    z = np.concatenate([h_prev, x], axis=1) @ W.T + b
    zi, zf, zc, zo = (z[:, k * H:(k + 1) * H] for k in range(4))
    Wi, Wf, Wc = (W[k * H:(k + 1) * H, :H] for k in (0, 1, 2))  # the h-columns
    dh = o_prev * (1 - np.tanh(c_prev) ** 2)  # ∂h^{(k-1)}/∂C^{(k-1)} = o^{(k-1)} tanh'(C^{(k-1)})
    sp = lambda u: sigmoid(u) * (1 - sigmoid(u))  # noqa: E731
    return dict(i=sigmoid(zi), f=sigmoid(zf), a=np.tanh(zc), dsf=sp(zf), dsi=sp(zi), dtc=1 - np.tanh(zc) ** 2,
                Wi=Wi, Wf=Wf, Wc=Wc, dh=dh)


def _term(left, Wb, right):
    # diag(left) · W · diag(right), batched
    return left[:, :, None] * Wb[None, :, :] * right[:, None, :]


def _three_terms(x, c_prev, o_prev, W, b):
    p = _gate_parts(x, c_prev, o_prev, W, b)
    return (_term(c_prev * p["dsf"], p["Wf"], p["dh"]) + _term(p["a"] * p["dsi"], p["Wi"], p["dh"])
            + _term(p["i"] * p["dtc"], p["Wc"], p["dh"]))


def _chain_rule_three_paths(x, c_prev, o_prev, W, b):
    # ∂C/∂f ∂f/∂h ∂h/∂C + ∂C/∂i ∂i/∂h ∂h/∂C + ∂C/∂a ∂a/∂h ∂h/∂C (line 62: three paths, nothing else)
    return _three_terms(x, c_prev, o_prev, W, b)


def _state_jacobian_autograd(x, c_prev, o_prev, W, b):
    tch = torch()
    H = c_prev.shape[1]
    out = []
    for n in range(x.shape[0]):
        xn, on = T(x[n:n + 1]), T(o_prev[n:n + 1])
        J = tch.autograd.functional.jacobian(lambda cp: _t_step(xn, on * tch.tanh(cp), cp, T(W), T(b), H)[1][0], T(c_prev[n:n + 1]))
        out.append(N(J).reshape(H, H))
    return np.stack(out)


entry(
    id="001.A6.3.dCk_dCk-1_chain_rule", location="A6.3, ∂C^(k)/∂C^(k-1) chain rule (line 62)",
    quote="∂C^(k)/∂C^(k-1) = ∂C^(k)/∂f^(k) ∂f^(k)/∂h^(k-1) ∂h^(k-1)/∂C^(k-1) + ∂C^(k)/∂i^(k) ∂i^(k)/∂h^(k-1) ∂h^(k-1)/∂C^(k-1) + ∂C^(k)/∂a^(k) ∂a^(k)/∂h^(k-1) ∂h^(k-1)/∂C^(k-1)",
    claim="dC(k)/dC(k-1) is the sum of the three paths through f, i and a (= C~) via h(k-1).",
    as_written=_chain_rule_three_paths,
    correct=(ref("lstm_cell_state_jacobian"), Truth("torch autograd (o^(k-1) held fixed)", _state_jacobian_autograd)),
    strategy=_one_step_cases,
    checked="x (N,D), C^(k-1) (N,H), o^(k-1) in [0.05,1], W (4H,H+D), b: N<=2, H<=3, D<=2, entries in [-2,2]",
    correction="Add the explicit term ∂C^(k)/∂C^(k-1)|direct = f^(k) (C^(k) = f^(k)·C^(k-1) + i^(k)·a^(k) depends on C^(k-1) directly): four terms, as the next display has.",
    topics=("lstm", "dCk"),
)


def _four_terms_index_k(x, c_prev, o_prev, W, b):
    p = _gate_parts(x, c_prev, o_prev, W, b)
    eye = np.eye(c_prev.shape[1])[None]
    return _three_terms(x, c_prev, o_prev, W, b) + p["f"][:, :, None] * eye


entry(
    id="001.A6.3.dCk_dCk-1_four_terms", location="A6.3, ∂C^(k)/∂C^(k-1) = … (lines 70-73), last term read as f^(k)",
    quote="∂C^(k)/∂C^(k-1) = C^(k-1) σ'(·) W_f o^(k-1) tanh'(C^(k-1)) + a^(k) σ'(·) W_i o^(k-1) tanh'(C^(k-1)) + i^(k) tanh'(·) W_c * o^(k-1) tanh'(C^(k-1)) + f^(t)",
    claim="The four-term Jacobian (the three gate paths plus the forget gate), with the last index taken as k; matrices read as diag(·)·W·diag(·) on the h-columns of W.",
    as_written=_four_terms_index_k,
    correct=(ref("lstm_cell_state_jacobian"), Truth("torch autograd (o^(k-1) held fixed)", _state_jacobian_autograd)),
    strategy=_one_step_cases,
    checked="x (N,D), C^(k-1) (N,H), o^(k-1) in [0.05,1], W (4H,H+D), b: N<=2, H<=3, D<=2, entries in [-2,2]",
    tol=TIGHT, topics=("lstm", "dCk"),
)


@st.composite
def _seq_jac_cases(draw):
    from checks.strategies import Case
    t, h, d = draw(st.integers(2, 4)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    return Case((draw(array((t, 1, d), -2, 2)), draw(array((1, h), -1, 1)), draw(array((1, h), -1, 1)),
                 draw(array((4 * h, h + d), -1.5, 1.5)), draw(array((4 * h,), -1, 1))))


def _forward_seq(x, h0, c0, W, b):
    """numpy forward; returns lists h, c, o with index 0 the initial state."""
    H = h0.shape[1]
    hs, cs, os_, fs = [h0], [c0], [None], [None]
    for k in range(x.shape[0]):
        hx = np.concatenate([hs[-1], x[k]], axis=1)
        z = hx @ W.T + b
        i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
        c = f * cs[-1] + i * g
        hs.append(o * np.tanh(c)), cs.append(c), os_.append(o), fs.append(f)
    return hs, cs, os_, fs


def _four_terms_literal_t(x, h0, c0, W, b):
    """Each J_k = ∂C^(k)/∂C^(k-1), k = 2..t, with the last term f^(t) of the last step t = T, as printed."""
    hs, cs, os_, fs = _forward_seq(x, h0, c0, W, b)
    t = x.shape[0]
    out = []
    for k in range(2, t + 1):
        three = _three_terms(x[k - 1], cs[k - 1], os_[k - 1], W, b)
        out.append(three + fs[t][:, :, None] * np.eye(h0.shape[1])[None])
    return np.stack(out)


def _four_terms_seq_truth(x, h0, c0, W, b):
    hs, cs, os_, fs = _forward_seq(x, h0, c0, W, b)
    return np.stack([_state_jacobian_autograd(x[k - 1], cs[k - 1], os_[k - 1], W, b) for k in range(2, x.shape[0] + 1)])


def _four_terms_seq_ref(x, h0, c0, W, b):
    hs, cs, os_, fs = _forward_seq(x, h0, c0, W, b)
    f = R("lstm_cell_state_jacobian")
    return np.stack([f(x[k - 1], cs[k - 1], os_[k - 1], W, b) for k in range(2, x.shape[0] + 1)])


entry(
    id="001.A6.3.dCk_dCk-1_index", location="A6.3, ∂C^(k)/∂C^(k-1), last term f^(t) (line 73)",
    quote="… + i^(k) tanh'(·) W_c * o^(k-1) tanh'(C^(k-1)) + f^(t)",
    claim="The forget-gate term of ∂C^(k)/∂C^(k-1) is f^(t), the forget gate of the step t where the loss is.",
    as_written=_four_terms_literal_t,
    correct=(Truth("torch autograd (o^(k-1) held fixed)", _four_terms_seq_truth), Truth("reference.lstm_cell_state_jacobian", _four_terms_seq_ref)),
    strategy=lambda: _seq_jac_cases(),
    checked="sequences of T in 2..4 steps, N=1, H,D in 1..2; J_k for k = 2..T, t = T",
    correction="The last term is f^(k), the forget gate of the same step k (∂(f^(k)C^(k-1))/∂C^(k-1) = f^(k)); f^(t) is an index typo.",
    topics=("lstm", "dCk"),
)


def _prod_forget_as_written(x, h0, c0, W, b):
    # Π_{k=t+1}^{T} ∂C^(k)/∂C^(k-1) = (f^(k) f^(k+1) ... f^(T)) + other; with the h-columns of W zero, "other" = 0
    W = W.copy()
    W[:, :h0.shape[1]] = 0.0
    hs, cs, os_, fs = _forward_seq(x, h0, c0, W, b)
    return np.diag(np.prod(np.stack([f[0] for f in fs[2:]]), axis=0)) if x.shape[0] >= 2 else np.eye(h0.shape[1])


def _prod_forget_truth(x, h0, c0, W, b):
    tch = torch()
    W = W.copy()
    H = h0.shape[1]
    W[:, :H] = 0.0
    hs, cs, os_, fs = _forward_seq(x, h0, c0, W, b)

    def run(c1):
        c, h = c1, T(hs[1])
        for k in range(1, x.shape[0]):
            h, c, _ = _t_step(T(x[k]), h, c, T(W), T(b), H)
        return c[0]

    return N(tch.autograd.functional.jacobian(run, T(cs[1]))).reshape(H, H)


entry(
    id="001.A6.3.prod_forget", location="A6.3, Π ∂C^(k)/∂C^(k-1) (line 74)",
    quote="Π_{k=t+1}^{T} ∂C^(k)/∂C^(k-1) = (f^(k) f^(k+1) … f^(T)) + other",
    claim="The product of the cell Jacobians is the product of the forget gates plus terms through h; with no recurrent weights the product is exactly Π f.",
    as_written=_prod_forget_as_written,
    correct=(Truth("torch autograd dC_T/dC_1 (W_h = 0)", _prod_forget_truth),),
    strategy=lambda: _seq_jac_cases(),
    checked="T in 2..4, N=1, H,D in 1..2, the h-columns of W set to 0 (so 'other' vanishes)",
    tol=TIGHT, topics=("lstm", "dCk"),
)


def _range_as_written():
    # "每一步 ∂C^(k)/∂C^(k-1) 可以自主的选择在 [0,1] 之间，或者大于1"
    return {"some step in [0,1]": True, "some step > 1": True}


def _range_truth():
    """Scan scalar LSTMs (H = D = 1) for the values the four-term Jacobian takes."""
    vals = []
    rng = np.random.default_rng(0)
    for _ in range(400):
        W = rng.uniform(-4, 4, (4, 2))
        b = rng.uniform(-3, 3, 4)
        x, c, o = rng.uniform(-2, 2, (1, 1)), rng.uniform(-2, 2, (1, 1)), rng.uniform(0, 1, (1, 1))
        vals.append(float(_four_terms_index_k(x, c, o, W, b)[0, 0, 0]))
    v = np.array(vals)
    return {"some step in [0,1]": bool(np.any((v >= 0) & (v <= 1))), "some step > 1": bool(np.any(v > 1))}


entry(
    id="001.A6.3.step_range", location="A6.3, paragraph after the product (line 78)",
    quote="每一步 ∂C^(k)/∂C^(k-1) 可以自主的选择在 [0,1] 之间，或者大于1，因为 f^(k) 是可训练学习的",
    claim="A step's cell Jacobian can lie in [0,1] or exceed 1 (scalar LSTM).",
    as_written=_range_as_written, correct=(Truth("scan of 400 scalar LSTMs (seeded), four-term formula", _range_truth),),
    checked="400 scalar LSTM cells (H = D = 1), W in [-4,4], b in [-3,3] (seed 0)",
    topics=("lstm",),
)

# =====================================================================
# A6.4  complexity (FLOPs measured with torch.utils.flop_counter.FlopCounterMode)
# =====================================================================


def _attn_cost(n, d):
    tch = torch()
    Q, K, V = (tch.randn(n, d) for _ in range(3))
    return flops(lambda: tch.softmax(Q @ K.T, dim=-1) @ V)


def _rnn_cost(n, d):
    tch = torch()
    U, W, xs = tch.randn(d, d), tch.randn(d, d), tch.randn(n, d, 1)  # input size m = d

    def run():
        h = tch.zeros(d, 1)
        for t in range(n):
            h = tch.tanh(U @ xs[t] + W @ h)
    return flops(run)


def _conv_cost(n, k, d):
    tch = torch()
    x, w = tch.randn(1, d, n), tch.randn(d, d, k)
    return flops(lambda: F().conv1d(x, w, padding="same"))


def _ux_cost(m, d):
    tch = torch()
    U, x = tch.randn(d, m), tch.randn(m, 1)
    return flops(lambda: U @ x)


def _wh_cost(d):
    tch = torch()
    W, h = tch.randn(d, d), tch.randn(d, 1)
    return flops(lambda: W @ h)


def _fit(cost, grid):
    return lambda: fit_exponents(sweep(cost, grid))


_NGRID = [8, 16, 32, 64]

entry(
    id="001.A6.4.self_attention_flops", location="A6.4, 自注意力层 (lines 106-111)",
    quote="相似度计算 QK^T: n×d 与 d×n 运算，得到 n×n 矩阵，复杂度为 O(n²d) … 加权和: n×n 与 n×d 运算 … 故最后self-attention的时间复杂度为 O(n²d)",
    claim="Self-attention softmax(QK^T)V costs O(n² d): exponent 2 in n, 1 in d.",
    as_written=lambda: {"n": 2.0, "d": 1.0},
    correct=(Truth("FlopCounterMode sweep, fitted exponents", _fit(_attn_cost, {"n": _NGRID, "d": _NGRID})),),
    checked="FLOPs of softmax(QK^T)V for n, d in {8,16,32,64} (one varied at a time), log-log least squares; tolerance 0.1 on each exponent",
    tol=EXPONENT, topics=("complexity", "attention"),
)

entry(
    id="001.A6.4.recurrent_flops", location="A6.4, 循环层 (lines 92-98)",
    quote="故一次操作的时间复杂度为 O(d²)，n次序列操作后的总时间复杂度为 O(nd²)",
    claim="A recurrent layer h_t = f(Ux_t + Wh_{t-1}) over n steps costs O(n d²) (input size m = d).",
    as_written=lambda: {"n": 1.0, "d": 2.0},
    correct=(Truth("FlopCounterMode sweep, fitted exponents", _fit(_rnn_cost, {"n": _NGRID, "d": _NGRID})),),
    checked="FLOPs of n steps of tanh(U x_t + W h) with m = d, n, d in {8,16,32,64}; tolerance 0.1",
    tol=EXPONENT, topics=("complexity", "rnn"),
)

entry(
    id="001.A6.4.recurrent_step_flops", location="A6.4, 循环层 bullets (lines 95-96)",
    quote="Ux_t: d×m 与 m×1 运算，复杂度为 O(md)；Wh_{t-1}: d×d 与 d×1 运算，复杂度为 O(d²)",
    claim="One step: Ux_t costs O(md), Wh_{t-1} costs O(d²).",
    as_written=lambda: {"Ux:m": 1.0, "Ux:d": 1.0, "Wh:d": 2.0},
    correct=(Truth("FlopCounterMode sweeps, fitted exponents",
                   lambda: {**{f"Ux:{k}": v for k, v in fit_exponents(sweep(_ux_cost, {"m": _NGRID, "d": _NGRID})).items()},
                            **{f"Wh:{k}": v for k, v in fit_exponents(sweep(_wh_cost, {"d": _NGRID})).items()}}),),
    checked="FLOPs of U@x for m, d in {8..64} and of W@h for d in {8..64}; tolerance 0.1",
    tol=EXPONENT, topics=("complexity", "rnn"),
)

entry(
    id="001.A6.4.convolution_flops", location="A6.4, 卷积层 (lines 100-104)",
    quote="大小为 k×d 的卷积核一次运算的复杂度为 O(kd)，一共做了 n 次，故复杂度为 O(nkd) … 需要 d 个卷积核，所以卷积操作总的时间复杂度为 O(nkd²)",
    claim="A 1-d convolution layer (d in and out channels, kernel k, length n, 'same' padding) costs O(n k d²).",
    as_written=lambda: {"n": 1.0, "k": 1.0, "d": 2.0},
    correct=(Truth("FlopCounterMode sweep, fitted exponents", _fit(_conv_cost, {"n": [16, 32, 64, 128], "k": [3, 5, 9, 17], "d": [4, 8, 16, 32]})),),
    checked="FLOPs of F.conv1d(x (1,d,n), w (d,d,k), padding='same'), n in {16..128}, k in {3..17}, d in {4..32}; tolerance 0.1",
    tol=EXPONENT, topics=("complexity", "conv"),
)


def _softmax_work(n):
    """Elementary operations of a row-wise softmax on an n×n matrix, counted per primitive (max, subtract, exp, sum, divide)."""
    ops = 0
    z = np.random.default_rng(0).standard_normal((n, n))
    for row in z:
        m = row.max(); ops += row.size            # noqa: E702
        e = np.exp(row - m); ops += 2 * row.size  # noqa: E702
        s = e.sum(); ops += row.size              # noqa: E702
        _ = e / s; ops += row.size                # noqa: E702
    return ops


entry(
    id="001.A6.4.softmax_cost", location="A6.4, 自注意力层 softmax bullet (line 110)",
    quote="softmax计算: 对每行做softmax，复杂度为 O(n)，则 n 行的复杂度为 O(n²)",
    claim="Row-wise softmax of the n×n score matrix costs O(n²).",
    as_written=lambda: {"n": 2.0},
    correct=(Truth("counted primitive operations, fitted exponent", _fit(_softmax_work, {"n": _NGRID})),),
    checked="operations of a counted row-wise softmax for n in {8,16,32,64}; tolerance 0.1",
    tol=EXPONENT, topics=("complexity", "attention"),
)


@st.composite
def _nk(draw):
    from checks.strategies import Case
    n = draw(st.integers(1, 12))
    return Case((n, draw(st.integers(1, n))))


def _conv_len_torch(n, k):
    return int(F().conv1d(torch().zeros(1, 1, n), torch().zeros(1, 1, k)).shape[-1])


entry(
    id="001.A6.4.conv_no_padding_length", location="A6.4, 卷积层 first bullet (line 102)",
    quote="如果不 padding的话，那么输出的第一个维度为 n-k+1，因为这里stride是为1的",
    claim="Without padding (stride 1) the output length is n - k + 1.",
    as_written=lambda n, k: n - k + 1,
    correct=(Truth("torch F.conv1d output length", _conv_len_torch),),
    strategy=lambda: _nk(), checked="n in 1..12, k in 1..n", tol=EXACT, topics=("conv",),
)


def _same_padding_truth(n, k):
    """The (left, right) zero padding that reproduces torch's padding='same' output for this (n, k)."""
    tch = torch()
    x = tch.arange(1.0, n + 1).reshape(1, 1, n)
    w = tch.arange(1.0, k + 1).reshape(1, 1, k) ** 2
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "padding='same' with even kernel lengths ... zero-padded copy"
        y = F().conv1d(x, w, padding="same")
    for left in range(k):
        right = k - 1 - left
        if tch.equal(F().conv1d(F().pad(x, (left, right)), w), y):
            return [float(left), float(right)]
    return None


entry(
    id="001.A6.4.conv_same_padding", location="A6.4, 卷积层 first bullet (line 102)",
    quote="为了保证输入输出相同，则需要对序列的前后分别padding长度为 (k-1)/2",
    claim="Padding (k-1)/2 before and after the sequence keeps the length n (stride 1).",
    as_written=lambda n, k: [(k - 1) / 2, (k - 1) / 2],
    correct=(Truth("torch F.conv1d(padding='same'): the (left, right) padding it applies", _same_padding_truth),),
    strategy=lambda: _nk(), checked="n in 1..12, k in 1..n (odd and even k)", tol=EXACT,
    correction="(k-1)/2 on each side only for odd k. For even k the total padding k-1 is odd: pad ⌊(k-1)/2⌋ before and ⌈(k-1)/2⌉ after (torch's padding='same'), or use odd kernels.",
    topics=("conv",),
)


@st.composite
def _attn_cases(draw):
    from checks.strategies import Case
    n, m, d, dv = (draw(st.integers(1, 3)) for _ in range(4))
    return Case((draw(array((1, n, d), -2, 2)), draw(array((1, m, d), -2, 2)), draw(array((1, m, dv), -2, 2))))


def _attn_unscaled(Q, K, V):
    # A(Q,K,V) = Softmax(QK^T) V
    return softmax(Q @ np.swapaxes(K, -1, -2)) @ V


def _sdpa_torch(Q, K, V):
    return N(F().scaled_dot_product_attention(T(Q), T(K), T(V)))


entry(
    id="001.A6.4.attention_formula", location="A6.4, 自注意力层 formula (line 107)",
    quote="A(Q,K,V) = Softmax(QK^T) V",
    claim="Self-attention is softmax(QK^T)V (no 1/√d scaling).",
    as_written=_attn_unscaled,
    correct=(ref("attention", lambda f: lambda Q, K, V: f(Q, K, V)), Truth("torch F.scaled_dot_product_attention", _sdpa_torch)),
    strategy=lambda: _attn_cases(),
    checked="Q (1,n,d), K (1,m,d), V (1,m,dv): sizes 1..3, entries in [-2,2]",
    kind="variant", convention="unscaled dot-product attention (the 1/√d folded into Q, e.g. into W_Q)",
    fn_map=lambda aw: (lambda Q, K, V: aw(Q / math.sqrt(Q.shape[-1]), K, V)),
    matters="the unscaled scores have variance ~d for unit-variance q, k: for large d the softmax saturates (near one-hot, vanishing gradients); Vaswani et al. scale by 1/√d for this reason. Identical for d = 1.",
    correction="Transformer attention is softmax(QK^T/√d_k)V (as 004 writes it); the unscaled form is Luong's dot attention.",
    tol=TIGHT, topics=("attention",),
)
