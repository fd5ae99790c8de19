"""optim.* -- one step of SGD, momentum, NAG, AdaGrad, RMSProp and Adam (notes 002 §7).

Oracles per id:

- ``torch``: the contract's update rebuilt with torch tensor ops (for NAG the
  gradient comes from autograd of the loss behind ``grad_fn``, not from
  ``grad_fn`` itself);
- ``torch:optim.*``: the torch.optim optimiser itself, its state loaded from
  the case and ``.step()`` called once. State mappings (documented here and
  checked over whole trajectories in ``tests/test_optim_extra.py``):
  SGD(momentum=beta, dampening=0) keeps ``v = beta v + g`` and steps
  ``lr v``, so ``momentum_buffer = m / lr`` and ``m = lr v`` afterwards;
  SGD(nesterov=True) holds the look-ahead variable ``phi = theta - beta m``
  as its parameter and ``theta = phi + beta m``; Adagrad(lr_decay=0,
  initial_accumulator_value=0) ``sum = s``; RMSprop(alpha=beta)
  ``square_avg = s``; Adam ``exp_avg = m, exp_avg_sq = s, step = t - 1``;
- ``sympy``: the update rule written symbolically for a scalar parameter
  (theta of size 1), lambdified once (for NAG, the gradient is
  ``sympy.diff`` of the loss at the look-ahead point).

Regimes drawn on purpose: tiny gradients (1e-8 .. 1e-14, where the place of
eps decides the result), mixed magnitudes, exact zeros, a zero state (the
first step), t = 1 (where Adam's bias correction matters most), betas close
to 1 (0.999, 0.9999) and exactly 0, theta of sizes 1..5.

Tol: an update ``new = old - delta`` computed by torch, SymPy and numpy
in different orders differs by a few ulps of the *terms* (|old| + |delta|),
not of the result, which can cancel to ~0; and Adam's ``1 - beta^t`` loses up
to 4 digits for beta = 0.9999, t = 1. So each output element is compared with
|actual - expected| <= rtol (|expected| + scale), scale = the sum of the
absolute values of the terms of its update (computed from the case; for m and
s of Adam/RMSProp it is |old| + (1-beta)|new term|, since torch's
``lerp`` form m + (1-beta)(g - m) rounds at ulp(m) even when beta ~ 0).
Measured over 1500 draws per oracle: at most 3e-16 of that bound's scale.
rtol = 1e-9 leaves the 1e4 of the bias correction and more; every wrong
formula of ``tests/mutants/optim.py`` is off by far more. atol = 0: tiny
states, such as s ~ 1e-28 in the tiny-gradient regime, are still compared
relatively. Draws avoid subnormal products (unit values |u| >= 1e-3 or 0
times the regime's scale, beta >= 0.01 or exactly 0), where relative
precision is gone and no regime of the contract lives.
"""

from __future__ import annotations

import numpy as np

import reference.optim as ref
from checks.oracles import sym
from checks.core.compare import Tol, Verdict, assert_array_close, fail
from checks.core.gradfns import LogisticGrad, QuadraticGrad
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, reals, st
from checks.oracles.torchlib import N, T, torch

# ---------------------------------------------------------------- strategies

_LR = st.one_of(st.sampled_from([1e-3, 0.01, 0.1, 0.5, 1.0]), reals(1e-4, 1.0))
_BETA = st.one_of(st.sampled_from([0.0, 0.5, 0.9, 0.99, 0.999, 0.9999]), reals(0.01, 0.9999))  # no beta ~1e-300: beta*m subnormal
_BETA1 = st.one_of(st.sampled_from([0.0, 0.9, 0.99, 0.999]), reals(0.01, 0.999))
_BETA2 = st.one_of(st.sampled_from([0.9, 0.99, 0.999, 0.9999]), reals(0.5, 0.9999))
_EPS = st.sampled_from([1e-8, 1e-10, 1e-6])
_TINY = st.sampled_from([1e-8, 1e-10, 1e-12, 1e-14])
_REGIMES = ("moderate", "tiny", "mixed")


