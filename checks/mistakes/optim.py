"""Realistic wrong optimiser steps, most of them the notes' equations taken literally (002 §7)."""

import numpy as np


_f = lambda x: np.asarray(x, dtype=np.float64)  # noqa: E731


# ---------------------------------------------------------------- sgd

def sgd_ascent(theta, grad, lr):
    return _f(theta) + lr * _f(grad)


def sgd_returns_theta_at_zero_grad(theta, grad, lr):
    if not np.any(grad):  # "nothing to do": returns the argument itself
        return theta
    return _f(theta) - lr * _f(grad)


def sgd_in_place(theta, grad, lr):
    theta -= lr * grad
    return theta


# ---------------------------------------------------------------- momentum

def momentum_no_lr(theta, grad, m, lr, beta):
    m = beta * m + grad  # torch's buffer stored as m
    return theta - lr * m, m


def momentum_dampened(theta, grad, m, lr, beta):
    m = beta * m + (1 - beta) * lr * grad
    return theta - m, m


def momentum_old_m(theta, grad, m, lr, beta):
    return theta - m, beta * m + lr * grad


# ---------------------------------------------------------------- nag

def nag_plus_lookahead(theta, grad_fn, m, lr, beta):
    m = beta * m + lr * grad_fn(theta + beta * m)  # the notes' eq. (4) as written
    return theta - m, m


def nag_no_lookahead(theta, grad_fn, m, lr, beta):
    m = beta * m + lr * grad_fn(theta)  # plain momentum
    return theta - m, m


def nag_returns_lookahead(theta, grad_fn, m, lr, beta):
    m = beta * m + lr * grad_fn(theta - beta * m)
    return theta - m - beta * m, m  # torch's parametrisation phi = theta - beta*m


# ---------------------------------------------------------------- adagrad

def adagrad_eps_inside(theta, grad, s, lr, eps):
    s = s + grad * grad
    return theta - lr * grad / np.sqrt(s + eps), s  # the notes' eq. (7)


def adagrad_no_accumulation(theta, grad, s, lr, eps):
    s = grad * grad
    return theta - lr * grad / (np.sqrt(s) + eps), s


def adagrad_old_s(theta, grad, s, lr, eps):
    return theta - lr * grad / (np.sqrt(s) + eps), s + grad * grad


def adagrad_in_place(theta, grad, s, lr, eps):
    s += grad * grad
    return theta - lr * grad / (np.sqrt(s) + eps), s


# ---------------------------------------------------------------- rmsprop

def rmsprop_no_one_minus_beta(theta, grad, s, lr, beta, eps):
    s = beta * s + grad * grad
    return theta - lr * grad / (np.sqrt(s) + eps), s


def rmsprop_eps_inside(theta, grad, s, lr, beta, eps):
    s = beta * s + (1 - beta) * grad * grad
    return theta - lr * grad / np.sqrt(s + eps), s  # the notes' eq. (9)


def rmsprop_swapped_beta(theta, grad, s, lr, beta, eps):
    s = (1 - beta) * s + beta * grad * grad
    return theta - lr * grad / (np.sqrt(s) + eps), s


# ---------------------------------------------------------------- adam

def _adam(theta, grad, m, s, t, lr, beta1, beta2, eps, *, c1, c2, eps_inside=False, return_hat=False):
    m = beta1 * m + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad * grad
    with np.errstate(all="ignore"):  # 0-based t divides by 1 - beta^0 = 0
        m_hat, s_hat = m / c1, s / c2
        den = np.sqrt(s_hat + eps) if eps_inside else np.sqrt(s_hat) + eps
        theta = theta - lr * m_hat / den
    return (theta, m_hat, s_hat) if return_hat else (theta, m, s)


def adam_no_bias_correction(theta, grad, m, s, t, lr, beta1, beta2, eps):
    return _adam(theta, grad, m, s, t, lr, beta1, beta2, eps, c1=1.0, c2=1.0)


