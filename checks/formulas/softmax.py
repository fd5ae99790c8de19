"""softmax.* -- softmax, its Jacobian, cross-entropy and its gradient (notes 002 §7)."""

from __future__ import annotations

import numpy as np

import reference as ref  # (reference.softmax is also a function name: use the package)
from checks.oracles import sym
from checks.core.compare import Tol, Verdict, assert_array_close, fail
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, labels, st, with_ties
from checks.oracles.torchlib import F, N, T, torch

# ---------------------------------------------------------------- strategies

REGIMES = ("moderate", "huge", "offset", "ties", "one-huge")


@st.composite
def logits(draw, n_max=4, k_max=5, shape=None, regimes=REGIMES):
    """Logits in a drawn regime; |z| <= 1e4 (the contract's stable range)."""
    if shape is None:
        shape = (draw(st.integers(1, n_max)), draw(st.integers(1, k_max)))
    regime = draw(st.sampled_from(regimes))
    if regime == "huge":
        z = draw(array(shape, -1e4, 1e4))
    elif regime == "offset":  # every logit near +-1e4: exp without the max shift overflows
        z = draw(array(shape, -5, 5)) + draw(st.sampled_from([1e4 - 5, -1e4 + 5]))
    elif regime == "one-huge":
        z = draw(array(shape, -5, 5))
        z.reshape(-1)[draw(st.integers(0, z.size - 1))] = draw(st.sampled_from([1e4, -1e4, 800.0]))
    else:
        z = draw(array(shape, -10, 10))
    if regime == "ties" or draw(st.booleans()):
        z = draw(with_ties(z))
    return z


def softmax_cases():
    return logits().map(lambda z: Case((z,)))


def jacobian_cases():
    return st.integers(1, 5).flatmap(lambda k: logits(shape=(k,))).map(lambda z: Case((z,)))


@st.composite
def ce_cases(draw, n_max=4, k_max=5, regimes=REGIMES):
    z = draw(logits(n_max=n_max, k_max=k_max, regimes=regimes))
    return Case((z, draw(labels(z.shape[0], z.shape[1]))))


_small = ("moderate", "ties")  # SymPy's lambdified exp is unshifted: keep it finite
sym_softmax_cases = lambda: logits(k_max=4, regimes=_small).map(lambda z: Case((z,)))  # noqa: E731
sym_jacobian_cases = lambda: st.integers(1, 4).flatmap(lambda k: logits(shape=(k,), regimes=_small)).map(lambda z: Case((z,)))  # noqa: E731
sym_ce_cases = lambda: ce_cases(k_max=4, regimes=_small)  # noqa: E731

# ---------------------------------------------------------------- torch oracles


def _t_softmax_rebuild(z):
    zt = T(z)
    e = torch().exp(zt - zt.max(dim=-1, keepdim=True).values)
    return N(e / e.sum(dim=-1, keepdim=True))


def _t_softmax_lib(z):
    return N(F().softmax(T(z), dim=-1))


def _t_jacobian(z):
    return N(torch().autograd.functional.jacobian(lambda t: F().softmax(t, dim=0), T(z)))


def _t_ce(z, y):
    return float(F().cross_entropy(T(z), torch().as_tensor(np.asarray(y, dtype=np.int64))))


def _t_ce_rebuild(z, y):
    zt, yt = T(z), torch().as_tensor(np.asarray(y, dtype=np.int64))
    return float((torch().logsumexp(zt, dim=1) - zt.gather(1, yt[:, None])[:, 0]).mean())


def _t_ce_backward(z, y):
    zt = T(z, grad=True)
    F().cross_entropy(zt, torch().as_tensor(np.asarray(y, dtype=np.int64))).backward()
    return N(zt.grad)


# ---------------------------------------------------------------- SymPy oracles


@sym.derivation
def _sym_softmax(k):
    import sympy

    z = sym.symbols("z", k)
    e = [sympy.exp(v) for v in z]
    y = sympy.Matrix([v / sum(e) for v in e])
    return sym.lambdify([z], y), sym.lambdify([z], y.jacobian(sympy.Matrix(z)))


@sym.derivation
def _sym_ce(k):
    """−log softmax(z)_l for each label l, and its gradient (by sympy.diff)."""
    import sympy

    z = sym.symbols("z", k)
    s = sum(sympy.exp(v) for v in z)
    losses = [sympy.log(s) - z[l] for l in range(k)]
    grads = [sympy.Matrix([sympy.diff(L, v) for v in z]) for L in losses]
    return [sym.lambdify([z], L) for L in losses], [sym.lambdify([z], g) for g in grads]


