"""Judge-time code (norm): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis).

Each judge is ``check(prep(case, ...), result)``: ``prep`` computes what depends on the case alone
(the rounding bounds of its groups), ``check`` judges one result; the grader prepares once per case
and checks every submission (:mod:`checks.core.assess`). ``bounds(state)`` of a comparison gives,
per output, the largest difference from the answer that certainly passes (max of the rounding bound
and the tolerance where the answer is finite), for the grader's bulk test.
"""

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
    if not (isinstance(extra, np.ndarray) and extra.shape == e.shape):
        extra = np.broadcast_to(extra, e.shape)
    with np.errstate(invalid="ignore"):
        excused = np.abs(a - e) <= extra
    assert_array_close(a, e, tol, where, mask=~excused)


def _close_bound(e, tol: Tol, extra):
    """The (B, None, None) of :func:`_close` for the bulk test: where e is finite, |a-e| <= B passes
    it (B = max(extra, atol + rtol|e|); extra alone where that tolerance overflows); nothing passes
    where e is not finite (-inf)."""
    e = np.asarray(e, dtype=np.float64)
    extra = np.broadcast_to(extra, e.shape)
    with np.errstate(all="ignore"):
        fin = np.isfinite(e)
        allowed = tol.atol + tol.rtol * np.abs(np.where(fin, e, 0.0))
        b = np.where(fin, np.where(np.isfinite(allowed), np.maximum(extra, allowed), extra), -np.inf)
    return b, None, None


def _prepared(prep, check, bounds=None):
    """Attach the prepared form of a judge (see the module doc) to the function defined as check(prep(...))."""
    def mark(fn):
        fn.prep, fn.check = prep, check
        if bounds is not None:
            fn.bounds = bounds
        return fn
    return mark


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


def _forward_prep(case, expected, tol, fn, *, axes):
    axes = tuple(axes)
    x, gamma, beta, eps = case.args
    G = _G(x, eps, axes)
    gb = np.abs(_gamma_b(case, axes))
    extra = gb * (G.delta * (1.0 + G.xh) + G.dvar * np.abs(G.xhat)) + K * _U * np.abs(np.asarray(beta)).reshape(gb.shape)
    return expected, tol, extra, f"{fn} -> y"


def _forward_run(st, actual):
    expected, tol, extra, where = st
    _close(actual, expected, tol, extra, where)


@_prepared(_forward_prep, _forward_run, lambda st: [_close_bound(st[0], st[1], st[2])])
def forward_check(case, actual, expected, tol, fn, *, axes):
    """The comparison of :func:`_forward_compare` (``axes``: the normalised axes)."""
    return _forward_run(_forward_prep(case, expected, tol, fn, axes=axes), actual)


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


def _backward_prep(case, expected, tol, fn, *, axes):
    return expected, tol, _backward_extras(case, tuple(axes)), fn


def _backward_run(st, actual):
    expected, tol, extras, fn = st
    for a, e, x, o in zip(actual, expected, extras, ("dx", "dgamma", "dbeta")):
        _close(a, e, tol, x, f"{fn} -> {o}")


def _backward_bounds(st):
    expected, tol, extras, _ = st
    return [_close_bound(e, tol, x) for e, x in zip(expected, extras)]


@_prepared(_backward_prep, _backward_run, _backward_bounds)
def backward_check(case, actual, expected, tol, fn, *, axes):
    """The comparison of :func:`_backward_compare`."""
    return _backward_run(_backward_prep(case, expected, tol, fn, axes=axes), actual)


def _running_prep(case, expected, tol, fn):
    rm, rv, x, m = case.args
    x = np.asarray(x, dtype=np.float64)
    M = np.abs(x).max(axis=0)
    spread = np.abs(x - x.mean(axis=0)).max(axis=0)
    extra_mean = K * _U * (np.abs(rm) + M)
    extra_var = K * _U * (np.abs(rv) + x.shape[0] * M * spread + spread ** 2)
    return expected, tol, (extra_mean, extra_var), fn


