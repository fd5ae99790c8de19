"""norm.* -- BatchNorm (1-d, 2-d, running statistics) and LayerNorm, training mode.

Notes 002 §4 (防止过拟合, "Batch_normalize"), 004 "归一化的作用",
"BatchNorm和LayerNorm有什么区别". Oracles: torch rebuilds differentiated by
autograd, the library functions ``F.batch_norm`` (training=True, with running
statistics and momentum) and ``F.layer_norm``, SymPy derivations of the
notes' formula for small groups, and properties of the normalised output and
of the gradient (dx is orthogonal to the mean direction; its projection on x̂
is shrunk by eps/(σ²+eps)).

Hard regimes, drawn per normalised group (a BN column / channel, an LN row):
exactly constant values (σ² = 0), near-constant far below eps, near eps, far
above eps, and a large offset 1e4 + small noise; eps from {1e-5, 1e-3, 0.1};
N = 2 on purpose (biased vs unbiased variance differ by a factor 2 there).

Tolerances (why they scale with the data): x̂ = (x-μ)·s with s = 1/√(σ²+eps)
is computed from x - μ, which loses about u·max|x| (u = 2.2e-16) to rounding
when |x| is large and the spread small (x = 1e4 + 1e-7·noise). That absolute
error is magnified by s (up to 1/√eps ≈ 316), so any correct float64
implementation -- ours, torch's, the lambdified SymPy expression -- carries
an error δ ≈ u·(max|x|·s + 1) in x̂, and the backward pass multiplies it
again by |γ|·s·max|dy|·m. The comparisons allow K = 64 times that
conditioning bound per element (on top of rtol 1e-7 / atol 1e-9), and
nothing more: on moderate data the bound is ~1e-13, and every wrong formula
in tests/mutants/norm.py misses by far more.
"""

from __future__ import annotations

import numpy as np

import reference.norm as ref
from checks.oracles import sym
from checks.core.compare import Tol, Verdict, assert_array_close, fail
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, reals, st
from checks.oracles.torchlib import F, N, T, torch

# ---------------------------------------------------------------- strategies

EPS = (1e-5, 1e-3, 0.1)
REGIMES = ("moderate", "constant", "below-eps", "near-eps", "above-eps", "offset")


_SPREAD = {"below-eps": lambda eps: 1e-3 * np.sqrt(eps), "near-eps": lambda eps: np.sqrt(eps)}


def _pieces(draw, *shapes):
    """Arrays of ``shapes`` with values in [-1, 1], sliced from ONE drawn array.

    Drawing dominates a check's time (and a failing check's shrinking): one
    array costs a third of several.
    """
    sizes = [int(np.prod(sh)) for sh in shapes]
    flat = draw(array((sum(sizes),), -1, 1))
    out, i = [], 0
    for sh, k in zip(shapes, sizes):
        out.append(flat[i:i + k].reshape(sh).copy())
        i += k
    return out


def groups(draw, m: int, k: int, eps: float, regimes, *extra):
    """(m, k): k groups (columns) of m values sharing one mean and variance, each in a drawn regime.

    Returns the grouped values and arrays of the ``extra`` shapes (values in
    [-1, 1]), all sliced from one drawn array. See the module doc for the regimes.
    """
    reg = draw(st.lists(st.sampled_from(regimes), min_size=k, max_size=k))
    u, c, *rest = _pieces(draw, (m, k), (k,), *extra)
    c = 10.0 * c
    out = np.empty((m, k))
    for j, r in enumerate(reg):
        if r == "moderate":
            out[:, j] = 10.0 * u[:, j]
        elif r == "constant":
            out[:, j] = c[j]
        elif r in _SPREAD:  # σ² ~ 1e-6·eps (far below eps) or ~ eps
            out[:, j] = c[j] + _SPREAD[r](eps) * u[:, j]
        elif r == "above-eps":  # σ² >> eps
            out[:, j] = c[j] + draw(st.sampled_from([1.0, 10.0])) * u[:, j]
        else:  # "offset": 1e4 + a small spread; the one-pass E[x²]-E[x]² is 0 or negative here
            out[:, j] = 1e4 + c[j] + draw(st.sampled_from([1e-3 * np.sqrt(eps), np.sqrt(eps), 1.0])) * u[:, j]
    return (out, *rest)