def _s_softmax(z):
    f = _sym_softmax(z.shape[1])[0]
    return np.array([np.asarray(f(row), dtype=np.float64).reshape(-1) for row in z])


def _s_jacobian(z):
    return np.asarray(_sym_softmax(z.shape[0])[1](z), dtype=np.float64).reshape(z.shape[0], z.shape[0])


def _s_ce(z, y):
    losses, _ = _sym_ce(z.shape[1])
    return float(np.mean([losses[int(l)](row) for row, l in zip(z, y)]))


def _s_ce_backward(z, y):
    _, grads = _sym_ce(z.shape[1])
    return np.array([np.asarray(grads[int(l)](row), dtype=np.float64).reshape(-1) for row, l in zip(z, y)]) / z.shape[0]


# ---------------------------------------------------------------- properties


def _rows_sum_to(target):
    def prop(case, y):
        __tracebackhide__ = True
        s = y.sum(axis=-1)
        assert_array_close(s, np.full_like(s, target), Tol(1e-12, 1e-12), "row sums")
        if target == 1.0 and (y.min() < 0 or y.max() > 1):
            fail(Verdict.PROPERTY, f"softmax -> y: values outside [0, 1]: min {y.min()!r}, max {y.max()!r}")

    return prop


# ---------------------------------------------------------------- entries

_SRC = "§7 逻辑回归, softmax, RNN 导数推导"
_TOL = Tol(rtol=1e-7, atol=1e-12)

register(Formula(
    id="softmax.softmax",
    source=Source("002", _SRC, "g(z)_j = e^{z_j} / Σ_k e^{z_k}", "g(\\vec{z}) = \\frac{e^{z_j}}{\\sum_{k=1}^K e^{z_k}}"),
    reference=ref.softmax,
    strategy=softmax_cases,
    outputs=("y",),
    oracles=(
        Oracle("torch", _t_softmax_rebuild, description="max-shifted exp rebuild in torch"),
        Oracle("torch:F.softmax", _t_softmax_lib),
        Oracle("sympy", _s_softmax, strategy=sym_softmax_cases, description="e^{z_j}/Σe^{z_k} lambdified, K <= 4"),
        Oracle("property:rows-sum-to-1", _rows_sum_to(1.0), kind="property"),
    ),
    points=1, tol=_TOL,
    summary="stable for |z| <= 1e4",
))

register(Formula(
    id="softmax.softmax_jacobian",
    source=Source("002", _SRC, "∂y_K/∂z_K = y_K(1 − y_K); ∂y_K/∂z_j = −y_K y_j",
                  "= g(z^K) - g^2(z^K) = g(z^K)(1 - g(z^K)) = y^K(1 - y^K)"),
    reference=ref.softmax_jacobian,
    strategy=jacobian_cases,
    outputs=("J",),
    oracles=(
        Oracle("torch", _t_jacobian, description="torch.autograd.functional.jacobian of F.softmax"),
        Oracle("sympy", _s_jacobian, strategy=sym_jacobian_cases, description="Matrix.jacobian of the symbolic softmax, K <= 4"),
        Oracle("property:rows-sum-to-0", _rows_sum_to(0.0), kind="property",
               description="softmax(z + c) = softmax(z), so each row of J sums to 0"),
    ),
    points=2, tol=_TOL,
))

register(Formula(
    id="softmax.cross_entropy",
    source=Source("002", _SRC, "loss = −log y_K", "$loss = -1 \\cdot \\log y_K = -\\log y_K$ 一维."),
    reference=ref.cross_entropy,
    strategy=ce_cases,
    outputs=("loss",),
    oracles=(
        Oracle("torch", _t_ce_rebuild, description="mean of logsumexp(z) − z[label] in torch"),
        Oracle("torch:F.cross_entropy", _t_ce),
        Oracle("sympy", _s_ce, strategy=sym_ce_cases, description="log Σe^{z_k} − z_l lambdified, K <= 4"),
    ),
    points=1, tol=Tol(rtol=1e-9, atol=1e-9),
    summary="mean over N; stable for |z| <= 1e4",
))

register(Formula(
    id="softmax.cross_entropy_backward",
    source=Source("002", _SRC, "∂loss/∂z = y − onehot(K)  (mean over the batch: / N)"),
    reference=ref.cross_entropy_backward,
    strategy=ce_cases,
    outputs=("dz",),
    oracles=(
        Oracle("torch", _t_ce_backward, description="autograd of F.cross_entropy (mean reduction)"),
        Oracle("sympy", _s_ce_backward, strategy=sym_ce_cases, description="sympy.diff of −log softmax, K <= 4"),
        Oracle("property:rows-sum-to-0", _rows_sum_to(0.0), kind="property"),
    ),
    points=2, tol=_TOL,
))