def _size(sizes):
    lo, hi = sizes
    return st.integers(lo, hi)


# |u| in [1e-3, 1] or exactly 0: magnitudes come from the regime's scale (a unit value such
# as 1e-160 times 1e-14, squared, would be subnormal: relative precision lost, no regime of ours)
_UNIT = st.one_of(st.just(0.0), reals(1e-3, 1.0), reals(-1.0, -1e-3))
_UNIT_POS = st.one_of(st.just(0.0), reals(1e-3, 4.0))


def _units(shape, positive=False):
    return array(shape, elements=_UNIT_POS if positive else _UNIT)


@st.composite
def _grad(draw, n: int, regimes=_REGIMES):
    """(g, scale): a gradient in a drawn regime and the magnitude of its elements."""
    regime = draw(st.sampled_from(regimes))
    if regime == "zero":
        return np.zeros(n), np.ones(n)
    if regime == "moderate":
        scale = np.full(n, 10.0)
    elif regime == "tiny":
        scale = np.full(n, draw(_TINY))
    else:
        scale = np.array(draw(st.lists(st.sampled_from([1e-12, 1e-8, 1.0, 10.0]), min_size=n, max_size=n)))
    return draw(_units((n,))) * scale, scale


@st.composite
def _state(draw, scale: np.ndarray, square: bool, zero=None):
    """A moment: zero (the first step) or of the gradient's magnitude (squared, >= 0, for s)."""
    if zero if zero is not None else draw(st.booleans()):
        return np.zeros(scale.shape)
    if square:
        return draw(_units(scale.shape, positive=True)) * scale * scale
    return draw(_units(scale.shape)) * scale


def _theta(n):
    return array((n,), -10.0, 10.0)


@st.composite
def sgd_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    g, _ = draw(_grad(n, _REGIMES + ("zero",)))
    return Case((draw(_theta(n)), g, draw(_LR)))


@st.composite
def momentum_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    g, scale = draw(_grad(n))
    return Case((draw(_theta(n)), g, draw(_state(scale, False)), draw(_LR), draw(_BETA)))


@st.composite
def grad_fns(draw, n: int):
    """A QuadraticGrad (A symmetric PSD, scaled 1e-3..10) or a LogisticGrad (N = 1..4 rows)."""
    if draw(st.booleans()):
        B = draw(array((n, n), -2.0, 2.0))
        C = B @ B.T * draw(st.sampled_from([1e-3, 1.0, 10.0]))
        return QuadraticGrad(A=(C + C.T) / 2, b=draw(array((n,), -5.0, 5.0)))
    rows = draw(st.integers(1, 4))
    X = draw(array((rows, n), -3.0, 3.0))
    y = np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=rows, max_size=rows)))
    return LogisticGrad(X=X, y=y)


@st.composite
def nag_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    fn = draw(grad_fns(n))
    m = draw(_state(np.full(n, draw(st.sampled_from([0.1, 1.0, 5.0]))), False))
    return Case((draw(_theta(n)), fn, m, draw(_LR), draw(_BETA)))


@st.composite
def adagrad_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    g, scale = draw(_grad(n))
    return Case((draw(_theta(n)), g, draw(_state(scale, True)), draw(_LR), draw(_EPS)))


@st.composite
def rmsprop_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    g, scale = draw(_grad(n))
    return Case((draw(_theta(n)), g, draw(_state(scale, True)), draw(_LR), draw(_BETA), draw(_EPS)))


@st.composite
def adam_cases(draw, sizes=(1, 5)):
    n = draw(_size(sizes))
    g, scale = draw(_grad(n))
    regime = draw(st.sampled_from(["first", "t=1", "early", "late"]))
    first = regime == "first"
    m, s = draw(_state(scale, False, zero=first or None)), draw(_state(scale, True, zero=first or None))
    t = {"first": 1, "t=1": 1}.get(regime) or draw(st.integers(2, 10) if regime == "early" else st.integers(11, 100_000))
    return Case((draw(_theta(n)), g, m, s, t, draw(_LR), draw(_BETA1), draw(_BETA2), draw(_EPS)))


