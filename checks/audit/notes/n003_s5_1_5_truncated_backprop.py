"""Audit of notes 003 (the 1997 LSTM paper's appendix, explained), ``003_a1ac6faffcdc08b6.md``:
§5 后向传播过程, §5.1-§5.5, eqs. (16)-(28): the 1997 LSTM appendix A.1/A.2 --
the total error and the update, the errors e_k, e_i, e_out, e_s, the weight
changes and the RTRL recursions (25), (27), the state update.

The original LSTM (memory blocks, input and output gates, no forget gate,
s_c(t) = s_c(t-1) + g(net_c)·y^in) is implemented in
:mod:`checks.audit.lstm1997`; its truncated gradient -- the errors e_k, e_i,
e_out, e_s and the RTRL recursions (25), (27) -- is checked against torch
autograd with ``detach()`` at exactly the truncation points (the source
vector of every step)."""

from __future__ import annotations

import numpy as np

from checks.audit import lstm1997 as L
from checks.audit.common import TIGHT, R
from checks.audit.model import FILES, collector, Truth
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["003"])


_MEMO: dict = {}


def _run(p, x, target):
    key = (tuple(p[k].tobytes() + bytes(str(p[k].shape), "ascii") for k in L.PARAMS), x.tobytes(), bytes(str(x.shape), "ascii"), target.tobytes())
    r = _MEMO.get(key)
    if r is None:
        if len(_MEMO) > 64:
            _MEMO.clear()
        r = _MEMO[key] = L.run(p, x, target)
    return r


def _sig(a):
    return 1 / (1 + np.exp(-a))


def _dsig(a):
    return _sig(a) * (1 - _sig(a))


def _e_k(r, target):
    """e_k(t) = -∂E/∂net_k = 2 f'(net_k)(t^k - y^k), the definition (18) worked out in §5.2."""
    return 2 * _dsig(r["net_k"]) * (target - r["y_k"])


_CHECKED = ("the original LSTM with D, H, C, S, K in 1..2 (C blocks of S cells), sequences of 1..3 steps, weights in [-1.5,1.5], "
            "inputs in [-2,2], targets in [0,1]; truths by torch autograd with the source vector detached at every step")
_STRAT = lambda: L.cases()  # noqa: E731


def _truth(key, label=None, sign=1.0):
    return Truth(label or f"torch autograd (truncated): {key}", lambda p, x, t: sign * _run(p, x, t)[key])


entry(
    id="003.eq16_error", location="§5.1 总误差, eq. (16)",
    quote="E(t) = Σ_{k: k output unit} (t^k(t) - y^k(t))^2 (16)",
    claim="The error at time t is the summed squared difference of the output units and their targets.",
    as_written=lambda p, x, t: float(np.sum((t - _run(p, x, t)["y_k"]) ** 2)),
    correct=(Truth("torch F.mse_loss(reduction='sum')", lambda p, x, t: float(F().mse_loss(T(_run(p, x, t)["y_k"]), T(t), reduction="sum"))),),
    strategy=_STRAT, tol=TIGHT, checked=_CHECKED, examples_scale=0.5, topics=("lstm1997",),
)


def _sgd_delta(p, x, t):
    """Δw of one torch.optim.SGD(lr = α = 0.1) step on the (truncated) gradient of E(t)."""
    tch = torch()
    r = _run(p, x, t)
    out = {}
    for k in ("W_ki", "W_i"):
        w = tch.nn.Parameter(T(p[k]))
        opt = tch.optim.SGD([w], lr=0.1)
        w.grad = T(r[f"dE/d{k}"])
        opt.step()
        out[k] = N(w) - p[k]
    return out


entry(
    id="003.eq17_update", location="§5.1, eq. (17)",
    quote="Δw_lm(t) = -α ∂E(t)/∂w_lm (17)",
    claim="The weight change is gradient descent on E(t) with learning rate α.",
    as_written=lambda p, x, t: {k: -0.1 * _run(p, x, t)[f"dE/d{k}"] for k in ("W_ki", "W_i")},
    correct=(Truth("torch.optim.SGD(lr=α=0.1) step", _sgd_delta),),
    strategy=_STRAT, tol=TIGHT, checked=_CHECKED + "; α = 0.1", examples_scale=0.5, topics=("lstm1997",),
)

entry(
    id="003.e_k_derivation", location="§5.2 输出单元误差计算 (line 42)",
    quote="e_k(t) = -∂E(t)/∂net_k(t) = -∂E(t)/∂y^k · ∂y^k/∂net_k(t) = -f'(net_k(t))·2(t^k(t) - y^k(t))·(-1) = 2f'(net_k(t))(t^k(t) - y^k(t))",
    claim="By definition (18), e_k = 2 f'(net_k)(t^k - y^k).",
    as_written=lambda p, x, t: _e_k(_run(p, x, t), t),
    correct=(_truth("-dE/dnet_k"),), strategy=_STRAT, tol=TIGHT, checked=_CHECKED, topics=("lstm1997",),
)

