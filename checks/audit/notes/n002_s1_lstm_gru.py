"""Audit of notes 002 (study notes), ``002_1feb5fa5caddec6d.md``:
§1 LSTM/GRU: the six LSTM equations (and the c_t of line 50), tanh, its
derivative, its centre and its gradient near 0; the four GRU equations, and
the same against ``torch.nn.GRUCell``."""

from __future__ import annotations

import numpy as np

from checks.audit.common import LOOSE, TIGHT, R, ints, ref, sigmoid
from checks.audit.model import FILES, collector, Truth
from checks.strategies import Case, array, st
from checks.oracles.torchlib import N, T, torch

ENTRIES, entry = collector(FILES["002"])


# =====================================================================
# §1 LSTM / GRU
# =====================================================================


@st.composite
def _lstm_nobias(draw):
    n, h, d = draw(ints(1, 3)), draw(ints(1, 3)), draw(ints(1, 3))
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
    return lambda: array(st.tuples(ints(1, shape_max)), lo, hi).map(lambda x: Case((x,)))


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
    n, h, d = draw(ints(1, 3)), draw(ints(1, 3)), draw(ints(1, 3))
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