def _running_run(st, actual):
    expected, tol, (extra_mean, extra_var), fn = st
    _close(actual[0], expected[0], tol, extra_mean, f"{fn} -> new_mean")
    _close(actual[1], expected[1], tol, extra_var, f"{fn} -> new_var")


def _running_bounds(st):
    expected, tol, extras, _ = st
    return [_close_bound(expected[0], tol, extras[0]), _close_bound(expected[1], tol, extras[1])]


@_prepared(_running_prep, _running_run, _running_bounds)
def _running_compare(case, actual, expected, tol, fn):
    return _running_run(_running_prep(case, expected, tol, fn), actual)


def _moments_property(axes, what):
    """The normalised output has, per group, mean β and biased variance γ²σ²/(σ²+eps)."""
    return _stored(moments_check, axes=axes, what=what)


def _moments_prep(case, *, axes, what):
    axes = tuple(axes)
    x, gamma, beta, eps = case.args
    G = _G(x, eps, axes)
    gb = _gamma_b(case, axes)
    bb = np.asarray(beta, dtype=np.float64).reshape(gb.shape)
    if axes == (1,):  # LN: γ, β vary inside a row; z = (y-β)/γ recovers x̂ where every |γ| > 1e-3
        if not (np.abs(gb) > 1e-3).all():
            return None  # (x̂ is not recoverable; the value oracles still judge this case)
        return (axes, what, bb, gb, np.abs(gb), G.delta * (1.0 + G.xh) + G.dvar * G.xh,
                (G.var * G.s ** 2).ravel(), 2 * G.xh.ravel())
    err = np.abs(gb) * (G.delta * (1.0 + G.xh) + G.dvar * G.xh) + 1e-7 * (np.abs(bb) + np.abs(gb) * G.xh) + 1e-9
    want = (gb ** 2 * G.var * G.s ** 2).ravel()
    return (axes, what, bb.ravel(), err.ravel(), want, (2 * np.abs(gb) * G.xh * err + err ** 2).ravel() + 1e-12)


def _moments_run(st, y):
    if st is None:
        return
    axes, what = st[0], st[1]
    y = np.asarray(y, dtype=np.float64)
    if axes == (1,):
        bb, gb, agb, zerr0, zv_want, xh2 = st[2:]
        z = (y - bb) / gb
        zerr = (zerr0 + ((1e-7 * np.abs(y) + 1e-9) / agb).max(axis=1, keepdims=True)).ravel()
        zm = z.mean(axis=1)
        zv = ((z - zm[:, None]) ** 2).mean(axis=1)
        _prop_close(zm, 0.0, zerr, f"{what}: the row mean of (y-β)/γ", "0")
        _prop_close(zv, zv_want, xh2 * zerr + zerr ** 2 + 1e-12,
                    f"{what}: the biased row variance of (y-β)/γ", "σ²/(σ²+eps)")
        return
    bb, err, want, allowed = st[2:]
    ym = y.mean(axis=axes, keepdims=True)
    yv = ((y - ym) ** 2).mean(axis=axes, keepdims=True)
    _prop_close(ym.ravel(), bb, err, f"{what}: the batch mean of y", "β")
    _prop_close(yv.ravel(), want, allowed, f"{what}: the biased batch variance of y", "γ²σ²/(σ²+eps)")


@_prepared(_moments_prep, _moments_run)
def moments_check(case, y, *, axes, what):
    """The property of :func:`_moments_property`."""
    return _moments_run(_moments_prep(case, axes=axes, what=what), y)


def _prop_close(got, want, allowed, what, formula):
    __tracebackhide__ = True
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if want.shape != got.shape:
        want = np.broadcast_to(want, got.shape)
    if not (isinstance(allowed, np.ndarray) and allowed.shape == got.shape):
        allowed = np.broadcast_to(allowed, got.shape)
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(got - want) <= allowed)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        fail(Verdict.PROPERTY, f"{what} (group {i}) is {got.flat[i]!r}; it must be {formula} = {want.flat[i]!r}"
                               f" (allowed error {allowed.flat[i]:.3g})")


