"""Audit of notes 002 (study notes): LSTM/GRU (§1), vanishing gradients and
W^n (§3), dropout and BatchNorm (§4), ResNet/highway (§5), pooling (§6),
the optimisers' eqs. (1)-(14) (§7), logistic regression, softmax and the RNN
backward pass (§7), beam search (§8) and hierarchical softmax (§9)."""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np

from checks.audit.common import EXACT, EXPONENT, LOOSE, TIGHT, R, fit_exponents, flops, ref, sigmoid, softmax, sweep
from checks.audit.model import FILES, collector, Tol, Truth
from checks.strategies import Case, array, reals, st
from checks.oracles.torchlib import F, N, T, torch

ENTRIES, entry = collector(FILES["002"])


#: "eps -> 0" where the reference requires eps > 0: sqrt(s + 1e-300) == sqrt(s) in float64 for s > 1e-284
EPS0 = 1e-300


def _i(lo, hi):
    return st.integers(lo, hi)


# =====================================================================
# §1 LSTM / GRU
# =====================================================================


@st.composite
def _lstm_nobias(draw):
    n, h, d = draw(_i(1, 3)), draw(_i(1, 3)), draw(_i(1, 3))
    return Case((draw(array((n, d), -2, 2)), draw(array((n, h), -2, 2)), draw(array((n, h), -2, 2)),
                 draw(array((4 * h, d), -2, 2)), draw(array((4 * h, h), -2, 2))))


def _lstm_notes(x, h, c, Wx, Uh):
    """i = σ(W^(i)x + U^(i)h), f = σ(W^(f)x + U^(f)h), o = σ(W^(o)x + U^(o)h), c~ = tanh(W^(c)x + U^(c)h),
    c_t = f∘c_{t-1} + i∘c~, h_t = o∘tanh(c_t); the four blocks of Wx, Uh in the order i, f, c, o."""
    H = h.shape[1]
    z = lambda k: x @ Wx[k * H:(k + 1) * H].T + h @ Uh[k * H:(k + 1) * H].T  # noqa: E731
    i, f, ct, o = sigmoid(z(0)), sigmoid(z(1)), np.tanh(z(2)), sigmoid(z(3))
    c_new = f * c + i * ct
    return o * np.tanh(c_new), c_new


def _lstm_ref(x, h, c, Wx, Uh):
    return R("lstm_cell")(x, h, c, np.concatenate([Uh, Wx], axis=1), np.zeros(Wx.shape[0]))


def _lstm_torch(x, h, c, Wx, Uh):
    tch = torch()
    cell = tch.nn.LSTMCell(x.shape[1], h.shape[1], bias=False)
    with tch.no_grad():
        cell.weight_ih.copy_(T(Wx)), cell.weight_hh.copy_(T(Uh))
        hn, cn = cell(T(x), (T(h), T(c)))
    return N(hn), N(cn)


entry(
    id="002.1.lstm_cell", location="§1 LSTM, the six equations (i_t, f_t, o_t, c~_t, c_t, h_t)",
    quote="i_t = σ(W^(i)x_t + U^(i)h_{t-1}); f_t = σ(W^(f)x_t + U^(f)h_{t-1}); o_t = σ(W^(o)x_t + U^(o)h_{t-1}); c~_t = tanh(W^(c)x_t + U^(c)h_{t-1}); c_t = f_t∘c_{t-1} + i_t∘c~_t; h_t = o_t∘tanh(c_t)",
    claim="The LSTM cell (no biases).",
    as_written=_lstm_notes,
    correct=(Truth("reference.lstm_cell (W = [U | W], b = 0)", _lstm_ref), Truth("torch nn.LSTMCell(bias=False)", _lstm_torch)),
    strategy=lambda: _lstm_nobias(), tol=TIGHT,
    checked="x (N,D), h, c (N,H), W (4H,D), U (4H,H): N,H,D in 1..3, entries in [-2,2]",
    topics=("lstm",),
)


def _lstm_line50(x, h, c, Wx, Uh):
    H = h.shape[1]
    z = lambda k: x @ Wx[k * H:(k + 1) * H].T + h @ Uh[k * H:(k + 1) * H].T  # noqa: E731
    i, f = sigmoid(z(0)), sigmoid(z(1))
    return i * c + f * c  # c_t = i_t * c_{t-1} + f_t * c_{t-1}


entry(
    id="002.1.cell_update_line50", location="§1 LSTM, c_t after the o-gate paragraph (line 50)",
    quote="c_t = i_t * c_{t-1} + f_t * c_{t-1}",
    claim="The cell update adds i_t·c_{t-1} and f_t·c_{t-1}.",
    as_written=_lstm_line50,
    correct=(Truth("reference.lstm_cell -> c", lambda *a: _lstm_ref(*a)[1]), Truth("torch nn.LSTMCell -> c", lambda *a: _lstm_torch(*a)[1])),
    strategy=lambda: _lstm_nobias(), tol=TIGHT,
    checked="x (N,D), h, c (N,H), W (4H,D), U (4H,H): N,H,D in 1..3, entries in [-2,2]",
    correction="c_t = f_t * c_{t-1} + i_t * c~_t: the input gate scales the NEW content c~_t (as the equation on line 30 has it), not c_{t-1}.",
    topics=("lstm",),
)


def _x_cases(lo, hi, shape_max=4):
    return lambda: array(st.tuples(_i(1, shape_max)), lo, hi).map(lambda x: Case((x,)))


def _tanh_literal(x):
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))


entry(
    id="002.1.tanh_definition", location="§1 LSTM, the tanh remark (line 48)",
    quote="f(x) = (e^x - e^{-x}) / (e^x + e^{-x})",
    claim="tanh written with exponentials.",
    as_written=_tanh_literal,
    correct=(Truth("torch.tanh", lambda x: N(torch().tanh(T(x)))),),
    strategy=_x_cases(-20, 20), tol=TIGHT,
    checked="x (n,), n<=4, in [-20,20] (where e^x is representable: the literal quotient overflows beyond |x| ≈ 710)",
    topics=("tanh",),
)


def _sympy_tanh_prime():
    from checks.oracles import sym

    @sym.derivation
    def d():
        import sympy
        x = sympy.Symbol("x", real=True)
        return sym.lambdify([x], sympy.diff(sympy.tanh(x), x))

    return d()


entry(
    id="002.1.tanh_derivative", location="§1 LSTM, the tanh remark (line 48)",
    quote="f(x)' = 1 - f(x)^2",
    claim="tanh' = 1 - tanh².",
    as_written=lambda x: 1 - np.tanh(x) ** 2,
    correct=(Truth("SymPy d/dx tanh(x)", lambda x: np.asarray(_sympy_tanh_prime()(x), dtype=np.float64)),
             Truth("torch autograd", lambda x: (lambda t: (torch().tanh(t).sum().backward(), N(t.grad))[1])(T(x, grad=True)))),
    strategy=_x_cases(-20, 20), tol=LOOSE,
    checked="x (n,), n<=4, in [-20,20]",
    topics=("tanh",),
)


def _tanh_center_truth():
    import sympy
    x = sympy.Symbol("x", real=True)
    infl = sympy.solve(sympy.Eq(sympy.diff(sympy.tanh(x), x, 2), 0), x)
    lo, hi = sympy.limit(sympy.tanh(x), x, -sympy.oo), sympy.limit(sympy.tanh(x), x, sympy.oo)
    return {"centre of symmetry (inflection point)": float(infl[0]), "centre of the range": float((lo + hi) / 2)}


entry(
    id="002.1.tanh_centre", location="§1 LSTM (line 56)",
    quote="生成记忆 h 时,选择的是 tanh ,中心是 1，和多数特征吻合",
    claim="tanh is centred at 1.",
    as_written=lambda: {"centre of symmetry (inflection point)": 1.0, "centre of the range": 1.0},
    correct=(Truth("SymPy (solve tanh'' = 0; limits at ±∞)", _tanh_center_truth),),
    checked="SymPy: the inflection point of tanh and the midpoint of its range (-1, 1)",
    correction="tanh is centred at 0 (zero-centred): tanh(-x) = -tanh(x), tanh(0) = 0, range (-1, 1).",
    tol=TIGHT, topics=("tanh",),
)


def _grad_at_0_truth():
    import sympy
    x = sympy.Symbol("x", real=True)
    dt = sympy.diff(sympy.tanh(x), x)
    ds = sympy.diff(1 / (1 + sympy.exp(-x)), x)
    crit = [c for c in sympy.solve(sympy.Eq(sympy.diff(dt, x), 0), x) if c.is_real]
    return {"tanh' is largest at": float(crit[0]), "tanh'(0)": float(dt.subs(x, 0)), "tanh'(0) > sigmoid'(0)": bool(dt.subs(x, 0) > ds.subs(x, 0))}


entry(
    id="002.1.tanh_gradient_near_0", location="§1 LSTM (line 56)",
    quote="0 附近梯度也更大",
    claim="tanh's gradient is largest near 0 (tanh'(0) = 1, larger than the sigmoid's 1/4).",
    as_written=lambda: {"tanh' is largest at": 0.0, "tanh'(0)": 1.0, "tanh'(0) > sigmoid'(0)": True},
    correct=(Truth("SymPy (solve tanh'' = 0, evaluate)", _grad_at_0_truth),),
    checked="SymPy: the maximiser of tanh', tanh'(0), sigmoid'(0)", tol=TIGHT, topics=("tanh",),
)

# ---- GRU

_GRU_KEYS = ("Wu", "Wr", "Wh", "Uu", "Ur", "Uh", "bu", "br", "bh")


@st.composite
def _gru_cases(draw):
    n, h, d = draw(_i(1, 3)), draw(_i(1, 3)), draw(_i(1, 3))
    shapes = {"W": (h, h), "U": (h, d), "b": (h,)}
    p = {k: draw(array(shapes[k[0]], -2, 2)) for k in _GRU_KEYS}
    return Case((draw(array((n, d), -2, 2)), draw(array((n, h), -2, 2)), p))


def _gru_notes(x, h, p):
    """u = σ(W_u h + U_u x + b_u), r = σ(W_r h + U_r x + b_r), h~ = tanh(W_h (r∘h) + U_h x + b_h), h' = (1-u)∘h + u∘h~."""
    u = sigmoid(h @ p["Wu"].T + x @ p["Uu"].T + p["bu"])
    r = sigmoid(h @ p["Wr"].T + x @ p["Ur"].T + p["br"])
    ht = np.tanh((r * h) @ p["Wh"].T + x @ p["Uh"].T + p["bh"])
    return (1 - u) * h + u * ht