def adam_correction_without_t(theta, grad, m, s, t, lr, beta1, beta2, eps):
    return _adam(theta, grad, m, s, t, lr, beta1, beta2, eps, c1=1 - beta1, c2=1 - beta2)  # eqs. (12)-(13)


def adam_zero_based_t(theta, grad, m, s, t, lr, beta1, beta2, eps):
    return _adam(theta, grad, m, s, t, lr, beta1, beta2, eps, c1=1 - beta1 ** (t - 1), c2=1 - beta2 ** (t - 1))


def adam_eps_inside(theta, grad, m, s, t, lr, beta1, beta2, eps):
    return _adam(theta, grad, m, s, t, lr, beta1, beta2, eps, c1=1 - beta1 ** t, c2=1 - beta2 ** t, eps_inside=True)


def adam_notes_literal(theta, grad, m, s, t, lr, beta1, beta2, eps):
    # eqs. (10)-(14) as written: 1-beta corrections, eps in the root, corrected moments kept as the state
    return _adam(theta, grad, m, s, t, lr, beta1, beta2, eps, c1=1 - beta1, c2=1 - beta2, eps_inside=True, return_hat=True)


def adam_returns_corrected_state(theta, grad, m, s, t, lr, beta1, beta2, eps):
    return _adam(theta, grad, m, s, t, lr, beta1, beta2, eps, c1=1 - beta1 ** t, c2=1 - beta2 ** t, return_hat=True)