entry(
    id="003.eq19_e_k", location="§5.2, eq. (19)",
    quote="我们把上边这个式子前面前边的常数 α 吸收掉,就可以得到式19: e_k(t) = f'(net_k(t))(t^k(t) - y^k(t)) (19)",
    claim="e_k(t) = f'(net_k)(t^k - y^k).",
    as_written=lambda p, x, t: _dsig(_run(p, x, t)["net_k"]) * (t - _run(p, x, t)["y_k"]),
    correct=(_truth("-dE/dnet_k", "torch autograd -∂E/∂net_k (definition (18))"),),
    strategy=_STRAT, tol=TIGHT, kind="convention",
    convention="the constant 2 of -∂E/∂net_k absorbed into the learning rate α (equivalently E = ½Σ(t^k - y^k)²); mapped by e_k -> 2 e_k",
    fn_map=lambda aw: (lambda p, x, t: 2 * aw(p, x, t)),
    matters="harmless for training (α absorbs it), but (19) no longer equals definition (18): every e_l derived from it is half of -∂E/∂net_l. The text says 'the constant α is absorbed'; it is the 2 that is absorbed into α.",
    checked=_CHECKED, topics=("lstm1997",),
)


def _sum_wki_ek(p, x, t):
    r = _run(p, x, t)
    return p["W_ki"].T @ _e_k(r, t)


entry(
    id="003.sum_wki_ek", location="§5.3 隐藏单元误差计算, explanation of eq. (20) (line 59)",
    quote="Σ_{k: k output unit} w_ki e_k(t) = ∂E(t)/∂y^i",
    claim="The back-propagated sum Σ_k w_ki e_k equals ∂E/∂y^i.",
    as_written=_sum_wki_ek,
    correct=(Truth("torch autograd ∂E/∂y^i", lambda p, x, t: -_run(p, x, t)["-dE/dy_i"]),),
    strategy=_STRAT, tol=TIGHT, checked=_CHECKED,
    correction="Σ_k w_ki e_k(t) = -∂E(t)/∂y^i (the errors e are NEGATIVE gradients, eq. (18)); so e_i = f_i'(net_i)·(-∂E/∂y^i) = -∂E/∂net_i, consistent with (20).",
    topics=("lstm1997",),
)

entry(
    id="003.eq20_e_i", location="§5.3 隐藏单元误差计算, eq. (20)",
    quote="e_i(t) = -∂E(t)/∂net_i(t) = f_i'(net_i(t)) Σ_{k: k output unit} w_ki e_k(t) (20)",
    claim="The hidden units' error.",
    as_written=lambda p, x, t: _dsig(_run(p, x, t)["net_i"]) * _sum_wki_ek(p, x, t),
    correct=(_truth("-dE/dnet_i"),), strategy=_STRAT, tol=TIGHT, checked=_CHECKED + " (e_k as in (18))", topics=("lstm1997",),
)


def _e_out(p, x, t):
    r = _run(p, x, t)
    back = p["W_kc"].T @ _e_k(r, t)  # Σ_k w_{k c_j^v} e_k, per cell
    per_cell = np.tanh(r["s"]) * back  # h(s_{c_j^v}) Σ_k w_{kc} e_k
    summed = np.zeros(p["W_in"].shape[0])
    np.add.at(summed, r["blk"], per_cell)  # Σ_{v=1}^{S_j}
    return _dsig(r["net_out"]) * summed


entry(
    id="003.eq21_e_out", location="§5.4 输出门误差计算, eq. (21)",
    quote="e_out_j(t) = -∂E(t)/∂net_out_j(t) = f_out_j'(net_out_j(t)) (Σ_{v=1}^{s_j} h(s_{c_j^v}) Σ_{k: k output unit} w_{k c_j^v} e_k(t)) (21)",
    claim="The output gates' error, summed over the cells of the block.",
    as_written=_e_out, correct=(_truth("-dE/dnet_out"),), strategy=_STRAT, tol=TIGHT, checked=_CHECKED, topics=("lstm1997",),
)


def _eq22(p, x, t):
    r = _run(p, x, t)
    ek = _e_k(r, t)
    ei = _dsig(r["net_i"]) * _sum_wki_ek(p, x, t)
    eo = _e_out(p, x, t)
    alpha = 1.0
    # Δw_lm = α e_l(t) y^m(t-1): y^m the activation feeding net_l (the source vector for hidden units and gates;
    # for the output units the hidden and cell outputs of the same step, which are "one propagation step" earlier)
    return {"W_ki": alpha * np.outer(ek, r["y_i"]), "W_kc": alpha * np.outer(ek, r["y_c"]),
            "W_i": alpha * np.outer(ei, r["u"]), "W_out": alpha * np.outer(eo, r["u"])}