entry(
    id="002.1.gru_cell", location="§1 GRU, the four equations u, r, h~, h",
    quote="u^(t) = σ(W_u h^(t-1) + U_u x^(t) + b_u); r^(t) = σ(W_r h^(t-1) + U_r x^(t) + b_r); h~^(t) = tanh(W_h(r^(t)∘h^(t-1)) + U_h x^(t) + b_h); h^(t) = (1-u^(t))∘h^(t-1) + u^(t)∘h~^(t)",
    claim="The GRU cell in the notes' convention (reset before W_h; new state weighted by u).",
    as_written=_gru_notes, correct=(ref("gru_cell"),), strategy=lambda: _gru_cases(), tol=TIGHT,
    checked="x (N,D), h (N,H), the nine parameters: N,H,D in 1..3, entries in [-2,2]",
    topics=("gru",),
)


def _gru_torch(x, h, p):
    tch = torch()
    cell = tch.nn.GRUCell(x.shape[1], h.shape[1])
    with tch.no_grad():  # torch's gate order r, z, n
        cell.weight_ih.copy_(T(np.concatenate([p["Ur"], p["Uu"], p["Uh"]])))
        cell.weight_hh.copy_(T(np.concatenate([p["Wr"], p["Wu"], p["Wh"]])))
        cell.bias_ih.copy_(T(np.concatenate([p["br"], p["bu"], p["bh"]])))
        cell.bias_hh.zero_()
        return N(cell(T(x), T(h)))


def _gru_swap_update(aw):
    """The notes' u is torch's 1 - z: negate the update gate's parameters (σ(-a) = 1 - σ(a))."""
    def fn(x, h, p):
        q = dict(p)
        for k in ("Wu", "Uu", "bu"):
            q[k] = -p[k]
        return aw(x, h, q)
    return fn


def _diag_Wh(case):
    x, h, p = case.args
    q = dict(p)
    q["Wh"] = np.diag(np.diag(p["Wh"]))
    return Case((x, h, q))


entry(
    id="002.1.gru_vs_torch", location="§1 GRU, the four equations, against torch.nn.GRUCell",
    quote="h~^(t) = tanh(W_h(r^(t)∘h^(t-1)) + U_h x^(t) + b_h); h^(t) = (1-u^(t))∘h^(t-1) + u^(t)∘h~^(t)",
    claim="The notes' GRU against torch.nn.GRUCell with the same weights (W_u->W_hz, U_u->W_iz, ...).",
    as_written=_gru_notes, correct=(Truth("torch nn.GRUCell (b_hh = 0)", _gru_torch),),
    strategy=lambda: _gru_cases(), tol=TIGHT, kind="convention",
    convention="gate convention: the notes' u is torch's 1 - z (h' = (1-z)∘n + z∘h) and the notes reset h before W_h (torch: r∘(W_hn h + b_hn)); mapped by negating W_u, U_u, b_u, on inputs with a diagonal W_h (where W_h(r∘h) = r∘(W_h h))",
    fn_map=_gru_swap_update, case_map=_diag_Wh,
    matters="the update-gate swap is a relabelling, but the reset position is a different model: for a general W_h, weights loaded from torch.nn.GRU into the notes' equations (or back) give different hidden states (Cho et al. 2014 vs the cuDNN form torch uses).",
    checked="x (N,D), h (N,H), the nine parameters: N,H,D in 1..3, entries in [-2,2]",
    topics=("gru",),
)

# =====================================================================
# §3 gradients vanishing / exploding
# =====================================================================


def _saturation_truth():
    import sympy
    x = sympy.Symbol("x", real=True)
    ds = sympy.diff(1 / (1 + sympy.exp(-x)), x)
    dt = sympy.diff(sympy.tanh(x), x)
    return {k: float(sympy.limit(e, x, s)) for k, e, s in
            (("sigmoid' at +∞", ds, sympy.oo), ("sigmoid' at -∞", ds, -sympy.oo), ("tanh' at +∞", dt, sympy.oo), ("tanh' at -∞", dt, -sympy.oo))}


entry(
    id="002.3.saturation", location="§3 激活函数导致的梯度消失 (line 94)",
    quote="sigmoid/Tanh : 值过大或者过小时, 梯度为 0, 梯度消失",
    claim="The sigmoid's and tanh's derivatives tend to 0 for large |x|.",
    as_written=lambda: {"sigmoid' at +∞": 0.0, "sigmoid' at -∞": 0.0, "tanh' at +∞": 0.0, "tanh' at -∞": 0.0},
    correct=(Truth("SymPy limits", _saturation_truth),), checked="SymPy limits x -> ±∞", tol=TIGHT, topics=("sigmoid", "tanh"),
)


@st.composite
def _x_a(draw):
    return Case((draw(array(st.tuples(_i(1, 4)), -5, 5)), draw(reals(0.0, 1.0))))


entry(
    id="002.3.leaky_relu", location="§3 (line 100)",
    quote="leaky Relu: 正时相同。为负时, y = ax",
    claim="Leaky ReLU: y = x for x > 0, ax for x < 0.",
    as_written=lambda x, a: np.where(x > 0, x, a * x),
    correct=(Truth("torch F.leaky_relu", lambda x, a: N(F().leaky_relu(T(x), negative_slope=a))),),
    strategy=lambda: _x_a(), tol=TIGHT, checked="x (n,), n<=4, in [-5,5]; a in [0,1]", topics=("relu",),
)


@st.composite
def _prelu_cases(draw):
    n, c, l = draw(_i(1, 2)), draw(_i(1, 3)), draw(_i(1, 3))
    return Case((draw(array((n, c, l), -5, 5)), draw(array((c,), 0, 1))))


entry(
    id="002.3.prelu", location="§3 (line 102)",
    quote="P-Relu: 正时相同。为负时, y = ax. a 学习得到",
    claim="PReLU: y = x for x > 0, a x for x < 0 with a learned (per channel).",
    as_written=lambda x, a: np.where(x > 0, x, a[None, :, None] * x),
    correct=(Truth("torch F.prelu", lambda x, a: N(F().prelu(T(x), T(a)))),),
    strategy=lambda: _prelu_cases(), tol=TIGHT, checked="x (N,C,L) <= (2,3,3) in [-5,5], a (C,) in [0,1]", topics=("relu",),
)


def _wn_as_written(W, n):
    """W^n = QΛQ^T * QΛQ^T * ... = Q Λ^n Q^T, Q the (unit) eigenvectors of W (orthonormal ones when W is symmetric)."""
    if np.array_equal(W, W.T):
        lam, Q = np.linalg.eigh(W)
    else:
        lam, Q = np.linalg.eig(W)
    return Q @ np.diag(lam ** n) @ Q.T


def _wn_torch(W, n):
    return N(torch().linalg.matrix_power(T(W), n))


@st.composite
def _wn_cases(draw, symmetric=False):
    d = draw(_i(1, 3))
    W = draw(array((d, d), elements=st.integers(-3, 3).map(float)))
    if symmetric:
        W = np.triu(W) + np.triu(W, 1).T
    return Case((W, draw(_i(1, 4))))


entry(
    id="002.3.Wn_general", location="§3 rnn 导致的梯度消失/爆炸, W^n (line 114)",
    quote="W^n = QAQ^T * QAQ^T * QAQ^T … = Q * A^n * Q^T",
    claim="For the recurrent matrix W, W^n = Q Λ^n Q^T with Q its eigenvectors (any W).",
    as_written=_wn_as_written,
    correct=(Truth("torch.linalg.matrix_power", _wn_torch),),
    strategy=lambda: _wn_cases(), tol=LOOSE,
    checked="W (d,d), d in 1..3, integer entries in [-3,3] (any W), n in 1..4",
    correction="W = QΛQ^T with Q orthogonal (Q^T = Q^{-1}) only for symmetric W (spectral theorem); then W^n = QΛ^nQ^T. For a diagonalizable non-symmetric W, W^n = QΛ^nQ^{-1} (Q not orthogonal, Λ possibly complex); a defective W needs its Jordan form. The growth is then governed by |λ|^n but with transient growth from the non-orthogonal Q.",
    topics=("Wn",),
)

entry(
    id="002.3.Wn_symmetric", location="§3 W^n (line 114), for symmetric W",
    quote="W^n = QAQ^T * QAQ^T * QAQ^T … = Q * A^n * Q^T",
    claim="For a symmetric W (orthonormal eigenvectors Q), W^n = Q Λ^n Q^T.",
    as_written=_wn_as_written,
    correct=(Truth("torch.linalg.matrix_power", _wn_torch),),
    strategy=lambda: _wn_cases(symmetric=True), tol=LOOSE,
    checked="symmetric W (d,d), d in 1..3, integer entries in [-3,3], n in 1..4",
    topics=("Wn",),
)


def _wn_growth_truth(W, n):
    return float(np.linalg.norm(_wn_torch(W, n), 2))


entry(
    id="002.3.Wn_growth", location="§3 (lines 112-116)",
    quote="当雅克比矩阵特征值大于 1 时: … 靠近输入端梯度会爆炸。反之靠近输入端梯度会消失。",
    claim="For symmetric W, ‖W^n‖ = (max |λ|)^n: it explodes if the largest |λ| > 1 and vanishes if it is < 1.",
    as_written=lambda W, n: float(np.max(np.abs(np.linalg.eigvalsh(W))) ** n),
    correct=(Truth("spectral norm of torch.linalg.matrix_power", _wn_growth_truth),),
    strategy=lambda: _wn_cases(symmetric=True), tol=LOOSE,
    checked="symmetric W (d,d), d in 1..3, integer entries in [-3,3], n in 1..4",
    topics=("Wn",),
)

# =====================================================================
# §4 dropout, BatchNorm
# =====================================================================

entry(
    id="002.4.dropout_2N_models", location="§4 dropout (line 130)",
    quote="如果共有 N 个神经元参与 dropout, 每个神经元都有两种可能, 相当于训练 2^N 个模型",
    claim="N droppable units give 2^N distinct sub-networks (masks).",
    as_written=lambda n: 2 ** n,
    correct=(Truth("enumeration of the distinct 0/1 masks", lambda n: len(set(itertools.product((0, 1), repeat=n)))),),
    strategy=lambda: _i(1, 10).map(lambda n: Case((n,))), tol=EXACT, checked="N in 1..10", topics=("dropout",),
)


@st.composite
def _drop_cases(draw):
    return Case((draw(array(st.tuples(_i(1, 3)), -3, 3)), draw(st.floats(0.05, 0.95))))


def _expected_train_output(x, p_drop):
    """E over every 0/1 mask (each unit kept with probability 1 - p_drop) of the training output x∘mask."""
    out = np.zeros_like(x)
    for m in itertools.product((0.0, 1.0), repeat=x.size):
        m = np.array(m).reshape(x.shape)
        prob = np.prod(np.where(m == 1, 1 - p_drop, p_drop))
        out += prob * R("dropout_train")(x, m, 1 - p_drop, False)
    return out


