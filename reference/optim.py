"""One step of the optimisers of notes 002 §7 "优化算法 sgd/momentum/adam/adagrad/rmsprop".

Every function returns NEW float64 arrays (sharing no memory with its
arguments) and never modifies an argument. ``t`` is the 1-based step
number. Where the notes and the contract differ, the contract is followed:

- eps sits OUTSIDE the square root, ``g / (sqrt(s) + eps)`` as in torch.optim
  and the Adam paper (the notes' eqs. (7), (9), (14) write ``sqrt(s + eps)``);
- Adam's bias correction divides by ``1 - beta^t`` (the notes' eqs. (12)-(13)
  write ``1 - beta``);
- NAG's gradient is taken at the look-ahead point ``theta - beta*m`` (the
  notes' eq. (4) writes ``theta + beta*m``; with theta <- theta - m the
  momentum points backwards, so the look-ahead is ``theta - beta*m``).
"""

from __future__ import annotations

import numbers

import numpy as np


def _vec(name: str, fn: str, x) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        raise ValueError(f"{fn}: {name} must be an array, got a scalar {x!r}")
    return a


def _same_shape(fn: str, **arrays) -> None:
    shapes = {k: np.shape(v) for k, v in arrays.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"{fn}: arrays must have the same shape, got " + ", ".join(f"{k} {s}" for k, s in shapes.items()))


def _step_number(fn: str, t) -> int:
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (numbers.Integral, np.integer)) or t < 1:
        raise ValueError(f"{fn}: t is the 1-based step number (an int >= 1), got {t!r}")
    return int(t)


def sgd_step(theta, grad, lr):
    r""":math:`\theta \leftarrow \theta - \eta\, g`.

    Notes 002 §7.1 eq. (1): "$$\theta \leftarrow \theta - \eta \nabla_{\theta} J(\theta) \quad (1)$$".
    """
    theta, grad = _vec("theta", "sgd_step", theta), _vec("grad", "sgd_step", grad)
    _same_shape("sgd_step", theta=theta, grad=grad)
    return theta - float(lr) * grad


def momentum_step(theta, grad, m, lr, beta):
    r""":math:`m \leftarrow \beta m + \eta g,\ \theta \leftarrow \theta - m`; returns ``(theta, m)``.

    Notes 002 §7.2 eqs. (2)-(3): "$$m \leftarrow \beta m + \eta \nabla_{\theta} J(\theta) \quad (2)$$",
    "$$\theta \leftarrow \theta - m \quad (3)$$". (torch.optim.SGD keeps
    ``v = beta*v + g`` and steps ``lr*v``: the same while lr is constant, m = lr*v.)
    """
    fn = "momentum_step"
    theta, grad, m = _vec("theta", fn, theta), _vec("grad", fn, grad), _vec("m", fn, m)
    _same_shape(fn, theta=theta, grad=grad, m=m)
    m_new = float(beta) * m + float(lr) * grad
    return theta - m_new, m_new


def nag_step(theta, grad_fn, m, lr, beta):
    r"""Nesterov: :math:`g = \nabla J(\theta - \beta m),\ m \leftarrow \beta m + \eta g,\ \theta \leftarrow \theta - m`.

    Notes 002 §7.3 eqs. (4)-(5): "$$m \leftarrow \beta m + \eta \nabla_{\theta} J(\theta + \beta m) \quad (4)$$",
    "$$\theta \leftarrow \theta - m \quad (5)$$". The contract evaluates the
    gradient at the look-ahead point ``theta - beta*m`` (where plain momentum
    is about to go: theta moves by -m). ``grad_fn(theta) -> grad`` is a
    callable such as :class:`checks.core.gradfns.QuadraticGrad`. Returns ``(theta, m)``.
    """
    fn = "nag_step"
    theta, m = _vec("theta", fn, theta), _vec("m", fn, m)
    _same_shape(fn, theta=theta, m=m)
    if not callable(grad_fn):
        raise TypeError(f"{fn}: grad_fn must be callable (theta -> gradient), got {type(grad_fn).__name__}")
    beta, lr = float(beta), float(lr)
    g = np.asarray(grad_fn(theta - beta * m), dtype=np.float64)
    if g.shape != theta.shape:
        raise ValueError(f"{fn}: grad_fn returned shape {g.shape}, theta has shape {theta.shape}")
    m_new = beta * m + lr * g
    return theta - m_new, m_new


