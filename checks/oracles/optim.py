"""Value oracles of optim.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.core.gradfns import QuadraticGrad
from checks.oracles import sym
from checks.oracles.torchlib import N, T, torch


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