entry(
    id="002.4.dropout_test_scaling", location="§4 dropout (lines 134-136)",
    quote="训练时, 以概率 p 随机丢弃。测试时, 不丢弃神经元 … 所以测试时每个神经元的输出乘以概率 p , 使得总的输出量级等于训练时",
    claim="With units dropped with probability p in training, multiplying by p at test time matches the training output's expectation.",
    as_written=lambda x, p: p * x,
    correct=(Truth("exact expectation over all masks of reference.dropout_train", _expected_train_output),
             ref("dropout_eval", lambda f: lambda x, p: f(x, 1 - p, False), "reference.dropout_eval(p_keep = 1 - p)")),
    strategy=lambda: _drop_cases(), tol=TIGHT,
    checked="x (n,), n<=3, in [-3,3]; drop probability p in [0.05, 0.95]; the expectation enumerates all 2^n masks",
    correction="With p the DROP probability, E[train output] = (1-p)·x: multiply by the keep probability 1-p at test time (004 defines p as the keep probability, and then 'multiply by p' is right). torch uses inverted dropout: divide by 1-p in training, no test-time scaling.",
    topics=("dropout",),
)


def _ratio_truth(x, p):
    return float(np.sum(x) / np.sum(_expected_train_output(x, p)))


entry(
    id="002.4.dropout_ratio", location="§4 dropout (line 134)",
    quote="测试时, 不丢弃神经元, 可能导致网络输出比训练时大 p 倍",
    claim="Without dropping, the test output is p times the training output (p = drop probability).",
    as_written=lambda x, p: p,
    correct=(Truth("test output / expected training output (exact over all masks)", _ratio_truth),),
    strategy=lambda: _drop_cases().filter(lambda c: abs(np.sum(c.args[0])) > 0.1), tol=LOOSE,
    checked="x (n,), n<=3, in [-3,3] with |Σx| > 0.1; drop probability p in [0.05, 0.95]",
    correction="The test output is 1/(1-p) times the expected training output (it is the training output that is (1-p) times smaller).",
    topics=("dropout",),
)


@st.composite
def _spread_vec(draw):
    n = draw(_i(2, 5))
    x = draw(array((n,), elements=st.integers(-6, 6).map(float)))
    if x.max() == x.min():
        x[0] += 1.0
    return Case((x,))


def _minmax_truth(x):
    """The affine map a·x + b sending min(x) to 0 and max(x) to 1 (solved, not written)."""
    a, b = np.linalg.solve(np.array([[x.min(), 1.0], [x.max(), 1.0]]), np.array([0.0, 1.0]))
    return a * x + b


entry(
    id="002.4.minmax_scaling", location="§4 Batch_normalize, 一种等比例 (line 142)",
    quote="一种等比例: x = x - x_min / x_max - x_min",
    claim="Min-max scaling, as typed: x - x_min/x_max - x_min.",
    as_written=lambda x: x - x.min() / x.max() - x.min(),
    correct=(Truth("the affine map sending min to 0 and max to 1", _minmax_truth),),
    strategy=lambda: _spread_vec(), tol=LOOSE, checked="x (n,), n in 2..5, integers in [-6,6], not constant",
    correction="x' = (x - x_min) / (x_max - x_min): the parentheses are missing (as typed, / binds first).",
    topics=("norm",),
)

entry(
    id="002.4.standardize", location="§4 Batch_normalize, N(0,1) (line 142)",
    quote="一种改变分布为 N(0,1) x = x - u / σ",
    claim="Standardisation, as typed: x - u/σ.",
    as_written=lambda x: x - x.mean() / x.std(),
    correct=(ref("batchnorm_forward", lambda f: lambda x: f(x[:, None], np.ones(1), np.zeros(1), EPS0)[:, 0], "reference.batchnorm_forward (γ=1, β=0, eps→0)"),),
    strategy=lambda: _spread_vec(), tol=LOOSE, checked="x (n,), n in 2..5, integers in [-6,6], not constant",
    correction="x' = (x - u) / σ (parentheses), σ the standard deviation.",
    topics=("norm",),
)


@st.composite
def _bn_cases(draw, eps=True):
    n, d = draw(_i(2, 4)), draw(_i(1, 3))
    scale = draw(st.sampled_from([1.0, 1.0, 1e-2, 1e-3]))
    x = draw(array((n, d), -3, 3)) * scale
    x[0] += scale  # no constant column
    x[1] -= scale
    args = (x,)
    if eps:
        args += (draw(st.sampled_from([1e-5, 1e-3, 1e-8])),)
    return Case(args)


def _bn_torch(x, eps):
    return N(F().batch_norm(T(x), None, None, training=True, eps=eps))


entry(
    id="002.4.bn_normalize", location="§4 Batch_normalize, x^(k) (line 148)",
    quote="x^(k) = (x^(k) - E[x^(k)]) / sqrt(Var[x^(k)])",
    claim="BatchNorm's normalisation, without eps.",
    as_written=lambda x, eps: (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0)),
    correct=(ref("batchnorm_forward", lambda f: lambda x, eps: f(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), eps), "reference.batchnorm_forward (γ=1, β=0)"),
             Truth("torch F.batch_norm (training)", _bn_torch)),
    strategy=lambda: _bn_cases(), tol=LOOSE, kind="variant",
    convention="eps omitted (the libraries divide by sqrt(Var + eps), eps = 1e-5 in torch); the two coincide for eps -> 0",
    case_map=lambda c: Case((c.args[0], EPS0)),
    matters="relative difference ≈ eps/(2 Var): negligible for Var ≫ eps, large when a feature's batch variance is comparable to eps, and without eps a constant feature (Var = 0) gives 0/0 = nan.",
    checked="x (N,D), N in 2..4, D in 1..3, scales 1, 1e-2, 1e-3 (small variances on purpose), eps in {1e-8, 1e-5, 1e-3}",
    topics=("norm", "batchnorm"),
)


def _bn_stats(f):
    def fn(x):
        y = f(x)
        return y.mean(axis=0), y.var(axis=0)
    return fn


entry(
    id="002.4.bn_mean0_var1", location="§4 Batch_normalize (line 150)",
    quote="对每个 batch, (B,n) 每个特征 (节点) 在该 batch 上做归一化, 那么这个 batch 的每个节点 (特征), 其均值为 0, 方差为 1",
    claim="After normalisation each feature has batch mean 0 and (biased) batch variance 1.",
    as_written=lambda x: (np.zeros(x.shape[1]), np.ones(x.shape[1])),
    correct=(ref("batchnorm_forward", lambda f: _bn_stats(lambda x: f(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), EPS0)),
                 "batch mean/variance of reference.batchnorm_forward (eps→0)"),),
    strategy=lambda: _bn_cases(eps=False), tol=Tol(1e-7, 1e-9),
    checked="x (N,D), N in 2..4, D in 1..3, scales 1 .. 1e-3; the variance is the biased batch variance",
    topics=("norm", "batchnorm"),
)

entry(
    id="002.4.bn_sigma_is_variance", location="§4 Batch_normalize (line 150)",
    quote="E(x_k) 是特征 k 在该 batch 上的均值, σ 是该 batch 的方差",
    claim="In x = (x - u)/σ, σ is the batch variance.",
    as_written=lambda x: (x - x.mean(axis=0)) / x.var(axis=0),
    correct=(ref("batchnorm_forward", lambda f: lambda x: f(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), EPS0), "reference.batchnorm_forward (γ=1, β=0, eps→0)"),),
    strategy=lambda: _bn_cases(eps=False), tol=LOOSE,
    checked="x (N,D), N in 2..4, D in 1..3, scales 1 .. 1e-3",
    correction="σ is the batch STANDARD DEVIATION √Var (as the formula on line 148 divides by √Var[x]); dividing by the variance leaves variance 1/Var.",
    topics=("norm", "batchnorm"),
)


@st.composite
def _bn_gb_cases(draw):
    n, d = draw(_i(2, 4)), draw(_i(1, 3))
    x = draw(array((n, d), -3, 3))
    x[0] += 1.0
    x[1] -= 1.0
    return Case((x, draw(array((d,), -3, 3)), draw(array((d,), -3, 3))))


def _bn_out_stats(x, gamma, beta):
    y = R("batchnorm_forward")(x, gamma, beta, EPS0)
    return y.mean(axis=0), y.var(axis=0)


entry(
    id="002.4.bn_gamma_beta", location="§4 Batch_normalize, y^(k) = γ^(k) x^(k) + β^(k) (lines 156-158)",
    quote="y^(k) = γ^(k) x^(k) + β^(k) 将每一维的分布恢复为均值为 β_k , 方差为 γ_k 的正态分布",
    claim="After y = γx̂ + β each feature has mean β and variance γ.",
    as_written=lambda x, gamma, beta: (beta, gamma),
    correct=(Truth("batch mean/variance of reference.batchnorm_forward (eps→0)", _bn_out_stats),),
    strategy=lambda: _bn_gb_cases(), tol=LOOSE,
    checked="x (N,D), N in 2..4, D in 1..3; γ, β (D,) in [-3,3]",
    correction="mean β_k and variance γ_k² (standard deviation |γ_k|); and the distribution is that of x̂ shifted and scaled, normal only if the input was.",
    topics=("norm", "batchnorm"),
)


def _bn_identity_truth(x, eps):
    g, b = np.sqrt(x.var(axis=0) + eps), x.mean(axis=0)
    return R("batchnorm_forward")(x, g, b, eps)


def _bn_identity_torch(x, eps):
    g, b = np.sqrt(x.var(axis=0) + eps), x.mean(axis=0)
    return N(F().batch_norm(T(x), None, None, T(g), T(b), training=True, eps=eps))


entry(
    id="002.4.bn_restore", location="§4 Batch_normalize (line 154)",
    quote="但直接归一化, 之前学到的某些分布特征可能丢失。为防止丢失, 同样对每一维度进行补偿",
    claim="γ and β can undo the normalisation: γ = sqrt(Var[x] + eps), β = E[x] give back x.",
    as_written=lambda x, eps: x,
    correct=(Truth("reference.batchnorm_forward(γ = sqrt(Var+eps), β = mean)", _bn_identity_truth),
             Truth("torch F.batch_norm (training)", _bn_identity_torch)),
    strategy=lambda: _bn_cases(), tol=LOOSE,
    checked="x (N,D), N in 2..4, D in 1..3, scales 1 .. 1e-3, eps in {1e-8, 1e-5, 1e-3}",
    topics=("norm", "batchnorm"),
)


@st.composite
def _bn2d_cases(draw):
    n, c, h, w = draw(_i(1, 3)), draw(_i(1, 3)), draw(_i(1, 3)), draw(_i(1, 3))
    x = draw(array((n, c, h, w), -3, 3))
    x = x.copy()
    x[0, :, 0, 0] += 1.0
    if n * h * w < 2:
        x = np.concatenate([x, x - 1.0], axis=0)
    return Case((x, draw(array((c,), -2, 2)), draw(array((c,), -2, 2))))


def _bn2d_as_written(x, gamma, beta):
    """One set of BN parameters per convolution kernel (channel): statistics over every position of every sample."""
    mu = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    return gamma[None, :, None, None] * (x - mu) / np.sqrt(var + 1e-5) + beta[None, :, None, None], 2 * x.shape[1]


