"""optim: whole trajectories against torch.optim, the state mappings, and checks.core.gradfns.

The registry checks one step at a time (state loaded into torch.optim from the
case). Here the reference runs STEPS steps from t = 1 and a zero state on
generated quadratic and logistic losses, with generated hyper-parameters,
next to the torch.optim optimiser fed by autograd of the same loss:

- SGD, SGD(momentum) with m = lr * momentum_buffer (lr constant),
  Adagrad(lr_decay=0, initial_accumulator_value=0), RMSprop(alpha=beta), Adam;
- NAG against SGD(nesterov=True), whose parameter is the look-ahead point:
  phi_k = theta_k - beta m_k at every step.

Trajectory tolerance: the two sides compute each gradient differently (numpy
``A @ theta - b`` vs autograd of the loss) and each update in a different
order; the few-ulp differences are carried along but not amplified by these
stable runs (lr < 2/L for the non-adaptive methods). Over 25 steps, 300
random problems per optimiser, the worst difference relative to the scale of
the quantity was 4e-13 (momentum with beta = 0.99: transient growth ~1/(1-beta)),
~1e-15 elsewhere; TRAJ_RTOL = 1e-10 leaves a margin of 200 while a wrong
formula is off by O(1) (``test_trajectory_check_can_fail``).
"""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference.optim as R
from checks.core.case import Case
from checks.core.compare import CheckFailure, Verdict
from checks.run.check import local_caller
from checks.core.gradfns import LogisticGrad, QuadraticGrad, from_spec
from checks.strategies import array, reals
from checks.oracles.torchlib import N, T, torch
from tests.groups._regimes import drawn
from tests.mutants import optim as M

STEPS = 25
TRAJ_RTOL = 1e-10
SETTINGS = settings(max_examples=20, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


# ---------------------------------------------------------------- generated problems


@st.composite
def problems(draw):
    """(grad_fn, theta0, L): a quadratic (possibly scaled by 1e-10: tiny gradients all along) or a logistic loss; L bounds the curvature."""
    n = draw(st.integers(1, 5))
    theta0 = draw(array((n,), -3.0, 3.0))
    if draw(st.booleans()):
        B = draw(array((n, n), -2.0, 2.0))
        C = B @ B.T + 0.1 * np.eye(n)
        scale = draw(st.sampled_from([1.0, 1e-10]))
        A = (C + C.T) / 2 * scale
        fn = QuadraticGrad(A=A, b=draw(array((n,), -5.0, 5.0)) * scale)
        L = float(np.linalg.eigvalsh(A).max())
    else:
        rows = draw(st.integers(2, 6))
        X = draw(array((rows, n), -3.0, 3.0))
        y = np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=rows, max_size=rows)))
        fn = LogisticGrad(X=X, y=y)
        L = max(float(np.linalg.norm(X, 2)) ** 2 / (4 * rows), 1e-3)
    return fn, theta0, L


def _torch_run(fn, theta0, make, steps=STEPS):
    """theta after each step of torch.optim ``make([p])`` on ``fn.torch_loss``, and the final state."""
    p = T(theta0, grad=True)
    opt = make([p])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        fn.torch_loss(p).backward()
        opt.step()
        out.append(N(p))
    return np.array(out), opt.state[p]