def _scalar(strategy):
    """The same regimes, theta of size 1 (SymPy oracles)."""
    return lambda: strategy(sizes=(1, 1))


# ---------------------------------------------------------------- torch rebuilds (no numpy arithmetic)


def _t_sgd(theta, grad, lr):
    return N(T(theta) - lr * T(grad))


def _t_momentum(theta, grad, m, lr, beta):
    m2 = beta * T(m) + lr * T(grad)
    return N(T(theta) - m2), N(m2)


def _t_nag(theta, grad_fn, m, lr, beta):
    th, mt = T(theta), T(m)
    look = (th - beta * mt).detach().requires_grad_(True)
    grad_fn.torch_loss(look).backward()  # the gradient by autograd, not by grad_fn
    m2 = beta * mt + lr * look.grad
    return N(th - m2), N(m2)


def _t_adagrad(theta, grad, s, lr, eps):
    g = T(grad)
    s2 = T(s) + g * g
    return N(T(theta) - lr * g / (torch().sqrt(s2) + eps)), N(s2)


def _t_rmsprop(theta, grad, s, lr, beta, eps):
    g = T(grad)
    s2 = beta * T(s) + (1 - beta) * g * g
    return N(T(theta) - lr * g / (torch().sqrt(s2) + eps)), N(s2)


def _t_adam(theta, grad, m, s, t, lr, beta1, beta2, eps):
    tc = torch()
    g = T(grad)
    m2 = beta1 * T(m) + (1 - beta1) * g
    s2 = beta2 * T(s) + (1 - beta2) * g * g
    tt = tc.tensor(float(t))
    m_hat = m2 / (1 - tc.tensor(beta1) ** tt)
    s_hat = s2 / (1 - tc.tensor(beta2) ** tt)
    return N(T(theta) - lr * m_hat / (tc.sqrt(s_hat) + eps)), N(m2), N(s2)


# ---------------------------------------------------------------- torch.optim, state loaded from the case


def _optim_step(theta, grad, make, state=None):
    """One ``.step()`` of the optimiser ``make(params)`` with p = theta, p.grad = grad and ``state`` loaded."""
    p = T(theta, grad=True)
    p.grad = T(grad)
    opt = make([p])
    if state:
        opt.state[p].update(state)
    opt.step()
    return p, opt.state[p]


def _o_sgd(theta, grad, lr):
    p, _ = _optim_step(theta, grad, lambda ps: torch().optim.SGD(ps, lr=lr, foreach=False))
    return N(p)


def _o_momentum(theta, grad, m, lr, beta):
    if beta == 0.0:  # torch keeps no buffer without momentum; m = lr*g
        p, _ = _optim_step(theta, grad, lambda ps: torch().optim.SGD(ps, lr=lr, foreach=False))
        return N(p), N(lr * T(grad))
    p, state = _optim_step(
        theta, grad,
        lambda ps: torch().optim.SGD(ps, lr=lr, momentum=beta, dampening=0.0, foreach=False),
        {"momentum_buffer": T(m) / lr},
    )
    return N(p), N(lr * state["momentum_buffer"])


def _o_nag(theta, grad_fn, m, lr, beta):
    """torch's Nesterov SGD holds phi = theta - beta m; its gradient is taken at phi (autograd of the loss)."""
    mt = T(m)
    phi = (T(theta) - beta * mt).detach().requires_grad_(True)
    grad_fn.torch_loss(phi).backward()
    g = phi.grad.detach().clone()
    if beta == 0.0:
        p, _ = _optim_step(N(phi), N(g), lambda ps: torch().optim.SGD(ps, lr=lr, foreach=False))
        return N(p), N(lr * g)
    p, state = _optim_step(
        N(phi), N(g),
        lambda ps: torch().optim.SGD(ps, lr=lr, momentum=beta, dampening=0.0, nesterov=True, foreach=False),
        {"momentum_buffer": mt / lr},
    )
    m2 = lr * state["momentum_buffer"]
    return N(p.detach() + beta * m2), N(m2)