def _bn2d_torch(x, gamma, beta):
    tch = torch()
    m = tch.nn.BatchNorm2d(x.shape[1], eps=1e-5)
    with tch.no_grad():
        m.weight.copy_(T(gamma)), m.bias.copy_(T(beta))
    m.train()
    y = m(T(x))
    return N(y), sum(p.numel() for p in m.parameters())


entry(
    id="002.4.bn_cnn", location="§4 Batch_normalize, CNN (line 162)",
    quote="对于 CNN, 每个卷积核作用相同 … 因此一个卷积核对应的输入对应一组 BN 参数。这个卷积核作用的所有 batch, normalize. n 组卷积核, n 组 BN 层。",
    claim="In a CNN, BatchNorm has one (γ, β) per channel, with statistics over batch and positions: 2n parameters for n kernels.",
    as_written=_bn2d_as_written, correct=(Truth("torch nn.BatchNorm2d (output, parameter count)", _bn2d_torch),),
    strategy=lambda: _bn2d_cases(), tol=LOOSE,
    checked="x (N,C,H,W) up to (3,3,3,3) with N·H·W ≥ 2, γ, β (C,)",
    topics=("norm", "batchnorm"),
)

# =====================================================================
# §5 ResNet / highway
# =====================================================================


@st.composite
def _res_cases(draw):
    n, d = draw(_i(1, 3)), draw(_i(1, 3))
    return Case((draw(array((n, d), -2, 2)), draw(array((d, d), -2, 2)), draw(array((d,), -2, 2)), draw(array((n, d), -2, 2))))


def _res_grad_as_written(x, W, b, dy):
    # y = x + F(x), F(x) = tanh(x W^T + b):  dx = dy (I + ∂F/∂x)
    t = np.tanh(x @ W.T + b)
    return dy + (dy * (1 - t ** 2)) @ W


def _res_grad_torch(x, W, b, dy):
    xt = T(x, grad=True)
    (xt + torch().tanh(xt @ T(W).T + T(b))).backward(T(dy))
    return N(xt.grad)


entry(
    id="002.5.residual_gradient", location="§5 ResNet, 好处 1 (line 183)",
    quote="回传梯度时, 即使多层网络 f(x) 梯度较小或消失, 仍能通过 short-cut 路径, 把梯度回传给近端输入",
    claim="Through y = x + F(x) the gradient is dy·(I + ∂F/∂x): the shortcut passes dy unchanged.",
    as_written=_res_grad_as_written,
    correct=(ref("residual_backward", lambda f: lambda *a: f(*a)[0], "reference.residual_backward -> dx"), Truth("torch autograd", _res_grad_torch)),
    strategy=lambda: _res_cases(), tol=TIGHT, checked="x (N,D), W (D,D), b, dy: N, D in 1..3, entries in [-2,2]; F(x) = tanh(xW^T + b)",
    topics=("residual",),
)


def _extra_params_truth(d):
    tch = torch()
    plain = sum(p.numel() for p in tch.nn.Linear(d, d).parameters())  # F alone
    residual = plain  # y = x + F(x): the shortcut has no parameter
    highway = plain + sum(p.numel() for p in tch.nn.Linear(d, d).parameters())  # + the gate T(x, W_T)
    return {"residual extra": residual - plain, "highway extra > 0": highway - plain > 0}


entry(
    id="002.5.resnet_no_extra_params", location="§5 ResNet, 好处 5 (line 191) and highway (line 195)",
    quote="5 相比于 highway network, 不引入额外参数 … (highway) 也能解决梯度消失, 但需要引入额外参数学习门控",
    claim="A residual shortcut adds no parameter; a highway gate adds some.",
    as_written=lambda d: {"residual extra": 0, "highway extra > 0": True},
    correct=(Truth("parameter counts of torch nn.Linear layers", _extra_params_truth),),
    strategy=lambda: _i(1, 8).map(lambda d: Case((d,))), tol=EXACT, checked="width D in 1..8", topics=("residual",),
)


@st.composite
def _hw_cases(draw):
    n, d = draw(_i(1, 3)), draw(_i(1, 3))
    return Case((draw(array((n, d), -2, 2)), draw(array((d, d), -2, 2)), draw(array((d,), -2, 2)),
                 draw(array((d, d), -2, 2)), draw(array((d,), -2, 2))))


def _highway_as_written(x, WH, bH, WT, bT):
    # y = H(x, W_H)·T(x, W_T) + x·(1 - T(x, W_T)), H = relu(affine), T = σ(affine) (the contract's choice of H)
    Hx = np.maximum(x @ WH.T + bH, 0.0)
    Tx = sigmoid(x @ WT.T + bT)
    return Hx * Tx + x * (1 - Tx)


def _highway_torch(x, WH, bH, WT, bT):
    xt = T(x)
    Hx = F().relu(F().linear(xt, T(WH), T(bH)))
    Tx = torch().sigmoid(F().linear(xt, T(WT), T(bT)))
    return N(Hx * Tx + xt * (1 - Tx))


entry(
    id="002.5.highway", location="§5 Highway network, eq. (3) (line 197)",
    quote="y = H(x, W_H)·T(x, W_T) + x·(1 - T(x, W_T)). (3)",
    claim="The highway layer (H = relu of an affine map, T = sigmoid gate).",
    as_written=_highway_as_written,
    correct=(ref("highway"), Truth("torch rebuild", _highway_torch)),
    strategy=lambda: _hw_cases(), tol=TIGHT, checked="x (N,D), W_H, W_T (D,D), b_H, b_T: N, D in 1..3, entries in [-2,2]",
    topics=("residual", "highway"),
)

# =====================================================================
# §6 pooling
# =====================================================================


@st.composite
def _text_pool_cases(draw):
    n, c, t = draw(_i(1, 2)), draw(_i(1, 3)), draw(_i(1, 5))
    x = draw(array((n, c, t), elements=st.integers(-3, 3).map(float)))
    return Case((x, draw(_i(1, t))))


entry(
    id="002.6.one_max_pooling", location="§6 CNN 文本, 1-max pooling (line 212)",
    quote="1-max pooling: 每个卷积核得到的向量中, 选择最大的, 拼成 n 维向量",
    claim="1-max pooling keeps each kernel's largest value: n kernels -> an n-dim vector.",
    as_written=lambda x, k: x.max(axis=2),
    correct=(ref("kmax_pool", lambda f: lambda x, k: f(x, 1)[:, :, 0], "reference.kmax_pool(k=1)"),
             Truth("torch amax", lambda x, k: N(torch().amax(T(x), dim=2)))),
    strategy=lambda: _text_pool_cases(), tol=EXACT, checked="x (N,C,T) up to (2,3,5), small integers (ties)",
    topics=("pool",),
)


def _kmax_as_written(x, k):
    # 每个向量选最大 K 个特征, 拼成 Kn 维向量 (the order of the kept values is not specified: compared as sorted)
    top = -np.sort(-x, axis=2)[:, :, :k]
    return np.sort(top.reshape(x.shape[0], -1), axis=1), x.shape[1] * k


def _kmax_truth(x, k):
    y = R("kmax_pool")(x, k)
    return np.sort(y.reshape(x.shape[0], -1), axis=1), y.shape[1] * y.shape[2]


def _kmax_torch(x, k):
    y = N(torch().topk(T(x), k, dim=2).values)
    return np.sort(y.reshape(x.shape[0], -1), axis=1), y.shape[1] * y.shape[2]


entry(
    id="002.6.k_max_pooling", location="§6 CNN 文本, k-max pooling (line 215)",
    quote="k-max pooling: … 每个向量选最大 K 个特征, 拼成 Kn 维向量",
    claim="k-max pooling keeps the K largest values of each of the n vectors: a Kn-dim vector.",
    as_written=_kmax_as_written,
    correct=(Truth("reference.kmax_pool (values, size)", _kmax_truth), Truth("torch.topk (values, size)", _kmax_torch)),
    strategy=lambda: _text_pool_cases(), tol=EXACT,
    checked="x (N,C,T) up to (2,3,5), small integers (ties), k in 1..T; the kept values compared as a multiset (the notes do not fix their order; the contract keeps time order)",
    topics=("pool",),
)


@st.composite
def _img_pool_cases(draw):
    n, c, h, w = draw(_i(1, 2)), draw(_i(1, 2)), draw(_i(2, 5)), draw(_i(2, 5))
    return Case((draw(array((n, c, h, w), elements=st.integers(-3, 3).map(float))),))