def _close(actual, expected, what, scale=None):
    """|a - e| <= TRAJ_RTOL (|e| + scale), scale = the largest magnitude of the quantity along the run.

    (Not the final value's: m may converge to 1e-190 while its rounding errors are those of its earlier size.)
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    scale = np.max(np.abs(expected)) if scale is None else scale
    err = np.abs(actual - expected)
    bound = TRAJ_RTOL * (np.abs(expected) + scale)
    assert np.all(err <= bound), f"{what}: worst error {err.max():.3g} (relative to scale {scale:.3g}) at {np.unravel_index(np.argmax(err - bound), err.shape)}"


def _theta_scale(theta0, traj):
    return max(float(np.max(np.abs(traj))), float(np.max(np.abs(theta0))), 1e-300)


# ---------------------------------------------------------------- trajectories vs torch.optim


@SETTINGS
@given(problems(), reals(0.05, 1.0))
def test_sgd_trajectory(problem, c):
    fn, theta, L = problem
    lr = c / L
    traj, _ = _torch_run(fn, theta, lambda ps: torch().optim.SGD(ps, lr=lr, foreach=False))
    th0 = theta
    for k in range(STEPS):
        theta = R.sgd_step(theta, fn(theta), lr)
        _close(theta, traj[k], f"step {k + 1}", _theta_scale(th0, traj))


@SETTINGS
@given(problems(), reals(0.05, 1.0), st.sampled_from([0.0, 0.5, 0.9, 0.99]))
def test_momentum_trajectory_and_buffer_mapping(problem, c, beta):
    fn, theta, L = problem
    lr = c / L
    traj, state = _torch_run(fn, theta, lambda ps: torch().optim.SGD(ps, lr=lr, momentum=beta, dampening=0.0, foreach=False))
    th0, m, m_max = theta, np.zeros_like(theta), 0.0
    for k in range(STEPS):
        theta, m = R.momentum_step(theta, fn(theta), m, lr, beta)
        m_max = max(m_max, np.abs(m).max())
        _close(theta, traj[k], f"step {k + 1}", _theta_scale(th0, traj))
    if beta > 0:  # the notes' m is lr times torch's buffer (lr constant)
        _close(m, lr * N(state["momentum_buffer"]), "m vs lr*momentum_buffer", m_max)


@SETTINGS
@given(problems(), reals(0.05, 1.0), st.sampled_from([0.5, 0.9, 0.99]))
def test_nag_matches_torch_nesterov_on_the_lookahead_variable(problem, c, beta):
    """torch's Nesterov SGD iterates phi = theta - beta*m, the point where the contract evaluates the gradient."""
    fn, theta, L = problem
    lr = c / L
    phis, state = _torch_run(fn, theta, lambda ps: torch().optim.SGD(
        ps, lr=lr, momentum=beta, dampening=0.0, nesterov=True, foreach=False))
    th0, m, m_max = theta, np.zeros_like(theta), 0.0
    looks = []
    for _ in range(STEPS):
        theta, m = R.nag_step(theta, fn, m, lr, beta)
        m_max = max(m_max, np.abs(m).max())
        looks.append(theta - beta * m)
    _close(np.array(looks), phis, "theta - beta*m vs torch's parameter", _theta_scale(th0, phis))
    _close(m, lr * N(state["momentum_buffer"]), "m vs lr*momentum_buffer", m_max)


@SETTINGS
@given(problems(), reals(0.01, 0.5), st.sampled_from([1e-8, 1e-10]))
def test_adagrad_trajectory(problem, lr, eps):
    fn, theta, _ = problem
    traj, state = _torch_run(fn, theta, lambda ps: torch().optim.Adagrad(
        ps, lr=lr, lr_decay=0.0, initial_accumulator_value=0.0, eps=eps, foreach=False))
    th0, s = theta, np.zeros_like(theta)
    for k in range(STEPS):
        theta, s = R.adagrad_step(theta, fn(theta), s, lr, eps)
        _close(theta, traj[k], f"step {k + 1}", _theta_scale(th0, traj))
    _close(s, N(state["sum"]), "s vs sum")


@SETTINGS
@given(problems(), reals(1e-3, 0.1), st.sampled_from([0.0, 0.9, 0.99, 0.999, 0.9999]), st.sampled_from([1e-8, 1e-10]))
def test_rmsprop_trajectory(problem, lr, beta, eps):
    fn, theta, _ = problem
    traj, state = _torch_run(fn, theta, lambda ps: torch().optim.RMSprop(
        ps, lr=lr, alpha=beta, eps=eps, momentum=0.0, centered=False, foreach=False))
    th0, s, s_max = theta, np.zeros_like(theta), 0.0
    for k in range(STEPS):
        theta, s = R.rmsprop_step(theta, fn(theta), s, lr, beta, eps)
        s_max = max(s_max, s.max())
        _close(theta, traj[k], f"step {k + 1}", _theta_scale(th0, traj))
    _close(s, N(state["square_avg"]), "s vs square_avg", s_max)


@SETTINGS
@given(problems(), reals(1e-3, 0.1), st.sampled_from([0.0, 0.5, 0.9]), st.sampled_from([0.99, 0.999, 0.9999]),
       st.sampled_from([1e-8, 1e-10]))
def test_adam_trajectory_from_t_equal_1(problem, lr, beta1, beta2, eps):
    fn, theta, _ = problem
    traj, state = _torch_run(fn, theta, lambda ps: torch().optim.Adam(
        ps, lr=lr, betas=(beta1, beta2), eps=eps, amsgrad=False, foreach=False))
    th0, m, s, m_max, s_max = theta, np.zeros_like(theta), np.zeros_like(theta), 0.0, 0.0
    for k in range(STEPS):
        theta, m, s = R.adam_step(theta, fn(theta), m, s, k + 1, lr, beta1, beta2, eps)
        m_max, s_max = max(m_max, np.abs(m).max()), max(s_max, s.max())
        _close(theta, traj[k], f"step {k + 1}", _theta_scale(th0, traj))
    _close(m, N(state["exp_avg"]), "m vs exp_avg", m_max)
    _close(s, N(state["exp_avg_sq"]), "s vs exp_avg_sq", s_max)
    assert float(state["step"]) == STEPS