def adam_in_place(theta, grad, m, s, t, lr, beta1, beta2, eps):
    m *= beta1
    m += (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad * grad
    return theta - lr * (m / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps), m, s


MISTAKES = [
    ('optim.sgd_step', 'theta + lr*grad', sgd_ascent,
        'The step goes up the gradient: θ + lr·g instead of θ − lr·g.',
        'Gradient descent moves against the gradient.'),
    ('optim.sgd_step', 'returns theta itself when grad == 0', sgd_returns_theta_at_zero_grad,
        'When the gradient is zero the argument θ itself is returned instead of a new array.',
        'Always return a new array, even when nothing changes.',
        {'verdict': 'wrong shape or type'}),
    ('optim.sgd_step', 'updates theta in place', sgd_in_place,
        "θ is updated in place, changing the caller's array.",
        'Compute a new array; leave the arguments untouched.'),  # reported as aliasing after shrinking; INPLACE: test_optim_extra
    ('optim.momentum_step', 'm = beta*m + g (no lr), theta -= lr*m', momentum_no_lr,
        "m accumulates the raw gradient (m = βm + g) and θ steps by lr·m, so the returned m differs from the contract's.",
        "The contract's velocity includes the learning rate: m = βm + lr·g."),
    ('optim.momentum_step', 'm = beta*m + (1-beta)*lr*g (dampened)', momentum_dampened,
        'The gradient is dampened: m = βm + (1 − β)·lr·g.',
        'Plain momentum has no (1 − β) factor.'),
    ('optim.momentum_step', 'theta moved by the old m', momentum_old_m,
        'θ is moved by the old m instead of the updated one.',
        'Update m first, then move θ by it.'),
    ('optim.nag_step', "gradient at theta + beta*m (notes' eq. 4)", nag_plus_lookahead,
        "The gradient is taken at θ + βm (the notes' eq. 4 as written) instead of θ − βm.",
        'Look ahead to where momentum is about to move θ.'),
    ('optim.nag_step', 'gradient at theta (plain momentum)', nag_no_lookahead,
        'The gradient is taken at θ (plain momentum) instead of at the look-ahead point.',
        'Nesterov evaluates the gradient where momentum will take θ: θ − βm.'),
    ('optim.nag_step', 'returns the look-ahead variable', nag_returns_lookahead,
        "The look-ahead variable (torch's parametrisation) is returned instead of θ.",
        'Return θ itself, updated by −m.'),
    ('optim.adagrad_step', "eps inside the root (notes' eq. 7)", adagrad_eps_inside,
        'eps is added inside the square root: √(s + eps) instead of √s + eps.',
        'The contract puts eps outside the root.'),
    ('optim.adagrad_step', 's = g^2, not accumulated', adagrad_no_accumulation,
        's is replaced by g² instead of accumulating s + g².',
        'AdaGrad sums every past squared gradient.'),
    ('optim.adagrad_step', 'old s in the denominator', adagrad_old_s,
        'The denominator uses the old s instead of the updated one.',
        'Update s first, then use it.'),
    ('optim.adagrad_step', 's updated in place', adagrad_in_place,
        "s is updated in place, changing the caller's array.",
        'Compute new arrays; leave the arguments untouched.'),
    ('optim.rmsprop_step', 's = beta*s + g^2 (no 1-beta)', rmsprop_no_one_minus_beta,
        's = βs + g² misses the (1 − β) factor.',
        'RMSprop keeps an exponential moving average.'),
    ('optim.rmsprop_step', "eps inside the root (notes' eq. 9)", rmsprop_eps_inside,
        'eps is added inside the square root.',
        'The contract puts eps outside the root.'),
    ('optim.rmsprop_step', 'beta and 1-beta swapped', rmsprop_swapped_beta,
        'β and 1 − β are swapped in the moving average.',
        'β weights the old s.'),
    ('optim.adam_step', 'no bias correction', adam_no_bias_correction,
        'The moments are used without bias correction (no division by 1 − βᵗ).',
        'Early on m and s are biased towards 0: look at what the t argument is for.'),
    ('optim.adam_step', "correction 1-beta, not 1-beta^t (notes' eqs. 12-13)", adam_correction_without_t,
        'The bias correction divides by 1 − β instead of 1 − βᵗ.',
        'The correction depends on the step number t.'),
    ('optim.adam_step', '0-based t', adam_zero_based_t,
        'The bias correction uses t − 1 (a 0-based step count).',
        't counts steps from 1: the first step uses βᵗ with t = 1.'),
    ('optim.adam_step', "eps inside the root (notes' eq. 14)", adam_eps_inside,
        'eps is added inside the square root.',
        "The contract's denominator is √ŝ + eps."),
    ('optim.adam_step', "notes' eqs. (10)-(14) literally", adam_notes_literal,
        "The notes' equations (10)-(14) are followed literally: 1 − β corrections, eps inside the root and the corrected moments kept as state.",
        "Compare each line of your step with the contract's formula (t in the corrections, eps outside the root, raw moments as state)."),
    ('optim.adam_step', 'returns the bias-corrected moments as state', adam_returns_corrected_state,
        'The bias-corrected moments are returned as state instead of the uncorrected m and s.',
        'The state carried to the next step is the raw moving averages.'),
    ('optim.adam_step', 'm updated in place', adam_in_place,
        "m is updated in place, changing the caller's array.",
        'Compute new arrays; leave the arguments untouched.'),
]


# ---------------------------------------------------------------- added by the adversarial review


def adam_t_incremented_inside(theta, grad, m, s, t, lr, beta1, beta2, eps):
    t = t + 1  # "t += 1" at the top of the step, as in a training loop (t is already 1-based)
    return _adam(theta, grad, m, s, t, lr, beta1, beta2, eps, c1=1 - beta1 ** t, c2=1 - beta2 ** t)


def adam_paper_efficient_form(theta, grad, m, s, t, lr, beta1, beta2, eps):
    """The Adam paper's "more efficient" order: lr_t = lr·√(1−β2^t)/(1−β1^t), θ −= lr_t·m/(√s + eps):
    eps is then effectively eps·√(1−β2^t) of the contract's rule (differs for small s)."""
    m = beta1 * m + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad * grad
    lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return theta - lr_t * m / (np.sqrt(s) + eps), m, s


def adam_beta1_in_both_corrections(theta, grad, m, s, t, lr, beta1, beta2, eps):
    return _adam(theta, grad, m, s, t, lr, beta1, beta2, eps, c1=1 - beta1 ** t, c2=1 - beta1 ** t)


def adam_missing_parentheses(theta, grad, m, s, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad * grad
    with np.errstate(all="ignore"):
        return theta - lr * (m / (1 - beta1 ** t)) / np.sqrt(s / (1 - beta2 ** t)) + eps, m, s


def adagrad_missing_parentheses(theta, grad, s, lr, eps):
    s = s + grad * grad
    with np.errstate(all="ignore"):
        return theta - lr * grad / np.sqrt(s) + eps, s


def rmsprop_eps_squared_in_root(theta, grad, s, lr, beta, eps):
    s = beta * s + (1 - beta) * grad * grad
    return theta - lr * grad / np.sqrt(s + eps * eps), s


def rmsprop_max_with_eps(theta, grad, s, lr, beta, eps):
    s = beta * s + (1 - beta) * grad * grad
    return theta - lr * grad / np.maximum(np.sqrt(s), eps), s


def momentum_sign_flipped(theta, grad, m, lr, beta):
    m = beta * m - lr * grad  # m <- beta m - lr g, theta <- theta + m: the returned m has the opposite sign
    return theta + m, m


def nag_lookahead_without_beta(theta, grad_fn, m, lr, beta):
    m = beta * m + lr * grad_fn(theta - m)
    return theta - m, m


def nag_gradient_at_theta_reformulated(theta, grad_fn, m, lr, beta):
    g = grad_fn(theta)  # "theta -= beta m_new + lr g": the reformulation for phi, applied to theta
    m2 = beta * m + lr * g
    return theta - beta * m2 - lr * g, m2


def sgd_float32(theta, grad, lr):
    return (theta - lr * grad).astype(np.float32)


MISTAKES += [
    ('optim.adam_step', 't incremented inside the step', adam_t_incremented_inside,
        't is incremented inside the step, so the correction uses t + 1.',
        'The caller passes the current step number t.'),
    ('optim.adam_step', "the paper's efficient form (eps not rescaled)", adam_paper_efficient_form,
        "The paper's efficient form is used, where eps is not rescaled by the correction.",
        'The contract adds eps to √ŝ, the corrected moment.'),
    ('optim.adam_step', 'beta1 in both bias corrections', adam_beta1_in_both_corrections,
        'β₁ is used in both bias corrections.',
        's is corrected with β₂.'),
    ('optim.adam_step', '... / sqrt(s_hat) + eps (missing parentheses)', adam_missing_parentheses,
        'The step is m̂/√ŝ + eps (missing parentheses) instead of m̂/(√ŝ + eps).',
        'Check the precedence of the division.'),
    ('optim.adagrad_step', '... / sqrt(s) + eps (missing parentheses)', adagrad_missing_parentheses,
        'The step is g/√s + eps (missing parentheses) instead of g/(√s + eps).',
        'Check the precedence of the division.'),
    ('optim.rmsprop_step', 'sqrt(s + eps²)', rmsprop_eps_squared_in_root,
        'The denominator is √(s + eps²) instead of √s + eps.',
        'The contract adds eps outside the root.'),
    ('optim.rmsprop_step', 'max(sqrt(s), eps)', rmsprop_max_with_eps,
        'The denominator is max(√s, eps) instead of √s + eps.',
        'eps is added, not used as a floor.'),
    ('optim.momentum_step', 'm = beta*m - lr*g, theta + m', momentum_sign_flipped,
        'm is stored with the opposite sign (m = βm − lr·g, θ + m).',
        "The contract's m = βm + lr·g, and θ moves by −m."),
    ('optim.nag_step', 'look-ahead theta - m (no beta)', nag_lookahead_without_beta,
        'The look-ahead point is θ − m instead of θ − βm.',
        'Momentum will move θ by βm before the new gradient.'),
    ('optim.nag_step', 'gradient at theta, theta -= beta*m_new + lr*g', nag_gradient_at_theta_reformulated,
        "The gradient is taken at θ and θ is moved by βm_new + lr·g (the look-ahead variable's update applied to θ).",
        'The contract evaluates the gradient at θ − βm and moves θ by −m.'),
    ('optim.sgd_step', 'float32 result', sgd_float32,
        'The result is float32 instead of float64.',
        'Check the dtype of what you return.',
        {'verdict': 'wrong shape or type'}),
]