def _pool2x2_as_written(x):
    # 选取 2×2 不重叠区域: max and average of each block (a trailing odd row/column is dropped)
    n, c, h, w = x.shape
    b = x[:, :, : h // 2 * 2, : w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
    return b.max(axis=(3, 5)), b.mean(axis=(3, 5))


def _pool2x2_truth(x):
    return R("maxpool2d")(x, 2, 2), N(F().avg_pool2d(T(x), 2, 2))


def _pool2x2_torch(x):
    return N(F().max_pool2d(T(x), 2, 2)), N(F().avg_pool2d(T(x), 2, 2))


entry(
    id="002.6.pool_2x2", location="§6 CNN 图像 (lines 224-229)",
    quote="一般选取不重叠区域池化。如果选取 2×2 不重叠区域 … 平均池化： 每次选取每个区域的均值 … 最大池化： 每次选取每个区域的最大值",
    claim="2×2 non-overlapping max and average pooling.",
    as_written=_pool2x2_as_written,
    correct=(Truth("reference.maxpool2d(k=2, stride=2), torch avg_pool2d", _pool2x2_truth), Truth("torch max_pool2d / avg_pool2d", _pool2x2_torch)),
    strategy=lambda: _img_pool_cases(), tol=TIGHT, checked="x (N,C,H,W), H, W in 2..5 (odd sizes: floor mode), small integers",
    topics=("pool",),
)

entry(
    id="002.6.average_pooling_text", location="§6 CNN 文本, 平均池化 (line 217)",
    quote="平均池化： 所有卷积核得到的特征向量取平均",
    claim="Average pooling for text: the mean of each kernel's feature vector over time.",
    as_written=lambda x, k: x.mean(axis=2),
    correct=(Truth("torch adaptive_avg_pool1d(·, 1)", lambda x, k: N(F().adaptive_avg_pool1d(T(x), 1))[:, :, 0]),),
    strategy=lambda: _text_pool_cases(), tol=TIGHT, checked="x (N,C,T) up to (2,3,5)", topics=("pool",),
)

# =====================================================================
# §7 optimisers, eqs. (1)-(14)
# =====================================================================


def _torch_opt(cls, theta, grad, state: dict | None = None, **kw):
    """One step of torch.optim.<cls> from the given state; returns (theta, state as numpy)."""
    tch = torch()
    p = tch.nn.Parameter(T(theta))
    opt = getattr(tch.optim, cls)([p], **kw)
    if state:
        st_ = opt.state[p]
        for k, v in state.items():
            st_[k] = tch.tensor(float(v)) if k == "step" else T(v)
    p.grad = T(grad)
    opt.step()
    return N(p), {k: (N(v) if hasattr(v, "detach") and v.dim() > 0 else v) for k, v in opt.state[p].items() if k != "step"}


def _vec(d, lo=-3.0, hi=3.0):
    return array((d,), lo, hi)


@st.composite
def _sgd_cases(draw):
    d = draw(_i(1, 4))
    return Case((draw(_vec(d)), draw(_vec(d)), draw(st.floats(1e-3, 1.0))))


entry(
    id="002.7.eq1_sgd", location="§7 优化算法, 1 Gradient Descent, eq. (1)",
    quote="θ ← θ - η ∇_θ J(θ) (1)",
    claim="Gradient descent step.",
    as_written=lambda theta, g, lr: theta - lr * g,
    correct=(ref("sgd_step"), Truth("torch.optim.SGD", lambda th, g, lr: _torch_opt("SGD", th, g, lr=lr)[0])),
    strategy=lambda: _sgd_cases(), tol=TIGHT, checked="θ, g (d,), d in 1..4, entries in [-3,3]; η in [1e-3, 1]",
    topics=("optim", "sgd"),
)


@st.composite
def _mom_cases(draw):
    d = draw(_i(1, 4))
    return Case((draw(_vec(d)), draw(_vec(d)), draw(_vec(d)), draw(st.floats(1e-2, 1.0)), draw(st.floats(0.0, 0.99))))


def _momentum_notes(theta, g, m, lr, beta):
    m = beta * m + lr * g  # (2)
    return theta - m, m    # (3)


entry(
    id="002.7.eq2_3_momentum", location="§7 优化算法, 2 Momentum, eqs. (2)-(3)",
    quote="m ← βm + η∇_θ J(θ) (2); θ ← θ - m (3)",
    claim="Momentum step (m carries the learning rate).",
    as_written=_momentum_notes, correct=(ref("momentum_step"),),
    strategy=lambda: _mom_cases(), tol=TIGHT, checked="θ, g, m (d,), d in 1..4, entries in [-3,3]; η in [0.01, 1], β in [0, 0.99]",
    topics=("optim", "momentum"),
)


def _momentum_torch(theta, g, m, lr, beta):
    th, stt = _torch_opt("SGD", theta, g, {"momentum_buffer": m / lr}, lr=lr, momentum=beta)
    return th, stt["momentum_buffer"]


entry(
    id="002.7.eq2_3_vs_torch", location="§7 优化算法, 2 Momentum, eqs. (2)-(3), against torch.optim.SGD",
    quote="m ← βm + η∇_θ J(θ) (2); θ ← θ - m (3)",
    claim="The notes' momentum against torch.optim.SGD(momentum=β), the buffer started at m/η.",
    as_written=_momentum_notes, correct=(Truth("torch.optim.SGD(momentum=β)", _momentum_torch),),
    strategy=lambda: _mom_cases().filter(lambda c: c.args[4] > 0),  # torch skips the buffer when momentum = 0
    tol=TIGHT, kind="convention",
    convention="the notes' momentum m is η × torch's buffer v (torch: v ← βv + g, θ ← θ - ηv); mapped by m -> m/η",
    fn_map=lambda aw: (lambda theta, g, m, lr, beta: (lambda r: (r[0], r[1] / lr))(aw(theta, g, m, lr, beta))),
    matters="identical trajectories while η is constant; with a learning-rate schedule the notes' m keeps the old η inside (the new η applies only to the new gradient), torch rescales the whole step.",
    checked="θ, g, m (d,), d in 1..4, entries in [-3,3]; η in [0.01, 1], β in (0, 0.99]",
    topics=("optim", "momentum"),
)


def _speedup_truth(beta):
    """Run the reference momentum step with a constant gradient until it settles; step length / GD step length."""
    theta, m, g, lr = np.zeros(1), np.zeros(1), np.ones(1), 1.0
    for _ in range(4000):
        new, m = R("momentum_step")(theta, g, m, lr, beta)
        step, theta = float(theta[0] - new[0]), new
    return step / (lr * g[0])


def _speedup_sympy(beta):
    import sympy
    b, j, t = sympy.symbols("beta j t", positive=True)
    partial = sympy.summation(b ** j, (j, 0, t - 1))  # the step after t updates, in units of ηg
    lim = sympy.limit(partial.subs(b, sympy.Rational(beta).limit_denominator(10 ** 9)), t, sympy.oo)
    return float(lim)


entry(
    id="002.7.momentum_speedup", location="§7 优化算法, 2 Momentum (line 251)",
    quote="假设每次梯度恒定, 那么根据式 (2)(3) 可以推出 Momentum 参数更新的速度是 GD 的 1/(1-β) 倍",
    claim="With a constant gradient, momentum's step tends to 1/(1-β) times the GD step.",
    as_written=lambda beta: 1 / (1 - beta),
    correct=(Truth("reference.momentum_step iterated 4000 steps", _speedup_truth), Truth("SymPy lim_{t→∞} Σ_{j<t} β^j", _speedup_sympy)),
    strategy=lambda: st.sampled_from([0.0, 0.5, 0.9, 0.95, 0.99]).map(lambda b: Case((b,))), tol=Tol(1e-6, 1e-9),
    checked="β in {0, 0.5, 0.9, 0.95, 0.99}; after t steps the ratio is (1-β^t)/(1-β) (it reaches 99% of 1/(1-β) after ln(0.01)/ln β steps: 44 at β = 0.9)",
    examples_scale=0.25, topics=("optim", "momentum"),
)


class Quadratic:
    """grad_fn of J(θ) = ½θᵀAθ + cᵀθ (A symmetric): ∇J(θ) = Aθ + c. Printable, so counterexamples can be rerun."""

    def __init__(self, A, c):
        self.A, self.c = np.asarray(A, dtype=np.float64), np.asarray(c, dtype=np.float64)

    def __call__(self, theta):
        return self.A @ theta + self.c

    def __repr__(self):
        from checks.core.case import py_repr
        return f"Quadratic({py_repr(self.A)}, {py_repr(self.c)})"

    def __deepcopy__(self, memo):
        return Quadratic(self.A.copy(), self.c.copy())

    def __eq__(self, other):
        return isinstance(other, Quadratic) and np.array_equal(self.A, other.A) and np.array_equal(self.c, other.c)


@st.composite
def _nag_cases(draw):
    d = draw(_i(1, 3))
    A = draw(array((d, d), elements=st.integers(-2, 2).map(float)))
    A = np.triu(A) + np.triu(A, 1).T
    return Case((draw(_vec(d)), Quadratic(A, draw(_vec(d))), draw(_vec(d)), draw(st.floats(1e-2, 1.0)), draw(st.floats(0.0, 0.99))))


def _nag_notes(theta, grad_fn, m, lr, beta):
    m = beta * m + lr * grad_fn(theta + beta * m)  # (4)
    return theta - m, m                            # (5)


def _nag_lookahead_truth(theta, grad_fn, m, lr, beta):
    """Nesterov: the gradient at the point the momentum alone moves θ to (a zero-gradient momentum step), then a momentum step."""
    look, _ = R("momentum_step")(theta, np.zeros_like(theta), m, lr, beta)
    m = beta * m + lr * grad_fn(look)
    return theta - m, m


entry(
    id="002.7.eq4_5_nag", location="§7 优化算法, 3 NAG, eqs. (4)-(5) (and line 263)",
    quote="m ← βm + η∇_θ J(θ + βm) (4); θ ← θ - m (5) … NAG 则是加上 (当前位置往后一点 θ + βm) 的梯度",
    claim="NAG evaluates the gradient at the look-ahead point θ + βm.",
    as_written=_nag_notes,
    correct=(ref("nag_step"), Truth("gradient at the momentum look-ahead (reference.momentum_step with g = 0)", _nag_lookahead_truth)),
    strategy=lambda: _nag_cases(), tol=TIGHT,
    checked="J(θ) = ½θᵀAθ + cᵀθ, A symmetric integer (d,d), d in 1..3; θ, m, c in [-3,3]; η in [0.01, 1], β in [0, 0.99]",
    correction="m ← βm + η∇J(θ - βm), θ ← θ - m: since the update SUBTRACTS m, momentum carries θ to θ - βm, which is the look-ahead point. θ + βm is right only in the other sign convention v ← βv - η∇J(θ + βv), θ ← θ + v (Sutskever et al. 2013).",
    topics=("optim", "nag"),
)


@st.composite
def _ada_cases(draw, eps_choices=(1e-10, 1e-8, 1e-4, 1e-1)):
    d = draw(_i(1, 4))
    scale = draw(st.sampled_from([1.0, 1.0, 1e-3]))
    return Case((draw(_vec(d)), draw(_vec(d)) * scale, draw(array((d,), 0.01, 4)) * scale ** 2,
                 draw(st.floats(1e-2, 1.0)), draw(st.sampled_from(eps_choices))))


entry(
    id="002.7.eq6_adagrad_s", location="§7 优化算法, 4 AdaGrad, eq. (6)",
    quote="s ← s + ∇_θ J(θ) ⊗ ∇_θ J(θ) (6)",
    claim="AdaGrad accumulates the squared gradients.",
    as_written=lambda theta, g, s, lr, eps: s + g * g,
    correct=(ref("adagrad_step", lambda f: lambda *a: f(*a)[1], "reference.adagrad_step -> s"),
             Truth("torch.optim.Adagrad state 'sum'", lambda th, g, s, lr, eps: _torch_opt("Adagrad", th, g, {"sum": s}, lr=lr, eps=eps)[1]["sum"])),
    strategy=lambda: _ada_cases(), tol=TIGHT, checked="θ, g, s (d,), d in 1..4; s in [0.01, 4]·scale²; gradients of scale 1 or 1e-3",
    topics=("optim", "adagrad"),
)


def _adagrad_notes(theta, g, s, lr, eps):
    s = s + g * g                                # (6)
    return theta - lr * g / np.sqrt(s + eps), s  # (7)


_EPS0 = lambda c: Case(c.args[:-1] + (EPS0,))  # noqa: E731  the variants coincide for eps -> 0

entry(
    id="002.7.eq7_adagrad", location="§7 优化算法, 4 AdaGrad, eq. (7)",
    quote="θ ← θ - η∇_θ J(θ) ⊘ sqrt(s + ε) (7)",
    claim="AdaGrad's step divides by sqrt(s + ε).",
    as_written=_adagrad_notes,
    correct=(ref("adagrad_step"), Truth("torch.optim.Adagrad", lambda th, g, s, lr, eps: (lambda r: (r[0], r[1]["sum"]))(_torch_opt("Adagrad", th, g, {"sum": s}, lr=lr, eps=eps)))),
    strategy=lambda: _ada_cases(), tol=TIGHT, kind="variant",
    convention="ε inside the square root, sqrt(s + ε); torch.optim and the contract use sqrt(s) + ε; they coincide for ε -> 0",
    case_map=_EPS0,
    matters="the step differs by a factor (sqrt(s)+ε)/sqrt(s+ε): ≈ 1 when s ≫ ε² and s ≫ ε; it matters for tiny accumulated gradients (s ≲ ε, e.g. rare features or ε ~ 1e-4..1e-1), where ε inside caps the step at η g/√ε instead of η g/ε.",
    checked="θ, g, s (d,), d in 1..4; s in [0.01, 4]·scale²; gradients of scale 1 or 1e-3; ε in {1e-10, 1e-8, 1e-4, 1e-1}",
    topics=("optim", "adagrad"),
)

entry(
    id="002.7.adagrad_text_sum", location="§7 优化算法, 4 AdaGrad, text after eq. (7) (line 298)",
    quote="这个缩放操作是通过除以 sqrt(s + ε) 来完成的, s 一直在累加各维梯度之和 (会越来越来)",
    claim="s accumulates the sum of the gradients.",
    as_written=lambda theta, g, s, lr, eps: s + g,
    correct=(ref("adagrad_step", lambda f: lambda *a: f(*a)[1], "reference.adagrad_step -> s"),),
    strategy=lambda: _ada_cases(), tol=TIGHT, checked="θ, g, s (d,), d in 1..4",
    correction="s accumulates the SQUARED gradients g⊗g (eq. (6)); that is why it only grows ('越来越大') and why the step shrinks.",
    topics=("optim", "adagrad"),
)


@st.composite
def _rms_cases(draw):
    c = draw(_ada_cases())
    theta, g, s, lr, eps = c.args
    return Case((theta, g, s, lr, draw(st.floats(0.5, 0.999)), eps))


entry(
    id="002.7.eq8_rmsprop_s", location="§7 优化算法, 5 RMSProp, eq. (8)",
    quote="s ← βs + (1 - β)∇_θ J(θ) ⊗ ∇_θ J(θ) (8)",
    claim="RMSProp's exponential moving average of squared gradients.",
    as_written=lambda theta, g, s, lr, beta, eps: beta * s + (1 - beta) * g * g,
    correct=(ref("rmsprop_step", lambda f: lambda *a: f(*a)[1], "reference.rmsprop_step -> s"),
             Truth("torch.optim.RMSprop state 'square_avg'", lambda th, g, s, lr, b, eps: _torch_opt("RMSprop", th, g, {"step": 0, "square_avg": s}, lr=lr, alpha=b, eps=eps)[1]["square_avg"])),
    strategy=lambda: _rms_cases(), tol=TIGHT, checked="θ, g, s (d,), d in 1..4; β in [0.5, 0.999]",
    topics=("optim", "rmsprop"),
)


def _rmsprop_notes(theta, g, s, lr, beta, eps):
    s = beta * s + (1 - beta) * g * g            # (8)
    return theta - lr * g / np.sqrt(s + eps), s  # (9)


def _rms_torch(th, g, s, lr, b, eps):
    r = _torch_opt("RMSprop", th, g, {"step": 0, "square_avg": s}, lr=lr, alpha=b, eps=eps)
    return r[0], r[1]["square_avg"]


entry(
    id="002.7.eq9_rmsprop", location="§7 优化算法, 5 RMSProp, eq. (9)",
    quote="θ ← θ - η∇_θ J(θ) ⊘ sqrt(s + ε) (9)",
    claim="RMSProp's step divides by sqrt(s + ε).",
    as_written=_rmsprop_notes, correct=(ref("rmsprop_step"), Truth("torch.optim.RMSprop", _rms_torch)),
    strategy=lambda: _rms_cases(), tol=TIGHT, kind="variant",
    convention="ε inside the square root; torch.optim.RMSprop and the contract use sqrt(s) + ε; they coincide for ε -> 0",
    case_map=_EPS0,
    matters="as for AdaGrad: only when s is comparable to ε (tiny gradients, large ε); then ε inside gives a step up to sqrt(1/ε) times larger than torch's.",
    checked="θ, g, s (d,), d in 1..4; β in [0.5, 0.999]; gradients of scale 1 or 1e-3; ε in {1e-10, 1e-8, 1e-4, 1e-1}",
    topics=("optim", "rmsprop"),
)


def _rms_weights_truth(t, beta):
    """Weight of the squared gradient j steps back in s_t (from s_0 = 0): impulse responses of reference.rmsprop_step."""
    w = []
    for j in range(t):
        s = np.zeros(1)
        for step in range(t):
            g = np.ones(1) if step == t - 1 - j else np.zeros(1)
            _, s = R("rmsprop_step")(np.zeros(1), g, s, 1e-3, beta, 1e-8)
        w.append(float(s[0]))
    return w


entry(
    id="002.7.rmsprop_text_recent", location="§7 优化算法, 5 RMSProp, text before eq. (8) (line 302)",
    quote="RMSProp 通过只累加最近一次的梯度来解决这个问题 (AdaGrad 是累加之前所有的梯度)",
    claim="RMSProp accumulates only the most recent gradient.",
    as_written=lambda t, beta: [1.0] + [0.0] * (t - 1),
    correct=(Truth("weights of past squared gradients in s_t (impulse responses of reference.rmsprop_step)", _rms_weights_truth),),
    strategy=lambda: st.tuples(_i(1, 5), st.sampled_from([0.5, 0.9, 0.99])).map(lambda a: Case(a)), tol=LOOSE,
    checked="t in 1..5 steps, β in {0.5, 0.9, 0.99}",
    correction="s is an exponential moving average of ALL past squared gradients: the one j steps back has weight (1-β)β^j (eq. (8)); old gradients fade geometrically instead of accumulating, which is what fixes AdaGrad's ever-shrinking step.",
    topics=("optim", "rmsprop"),
)


@st.composite
def _adam_cases(draw, eps=None):
    d = draw(_i(1, 4))
    g = draw(_vec(d))
    g = np.where(np.abs(g) < 0.05, 0.5, g)
    return Case((draw(_vec(d)), g, draw(_vec(d)), draw(array((d,), 0.01, 4)), draw(_i(1, 6)),
                 draw(st.floats(1e-3, 0.5)), draw(st.sampled_from([0.9, 0.5, 0.0])), draw(st.sampled_from([0.999, 0.9])),
                 eps if eps is not None else draw(st.sampled_from([1e-8, 1e-4, 1e-1]))))


def _adam_torch(theta, g, m, s, t, lr, b1, b2, eps):
    th, stt = _torch_opt("Adam", theta, g, {"step": t - 1, "exp_avg": m, "exp_avg_sq": s}, lr=lr, betas=(b1, b2), eps=eps)
    return th, stt["exp_avg"], stt["exp_avg_sq"]


_ADAM_TRUTHS = (ref("adam_step"), Truth("torch.optim.Adam", _adam_torch))
_ADAM_CHECKED = "θ, g, m (d,), s in [0.01,4], d in 1..4; t in 1..6; η in [1e-3,0.5]; β1 in {0.9,0.5,0}, β2 in {0.999,0.9}"

entry(
    id="002.7.eq10_adam_m", location="§7 优化算法, 6 Adam, eq. (10)",
    quote="m ← β_1 m + (1 - β_1)∇_θ J(θ) (10)",
    claim="Adam's first moment.",
    as_written=lambda theta, g, m, s, t, lr, b1, b2, eps: b1 * m + (1 - b1) * g,
    correct=(ref("adam_step", lambda f: lambda *a: f(*a)[1], "reference.adam_step -> m"), Truth("torch.optim.Adam exp_avg", lambda *a: _adam_torch(*a)[1])),
    strategy=lambda: _adam_cases(), tol=TIGHT, checked=_ADAM_CHECKED, topics=("optim", "adam"),
)

entry(
    id="002.7.eq11_adam_s", location="§7 优化算法, 6 Adam, eq. (11)",
    quote="s ← β_2 s + (1 - β_2)∇_θ J(θ) ⊗ ∇_θ J(θ) (11)",
    claim="Adam's second moment.",
    as_written=lambda theta, g, m, s, t, lr, b1, b2, eps: b2 * s + (1 - b2) * g * g,
    correct=(ref("adam_step", lambda f: lambda *a: f(*a)[2], "reference.adam_step -> s"), Truth("torch.optim.Adam exp_avg_sq", lambda *a: _adam_torch(*a)[2])),
    strategy=lambda: _adam_cases(), tol=TIGHT, checked=_ADAM_CHECKED, topics=("optim", "adam"),
)


def _adam_eq12_literal(theta, g, m, s, t, lr, b1, b2, eps):
    """(10), (11), then (12) literally: m ← m/(1-β1) (overwriting m, no t); (13) done right; eps outside (library)."""
    m = b1 * m + (1 - b1) * g
    s = b2 * s + (1 - b2) * g * g
    m = m / (1 - b1)                       # (12)
    s_hat = s / (1 - b2 ** t)
    return theta - lr * m / (np.sqrt(s_hat) + eps), m, s


def _adam_eq13_literal(theta, g, m, s, t, lr, b1, b2, eps):
    """(10), (11), (12) done right, then (13) literally: s ← s/(1-β2) (overwriting s, no t); eps outside (library)."""
    m = b1 * m + (1 - b1) * g
    s = b2 * s + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** t)
    s = s / (1 - b2)                       # (13)
    return theta - lr * m_hat / (np.sqrt(s) + eps), m, s