entry(
    id="003.eq22_delta_w", location="§5.4, eq. (22)",
    quote="Δw_lm(t) = α e_l(t) y^m(t-1) (22)",
    claim="For l = k, i, out_j the weight change is α e_l times the source activation (α = 1 here).",
    as_written=_eq22,
    correct=(Truth("torch autograd, -α ∂E/∂w (truncated)", lambda p, x, t: {k: -_run(p, x, t)[f"dE/d{k}"] for k in ("W_ki", "W_kc", "W_i", "W_out")}),),
    strategy=_STRAT, tol=TIGHT, checked=_CHECKED + "; α = 1", topics=("lstm1997",),
)


def _e_s(p, x, t):
    r = _run(p, x, t)
    return _sig(r["net_out"])[r["blk"]] * (1 - np.tanh(r["s"]) ** 2) * (p["W_kc"].T @ _e_k(r, t))


entry(
    id="003.eq23_e_s", location="§5.5 输入门的误差计算, eq. (23)",
    quote="e_{s_cj}(t) = -∂E(t)/∂s_cj(t) = f_out_j(net_out_j(t)) h'(s_cj(t)) (Σ_{k: k output unit} w_{k c_j} e_k(t)) (23)",
    claim="The internal state's error.",
    as_written=_e_s, correct=(_truth("-dE/ds"),), strategy=_STRAT, tol=TIGHT, checked=_CHECKED, topics=("lstm1997",),
)


def _rtrl(p, x, which):
    """The RTRL recursions (25) / (27) accumulated from s(0) = 0 over the steps, as written."""
    steps = L.forward_all(p, x)
    CS, C, I = p["W_c"].shape[0], p["W_in"].shape[0], p["W_c"].shape[1]
    P = np.zeros((CS, C, I)) if which == "in" else np.zeros((CS, CS, I))
    for st_ in steps:
        blk, u = st_["blk"], st_["u"]
        for c in range(CS):
            j = blk[c]
            if which == "in":  # (25): ∂s/∂w_in,m += g(net_c) f_in'(net_in) y^m(t-1)
                P[c, j] += np.tanh(st_["net_c"][c]) * _dsig(st_["net_in"][j]) * u
            else:              # (27): ∂s/∂w_c,m += g'(net_c) f_in(net_in) y^m(t-1)
                P[c, c] += (1 - np.tanh(st_["net_c"][c]) ** 2) * _sig(st_["net_in"][j]) * u
    return P


entry(
    id="003.eq25_rtrl_in", location="§5.5 输入门的误差计算, eq. (25)",
    quote="∂s_cj(t)/∂w_{in_j m} = ∂s_cj(t-1)/∂w_{in_j m} + g(net_cj(t)) f_in_j'(net_in_j(t)) y^m(t-1) (25)",
    claim="The truncated RTRL recursion for the input-gate weights.",
    as_written=lambda p, x, t: _rtrl(p, x, "in"),
    correct=(Truth("torch autograd jacobian ∂s(t)/∂W_in (sources detached)", lambda p, x, t: L.state_jacobians(p, x)["ds/dW_in"]),),
    strategy=_STRAT, tol=TIGHT, checked=_CHECKED, examples_scale=0.5, topics=("lstm1997", "rtrl"),
)

entry(
    id="003.eq27_rtrl_c", location="§5.5 记忆单元的误差计算, eq. (27)",
    quote="∂s_cj(t)/∂w_{cj m} = ∂s_cj(t-1)/∂w_{cj m} + g'(net_cj(t)) (f_in_j(net_in_j(t))) y^m(t-1) (27)",
    claim="The truncated RTRL recursion for the cell-input weights.",
    as_written=lambda p, x, t: _rtrl(p, x, "c"),
    correct=(Truth("torch autograd jacobian ∂s(t)/∂W_c (sources detached)", lambda p, x, t: L.state_jacobians(p, x)["ds/dW_c"]),),
    strategy=_STRAT, tol=TIGHT, checked=_CHECKED, examples_scale=0.5, topics=("lstm1997", "rtrl"),
)


def _eq24(p, x, t):
    es = _e_s(p, x, t)
    return {"W_in": np.einsum("c,cji->ji", es, _rtrl(p, x, "in")), "W_c": np.einsum("c,cki->ki", es, _rtrl(p, x, "c"))}


_NEG_GRAD = lambda *keys: Truth("torch autograd, -∂E/∂w (truncated)", lambda p, x, t: {k: -_run(p, x, t)[f"dE/d{k}"] for k in keys})  # noqa: E731

