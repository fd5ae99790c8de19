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
        'TODO theta + lr*grad',
        'TODO'),
    ('optim.sgd_step', 'returns theta itself when grad == 0', sgd_returns_theta_at_zero_grad,
        'TODO returns theta itself when grad == 0',
        'TODO',
        {'verdict': 'wrong shape or type'}),
    ('optim.sgd_step', 'updates theta in place', sgd_in_place,
        'TODO updates theta in place',
        'TODO'),  # reported as aliasing after shrinking; INPLACE: test_optim_extra
    ('optim.momentum_step', 'm = beta*m + g (no lr), theta -= lr*m', momentum_no_lr,
        'TODO m = beta*m + g (no lr), theta -= lr*m',
        'TODO'),
    ('optim.momentum_step', 'm = beta*m + (1-beta)*lr*g (dampened)', momentum_dampened,
        'TODO m = beta*m + (1-beta)*lr*g (dampened)',
        'TODO'),
    ('optim.momentum_step', 'theta moved by the old m', momentum_old_m,
        'TODO theta moved by the old m',
        'TODO'),
    ('optim.nag_step', "gradient at theta + beta*m (notes' eq. 4)", nag_plus_lookahead,
        "TODO gradient at theta + beta*m (notes' eq. 4)",
        'TODO'),
    ('optim.nag_step', 'gradient at theta (plain momentum)', nag_no_lookahead,
        'TODO gradient at theta (plain momentum)',
        'TODO'),
    ('optim.nag_step', 'returns the look-ahead variable', nag_returns_lookahead,
        'TODO returns the look-ahead variable',
        'TODO'),
    ('optim.adagrad_step', "eps inside the root (notes' eq. 7)", adagrad_eps_inside,
        "TODO eps inside the root (notes' eq. 7)",
        'TODO'),
    ('optim.adagrad_step', 's = g^2, not accumulated', adagrad_no_accumulation,
        'TODO s = g^2, not accumulated',
        'TODO'),
    ('optim.adagrad_step', 'old s in the denominator', adagrad_old_s,
        'TODO old s in the denominator',
        'TODO'),
    ('optim.adagrad_step', 's updated in place', adagrad_in_place,
        'TODO s updated in place',
        'TODO'),
    ('optim.rmsprop_step', 's = beta*s + g^2 (no 1-beta)', rmsprop_no_one_minus_beta,
        'TODO s = beta*s + g^2 (no 1-beta)',
        'TODO'),
    ('optim.rmsprop_step', "eps inside the root (notes' eq. 9)", rmsprop_eps_inside,
        "TODO eps inside the root (notes' eq. 9)",
        'TODO'),
    ('optim.rmsprop_step', 'beta and 1-beta swapped', rmsprop_swapped_beta,
        'TODO beta and 1-beta swapped',
        'TODO'),
    ('optim.adam_step', 'no bias correction', adam_no_bias_correction,
        'TODO no bias correction',
        'TODO'),
    ('optim.adam_step', "correction 1-beta, not 1-beta^t (notes' eqs. 12-13)", adam_correction_without_t,
        "TODO correction 1-beta, not 1-beta^t (notes' eqs. 12-13)",
        'TODO'),
    ('optim.adam_step', '0-based t', adam_zero_based_t,
        'TODO 0-based t',
        'TODO'),
    ('optim.adam_step', "eps inside the root (notes' eq. 14)", adam_eps_inside,
        "TODO eps inside the root (notes' eq. 14)",
        'TODO'),
    ('optim.adam_step', "notes' eqs. (10)-(14) literally", adam_notes_literal,
        "TODO notes' eqs. (10)-(14) literally",
        'TODO'),
    ('optim.adam_step', 'returns the bias-corrected moments as state', adam_returns_corrected_state,
        'TODO returns the bias-corrected moments as state',
        'TODO'),
    ('optim.adam_step', 'm updated in place', adam_in_place,
        'TODO m updated in place',
        'TODO'),
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
        'TODO t incremented inside the step',
        'TODO'),
    ('optim.adam_step', "the paper's efficient form (eps not rescaled)", adam_paper_efficient_form,
        "TODO the paper's efficient form (eps not rescaled)",
        'TODO'),
    ('optim.adam_step', 'beta1 in both bias corrections', adam_beta1_in_both_corrections,
        'TODO beta1 in both bias corrections',
        'TODO'),
    ('optim.adam_step', '... / sqrt(s_hat) + eps (missing parentheses)', adam_missing_parentheses,
        'TODO ... / sqrt(s_hat) + eps (missing parentheses)',
        'TODO'),
    ('optim.adagrad_step', '... / sqrt(s) + eps (missing parentheses)', adagrad_missing_parentheses,
        'TODO ... / sqrt(s) + eps (missing parentheses)',
        'TODO'),
    ('optim.rmsprop_step', 'sqrt(s + eps²)', rmsprop_eps_squared_in_root,
        'TODO sqrt(s + eps²)',
        'TODO'),
    ('optim.rmsprop_step', 'max(sqrt(s), eps)', rmsprop_max_with_eps,
        'TODO max(sqrt(s), eps)',
        'TODO'),
    ('optim.momentum_step', 'm = beta*m - lr*g, theta + m', momentum_sign_flipped,
        'TODO m = beta*m - lr*g, theta + m',
        'TODO'),
    ('optim.nag_step', 'look-ahead theta - m (no beta)', nag_lookahead_without_beta,
        'TODO look-ahead theta - m (no beta)',
        'TODO'),
    ('optim.nag_step', 'gradient at theta, theta -= beta*m_new + lr*g', nag_gradient_at_theta_reformulated,
        'TODO gradient at theta, theta -= beta*m_new + lr*g',
        'TODO'),
    ('optim.sgd_step', 'float32 result', sgd_float32,
        'TODO float32 result',
        'TODO',
        {'verdict': 'wrong shape or type'}),
]