_ADAM_FIX = ("m̂ = m/(1-β1^t) and ŝ = s/(1-β2^t) with t the 1-based step number, kept as NEW variables: the stored m and s stay "
             "uncorrected (overwriting them compounds the correction every step), then θ ← θ - η m̂ ⊘ (sqrt(ŝ) + ε). "
             "Without the exponent t the correction is right only at t = 1.")

entry(
    id="002.7.eq12_adam_m_hat", location="§7 优化算法, 6 Adam, eq. (12)",
    quote="m ← m / (1 - β_1) (12)",
    claim="Adam's bias correction of m: m ← m/(1 - β1).",
    as_written=_adam_eq12_literal, correct=_ADAM_TRUTHS, strategy=lambda: _adam_cases(), tol=LOOSE,
    checked=_ADAM_CHECKED + "; eps in {1e-8, 1e-4, 0.1} (outside the root on both sides)",
    correction=_ADAM_FIX, topics=("optim", "adam"),
)

entry(
    id="002.7.eq13_adam_s_hat", location="§7 优化算法, 6 Adam, eq. (13)",
    quote="s ← s / (1 - β_2) (13)",
    claim="Adam's bias correction of s: s ← s/(1 - β2).",
    as_written=_adam_eq13_literal, correct=_ADAM_TRUTHS, strategy=lambda: _adam_cases(), tol=LOOSE,
    checked=_ADAM_CHECKED + "; eps in {1e-8, 1e-4, 0.1} (outside the root on both sides)",
    correction=_ADAM_FIX, topics=("optim", "adam"),
)