def _o_adagrad(theta, grad, s, lr, eps):
    tc = torch()
    p, state = _optim_step(
        theta, grad,
        lambda ps: tc.optim.Adagrad(ps, lr=lr, lr_decay=0.0, initial_accumulator_value=0.0, eps=eps, foreach=False),
        {"sum": T(s), "step": tc.tensor(0.0)},
    )
    return N(p), N(state["sum"])


def _o_rmsprop(theta, grad, s, lr, beta, eps):
    tc = torch()
    p, state = _optim_step(
        theta, grad,
        lambda ps: tc.optim.RMSprop(ps, lr=lr, alpha=beta, eps=eps, momentum=0.0, centered=False, foreach=False),
        {"square_avg": T(s), "step": tc.tensor(0.0)},
    )
    return N(p), N(state["square_avg"])


def _o_adam(theta, grad, m, s, t, lr, beta1, beta2, eps):
    tc = torch()
    p, state = _optim_step(
        theta, grad,
        lambda ps: tc.optim.Adam(ps, lr=lr, betas=(beta1, beta2), eps=eps, amsgrad=False, foreach=False),
        {"exp_avg": T(m), "exp_avg_sq": T(s), "step": tc.tensor(float(t - 1))},
    )
    return N(p), N(state["exp_avg"]), N(state["exp_avg_sq"])


# ---------------------------------------------------------------- SymPy (scalar theta)


@sym.derivation
def _sym_rule(name):
    """The update rule of ``name`` for one scalar parameter, lambdified (list of outputs)."""
    import sympy as sp

    th, g, m, s, lr, b, b1, b2, eps, t = sp.symbols("theta g m s lr beta beta1 beta2 eps t", real=True)
    if name == "sgd":
        return sym.lambdify([th, g, lr], [th - lr * g])
    if name == "momentum":
        m2 = b * m + lr * g
        return sym.lambdify([th, g, m, lr, b], [th - m2, m2])
    if name == "adagrad":
        s2 = s + g * g
        return sym.lambdify([th, g, s, lr, eps], [th - lr * g / (sp.sqrt(s2) + eps), s2])
    if name == "rmsprop":
        s2 = b * s + (1 - b) * g * g
        return sym.lambdify([th, g, s, lr, b, eps], [th - lr * g / (sp.sqrt(s2) + eps), s2])
    if name == "adam":
        m2 = b1 * m + (1 - b1) * g
        s2 = b2 * s + (1 - b2) * g * g
        m_hat, s_hat = m2 / (1 - b1 ** t), s2 / (1 - b2 ** t)
        return sym.lambdify([th, g, m, s, t, lr, b1, b2, eps], [th - lr * m_hat / (sp.sqrt(s_hat) + eps), m2, s2])
    raise KeyError(name)


@sym.derivation
def _sym_nag(kind, rows):
    """NAG for a scalar theta: g = dJ/dtheta at theta - beta m, J the quadratic or mean logistic loss."""
    import sympy as sp

    th, m, lr, b, u = sp.symbols("theta m lr beta u", real=True)
    if kind == "quadratic":
        a, c = sp.symbols("a c", real=True)
        params = [a, c]
        J = a * u ** 2 / 2 - c * u
    else:
        xs, ys = sym.symbols("x", rows), sym.symbols("y", rows)
        params = xs + ys
        J = sum(sp.log(1 + sp.exp(x * u)) - y * x * u for x, y in zip(xs, ys)) / rows
    grad = sp.diff(J, u).subs(u, th - b * m)
    m2 = b * m + lr * grad
    return sym.lambdify([th, m, lr, b, *params], [th - m2, m2])


