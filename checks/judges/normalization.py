"""Judge-time code (norm): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import functools

import numpy as np

from checks.core.compare import Tol, Verdict, assert_array_close, fail


def _bshape(x):
    """The shape that broadcasts a per-channel vector against x (N, C, ...)."""
    return (1, -1) + (1,) * (np.ndim(x) - 2)


_U = 2.220446049250313e-16


K = 64.0  # slack over the first-order rounding bound (measured worst ratio: see tests/test_norm_extra.py)


class _G:
    """Statistics of the normalised groups of ``x`` (reduced over ``axes``), for error bounds."""

    def __init__(self, x, eps, axes):
        x = np.asarray(x, dtype=np.float64)
        self.axes = axes
        self.m = int(np.prod([x.shape[a] for a in axes]))
        mu = x.mean(axis=axes, keepdims=True)
        xc = x - mu
        self.var = (xc * xc).mean(axis=axes, keepdims=True)
        self.s = 1.0 / np.sqrt(self.var + eps)
        self.xhat = xc * self.s
        self.xh = np.abs(self.xhat).max(axis=axes, keepdims=True)
        # absolute rounding error of x̂ (see the module doc), times K
        self.delta = K * _U * (np.abs(x).max(axis=axes, keepdims=True) * self.s + 1.0)
        # relative error of x̂ when σ² comes from the one-pass E[x²] − E[x]² (mathematically
        # the same formula; the contract does not list norm among the "stable" functions, so
        # its rounding, u·(μ² + σ²) on σ², is excused: ∂x̂/∂σ² = −x̂ s²/2)
        self.dvar = K * _U * (mu * mu + self.var) * self.s * self.s

    def reduce(self, a):
        return a.sum(axis=self.axes)

    def gmax(self, a):
        return np.abs(a).max(axis=self.axes, keepdims=True)


def _close(a, e, tol: Tol, extra, where: str) -> None:
    """|a-e| <= extra (the conditioning bound, elementwise) or <= atol + rtol|e|."""
    __tracebackhide__ = True
    a, e = np.asarray(a, dtype=np.float64), np.asarray(e, dtype=np.float64)
    extra = np.broadcast_to(extra, e.shape)
    with np.errstate(invalid="ignore"):
        excused = np.abs(a - e) <= extra
    assert_array_close(a, e, tol, where, mask=~excused)


def _gamma_b(case, axes):
    g = np.asarray(case.args[1], dtype=np.float64)
    return g.reshape(_bshape(case.args[0])) if axes != (1,) else g


def _stored(fn, **kw):
    """``fn`` with keywords bound, as a vectors file stores a judge (a partial, by name: the student
    kit judges it without the registry); the axes (a tuple) travel as a list."""
    return functools.partial(fn, **{k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()})


def _forward_compare(axes):
    """y within the tolerance, or within the rounding bound of x̂ (conditioning of the group)."""
    return _stored(forward_check, axes=axes)


def forward_check(case, actual, expected, tol, fn, *, axes):
    """The comparison of :func:`_forward_compare` (``axes``: the normalised axes)."""
    axes = tuple(axes)
    x, gamma, beta, eps = case.args
    G = _G(x, eps, axes)
    gb = np.abs(_gamma_b(case, axes))
    extra = gb * (G.delta * (1.0 + G.xh) + G.dvar * np.abs(G.xhat)) + K * _U * np.abs(np.asarray(beta)).reshape(gb.shape)
    _close(actual, expected, tol, extra, f"{fn} -> y")


def _backward_extras(case, axes):
    """Allowed rounding error of (dx, dgamma, dbeta) on top of the tolerance."""
    x, gamma, beta, eps, dy = case.args
    G = _G(x, eps, axes)
    gb = _gamma_b(case, axes)
    gdy = np.abs(gb * dy) if axes == (1,) else np.abs(dy)  # LN: γ sits inside the group
    scale = 1.0 if axes == (1,) else np.abs(gb)
    dx = scale * G.s * G.gmax(gdy) * (G.m * G.delta * (1.0 + G.xh) * 2.0 + (2.0 + 2.0 * G.m * G.xh ** 2) * G.dvar)
    err_xhat = G.delta * (1.0 + G.xh) + G.dvar * np.abs(G.xhat)
    dgamma = G.reduce(np.abs(dy) * np.broadcast_to(err_xhat, np.shape(x)))
    if axes == (1,):  # LN: dgamma/dbeta reduce over the batch, not over the group
        dgamma = (np.abs(dy) * err_xhat).sum(axis=0)
        dbeta = K * _U * np.abs(dy).sum(axis=0)
    else:
        dbeta = K * _U * G.reduce(np.abs(dy))
    return dx, dgamma, dbeta


def _backward_compare(axes):
    """(dx, dgamma, dbeta) within the tolerance, or within their rounding bounds."""
    return _stored(backward_check, axes=axes)


def backward_check(case, actual, expected, tol, fn, *, axes):
    """The comparison of :func:`_backward_compare`."""
    extras = _backward_extras(case, tuple(axes))
    for a, e, x, o in zip(actual, expected, extras, ("dx", "dgamma", "dbeta")):
        _close(a, e, tol, x, f"{fn} -> {o}")


def _running_compare(case, actual, expected, tol, fn):
    rm, rv, x, m = case.args
    x = np.asarray(x, dtype=np.float64)
    M = np.abs(x).max(axis=0)
    spread = np.abs(x - x.mean(axis=0)).max(axis=0)
    extra_mean = K * _U * (np.abs(rm) + M)
    extra_var = K * _U * (np.abs(rv) + x.shape[0] * M * spread + spread ** 2)
    _close(actual[0], expected[0], tol, extra_mean, f"{fn} -> new_mean")
    _close(actual[1], expected[1], tol, extra_var, f"{fn} -> new_var")


def _moments_property(axes, what):
    """The normalised output has, per group, mean β and biased variance γ²σ²/(σ²+eps)."""
    return _stored(moments_check, axes=axes, what=what)


def moments_check(case, y, *, axes, what):
    """The property of :func:`_moments_property`."""
    axes = tuple(axes)
    x, gamma, beta, eps = case.args
    G = _G(x, eps, axes)
    y = np.asarray(y, dtype=np.float64)
    gb = _gamma_b(case, axes)
    bb = np.asarray(beta, dtype=np.float64).reshape(gb.shape)
    if axes == (1,):  # LN: γ, β vary inside a row; z = (y-β)/γ recovers x̂ where every |γ| > 1e-3
        if not (np.abs(gb) > 1e-3).all():
            return  # (x̂ is not recoverable; the value oracles still judge this case)
        z = (y - bb) / gb
        zerr = (G.delta * (1.0 + G.xh) + G.dvar * G.xh + ((1e-7 * np.abs(y) + 1e-9) / np.abs(gb)).max(axis=1, keepdims=True)).ravel()
        zm = z.mean(axis=1)
        zv = ((z - zm[:, None]) ** 2).mean(axis=1)
        _prop_close(zm, 0.0, zerr, f"{what}: the row mean of (y-β)/γ", "0")
        _prop_close(zv, (G.var * G.s ** 2).ravel(), 2 * G.xh.ravel() * zerr + zerr ** 2 + 1e-12,
                    f"{what}: the biased row variance of (y-β)/γ", "σ²/(σ²+eps)")
        return
    ym = y.mean(axis=axes, keepdims=True)
    yv = ((y - ym) ** 2).mean(axis=axes, keepdims=True)
    err = np.abs(gb) * (G.delta * (1.0 + G.xh) + G.dvar * G.xh) + 1e-7 * (np.abs(bb) + np.abs(gb) * G.xh) + 1e-9
    _prop_close(ym.ravel(), bb.ravel(), err.ravel(), f"{what}: the batch mean of y", "β")
    want = (gb ** 2 * G.var * G.s ** 2).ravel()
    _prop_close(yv.ravel(), want, (2 * np.abs(gb) * G.xh * err + err ** 2).ravel() + 1e-12,
                f"{what}: the biased batch variance of y", "γ²σ²/(σ²+eps)")


def _prop_close(got, want, allowed, what, formula):
    __tracebackhide__ = True
    got, want = np.asarray(got, dtype=np.float64), np.broadcast_to(np.asarray(want, dtype=np.float64), np.shape(got))
    allowed = np.broadcast_to(allowed, np.shape(got))
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(got - want) <= allowed)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        fail(Verdict.PROPERTY, f"{what} (group {i}) is {got.flat[i]!r}; it must be {formula} = {want.flat[i]!r}"
                               f" (allowed error {allowed.flat[i]:.3g})")


def _dx_projection_property(axes, what):
    """Σ dx = 0 over every group (the mean term) and Σ dx·x̂ = s·eps/(σ²+eps)·Σ g·x̂ (the variance term), g = γ·dy."""
    return _stored(dx_projection_check, axes=axes, what=what)


def dx_projection_check(case, result, *, axes, what):
    """The property of :func:`_dx_projection_property`."""
    axes = tuple(axes)
    x, gamma, beta, eps, dy = case.args
    dx = np.asarray(result[0], dtype=np.float64)
    G = _G(x, eps, axes)
    gb = _gamma_b(case, axes)
    g = gb * np.asarray(dy, dtype=np.float64)
    want_dx = _backward_extras(case, axes)[0]
    # |dx| <= s (|g| + mean|g| + |x̂| mean|g x̂|), from dx = s/m (m g - Σg - x̂ Σ g x̂): the scale of
    # the relative slack (a bound, not the answer: this file ships to students)
    dx_scale = G.s * (np.abs(g) + G.reduce(np.abs(g)).reshape(np.shape(G.s)) / G.m
                      + np.abs(G.xhat) * G.reduce(np.abs(g * G.xhat)).reshape(np.shape(G.s)) / G.m)
    per = np.broadcast_to(want_dx, dx.shape) + 1e-7 * dx_scale + 1e-9
    s1 = G.reduce(dx)
    _prop_close(s1.ravel(), 0.0, (G.reduce(per) * 2).ravel(),
                f"{what}: Σ dx over a normalised group (the mean term makes it 0)", "0")
    s2 = G.reduce(dx * G.xhat)
    want = (G.s * eps / (G.var + eps)).reshape(np.shape(s2)) * G.reduce(g * G.xhat)
    allowed = G.reduce(per * np.abs(G.xhat)) * 2 + G.reduce(np.abs(dx)) * G.delta.reshape(np.shape(s2)) * 2 \
        + np.abs(want) * 1e-7 + (G.s * G.delta).reshape(np.shape(s2)) * G.reduce(np.abs(g)) * 4
    _prop_close(s2.ravel(), want.ravel(), allowed.ravel(),
                f"{what}: Σ dx·x̂ over a normalised group (the variance term shrinks it)", "s·eps/(σ²+eps)·Σ γ·dy·x̂")
