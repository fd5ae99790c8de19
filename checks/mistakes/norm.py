"""Known mistakes of the norm formulas: wrong implementations, each with a description and a hint."""

import numpy as np

import reference.norm as R


def _stats(x, axes, eps, ddof=0):
    mu = x.mean(axis=axes, keepdims=True)
    m = int(np.prod([x.shape[a] for a in axes]))
    var = ((x - mu) ** 2).sum(axis=axes, keepdims=True) / (m - ddof)
    return mu, var


def bn_unbiased(x, gamma, beta, eps):
    mu, var = _stats(x, (0,), eps, ddof=1)  # np.var(ddof=1) in the normalisation
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def bn_eps_outside(x, gamma, beta, eps):
    mu, var = _stats(x, (0,), eps)
    return gamma * (x - mu) / (np.sqrt(var) + eps) + beta


def bn_no_eps(x, gamma, beta, eps):
    mu, var = _stats(x, (0,), eps)
    with np.errstate(all="ignore"):
        return gamma * (x - mu) / np.sqrt(var) + beta


def _bn_bw(x, gamma, eps, dy, axes, gb, mean_term=True, var_term=True):
    mu, var = _stats(x, axes, eps)
    s = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * s
    m = int(np.prod([x.shape[a] for a in axes]))
    t = m * dy
    if mean_term:
        t = t - dy.sum(axis=axes, keepdims=True)
    if var_term:
        t = t - xhat * (dy * xhat).sum(axis=axes, keepdims=True)
    return gb * s / m * t, (dy * xhat).sum(axis=axes), dy.sum(axis=axes)


def bn_backward_no_mean_term(x, gamma, beta, eps, dy):
    return _bn_bw(x, gamma, eps, dy, (0,), gamma, mean_term=False)


def bn_backward_no_var_term(x, gamma, beta, eps, dy):
    return _bn_bw(x, gamma, eps, dy, (0,), gamma, var_term=False)


def bn_backward_no_gamma(x, gamma, beta, eps, dy):
    return _bn_bw(x, gamma, eps, dy, (0,), 1.0)


def bn2d_stats_over_n(x, gamma, beta, eps, dy):
    # statistics per (channel, pixel) over N only, as if each pixel were a feature
    n, c, h, w = x.shape
    xs = x.transpose(0, 2, 3, 1).reshape(n, h * w * c)
    ds = dy.transpose(0, 2, 3, 1).reshape(n, h * w * c)
    g = np.tile(gamma, h * w)
    mu, var = _stats(xs, (0,), eps)
    s = 1.0 / np.sqrt(var + eps)
    xhat = (xs - mu) * s
    dxs = g * s / n * (n * ds - ds.sum(0) - xhat * (ds * xhat).sum(0))
    dx = dxs.reshape(n, h, w, c).transpose(0, 3, 1, 2)
    xh4 = xhat.reshape(n, h, w, c).transpose(0, 3, 1, 2)
    return dx, (dy * xh4).sum(axis=(0, 2, 3)), dy.sum(axis=(0, 2, 3))


def bn2d_no_var_term(x, gamma, beta, eps, dy):
    return _bn_bw(x, gamma, eps, dy, (0, 2, 3), gamma.reshape(1, -1, 1, 1), var_term=False)


def running_var_biased(rm, rv, x, m):
    return (1 - m) * rm + m * x.mean(0), (1 - m) * rv + m * x.var(0)


def running_momentum_swapped(rm, rv, x, m):
    return m * rm + (1 - m) * x.mean(0), m * rv + (1 - m) * x.var(0, ddof=1)


def ln_over_batch(x, gamma, beta, eps):
    mu, var = _stats(x, (0,), eps)  # LayerNorm's statistics taken over the batch axis (that is BatchNorm)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def ln_eps_outside(x, gamma, beta, eps):
    mu, var = _stats(x, (1,), eps)
    return gamma * (x - mu) / (np.sqrt(var) + eps) + beta


