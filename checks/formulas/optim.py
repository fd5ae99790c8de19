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

import reference.optim as ref
from checks.core.compare import Tol
from checks.formulas import Strategies, moved
from checks.judges.optimizer import _scale_adagrad, _scale_adam, _scale_momentum, _scale_nag, _scale_rmsprop, _scale_sgd, scaled_compare
from checks.oracles.optim import _o_adagrad, _o_adam, _o_momentum, _o_nag, _o_rmsprop, _o_sgd, _s_nag, _s_rule, _t_adagrad, _t_adam, _t_momentum, _t_nag, _t_rmsprop, _t_sgd
from checks.registry import Formula, Oracle, Source, register


S = Strategies("optim")

_TOL = Tol(rtol=1e-9, atol=0.0)


_SEC = "§7 优化算法 sgd/momentum/adam/adagrad/rmsprop"


register(Formula(
    id="optim.sgd_step",
    source=Source("002", f"{_SEC}, 1 Gradient Descent Optimizer", "eq. (1)",
                  r"$$\theta \leftarrow \theta - \eta \nabla_{\theta} J(\theta) \quad (1)$$"),
    reference=ref.sgd_step,
    strategy=S.sgd_cases,
    outputs=("theta",),
    oracles=(
        Oracle("torch", _t_sgd, description="theta - lr*grad in torch"),
        Oracle("torch:optim.SGD", _o_sgd, description="torch.optim.SGD(lr).step()"),
        Oracle("sympy", _s_rule("sgd"), strategy=lambda: S.sgd_cases(sizes=(1, 1)), description="theta - lr*g lambdified, scalar theta"),
    ),
    points=1, tol=_TOL, compare=scaled_compare(("theta",), _scale_sgd), fresh_outputs=True,
    summary="new array; tiny, mixed and exactly zero gradients",
))


register(Formula(
    id="optim.momentum_step",
    source=Source("002", f"{_SEC}, 2 Momentum Optimizer", "eqs. (2)-(3)",
                  r"$$m \leftarrow \beta m + \eta \nabla_{\theta} J(\theta) \quad (2)$$ $$\theta \leftarrow \theta - m \quad (3)$$"),
    reference=ref.momentum_step,
    strategy=S.momentum_cases,
    outputs=("theta", "m"),
    oracles=(
        Oracle("torch", _t_momentum, description="m = beta*m + lr*g, theta - m in torch"),
        Oracle("torch:optim.SGD", _o_momentum, description="SGD(momentum=beta, dampening=0), momentum_buffer = m/lr, m = lr*buffer"),
        Oracle("sympy", _s_rule("momentum"), strategy=lambda: S.momentum_cases(sizes=(1, 1)), description="eqs. (2)-(3) lambdified, scalar theta"),
    ),
    points=1, tol=_TOL, compare=scaled_compare(("theta", "m"), _scale_momentum), fresh_outputs=True,
))


register(Formula(
    id="optim.nag_step",
    source=Source("002", f"{_SEC}, 3 Nesterov Accelerated Gradient(NAG)", "eqs. (4)-(5), look-ahead theta - beta*m per the contract",
                  r"$$m \leftarrow \beta m + \eta \nabla_{\theta} J(\theta + \beta m) \quad (4)$$ $$\theta \leftarrow \theta - m \quad (5)$$"),
    reference=ref.nag_step,
    strategy=S.nag_cases,
    outputs=("theta", "m"),
    oracles=(
        Oracle("torch", _t_nag, description="autograd of the loss at theta - beta*m, then eqs. (4)-(5) in torch"),
        Oracle("torch:optim.SGD(nesterov)", _o_nag,
               description="SGD(momentum=beta, nesterov=True) on phi = theta - beta*m, buffer = m/lr; theta = phi + beta*m"),
        Oracle("sympy", _s_nag, strategy=lambda: S.nag_cases(sizes=(1, 1)), description="sympy.diff of the loss at theta - beta*m, scalar theta"),
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
    strategy=S.adagrad_cases,
    outputs=("theta", "s"),
    oracles=(
        Oracle("torch", _t_adagrad, description="s + g^2, theta - lr*g/(sqrt(s)+eps) in torch"),
        Oracle("torch:optim.Adagrad", _o_adagrad, description="Adagrad(lr_decay=0, initial_accumulator_value=0), sum = s"),
        Oracle("sympy", _s_rule("adagrad"), strategy=lambda: S.adagrad_cases(sizes=(1, 1)), description="eqs. (6)-(7) lambdified, scalar theta"),
    ),
    points=1, tol=_TOL, compare=scaled_compare(("theta", "s"), _scale_adagrad), fresh_outputs=True,
))


register(Formula(
    id="optim.rmsprop_step",
    source=Source("002", f"{_SEC}, 5 RMSProp Optimizer", "eqs. (8)-(9), eps outside the root per the contract",
                  r"$$s \leftarrow \beta s + (1 - \beta) \nabla_{\theta} J(\theta) \otimes \nabla_{\theta} J(\theta) \quad (8)$$ "
                  r"$$\theta \leftarrow \theta - \eta \nabla_{\theta} J(\theta) \oslash \sqrt{s + \varepsilon} \quad (9)$$"),
    reference=ref.rmsprop_step,
    strategy=S.rmsprop_cases,
    outputs=("theta", "s"),
    oracles=(
        Oracle("torch", _t_rmsprop, description="beta*s + (1-beta)*g^2, theta - lr*g/(sqrt(s)+eps) in torch"),
        Oracle("torch:optim.RMSprop", _o_rmsprop, description="RMSprop(alpha=beta, momentum=0, centered=False), square_avg = s"),
        Oracle("sympy", _s_rule("rmsprop"), strategy=lambda: S.rmsprop_cases(sizes=(1, 1)), description="eqs. (8)-(9) lambdified, scalar theta"),
    ),
    points=1, tol=_TOL, compare=scaled_compare(("theta", "s"), _scale_rmsprop), fresh_outputs=True,
))


register(Formula(
    id="optim.adam_step",
    source=Source("002", f"{_SEC}, 6 Adam Optimizer", "eqs. (10)-(14), bias correction 1-beta^t and eps outside the root per the contract",
                  r"$$m \leftarrow \frac{m}{1 - \beta_1} \quad (12)$$ $$s \leftarrow \frac{s}{1 - \beta_2} \quad (13)$$ "
                  r"$$\theta \leftarrow \theta - \eta m \oslash \sqrt{s + \varepsilon} \quad (14)$$"),
    reference=ref.adam_step,
    strategy=S.adam_cases,
    outputs=("theta", "m", "s"),
    oracles=(
        Oracle("torch", _t_adam, description="eqs. (10)-(11), m/(1-beta1^t), s/(1-beta2^t), eps outside the root, in torch"),
        Oracle("torch:optim.Adam", _o_adam, description="Adam(betas, eps, amsgrad=False), exp_avg = m, exp_avg_sq = s, step = t-1"),
        Oracle("sympy", _s_rule("adam"), strategy=lambda: S.adam_cases(sizes=(1, 1)), description="the contract's rule lambdified, scalar theta"),
    ),
    points=2, tol=_TOL, compare=scaled_compare(("theta", "m", "s"), _scale_adam), fresh_outputs=True,
    summary="t is 1-based; t = 1, beta2 up to 0.9999 and tiny gradients drawn on purpose",
))

# names that lived here before the split (tests/test_*_extra.py, benchmarks/ import them from this module)
__getattr__ = moved("checks.strategies.optim", "checks.oracles.optim", "checks.judges.optimizer")
