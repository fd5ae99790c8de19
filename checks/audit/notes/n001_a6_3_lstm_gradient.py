"""Audit of notes 001 (assignment A6 "分析与简答"), ``001_21b8451c1ff404b6.md``:
A6.3 (推导LSTM网络中参数的梯度): the gate equations, the product for
∂L_t/∂W, ∂C^(k)/∂C^(k-1) (chain rule, the four terms, the index of the last
term), Π ∂C^(k)/∂C^(k-1) and the range of steps it spans."""

from __future__ import annotations

import numpy as np

from checks.audit.common import LOOSE, TIGHT, R, ref, sigmoid
from checks.audit.model import FILES, collector, Truth
from checks.strategies import array, st
from checks.oracles.torchlib import N, T, torch

ENTRIES, entry = collector(FILES["001"])


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
