"""Judge-time code (optim): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import functools

import numpy as np

from checks.core.compare import Tol, Verdict, assert_array_close, fail


def _abs(x):
    return np.abs(np.asarray(x, dtype=np.float64))


def _scale_sgd(theta, grad, lr):
    return (_abs(theta) + lr * _abs(grad),)


def _scale_momentum(theta, grad, m, lr, beta):
    mm = beta * _abs(m) + lr * _abs(grad)
    return _abs(theta) + mm, mm


def _scale_nag(theta, grad_fn, m, lr, beta):
    mm = beta * _abs(m) + lr * grad_fn.grad_scale(_abs(theta) + beta * _abs(m))
    return _abs(theta) + mm, mm


def _scale_adaptive(theta, grad, s_new, s_terms, lr, eps):
    """s_terms bounds the terms of the new s; the step's terms are lr |g| / (sqrt(s_new) + eps)."""
    return _abs(theta) + lr * _abs(grad) / (np.sqrt(s_new) + eps), s_terms


def _scale_adagrad(theta, grad, s, lr, eps):
    s2 = _abs(s) + _abs(grad) ** 2
    return _scale_adaptive(theta, grad, s2, s2, lr, eps)


def _scale_rmsprop(theta, grad, s, lr, beta, eps):
    # |s|, not beta|s|: the lerp form s + (1-beta)(g^2 - s) rounds at ulp(s) (beta may be 0)
    s2, g2 = beta * _abs(s) + (1 - beta) * _abs(grad) ** 2, (1 - beta) * _abs(grad) ** 2
    return _scale_adaptive(theta, grad, s2, _abs(s) + g2, lr, eps)


def _scale_adam(theta, grad, m, s, t, lr, beta1, beta2, eps):
    # |m|, not beta1|m|: torch's lerp form m + (1-beta1)(g-m) rounds at ulp(m) (beta1 may be ~0)
    mm = _abs(m) + (1 - beta1) * _abs(grad)
    g2 = (1 - beta2) * _abs(grad) ** 2
    s2 = beta2 * _abs(s) + g2
    step = lr * (mm / (1 - beta1 ** t)) / (np.sqrt(s2 / (1 - beta2 ** t)) + eps)
    return _abs(theta) + step, mm, _abs(s) + g2


def scaled_compare(outputs, scales):
    """|actual - expected| <= atol + rtol (|expected| + scale) per element, scale = ``scales(*case.args)``.

    A ``functools.partial`` of :func:`scaled_check` (a vectors file stores it by name: the student
    kit judges it without the registry); ``scales`` is one of this module's ``_scale_*`` functions.
    """
    if globals().get(scales.__name__) is not scales:
        raise ValueError(f"scaled_compare(scales={scales!r}): give one of the _scale_* functions of {__name__}")
    return functools.partial(scaled_check, outputs=list(outputs), scales=scales.__name__)


def _scaled_prep(case, expected, tol, fn, *, outputs, scales):
    """What :func:`scaled_check` needs of the case and the answer: per output its answer and scaled bound."""
    scale_fn = globals()[scales] if str(scales).startswith("_scale_") else None
    if scale_fn is None:
        raise ValueError(f"scaled_check: unknown scales {scales!r}")
    exps = expected if len(outputs) > 1 else (expected,)
    per = []
    for name, e, sc in zip(outputs, exps, scale_fn(*case.args)):
        e = np.asarray(e, dtype=np.float64)
        sc = np.broadcast_to(np.asarray(sc, dtype=np.float64), e.shape)
        with np.errstate(all="ignore"):
            bound = tol.atol + tol.rtol * (np.abs(e) + sc)
        per.append((f"{fn} -> {name}", e, sc, bound))
    return len(outputs) > 1, tol, per


def _scaled_run(st, actual):
    __tracebackhide__ = True
    multi, tol, per = st
    acts = actual if multi else (actual,)
    for (where, e, sc, bound), a in zip(per, acts):
        a = np.asarray(a, dtype=np.float64)
        with np.errstate(all="ignore"):
            bad = ~(np.abs(a - e) <= bound)
        if bad.any():
            # the elements out of the scaled bound, with the smallest slack they were allowed: fails for sure
            assert_array_close(a, e, Tol(rtol=tol.rtol, atol=tol.atol + tol.rtol * float(np.min(sc[bad]))), where, mask=bad)
            fail(Verdict.MISMATCH, f"{where}: values are not close (scaled tolerance)")


def _scaled_bounds(st):
    """|a - e| <= the scaled bound, elementwise, is the whole test (outputs without a scale: none)."""
    multi, tol, per = st
    return [(bound, None, None) for _, _, _, bound in per]


def scaled_check(case, actual, expected, tol, fn, *, outputs, scales):
    """The comparison of :func:`scaled_compare` (``scales``: the name of a ``_scale_*`` function here)."""
    __tracebackhide__ = True
    return _scaled_run(_scaled_prep(case, expected, tol, fn, outputs=outputs, scales=scales), actual)


scaled_check.prep, scaled_check.check, scaled_check.bounds = _scaled_prep, _scaled_run, _scaled_bounds