_n_bn = st.one_of(st.just(2), st.integers(2, 4))  # N = 2 drawn on purpose


@st.composite
def bn_cases(draw, backward: bool = False, n=_n_bn, d_max: int = 4, regimes=REGIMES):
    """(x (N,D), gamma, beta, eps[, dy]) with each column in its own regime."""
    n, d = draw(n), draw(st.integers(1, d_max))
    eps = draw(st.sampled_from(EPS))
    x, g, b, dy = groups(draw, n, d, eps, regimes, (d,), (d,), (n, d) if backward else (0,))
    return Case((x, 5 * g, 5 * b, eps) + ((10 * dy,) if backward else ()))


@st.composite
def ln_cases(draw, backward: bool = False, n_max: int = 4, d_max: int = 4, regimes=REGIMES):
    """(x (N,D), gamma, beta, eps[, dy]) with each row in its own regime (D = 1 included: σ² = 0)."""
    n, d = draw(st.integers(1, n_max)), draw(st.integers(1, d_max))
    eps = draw(st.sampled_from(EPS))
    xt, g, b, dy = groups(draw, d, n, eps, regimes, (d,), (d,), (n, d) if backward else (0,))
    return Case((xt.T.copy(), 5 * g, 5 * b, eps) + ((10 * dy,) if backward else ()))


@st.composite
def bn2d_cases(draw):
    """(x (N,C,H,W), gamma, beta, eps, dy), N·H·W >= 2, each channel in its own regime."""
    n, c, h, w = draw(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)))
    if n * h * w < 2:
        n = 2
    eps = draw(st.sampled_from(EPS))
    x, g, b, dy = groups(draw, n * h * w, c, eps, REGIMES, (c,), (c,), (n, c, h, w))
    x = x.reshape(n, h, w, c).transpose(0, 3, 1, 2).copy()
    return Case((x, 5 * g, 5 * b, eps, 10 * dy))


@st.composite
def running_cases(draw):
    """(running_mean, running_var, x (N,D), momentum), N >= 2."""
    n, d = draw(_n_bn), draw(st.integers(1, 4))
    x, rm, rv = groups(draw, n, d, 1e-5, REGIMES, (d,), (d,))
    m = draw(st.one_of(st.sampled_from([0.0, 0.1, 0.5, 1.0]), reals(0.0, 1.0)))
    return Case((10 * rm, 5 * (rv + 1), x, m))


# SymPy: BN groups of N <= 3 (D columns handled one by one), LN rows of D <= 3
sym_bn_cases = lambda: bn_cases(backward=True, n=st.integers(2, 3), d_max=3)  # noqa: E731
sym_ln_cases = lambda: ln_cases(backward=True, n_max=3, d_max=3)  # noqa: E731

# ---------------------------------------------------------------- torch oracles


def _t_norm(xt, g, b, eps, axes):
    """The notes' formula in torch: γ (x-μ)/√(σ²+eps) + β, biased σ² over ``axes``."""
    mu = xt.mean(dim=axes, keepdim=True)
    var = ((xt - mu) ** 2).mean(dim=axes, keepdim=True)
    return g * (xt - mu) / torch().sqrt(var + eps) + b


def _bshape(x):
    return (1, -1) + (1,) * (np.ndim(x) - 2)


def _t_bn_forward(x, gamma, beta, eps):
    return N(_t_norm(T(x), T(gamma), T(beta), eps, (0,)))


def _t_bn_forward_lib(x, gamma, beta, eps):
    return N(F().batch_norm(T(x), None, None, T(gamma), T(beta), training=True, eps=eps))


def _t_ln_forward(x, gamma, beta, eps):
    return N(_t_norm(T(x), T(gamma), T(beta), eps, (1,)))


def _t_ln_forward_lib(x, gamma, beta, eps):
    return N(F().layer_norm(T(x), (np.shape(x)[1],), T(gamma), T(beta), eps=eps))


def _t_backward(forward):
    """(dx, dgamma, dbeta) by one autograd backward of ``forward(xt, gt, bt, eps)`` with upstream dy."""

    def oracle(x, gamma, beta, eps, dy):
        xt, gt, bt = T(x, grad=True), T(gamma, grad=True), T(beta, grad=True)
        forward(xt, gt, bt, eps).backward(T(dy))
        return N(xt.grad), N(gt.grad), N(bt.grad)

    return oracle