def ln_backward_over_batch(x, gamma, beta, eps, dy):
    return _bn_bw(x, gamma, eps, dy, (0,), gamma)  # BatchNorm's gradient: statistics over the batch axis


def ln_backward_gamma_outside(x, gamma, beta, eps, dy):
    # treats γ as if it multiplied after the normalisation of the row of dy, ie ignores that γ varies inside the row
    dx, dg, db = R.layernorm_backward(x, np.ones_like(gamma), beta, eps, dy)
    return gamma * dx, dg, db


def ln_backward_no_var_term(x, gamma, beta, eps, dy):
    mu, var = _stats(x, (1,), eps)
    s = 1.0 / np.sqrt(var + eps)
    g = gamma * dy
    d = x.shape[1]
    xhat = (x - mu) * s
    return s / d * (d * g - g.sum(1, keepdims=True)), (dy * xhat).sum(0), dy.sum(0)


MISTAKES = [
    ('norm.batchnorm_forward', 'unbiased variance in the normalisation', bn_unbiased,
        'The normalisation uses the unbiased variance (divided by N − 1) instead of the biased one (divided by N).',
        "BatchNorm normalises with the batch's own (biased) variance."),
    ('norm.batchnorm_forward', 'eps outside the square root', bn_eps_outside,
        'eps is added outside the square root: (x − μ)/(σ + eps) instead of (x − μ)/√(σ² + eps).',
        'Check where eps goes in the denominator.'),
    ('norm.batchnorm_forward', 'no eps (nan on constant features)', bn_no_eps,
        'eps is left out, giving nan on constant features.',
        'eps keeps the denominator away from 0.'),
    ('norm.batchnorm_forward', 'unbiased variance (caught by the moments property)', bn_unbiased,
        '',
        '',
        {'oracle': 'property:moments'}),
    ('norm.batchnorm_forward', 'eps outside the root (moments property)', bn_eps_outside,
        '',
        '',
        {'oracle': 'property:moments'}),
    ('norm.batchnorm_backward', 'missing the mean term', bn_backward_no_mean_term,
        'dx misses the term from the batch mean (−Σ dy).',
        'μ depends on every x: its path contributes to dx.'),
    ('norm.batchnorm_backward', 'missing the variance term', bn_backward_no_var_term,
        'dx misses the term from the batch variance (−x̂ Σ dy·x̂).',
        'σ² depends on every x: its path contributes to dx.'),
    ('norm.batchnorm_backward', 'missing the mean term (sympy)', bn_backward_no_mean_term,
        '',
        '',
        {'oracle': 'sympy'}),
    ('norm.batchnorm_backward', 'missing the variance term (sympy)', bn_backward_no_var_term,
        '',
        '',
        {'oracle': 'sympy'}),
    ('norm.batchnorm_backward', 'missing the mean term (projection property)', bn_backward_no_mean_term,
        '',
        '',
        {'oracle': 'property:dx-projections', 'verdict': 'property violated'}),
    ('norm.batchnorm_backward', 'missing the variance term (projection property)', bn_backward_no_var_term,
        '',
        '',
        {'oracle': 'property:dx-projections', 'verdict': 'property violated'}),
    ('norm.batchnorm_backward', 'dx without γ', bn_backward_no_gamma,
        'dx misses the factor γ.',
        'y = γ x̂ + β: the gradient reaching x̂ is γ·dy.'),
    ('norm.batchnorm2d_backward', 'statistics over (N) only', bn2d_stats_over_n,
        'The 2-D statistics are taken over N only, per (channel, pixel), instead of over (N, H, W) per channel.',
        'BatchNorm2d has one mean and variance per channel.'),
    ('norm.batchnorm2d_backward', 'missing the variance term', bn2d_no_var_term,
        'dx misses the variance term.',
        'σ² depends on every x of the channel: its path contributes to dx.'),
    ('norm.batchnorm_running_update', 'running_var with the biased variance', running_var_biased,
        'The running variance is updated with the biased batch variance instead of the unbiased one.',
        "The contract (torch's) running_var uses the N − 1 variance."),
    ('norm.batchnorm_running_update', 'momentum on the old value', running_momentum_swapped,
        'momentum weights the old running value instead of the new batch statistic.',
        'new = (1 − momentum)·running + momentum·batch.'),
    ('norm.layernorm_forward', 'statistics over the batch axis', ln_over_batch,
        "LayerNorm's statistics are taken over the batch axis (BatchNorm's) instead of over each row's features.",
        'LayerNorm normalises each sample over its D features.'),
    ('norm.layernorm_forward', 'eps outside the square root', ln_eps_outside,
        'eps is added outside the square root.',
        'Check where eps goes in the denominator.'),
    ('norm.layernorm_forward', 'statistics over the batch axis (moments property)', ln_over_batch,
        '',
        '',
        {'oracle': 'property:moments'}),
    ('norm.layernorm_backward', "BatchNorm's gradient (batch axis)", ln_backward_over_batch,
        "The backward uses BatchNorm's gradient (sums over the batch axis) instead of LayerNorm's (over features).",
        "LayerNorm's sums run over each row's features."),
    ('norm.layernorm_backward', "γ outside the row's normalisation", ln_backward_gamma_outside,
        "γ is applied outside the row's normalisation backward instead of inside (g = γ·dy first).",
        'γ scales each feature before the row sums: the sums use γ·dy.'),
    ('norm.layernorm_backward', 'missing the variance term', ln_backward_no_var_term,
        'dx misses the variance term.',
        'σ² depends on every feature of the row: its path contributes to dx.'),
    ('norm.layernorm_backward', 'missing the variance term (sympy)', ln_backward_no_var_term,
        '',
        '',
        {'oracle': 'sympy'}),
]