def test_trajectory_check_can_fail():
    """The notes' Adam (eqs. 10-14 literally) leaves torch's trajectory: the comparison above has teeth."""
    fn = QuadraticGrad(A=np.array([[2.0, 0.5], [0.5, 1.0]]), b=np.array([1.0, -1.0]))
    theta0 = np.array([1.0, 2.0])
    traj, _ = _torch_run(fn, theta0, lambda ps: torch().optim.Adam(ps, lr=0.01, foreach=False))
    theta, m, s = theta0, np.zeros(2), np.zeros(2)
    with pytest.raises(AssertionError):
        for k in range(STEPS):
            theta, m, s = M.adam_notes_literal(theta, fn(theta), m, s, k + 1, 0.01, 0.9, 0.999, 1e-8)
            _close(theta, traj[k], f"step {k + 1}", 2.0)


# ---------------------------------------------------------------- the registry's strategies reach the hard regimes


def _draws(strategy, what, n=100):
    """n seeded draws of a strategy (checks.run.draw: independent of the other loaded modules)."""
    return drawn(strategy, n, "optim", what)


def test_strategies_draw_the_hard_regimes():
    from checks.formulas import optim as fo

    def tiny(g):
        return 0 < np.abs(g).max() <= 1e-8

    adam = _draws(fo.adam_cases(), "adam")
    # Adam's genuine first step (t = 1, zero state) with tiny gradients; with beta2 = 0.9999
    assert any(c[4] == 1 and not c[2].any() and not c[3].any() and tiny(c[1]) for c in adam)
    assert any(c[4] == 1 and c[7] == 0.9999 for c in adam)
    assert any(c[4] >= 2 and c[7] >= 0.999 for c in adam)  # where 1-beta vs 1-beta^t shows
    assert any(tiny(c[1]) for c in _draws(fo.adagrad_cases(), "adagrad"))
    rms = _draws(fo.rmsprop_cases(), "rmsprop")
    assert any(c[4] == 0.9999 for c in rms) and any(tiny(c[1]) for c in rms)
    assert any(not c[1].any() for c in _draws(fo.sgd_cases(), "sgd"))
    assert {c[0].size for c in _draws(fo.momentum_cases(), "momentum")} == {1, 2, 3, 4, 5}
    nag = _draws(fo.nag_cases(), "nag")
    assert any(isinstance(c[1], LogisticGrad) and c[0].size == 5 for c in nag)
    assert any(isinstance(c[1], QuadraticGrad) and c[4] >= 0.999 and c[2].any() for c in nag)


def test_eps_inside_the_root_only_shows_with_tiny_gradients():
    """With moderate gradients the notes' sqrt(s + eps) is within the tolerance; with g = 1e-8 it is far off."""
    theta, s = np.array([1.0]), np.array([0.0])
    for g, far in ((np.array([3.0]), False), (np.array([1e-8]), True)):
        ok, _ = R.adagrad_step(theta, g, s, 0.1, 1e-8)
        bad, _ = M.adagrad_eps_inside(theta, g, s, 0.1, 1e-8)
        assert bool(abs(bad - ok)[0] > 1e-9 * (abs(ok[0]) + 1.0)) is far


# ---------------------------------------------------------------- in-place and aliasing verdicts


@pytest.mark.parametrize("fn_name, mutant, args", [
    ("sgd_step", M.sgd_in_place, (np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1)),
    ("adagrad_step", M.adagrad_in_place, (np.array([1.0]), np.array([0.5]), np.array([1.0]), 0.1, 1e-8)),
    ("adam_step", M.adam_in_place, (np.array([1.0]), np.array([0.5]), np.array([0.2]), np.array([1.0]), 3, 0.1, 0.9, 0.999, 1e-8)),
])
def test_in_place_update_is_reported_as_such(fn_name, mutant, args):
    with pytest.raises(CheckFailure) as e:
        local_caller(mutant, fn_name, fresh_outputs=True)(Case(args))
    assert e.value.verdict is Verdict.INPLACE, e.value.message