def adagrad_step(theta, grad, s, lr, eps):
    r""":math:`s \leftarrow s + g\odot g,\ \theta \leftarrow \theta - \eta\, g \oslash (\sqrt s + \varepsilon)`; returns ``(theta, s)``.

    Notes 002 §7.4 eqs. (6)-(7): "$$s \leftarrow s + \nabla_{\theta} J(\theta) \otimes \nabla_{\theta} J(\theta) \quad (6)$$",
    "$$\theta \leftarrow \theta - \eta \nabla_{\theta} J(\theta) \oslash \sqrt{s + \varepsilon} \quad (7)$$"
    -- eps moved outside the root, as the contract (and torch.optim.Adagrad) has it.
    """
    fn = "adagrad_step"
    theta, grad, s = _vec("theta", fn, theta), _vec("grad", fn, grad), _vec("s", fn, s)
    _same_shape(fn, theta=theta, grad=grad, s=s)
    s_new = s + grad * grad
    return theta - float(lr) * grad / (np.sqrt(s_new) + float(eps)), s_new


def rmsprop_step(theta, grad, s, lr, beta, eps):
    r""":math:`s \leftarrow \beta s + (1-\beta) g\odot g,\ \theta \leftarrow \theta - \eta\, g \oslash (\sqrt s + \varepsilon)`; returns ``(theta, s)``.

    Notes 002 §7.5 eqs. (8)-(9): "$$s \leftarrow \beta s + (1 - \beta) \nabla_{\theta} J(\theta) \otimes \nabla_{\theta} J(\theta) \quad (8)$$",
    "$$\theta \leftarrow \theta - \eta \nabla_{\theta} J(\theta) \oslash \sqrt{s + \varepsilon} \quad (9)$$"
    -- eps outside the root (contract; torch.optim.RMSprop with alpha = beta).
    """
    fn = "rmsprop_step"
    theta, grad, s = _vec("theta", fn, theta), _vec("grad", fn, grad), _vec("s", fn, s)
    _same_shape(fn, theta=theta, grad=grad, s=s)
    beta = float(beta)
    s_new = beta * s + (1.0 - beta) * (grad * grad)
    return theta - float(lr) * grad / (np.sqrt(s_new) + float(eps)), s_new


def adam_step(theta, grad, m, s, t, lr, beta1, beta2, eps):
    r"""Adam; returns ``(theta, m, s)`` (m, s: the uncorrected moments).

    .. math:: m \leftarrow \beta_1 m + (1-\beta_1) g,\quad s \leftarrow \beta_2 s + (1-\beta_2) g\odot g,\\
              \hat m = m/(1-\beta_1^t),\quad \hat s = s/(1-\beta_2^t),\quad
              \theta \leftarrow \theta - \eta\, \hat m \oslash (\sqrt{\hat s} + \varepsilon)

    Notes 002 §7.6 eqs. (10)-(14): "$$m \leftarrow \beta_1 m + (1 - \beta_1) \nabla_{\theta} J(\theta) \quad (10)$$",
    "$$s \leftarrow \beta_2 s + (1 - \beta_2) \nabla_{\theta} J(\theta) \otimes \nabla_{\theta} J(\theta) \quad (11)$$",
    "$$m \leftarrow \frac{m}{1 - \beta_1} \quad (12)$$", "$$s \leftarrow \frac{s}{1 - \beta_2} \quad (13)$$",
    "$$\theta \leftarrow \theta - \eta m \oslash \sqrt{s + \varepsilon} \quad (14)$$".
    The contract corrects with ``1 - beta^t`` (t 1-based), keeps the
    corrected values out of the returned state, and puts eps outside the root.
    """
    fn = "adam_step"
    theta, grad = _vec("theta", fn, theta), _vec("grad", fn, grad)
    m, s = _vec("m", fn, m), _vec("s", fn, s)
    _same_shape(fn, theta=theta, grad=grad, m=m, s=s)
    t = _step_number(fn, t)
    beta1, beta2 = float(beta1), float(beta2)
    m_new = beta1 * m + (1.0 - beta1) * grad
    s_new = beta2 * s + (1.0 - beta2) * (grad * grad)
    m_hat = m_new / (1.0 - beta1 ** t)
    s_hat = s_new / (1.0 - beta2 ** t)
    return theta - float(lr) * m_hat / (np.sqrt(s_hat) + float(eps)), m_new, s_new
