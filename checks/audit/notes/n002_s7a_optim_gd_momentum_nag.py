"""Audit of notes 002 (study notes), ``002_1feb5fa5caddec6d.md``:
§7 优化算法, eqs. (1)-(5): gradient descent, momentum (and against
``torch.optim.SGD``, the 1/(1-β) speed-up), Nesterov (NAG)."""

from __future__ import annotations

import numpy as np

from checks.audit.common import TIGHT, R, ints, ref, torch_opt, vec
from checks.audit.model import FILES, collector, Tol, Truth
from checks.strategies import Case, array, st

ENTRIES, entry = collector(FILES["002"])


# =====================================================================
# §7 optimisers, eqs. (1)-(5)
# =====================================================================


@st.composite
def _sgd_cases(draw):
    d = draw(ints(1, 4))
    return Case((draw(vec(d)), draw(vec(d)), draw(st.floats(1e-3, 1.0))))


entry(
    id="002.7.eq1_sgd", location="§7 优化算法, 1 Gradient Descent, eq. (1)",
    quote="θ ← θ - η ∇_θ J(θ) (1)",
    claim="Gradient descent step.",
    as_written=lambda theta, g, lr: theta - lr * g,
    correct=(ref("sgd_step"), Truth("torch.optim.SGD", lambda th, g, lr: torch_opt("SGD", th, g, lr=lr)[0])),
    strategy=lambda: _sgd_cases(), tol=TIGHT, checked="θ, g (d,), d in 1..4, entries in [-3,3]; η in [1e-3, 1]",
    topics=("optim", "sgd"),
)


@st.composite
def _mom_cases(draw):
    d = draw(ints(1, 4))
    return Case((draw(vec(d)), draw(vec(d)), draw(vec(d)), draw(st.floats(1e-2, 1.0)), draw(st.floats(0.0, 0.99))))


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
    th, stt = torch_opt("SGD", theta, g, {"momentum_buffer": m / lr}, lr=lr, momentum=beta)
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
    d = draw(ints(1, 3))
    A = draw(array((d, d), elements=st.integers(-2, 2).map(float)))
    A = np.triu(A) + np.triu(A, 1).T
    return Case((draw(vec(d)), Quadratic(A, draw(vec(d))), draw(vec(d)), draw(st.floats(1e-2, 1.0)), draw(st.floats(0.0, 0.99))))


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