_t_bn_rebuild_bw = _t_backward(lambda x, g, b, e: _t_norm(x, g, b, e, (0,)))
_t_bn_lib_bw = _t_backward(lambda x, g, b, e: F().batch_norm(x, None, None, g, b, training=True, eps=e))
_t_bn2d_rebuild_bw = _t_backward(lambda x, g, b, e: _t_norm(x, g.reshape(1, -1, 1, 1), b.reshape(1, -1, 1, 1), e, (0, 2, 3)))
_t_bn2d_lib_bw = _t_bn_lib_bw  # F.batch_norm on (N,C,H,W): per channel over (N,H,W)
_t_ln_rebuild_bw = _t_backward(lambda x, g, b, e: _t_norm(x, g, b, e, (1,)))
_t_ln_lib_bw = _t_backward(lambda x, g, b, e: F().layer_norm(x, (x.shape[1],), g, b, eps=e))


def _t_running_lib(rm, rv, x, momentum):
    rmt, rvt = T(rm), T(rv)
    F().batch_norm(T(x), rmt, rvt, None, None, training=True, momentum=float(momentum), eps=1e-5)
    return N(rmt), N(rvt)


def _t_running_rebuild(rm, rv, x, momentum):
    xt, m = T(x), float(momentum)
    return N((1 - m) * T(rm) + m * xt.mean(dim=0)), N((1 - m) * T(rv) + m * xt.var(dim=0, unbiased=True))


# ---------------------------------------------------------------- SymPy oracles


@sym.derivation
def _sym_bn(n: int):
    """One BN column of n values, from the notes' x̂ = (x - E[x])/√(Var[x] (+eps)), y = γx̂ + β."""
    import sympy

    x, dy = sym.symbols("x", n), sym.symbols("dy", n)
    g, b = sympy.symbols("gamma beta", real=True)
    eps = sympy.Symbol("eps", positive=True)
    mu = sum(x) / n
    var = sum((xi - mu) ** 2 for xi in x) / n
    L = sum(dyi * (g * (xi - mu) / sympy.sqrt(var + eps) + b) for xi, dyi in zip(x, dy))
    grads = [sympy.diff(L, xi) for xi in x] + [sympy.diff(L, g), sympy.diff(L, b)]
    return sym.lambdify([*x, g, b, eps, *dy], grads)


@sym.derivation
def _sym_ln(d: int):
    """One LN row of d features: y_j = γ_j (x_j - μ)/√(σ² + eps) + β_j."""
    import sympy

    x, dy = sym.symbols("x", d), sym.symbols("dy", d)
    g, b = sym.symbols("gamma", d), sym.symbols("beta", d)
    eps = sympy.Symbol("eps", positive=True)
    mu = sum(x) / d
    var = sum((xi - mu) ** 2 for xi in x) / d
    L = sum(dy[j] * (g[j] * (x[j] - mu) / sympy.sqrt(var + eps) + b[j]) for j in range(d))
    grads = [sympy.diff(L, v) for v in (*x, *g, *b)]
    return sym.lambdify([*x, *g, *b, eps, *dy], grads)


def _vec(v, n):
    return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy()


def _s_bn_backward(x, gamma, beta, eps, dy):
    n, d = x.shape
    out = _sym_bn(n)(*x, gamma, beta, eps, *dy)  # every symbol gets a (D,) vector: columns at once
    dx = np.stack([_vec(v, d) for v in out[:n]], axis=0)
    return dx, _vec(out[n], d), _vec(out[n + 1], d)


def _s_ln_backward(x, gamma, beta, eps, dy):
    n, d = x.shape
    out = _sym_ln(d)(*x.T, *gamma, *beta, eps, *dy.T)  # every x/dy symbol gets a (N,) vector: rows at once
    cols = [_vec(v, n) for v in out]
    dx = np.stack(cols[:d], axis=1)
    return dx, np.array([c.sum() for c in cols[d:2 * d]]), np.array([c.sum() for c in cols[2 * d:]])


# ---------------------------------------------------------------- conditioning-aware comparisons

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


