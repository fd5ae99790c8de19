"""Known mistakes of the logistic formulas: wrong implementations, each with a description and a hint."""

import numpy as np

import reference as R


def ll_naive(theta, X, y):
    with np.errstate(all="ignore"):
        s = 1 / (1 + np.exp(-(X @ theta)))
        return float(np.sum(y * np.log(s) + (1 - y) * np.log(1 - s)))


def ll_mean(theta, X, y):
    return R.log_likelihood(theta, X, y) / np.asarray(X).shape[0]


def grad_wrong_sign(theta, X, y):
    dt, dX = R.log_likelihood_grad(theta, X, y)
    return -dt, -dX


def grad_dX_uses_x(theta, X, y):
    dt, _ = R.log_likelihood_grad(theta, X, y)
    r = y - R.sigmoid(X @ theta)
    return dt, r[:, None] * X


def hessian_positive(theta, X, y):
    return -R.log_likelihood_hessian(theta, X, y)


def hessian_no_weights(theta, X, y):
    return -np.asarray(X).T @ np.asarray(X) / 4


MISTAKES = [
    ('logistic.log_likelihood', 'log of sigmoid computed naively', ll_naive,
        'log σ and log(1 − σ) are computed naively, giving −inf or nan when σ rounds to 0 or 1.',
        'Rewrite log σ(a) and log(1 − σ(a)) with softplus (logaddexp) so no log(0) appears.'),
    ('logistic.log_likelihood', 'mean instead of sum', ll_mean,
        'The log-likelihood is averaged over the samples instead of summed.',
        "The contract's L is a sum over n."),
    ('logistic.log_likelihood_grad', 'sign flipped (gradient of the loss)', grad_wrong_sign,
        'The gradient has the wrong sign (it is the gradient of the loss, not of the likelihood).',
        'L is the log-likelihood: ∂L/∂z = y − σ, not σ − y.'),
    ('logistic.log_likelihood_grad', 'dX rows use x instead of theta', grad_dX_uses_x,
        'The rows of dX use x instead of θ.',
        'z = θᵀx: the derivative with respect to x is θ.'),
    ('logistic.log_likelihood_hessian', 'positive (sign flipped)', hessian_positive,
        'The Hessian has the wrong sign (positive instead of negative semi-definite).',
        'Differentiate Σ (y − σ) x once more: σ increases with z.'),
    ('logistic.log_likelihood_hessian', 'σ(1−σ) replaced by its bound 1/4', hessian_no_weights,
        'σ(1 − σ) is replaced by its upper bound 1/4.',
        'Each sample is weighted by its own σ_n(1 − σ_n).'),
]


# ---------------------------------------------------------------- adversarial review


def ll_where_log_sigmoid(theta, X, y):
    """where(y == 1, log σ, log(1−σ)) with a stable σ: log(0) once σ underflows (misclassified points)."""
    s = R.sigmoid(X @ theta)
    with np.errstate(all="ignore"):
        return float(np.sum(np.where(y == 1, np.log(s), np.log(1 - s))))


def ll_log1p_exp(theta, X, y):
    """Σ y a − log1p(e^a): e^a overflows for a > 709."""
    a = X @ theta
    with np.errstate(all="ignore"):
        return float(np.sum(y * a - np.log1p(np.exp(a))))


def ll_clipped_activations(theta, X, y):
    a = np.clip(X @ theta, -30, 30)
    return float(np.sum(y * a - np.logaddexp(0, a)))


def ll_log_eps(theta, X, y):
    s = R.sigmoid(X @ theta)
    return float(np.sum(y * np.log(s + 1e-15) + (1 - y) * np.log(1 - s + 1e-15)))


def grad_dtheta_mean(theta, X, y):
    dt, dX = R.log_likelihood_grad(theta, X, y)
    return dt / len(y), dX


def grad_dX_mean(theta, X, y):
    dt, dX = R.log_likelihood_grad(theta, X, y)
    return dt, dX / len(y)


def hessian_mean_weight(theta, X, y):
    """−XᵀX·mean(σ(1−σ)): one weight for every sample."""
    s = R.sigmoid(X @ theta)
    return -np.asarray(X).T @ np.asarray(X) * np.mean(s * (1 - s))


def hessian_naive_weights(theta, X, y):
    """σ′ = e^{-a}/(1+e^{-a})²: inf/inf = nan for a << 0."""
    with np.errstate(all="ignore"):
        e = np.exp(-(X @ theta))
        w = e / (1 + e) ** 2
    return -(np.asarray(X).T * w) @ np.asarray(X)


MISTAKES += [
    ('logistic.log_likelihood', 'where(y, log σ, log(1−σ)) underflows', ll_where_log_sigmoid,
        'The per-sample log-probability is computed with where(y, log σ, log(1 − σ)), which underflows to −inf.',
        'Use the stable form y·a − softplus(a) for every sample.',
        {'verdict': 'nan/inf'}),
    ('logistic.log_likelihood', 'log1p(exp(a)) overflows', ll_log1p_exp,
        'softplus is computed as log1p(exp(a)), which overflows for large a.',
        'logaddexp(0, a) computes log(1 + eᵃ) without overflow.',
        {'verdict': 'nan/inf'}),
    ('logistic.log_likelihood', 'θᵀx clipped to ±30', ll_clipped_activations,
        'θᵀx is clipped to ±30, which changes the result for large activations.',
        'Do not clip: a stable formula needs no clipping.'),
    ('logistic.log_likelihood', 'log(σ + 1e-15)', ll_log_eps,
        'An epsilon is added inside the log (log(σ + 1e-15)), biasing confident predictions.',
        'Use an exactly stable formula instead of an epsilon.'),
    ('logistic.log_likelihood_grad', 'dtheta averaged over N', grad_dtheta_mean,
        'dθ is averaged over N instead of summed.',
        'L is a sum over samples; so is its gradient.'),
    ('logistic.log_likelihood_grad', 'dX averaged over N', grad_dX_mean,
        'dX is divided by N.',
        'Each row of dX belongs to one sample: no average.'),
    ('logistic.log_likelihood_hessian', 'one mean weight for all samples', hessian_mean_weight,
        'One mean weight σ(1 − σ) is used for all samples.',
        'Each sample is weighted by its own σ_n(1 − σ_n).'),
    ('logistic.log_likelihood_hessian', 'naive σ′ overflows', hessian_naive_weights,
        'σ′ is computed naively and overflows to nan for large activations.',
        'Compute σ(1 − σ) from a stable σ.',
        {'verdict': 'nan/inf'}),
]