def _out(theta, values):
    shape = np.shape(theta)
    outs = tuple(np.array(np.broadcast_to(np.asarray(v, dtype=np.float64), shape)) for v in values)
    return outs[0] if len(outs) == 1 else outs


def _s_rule(name):
    def oracle(theta, *rest):
        return _out(theta, _sym_rule(name)(np.asarray(theta, dtype=np.float64), *rest))

    return oracle


def _s_nag(theta, grad_fn, m, lr, beta):
    if isinstance(grad_fn, QuadraticGrad):
        f, params = _sym_nag("quadratic", 0), [grad_fn.A[0, 0], grad_fn.b[0]]
    else:
        f, params = _sym_nag("logistic", len(grad_fn.y)), [*grad_fn.X[:, 0], *grad_fn.y]
    return _out(theta, f(np.asarray(theta, dtype=np.float64), np.asarray(m, dtype=np.float64), lr, beta, *params))


# ---------------------------------------------------------------- comparison, scaled by the terms of each update


def _abs(x):
    return np.abs(np.asarray(x, dtype=np.float64))


def _scale_sgd(theta, grad, lr):
    return (_abs(theta) + lr * _abs(grad),)


def _scale_momentum(theta, grad, m, lr, beta):
    mm = beta * _abs(m) + lr * _abs(grad)
    return _abs(theta) + mm, mm


def _scale_nag(theta, grad_fn, m, lr, beta):
    mm = beta * _abs(m) + lr * grad_fn.grad_scale(_abs(theta) + beta * _abs(m))
    return _abs(theta) + mm, mm


def _scale_adaptive(theta, grad, s_new, s_terms, lr, eps):
    """s_terms bounds the terms of the new s; the step's terms are lr |g| / (sqrt(s_new) + eps)."""
    return _abs(theta) + lr * _abs(grad) / (np.sqrt(s_new) + eps), s_terms


def _scale_adagrad(theta, grad, s, lr, eps):
    s2 = _abs(s) + _abs(grad) ** 2
    return _scale_adaptive(theta, grad, s2, s2, lr, eps)


def _scale_rmsprop(theta, grad, s, lr, beta, eps):
    # |s|, not beta|s|: the lerp form s + (1-beta)(g^2 - s) rounds at ulp(s) (beta may be 0)
    s2, g2 = beta * _abs(s) + (1 - beta) * _abs(grad) ** 2, (1 - beta) * _abs(grad) ** 2
    return _scale_adaptive(theta, grad, s2, _abs(s) + g2, lr, eps)


def _scale_adam(theta, grad, m, s, t, lr, beta1, beta2, eps):
    # |m|, not beta1|m|: torch's lerp form m + (1-beta1)(g-m) rounds at ulp(m) (beta1 may be ~0)
    mm = _abs(m) + (1 - beta1) * _abs(grad)
    g2 = (1 - beta2) * _abs(grad) ** 2
    s2 = beta2 * _abs(s) + g2
    step = lr * (mm / (1 - beta1 ** t)) / (np.sqrt(s2 / (1 - beta2 ** t)) + eps)
    return _abs(theta) + step, mm, _abs(s) + g2


def scaled_compare(outputs, scales):
    """|actual - expected| <= atol + rtol (|expected| + scale) per element, scale = ``scales(*case.args)``."""

    def compare(case, actual, expected, tol, fn):
        __tracebackhide__ = True
        acts = actual if len(outputs) > 1 else (actual,)
        exps = expected if len(outputs) > 1 else (expected,)
        for name, a, e, sc in zip(outputs, acts, exps, scales(*case.args)):
            a, e = np.asarray(a, dtype=np.float64), np.asarray(e, dtype=np.float64)
            sc = np.broadcast_to(np.asarray(sc, dtype=np.float64), e.shape)
            with np.errstate(all="ignore"):
                bad = ~(np.abs(a - e) <= tol.atol + tol.rtol * (np.abs(e) + sc))
            if bad.any():
                where = f"{fn} -> {name}"
                # the elements out of the scaled bound, with the smallest slack they were allowed: fails for sure
                assert_array_close(a, e, Tol(rtol=tol.rtol, atol=tol.atol + tol.rtol * float(np.min(sc[bad]))), where, mask=bad)
                fail(Verdict.MISMATCH, f"{where}: values are not close (scaled tolerance)")

    return compare