def _forward_compare(axes):
    def compare(case, actual, expected, tol, fn):
        x, gamma, beta, eps = case.args
        G = _G(x, eps, axes)
        gb = np.abs(_gamma_b(case, axes))
        extra = gb * (G.delta * (1.0 + G.xh) + G.dvar * np.abs(G.xhat)) + K * _U * np.abs(np.asarray(beta)).reshape(gb.shape)
        _close(actual, expected, tol, extra, f"{fn} -> y")

    return compare


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
    def compare(case, actual, expected, tol, fn):
        extras = _backward_extras(case, axes)
        for a, e, x, o in zip(actual, expected, extras, ("dx", "dgamma", "dbeta")):
            _close(a, e, tol, x, f"{fn} -> {o}")

    return compare


def _running_compare(case, actual, expected, tol, fn):
    rm, rv, x, m = case.args
    x = np.asarray(x, dtype=np.float64)
    M = np.abs(x).max(axis=0)
    spread = np.abs(x - x.mean(axis=0)).max(axis=0)
    extra_mean = K * _U * (np.abs(rm) + M)
    extra_var = K * _U * (np.abs(rv) + x.shape[0] * M * spread + spread ** 2)
    _close(actual[0], expected[0], tol, extra_mean, f"{fn} -> new_mean")
    _close(actual[1], expected[1], tol, extra_var, f"{fn} -> new_var")


# ---------------------------------------------------------------- properties


def _moments_property(axes, what):
    """The normalised output has, per group, mean β and biased variance γ²σ²/(σ²+eps)."""

    def prop(case, y):
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

    return prop


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

    def prop(case, result):
        x, gamma, beta, eps, dy = case.args
        dx = np.asarray(result[0], dtype=np.float64)
        G = _G(x, eps, axes)
        gb = _gamma_b(case, axes)
        g = gb * np.asarray(dy, dtype=np.float64)
        want_dx = _backward_extras(case, axes)[0]
        ref_dx = {(0,): ref.batchnorm_backward, (0, 2, 3): ref.batchnorm2d_backward, (1,): ref.layernorm_backward}[axes](*case.args)[0]
        per = np.broadcast_to(want_dx, dx.shape) + 1e-7 * np.abs(ref_dx) + 1e-9
        s1 = G.reduce(dx)
        _prop_close(s1.ravel(), 0.0, (G.reduce(per) * 2).ravel(),
                    f"{what}: Σ dx over a normalised group (the mean term makes it 0)", "0")
        s2 = G.reduce(dx * G.xhat)
        want = (G.s * eps / (G.var + eps)).reshape(np.shape(s2)) * G.reduce(g * G.xhat)
        allowed = G.reduce(per * np.abs(G.xhat)) * 2 + G.reduce(np.abs(dx)) * G.delta.reshape(np.shape(s2)) * 2 \
            + np.abs(want) * 1e-7 + (G.s * G.delta).reshape(np.shape(s2)) * G.reduce(np.abs(g)) * 4
        _prop_close(s2.ravel(), want.ravel(), allowed.ravel(),
                    f"{what}: Σ dx·x̂ over a normalised group (the variance term shrinks it)", "s·eps/(σ²+eps)·Σ γ·dy·x̂")

    return prop


# ---------------------------------------------------------------- entries

_TOL = Tol(rtol=1e-7, atol=1e-9)
_SRC_BN = Source(
    "002", "§4 防止过拟合 (Batch_normalize); 004 归一化的作用",
    "x̂ = (x - E[x])/√Var[x], y = γx̂ + β (eps inside the root, biased variance: the contract)",
    "$$\\hat{x}^{(k)} = \\frac{x^{(k)} - E[x^{(k)}]}{\\sqrt{\\text{Var}[x^{(k)}]}}$$",
)
_SRC_LN = Source(
    "004", "BatchNorm和LayerNorm有什么区别",
    "per-sample statistics over the features, y = γx̂ + β",
    "对每个样本独立计算   μ和σ来自**特征维度**",
)

register(Formula(
    id="norm.batchnorm_forward",
    source=_SRC_BN,
    reference=ref.batchnorm_forward,
    strategy=bn_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_bn_forward, description="γ(x-μ)/√(σ²+eps)+β in torch ops"),
        Oracle("torch:F.batch_norm", _t_bn_forward_lib, description="F.batch_norm(training=True)"),
        Oracle("property:moments", _moments_property((0,), "batchnorm_forward"), kind="property",
               description="per column: mean β, biased variance γ²σ²/(σ²+eps)"),
    ),
    compare=_forward_compare((0,)),
    points=1, tol=_TOL,
    summary="training mode, biased variance, eps inside the root",
))

