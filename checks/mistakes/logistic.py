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
        'TODO log of sigmoid computed naively',
        'TODO'),
    ('logistic.log_likelihood', 'mean instead of sum', ll_mean,
        'TODO mean instead of sum',
        'TODO'),
    ('logistic.log_likelihood_grad', 'sign flipped (gradient of the loss)', grad_wrong_sign,
        'TODO sign flipped (gradient of the loss)',
        'TODO'),
    ('logistic.log_likelihood_grad', 'dX rows use x instead of theta', grad_dX_uses_x,
        'TODO dX rows use x instead of theta',
        'TODO'),
    ('logistic.log_likelihood_hessian', 'positive (sign flipped)', hessian_positive,
        'TODO positive (sign flipped)',
        'TODO'),
    ('logistic.log_likelihood_hessian', 'σ(1−σ) replaced by its bound 1/4', hessian_no_weights,
        'TODO σ(1−σ) replaced by its bound 1/4',
        'TODO'),
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
        'TODO where(y, log σ, log(1−σ)) underflows',
        'TODO',
        {'verdict': 'nan/inf'}),
    ('logistic.log_likelihood', 'log1p(exp(a)) overflows', ll_log1p_exp,
        'TODO log1p(exp(a)) overflows',
        'TODO',
        {'verdict': 'nan/inf'}),
    ('logistic.log_likelihood', 'θᵀx clipped to ±30', ll_clipped_activations,
        'TODO θᵀx clipped to ±30',
        'TODO'),
    ('logistic.log_likelihood', 'log(σ + 1e-15)', ll_log_eps,
        'TODO log(σ + 1e-15)',
        'TODO'),
    ('logistic.log_likelihood_grad', 'dtheta averaged over N', grad_dtheta_mean,
        'TODO dtheta averaged over N',
        'TODO'),
    ('logistic.log_likelihood_grad', 'dX averaged over N', grad_dX_mean,
        'TODO dX averaged over N',
        'TODO'),
    ('logistic.log_likelihood_hessian', 'one mean weight for all samples', hessian_mean_weight,
        'TODO one mean weight for all samples',
        'TODO'),
    ('logistic.log_likelihood_hessian', 'naive σ′ overflows', hessian_naive_weights,
        'TODO naive σ′ overflows',
        'TODO',
        {'verdict': 'nan/inf'}),
]