def test_returning_an_argument_is_reported_as_aliasing():
    with pytest.raises(CheckFailure) as e:
        local_caller(M.sgd_returns_theta_at_zero_grad, "sgd_step", fresh_outputs=True)(Case((np.ones(2), np.zeros(2), 0.1)))
    assert e.value.verdict is Verdict.WRONG_TYPE and "shares memory" in e.value.message


# ---------------------------------------------------------------- checks.core.gradfns


@SETTINGS
@given(problems(), array(st.just((5,)), -3.0, 3.0))
def test_grad_fn_matches_autograd_of_its_torch_loss(problem, x):
    fn, theta0, _ = problem
    x = x[: theta0.size]
    xt = T(x, grad=True)
    loss = fn.torch_loss(xt)
    loss.backward()
    scale = fn.grad_scale(np.abs(x))
    assert np.all(np.abs(fn(x) - N(xt.grad)) <= 1e-12 * (scale + 1e-300))
    lv = float(loss.detach())
    assert abs(fn.loss(x) - lv) <= 1e-12 * (1.0 + abs(lv))


def _samples():
    return [
        QuadraticGrad(A=np.array([[2.0, 0.5], [0.5, 1.0]]), b=np.array([1.0, -1.0 / 3.0])),
        LogisticGrad(X=np.array([[1.0, -2.0], [0.1, 3.0], [0.0, 1e-300]]), y=np.array([1.0, 0.0, 1.0])),
    ]


@pytest.mark.parametrize("fn", _samples(), ids=lambda f: type(f).__name__)
def test_grad_fn_round_trips(fn):
    ns = {"np": np, "QuadraticGrad": QuadraticGrad, "LogisticGrad": LogisticGrad}
    assert eval(repr(fn), ns) == fn  # the repr is a copy-pastable constructor call
    assert pickle.loads(pickle.dumps(fn)) == fn
    assert from_spec(json.loads(json.dumps(fn.spec()))) == fn
    c = copy.deepcopy(fn)
    assert c == fn and c is not fn
    arr = getattr(c, type(c)._fields[0])
    arr.flat[0] += 1.0  # an in-place change of the loss is visible to ==
    assert c != fn
    assert fn != _samples()[1 - _samples().index(fn)] and fn != "x"


def test_failing_nag_input_is_copy_pastable():
    fn = _samples()[0]
    case = Case((np.array([1.0, 2.0]), fn, np.array([0.1, 0.0]), 0.5, 0.9))
    ns = {"np": np, "QuadraticGrad": QuadraticGrad, "LogisticGrad": LogisticGrad, "nag_step": lambda *a: a}
    args = eval(case.call_repr("nag_step"), ns)
    assert args[1] == fn and np.array_equal(args[0], case[0])


def test_grad_fn_errors_are_clear():
    with pytest.raises(ValueError, match="symmetric"):
        QuadraticGrad(A=np.array([[1.0, 2.0], [0.0, 1.0]]), b=np.zeros(2))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\)"):
        QuadraticGrad(A=np.eye(2), b=np.zeros(3))
    with pytest.raises(ValueError, match="only 0.0 and 1.0"):
        LogisticGrad(X=np.ones((2, 1)), y=np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"expects theta of shape \(2,\), got shape \(3,\)"):
        QuadraticGrad(A=np.eye(2), b=np.zeros(2))(np.zeros(3))
    with pytest.raises(ValueError, match="'type' in"):
        from_spec({"type": "os.system", "A": [[1.0]]})


def test_gradfns_imports_neither_torch_nor_sympy_nor_hypothesis():
    code = ("import sys, checks.core.gradfns; bad = [m for m in ('torch', 'sympy', 'hypothesis') if m in sys.modules];"
            " assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- the reference's own errors


def test_reference_errors_are_clear():
    with pytest.raises(ValueError, match="1-based"):
        R.adam_step(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), 0, 0.1, 0.9, 0.999, 1e-8)
    with pytest.raises(ValueError, match="same shape"):
        R.momentum_step(np.zeros(2), np.zeros(3), np.zeros(2), 0.1, 0.9)
    with pytest.raises(TypeError, match="grad_fn must be callable"):
        R.nag_step(np.zeros(2), None, np.zeros(2), 0.1, 0.9)


def test_reference_returns_new_arrays():
    theta, g = np.ones(2), np.zeros(2)
    for out in (R.sgd_step(theta, g, 0.1), *R.momentum_step(theta, g, np.zeros(2), 0.1, 0.0)):
        assert not np.shares_memory(out, theta) and not np.shares_memory(out, g)