entry(
    id="003.eq24_gate_cell_gradient", location="§5.5, eq. (24)",
    quote="-∂E(t)/∂w_lm = Σ_{v=1}^{s_j} e_{s_cj^v}(t) ∂s_cj^v(t)/∂w_lm (24)  (l = in_j or c_j^v)",
    claim="The truncated gradient of the input-gate and cell weights: each cell's state error times its RTRL partial, summed over the block.",
    as_written=_eq24, correct=(_NEG_GRAD("W_in", "W_c"),), strategy=_STRAT, tol=TIGHT, checked=_CHECKED,
    examples_scale=0.5, topics=("lstm1997",),
)


def _eq26_literal(p, x, t):
    """Δw_in_j m = α Σ_{v=1}^{s_j} e_{s_cj}(t) ∂s_cj(t)/∂w_in_j m, as printed: the summand does not depend on v,
    so it is s_j times the term of the block's cell c_j (its first cell); α = 1."""
    es, P = _e_s(p, x, t), _rtrl(p, x, "in")
    C, S = p["W_in"].shape[0], p["W_c"].shape[0] // p["W_in"].shape[0]
    out = np.zeros_like(p["W_in"])
    for j in range(C):
        c = j * S  # c_j
        out[j] = S * es[c] * P[c, j]
    return out


entry(
    id="003.eq26_delta_w_in", location="§5.5, eq. (26)",
    quote="Δw_{in_j m}(t) = α Σ_{v=1}^{s_j} e_{s_cj}(t) ∂s_cj(t)/∂w_{in_j m} (26)",
    claim="The input-gate weight change, as printed (the summand has no index v).",
    as_written=_eq26_literal,
    correct=(Truth("torch autograd, -α ∂E/∂W_in (truncated), α = 1", lambda p, x, t: -_run(p, x, t)["dE/dW_in"]),),
    strategy=_STRAT, tol=TIGHT, checked=_CHECKED + "; α = 1",
    correction="Δw_{in_j m}(t) = α Σ_{v=1}^{s_j} e_{s_{c_j^v}}(t) ∂s_{c_j^v}(t)/∂w_{in_j m}: each cell v of the block contributes its own state error and RTRL partial (as in (24)); without the superscript v the sum is s_j copies of one cell's term. Correct only for blocks of one cell.",
    topics=("lstm1997",),
)

entry(
    id="003.eq28_delta_w_c", location="§5.5 记忆单元的误差计算, eq. (28)",
    quote="Δw_{c_j m}(t) = α e_{s_cj}(t) ∂s_cj(t)/∂w_{c_j m} (28)",
    claim="The cell-input weight change (α = 1).",
    as_written=lambda p, x, t: np.einsum("c,cki->ki", _e_s(p, x, t), _rtrl(p, x, "c")),
    correct=(Truth("torch autograd, -α ∂E/∂W_c (truncated), α = 1", lambda p, x, t: -_run(p, x, t)["dE/dW_c"]),),
    strategy=_STRAT, tol=TIGHT, checked=_CHECKED + "; α = 1", examples_scale=0.5, topics=("lstm1997",),
)


def _cec_as_written(p, x, t):
    last = L.forward_all(p, x)[-1]
    s = last["s_prev"] + np.tanh(last["net_c"]) * _sig(last["net_in"])[last["blk"]]  # s_c(t) = s_c(t-1) + g(net_c) f_in(net_in)
    return _sig(last["net_out"])[last["blk"]] * np.tanh(s), s


def _cec_reference(p, x, t):
    """reference.lstm_cell with the forget gate saturated at 1 (bias 1e3), one input/output gate row per cell copied
    from its block, and the source vector as the cell's input x (h_prev = 0)."""
    last = L.forward_all(p, x)[-1]
    blk, u = last["blk"], last["u"]
    CS, I = p["W_c"].shape
    Wx = np.concatenate([p["W_in"][blk], np.zeros((CS, I)), p["W_c"], p["W_out"][blk]])
    W = np.concatenate([np.zeros((4 * CS, CS)), Wx], axis=1)
    b = np.concatenate([np.zeros(CS), np.full(CS, 1e3), np.zeros(2 * CS)])
    h, c = R("lstm_cell")(u[None], np.zeros((1, CS)), last["s_prev"][None], W, b)
    return h[0], c[0]


entry(
    id="003.cec_state_update", location="§5.5, the state update (lines 122, 142)",
    quote="s_cj(t) = s_cj(t-1) + g(net_cj(t)) f_in_j(net_in_j(t))",
    claim="The original LSTM's cell: the state adds the gated input (no forget gate); y^c = y^out h(s_c).",
    as_written=_cec_as_written, correct=(Truth("reference.lstm_cell with the forget gate forced to 1", _cec_reference),),
    strategy=_STRAT, tol=TIGHT, checked=_CHECKED, topics=("lstm1997",),
)