# ---------------------------------------------------------------- entries

_TOL = Tol(rtol=1e-9, atol=0.0)
_SEC = "§7 优化算法 sgd/momentum/adam/adagrad/rmsprop"

register(Formula(
    id="optim.sgd_step",
    source=Source("002", f"{_SEC}, 1 Gradient Descent Optimizer", "eq. (1)",
                  r"$$\theta \leftarrow \theta - \eta \nabla_{\theta} J(\theta) \quad (1)$$"),
    reference=ref.sgd_step,
    strategy=sgd_cases,
    outputs=("theta",),
    oracles=(
        Oracle("torch", _t_sgd, description="theta - lr*grad in torch"),
        Oracle("torch:optim.SGD", _o_sgd, description="torch.optim.SGD(lr).step()"),
        Oracle("sympy", _s_rule("sgd"), strategy=_scalar(sgd_cases), description="theta - lr*g lambdified, scalar theta"),
    ),
    points=1, tol=_TOL, compare=scaled_compare(("theta",), _scale_sgd), fresh_outputs=True,
    summary="new array; tiny, mixed and exactly zero gradients",
))

register(Formula(
    id="optim.momentum_step",
    source=Source("002", f"{_SEC}, 2 Momentum Optimizer", "eqs. (2)-(3)",
                  r"$$m \leftarrow \beta m + \eta \nabla_{\theta} J(\theta) \quad (2)$$ $$\theta \leftarrow \theta - m \quad (3)$$"),
    reference=ref.momentum_step,
    strategy=momentum_cases,
    outputs=("theta", "m"),
    oracles=(
        Oracle("torch", _t_momentum, description="m = beta*m + lr*g, theta - m in torch"),
        Oracle("torch:optim.SGD", _o_momentum, description="SGD(momentum=beta, dampening=0), momentum_buffer = m/lr, m = lr*buffer"),
        Oracle("sympy", _s_rule("momentum"), strategy=_scalar(momentum_cases), description="eqs. (2)-(3) lambdified, scalar theta"),
    ),
    points=1, tol=_TOL, compare=scaled_compare(("theta", "m"), _scale_momentum), fresh_outputs=True,
))

register(Formula(
    id="optim.nag_step",
    source=Source("002", f"{_SEC}, 3 Nesterov Accelerated Gradient(NAG)", "eqs. (4)-(5), look-ahead theta - beta*m per the contract",
                  r"$$m \leftarrow \beta m + \eta \nabla_{\theta} J(\theta + \beta m) \quad (4)$$ $$\theta \leftarrow \theta - m \quad (5)$$"),
    reference=ref.nag_step,
    strategy=nag_cases,
    outputs=("theta", "m"),
    oracles=(
        Oracle("torch", _t_nag, description="autograd of the loss at theta - beta*m, then eqs. (4)-(5) in torch"),
        Oracle("torch:optim.SGD(nesterov)", _o_nag,
               description="SGD(momentum=beta, nesterov=True) on phi = theta - beta*m, buffer = m/lr; theta = phi + beta*m"),
        Oracle("sympy", _s_nag, strategy=_scalar(nag_cases), description="sympy.diff of the loss at theta - beta*m, scalar theta"),
    ),
    points=1, tol=_TOL, compare=scaled_compare(("theta", "m"), _scale_nag), fresh_outputs=True,
    summary="grad_fn: checks.core.gradfns.QuadraticGrad or LogisticGrad",
))

