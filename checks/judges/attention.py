"""Judge-time code (attention): custom comparisons and property oracles, numpy/scipy only (no torch, SymPy or Hypothesis)."""

from __future__ import annotations

import numpy as np

from checks.core.compare import Tol, Verdict, assert_array_close, fail


def _single_key_rows(case, y):
    """A query row whose mask allows exactly one key j outputs V[:, j] exactly (its weight is 1)."""
    Q, K, V = case.args[:3]
    mask = case.args[3] if len(case.args) > 3 else case.kwargs.get("mask")
    m = K.shape[1]
    mk = np.ones((Q.shape[1], m), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(mk.sum(axis=1) == 1)
    if m == 1:
        rows = np.arange(Q.shape[1])
    for r in rows:
        j = int(np.flatnonzero(mk[r])[0])
        assert_array_close(np.asarray(y)[:, r, :], np.asarray(V)[:, j, :], Tol(rtol=1e-12, atol=1e-12),
                           f"attention -> y[:, {r}, :] (query {r} may attend to key {j} only, so its output is V[:, {j}, :])")
    # every output is a convex combination of the allowed values
    Vb = np.asarray(V)[:, None, :, :]  # (N, 1, m, dv)
    lo = np.where(mk[None, :, :, None], Vb, np.inf).min(axis=2)
    hi = np.where(mk[None, :, :, None], Vb, -np.inf).max(axis=2)
    bad = (np.asarray(y) < lo - 1e-9) | (np.asarray(y) > hi + 1e-9)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        fail(Verdict.PROPERTY, f"attention -> y{i} = {float(np.asarray(y)[i])!r} lies outside [{float(lo[i])!r}, {float(hi[i])!r}],"
             " the range of the values its query may attend to (softmax weights are >= 0 and sum to 1 over the keys)")


def _pe_prep(case):
    n, d = case.args
    w = 10000.0 ** (-2.0 * np.arange(d // 2) / d)
    rot = [(np.cos(k * w), np.sin(k * w)) for k in range(1, n)]   # rot[k - 1]: the rotation by k
    many = None
    if n > 2 and d % 2 == 0 and d > 0:   # every (p, k >= 2) pair at once, for the test of them all
        ks = np.concatenate([np.full(n - k, k) for k in range(2, n)])
        ps = np.concatenate([np.arange(n - k) for k in range(2, n)])
        many = (ps, ps + ks, np.stack([rot[k - 1][0] for k in range(2, n)])[ks - 2],
                np.stack([rot[k - 1][1] for k in range(2, n)])[ks - 2])
    return n, d, np.tile([0.0, 1.0], d // 2), rot, many


def _pe_step(pe, s, c, n, d, k, ck, sk, tol):
    want = np.empty((n - k, d))
    want[:, 0::2] = s[:-k] * ck + c[:-k] * sk
    want[:, 1::2] = c[:-k] * ck - s[:-k] * sk
    assert_array_close(pe[k:], want, tol,
                       f"positional_encoding -> PE[k:] vs the rotation of PE[:-k] by the angles k*w_i, k = {k}")


def _pe_all_close(pe, s, c, many, tol) -> bool:
    """Every k >= 2 at once: True where each step's common test (elementwise the same numbers) passes."""
    ps, qs, ck, sk = many
    try:
        with np.errstate(all="ignore"):
            sp, cp, q = s[ps], c[ps], pe[qs]
            w0 = sp * ck + cp * sk
            w1 = cp * ck - sp * sk
            return bool((np.abs(q[:, 0::2] - w0) <= tol.atol + tol.rtol * np.abs(w0)).all()
                        and (np.abs(q[:, 1::2] - w1) <= tol.atol + tol.rtol * np.abs(w1)).all())
    except Exception:
        return False


def _pe_run(st, pe):
    n, d, e0, rot, many = st
    pe = np.asarray(pe, dtype=np.float64)
    tol = Tol(rtol=0.0, atol=1e-9)
    if n:
        assert_array_close(pe[0], e0, tol, "positional_encoding -> PE[0] (sin 0 = 0 in even columns, cos 0 = 1 in odd)")
    s, c = pe[:, 0::2], pe[:, 1::2]
    first = 1
    if many is not None and pe.shape == (n, d):
        _pe_step(pe, s, c, n, d, 1, *rot[0], tol)
        if _pe_all_close(pe, s, c, many, tol):
            return
        first = 2
    for k in range(first, n):
        _pe_step(pe, s, c, n, d, k, *rot[k - 1], tol)


def _pe_rotation(case, pe):
    r"""PE[0] = (0,1,0,1,...) and PE[p+k] = R(k) PE[p] for every p, k: each (sin, cos) pair of
    frequency ω_i = 10000^(−2i/d) turns by the angle kω_i (sin(a+b) = sin a cos b + cos a sin b,
    cos(a+b) = cos a cos b − sin a sin b) -- the notes' reason for sinusoids (004 位置编码)."""
    return _pe_run(_pe_prep(case), pe)


_pe_rotation.prep, _pe_rotation.check = _pe_prep, _pe_run