# ---------------------------------------------------------------- added by the adversarial review


def ln_unbiased(x, gamma, beta, eps):
    """np.var(ddof=1) per row (torch.var's default); nan for D = 1."""
    mu = x.mean(1, keepdims=True)
    with np.errstate(all="ignore"):
        var = ((x - mu) ** 2).sum(1, keepdims=True) / (x.shape[1] - 1)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def ln_unbiased_guarded(x, gamma, beta, eps):
    """The unbiased row variance, guarded against D = 1 (so no nan gives it away)."""
    mu, var = _stats(x, (1,), eps, ddof=1 if x.shape[1] > 1 else 0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def bn_sqrt_eps_added_to_std(x, gamma, beta, eps):
    mu, var = _stats(x, (0,), eps)
    return gamma * (x - mu) / (np.sqrt(var) + np.sqrt(eps)) + beta


def bn_over_features(x, gamma, beta, eps):
    mu, var = _stats(x, (1,), eps)  # BatchNorm with LayerNorm's axis
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def bn_backward_dgamma_from_x(x, gamma, beta, eps, dy):
    dx, _, db = R.batchnorm_backward(x, gamma, beta, eps, dy)
    return dx, (dy * x).sum(0), db  # Σ dy·x, not Σ dy·x̂


def bn_backward_dbeta_mean(x, gamma, beta, eps, dy):
    dx, dg, _ = R.batchnorm_backward(x, gamma, beta, eps, dy)
    return dx, dg, dy.mean(0)


def bn_backward_unbiased(x, gamma, beta, eps, dy):
    mu, var = _stats(x, (0,), eps, ddof=1)
    n = x.shape[0]
    s = 1.0 / np.sqrt(var + eps)
    xh = (x - mu) * s
    return gamma * s / n * (n * dy - dy.sum(0) - xh * (dy * xh).sum(0)), (dy * xh).sum(0), dy.sum(0)


def bn_backward_staged_eps_outside(x, gamma, beta, eps, dy):
    """The staged (dvar, dmu) backward of y = γ(x-μ)/(√σ² + eps) + β: eps outside the root."""
    n = x.shape[0]
    mu, var = _stats(x, (0,), eps)
    xc = x - mu
    std = np.sqrt(var) + eps
    dxh = dy * gamma
    with np.errstate(all="ignore"):
        dvar = np.where(var > 0, -(dxh * xc).sum(0) / std ** 2 * 0.5 / np.sqrt(var), 0.0)
    dmu = -(dxh / std).sum(0) + dvar * (-2 * xc).mean(0)
    return dxh / std + dvar * 2 * xc / n + dmu / n, (dy * xc / std).sum(0), dy.sum(0)


def bn_backward_xc_in_var_term(x, gamma, beta, eps, dy):
    """x - μ instead of x̂ as the factor of the variance term (an s lost)."""
    n = x.shape[0]
    mu, var = _stats(x, (0,), eps)
    s = 1.0 / np.sqrt(var + eps)
    xc = x - mu
    xh = xc * s
    return gamma * s / n * (n * dy - dy.sum(0) - xc * (dy * xh).sum(0)), (dy * xh).sum(0), dy.sum(0)


def bn2d_m_is_batch_size(x, gamma, beta, eps, dy):
    """Statistics over (N, H, W), but m = N in the backward formula."""
    axes = (0, 2, 3)
    mu, var = _stats(x, axes, eps)
    s = 1.0 / np.sqrt(var + eps)
    xh = (x - mu) * s
    m = x.shape[0]
    dx = gamma.reshape(1, -1, 1, 1) * s / m * (m * dy - dy.sum(axes, keepdims=True) - xh * (dy * xh).sum(axes, keepdims=True))
    return dx, (dy * xh).sum(axes), dy.sum(axes)


def bn2d_stats_over_nc(x, gamma, beta, eps, dy):
    """Statistics per pixel over (N, C)."""
    axes = (0, 1)
    mu, var = _stats(x, axes, eps)
    s = 1.0 / np.sqrt(var + eps)
    xh = (x - mu) * s
    m = x.shape[0] * x.shape[1]
    g = gamma.reshape(1, -1, 1, 1) * dy
    dx = s / m * (m * g - g.sum(axes, keepdims=True) - xh * (g * xh).sum(axes, keepdims=True))
    return dx, (dy * xh).sum((0, 2, 3)), dy.sum((0, 2, 3))


def running_var_plus_eps(rm, rv, x, m):
    """The running variance tracks var + eps (the normalisation's denominator)."""
    return (1 - m) * rm + m * x.mean(0), (1 - m) * rv + m * (x.var(0, ddof=1) + 1e-5)


def running_var_debiased_backwards(rm, rv, x, m):
    n = x.shape[0]
    return (1 - m) * rm + m * x.mean(0), (1 - m) * rv + m * x.var(0) * (n - 1) / n  # N/(N-1) inverted


def ln_backward_dgamma_with_batch_stats(x, gamma, beta, eps, dy):
    dx, _, db = R.layernorm_backward(x, gamma, beta, eps, dy)
    mu, var = _stats(x, (0,), eps)  # x̂ of BatchNorm in dgamma
    return dx, (dy * (x - mu) / np.sqrt(var + eps)).sum(0), db


def ln_backward_eps_outside(x, gamma, beta, eps, dy):
    """Right forward statistics, but s = 1/(√σ² + eps) in the backward."""
    d = x.shape[1]
    mu, var = _stats(x, (1,), eps)
    xh = (x - mu) / np.sqrt(var + eps)
    g = dy * gamma
    s = 1.0 / (np.sqrt(var) + eps)
    dx = s / d * (d * g - g.sum(1, keepdims=True) - xh * (g * xh).sum(1, keepdims=True))
    return dx, (dy * xh).sum(0), dy.sum(0)


def ln_backward_no_gamma_in_dx(x, gamma, beta, eps, dy):
    return R.layernorm_backward(x, np.ones_like(gamma), beta, eps, dy)


MISTAKES += [
    ('norm.layernorm_forward', 'unbiased row variance (nan at D = 1)', ln_unbiased,
        'The row variance is unbiased (divided by D − 1), which is also nan at D = 1.',
        'LayerNorm uses the biased row variance (divided by D).'),
    ('norm.layernorm_forward', 'unbiased row variance, D = 1 guarded', ln_unbiased_guarded,
        'The row variance is unbiased (divided by D − 1) instead of divided by D.',
        'LayerNorm uses the biased row variance.'),
    ('norm.batchnorm_forward', '√eps added to the standard deviation', bn_sqrt_eps_added_to_std,
        '√eps is added to the standard deviation instead of eps to the variance under the root.',
        'The denominator is √(σ² + eps).'),
    ('norm.batchnorm_forward', "statistics over the features (LayerNorm's axis)", bn_over_features,
        "BatchNorm's statistics are taken over the features (LayerNorm's axis) instead of over the batch.",
        'BatchNorm normalises each feature over the batch.'),
    ('norm.batchnorm_backward', 'dgamma = Σ dy·x', bn_backward_dgamma_from_x,
        'dγ is Σ dy·x instead of Σ dy·x̂.',
        'γ multiplies the normalised x̂.'),
    ('norm.batchnorm_backward', 'dbeta = mean of dy', bn_backward_dbeta_mean,
        'dβ is the mean of dy instead of the sum.',
        'β is added to every sample: sum their gradients.'),
    ('norm.batchnorm_backward', 'unbiased variance in the backward', bn_backward_unbiased,
        'The backward uses the unbiased variance.',
        'The forward normalised with the biased variance: the backward must use the same one.'),
    ('norm.batchnorm_backward', 'staged backward with eps outside the root', bn_backward_staged_eps_outside,
        'The staged backward puts eps outside the square root.',
        "The forward's denominator is √(σ² + eps): differentiate that one."),
    ('norm.batchnorm_backward', 'x - μ instead of x̂ in the variance term', bn_backward_xc_in_var_term,
        'The variance term uses x − μ instead of x̂.',
        'Check which normalisation of x appears in each term.'),
    ('norm.batchnorm2d_backward', 'm = N instead of N·H·W', bn2d_m_is_batch_size,
        'The count m is N instead of N·H·W.',
        "Each channel's statistics are over N·H·W values."),
    ('norm.batchnorm2d_backward', 'statistics over (N, C)', bn2d_stats_over_nc,
        'The statistics are taken over (N, C) instead of over (N, H, W).',
        'One mean and variance per channel, over the batch and the image.'),
    ('norm.batchnorm_running_update', 'running_var tracks var + eps', running_var_plus_eps,
        'The running variance tracks var + eps instead of var.',
        'eps belongs to the normalisation, not to the running statistic.'),
    ('norm.batchnorm_running_update', 'N/(N-1) correction inverted', running_var_debiased_backwards,
        'The N/(N − 1) correction is inverted.',
        'The unbiased variance is the biased one times N/(N − 1).'),
    ('norm.layernorm_backward', "dgamma with BatchNorm's x̂", ln_backward_dgamma_with_batch_stats,
        "dγ uses BatchNorm's x̂ (statistics over the batch) instead of LayerNorm's.",
        'x̂ is each row normalised over its features.'),
    ('norm.layernorm_backward', 'eps outside the root in the backward', ln_backward_eps_outside,
        'The backward puts eps outside the square root.',
        "The forward's denominator is √(σ² + eps)."),
    ('norm.layernorm_backward', 'dx without γ', ln_backward_no_gamma_in_dx,
        'dx misses the factor γ.',
        'The gradient reaching x̂ is γ·dy.'),
]