def _adam_eq14_inside(theta, g, m, s, t, lr, b1, b2, eps):
    """(10), (11), correct bias correction, then (14): θ ← θ - η m ⊘ sqrt(s + ε) (eps inside)."""
    m = b1 * m + (1 - b1) * g
    s = b2 * s + (1 - b2) * g * g
    m_hat, s_hat = m / (1 - b1 ** t), s / (1 - b2 ** t)
    return theta - lr * m_hat / np.sqrt(s_hat + eps), m, s


entry(
    id="002.7.eq14_adam_step", location="§7 优化算法, 6 Adam, eq. (14)",
    quote="θ ← θ - η m ⊘ sqrt(s + ε) (14)",
    claim="Adam's step divides by sqrt(ŝ + ε).",
    as_written=_adam_eq14_inside, correct=_ADAM_TRUTHS, strategy=lambda: _adam_cases(), tol=LOOSE, kind="variant",
    convention="ε inside the square root (with the bias corrections of the Adam paper); torch.optim.Adam and the contract use sqrt(ŝ) + ε; they coincide for ε -> 0",
    case_map=_EPS0,
    matters="negligible at the default ε = 1e-8 unless ŝ ≲ 1e-8 (gradients ~1e-4 or smaller), where ε inside bounds the step by η m̂/√ε (≈ 1e4 η m̂) while torch's is bounded by η m̂/ε; with large ε (1e-4 .. 1e-1, sometimes used for stability) the steps differ visibly.",
    checked=_ADAM_CHECKED + "; eps in {1e-8, 1e-4, 0.1}",
    topics=("optim", "adam"),
)


def _adam_defaults():
    import inspect
    tch = torch()
    sig = inspect.signature(tch.optim.Adam.__init__).parameters
    b1, b2 = sig["betas"].default
    return {"beta1": float(b1), "beta2": float(b2), "eps": float(sig["eps"].default)}