register(Formula(
    id="norm.batchnorm_backward",
    source=_SRC_BN,
    reference=ref.batchnorm_backward,
    strategy=lambda: bn_cases(backward=True),
    outputs=("dx", "dgamma", "dbeta"),
    oracles=(
        Oracle("torch", _t_bn_rebuild_bw, description="autograd of the torch rebuild"),
        Oracle("torch:F.batch_norm", _t_bn_lib_bw, description="autograd of F.batch_norm(training=True)"),
        Oracle("sympy", _s_bn_backward, strategy=sym_bn_cases, description="sympy.diff of the notes' formula, N <= 3"),
        Oracle("property:dx-projections", _dx_projection_property((0,), "batchnorm_backward"), kind="property",
               description="Σ dx = 0 and Σ dx·x̂ = s·eps/(σ²+eps)·Σ γ dy x̂ per column"),
    ),
    compare=_backward_compare((0,)),
    points=2, tol=_TOL,
))

register(Formula(
    id="norm.batchnorm2d_backward",
    source=Source("002", "§4 防止过拟合 (Batch_normalize, CNN)", "statistics per channel over (N, H, W)",
                  "因此一个卷积核对应的输入对应一组 BN 参数"),
    reference=ref.batchnorm2d_backward,
    strategy=bn2d_cases,
    outputs=("dx", "dgamma", "dbeta"),
    oracles=(
        Oracle("torch", _t_bn2d_rebuild_bw, description="autograd of the torch rebuild over (N,H,W)"),
        Oracle("torch:F.batch_norm", _t_bn2d_lib_bw, description="autograd of F.batch_norm on (N,C,H,W)"),
        Oracle("property:dx-projections", _dx_projection_property((0, 2, 3), "batchnorm2d_backward"), kind="property"),
    ),
    compare=_backward_compare((0, 2, 3)),
    points=2, tol=_TOL,
    examples_scale=0.75,
))

register(Formula(
    id="norm.batchnorm_running_update",
    source=Source("004", "BatchNorm和LayerNorm有什么区别", "(1-m)·old + m·batch statistic, unbiased variance (torch)",
                  "需要保变 moving mean/var"),
    reference=ref.batchnorm_running_update,
    strategy=running_cases,
    outputs=("new_mean", "new_var"),
    oracles=(
        Oracle("torch:F.batch_norm", _t_running_lib, description="running_mean/var updated by F.batch_norm(training=True, momentum)"),
        Oracle("torch", _t_running_rebuild, description="(1-m)·old + m·(mean, var(unbiased=True))"),
    ),
    compare=_running_compare,
    points=1, tol=_TOL,
))

register(Formula(
    id="norm.layernorm_forward",
    source=_SRC_LN,
    reference=ref.layernorm_forward,
    strategy=ln_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_ln_forward, description="γ(x-μ)/√(σ²+eps)+β per row in torch ops"),
        Oracle("torch:F.layer_norm", _t_ln_forward_lib, description="F.layer_norm(normalized_shape=(D,))"),
        Oracle("property:moments", _moments_property((1,), "layernorm_forward"), kind="property",
               description="per row: (y-β)/γ has mean 0 and variance σ²/(σ²+eps)"),
    ),
    compare=_forward_compare((1,)),
    points=1, tol=_TOL,
))

register(Formula(
    id="norm.layernorm_backward",
    source=_SRC_LN,
    reference=ref.layernorm_backward,
    strategy=lambda: ln_cases(backward=True),
    outputs=("dx", "dgamma", "dbeta"),
    oracles=(
        Oracle("torch:F.layer_norm", _t_ln_lib_bw, description="autograd of F.layer_norm"),
        Oracle("torch", _t_ln_rebuild_bw, description="autograd of the torch rebuild"),
        Oracle("sympy", _s_ln_backward, strategy=sym_ln_cases, description="sympy.diff of one row, D <= 3"),
        Oracle("property:dx-projections", _dx_projection_property((1,), "layernorm_backward"), kind="property",
               description="per row: Σ dx = 0 and Σ dx·x̂ = s·eps/(σ²+eps)·Σ γ dy x̂"),
    ),
    compare=_backward_compare((1,)),
    points=2, tol=_TOL,
))