register(Formula(
    id="optim.adagrad_step",
    source=Source("002", f"{_SEC}, 4 AdaGrad Optimizer", "eqs. (6)-(7), eps outside the root per the contract",
                  r"$$s \leftarrow s + \nabla_{\theta} J(\theta) \otimes \nabla_{\theta} J(\theta) \quad (6)$$ "
                  r"$$\theta \leftarrow \theta - \eta \nabla_{\theta} J(\theta) \oslash \sqrt{s + \varepsilon} \quad (7)$$"),
    reference=ref.adagrad_step,
    strategy=adagrad_cases,
    outputs=("theta", "s"),
    oracles=(
        Oracle("torch", _t_adagrad, description="s + g^2, theta - lr*g/(sqrt(s)+eps) in torch"),
        Oracle("torch:optim.Adagrad", _o_adagrad, description="Adagrad(lr_decay=0, initial_accumulator_value=0), sum = s"),
        Oracle("sympy", _s_rule("adagrad"), strategy=_scalar(adagrad_cases), description="eqs. (6)-(7) lambdified, scalar theta"),
    ),
    points=1, tol=_TOL, compare=scaled_compare(("theta", "s"), _scale_adagrad), fresh_outputs=True,
))

register(Formula(
    id="optim.rmsprop_step",
    source=Source("002", f"{_SEC}, 5 RMSProp Optimizer", "eqs. (8)-(9), eps outside the root per the contract",
                  r"$$s \leftarrow \beta s + (1 - \beta) \nabla_{\theta} J(\theta) \otimes \nabla_{\theta} J(\theta) \quad (8)$$ "
                  r"$$\theta \leftarrow \theta - \eta \nabla_{\theta} J(\theta) \oslash \sqrt{s + \varepsilon} \quad (9)$$"),
    reference=ref.rmsprop_step,
    strategy=rmsprop_cases,
    outputs=("theta", "s"),
    oracles=(
        Oracle("torch", _t_rmsprop, description="beta*s + (1-beta)*g^2, theta - lr*g/(sqrt(s)+eps) in torch"),
        Oracle("torch:optim.RMSprop", _o_rmsprop, description="RMSprop(alpha=beta, momentum=0, centered=False), square_avg = s"),
        Oracle("sympy", _s_rule("rmsprop"), strategy=_scalar(rmsprop_cases), description="eqs. (8)-(9) lambdified, scalar theta"),
    ),
    points=1, tol=_TOL, compare=scaled_compare(("theta", "s"), _scale_rmsprop), fresh_outputs=True,
))

register(Formula(
    id="optim.adam_step",
    source=Source("002", f"{_SEC}, 6 Adam Optimizer", "eqs. (10)-(14), bias correction 1-beta^t and eps outside the root per the contract",
                  r"$$m \leftarrow \frac{m}{1 - \beta_1} \quad (12)$$ $$s \leftarrow \frac{s}{1 - \beta_2} \quad (13)$$ "
                  r"$$\theta \leftarrow \theta - \eta m \oslash \sqrt{s + \varepsilon} \quad (14)$$"),
    reference=ref.adam_step,
    strategy=adam_cases,
    outputs=("theta", "m", "s"),
    oracles=(
        Oracle("torch", _t_adam, description="eqs. (10)-(11), m/(1-beta1^t), s/(1-beta2^t), eps outside the root, in torch"),
        Oracle("torch:optim.Adam", _o_adam, description="Adam(betas, eps, amsgrad=False), exp_avg = m, exp_avg_sq = s, step = t-1"),
        Oracle("sympy", _s_rule("adam"), strategy=_scalar(adam_cases), description="the contract's rule lambdified, scalar theta"),
    ),
    points=2, tol=_TOL, compare=scaled_compare(("theta", "m", "s"), _scale_adam), fresh_outputs=True,
    summary="t is 1-based; t = 1, beta2 up to 0.9999 and tiny gradients drawn on purpose",
))