entry(
    id="002.7.adam_defaults", location="§7 优化算法, 6 Adam (line 333)",
    quote="一般根据经验我们将 β_1 设置为 0.9, β_2 设置为 0.999, 平滑系数 ε 一般设置为一个非常小的数 (比如 10^{-8})",
    claim="Adam's usual hyper-parameters: β1 = 0.9, β2 = 0.999, ε = 1e-8.",
    as_written=lambda: {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    correct=(Truth("torch.optim.Adam defaults", _adam_defaults),), tol=EXACT, checked="the defaults of torch.optim.Adam",
    topics=("optim", "adam"),
)


def _hessian_cost(n):
    tch = torch()
    X, y = tch.randn(16, n), tch.randn(16, 1)
    theta = tch.randn(n, 1)  # 2-d, so that the products are matrix products FlopCounterMode counts
    return flops(lambda: tch.autograd.functional.hessian(lambda th: ((X @ th - y) ** 2).sum(), theta))


entry(
    id="002.7.hessian_cost", location="§7 Jacobians and Hessians (line 338)",
    quote="但是这种方式的时间复杂度是 O(n^2) (n 是参数个数)",
    claim="Second-order (Hessian) methods cost O(n²) in the number of parameters n.",
    as_written=lambda: {"n": 2.0},
    correct=(Truth("FlopCounterMode of torch.autograd.functional.hessian (least squares, 16 samples), fitted exponent",
                   lambda: fit_exponents(sweep(_hessian_cost, {"n": [16, 32, 64, 128]}))),),
    tol=EXPONENT, checked="FLOPs of the Hessian of ‖Xθ - y‖² (X 16×n) for n in {16,32,64,128}; tolerance 0.1 (forming the Hessian; inverting it would be O(n³))",
    topics=("optim",),
)

# =====================================================================
# §7 logistic regression
# =====================================================================


def _z_cases():
    return array(st.tuples(_i(1, 4)), -30, 30).map(lambda z: Case((z,)))


def _sig_t(z):
    return N(torch().sigmoid(T(z)))


entry(
    id="002.7.logistic_probabilities", location="§7 逻辑回归, P(X=1), P(X=0) (lines 344-346)",
    quote="P(X=1) = 1/(1+e^{-z}) = f(z), z = θ^T x; P(X=0) = 1 - P(X=1) = e^{-z}/(1+e^{-z}) = 1/(e^z+1) = f(-z)",
    claim="P(X=0) = e^{-z}/(1+e^{-z}) = 1/(e^z+1) = f(-z) = 1 - f(z).",
    as_written=lambda z: (1 / (1 + np.exp(-z)), np.exp(-z) / (1 + np.exp(-z)), 1 / (np.exp(z) + 1), 1 / (1 + np.exp(z))),
    correct=(Truth("torch.sigmoid (f(z), 1-f(z) for each form)", lambda z: (_sig_t(z), 1 - _sig_t(z), 1 - _sig_t(z), 1 - _sig_t(z))),),
    strategy=_z_cases, tol=Tol(1e-9, 1e-12), checked="z (n,), n<=4, in [-30,30]", topics=("logistic",),
)


@st.composite
def _logit_cases(draw):
    d = draw(_i(1, 3))
    return Case((draw(array((d,), -2, 2)), draw(array((1, d), -2, 2)), np.array([float(draw(_i(0, 1)))])))


def _ll_product(theta, X, y):
    z = X @ theta
    p1 = 1 / (1 + np.exp(-z))
    return float(np.prod(p1 ** y * (1 - p1) ** (1 - y)))  # L = P(X=1)^y · P(X=0)^(1-y)


entry(
    id="002.7.logistic_likelihood", location="§7 逻辑回归, 前向 (line 350)",
    quote="前向: 损失函数: L = P(X=1)^{y_i} · P(X=0)^{1-y_i} (最大化)",
    claim="The likelihood of one sample is P(X=1)^y P(X=0)^{1-y}.",
    as_written=_ll_product,
    correct=(ref("log_likelihood", lambda f: lambda *a: float(np.exp(f(*a))), "exp(reference.log_likelihood)"),),
    strategy=lambda: _logit_cases(), tol=TIGHT, checked="θ (D,), x (1,D), D in 1..3, entries in [-2,2]; y in {0,1}",
    topics=("logistic",),
)


def _ll_log(theta, X, y):
    z = X @ theta
    f = 1 / (1 + np.exp(-z))
    return float(np.sum(y * np.log(f) + (1 - y) * np.log(1 - f)))


def _ll_torch(theta, X, y):
    return -float(F().binary_cross_entropy_with_logits(T(X @ theta), T(y), reduction="sum"))


entry(
    id="002.7.logistic_log_likelihood", location="§7 逻辑回归, 对数形式 (line 354)",
    quote="= y_i log f(z) + (1-y_i) log(1-f(z))",
    claim="The log-likelihood y log f(z) + (1-y) log(1-f(z)).",
    as_written=_ll_log, correct=(ref("log_likelihood"), Truth("-torch BCE with logits (sum)", _ll_torch)),
    strategy=lambda: _logit_cases(), tol=TIGHT, checked="θ (D,), x (1,D), D in 1..3, entries in [-2,2]; y in {0,1}",
    topics=("logistic",),
)


@st.composite
def _zy_cases(draw):
    return Case((draw(reals(-8, 8)), float(draw(_i(0, 1)))))


def _dLdz_torch(z, y):
    zt = T(np.array(z), grad=True)
    f = torch().sigmoid(zt)
    (y * torch().log(f) + (1 - y) * torch().log(1 - f)).backward()
    return float(zt.grad)


def _sym_dLdz():
    from checks.oracles import sym

    @sym.derivation
    def d():
        import sympy
        z, y = sympy.symbols("z y", real=True)
        f = 1 / (1 + sympy.exp(-z))
        return sym.lambdify([z, y], sympy.diff(y * sympy.log(f) + (1 - y) * sympy.log(1 - f), z))

    return d()


_DLDZ = (Truth("torch autograd", _dLdz_torch), Truth("SymPy d/dz", lambda z, y: float(_sym_dLdz()(z, y))))
_f = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
_fp = lambda z: _f(z) * (1 - _f(z))  # noqa: E731

entry(
    id="002.7.logistic_dLdz_chain", location="§7 逻辑回归, 后向 (line 358)",
    quote="∂L/∂z = y_i · 1/f(z) · f'(z) + (1-y_i) · 1/(1-f(z)) · -1 · f'(z)",
    claim="The chain rule for ∂L/∂z.",
    as_written=lambda z, y: y / _f(z) * _fp(z) + (1 - y) / (1 - _f(z)) * -1 * _fp(z),
    correct=_DLDZ, strategy=lambda: _zy_cases(), tol=LOOSE, checked="z in [-8,8], y in {0,1}", topics=("logistic",),
)


def _sym_fprime():
    from checks.oracles import sym

    @sym.derivation
    def d():
        import sympy
        z = sympy.Symbol("z", real=True)
        return sym.lambdify([z], sympy.diff(1 / (1 + sympy.exp(-z)), z))

    return d()


entry(
    id="002.7.sigmoid_derivative", location="§7 逻辑回归 (line 360)",
    quote="f'(z) = f(z) · (1-f(z))",
    claim="σ' = σ(1-σ).",
    as_written=lambda z: _fp(z),
    correct=(Truth("SymPy d/dz", lambda z: np.asarray(_sym_fprime()(z), dtype=np.float64)),
             ref("sigmoid_backward", lambda f: lambda z: f(z, np.ones_like(z)), "reference.sigmoid_backward(dy=1)")),
    strategy=lambda: array(st.tuples(_i(1, 4)), -20, 20).map(lambda z: Case((z,))), tol=LOOSE, checked="z (n,), n<=4, in [-20,20]",
    topics=("logistic", "sigmoid"),
)

for _line, _q, _fn in (
    ("line 362", "∴ ∂L/∂z = y_i · (1-f(z)) + (1-y_i) · 1/(f(z)-1) · f(z) · (1-f(z))",
     lambda z, y: y * (1 - _f(z)) + (1 - y) * 1 / (_f(z) - 1) * _f(z) * (1 - _f(z))),
    ("line 365", "= y_i (1-f(z)) + (y_i-1) · f(z)", lambda z, y: y * (1 - _f(z)) + (y - 1) * _f(z)),
    ("line 367", "= y_i - f(z)", lambda z, y: y - _f(z)),
):
    entry(
        id=f"002.7.logistic_dLdz_{_line.split()[1]}", location=f"§7 逻辑回归, 后向 ({_line})", quote=_q,
        claim="A step of the simplification of ∂L/∂z down to y - f(z).",
        as_written=_fn, correct=_DLDZ, strategy=lambda: _zy_cases(), tol=LOOSE, checked="z in [-8,8], y in {0,1}",
        topics=("logistic",),
    )


def _ll_grad_torch(theta, X, y):
    th, xt = T(theta, grad=True), T(X, grad=True)
    f = torch().sigmoid(xt @ th)
    (T(y) * torch().log(f) + (1 - T(y)) * torch().log(1 - f)).sum().backward()
    return N(th.grad), N(xt.grad)


entry(
    id="002.7.logistic_gradients", location="§7 逻辑回归, 后向 (lines 369-371)",
    quote="∂z/∂θ = x, ∂z/∂x = θ; ∴ ∂L/∂θ = [y_i - f(z)] · x, ∂L/∂x = [y_i - f(z)] · θ",
    claim="∂L/∂θ = (y - f(z)) x and ∂L/∂x = (y - f(z)) θ.",
    as_written=lambda theta, X, y: ((y - _f(X @ theta)) @ X, (y - _f(X @ theta))[:, None] * theta[None, :]),
    correct=(ref("log_likelihood_grad"), Truth("torch autograd", _ll_grad_torch)),
    strategy=lambda: _logit_cases(), tol=TIGHT, checked="θ (D,), x (1,D), D in 1..3, entries in [-2,2]; y in {0,1}",
    topics=("logistic",),
)

# =====================================================================
# §7 softmax and the RNN backward pass
# =====================================================================


@st.composite
def _zK_cases(draw):
    k = draw(_i(1, 5))
    return Case((draw(array((k,), -5, 5)), draw(_i(0, k - 1))))


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
    strategy=lambda: array(st.tuples(_i(1, 5)), -5, 5).map(lambda z: Case((z,))), tol=TIGHT, checked="z (K,), K in 1..5, in [-5,5]",
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
    m, k = draw(_i(1, 3)), draw(_i(1, 4))
    return Case((draw(array((m,), -2, 2)), draw(array((k, m), -2, 2)), draw(array((k,), -2, 2)), draw(_i(0, k - 1))))


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
    return Case((draw(array(st.tuples(_i(1, 4)), -4, 4)), draw(st.sampled_from(["tanh", "sigmoid"]))))


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
    n, h, d = draw(_i(1, 2)), draw(_i(1, 3)), draw(_i(1, 2))
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
    h, d, k = draw(_i(1, 3)), draw(_i(1, 2)), draw(_i(1, 3))
    return Case((draw(array((d,), -2, 2)), draw(array((h,), -2, 2)), draw(array((h, h), -2, 2)), draw(array((h, d), -2, 2)),
                 draw(array((h,), -2, 2)), draw(array((k, h), -2, 2)), draw(array((k,), -2, 2)), draw(_i(0, k - 1))))


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
    n, h, d, k = draw(_i(1, 2)), draw(_i(1, 3)), draw(_i(1, 2)), draw(_i(1, 3))
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

# =====================================================================
# §8 beam search
# =====================================================================


@st.composite
def _beam_cases(draw):
    v, length, beam = draw(_i(2, 4)), draw(_i(1, 4)), draw(_i(1, 3))
    li = np.log(softmax(draw(array((v,), elements=st.integers(-3, 3).map(float)))))
    lt = np.log(softmax(draw(array((v, v), elements=st.integers(-3, 3).map(float))), axis=1))
    return Case((li, lt, length, beam))


def _beam_as_written(log_init, log_trans, length, beam):
    """选择概率最大的 K 个 y_{t-1}; 对每个, 得到下一个 y_t 的所有概率; 在所有 P(prefix)·P(y_t|y_{t-1}) 中选概率最高的 K 个序列; 重复; 选概率最高的序列."""
    V = log_init.size
    kept = sorted(((float(log_init[v]), [v]) for v in range(V)), key=lambda a: -a[0])[:beam]
    for _ in range(length - 1):
        cand = [(s + float(log_trans[seq[-1], v]), seq + [v]) for s, seq in kept for v in range(V)]
        kept = sorted(cand, key=lambda a: -a[0])[:beam]
    return kept[0][0]


def _exhaustive_when_wide(log_init, log_trans, length, beam):
    """Score of the reference's beam search (its sequence's log-probability)."""
    return float(R("beam_search")(log_init, log_trans, length, beam)[1])


entry(
    id="002.8.beam_search", location="§8 S2S, beam search (lines 439-451)",
    quote="每次输出的 y_{t-1} 中, 选择概率最大的两个 … 最后选 P(y_{t-1,biggest}) * P(y_t | y_{t-1,biggest}) 的所有序列, 和 … 的所有序列中, 概率最高的两个序列 … 重复 … 直到结束, 选概率最高的序列作为输出",
    claim="Beam search keeps the K most probable prefixes over all expansions at every step (K = 2 in the example).",
    as_written=_beam_as_written, correct=(Truth("reference.beam_search -> score", _exhaustive_when_wide),),
    strategy=lambda: _beam_cases(), tol=TIGHT,
    checked="V in 2..4 tokens, length 1..4, beam 1..3; log-probabilities from small integer logits (ties); the best scores compared",
    topics=("beam",),
)


def _exhaustive_count(V, L):
    return sum(1 for _ in itertools.product(range(V), repeat=L))


entry(
    id="002.8.exhaustive_cost", location="§8 (line 458)",
    quote="但穷举 P(y_t | y_{t-1}, …, y_1) 复杂度很高",
    claim="Exhaustive decoding must score every sequence: V^L of them, exponential in the length L.",
    as_written=lambda V, L: V ** L,
    correct=(Truth("enumeration of all sequences", _exhaustive_count),),
    strategy=lambda: st.tuples(_i(2, 4), _i(1, 5)).map(lambda a: Case(a)), tol=EXACT,
    checked="V in 2..4, L in 1..5", topics=("beam",),
)


# =====================================================================
# §9 hierarchical softmax
# =====================================================================


def huffman_tree(freqs):
    """Huffman tree: codes[w] (0/1 bits) and paths[w] (inner-node ids, root first); inner nodes numbered 0..V-2."""
    V = len(freqs)
    heap = [(float(f), w, ("leaf", w)) for w, f in enumerate(freqs)]
    heapq.heapify(heap)
    cnt, inner = V, []
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        node = ("inner", len(inner), a[2], b[2])
        inner.append(node)
        heapq.heappush(heap, (a[0] + b[0], cnt, node))
        cnt += 1
    root = heap[0][2]
    # renumber so that the root is 0
    order = {}
    codes, paths = [None] * V, [None] * V
    stack = [(root, [], [])]
    while stack:
        node, code, path = stack.pop()
        if node[0] == "leaf":
            codes[node[1]], paths[node[1]] = code, path
        else:
            nid = order.setdefault(node[1], len(order))
            stack.append((node[2], code + [0], path + [nid]))
            stack.append((node[3], code + [1], path + [nid]))
    return codes, paths


@st.composite
def _hs_cases(draw):
    v, e = draw(_i(2, 5)), draw(_i(1, 3))
    freqs = draw(array((v,), elements=st.integers(1, 9).map(float)))
    codes, paths = huffman_tree(freqs)
    return Case((draw(array((e,), -2, 2)), draw(array((v - 1, e), -2, 2)), codes, paths))


def _hs_as_written(v_c, node_vecs, codes, paths):
    # P(v_i | v_c) = Π over the path of the binary classifiers' probabilities (σ(node·v_c) for bit 0, 1 - σ for bit 1)
    out = []
    for code, path in zip(codes, paths):
        p = 1.0
        for bit, n in zip(code, path):
            s = float(sigmoid(node_vecs[n] @ v_c))
            p *= s if bit == 0 else 1 - s
        out.append(p)
    return np.array(out)


entry(
    id="002.9.hs_path_product", location="§9 wordvec, 层级化 softmax (line 479)",
    quote="从 v_c 到 v_i 的概率 P(v_i|v_c) 是该路径上一系列概率的相乘。每个节点处的概率可以看作由一个二分类器得出，该二分类器向量的参数是 node 的 vector",
    claim="A word's probability is the product of the binary decisions along its path (and the V probabilities sum to 1).",
    as_written=_hs_as_written,
    correct=(ref("hs_probabilities"),
             Truth("probabilities over the leaves sum to 1 (torch: prod of sigmoids)", lambda v, nv, codes, paths: _hs_torch(v, nv, codes, paths))),
    strategy=lambda: _hs_cases(), tol=TIGHT,
    checked="V in 2..5 words with integer frequencies 1..9 (Huffman tree), E in 1..3, vectors in [-2,2]",
    topics=("hsoftmax",),
)


def _hs_torch(v_c, node_vecs, codes, paths):
    tch = torch()
    s = tch.sigmoid(T(node_vecs) @ T(v_c))
    out = []
    for code, path in zip(codes, paths):
        p = tch.tensor(1.0)
        for bit, n in zip(code, path):
            p = p * (s[n] if bit == 0 else 1 - s[n])
        out.append(float(p))
    return np.array(out)


@st.composite
def _freq_cases(draw):
    v = draw(_i(2, 8))
    return Case((draw(array((v,), elements=st.integers(1, 20).map(float))),))


def _avg_path_truth(freqs):
    codes = R("huffman_codes")(freqs)
    p = freqs / freqs.sum()
    return float(sum(pi * len(c) for pi, c in zip(p, codes)))


entry(
    id="002.9.hs_average_path", location="§9 wordvec (line 481)",
    quote="平均路径长为 log|V| 。该树是根据词频建立的 huffman 编码树",
    claim="The average path length in the Huffman tree is log2|V|.",
    as_written=lambda freqs: math.log2(freqs.size),
    correct=(Truth("frequency-weighted mean code length of reference.huffman_codes", _avg_path_truth),),
    strategy=lambda: _freq_cases(), tol=Tol(rtol=0.0, atol=1e-9),
    checked="V in 2..8 words, integer frequencies 1..20",
    correction="The frequency-weighted average path length L of a Huffman tree satisfies H(p) ≤ L < H(p) + 1 (H the entropy of the word frequencies, in bits) and L ≤ ⌈log2|V|⌉; it equals log2|V| only for uniform frequencies with |V| a power of 2, and is far smaller for skewed (Zipfian) vocabularies, which is the point of using Huffman codes. Hierarchical softmax costs O(log|V|) per word in a balanced tree.",
    topics=("hsoftmax",),
)


def _freq_order_truth(freqs):
    codes = R("huffman_codes")(freqs)
    lens = [len(c) for c in codes]
    ok = all(lens[i] <= lens[j] for i in range(len(freqs)) for j in range(len(freqs)) if freqs[i] > freqs[j])
    prefix_free = not any(a != b and b[: len(a)] == a for a in codes for b in codes)
    return {"higher frequency -> path no longer": ok, "every word a leaf (prefix-free codes)": prefix_free}


entry(
    id="002.9.hs_frequent_short", location="§9 wordvec (line 481)",
    quote="所有词都是叶子节点，对应一条路径。高频词路径短。",
    claim="Every word is a leaf (prefix-free codes) and more frequent words have paths no longer than rarer ones.",
    as_written=lambda freqs: {"higher frequency -> path no longer": True, "every word a leaf (prefix-free codes)": True},
    correct=(Truth("properties of reference.huffman_codes", _freq_order_truth),),
    strategy=lambda: _freq_cases(), tol=EXACT, checked="V in 2..8 words, integer frequencies 1..20 (ties)",
    topics=("hsoftmax",),
)