def _dx_projection_property(axes, what):
    """Σ dx = 0 over every group (the mean term) and Σ dx·x̂ = s·eps/(σ²+eps)·Σ g·x̂ (the variance term), g = γ·dy."""
    return _stored(dx_projection_check, axes=axes, what=what)


def _dxp_prep(case, *, axes, what):
    axes = tuple(axes)
    x, gamma, beta, eps, dy = case.args
    G = _G(x, eps, axes)
    gb = _gamma_b(case, axes)
    g = gb * np.asarray(dy, dtype=np.float64)
    want_dx = _backward_extras(case, axes)[0]
    # |dx| <= s (|g| + mean|g| + |x̂| mean|g x̂|), from dx = s/m (m g - Σg - x̂ Σ g x̂): the scale of
    # the relative slack (a bound, not the answer: this file ships to students)
    dx_scale = G.s * (np.abs(g) + G.reduce(np.abs(g)).reshape(np.shape(G.s)) / G.m
                      + np.abs(G.xhat) * G.reduce(np.abs(g * G.xhat)).reshape(np.shape(G.s)) / G.m)
    st = {"what": what, "eps": eps, "G": G, "g": g, "want_dx": want_dx, "dx_scale": dx_scale, "fast": None}
    # the parts of the bounds that do not depend on dx, for a dx of the shape of x
    shape = np.shape(G.xhat)
    per = np.broadcast_to(want_dx, shape) + 1e-7 * dx_scale + 1e-9
    if per.shape == shape:
        s2shape = np.shape(G.reduce(G.xhat))
        want = (G.s * eps / (G.var + eps)).reshape(s2shape) * G.reduce(g * G.xhat)
        st["fast"] = (shape, (G.reduce(per) * 2).ravel(), G.reduce(per * np.abs(G.xhat)) * 2,
                      G.delta.reshape(s2shape), np.abs(want) * 1e-7,
                      (G.s * G.delta).reshape(s2shape) * G.reduce(np.abs(g)) * 4, want.ravel())
    return st


_DXP1 = "{}: Σ dx over a normalised group (the mean term makes it 0)"
_DXP2 = "{}: Σ dx·x̂ over a normalised group (the variance term shrinks it)"
_DXP2F = "s·eps/(σ²+eps)·Σ γ·dy·x̂"


def _dxp_run(st, result):
    dx = np.asarray(result[0], dtype=np.float64)
    G, what, fast = st["G"], st["what"], st["fast"]
    if fast is not None and dx.shape == fast[0]:
        _, sum_allowed, t1, delta, t3, t4, want = fast
        _prop_close(G.reduce(dx).ravel(), 0.0, sum_allowed, _DXP1.format(what), "0")
        s2 = G.reduce(dx * G.xhat)
        allowed = t1 + G.reduce(np.abs(dx)) * delta * 2 + t3 + t4
        _prop_close(s2.ravel(), want, allowed.ravel(), _DXP2.format(what), _DXP2F)
        return
    eps, g = st["eps"], st["g"]
    per = np.broadcast_to(st["want_dx"], dx.shape) + 1e-7 * st["dx_scale"] + 1e-9
    s1 = G.reduce(dx)
    _prop_close(s1.ravel(), 0.0, (G.reduce(per) * 2).ravel(), _DXP1.format(what), "0")
    s2 = G.reduce(dx * G.xhat)
    want = (G.s * eps / (G.var + eps)).reshape(np.shape(s2)) * G.reduce(g * G.xhat)
    allowed = G.reduce(per * np.abs(G.xhat)) * 2 + G.reduce(np.abs(dx)) * G.delta.reshape(np.shape(s2)) * 2 \
        + np.abs(want) * 1e-7 + (G.s * G.delta).reshape(np.shape(s2)) * G.reduce(np.abs(g)) * 4
    _prop_close(s2.ravel(), want.ravel(), allowed.ravel(), _DXP2.format(what), _DXP2F)


@_prepared(_dxp_prep, _dxp_run)
def dx_projection_check(case, result, *, axes, what):
    """The property of :func:`_dx_projection_property`."""
    return _dxp_run(_dxp_prep(case, axes=axes, what=what), result)
